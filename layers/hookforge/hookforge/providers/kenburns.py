"""`kenburns`: real image-to-video motion rendered offline with ffmpeg (smooth push-in/pull-out and pan).

Motion is animated with `perspective` (sub-pixel interpolation, evaluated per frame), not `zoompan`,
which rounds to whole pixels and jitters. The still is decoded, scaled and cropped once and that one frame is
repeated (`loop`, stamped at 30 fps as the looped image input was) into the move: looping the image input
instead decoded and scaled it again for every frame, half of the clip's CPU time, for the same clip. The clip
is rendered at submit time and written straight to the run's `raw.mp4`, so polling finds it finished.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from hookforge.media import run_ffmpeg
from hookforge.providers.base import ProviderContext, VideoRequest, VideoStatus, VideoTask
from hookforge.storage import run_key

#: output sizes per ratio (the same pixel budget as Runway gen4_turbo's 720p outputs)
SIZES = {"9:16": (720, 1280), "16:9": (1280, 720), "1:1": (960, 960), "4:5": (832, 1040)}
FPS = 30


def motion_for(prompt: str) -> tuple[float, float, float]:
    """(zoom_start, zoom_end, pan) read from the motion prompt's words; a gentle push-in by default."""
    words = prompt.lower()
    zoom = (0.0, 0.14)
    if any(w in words for w in ("pull out", "pull-out", "zoom out", "dolly out", "reveal")):
        zoom = (0.14, 0.0)
    pan = 0.0
    if "pan left" in words or "left" in words.split():
        pan = -0.05
    elif "pan right" in words or "right" in words.split():
        pan = 0.05
    return zoom[0], zoom[1], pan


def kenburns_filter(width: int, height: int, frames: int, prompt: str) -> str:
    z0, z1, pan = motion_for(prompt)
    p = f"(on/{max(1, frames - 1)})"
    ease = f"({p}*{p}*(3-2*{p}))"  # smoothstep: starts and ends gently
    z = f"({z0}+({z1}-{z0})*{ease})"
    dx = f"({pan}*{ease}*W)"
    # source quadrilateral shrinks toward the centre: a zoom with sub-pixel precision
    corners = {
        "x0": f"W*{z}/2+{dx}",
        "y0": f"H*{z}/2",
        "x1": f"W-W*{z}/2+{dx}",
        "y1": f"H*{z}/2",
        "x2": f"W*{z}/2+{dx}",
        "y2": f"H-H*{z}/2",
        "x3": f"W-W*{z}/2+{dx}",
        "y3": f"H-H*{z}/2",
    }
    persp = ":".join(f"{k}='{v}'" for k, v in corners.items())
    return (
        f"scale={width}:{height}:force_original_aspect_ratio=increase:flags=lanczos,"
        f"crop={width}:{height},setsar=1,loop=loop={frames - 1}:size=1,setpts=N/({FPS}*TB),"
        f"perspective={persp}:interpolation=linear:sense=source:eval=frame,"
        f"format=yuv420p"
    )


def render_kenburns(image_path: Path, out_path: Path, *, ratio: str, duration: int, prompt: str) -> Path:
    width, height = SIZES[ratio]
    frames = duration * FPS
    run_ffmpeg(
        [
            "-y",
            "-i",
            str(image_path),
            "-vf",
            kenburns_filter(width, height, frames, prompt),
            "-frames:v",
            str(frames),
            "-r",
            str(FPS),
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "18",
            "-pix_fmt",
            "yuv420p",
            "-movflags",
            "+faststart",
            str(out_path),
        ]
    )
    return out_path


def _clip_key(task_id: str) -> str:
    _, run_id, digest = task_id.split(":")
    return run_key(run_id, "video", f"kenburns-{digest}.mp4")


class KenBurnsVideo:
    """Offline image-to-video: renders at submit, so the first poll reports SUCCEEDED."""

    name = "kenburns"

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx

    def submit(self, request: VideoRequest) -> VideoTask:
        digest = hashlib.sha256(request.image + request.prompt.encode()).hexdigest()[:16]
        task_id = f"kb:{request.run_id}:{digest}"
        key = _clip_key(task_id)
        if not self.ctx.store.exists(key):  # a retried submit reuses the finished render
            with tempfile.TemporaryDirectory(prefix="hookforge-kb-") as tmp:
                still = Path(tmp) / "still"
                still.write_bytes(request.image)
                out = render_kenburns(
                    still, Path(tmp) / "clip.mp4", ratio=request.ratio, duration=request.duration, prompt=request.prompt
                )
                self.ctx.store.upload_file(out, key, content_type="video/mp4")
        return VideoTask(task_id=task_id, model="kenburns-v1", expected_seconds=0, credits=0)

    def poll(self, task_id: str) -> VideoStatus:
        key = _clip_key(task_id)
        if not self.ctx.store.exists(key):
            return VideoStatus(status="FAILED", failure="the rendered clip is missing", failure_code="KENBURNS.MISSING")
        return VideoStatus(status="SUCCEEDED", progress=1.0, output_key=key)

    def cancel(self, task_id: str) -> None:
        """Nothing runs in the background, so there is nothing to cancel."""
