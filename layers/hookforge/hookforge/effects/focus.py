"""Framing that keeps the subject: where the subject of a picture is, and where each crop of it should go.

`find_focus` estimates the subject from a still (the source's first frame or the generated image) with a cheap
saliency map; `focus_from_point` takes a focus the brief gives instead. `crop_window` then places each aspect's
crop so that it keeps the subject rather than the middle of the frame, `keeps_subject` says whether it managed,
and `zoom_anchor` says where a punch-in inside that crop should aim.

The saliency map (`saliency.py`) is numpy on a ~128 px thumbnail: no model, no OpenCV; a 1080p frame takes ~10-20 ms,
mostly the downscale. It is imported by the first `find_focus`, so numpy loads in the thread that looks for the
subject (a render runs it beside the probe) rather than before the render can start.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from hookforge.errors import EffectsInvalid

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["CENTRE", "Focus", "crop_window", "find_focus", "focus_from_point", "keeps_subject", "zoom_anchor"]

Box = tuple[float, float, float, float]

#: the box of a focus point the brief gives, and of the centre fallback, as a fraction of the frame
DEFAULT_BOX_SIZE = 0.3

@dataclass(frozen=True)
class Focus:
    """Where the subject is, as fractions of the frame: a point (the zoom's target, the crops' centre) and a box
    around the subject (what a crop must keep).

    `box` is (left, top, right, bottom) and contains (x, y); `source` says where the focus came from: the brief,
    the saliency map, or the centre fallback for a picture with no evident subject.
    """

    x: float
    y: float
    box: Box
    source: Literal["brief", "saliency", "centre"]

    def __post_init__(self) -> None:
        left, top, right, bottom = self.box
        # NaN fails every comparison, so `not (...)` rejects it too
        if not (0.0 <= left <= self.x <= right <= 1.0 and 0.0 <= top <= self.y <= bottom <= 1.0):
            raise ValueError(f"a focus needs 0 <= left <= x <= right <= 1 (and likewise y); got {self!r}")


def _square(x: float, y: float, size: float) -> Box:
    half = size / 2
    return (max(0.0, x - half), max(0.0, y - half), min(1.0, x + half), min(1.0, y + half))


#: the focus of a picture with no evident subject: its middle
CENTRE = Focus(0.5, 0.5, _square(0.5, 0.5, DEFAULT_BOX_SIZE), "centre")


def focus_from_point(x: float, y: float, *, box_size: float = DEFAULT_BOX_SIZE) -> Focus:
    """A focus the brief gives (`effects.focus: [x, y]`), with a `box_size` x `box_size` box around it.

    The box is clipped to the frame. Raises EffectsInvalid if x or y is not a number in [0, 1] (NaN included).
    """
    if not 0.0 < box_size <= 1.0:
        raise ValueError(f"box_size must be in (0, 1], got {box_size!r}")
    for value in (x, y):
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not 0.0 <= value <= 1.0:
            raise EffectsInvalid(
                f"effects.focus must be [x, y] as fractions of the frame, each from 0 to 1 "
                f"(0 is the left/top edge), e.g. [0.5, 0.4]; got [{x!r}, {y!r}]"
            )
    fx, fy = float(x), float(y)
    return Focus(fx, fy, _square(fx, fy, box_size), "brief")

def find_focus(image: Image.Image) -> Focus:
    """Where the subject of `image` is, from a saliency map of colour contrast and edge energy (see
    `saliency.locate_subject`); the centre (source="centre") for a flat or featureless picture."""
    from hookforge.effects.saliency import locate_subject

    found = locate_subject(image)
    if found is None:
        return CENTRE
    x, y, box = found
    return Focus(x, y, box, "saliency")


# --- crops -----------------------------------------------------------------------------------------


def _even_down(v: float) -> int:
    return 2 * math.floor(v / 2)


def _even_up(v: float) -> int:
    return 2 * math.ceil(v / 2)


def _window_size(src: tuple[int, int], aspect: float) -> tuple[int, int]:
    """The largest even (w, h) with w/h within a pixel of `aspect` that fits in `src`."""
    width, height = src
    max_w, max_h = _even_down(width), _even_down(height)
    if not (math.isfinite(aspect) and aspect > 0):
        raise ValueError(f"aspect must be a positive width/height ratio, got {aspect!r}")
    if max_w < 2 or max_h < 2:
        raise ValueError(f"source frame {width}x{height} is too small to crop")
    if max_w / max_h >= aspect:  # the height binds: full height, width from the aspect
        for h in range(max_h, 0, -2):
            w = 2 * round(h * aspect / 2)
            if 2 <= w <= max_w:
                return w, h
    else:  # the width binds
        for w in range(max_w, 0, -2):
            h = 2 * round(w / aspect / 2)
            if 2 <= h <= max_h:
                return w, h
    raise ValueError(f"no even window of aspect {aspect} fits in a {width}x{height} frame")


def _place(length: int, size: int, centre: float, lo: float, hi: float) -> int:
    """The even offset of a `size` span inside `length`: centred on `centre`, covering [lo, hi] if it can."""
    limit = _even_down(length - size)
    start = round((centre - size / 2) / 2) * 2
    if hi - lo <= size:
        if start > lo:
            start = _even_down(lo)
        if start + size < hi:
            start = _even_up(hi - size)
    return min(max(start, 0), limit)


def crop_window(src: tuple[int, int], aspect: float, focus: Focus) -> tuple[int, int, int, int]:
    """The largest even-sized window (x, y, w, h in source pixels) of aspect `aspect` (width/height) inside a `src`
    (width, height) frame, centred on the focus point as far as the frame allows (clamped to the edges), and
    shifted, if needed and possible, so that it contains the focus box. All four values are even ints.

    Raises ValueError for a non-positive aspect or a frame smaller than 2x2.
    """
    width, height = src
    w, h = _window_size(src, aspect)
    left, top, right, bottom = focus.box
    x = _place(width, w, focus.x * width, left * width, right * width)
    y = _place(height, h, focus.y * height, top * height, bottom * height)
    return x, y, w, h


def keeps_subject(
    src: tuple[int, int], window: tuple[int, int, int, int], focus: Focus, *, tolerance: float = 0.1
) -> bool:
    """Whether the crop window keeps the subject: at least (1 - tolerance) of the focus box's area lies inside it.

    A box of no area (a point) is kept if the point is inside the window.
    """
    width, height = src
    wx, wy, ww, wh = window
    left, top, right, bottom = focus.box
    bl, bt, br, bb = left * width, top * height, right * width, bottom * height
    area = (br - bl) * (bb - bt)
    if area <= 0:
        return wx <= focus.x * width <= wx + ww and wy <= focus.y * height <= wy + wh
    inside = max(0.0, min(br, wx + ww) - max(bl, wx)) * max(0.0, min(bb, wy + wh) - max(bt, wy))
    return inside >= (1.0 - tolerance) * area - 1e-9


def zoom_anchor(src: tuple[int, int], window: tuple[int, int, int, int], focus: Focus) -> tuple[float, float]:
    """The focus point as fractions of the crop window (clipped to 0..1): where a punch-in inside that window
    should aim so that zooming keeps the subject in frame."""
    width, height = src
    wx, wy, ww, wh = window
    ax = (focus.x * width - wx) / ww
    ay = (focus.y * height - wy) / wh
    return min(max(ax, 0.0), 1.0), min(max(ay, 0.0), 1.0)
