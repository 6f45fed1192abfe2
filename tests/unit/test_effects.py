"""The effects engine on tiny generated clips with real ffmpeg (Given/When/Then)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageStat

from hookforge.effects import PRESETS, output_size, plan_duration, plan_render, render, resolve_look
from hookforge.effects.mix import Soundtrack
from hookforge.effects.render import plan_timing, ramp_time
from hookforge.effects.safezones import text_zone
from hookforge.effects.specs import SpeedRampSpec, TextSpec
from hookforge.effects.text import (
    _font,
    ass_escape,
    captions_ass,
    clean_text,
    layout_text,
)
from hookforge.errors import EffectsInvalid, VideoInvalid
from hookforge.media import RENDER_ENCODERS, RENDER_FILTERS, ffmpeg_exe, frame_at, probe
from hookforge.models import EffectsSpec

pytestmark = pytest.mark.slow

#: outputs in these tests are a quarter of the real size (270x480 for 9:16), except the one real-size check
SMALL = 0.25
HOSTILE_TEXTS = [
    "it's \"quoted\" 'twice'",
    "a:b;c,d=e [x] {y}",
    "back\\slash \\n \\\\ end\\",
    "%{pts} %{localtime} %{eif:1:d}",
    "50% off: $9.99 \\{ok}",
]


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120)


def _encode(args: list[str], out: Path, seconds: float) -> Path:
    _ffmpeg(*args, "-t", f"{seconds}", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out))
    return out


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Given tiny source clips: moving test pattern, a still white square on black, flat black."""
    d = tmp_path_factory.mktemp("clips")
    return {
        "moving": _encode(["-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30"], d / "moving.mp4", 2),
        "square": _encode(
            [
                "-f",
                "lavfi",
                "-i",
                "color=black:size=320x180:rate=30",
                "-vf",
                "drawbox=x=130:y=60:w=60:h=60:c=white:t=fill",
            ],
            d / "square.mp4",
            2,
        ),
        "black": _encode(["-f", "lavfi", "-i", "color=black:size=320x180:rate=30"], d / "black.mp4", 1.5),
    }


def _bright_bbox(img: Image.Image, threshold: int = 128) -> tuple[int, int, int, int] | None:
    mask = img.convert("L").point(lambda p: 255 if p > threshold else 0)
    return mask.getbbox()


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    diff = ImageChops.difference(a.convert("L"), b.convert("L"))
    hist = diff.histogram()
    return sum(i * n for i, n in enumerate(hist)) / (a.width * a.height)


# ------------------------------------------------------------------------------------------ outputs
@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_renders_every_aspect_with_the_right_format(
    preset: str, clips: dict[str, Path], tmp_path: Path
) -> None:
    # Given a 2 s 320x180 clip and hook text
    aspects = ["9:16", "1:1", "4:5", "16:9"]
    # When the preset renders all four aspects in one pass
    result = render(clips["moving"], tmp_path, preset=preset, aspects=aspects, text="Wait for it", size_scale=SMALL)
    # Then every output is H.264 yuv420p at 30 fps, the aspect's size, and the planned length
    expected = plan_duration(resolve_look(preset), 2.0)
    assert set(result.outputs) == set(aspects)
    for aspect, path in result.outputs.items():
        info = probe(path)
        assert (info.codec, info.pix_fmt, info.fps) == ("h264", "yuv420p", 30.0)
        assert (info.width, info.height) == output_size(aspect, SMALL)
        assert info.duration == pytest.approx(expected, abs=0.1)
        assert info.has_audio
    # and the poster is a JPEG, the preview an animated GIF no longer than 3 s
    with Image.open(result.poster) as poster:
        assert poster.format == "JPEG" and poster.width == 540
    with Image.open(result.preview) as preview:
        assert preview.format == "GIF" and preview.width == 270
        assert 5 <= preview.n_frames <= 31
    # and no side files are left behind
    assert not list(tmp_path.glob(".*"))


def test_render_is_one_ffmpeg_invocation_with_one_decode_and_a_split(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given three aspects
    # When the render is planned
    plan = plan_render(clips["moving"], tmp_path, preset="punchy", aspects=["9:16", "1:1", "16:9"], text="Hi")
    # Then it is one argument list reading the source once (the other input is the sound made for it: the preset's
    # bed and its effects, mixed and encoded once), with one filter graph that splits per aspect
    inputs = [plan.args[i + 1] for i, a in enumerate(plan.args) if a == "-i"]
    assert inputs.count(str(clips["moving"])) == 1
    made = {str(p) for p in plan.temp_files if p.suffix == ".m4a"}
    assert set(inputs) - {str(clips["moving"])} == made and len(made) == 1
    assert plan.args.count("-filter_complex") == 1
    graph = plan.args[plan.args.index("-filter_complex") + 1]
    assert "split=3" in graph
    written = [arg for arg in plan.args if arg.endswith((".mp4", ".jpg", ".gif")) and arg not in inputs]
    assert written == [*map(str, [plan.poster, plan.preview, *plan.outputs.values()])]
    for temp in plan.temp_files:
        temp.unlink()


@pytest.mark.parametrize("preset", list(PRESETS))
def test_every_filter_and_encoder_a_preset_uses_is_one_the_renderer_check_requires(
    preset: str, clips: dict[str, Path], tmp_path: Path
) -> None:
    # Given each preset with every optional effect on, as hook text and as captions, with webp and gif previews,
    # once with the preset's own sound and once with a short music file ducked under a voiceover
    used_filters: set[str] = set()
    used_encoders: set[str] = set()
    music, speech = tmp_path / "music.wav", tmp_path / "speech.wav"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=220:duration=1.2", str(music))
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=900:duration=1", str(speech))
    voiced = Soundtrack(music=music, music_seconds=1.2, speech=speech, speech_seconds=1.0)
    everything = {
        "grain": {},
        "grade": {"curves": "vintage", "tint": "warm", "lift": 0.05},
        "reframe": {"mode": "blur"},
    }
    for captions, preview, sound in ((False, "gif", None), (True, "webp", voiced)):
        overrides = {**everything, "output": {"preview": preview}}
        # When its render is planned
        plan = plan_render(
            clips["moving"], tmp_path, preset=preset, aspects=["9:16", "16:9"], text="Hi", captions=captions,
            overrides=overrides, soundtrack=sound,
        )  # fmt: skip
        graph = plan.args[plan.args.index("-filter_complex") + 1]
        used_filters |= set(re.findall(r"(?:^|[\],;])([a-z_0-9]+)(?:=|\[|;|$)", graph))
        used_encoders |= {plan.args[i + 1] for i, a in enumerate(plan.args) if a in ("-vcodec", "-acodec")} - {"copy"}
        used_encoders |= {"gif" if preview == "gif" else "libwebp_anim", "mjpeg"}  # chosen by the file extension
        # the synthesized sound is rendered once before the plan, from ffmpeg's own sources, into float WAVs
        used_filters |= {"aevalsrc"} | ({"ebur128"} if plan.sound.measured else set())
        used_encoders |= {"pcm_f32le"} if any(p.suffix == ".wav" for p in plan.temp_files) else set()
        # the sound is encoded once, to the track every placement copies
        used_encoders |= {"aac"} if any(p.suffix == ".m4a" for p in plan.temp_files) else set()
        for temp in plan.temp_files:
            temp.unlink()
    # Then `python -m hookforge.media` (the container build's check) asks for every one of them
    assert used_filters and used_filters <= set(RENDER_FILTERS), used_filters - set(RENDER_FILTERS)
    assert used_encoders <= set(RENDER_ENCODERS), used_encoders - set(RENDER_ENCODERS)


def test_real_size_9x16_output_is_1080x1920(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given the default (real) output size
    # When the clean preset renders 9:16 with the fastest encoder setting
    result = render(
        clips["black"], tmp_path, preset="clean", aspects=["9:16"], overrides={"output": {"x264_preset": "ultrafast"}}
    )
    # Then the hook is full-HD portrait
    info = probe(result.outputs["9:16"])
    assert (info.width, info.height, info.fps, info.pix_fmt) == (1080, 1920, 30.0, "yuv420p")
    assert info.duration == pytest.approx(1.5, abs=0.1)


def test_webp_preview_when_asked(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given an override asking for a WebP preview
    result = render(
        clips["moving"],
        tmp_path,
        preset="clean",
        aspects=["1:1"],
        overrides={"output": {"preview": "webp"}},
        size_scale=SMALL,
    )
    # Then the preview is an animated WebP
    assert result.preview.suffix == ".webp"
    with Image.open(result.preview) as preview:
        assert preview.format == "WEBP" and preview.n_frames > 1


# ------------------------------------------------------------------------------------------ effects
def test_zoom_changes_framing_smoothly_over_time(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given a still white square on black and a push-in from 1.0x to 1.5x over the whole clip
    overrides = {"zoom": {"start": 1.0, "end": 1.5, "ease": "linear"}, "fade": None}
    # When rendered at 16:9 (no reframe crop: same aspect as the source)
    result = render(
        clips["square"], tmp_path, preset="clean", aspects=["16:9"], overrides=overrides, size_scale=SMALL,
        focus=(0.5, 0.5),
    )  # fmt: skip
    # Then the square grows frame after frame (the framing changes, and never steps back: no jitter)
    width, height = output_size("16:9", SMALL)
    widths = []
    for t in (0.05, 0.3, 0.6, 0.9, 1.2, 1.5, 1.9):
        box = _bright_bbox(frame_at(result.outputs["16:9"], t))
        assert box is not None
        widths.append(box[2] - box[0])
        # a zoom toward the centre: the square stays centred
        assert abs((box[0] + box[2]) / 2 - width / 2) <= 2 and abs((box[1] + box[3]) / 2 - height / 2) <= 2
    assert widths == sorted(widths)
    assert widths[-1] >= widths[0] * 1.35


def test_shake_moves_the_picture_only_while_it_lasts(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given a still square and a strong shake during the first second
    overrides = {"shake": {"amplitude": 0.04, "frequency": 6, "at": 0.0, "duration": 1.0}, "fade": None}
    result = render(clips["square"], tmp_path, preset="clean", aspects=["16:9"], overrides=overrides, size_scale=SMALL)
    # Then the square's position wanders during the shake and is back at rest afterwards
    positions = [_bright_bbox(frame_at(result.outputs["16:9"], t)) for t in (0.2, 0.3, 0.4, 1.5, 1.8)]
    assert len({box[:2] for box in positions[:3] if box}) > 1
    assert positions[3] == positions[4]


def test_boomerang_loop_plays_back_and_ends_where_it_starts(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given a moving clip and the loop preset
    result = render(clips["moving"], tmp_path, preset="loop", aspects=["16:9"], size_scale=SMALL)
    out = result.outputs["16:9"]
    # Then it is clip + reverse minus the crossfade, and its last frame matches its first
    assert probe(out).duration == pytest.approx(2 * 2.0 - 0.3, abs=0.1)
    first, middle, last = frame_at(out, 0.0), frame_at(out, 1.0), frame_at(out, result.duration - 0.04)
    assert _mean_diff(first, last) < _mean_diff(first, middle) / 3


def test_flash_transition_whitens_the_cut(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given a black clip and a white flash cut in the middle
    overrides = {"transition": {"kind": "flash", "at": 0.5, "duration": 0.3}, "fade": None}
    result = render(clips["black"], tmp_path, preset="clean", aspects=["16:9"], overrides=overrides, size_scale=SMALL)
    out = result.outputs["16:9"]

    # Then the frame at the cut is bright while the rest stays black, and the length is unchanged
    def brightness(t: float) -> float:
        return ImageStat.Stat(frame_at(out, t).convert("L")).mean[0]

    assert brightness(0.9) > 100  # the flash peaks mid-transition: 0.75 s + 0.15 s
    assert brightness(0.2) < 20 and brightness(1.35) < 20
    assert probe(out).duration == pytest.approx(1.5, abs=0.1)


def test_whip_transition_slides_the_picture_and_keeps_the_length(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given a still square and a slow whip in the middle
    overrides = {"transition": {"kind": "whip", "at": 0.5, "duration": 0.4}, "fade": None, "zoom": None}
    result = render(clips["square"], tmp_path, preset="clean", aspects=["16:9"], overrides=overrides, size_scale=SMALL)
    out = result.outputs["16:9"]
    # Then mid-whip the picture is displaced sideways, before and after it is where it was
    still = _bright_bbox(frame_at(out, 0.2))
    assert still is not None and _bright_bbox(frame_at(out, 1.4)) == still
    moving = _bright_bbox(frame_at(out, 1.2))  # the whip runs from 1.0 s to 1.4 s
    assert moving != still
    assert probe(out).duration == pytest.approx(2.0, abs=0.1)


def test_speed_ramp_keeps_the_length_and_changes_the_pace(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given a ramp from half speed to double speed on a 2 s moving clip, framed as the source (16:9, no zoom)
    spec = {"start_speed": 0.5, "end_speed": 2.0, "ramp_at": 0.5, "ramp_duration": 0.5}
    overrides = {"speed": spec, "zoom": None}
    result = render(clips["moving"], tmp_path, preset="clean", aspects=["16:9"], overrides=overrides, size_scale=1.5)
    out = result.outputs["16:9"]
    # Then the hook lasts as long as the clip (the ramp's shape is scaled to keep the total)
    assert probe(out).duration == pytest.approx(2.0, abs=1 / 30)
    timing = plan_timing(resolve_look("clean", overrides), 2.0)
    assert timing.stretch == pytest.approx(2.0 / ramp_time(SpeedRampSpec(**spec), 2.0))

    # and each output moment shows the source moment the scaled ramp maps it to, not the same moment
    def source_time(t_out: float) -> float:
        lo, hi = 0.0, 2.0
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if timing.stretch * ramp_time(SpeedRampSpec(**spec), mid) < t_out else (lo, mid)
        return lo

    for t_out in (0.8, 1.5):
        shown = frame_at(out, t_out).resize((320, 180))
        mapped = frame_at(clips["moving"], source_time(t_out))
        same_time = frame_at(clips["moving"], t_out)
        assert _mean_diff(shown, mapped) < _mean_diff(shown, same_time)


def test_progress_is_reported_up_to_done(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given a progress callback
    seen: list[float] = []
    # When a render runs with it
    render(clips["moving"], tmp_path, preset="clean", aspects=["1:1"], size_scale=SMALL, progress=seen.append)
    # Then it hears rising fractions ending at done
    assert seen and seen == sorted(seen) and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)


def test_ramp_time_is_monotonic() -> None:
    spec = SpeedRampSpec(start_speed=2.0, end_speed=0.25, ramp_at=1.0, ramp_duration=2.0)
    times = [ramp_time(spec, t / 10) for t in range(60)]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_text_is_drawn_inside_the_safe_area(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given the same black clip rendered without and with hook text at the top
    common = {"preset": "clean", "aspects": ["9:16"], "size_scale": SMALL, "overrides": {"fade": None}}
    plain = render(clips["black"], tmp_path / "plain", **common)  # type: ignore[arg-type]
    titled = render(clips["black"], tmp_path / "titled", text="Stop scrolling", **common)  # type: ignore[arg-type]
    # Then the pixels differ inside the text box and the box sits below the top safe margin
    a, b = frame_at(plain.outputs["9:16"], 1.0), frame_at(titled.outputs["9:16"], 1.0)
    box = ImageChops.difference(a, b).convert("L").point(lambda p: 255 if p > 40 else 0).getbbox()
    assert box is not None
    x0, y0, x1, y1 = text_zone("9:16").to_pixels(*output_size("9:16", SMALL))
    assert box[1] >= y0 - 1 and box[3] <= y1 + 1
    assert box[0] >= x0 - 1 and box[2] <= x1 + 1


def test_text_enters_at_its_start_time(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given hook text that enters at 0.8 s
    overrides = {"fade": None, "text": {"start": 0.8, "fade": 0.1}}
    result = render(
        clips["black"], tmp_path, preset="clean", aspects=["1:1"], text="Later", overrides=overrides, size_scale=SMALL
    )
    # Then nothing is drawn before it and the text is there after it
    assert _bright_bbox(frame_at(result.outputs["1:1"], 0.3)) is None
    assert _bright_bbox(frame_at(result.outputs["1:1"], 1.2)) is not None


def _expected_ink_width(text: str, aspect: str, size: tuple[int, int], spec: TextSpec) -> int:
    layout = layout_text(clean_text(text), spec, *size, text_zone(aspect))
    widths = []
    for line in layout.lines:
        canvas = Image.new("L", (size[0] * 2, layout.fontsize * 2), 0)
        ImageDraw.Draw(canvas).text((10, 10), line, font=_font(layout.fontsize), fill=255)
        box = canvas.point(lambda p: 255 if p > 128 else 0).getbbox()
        widths.append(box[2] - box[0] if box else 0)
    return max(widths)


@pytest.mark.parametrize("hostile", HOSTILE_TEXTS)
def test_hostile_text_renders_literally(hostile: str, clips: dict[str, Path], tmp_path: Path) -> None:
    # Given text full of quoting, escapes and drawtext expansions, drawn without an outline
    overrides = {"fade": None, "text": {"border": 0.0, "start": 0.0, "fade": 0.0}}
    # When it is rendered (the render must not fail)
    result = render(
        clips["black"], tmp_path, preset="clean", aspects=["16:9"], text=hostile, overrides=overrides, size_scale=0.5
    )
    # Then the drawn text is exactly as wide as the literal string set in the same font and size:
    # an expanded %{pts}, a swallowed backslash or a cut at a colon would change the width
    box = _bright_bbox(frame_at(result.outputs["16:9"], 0.7))
    assert box is not None
    spec = resolve_look("clean", overrides).text
    expected = _expected_ink_width(hostile, "16:9", output_size("16:9", 0.5), spec)
    assert box[2] - box[0] == pytest.approx(expected, abs=3)


def test_hostile_captions_render_through_libass(clips: dict[str, Path], tmp_path: Path) -> None:
    # Given ASS override syntax as caption text
    text = r"{\b1\c&H0000FF&}red? \N no {\fs200}big"
    common = {"preset": "clean", "aspects": ["1:1"], "size_scale": 0.5, "overrides": {"fade": None}}
    # When burnt in as captions
    result = render(clips["black"], tmp_path, text=text, captions=True, **common)  # type: ignore[arg-type]
    # Then the render succeeds and draws white (not red, not huge) text in the lower part of the frame
    frame = frame_at(result.outputs["1:1"], 0.2)
    box = _bright_bbox(frame)
    assert box is not None
    width, height = output_size("1:1", 0.5)
    assert box[1] > height / 2 and (box[3] - box[1]) < height * 0.2
    r, g, b = frame.getpixel(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2))
    assert not (r > 150 and g < 80 and b < 80)


def test_ass_escape_neutralises_override_blocks_and_line_breaks() -> None:
    escaped = ass_escape(r"{\b1}x\Ny\nz\h")
    assert "{" not in escaped.replace("\\{", "")
    assert "\\N" not in escaped and "\\n" not in escaped and "\\h" not in escaped


def test_captions_script_times_chunks_across_the_clip() -> None:
    spec = resolve_look("clean", {"captions": {"words_per_caption": 2}}).captions
    assert spec is not None
    script = captions_ass("one two three four five", spec, 1080, 1920, 3.0, text_zone("9:16"))
    dialogues = [line for line in script.splitlines() if line.startswith("Dialogue:")]
    assert len(dialogues) == 3
    assert dialogues[0].startswith("Dialogue: 0,0:00:00.00,0:00:01.00,")
    assert dialogues[-1].endswith(",five") and "0:00:03.00" in dialogues[-1]


def test_long_text_is_wrapped_and_shrunk_to_fit_the_safe_width() -> None:
    spec = TextSpec(max_lines=2)
    layout = layout_text("the quick brown fox jumps over the lazy dog " * 2, spec, 1080, 1920, text_zone("9:16"))
    assert len(layout.lines) <= 2
    assert layout.fontsize < round(spec.size * 1080)


# ------------------------------------------------------------------------------------------ bad input
def test_zero_byte_input_is_video_invalid(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(VideoInvalid, match="empty"):
        render(empty, tmp_path / "out", preset="clean")


def test_truncated_input_is_video_invalid(clips: dict[str, Path], tmp_path: Path) -> None:
    data = clips["moving"].read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(VideoInvalid):
        render(cut, tmp_path / "out", preset="clean")


def test_non_video_input_is_video_invalid(tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 100)
    with pytest.raises(VideoInvalid):
        render(text, tmp_path / "out", preset="clean")


def test_audio_only_input_is_video_invalid(tmp_path: Path) -> None:
    audio = tmp_path / "tone.m4a"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(audio))
    with pytest.raises(VideoInvalid, match="video"):
        render(audio, tmp_path / "out", preset="clean")


def test_over_long_input_is_video_invalid(tmp_path: Path) -> None:
    long = _encode(["-f", "lavfi", "-i", "color=black:size=32x32:rate=2"], tmp_path / "long.mp4", 61)
    with pytest.raises(VideoInvalid, match="at most 60s"):
        render(long, tmp_path / "out", preset="clean")


def test_unknown_preset_and_aspect_and_bad_override_are_effects_invalid(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(EffectsInvalid, match="punchy"):
        render(clips["black"], tmp_path, preset="sparkly")
    with pytest.raises(EffectsInvalid, match="aspect"):
        render(clips["black"], tmp_path, preset="clean", aspects=["3:2"])
    with pytest.raises(EffectsInvalid, match="zoom.end"):
        render(clips["black"], tmp_path, preset="clean", overrides={"zoom": {"end": 9}})
    with pytest.raises(EffectsInvalid, match="200"):
        render(clips["black"], tmp_path, preset="clean", text="x" * 201)


def test_brief_effects_spec_rejects_an_unknown_preset() -> None:
    with pytest.raises(ValueError, match="unknown effects preset"):
        EffectsSpec(preset="sparkly")
    assert EffectsSpec(preset="cinematic", overrides={"grain": None}).preset == "cinematic"
