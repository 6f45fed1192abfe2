"""A render looks as it did before the render was made faster: SSIM against a stored reference (real ffmpeg).

The reference in tests/fixtures/render-reference/ was rendered by the code before the speed work (issue 18) from
the clip `_source` makes: frames of every placement picked by number (PNG, RGB), the poster (JPEG) and one frame of
the preview (paletted PNG). `python -m tests.unit.test_render_reference` rewrites it — only ever on purpose, when a
look is meant to change.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from hookforge.effects import render
from hookforge.effects.render import RenderResult
from hookforge.media import ffmpeg_exe

pytestmark = pytest.mark.slow

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "render-reference"
ASPECTS = ["9:16", "1:1", "4:5", "16:9"]
#: frame 1: text on, punch-in and shake under way; 27: inside the white flash; 50: after the ramp (slow motion)
FRAMES = (1, 27, 50)
PREVIEW_FRAME = 6
TEXT = "Stop scrolling: 48 hours only"
MIN_SSIM = 0.98


def _ffmpeg(*args: str) -> str:
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args], capture_output=True, check=True, timeout=120
    )
    return proc.stderr.decode("utf-8", "replace")


def _source(tmp: Path) -> Path:
    """A 2 s 320x180 moving test pattern without sound, as generators deliver: the speed ramp and the bed apply."""
    out = tmp / "source.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30", "-t", "2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(out),
    )  # fmt: skip
    return out


def _render(tmp: Path) -> RenderResult:
    # x264's finest quality the looks allow: at CRF 20 on frames this small its own choices, which any change of a
    # pixel reshuffles, move SSIM by a few hundredths; the look is what is compared
    return render(
        _source(tmp), tmp / "out", preset="punchy", aspects=ASPECTS, text=TEXT, size_scale=0.15, focus=(0.5, 0.5),
        overrides={"output": {"crf": 12}},
    )  # fmt: skip


def _frame_name(aspect: str, n: int) -> str:
    return f"{aspect.replace(':', 'x')}-{n:03d}.png"


def _ssim(picture: Path, reference: Path, *, frame: int = 0) -> float:
    """ffmpeg's ssim filter (All) between frame `frame` of `picture` and the still `reference`, both in planar RGB."""
    graph = f"[0:v]select=eq(n\\,{frame}),format=gbrp[a];[1:v]format=gbrp[b];[a][b]ssim"
    log = _ffmpeg("-i", str(picture), "-i", str(reference), "-lavfi", graph, "-frames:v", "1", "-f", "null", "-")
    found = re.search(r"All:([0-9.]+)", log)
    assert found, log
    return float(found.group(1))


def test_render_matches_the_reference_render(tmp_path: Path) -> None:
    # Given the fixed clip rendered with `punchy`, hook text and every aspect
    result = _render(tmp_path)
    # Then every placement's frames, the poster and the preview look as the reference render did
    scores = {}
    for aspect in ASPECTS:
        for n in FRAMES:
            scores[f"{aspect} frame {n}"] = _ssim(result.outputs[aspect], REFERENCE / _frame_name(aspect, n), frame=n)
    scores["poster"] = _ssim(result.poster, REFERENCE / "poster.jpg")
    scores["preview"] = _ssim(result.preview, REFERENCE / "preview.png", frame=PREVIEW_FRAME)
    low = {name: score for name, score in scores.items() if score < MIN_SSIM}
    assert not low, f"SSIM below {MIN_SSIM} against the reference render: {low}"


def write_reference() -> None:
    """Render the fixed clip and store the reference frames (run by hand; see the module docstring)."""
    REFERENCE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as name:
        result = _render(Path(name))
        for aspect in ASPECTS:
            for n in FRAMES:
                graph = f"select=eq(n\\,{n}),format=rgb24"
                target = REFERENCE / _frame_name(aspect, n)
                _ffmpeg("-i", str(result.outputs[aspect]), "-vf", graph, "-frames:v", "1", str(target))
                with Image.open(target) as frame:
                    frame.load()
                    frame.save(target, optimize=True)
        (REFERENCE / "poster.jpg").write_bytes(result.poster.read_bytes())
        with Image.open(result.preview) as gif:
            gif.seek(PREVIEW_FRAME)
            gif.save(REFERENCE / "preview.png", optimize=True)


if __name__ == "__main__":
    write_reference()
    sys.exit(0)
