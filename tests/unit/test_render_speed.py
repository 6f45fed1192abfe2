"""What the render does to start sooner and spend less, and that it changes nothing it delivers (real ffmpeg).

The sound is planned from the clip's header while the probe decodes the clip; the sound is encoded once, measured
from the encoder's own packets in the same run, and copied into every placement; on small machines the filters run
without slice threads; numpy loads with the focus finder, not before the render can start.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import ffmpeg
import pytest

from hookforge.effects import plan_render, render, resolve_look
from hookforge.effects.mix import AUDIO_OUTPUT, _encode_track
from hookforge.effects.sound import measure_loudness
from hookforge.errors import VideoInvalid
from hookforge.media import declared_info, ffmpeg_exe, probe

pytestmark = pytest.mark.slow

SMALL = 0.15


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=120)


def _clip(out: Path, video_seconds: float, audio_seconds: float | None = None, *, faststart: bool = False) -> Path:
    args = ["-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=30:d={video_seconds}"]
    if audio_seconds is not None:
        args += ["-f", "lavfi", "-i", f"sine=frequency=330:sample_rate=48000:d={audio_seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio_seconds is not None:
        args += ["-c:a", "aac"]
    if faststart:
        args += ["-movflags", "+faststart"]
    _ffmpeg(*args, str(out))
    return out


def _stream_seconds(path: Path, kind: str) -> float:
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", f"0:{kind}:0", "-f", "null", "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    stamps = [x for x in proc.stderr.decode().split("time=")[1:] if x[:2].isdigit()]
    h, m, s = stamps[-1].split()[0].split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def _sound_files(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.glob(".sound-*"))


# ------------------------------------------------------------------------------------------ the header first
def test_the_header_describes_a_clip_as_the_probe_does(tmp_path: Path) -> None:
    # Given a whole clip with sound
    clip = _clip(tmp_path / "clip.mp4", 2, 2)
    # When its header is read (no decoding) and when it is probed (decoded)
    header, decoded = declared_info(clip), probe(clip)
    # Then both describe the same clip
    assert header == decoded


def test_a_header_ffmpeg_cannot_read_gives_nothing(tmp_path: Path) -> None:
    notes = tmp_path / "notes.mp4"
    notes.write_text("not a video\n" * 50)
    assert declared_info(notes) is None


def test_the_sound_is_made_once_when_the_header_agrees_with_the_decoded_clip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a 2 s clip whose header says 2 s, and a count of the sound's making
    clip = _clip(tmp_path / "clip.mp4", 2)
    calls = _count_sound(monkeypatch)
    # When it is rendered with a preset that has sound effects
    result = render(clip, tmp_path / "out", preset="punchy", aspects=["9:16"], size_scale=SMALL)
    # Then the sound was made once, from the header, and no sound file is left behind
    assert len(calls) == 1 and calls[0] == pytest.approx(2.0, abs=0.04)
    assert result.duration == pytest.approx(2.0, abs=0.04)
    assert _sound_files(tmp_path / "out") == []


def test_the_sound_is_made_again_when_the_decoded_clip_is_shorter_than_its_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a clip whose sound (2.4 s) outlasts its picture (2 s): the header says 2.4 s, the decode 2 s
    clip = _clip(tmp_path / "clip.mp4", 2, 2.4)
    header = declared_info(clip)
    assert header is not None and header.duration == pytest.approx(2.4, abs=0.05)
    calls = _count_sound(monkeypatch)
    # When it is rendered
    result = render(clip, tmp_path / "out", preset="punchy", aspects=["9:16"], size_scale=SMALL)
    # Then the sound planned from the header was thrown away and made again for the decoded length
    assert [round(c, 1) for c in calls] == [2.4, 2.0]
    out = result.outputs["9:16"]
    assert result.duration == pytest.approx(2.0, abs=0.04)
    assert _stream_seconds(out, "a") == pytest.approx(_stream_seconds(out, "v"), abs=0.05)
    assert _stream_seconds(out, "v") == pytest.approx(2.0, abs=0.05)
    assert _sound_files(tmp_path / "out") == []


def test_a_clip_the_probe_finds_broken_leaves_no_sound_behind(tmp_path: Path) -> None:
    # Given a clip cut short after a readable header (faststart: the index comes first)
    whole = _clip(tmp_path / "whole.mp4", 3, faststart=True)
    data = whole.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 6 // 10])
    assert declared_info(cut) is not None  # the header still reads: the sound is planned from it
    # When it is rendered
    with pytest.raises(VideoInvalid, match="truncated or corrupt"):
        render(cut, tmp_path / "out", preset="punchy", aspects=["9:16"], size_scale=SMALL)
    # Then the probe's verdict is the error, and the sound made meanwhile is gone
    assert _sound_files(tmp_path / "out") == []


def _count_sound(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the duration each making of the sound was asked for."""
    module = importlib.import_module("hookforge.effects.render")  # the module: the package exports the function
    calls: list[float] = []
    made = module._sound

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["duration"])
        return made(*args, **kwargs)

    monkeypatch.setattr(module, "_sound", counted)
    return calls


def test_the_probe_decodes_on_one_thread_and_still_finds_a_broken_clip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a whole clip and the same clip cut short after its index (faststart: only the decode can tell), and a
    # record of the ffmpeg runs the probe makes
    whole = _clip(tmp_path / "whole.mp4", 3, faststart=True)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size * 6 // 10])
    media = importlib.import_module("hookforge.media")
    runs: list[list[str]] = []
    run = media.subprocess.run

    def recorded(cmd: list[str], **kwargs: Any) -> Any:
        runs.append(cmd)
        return run(cmd, **kwargs)

    monkeypatch.setattr(media.subprocess, "run", recorded)
    # When both are probed
    assert probe(whole).duration == pytest.approx(3.0, abs=0.05)
    with pytest.raises(VideoInvalid, match="truncated or corrupt"):
        probe(cut)
    # Then each decode asked for one thread (it shares the machine with the render's other looks and its sound)
    decodes = [cmd for cmd in runs if "null" in cmd]
    assert len(decodes) == 2
    for cmd in decodes:
        assert cmd[cmd.index("-threads") + 1] == "1" and cmd.index("-threads") < cmd.index("-i")


# ------------------------------------------------------------------------------------------ the sound's check
def test_the_encoded_sound_is_measured_as_the_file_written_holds_it(tmp_path: Path) -> None:
    # Given a loud chord
    chord = "aevalsrc=0.5*sin(2*PI*220*t)+0.4*sin(2*PI*277*t)+0.3*sin(2*PI*3300*t):s=48000:c=stereo:d=3"
    # When it is encoded to the track every placement carries, and measured from the encoder's packets in that run
    track = tmp_path / "track.m4a"
    loop = _encode_track(ffmpeg.input(chord, f="lavfi").audio, track)
    # Then it reads as the file written does
    held = measure_loudness(track)
    assert loop.integrated == pytest.approx(held.integrated, abs=0.05)
    assert loop.true_peak == pytest.approx(held.true_peak, abs=0.05)
    # and as the same chord encoded by ffmpeg with the placements' own options
    reference = tmp_path / "reference.m4a"
    stream = ffmpeg.input(chord, f="lavfi").audio
    ffmpeg.output(stream, str(reference), **AUDIO_OUTPUT).overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)
    assert _audio_packets(track) == _audio_packets(reference)


def _audio_packets(path: Path) -> bytes:
    """The AAC packets of a file's first audio stream, as stored (no decoding)."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", str(path), "-map", "0:a:0", "-c", "copy"]
    return subprocess.run([*cmd, "-f", "data", "-"], capture_output=True, check=True, timeout=60).stdout


def test_every_placement_carries_the_one_track_that_was_measured(tmp_path: Path) -> None:
    # Given a clip with its own sound, planned into three placements with the preset's sound effects
    clip = _clip(tmp_path / "clip.mp4", 2, 2)
    out = tmp_path / "out"
    plan = plan_render(clip, out, preset="punchy", aspects=["9:16", "1:1", "16:9"], size_scale=SMALL)
    # Then the render encodes no sound: each placement copies the track encoded (and measured) before it
    args = plan.args
    assert [args[i + 1] for i, a in enumerate(args) if a == "-acodec"] == ["copy"] * 3
    [track] = [p for p in plan.temp_files if p.suffix == ".m4a"]
    assert plan.sound.measured is not None
    # When the render runs
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", *args], check=True, capture_output=True, timeout=300)
    # Then every placement holds that track's packets, and plays at the loudness measured
    for path in plan.outputs.values():
        assert _audio_packets(path) == _audio_packets(track)
        delivered = measure_loudness(path)
        assert delivered.integrated == pytest.approx(plan.sound.measured.integrated, abs=0.05)
        assert delivered.true_peak == pytest.approx(plan.sound.measured.true_peak, abs=0.05)


def test_when_every_try_misses_the_track_delivered_is_the_last_one_measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an encoder check that always reads the track at -15 LUFS whatever it is, so no try lands on -14
    mix = importlib.import_module("hookforge.effects.mix")
    encode = mix._encode_track
    tries: list[tuple[float, float]] = []

    def reads_quiet(stream: Any, path: Path) -> Any:
        loud = encode(stream, path)
        graph = " ".join(ffmpeg.output(stream, "-", f="null").get_args())
        found = re.search(r"volume=(-?[\d.]+)dB", graph)
        tries.append((float(found.group(1)) if found else 0.0, loud.integrated))
        return dataclasses.replace(loud, integrated=-15.0)

    monkeypatch.setattr(mix, "_encode_track", reads_quiet)
    # When a clip's sound is planned
    plan = plan_render(_clip(tmp_path / "clip.mp4", 2, 2), tmp_path / "out", preset="punchy", size_scale=SMALL)
    # Then four tries were made, each 1 dB louder than the one before, and the plan reports the last one: its gain
    # and what was read of it; the track every placement copies is that try's
    assert len(tries) == 4
    gains = [gain for gain, _ in tries]
    assert [round(b - a, 2) for a, b in zip(gains, gains[1:], strict=False)] == [1.0, 1.0, 1.0]
    assert plan.sound.gain_db == pytest.approx(gains[-1], abs=0.01)
    assert plan.sound.measured is not None
    assert plan.sound.measured.integrated == -15.0
    [track] = [p for p in plan.temp_files if p.suffix == ".m4a"]
    assert measure_loudness(track).integrated == pytest.approx(tries[-1][1], abs=0.05)
    for temp in plan.temp_files:
        temp.unlink()


# ------------------------------------------------------------------------------------------ threads, imports
@pytest.mark.parametrize(("cores", "sliced"), [(1, False), (2, False), (4, True), (16, True)])
def test_filters_are_sliced_across_threads_only_on_machines_with_cores_to_spare(
    cores: int, sliced: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hookforge.effects import plan_render

    module = importlib.import_module("hookforge.effects.render")

    clip = _clip(tmp_path / "clip.mp4", 1)
    monkeypatch.setattr(module, "_cores", lambda: cores)
    args = plan_render(clip, tmp_path / "out", preset="clean", aspects=["1:1"], size_scale=SMALL).args
    one_thread = any(a == "-filter_complex_threads" and b == "1" for a, b in zip(args, args[1:], strict=False))
    assert one_thread is not sliced


@pytest.mark.parametrize(
    ("cores", "aspects", "each"),
    [(2, ["9:16", "1:1", "4:5", "16:9"], 1), (2, ["9:16", "16:9"], 1), (2, ["9:16"], 2), (1, ["9:16"], 1),
     (8, ["9:16", "1:1", "4:5", "16:9"], 2), (16, ["9:16", "1:1", "16:9"], 5)],
)  # fmt: skip
def test_each_placements_encoder_gets_its_share_of_the_cores(
    cores: int, aspects: list[str], each: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = importlib.import_module("hookforge.effects.render")
    # Given a machine with `cores` cores and a render of `aspects`
    clip = _clip(tmp_path / "clip.mp4", 1)
    monkeypatch.setattr(module, "_cores", lambda: cores)
    plan = plan_render(clip, tmp_path / "out", preset="clean", aspects=aspects, size_scale=SMALL)
    # Then every placement's x264 runs `each` threads (its share, at least one), set among that output's options
    args = plan.args
    written = [i for i, a in enumerate(args) if a.endswith((".mp4", ".jpg", ".gif")) and args[i - 1] != "-i"]
    for path in plan.outputs.values():
        at = args.index(str(path))
        options = args[max(i for i in written if i < at) + 1 : at]
        assert options[options.index("-vcodec") + 1] == "libx264"
        assert options[options.index("-threads") + 1] == str(each)
    for temp in plan.temp_files:
        temp.unlink()


def test_the_render_starts_without_numpy_which_loads_with_the_focus_finder() -> None:
    code = (
        "import json, sys\n"
        "import hookforge.effects.render\n"
        "before = 'numpy' in sys.modules\n"
        "from hookforge.effects.focus import find_focus\n"
        "from PIL import Image\n"
        "find_focus(Image.new('RGB', (64, 36), 'gray'))\n"
        "print(json.dumps([before, 'numpy' in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=60)
    assert json.loads(proc.stdout) == [False, True]


def test_the_inspection_module_loads_without_the_renderer_models_pillow_or_numpy() -> None:
    # `hookforge effects` starts reading the clip before it imports anything heavy: importing the inspection must
    # not build the presets' pydantic models nor load Pillow, numpy or ffmpeg-python
    code = (
        "import json, sys\n"
        "import hookforge.effects.inspection\n"
        "heavy = ('hookforge.effects.specs', 'hookforge.effects.render', 'PIL', 'numpy', 'ffmpeg')\n"
        "print(json.dumps([name for name in heavy if name in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, timeout=60)
    assert json.loads(proc.stdout) == []


def test_the_effects_command_reads_the_clip_before_it_imports_the_renderer_and_reads_it_once(tmp_path: Path) -> None:
    # Given a clip, and a record of when each look at it starts and how often the clip is decoded
    clip = _clip(tmp_path / "clip.mp4", 1, 1)
    code = f"""
import json, sys
import hookforge.effects.inspection as inspection
import hookforge.media as media
seen, probes = [], []
started = inspection.Inspection.__init__
def recording(self, *args, **kwargs):
    seen.append("hookforge.effects.render" in sys.modules or "hookforge.effects.specs" in sys.modules)
    started(self, *args, **kwargs)
inspection.Inspection.__init__ = recording
decode = inspection.probe
def counted(path):
    probes.append(str(path))
    return decode(path)
inspection.probe = counted
from hookforge.cli import app
try:
    app(["effects", {str(clip)!r}, "--preset", "clean", "--aspect", "1:1",
         "--overrides", '{{"output": {{"x264_preset": "ultrafast"}}}}', "--out", {str(tmp_path / "out")!r}])
except SystemExit as e:
    assert not e.code, e.code
print(json.dumps([seen, probes]), file=sys.stderr)
"""
    # When `hookforge effects` renders it
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    seen, probes = json.loads(proc.stderr.decode().strip().splitlines()[-1])
    # Then the clip was looked at once, starting before the renderer or its models were imported
    assert seen == [False]
    assert probes == [str(clip)]
    assert (tmp_path / "out" / "1x1.mp4").stat().st_size > 0


def test_the_inspection_runs_in_daemon_threads_so_a_failing_command_does_not_wait_for_the_decode(
    tmp_path: Path,
) -> None:
    from hookforge.effects import inspection
    from hookforge.effects.inspection import Inspection

    # a look that is still running (held until released) runs in a daemon thread of its own
    release = threading.Event()
    held = inspection._started(release.wait, 30)
    worker = next(t for t in threading.enumerate() if t.name == "hookforge-wait")
    assert worker.daemon and not held.done()
    release.set()
    assert held.result(timeout=30) is True
    # and an inspection's looks answer through those threads
    clip = _clip(tmp_path / "clip.mp4", 1)
    looking = Inspection(clip, sound=False)
    early, loudness = looking.early()
    assert loudness is None and looking.loudness is None  # no sound asked for: nothing measured
    assert looking.checked(early, []) == probe(clip)


def test_a_render_refuses_an_inspection_of_another_clip(tmp_path: Path) -> None:
    from hookforge.effects.inspection import Inspection

    one, other = _clip(tmp_path / "one.mp4", 1), _clip(tmp_path / "other.mp4", 1)
    with pytest.raises(ValueError, match="inspection is of"):
        render(one, tmp_path / "out", preset="clean", size_scale=SMALL, inspection=Inspection(other))


def test_ffmpeg_is_found_once_however_many_threads_ask_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from hookforge import media

    # Given no binary found yet in this process, and a finder that is slow, as running `ffmpeg -version` is
    monkeypatch.delenv("HOOKFORGE_FFMPEG", raising=False)
    monkeypatch.setattr(media, "_FOUND", [])
    calls: list[int] = []

    def finder() -> str:
        calls.append(1)
        time.sleep(0.05)
        return "/opt/ffmpeg-found"

    monkeypatch.setattr(media, "_find_ffmpeg", finder)
    # When four threads ask at the same moment, as a render's first looks at its clip do
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(media.ffmpeg_exe())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then the binary was looked for once and every thread got it; a configured binary still wins on every call
    assert calls == [1] and results == ["/opt/ffmpeg-found"] * 4
    monkeypatch.setenv("HOOKFORGE_FFMPEG", "/usr/local/bin/ffmpeg")
    assert media.ffmpeg_exe() == "/usr/local/bin/ffmpeg"


def test_ffmpeg_is_found_without_building_the_settings_and_whatever_else_they_hold() -> None:
    # A render's first look waits for ffmpeg's path: finding it reads $HOOKFORGE_FFMPEG alone, neither importing
    # the settings' pydantic model nor failing on a setting that has nothing to do with ffmpeg
    code = (
        "import json, os, sys\n"
        "os.environ['METRICS_SYNC_DAYS'] = '0'\n"  # invalid (1-400): Settings.from_env() would refuse it
        "os.environ['HOOKFORGE_FFMPEG'] = sys.argv[1]\n"
        "from hookforge.media import ffmpeg_exe\n"
        "print(json.dumps([ffmpeg_exe(), 'hookforge.config' in sys.modules, 'pydantic' in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, ffmpeg_exe()], capture_output=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()[-1000:]
    assert json.loads(proc.stdout) == [ffmpeg_exe(), False, False]


# ------------------------------------------------------------------------------------------ settled frames
def _frames(stream: Any, size: tuple[int, int]) -> list[bytes]:
    """Every frame of `stream` as raw yuv420p bytes (real ffmpeg)."""
    out, _ = ffmpeg.output(stream, "pipe:", f="rawvideo", pix_fmt="yuv420p").run(
        cmd=ffmpeg_exe(), capture_stdout=True, quiet=True
    )
    frame = size[0] * size[1] * 3 // 2
    return [out[i : i + frame] for i in range(0, len(out), frame)]


def _psnr(a: bytes, b: bytes) -> float:
    import numpy as np

    diff = np.frombuffer(a, np.uint8).astype(np.float64) - np.frombuffer(b, np.uint8).astype(np.float64)
    mse = float(np.mean(diff**2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def test_settled_frames_scale_only_what_they_show_and_look_as_the_moving_path_would_make_them() -> None:
    module = importlib.import_module("hookforge.effects.render")
    look = module.resolve_look("punchy", None)
    move = module.motion(look.zoom, look.shake, 1.0)
    assert move is not None and move.settle == pytest.approx(0.45)
    # Given a detailed moving picture the size of a 16:9 hook's (a 1.2x punch-in: the whole frame is scaled by 6/5)
    size, anchor = (640, 360), (0.4661, 0.7026)

    def picture() -> Any:
        return ffmpeg.input("testsrc2=size=640x360:rate=30:d=1", f="lavfi").video.filter("format", "yuv420p")

    # When it is fitted with the settled frames cut first, and with every frame on the moving path
    fitted = module._animated_fit(picture(), size, move, anchor, source=size, frames=30, fps=30)
    assert "concat" in " ".join(ffmpeg.output(fitted, "-", f="null").get_args())
    cut, whole = _frames(fitted, size), _frames(module._moving_fit(picture(), size, move, anchor, "bicubic"), size)
    # Then the frames are as many, the moving ones identical, and the settled ones the same to a level or so
    assert len(cut) == len(whole) == 30
    first_still = 14  # 0.45 s at 30 fps
    assert cut[:first_still] == whole[:first_still]
    assert min(_psnr(a, b) for a, b in zip(cut[first_still:], whole[first_still:], strict=True)) > 50
    # and they scaled a box of the picture (its share of the area below the whole frame's)
    settled = module._settled(size, move, anchor, size)
    assert settled is not None and settled.box[2] * settled.box[3] < 0.8 * size[0] * size[1]


def test_settled_frames_keep_the_moving_path_where_cutting_first_would_save_little() -> None:
    module = importlib.import_module("hookforge.effects.render")
    look = module.resolve_look("punchy", None)
    move = module.motion(look.zoom, look.shake, 5.0)
    # A 1280x720 clip to 1920x1080 at 1.2x: a ratio of 9/5, so a box on 10-pixel steps around the kept window
    settled = module._settled((1920, 1080), move, (0.4661, 0.7026), (1280, 720))
    assert settled == module._Settled(box=(90, 70, 1090, 630), scaled=(1962, 1134), offset=(16, 26))
    # The same clip as a 1080-wide foreground: a ratio of 81/80 only lands on whole pixels every 160 input pixels
    assert module._settled((1080, 608), move, (0.4661, 0.7026), (1280, 720)) is None
    # A push-in that lasts the whole clip never settles
    push = resolve_look("cinematic", None)
    assert module.motion(push.zoom, push.shake, 5.0).settle is None


def test_a_frame_comes_over_the_pipe_uncompressed_with_the_pixels_a_png_holds(tmp_path: Path) -> None:
    import io

    from PIL import Image

    from hookforge.media import frame_at

    # Given a clip, and its first frame written as PNG by ffmpeg itself
    clip = _clip(tmp_path / "clip.mp4", 1)
    png = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(clip), "-frames:v", "1", "-f", "image2pipe", "-c:v", "png", "-"],
        capture_output=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    # When frame_at reads it (PPM over the pipe)
    frame = frame_at(clip, 0.0)
    # Then it is the same picture, pixel for pixel
    with Image.open(io.BytesIO(png)) as reference:
        assert frame.size == reference.size and frame.tobytes() == reference.convert("RGB").tobytes()
