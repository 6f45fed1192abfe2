"""Render a clip into ad-ready hooks: one ffmpeg invocation, one decode, every aspect via `split`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from hookforge.errors import EffectsFailed
from hookforge.media import FONT_PATH, MediaError, VideoInfo, probe, run_ffmpeg

ASPECT_SIZES: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
    "4:5": (1080, 1350),
    "16:9": (1920, 1080),
}

#: name -> one-line description a marketer understands
PRESETS: dict[str, str] = {
    "punchy": "bold contrast and saturation, quick fade-in, vignette, big hook text",
    "clean": "true-to-source colour, gentle fades, no grading",
}

FPS = 30


@dataclass(frozen=True)
class RenderResult:
    outputs: dict[str, Path]
    poster: Path
    preview: Path
    duration: float


def _fontsize(text: str, width: int) -> int:
    """Large, but never wider than 90 % of the frame (DejaVu Sans Bold is ~0.6 em per character)."""
    return max(18, min(int(width * 0.07), int(width * 0.9 / (0.62 * max(1, len(text))))))


def render(
    source: str | Path,
    out_dir: str | Path,
    *,
    preset: str = "punchy",
    aspects: list[str] | tuple[str, ...] = ("9:16",),
    text: str | None = None,
) -> RenderResult:
    if preset not in PRESETS:
        raise EffectsFailed(f"unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    info: VideoInfo = probe(source)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    duration = info.duration
    text_file = out / ".hook-text.txt"
    if text:
        text_file.write_text(text, encoding="utf-8")
    stream = ffmpeg.input(str(source)).video.filter("fps", FPS).filter("setsar", 1)
    if preset == "punchy":
        stream = stream.filter("eq", contrast=1.15, saturation=1.3).filter("vignette", angle=0.5)
    fade = 0.35 if preset == "punchy" else 0.6
    stream = stream.filter("fade", type="in", start_time=0, duration=fade)
    stream = stream.filter("fade", type="out", start_time=max(0.0, duration - fade), duration=fade)
    branches = stream.filter_multi_output("split", len(aspects) + 1)
    outputs: dict[str, Path] = {}
    nodes = []
    for i, aspect in enumerate(aspects):
        width, height = ASPECT_SIZES[aspect]
        v = (
            branches[i]
            .filter("scale", width, height, force_original_aspect_ratio="increase")
            .filter("crop", width, height)
        )
        if text:
            # the text travels in a file with expansion off: no quoting of untrusted text in the graph
            v = v.drawtext(
                textfile=str(text_file),
                expansion="none",
                fontfile=str(FONT_PATH),
                fontsize=_fontsize(text, width),
                fontcolor="white",
                borderw=max(2, width // 270),
                bordercolor="black",
                x="(w-text_w)/2",
                y="h*0.18",
                enable=f"between(t,0.2,{duration:.2f})",
            )
        path = out / f"{aspect.replace(':', 'x')}.mp4"
        outputs[aspect] = path
        nodes.append(
            ffmpeg.output(
                v.filter("format", "yuv420p"),
                str(path),
                vcodec="libx264",
                preset="veryfast",
                crf=20,
                r=FPS,
                movflags="+faststart",
                an=None,
            )
        )
    poster = out / "poster.jpg"
    preview = out / "preview.gif"
    tail = branches[len(aspects)].filter_multi_output("split", 2)
    nodes.append(
        ffmpeg.output(
            tail[0].filter("trim", start=min(1.0, duration / 2)).filter("scale", 540, -2), str(poster), vframes=1
        )
    )
    nodes.append(ffmpeg.output(tail[1].filter("fps", 10).filter("scale", 270, -2), str(preview), t=min(3.0, duration)))
    args = ffmpeg.merge_outputs(*nodes).overwrite_output().get_args()
    try:
        run_ffmpeg(args)
    except MediaError as e:
        raise EffectsFailed(f"rendering preset {preset!r} failed: {e}") from e
    finally:
        text_file.unlink(missing_ok=True)
    return RenderResult(outputs=outputs, poster=poster, preview=preview, duration=duration)
