"""Thumbnails and the contact sheet: every candidate in one numbered grid image (Pillow)."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from importlib import resources

from PIL import Image, ImageDraw, ImageFont, ImageOps

from hookforge.errors import ImageInvalid

THUMB_SIDE = 360
_BACKGROUND = (24, 24, 28)
_BADGE = (255, 214, 10)


@dataclass(frozen=True)
class SheetImages:
    """JPEG bytes of the contact sheet and one thumbnail per candidate (same order)."""

    contact_sheet: bytes
    thumbnails: list[bytes]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = resources.files("hookforge") / "assets" / "fonts" / "DejaVuSans-Bold.ttf"
    with resources.as_file(path) as font_path:
        return ImageFont.truetype(str(font_path), size)


def _open(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception as e:  # noqa: BLE001 - Pillow raises many types for bad input
        raise ImageInvalid(f"a candidate image does not decode ({type(e).__name__})") from e
    return ImageOps.exif_transpose(image).convert("RGB")


def thumbnail(data: bytes, *, side: int = THUMB_SIDE) -> Image.Image:
    image = _open(data)
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def render_sheet(images: list[bytes], *, numbers: list[int] | None = None, side: int = THUMB_SIDE) -> SheetImages:
    """A grid (up to 4 per row) of letterboxed thumbnails, each with its number badge (1-based by default)."""
    if not images:
        raise ImageInvalid("a contact sheet needs at least one candidate image")
    numbers = numbers or list(range(1, len(images) + 1))
    thumbs = [thumbnail(data, side=side) for data in images]
    cols = min(4, len(thumbs))
    rows = math.ceil(len(thumbs) / cols)
    gap = max(8, side // 24)
    sheet = Image.new("RGB", (cols * side + (cols + 1) * gap, rows * side + (rows + 1) * gap), _BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = _font(max(14, side // 9))
    for i, (thumb, number) in enumerate(zip(thumbs, numbers, strict=True)):
        x0 = gap + (i % cols) * (side + gap)
        y0 = gap + (i // cols) * (side + gap)
        sheet.paste(thumb, (x0 + (side - thumb.width) // 2, y0 + (side - thumb.height) // 2))
        label = str(number)
        left, top, right, bottom = draw.textbbox((0, 0), label, font=font)
        pad = max(4, side // 40)
        box = (x0 + pad, y0 + pad, x0 + pad * 3 + (right - left), y0 + pad * 3 + (bottom - top))
        draw.rounded_rectangle(box, radius=pad, fill=_BADGE)
        draw.text((box[0] + pad - left, box[1] + pad - top), label, fill=(0, 0, 0), font=font)
    return SheetImages(contact_sheet=_jpeg(sheet), thumbnails=[_jpeg(t) for t in thumbs])
