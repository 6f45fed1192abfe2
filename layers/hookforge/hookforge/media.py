"""ffmpeg plumbing shared by the offline video provider, the effects engine and verification.

Argument lists only, never a shell string. Metadata is read with ffmpeg itself (the imageio-ffmpeg
wheel ships no ffprobe), by decoding the video stream, which also proves the file is not truncated.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hookforge.errors import ImageInvalid, VideoInvalid

if TYPE_CHECKING:  # Pillow loads where an image is decoded: PollVideo imports this module for `probe` alone
    from PIL import Image

FONT_PATH = Path(__file__).parent / "assets" / "fonts" / "DejaVuSans-Bold.ttf"


class MediaError(RuntimeError):
    """ffmpeg exited non-zero; carries the tail of its own log."""


def ffmpeg_exe() -> str:
    """The ffmpeg binary: $HOOKFORGE_FFMPEG, else the imageio-ffmpeg wheel's, else ffmpeg on PATH."""
    # read here, each time (a build check or a test may point it elsewhere), not through `Settings`: building every
    # setting (pydantic) before each ffmpeg run would delay a render's first look
    configured = os.environ.get("HOOKFORGE_FFMPEG", "")
    if configured:
        return configured
    with _FINDING:  # found once per process, by one thread: the first render asks from four at once
        if not _FOUND:
            _FOUND.append(_find_ffmpeg())
        return _FOUND[0]


_FINDING = threading.Lock()
_FOUND: list[str] = []


def _find_ffmpeg() -> str:
    """imageio-ffmpeg's binary (which it checks by running `ffmpeg -version`), else ffmpeg on PATH."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError):
        found = shutil.which("ffmpeg")
        if found:
            return found
    raise MediaError("no ffmpeg found: install hookforge[local] (imageio-ffmpeg) or set HOOKFORGE_FFMPEG")


def run_ffmpeg(args: list[str], *, timeout: float = 600) -> str:
    """Run ffmpeg with `args` (no binary name); return its stderr log or raise MediaError."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        raise MediaError(f"ffmpeg took longer than {timeout:.0f}s") from e
    log = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        tail = "\n".join(line for line in log.splitlines()[-6:] if line.strip())
        raise MediaError(f"ffmpeg failed (exit {proc.returncode}): {tail}")
    return log


@dataclass(frozen=True)
class VideoInfo:
    codec: str
    width: int
    height: int
    fps: float
    pix_fmt: str
    duration: float
    frames: int
    has_audio: bool

    @property
    def aspect(self) -> float:
        return self.width / self.height


_STREAM = re.compile(
    r"Stream #0:\d+(?:\[\w+\])?(?:\(\w+\))?: Video: (?P<codec>\w+)[^,]*, (?P<pix>\w+)(?:\([^)]*\))?, "
    r"(?P<w>\d+)x(?P<h>\d+)"
)
_FPS = re.compile(r"(?P<fps>[\d.]+) (?:fps|tbr)")
_FRAMES = re.compile(r"frame=\s*(\d+)")
_TIME = re.compile(r"time=(\d+):(\d+):([\d.]+)")
_DURATION = re.compile(r"Duration: (\d+):(\d+):([\d.]+)")


def probe(path: str | Path) -> VideoInfo:
    """Decode the first video stream of `path` and describe it; VideoInvalid if it is not a whole video."""
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        raise VideoInvalid(f"{p.name}: the file is empty or missing")
    # one decoding thread: h264's frame threads cost a fifth to a third more CPU here and end no sooner on a 30 s clip,
    # and a render's probe shares the machine with its other looks at the clip and the sound being made
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-threads", "1", "-i", str(p), "-map", "0:v:0?", "-f", "null", "-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=300, check=False)
    except subprocess.TimeoutExpired as e:
        raise VideoInvalid(f"{p.name}: decoding took too long") from e
    log = proc.stderr.decode("utf-8", "replace")
    stream = _STREAM.search(log)
    if proc.returncode != 0 or stream is None:
        reason = "no video stream" if proc.returncode == 0 else "not a readable video"
        if "moov atom not found" in log or "Invalid data found" in log:
            reason = "not a readable video (truncated or not a video file)"
        raise VideoInvalid(f"{p.name}: {reason}")
    corrupt = any(marker in log for marker in ("partial file", "Truncating packet", "error while decoding", "corrupt"))
    line = log[stream.start() : log.find("\n", stream.start())]
    fps_match = _FPS.search(line)
    frames = [int(x) for x in _FRAMES.findall(log)]
    times = _TIME.findall(log)
    decoded = 0.0
    if times:
        h, m, s = times[-1]
        decoded = int(h) * 3600 + int(m) * 60 + float(s)
    declared = _DURATION.search(log)
    declared_s = 0.0
    if declared:
        h, m, s = declared.groups()
        declared_s = int(h) * 3600 + int(m) * 60 + float(s)
    fps = float(fps_match.group("fps")) if fps_match else 0.0
    n_frames = frames[-1] if frames else 0
    duration = n_frames / fps if fps and n_frames else decoded
    if corrupt or n_frames == 0 or (declared_s and duration < declared_s - 0.5):
        raise VideoInvalid(
            f"{p.name}: the video is truncated or corrupt (decoded {duration:.2f}s of {declared_s:.2f}s)"
        )
    return VideoInfo(
        codec=stream.group("codec"),
        width=int(stream.group("w")),
        height=int(stream.group("h")),
        fps=fps,
        pix_fmt=stream.group("pix"),
        duration=round(duration, 3),
        frames=n_frames,
        has_audio=bool(re.search(r"Stream #0:\d+.*: Audio:", log)),
    )


def declared_info(path: str | Path) -> VideoInfo | None:
    """What the container says of its first video stream, read from its header without decoding (tens of
    milliseconds): a first estimate while `probe` decodes the whole clip, never a verdict on it. None when the
    header does not name a video stream and a duration."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)]  # no output: ffmpeg reads the header, exits 1
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=30, check=False)
    except subprocess.TimeoutExpired:
        return None
    log = proc.stderr.decode("utf-8", "replace")
    stream, declared = _STREAM.search(log), _DURATION.search(log)
    if stream is None or declared is None:
        return None
    fps_match = _FPS.search(log[stream.start() : log.find("\n", stream.start())])
    fps = float(fps_match.group("fps")) if fps_match else 0.0
    h, m, sec = declared.groups()
    duration = int(h) * 3600 + int(m) * 60 + float(sec)
    return VideoInfo(
        codec=stream.group("codec"),
        width=int(stream.group("w")),
        height=int(stream.group("h")),
        fps=fps,
        pix_fmt=stream.group("pix"),
        duration=round(duration, 3),
        frames=round(duration * fps),
        has_audio=bool(re.search(r"Stream #0:\d+.*: Audio:", log)),
    )


def frame_at(path: str | Path, seconds: float, *, size: tuple[int, int] | None = None) -> Image.Image:
    """One decoded frame of a video as an RGB image (for posters, previews and tests).

    The frame comes over the pipe as PPM: the same RGB pixels as PNG would carry, without compressing and
    decompressing them (half the CPU time of a render's look at its first frame)."""
    args = ["-ss", f"{seconds:.3f}", "-i", str(path), "-frames:v", "1"]
    if size:
        args += ["-vf", f"scale={size[0]}:{size[1]}"]
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", *args, "-f", "image2pipe", "-c:v", "ppm", "-"]
    proc = subprocess.run(cmd, capture_output=True, timeout=120, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise VideoInvalid(f"{Path(path).name}: no frame at {seconds:.2f}s")
    from PIL import Image

    return Image.open(io.BytesIO(proc.stdout)).convert("RGB")


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int
    mime: str


_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


MAX_IMAGE_PIXELS = 40_000_000


def check_image(
    data: bytes, *, min_side: int = 256, max_bytes: int = 20 * 1024 * 1024, max_pixels: int = MAX_IMAGE_PIXELS
) -> ImageInfo:
    """Verify that `data` is a whole PNG/JPEG/WebP image of a usable size; ImageInvalid otherwise."""
    if not data:
        raise ImageInvalid("the image is empty (0 bytes)")
    if len(data) > max_bytes:
        raise ImageInvalid(f"the image is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                fmt = img.format or ""
                width, height = img.size  # from the header: checked before a single pixel is decoded
                if width * height > max_pixels:
                    raise ImageInvalid(f"the image claims {width}x{height} pixels; the limit is {max_pixels:,}")
                img.load()  # decodes every byte: a truncated file fails here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ImageInvalid(f"the image is a decompression bomb ({e})") from e
    except UnidentifiedImageError as e:  # Pillow's message names only an in-memory buffer
        raise ImageInvalid("the image does not decode: it is not a PNG, JPEG or WebP file") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageInvalid(f"the image does not decode ({e.__class__.__name__}: {e})") from e
    if fmt not in _MIME:
        raise ImageInvalid(f"unsupported image format {fmt or 'unknown'}; use PNG, JPEG or WebP")
    if min(width, height) < min_side:
        raise ImageInvalid(f"the image is {width}x{height}; each side must be at least {min_side} pixels")
    return ImageInfo(format=fmt, width=width, height=height, mime=_MIME[fmt])


#: what the effects engine asks of ffmpeg: every filter a preset can use, and the encoders it writes with
RENDER_FILTERS = (
    "split", "trim", "setpts", "fps", "settb", "format", "setsar", "scale", "crop", "overlay", "boxblur",
    "eq", "lutyuv", "curves", "vignette", "noise", "fade", "xfade", "reverse", "drawtext", "ass", "tpad",
    "palettegen", "paletteuse", "drawbox", "loop", "concat",
    # the sound: synthesized beds and effects, stems levelled, ducked, mixed, limited and measured
    "aevalsrc", "aformat", "atrim", "asetpts", "apad", "volume", "adelay", "asplit", "acrossfade", "afade",
    "sidechaincompress", "amix", "alimiter", "ebur128", "astats",
)  # fmt: skip
RENDER_ENCODERS = ("libx264", "gif", "mjpeg", "libwebp_anim", "aac", "pcm_f32le")
_LISTED = re.compile(r"^\s*\S+\s+(\w+)\s", re.MULTILINE)


def check_renderer() -> str:
    """Check that this ffmpeg can render every preset and that the shipped font is present.

    Returns a one-line summary; raises MediaError naming what is missing (the container build runs this
    through `python -m hookforge.media`, so a wrong ffmpeg fails the build rather than the first render).
    """
    exe = ffmpeg_exe()
    listed: dict[str, set[str]] = {}
    for kind in ("filters", "encoders"):
        try:
            proc = subprocess.run([exe, "-hide_banner", f"-{kind}"], capture_output=True, timeout=60, check=False)
        except OSError as e:
            raise MediaError(f"cannot run ffmpeg at {exe}: {e}; set HOOKFORGE_FFMPEG to a working binary") from e
        if proc.returncode != 0:
            raise MediaError(f"{exe} -{kind} failed (exit {proc.returncode}); set HOOKFORGE_FFMPEG to a working ffmpeg")
        listed[kind] = set(_LISTED.findall(proc.stdout.decode("utf-8", "replace")))
    missing = [f"filter {f}" for f in RENDER_FILTERS if f not in listed["filters"]]
    missing += [f"encoder {e}" for e in RENDER_ENCODERS if e not in listed["encoders"]]
    if not FONT_PATH.is_file():
        missing.append(f"font {FONT_PATH}")
    if missing:
        raise MediaError(
            f"{exe} cannot render hooks; missing: {', '.join(missing)}. "
            "Use a full static build (the imageio-ffmpeg wheel's binary has all of them)."
        )
    return f"{exe}: {len(RENDER_FILTERS)} filters, {len(RENDER_ENCODERS)} encoders and {FONT_PATH.name} present"


if __name__ == "__main__":
    import sys

    try:
        print(check_renderer())  # noqa: T201 - a build-time check's report
    except MediaError as e:
        print(f"hookforge: {e}", file=sys.stderr)  # noqa: T201
        sys.exit(1)
