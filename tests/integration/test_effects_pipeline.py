"""The effects step inside the whole ASL on the local engine."""

from __future__ import annotations

import pytest

from hookforge.local import pick
from hookforge.media import frame_at, probe
from tests.conftest import tiny_brief

pytestmark = pytest.mark.slow


def test_brief_effects_render_every_aspect_with_text_through_the_state_machine(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    # Given a brief asking for the punchy preset, two placements, hostile text and an override
    effects = {
        "preset": "punchy",
        "aspects": ["9:16", "1:1"],
        "text": "Drop day: 48h \\ 50% off %{pts}",
        "overrides": {"output": {"x264_preset": "ultrafast"}, "text": {"color": "yellow"}},
    }
    # When the run goes through the state machine with --pick 1
    result = engine.run(write_brief(tiny_brief(effects=effects)), chooser=pick(1))
    # Then both hooks come back at their placement sizes, H.264 at 30 fps, with poster and preview
    assert result.succeeded, (result.error, result.message)
    assert set(result.outputs) == {"9:16", "1:1"}
    sizes = {
        aspect: (probe(path).width, probe(path).height, probe(path).fps) for aspect, path in result.outputs.items()
    }
    assert sizes == {"9:16": (1080, 1920, 30.0), "1:1": (1080, 1080, 30.0)}
    render = result.output["render"]
    assert render["preset"] == "punchy" and render["poster_key"].endswith("poster.jpg")
    assert (result.run_dir / "poster.jpg").exists() and (result.run_dir / "preview.gif").exists()
    # and the yellow hook text is in the top safe area of the vertical hook
    frame = frame_at(result.outputs["9:16"], 1.0, size=(270, 480))
    band = frame.crop((0, int(480 * 0.12), 270, int(480 * 0.4)))
    raw = band.tobytes()
    pixels = zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
    yellow = sum(1 for r, g, b in pixels if r > 200 and g > 180 and b < 90)
    assert yellow > 50


def test_unknown_effects_override_is_rejected_at_validation(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    # Given an override the preset does not have
    brief = tiny_brief(effects={"preset": "clean", "aspects": ["1:1"], "overrides": {"sparkle": {"amount": 3}}})
    # When it runs
    result = engine.run(write_brief(brief), chooser=pick(1))
    # Then ValidateBrief rejects it, naming the field, before anything is generated
    assert result.status == "FAILED" and result.error == "BriefInvalid"
    assert "sparkle" in result.message and result.failed_state == "ValidateBrief"


def test_a_brief_with_music_by_path_and_a_voiceover_makes_a_hook_with_that_sound(  # type: ignore[no-untyped-def]
    engine, write_brief, tmp_path
) -> None:
    from hookforge.effects.sound import measure_loudness
    from hookforge.media import run_ffmpeg

    # Given a music file beside the brief (locally a path works; it is copied to audio/ in the bucket)
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "sine=frequency=196:duration=2.5", str(tmp_path / "bed.wav")])
    effects = {
        "preset": "cinematic",
        "aspects": ["9:16"],
        "text": "Mornings, upgraded",
        "music": "bed.wav",
        "voiceover": {"voice": "Ruth"},
        "captions": True,
        "placements": ["reels", "tiktok"],
        "overrides": {"output": {"x264_preset": "ultrafast"}},
    }
    # When it runs through the state machine
    result = engine.run(write_brief(tiny_brief(video={"duration": 3}, effects=effects)), chooser=pick(1))
    # Then the hook carries the voice over the ducked music at delivery loudness, and lasts the brief's 3 s
    assert result.succeeded, (result.error, result.message)
    render = result.output["render"]
    assert render["sound"].startswith("voiceover + music (music.wav)")
    hook = result.outputs["9:16"]
    assert probe(hook).duration == pytest.approx(3.0, abs=1 / 30)
    assert measure_loudness(hook).integrated == pytest.approx(-14.0, abs=1.0)
    assert engine.deps.store.exists("audio/bed.wav")


def test_missing_music_fails_at_validation_before_anything_is_generated(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    brief = tiny_brief(effects={"preset": "clean", "aspects": ["1:1"], "music": "audio/nowhere.mp3"})
    result = engine.run(write_brief(brief), chooser=pick(1))
    assert result.status == "FAILED" and result.error == "AudioInvalid"
    assert result.failed_state == "ValidateBrief" and "audio/nowhere.mp3" in result.message
