"""`hookforge presets` and `hookforge effects`: render without the rest of the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from hookforge.cli import app
from hookforge.effects import PRESETS
from hookforge.errors import EffectsInvalid, VideoInvalid
from hookforge.media import probe
from tests.conftest import write_clip

FAST = '{"output": {"x264_preset": "ultrafast"}}'


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("cli") / "clip.mp4", size="320x180", seconds=1, pattern="testsrc2")


def test_presets_lists_every_preset_with_its_first_second_sound_and_length() -> None:
    result = CliRunner().invoke(app, ["presets"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    names = [line.split()[0] for line in lines if not line.startswith(" ")]
    assert names == list(PRESETS)
    for preset in PRESETS.values():
        block = lines[lines.index(f"{preset.name:<10} {preset.description}") :][:4]
        assert [line.strip() for line in block[1:]] == [
            f"first second: {preset.first_second}",
            f"sound: {preset.sound}",
            f"length: {preset.length}",
        ]


@pytest.mark.slow
def test_effects_renders_each_aspect_and_prints_every_path(clip: Path, tmp_path: Path) -> None:
    # Given a clip, two aspects, hostile hook text and an override
    args = ["effects", str(clip), "--preset", "punchy", "--aspect", "1:1", "--aspect", "16:9"]
    args += ["--text", "50%: it's {here} \\o/", "--overrides", FAST, "--out", str(tmp_path)]
    # When the command runs
    result = CliRunner().invoke(app, args)
    # Then stdout is exactly the hooks, the poster and the preview, one path per line, all written
    assert result.exit_code == 0, result.output
    paths = [Path(line) for line in result.stdout.strip().splitlines()]
    assert [p.name for p in paths] == ["1x1.mp4", "16x9.mp4", "poster.jpg", "preview.gif"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert (probe(paths[1]).width, probe(paths[1]).height) == (1920, 1080)


def test_effects_with_a_zero_byte_clip_is_video_invalid(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    result = CliRunner().invoke(app, ["effects", str(empty), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0 and isinstance(result.exception, VideoInvalid)


def test_effects_with_bad_overrides_json_is_effects_invalid(clip: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["effects", str(clip), "--overrides", '{"zoom":', "--out", str(tmp_path)])
    assert isinstance(result.exception, EffectsInvalid) and "JSON" in str(result.exception)


@pytest.mark.slow
def test_effects_guides_write_one_png_per_placement_with_the_ui_drawn(clip: Path, tmp_path: Path) -> None:
    # Given two aspects and --guides, restricted to two 9:16 placements
    args = ["effects", str(clip), "--preset", "clean", "--aspect", "9:16", "--aspect", "4:5", "--text", "Hi there"]
    args += ["--placement", "tiktok", "--placement", "reels", "--guides", "--overrides", FAST, "--out", str(tmp_path)]
    # When the command runs
    result = CliRunner().invoke(app, args)
    # Then after the hooks it prints one guide per targeted placement (4:5 keeps its own: the feed)
    assert result.exit_code == 0, result.output
    paths = [Path(line) for line in result.stdout.strip().splitlines()]
    guides = [p for p in paths if p.parent.name == "guides"]
    assert sorted(p.name for p in guides) == ["guide-feed-4x5.png", "guide-reels.png", "guide-tiktok.png"]
    # and each is frame 0 of its placement with the interface shaded: its bottom band differs from the hook's frame
    from PIL import Image, ImageChops, ImageStat

    from hookforge.media import frame_at

    frame = frame_at(tmp_path / "9x16.mp4", 0.0)
    with Image.open(tmp_path / "guides" / "guide-tiktok.png") as guide:
        assert guide.size == frame.size
        band = (0, int(frame.height * 0.8), frame.width, frame.height)
        shaded = ImageChops.difference(guide.convert("RGB").crop(band), frame.crop(band))
        assert ImageStat.Stat(shaded.convert("L")).mean[0] > 10


def test_effects_with_an_unknown_placement_or_a_bad_focus_fails_before_rendering(clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["effects", str(clip), "--placement", "myspace", "--out", str(out)])
    assert isinstance(result.exception, EffectsInvalid) and "tiktok" in str(result.exception)
    result = CliRunner().invoke(app, ["effects", str(clip), "--focus", "left", "--out", str(out)])
    assert isinstance(result.exception, EffectsInvalid) and "--focus" in str(result.exception)
    result = CliRunner().invoke(app, ["effects", str(clip), "--focus", "1.5,0.2", "--out", str(out)])
    assert isinstance(result.exception, EffectsInvalid) and "effects.focus" in str(result.exception)
    assert not out.exists()


@pytest.mark.slow
def test_effects_no_audio_renders_a_silent_file(clip: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["effects", str(clip), "--no-audio", "--overrides", FAST, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not probe(tmp_path / "9x16.mp4").has_audio


@pytest.mark.slow
def test_effects_voiceover_is_spoken_over_the_hook_and_said_so(clip: Path, tmp_path: Path) -> None:
    from hookforge.effects.sound import measure_loudness

    # Given a spoken line (espeak-ng locally) and captions timed by it
    args = ["effects", str(clip), "--preset", "clean", "--text", "Drop day", "--captions", "--voiceover", "Drop day"]
    result = CliRunner().invoke(app, [*args, "--duration", "1", "--overrides", FAST, "--out", str(tmp_path)])
    # Then the hook carries the voice at delivery loudness, and the summary names it
    assert result.exit_code == 0, result.output
    assert "sound: voiceover" in result.output
    assert measure_loudness(tmp_path / "9x16.mp4").integrated == pytest.approx(-14.0, abs=1.0)
