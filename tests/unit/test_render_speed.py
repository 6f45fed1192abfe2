"""What the render does to start sooner and spend less, and that it changes nothing it delivers (real ffmpeg).

The sound is planned from the clip's header while the probe decodes the clip; the encoded sound is measured from
the encoder's own packets in one run; on small machines the filters run without slice threads; numpy loads with
the focus finder, not before the render can start.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import ffmpeg
import pytest

from hookforge.effects import render
from hookforge.effects.mix import AUDIO_OUTPUT, _measure_encoded
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


# ------------------------------------------------------------------------------------------ the sound's check
def test_the_encoded_sound_is_measured_as_a_placement_file_holds_it(tmp_path: Path) -> None:
    # Given a loud chord, and the same chord encoded to a file as every placement encodes it
    chord = "aevalsrc=0.5*sin(2*PI*220*t)+0.4*sin(2*PI*277*t)+0.3*sin(2*PI*3300*t):s=48000:c=stereo:d=3"
    stream = ffmpeg.input(chord, f="lavfi").audio
    file = tmp_path / "check.m4a"
    ffmpeg.output(stream, str(file), **AUDIO_OUTPUT).overwrite_output().run(cmd=ffmpeg_exe(), quiet=True)
    # When it is measured from the encoder's own packets in one run
    loop = _measure_encoded(ffmpeg.input(chord, f="lavfi").audio)
    # Then it reads as the file does
    held = measure_loudness(file)
    assert loop.integrated == pytest.approx(held.integrated, abs=0.05)
    assert loop.true_peak == pytest.approx(held.true_peak, abs=0.05)


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
