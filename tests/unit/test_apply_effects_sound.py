"""ApplyEffects with sound on moto: the brief's music, a spoken line (espeak-ng locally, Polly in AWS), their checks,
and the brief fields that steer framing, placements and the poster (Given/When/Then)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from hookforge.deps import Deps
from hookforge.effects.sound import measure_loudness
from hookforge.errors import AudioInvalid, BriefInvalid, VoiceoverInvalid
from hookforge.media import probe, run_ffmpeg
from hookforge.models import ApplyEffectsInput, Brief, VideoJob
from hookforge.steps import apply_effects
from hookforge.steps.validate_brief import parse_brief
from hookforge.voice import PollySpeaker
from tests.conftest import write_clip
from tests.unit.test_voice import polly_client, stub_success

pytestmark = pytest.mark.slow
RUN_ID = "run-sound-1"
FAST = {"output": {"x264_preset": "ultrafast"}}


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_clip(tmp_path_factory.mktemp("src") / "raw.mp4", seconds=3.0, pattern="testsrc2").read_bytes()


@pytest.fixture
def deps(aws: dict[str, Any], clip: bytes) -> Deps:
    d: Deps = aws["deps"]
    d.runs.start(RUN_ID, brief_key="briefs/sound.json")
    d.store.put_bytes(f"runs/{RUN_ID}/raw.mp4", clip, content_type="video/mp4")
    return d


def _event(effects: dict[str, Any], *, duration: int = 3) -> ApplyEffectsInput:
    now = time.time()
    brief = Brief.model_validate({"name": "sound-test", "video": {"duration": duration}, "effects": effects})
    video = VideoJob(
        provider="kenburns", task_id="kb:x", ratio="9:16", duration=duration, status="SUCCEEDED",
        submitted_at=now, deadline=now + 600, raw_key=f"runs/{RUN_ID}/raw.mp4",
    )  # fmt: skip
    return ApplyEffectsInput(run_id=RUN_ID, brief=brief, video=video)


def _audio(tmp_path: Path, graph: str, name: str = "music.wav") -> bytes:
    path = tmp_path / name
    run_ffmpeg(["-y", "-f", "lavfi", "-i", graph, str(path)])
    return path.read_bytes()


def _download(deps: Deps, key: str, tmp_path: Path) -> Path:
    return deps.store.download_file(key, tmp_path / Path(key).name)


def test_the_briefs_music_is_the_bed_at_delivery_loudness(deps: Deps, tmp_path: Path) -> None:
    # Given a 1.5 s music loop uploaded to audio/ and a 3 s hook
    deps.store.put_bytes("audio/loop.wav", _audio(tmp_path, "sine=frequency=330:duration=1.5"))
    effects = {"preset": "clean", "aspects": ["9:16"], "text": "Hi", "music": "loop.wav", "overrides": FAST}
    # When the step renders
    render = apply_effects.run(_event(effects), deps)
    # Then the hook's sound is the music (looped to the end) plus the punch-in's hit, at -14 LUFS
    assert render.sound.startswith("music (music.wav)") and "impact" in render.sound
    hook = _download(deps, render.outputs["9:16"], tmp_path)
    assert probe(hook).has_audio
    assert measure_loudness(hook).integrated == pytest.approx(-14.0, abs=1.0)
    assert (deps.runs.get(RUN_ID) or {})["sound"] == render.sound


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "not in the bucket"),
        (b"\x89PNG\r\n\x1a\n" + b"not audio" * 100, "effects.music"),
        ("anullsrc=r=48000:cl=stereo:d=3", "silent"),
        ("sine=frequency=440:duration=0.4", "1"),
    ],
    ids=["missing", "not-audio", "silent", "too-short"],
)
def test_bad_music_is_audio_invalid_before_anything_is_rendered(
    deps: Deps, tmp_path: Path, content: bytes | str | None, expected: str
) -> None:
    # Given a brief whose music is missing, not audio, silent or shorter than a second
    if content is not None:
        data = content if isinstance(content, bytes) else _audio(tmp_path, content)
        deps.store.put_bytes("audio/bad.wav", data)
    effects = {"preset": "clean", "aspects": ["9:16"], "music": "audio/bad.wav", "overrides": FAST}
    # When the step runs, Then it stops with AudioInvalid naming the problem, and no hook is uploaded
    with pytest.raises(AudioInvalid, match=expected):
        apply_effects.run(_event(effects), deps)
    assert not deps.store.list_keys(f"runs/{RUN_ID}/hooks/")


def test_music_over_30_mb_is_refused_from_its_size_alone(deps: Deps) -> None:
    from hookforge.steps.validate_brief import check_music_object

    deps.store.put_bytes("audio/huge.mp3", b"\0" * (30 * 1024 * 1024 + 1))
    with pytest.raises(AudioInvalid, match="at most 30 MB"):
        check_music_object(deps, "audio/huge.mp3")


def test_a_voiceover_is_spoken_locally_by_espeak_and_recorded(deps: Deps, tmp_path: Path) -> None:
    # Given a voiceover line and captions timed by it
    effects = {"preset": "punchy", "aspects": ["9:16"], "text": "Drop day is here", "captions": True,
               "voiceover": {"voice": "Matthew"}, "overrides": FAST}  # fmt: skip
    # When the step runs under the local engine's stage
    render = apply_effects.run(_event(effects), deps)
    # Then the voice leads the mix, the bed ducks under it, and the run records who spoke and what it cost
    assert render.sound.startswith("voiceover + drive bed")
    record = deps.runs.get(RUN_ID) or {}
    assert record["voiceover"] == {"provider": "espeak", "voice": "Matthew", "characters": len("Drop day is here")}
    assert float(record["voiceover_cost_usd"]) == 0.0
    hook = _download(deps, render.outputs["9:16"], tmp_path)
    assert measure_loudness(hook).integrated == pytest.approx(-14.0, abs=1.0)


def test_a_voiceover_in_aws_is_spoken_by_polly_and_its_cost_recorded(deps: Deps, tmp_path: Path) -> None:
    # Given the AWS stage's speaker: Polly (stubbed with its documented answers: moto has no synthesize_speech)
    from tests.unit.test_voice import pcm_tone

    text = "Drop day is here"
    client = polly_client()
    stubber = Stubber(client)
    stub_success(stubber, "Joanna", text, pcm_tone(tmp_path, 1.2))
    deps.__dict__["speaker"] = PollySpeaker(client)
    effects = {"preset": "clean", "aspects": ["1:1"], "text": text, "voiceover": {}, "overrides": FAST}
    # When the step runs
    with stubber:
        render = apply_effects.run(_event(effects), deps)
    stubber.assert_no_pending_responses()
    # Then the spoken line is in the mix and the characters Polly billed are recorded with their cost
    assert render.sound.startswith("voiceover")
    record = deps.runs.get(RUN_ID) or {}
    assert record["voiceover"]["provider"] == "polly"
    assert float(record["voiceover_cost_usd"]) == pytest.approx(record["voiceover"]["characters"] * 16e-6)


def test_a_voiceover_longer_than_the_hook_is_voiceover_invalid(deps: Deps) -> None:
    line = "This spoken line goes on and on, far longer than any two second hook could ever hold, really."
    effects = {"preset": "clean", "aspects": ["9:16"], "voiceover": {"text": line}, "overrides": FAST}
    with pytest.raises(VoiceoverInvalid, match="lasts .* the hook is 2s"):
        apply_effects.run(_event(effects, duration=2), deps)
    assert not deps.store.list_keys(f"runs/{RUN_ID}/hooks/")


def test_audio_none_renders_hooks_without_a_sound_track(deps: Deps, tmp_path: Path) -> None:
    effects = {"preset": "clean", "aspects": ["9:16"], "audio": "none", "overrides": FAST}
    render = apply_effects.run(_event(effects), deps)
    assert render.sound == "none"
    assert not probe(_download(deps, render.outputs["9:16"], tmp_path)).has_audio


def test_the_briefs_focus_and_poster_time_reach_the_render(deps: Deps) -> None:
    effects = {"preset": "clean", "aspects": ["9:16"], "focus": [0.2, 0.6], "poster_at": 1.0, "overrides": FAST}
    render = apply_effects.run(_event(effects), deps)
    assert render.focus == [0.2, 0.6] and render.focus_source == "brief"
    assert render.duration == pytest.approx(3.0, abs=1 / 30)


# ------------------------------------------------------------------------------------------ brief checks
@pytest.mark.parametrize(
    ("effects", "field", "words"),
    [
        ({"focus": [1.2, 0.5]}, "effects.focus", "from 0 to 1"),
        ({"focus": [0.5]}, "effects.focus", "[x, y]"),
        ({"focus": ["left", 0.5]}, "effects.focus", "from 0 to 1"),
        ({"voiceover": {"text": "Hi", "voice": "Robo"}}, "effects.voiceover", "hookforge voices"),
        ({"voiceover": {"text": "x" * 3001}}, "effects.voiceover", "3000"),
        ({"voiceover": {}}, "effects.voiceover", "nothing to say"),
        ({"voiceover": {"text": "Hi"}, "audio": "none"}, "effects", "needs sound"),
        ({"music": "../../etc/passwd.mp3"}, "effects.music", "audio/"),
        ({"music": "song.exe"}, "effects.music", "MP3"),
        ({"placements": ["snapchat"]}, "effects.placements", "tiktok"),
    ],
    ids=["focus-outside", "focus-one-number", "focus-word", "unknown-voice", "voice-too-long", "nothing-to-say",
         "voice-without-sound", "music-path-escape", "music-not-audio-name", "unknown-placement"],
)  # fmt: skip
def test_bad_effects_fields_are_brief_invalid_naming_the_field(effects: dict[str, Any], field: str, words: str) -> None:
    raw = Brief.model_validate({"name": "x"}).model_dump(mode="json")
    raw["effects"] = {**raw["effects"], **effects}
    import json

    with pytest.raises(BriefInvalid) as caught:
        parse_brief(json.dumps(raw).encode(), source="briefs/x.json")
    assert field in str(caught.value) and words in str(caught.value), str(caught.value)


def test_a_bare_music_name_means_the_audio_folder() -> None:
    assert Brief.model_validate({"name": "x", "effects": {"music": "drop.mp3"}}).effects.music == "audio/drop.mp3"
