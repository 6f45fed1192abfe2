"""The `punchy` look made with MoviePy 2.x, as MoviePy-based hook tools make it: the yardstick of bench_effects.

Run by the bench with the bench's own environment (`.venv-bench`, made by `make bench`; MoviePy is never a
runtime dependency):  python benchmarks/moviepy_look.py SOURCE OUT_DIR FONT TEXT ASPECT...

Per placement: the clip reframed (centre crop, scaled to the placement), a 20 % punch-in over the first 0.3 s,
the grade (contrast and saturation up), the hook text with an outline on every frame, a fade at the end, and the
clip's sound; written with libx264 `veryfast` CRF 20 and AAC 192k, as hookforge writes them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from moviepy import CompositeVideoClip, TextClip, VideoFileClip, vfx

SIZES = {"9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350), "16:9": (1920, 1080)}


def _grade(frame: np.ndarray) -> np.ndarray:
    """Contrast 1.18 around mid-grey and saturation 1.3, in RGB (what a MoviePy pipeline does per frame)."""
    f = frame.astype(np.float32)
    grey = f.mean(axis=2, keepdims=True)
    f = grey + (f - grey) * 1.3
    f = (f - 128.0) * 1.18 + 128.0
    return np.clip(f, 0, 255).astype(np.uint8)


def _punch(t: float) -> float:
    p = min(max(t / 0.3, 0.0), 1.0)
    return 1.0 + 0.2 * (1 - (1 - p) ** 3)


def render(source: Path, out: Path, font: str, text: str, aspect: str) -> Path:
    width, height = SIZES[aspect]
    clip = VideoFileClip(str(source))
    src_w, src_h = clip.size
    if src_w / src_h > width / height:
        crop_w, crop_h = round(src_h * width / height / 2) * 2, src_h
    else:
        crop_w, crop_h = src_w, round(src_w * height / width / 2) * 2
    framed = clip.with_effects(
        [vfx.Crop(x_center=src_w / 2, y_center=src_h / 2, width=crop_w, height=crop_h), vfx.Resize((width, height))]
    )
    punched = framed.with_effects([vfx.Resize(_punch)]).with_position("center")
    zoomed = CompositeVideoClip([punched], size=(width, height)).image_transform(_grade)
    caption = (
        TextClip(
            font=font,
            text=text,
            font_size=round(0.085 * min(width, height)),
            color="white",
            stroke_color="black",
            stroke_width=7,
            method="caption",
            size=(round(width * 0.8), None),
            text_align="center",
        )
        .with_duration(clip.duration)
        .with_position(("center", round(height * 0.12)))
    )
    final = CompositeVideoClip([zoomed, caption], size=(width, height)).with_effects([vfx.FadeOut(0.3)])
    final = final.with_audio(clip.audio)
    path = out / f"moviepy-{aspect.replace(':', 'x')}.mp4"
    final.write_videofile(
        str(path),
        fps=30,
        codec="libx264",
        preset="veryfast",
        audio_codec="aac",
        audio_bitrate="192k",
        ffmpeg_params=["-crf", "20", "-pix_fmt", "yuv420p"],
        logger=None,
        # MoviePy writes the sound to a temporary file first, by default in the working directory
        temp_audiofile_path=str(out),
    )
    clip.close()
    return path


def main(argv: list[str]) -> None:
    source, out, font, text, *aspects = argv
    Path(out).mkdir(parents=True, exist_ok=True)
    for aspect in aspects:
        render(Path(source), Path(out), font, text, aspect)


if __name__ == "__main__":
    main(sys.argv[1:])
