"""What makes a hook shippable, measured on real renders: the first frame, the sound, the safe zones, the framing
and the length (Given/When/Then, real ffmpeg on small generated clips)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from hookforge.effects import PRESETS, output_size, render
from hookforge.effects.mix import SPEECH_AT, Soundtrack
from hookforge.effects.render import RenderResult
from hookforge.effects.safezones import PLACEMENTS
from hookforge.effects.sound import measure_loudness
from hookforge.media import ffmpeg_exe, frame_at, probe, run_ffmpeg

pytestmark = pytest.mark.slow

SMALL = 0.25
ASPECTS = ["9:16", "1:1", "4:5", "16:9"]
SECONDS = 3.0
FPS = 30
TEXT = "Stop scrolling: this changes mornings"


def _luma(img: Image.Image) -> float:
    return float(ImageStat.Stat(img.convert("L")).mean[0])


def audio_samples(path: Path) -> np.ndarray:
    """The first audio stream of a file as float32 samples, shape (n, channels)."""
    cmd = [ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "f32le", "-ac", "2", "-ar", "48000"]
    cmd.append("-")
    raw = subprocess.run(cmd, capture_output=True, check=True, timeout=120).stdout
    return np.frombuffer(raw, dtype="<f4").reshape(-1, 2)


def audio_codec(path: Path) -> str:
    log = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, timeout=60).stderr
    for line in log.decode("utf-8", "replace").splitlines():
        if "Audio:" in line:
            return line.split("Audio:")[1].strip()
    return ""


def energy_per_frame(samples: np.ndarray, fps: int = FPS) -> np.ndarray:
    hop = 48000 // fps
    n = len(samples) // hop
    frames = samples[: n * hop].reshape(n, hop, -1)
    return np.sqrt((frames**2).mean(axis=(1, 2)))


def onset_frame(envelope: np.ndarray, around: float, *, window: float = 0.5, fps: int = FPS) -> int:
    """The frame with the largest rise of energy within `window` seconds of `around`."""
    db = 20 * np.log10(envelope + 1e-6)
    rise = np.diff(np.concatenate([[-120.0], db]))
    lo, hi = max(0, round((around - window) * fps)), min(len(rise), round((around + window) * fps) + 1)
    return lo + int(np.argmax(rise[lo:hi]))


def write_source(path: Path, *, size: str = "320x180", seconds: float = SECONDS, audio: str | None = None) -> Path:
    """A moving test pattern (and, if given, an audio source such as a 'sine=...' lavfi graph)."""
    args = ["-y", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=30:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"{audio}:duration={seconds}", "-c:a", "aac", "-ar", "48000"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-shortest", str(path)]
    run_ffmpeg(args)
    return path


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_source(tmp_path_factory.mktemp("src") / "moving.mp4")


@pytest.fixture(scope="module")
def renders(source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[RenderResult, RenderResult]]:
    """Given every preset rendered to every aspect for a 3 s brief, with and without hook text."""
    out = tmp_path_factory.mktemp("renders")
    done = {}
    fast = {"output": {"x264_preset": "ultrafast"}}
    for name in PRESETS:
        common: dict[str, Any] = {"preset": name, "aspects": ASPECTS, "size_scale": SMALL, "duration": SECONDS}
        titled = render(source, out / name / "titled", text=TEXT, overrides=fast, **common)
        plain = render(source, out / name / "plain", overrides=fast, **common)
        done[name] = (titled, plain)
    return done


# ------------------------------------------------------------------------------------------ first second
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_frame_0_is_bright_and_carries_the_hook_text_in_every_placement(
    preset: str, renders: dict[str, tuple[RenderResult, RenderResult]]
) -> None:
    titled, plain = renders[preset]
    for aspect in ASPECTS:
        # Then frame 0 is at least 80 % as bright as the frame at 1 s (no fade from black)
        first, later = frame_at(plain.outputs[aspect], 0.0), frame_at(plain.outputs[aspect], 1.0)
        assert _luma(first) >= 0.8 * _luma(later), (aspect, _luma(first), _luma(later))
        # and the hook text is already drawn on frame 0
        diff = ImageChops.difference(frame_at(titled.outputs[aspect], 0.0), first).convert("L")
        ink = sum(diff.point(lambda p: 255 if p > 60 else 0).histogram()[255:])
        assert ink > 150, (aspect, ink)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_the_picture_changes_within_the_first_0_3_seconds(
    preset: str, renders: dict[str, tuple[RenderResult, RenderResult]]
) -> None:
    _, plain = renders[preset]
    first, early = frame_at(plain.outputs["9:16"], 0.0), frame_at(plain.outputs["9:16"], 0.3)
    moved = ImageStat.Stat(ImageChops.difference(first, early).convert("L")).mean[0]
    assert moved > 4.0, moved


def test_the_poster_is_frame_0(renders: dict[str, tuple[RenderResult, RenderResult]]) -> None:
    titled, _ = renders["punchy"]
    with Image.open(titled.poster) as poster:
        first = frame_at(titled.outputs[ASPECTS[0]], 0.0).resize(poster.size)
        later = frame_at(titled.outputs[ASPECTS[0]], 1.5).resize(poster.size)
        assert _mean_abs(poster, first) < _mean_abs(poster, later)
        assert _mean_abs(poster, first) < 12


def _mean_abs(a: Image.Image, b: Image.Image) -> float:
    return float(ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L"))).mean[0])


# ------------------------------------------------------------------------------------------ sound and length
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_placement_has_aac_48k_stereo_at_minus_14_lufs_under_minus_1_dbtp(
    preset: str, renders: dict[str, tuple[RenderResult, RenderResult]]
) -> None:
    titled, _ = renders[preset]
    for aspect, path in titled.outputs.items():
        codec = audio_codec(path)
        assert codec.startswith("aac") and "48000 Hz" in codec and "stereo" in codec, codec
        loud = measure_loudness(path)
        assert loud.integrated == pytest.approx(-14.0, abs=1.0), (aspect, loud)
        assert loud.true_peak <= -1.0, (aspect, loud)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_placement_lasts_the_asked_length_with_sound_ending_with_the_picture(
    preset: str, renders: dict[str, tuple[RenderResult, RenderResult]]
) -> None:
    titled, _ = renders[preset]
    assert titled.duration == pytest.approx(SECONDS, abs=1 / FPS)
    for aspect, path in titled.outputs.items():
        info = probe(path)
        assert info.duration == pytest.approx(SECONDS, abs=1 / FPS), aspect
        assert len(audio_samples(path)) / 48000 == pytest.approx(SECONDS, abs=1 / FPS), aspect
        assert (info.width, info.height) == output_size(aspect, SMALL)


def test_presets_list_their_first_second_move_sound_and_length() -> None:
    for preset in PRESETS.values():
        assert preset.first_second and preset.sound and preset.length


def test_sound_effects_land_on_their_visual_events(source: Path, tmp_path: Path) -> None:
    # Given punchy (impact on the punch-in at 0 s, riser into the flash) with its music bed off
    overrides = {"audio": {"bed": None}, "output": {"x264_preset": "ultrafast"}}
    result = render(source, tmp_path / "p", preset="punchy", aspects=["9:16"], size_scale=SMALL, duration=SECONDS,
                    overrides=overrides)  # fmt: skip
    assert result.sound is not None
    events = {e.kind: e.at for e in result.sound.events}
    assert set(events) == {"impact", "riser"}
    envelope = energy_per_frame(audio_samples(result.outputs["9:16"]))
    # the flash: the first frame that is much brighter than the one before
    lumas = [_luma(frame_at(result.outputs["9:16"], i / FPS)) for i in range(int(SECONDS * FPS) - 1)]
    flash = next(i for i in range(1, len(lumas)) if lumas[i] - lumas[i - 1] > 8)
    # Then the riser's hit starts within 2 frames of the flash, the impact within 2 frames of frame 0
    assert abs(onset_frame(envelope, flash / FPS) - flash) <= 2, (onset_frame(envelope, flash / FPS), flash)
    assert onset_frame(envelope, 0.0, window=0.2) <= 2


def test_a_whoosh_lands_on_the_whip(source: Path, tmp_path: Path) -> None:
    # Given the clean preset with a whip transition and no bed
    overrides = {"audio": {"bed": None}, "transition": {"kind": "whip", "at": 0.5, "duration": 0.25}, "zoom": None,
                 "output": {"x264_preset": "ultrafast"}}  # fmt: skip
    result = render(source, tmp_path / "w", preset="clean", aspects=["16:9"], size_scale=SMALL, duration=SECONDS,
                    overrides=overrides)  # fmt: skip
    assert result.sound is not None and [e.kind for e in result.sound.events] == ["whoosh"]
    cut = result.sound.events[0].at
    # the whip: the frame where the picture starts sliding (the largest jump in frame difference near the cut)
    frames = [frame_at(result.outputs["16:9"], i / FPS) for i in range(int(SECONDS * FPS) - 1)]
    diffs = [_mean_abs(frames[i], frames[i - 1]) for i in range(1, len(frames))]
    lo = round((cut - 0.5) * FPS)
    jumps = [diffs[i] - diffs[i - 1] for i in range(lo, lo + FPS)]
    slide = lo + 1 + int(np.argmax(jumps))
    envelope = energy_per_frame(audio_samples(result.outputs["16:9"]))
    assert abs(onset_frame(envelope, cut) - slide) <= 2, (onset_frame(envelope, cut), slide)


def test_the_clips_own_sound_survives_and_keeps_sync(tmp_path: Path) -> None:
    # Given a clip with its own 440 Hz tone (as veo3.1 returns with sound)
    clip = write_source(tmp_path / "voiced.mp4", audio="sine=frequency=440:sample_rate=48000")
    # When a preset with a speed ramp renders it
    result = render(clip, tmp_path / "o", preset="punchy", aspects=["9:16"], size_scale=SMALL, duration=SECONDS,
                    overrides={"audio": {"sfx": False}, "output": {"x264_preset": "ultrafast"}})  # fmt: skip
    # Then the hook's sound is the clip's own tone (no bed mixed in), and the ramp was left out, said so
    assert result.sound is not None and result.sound.stems == ["clip sound"]
    assert any("speed ramp" in note for note in result.notes)
    samples = audio_samples(result.outputs["9:16"])[:, 0]
    spectrum = np.abs(np.fft.rfft(samples[48000:96000]))
    assert abs(int(np.argmax(spectrum)) - 440) <= 2
    assert measure_loudness(result.outputs["9:16"]).integrated == pytest.approx(-14.0, abs=1.0)


def test_a_clip_with_an_empty_sound_track_gets_the_presets_bed(tmp_path: Path) -> None:
    # Given a clip whose audio track is silence (image-to-video models often add one)
    clip = write_source(tmp_path / "hushed.mp4", audio="anullsrc=r=48000:cl=stereo")
    # When punchy renders it
    result = render(clip, tmp_path / "o", preset="punchy", aspects=["9:16"], size_scale=SMALL, duration=SECONDS,
                    overrides={"output": {"x264_preset": "ultrafast"}})  # fmt: skip
    # Then the silence is not kept as "the clip's sound": the bed plays, the ramp stays, at delivery loudness
    assert result.sound is not None and result.sound.stems[0] == "drive bed"
    assert not any("speed ramp" in note for note in result.notes)
    assert measure_loudness(result.outputs["9:16"]).integrated == pytest.approx(-14.0, abs=1.0)


def test_no_audio_when_the_brief_opts_out(source: Path, tmp_path: Path) -> None:
    result = render(source, tmp_path / "o", preset="clean", aspects=["1:1"], size_scale=SMALL,
                    soundtrack=Soundtrack(enabled=False))  # fmt: skip
    assert not probe(result.outputs["1:1"]).has_audio


def test_a_short_music_file_loops_and_speech_ducks_it(source: Path, tmp_path: Path) -> None:
    # Given a 1.2 s music loop (a 220 Hz tone) and a spoken line (a 1 kHz burst standing in for speech)
    music, speech = tmp_path / "loop.wav", tmp_path / "voice.wav"
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "sine=frequency=220:duration=1.2:sample_rate=48000", str(music)])
    run_ffmpeg(["-y", "-f", "lavfi", "-i", "sine=frequency=1000:duration=1.0:sample_rate=48000", str(speech)])
    track = Soundtrack(music=music, music_seconds=1.2, speech=speech, speech_seconds=1.0)
    # When the clean preset renders with them (no sound effects)
    result = render(source, tmp_path / "o", preset="clean", aspects=["9:16"], size_scale=SMALL, duration=SECONDS,
                    soundtrack=track, overrides={"audio": {"sfx": False}})  # fmt: skip
    samples = audio_samples(result.outputs["9:16"])[:, 0]

    def tone(at: float, hz: int) -> float:
        part = samples[int(at * 48000) : int(at * 48000) + 9600]
        spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part))))
        return float(spectrum[int(hz * len(part) / 48000)])

    # Then the music keeps playing to the end (looped past its 1.2 s)
    assert tone(2.5, 220) > 0.2 * tone(1.6, 220) > 0
    # and it is quieter while the voice speaks than after
    assert tone(SPEECH_AT + 0.5, 220) < 0.7 * tone(1.8, 220)
    assert tone(SPEECH_AT + 0.5, 1000) > tone(1.8, 1000) * 5


# ------------------------------------------------------------------------------------------ safe zones
def test_9x16_text_stays_inside_reels_and_tiktok_safe_zones(
    renders: dict[str, tuple[RenderResult, RenderResult]],
) -> None:
    width, height = output_size("9:16", SMALL)
    for preset in PRESETS:
        titled, plain = renders[preset]
        diff = ImageChops.difference(frame_at(titled.outputs["9:16"], 0.0), frame_at(plain.outputs["9:16"], 0.0))
        box = diff.convert("L").point(lambda p: 255 if p > 40 else 0).getbbox()
        assert box is not None, preset
        for key in ("reels", "tiktok"):
            x0, y0, x1, y1 = PLACEMENTS[key].safe.to_pixels(width, height)
            assert x0 - 1 <= box[0] and box[2] <= x1 + 1 and y0 - 1 <= box[1] and box[3] <= y1 + 1, (preset, key, box)


def test_text_reads_the_same_size_in_every_placement(renders: dict[str, tuple[RenderResult, RenderResult]]) -> None:
    titled, plain = renders["clean"]
    heights = {}
    for aspect in ASPECTS:
        diff = ImageChops.difference(frame_at(titled.outputs[aspect], 0.0), frame_at(plain.outputs[aspect], 0.0))
        mask = diff.convert("L").point(lambda p: 255 if p > 40 else 0)
        # the height of the first line of ink: rows with ink from the top of the box to the first empty row
        box = mask.getbbox()
        assert box is not None
        rows = [any(mask.getpixel((x, y)) for x in range(box[0], box[2])) for y in range(box[1], box[3])]
        heights[aspect] = rows.index(False) if False in rows else len(rows)
    assert max(heights.values()) - min(heights.values()) <= 3, heights


# ------------------------------------------------------------------------------------------ framing
def _subject_clip(path: Path, *, x: float, y: float) -> Path:
    """A 16:9 clip with a red disc at (x, y) on a slowly drifting grey gradient."""
    width, height = 640, 360
    frames = path.parent / f"{path.stem}-frames"
    frames.mkdir()
    for i in range(30):
        img = Image.new("RGB", (width, height))
        draw = ImageDraw.Draw(img)
        for row in range(height):
            shade = 90 + (row + i) % 60
            draw.line([(0, row), (width, row)], fill=(shade, shade, shade + 10))
        r = 40
        cx, cy = int(x * width), int(y * height)
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(230, 20, 20))
        img.save(frames / f"{i:03d}.png")
    run_ffmpeg(["-y", "-framerate", "15", "-i", str(frames / "%03d.png"), "-c:v", "libx264", "-preset", "ultrafast",
                "-pix_fmt", "yuv420p", str(path)])  # fmt: skip
    return path


def _red_pixels(img: Image.Image) -> int:
    raw = np.asarray(img.convert("RGB")).astype(int)
    red, green, blue = raw[..., 0], raw[..., 1], raw[..., 2]
    return int(((red > 110) & (red > 2 * green) & (red > 2 * blue)).sum())


@pytest.mark.parametrize("x", [0.15, 0.85])
def test_an_off_centre_subject_stays_in_frame_after_every_crop(x: float, tmp_path: Path) -> None:
    # Given a 16:9 clip whose subject sits far off centre
    clip = _subject_clip(tmp_path / "subject.mp4", x=x, y=0.5)
    # When every preset reframes it to every aspect (crops forced, so no blurred fill can hide a bad crop)
    for preset in PRESETS:
        overrides = {"reframe": {"mode": "crop"}, "output": {"x264_preset": "ultrafast"}}
        result = render(clip, tmp_path / preset, preset=preset, aspects=ASPECTS, size_scale=SMALL,
                        overrides=overrides)  # fmt: skip
        # Then the subject (the red disc) is in every placement, whole enough to see, from frame 0 on (before the
        # flash whitens and the end fade darkens it)
        assert result.focus is not None and abs(result.focus.x - x) < 0.1
        for aspect, path in result.outputs.items():
            for t in (0.0, 0.4, 0.7):
                assert _red_pixels(frame_at(path, t)) > 200, (preset, aspect, t)


def test_a_focus_point_from_the_brief_steers_the_crop(tmp_path: Path) -> None:
    clip = _subject_clip(tmp_path / "subject.mp4", x=0.8, y=0.5)
    # Given a brief that points at the left edge instead of the subject
    result = render(clip, tmp_path / "o", preset="clean", aspects=["9:16"], size_scale=SMALL, focus=(0.1, 0.5),
                    overrides={"reframe": {"mode": "crop"}})  # fmt: skip
    # Then the crop follows the brief and the disc on the right is out of the 9:16 frame
    assert result.focus is not None and result.focus.source == "brief"
    assert _red_pixels(frame_at(result.outputs["9:16"], 0.5)) == 0


def test_auto_reframe_uses_the_blurred_fill_only_where_a_crop_would_cut_the_subject(tmp_path: Path) -> None:
    from hookforge.effects.focus import Focus
    from hookforge.effects.render import reframe_mode
    from hookforge.effects.specs import ReframeSpec

    spec = ReframeSpec(mode="auto")
    small = Focus(x=0.8, y=0.5, box=(0.72, 0.4, 0.88, 0.6), source="saliency")
    wide = Focus(x=0.5, y=0.5, box=(0.1, 0.3, 0.9, 0.7), source="saliency")
    assert reframe_mode(spec, (1280, 720), (1080, 1920), small) == "crop"
    assert reframe_mode(spec, (1280, 720), (1080, 1920), wide) == "blur"
    assert reframe_mode(spec, (1280, 720), (1920, 1080), wide) == "crop"
