"""Guide images: a render's first frame with each placement's interface shaded and its safe areas outlined.

A reviewer looks at one PNG per placement and sees at once whether the hook text clears the buttons,
captions and bars that platform draws over the video.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from hookforge.effects.safezones import Placement, Rect, placements_for, text_zone
from hookforge.media import FONT_PATH

#: platform interface: red at 40 % so the frame underneath stays readable
UI_FILL = (230, 30, 30, 102)
SAFE_COLOUR = (40, 220, 90, 255)
ZONE_COLOUR = (255, 215, 0, 255)
LABEL_FILL = (255, 255, 255, 255)
LABEL_STROKE = (0, 0, 0, 255)
TITLE_BACKGROUND = (0, 0, 0, 170)
#: a frame may be off its placement's aspect by even-size rounding (1080x1352), never by a different aspect
ASPECT_TOLERANCE = 0.02
MIN_FONT_PX = 8


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def _covering_box(rect: Rect, width: int, height: int) -> tuple[int, int, int, int]:
    """The pixel box (end-exclusive) covering every pixel `rect` touches.

    Interface areas round outward, where safe rectangles (Rect.to_pixels) round inward: adjacent areas then
    leave no unshaded seam between them.
    """
    x0, y0 = math.floor(rect.left * width + 1e-9), math.floor(rect.top * height + 1e-9)
    x1, y1 = math.ceil(rect.right * width - 1e-9), math.ceil(rect.bottom * height - 1e-9)
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def _text_size(text: str, font: ImageFont.FreeTypeFont, stroke: int) -> tuple[int, int]:
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    return int(right - left), int(bottom - top)


def _text_image(text: str, size: int, fill: tuple[int, int, int, int]) -> Image.Image:
    """`text` on a transparent tile just big enough for it, with a dark outline so it reads on any frame."""
    font = _font(size)
    stroke = max(1, size // 12)
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    tile = Image.new("RGBA", (int(right - left) + 2, int(bottom - top) + 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text(
        (1 - left, 1 - top), text, font=font, fill=fill, stroke_width=stroke, stroke_fill=LABEL_STROKE
    )
    return tile


def _fitted_label(label: str, width: int, height: int, size: int) -> Image.Image | None:
    """`label` as a tile that fits a `width` x `height` box: turned upright in tall thin boxes, shrunk as needed.

    None when it cannot fit even at the smallest size (a sliver of a band on a small frame).
    """
    pad = max(2, size // 4)
    upright = height > width
    room_along, room_across = (height, width) if upright else (width, height)
    while size >= MIN_FONT_PX:
        along, across = _text_size(label, _font(size), max(1, size // 12))
        if along + 2 * pad <= room_along and across + 2 * pad <= room_across:
            tile = _text_image(label, size, LABEL_FILL)
            return tile.rotate(90, expand=True) if upright else tile
        size -= max(1, size // 8)
    return None


def _title_block(lines: Sequence[tuple[str, int]], max_width: int, max_height: int) -> Image.Image | None:
    """Lines of (text, size) stacked on a dark box no bigger than max_width x max_height, shrunk to fit.

    None when even the smallest sizes do not fit.
    """
    scale = 1.0
    while True:
        sizes = [max(MIN_FONT_PX, int(size * scale)) for _, size in lines]
        tiles = [_text_image(text, size, LABEL_FILL) for (text, _), size in zip(lines, sizes, strict=True)]
        gap = max(2, sizes[0] // 5)
        block_w = max(t.width for t in tiles) + 2 * gap
        block_h = sum(t.height for t in tiles) + gap * (len(tiles) + 1)
        if block_w <= max_width and block_h <= max_height:
            block = Image.new("RGBA", (block_w, block_h), TITLE_BACKGROUND)
            y = gap
            for tile in tiles:
                block.alpha_composite(tile, dest=(gap, y))
                y += tile.height + gap
            return block
        if all(size == MIN_FONT_PX for size in sizes):
            return None
        scale *= 0.9


def _dashed_rectangle(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: tuple[int, int, int, int], width: int
) -> None:
    """A dashed outline drawn just inside `box` (PIL has no dash style)."""
    x0, y0, x1, y1 = box[0], box[1], box[2] - 1, box[3] - 1
    dash, gap = 4 * width, 3 * width
    for x in range(x0, x1 + 1, dash + gap):
        end = min(x + dash, x1)
        draw.rectangle((x, y0, end, y0 + width - 1), fill=colour)
        draw.rectangle((x, y1 - width + 1, end, y1), fill=colour)
    for y in range(y0, y1 + 1, dash + gap):
        end = min(y + dash, y1)
        draw.rectangle((x0, y, x0 + width - 1, end), fill=colour)
        draw.rectangle((x1 - width + 1, y, x1, end), fill=colour)


def _bottom_band(
    overlay: Image.Image,
    label: str,
    box: tuple[int, int, int, int],
    label_px: int,
    title_lines: Sequence[tuple[str, int]],
    margin: int,
) -> None:
    """The band's label along its top edge and the title block in its bottom-left corner.

    When the band is too shallow for both (a feed's edge margin), the title wins.
    """
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    # a 64 px feed margin cannot spare the frame-wide margin on both sides of the title
    inner = max(1, min(margin, height // 10))
    tile = _fitted_label(label, width, height, label_px)
    if tile is not None:
        block = _title_block(title_lines, width - 2 * inner, height - tile.height - 3 * inner)
        if block is not None:
            overlay.alpha_composite(tile, dest=(x0 + (width - tile.width) // 2, y0 + inner))
            overlay.alpha_composite(block, dest=(x0 + inner, y1 - inner - block.height))
            return
    # too shallow for both: the title wins (the other bands carry the same label), then the title without legend
    block = _title_block(title_lines, width - 2 * inner, height - 2 * inner) or _title_block(
        title_lines[:1], width - 2 * inner, height - 2 * inner
    )
    if block is not None:
        overlay.alpha_composite(block, dest=(x0 + inner, y1 - inner - block.height))


def draw_guides(frame: Image.Image, placement: Placement, *, text_zone: Rect | None = None) -> Image.Image:
    """A copy of `frame` (any size of the placement's aspect) marked up for review. Returns RGB.

    The placement's UI areas are shaded red at 40 % and labelled, its safe rectangle is outlined in green,
    the hookforge text zone (if given) is outlined in dashed yellow, and a small title names the placement.
    ValueError if the frame is not of the placement's aspect.
    """
    width, height = frame.size
    native_w, native_h = placement.size
    if abs((width / height) / (native_w / native_h) - 1.0) > ASPECT_TOLERANCE:
        raise ValueError(f"a {width}x{height} frame is not {placement.aspect}, the aspect of {placement.label}")

    short = min(width, height)
    label_px = max(MIN_FONT_PX, short // 30)
    line = max(2, short // 270)
    base = frame.convert("RGBA")
    overlay = Image.new("RGBA", frame.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)

    for area in placement.ui:
        x0, y0, x1, y1 = _covering_box(area.rect, width, height)
        # ImageDraw boxes are inclusive, ours end-exclusive
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=UI_FILL)

    # the title goes in the full-width bottom band (every placement has one), so it hides interface, not the
    # picture; that band's own label moves to the band's top edge to make room
    bottom_band = next((a for a in placement.ui if a.rect.left == 0 and a.rect.right == 1 and a.rect.bottom == 1), None)
    margin = max(2, short // 60)
    title = placement.label if placement.aspect in placement.label else f"{placement.label}  {placement.aspect}"
    title_lines = [
        (title, max(MIN_FONT_PX, short // 24)),
        ("red: platform UI   green: safe   yellow dashes: hookforge text zone", max(MIN_FONT_PX, label_px * 2 // 3)),
    ]
    for area in placement.ui:
        x0, y0, x1, y1 = area.rect.to_pixels(width, height)
        if area is bottom_band:
            _bottom_band(overlay, area.label, (x0, y0, x1, y1), label_px, title_lines, margin)
            continue
        tile = _fitted_label(area.label, x1 - x0, y1 - y0, label_px)
        if tile is not None:
            overlay.alpha_composite(tile, dest=(x0 + (x1 - x0 - tile.width) // 2, y0 + (y1 - y0 - tile.height) // 2))
    if bottom_band is None:
        block = _title_block(title_lines, width - 2 * margin, height - 2 * margin)
        if block is not None:
            overlay.alpha_composite(block, dest=(margin, margin))

    sx0, sy0, sx1, sy1 = placement.safe.to_pixels(width, height)
    draw.rectangle((sx0, sy0, sx1 - 1, sy1 - 1), outline=SAFE_COLOUR, width=line)
    if text_zone is not None:
        _dashed_rectangle(draw, text_zone.to_pixels(width, height), ZONE_COLOUR, line)
    return Image.alpha_composite(base, overlay).convert("RGB")


def write_guides(
    frames: Mapping[str, Image.Image], out_dir: Path, *, only: Sequence[str] | None = None
) -> dict[str, Path]:
    """One PNG per placement: `frames` maps aspect ("9:16") -> frame 0 of that aspect's render.

    For each aspect present, every placement of placements_for(aspect, only) gets
    `<out_dir>/guide-<placement key>.png`, drawn with the aspect's text_zone(aspect, only).
    Returns {placement key: path}. Creates out_dir. Unknown aspects or placement keys raise EffectsInvalid
    before any file is written.
    """
    # resolve every aspect first so a bad `only` or aspect leaves no half-written set of guides behind
    plan = [(frame, placements_for(aspect, only), text_zone(aspect, only)) for aspect, frame in frames.items()]
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for frame, placements, zone in plan:
        for placement in placements:
            path = out_dir / f"guide-{placement.key}.png"
            draw_guides(frame, placement, text_zone=zone).save(path, format="PNG")
            written[placement.key] = path
    return written
