"""Framing that keeps the subject: where the subject of a picture is, and where each crop of it should go.

`find_focus` estimates the subject from a still (the source's first frame or the generated image) with a cheap
saliency map; `focus_from_point` takes a focus the brief gives instead. `crop_window` then places each aspect's
crop so that it keeps the subject rather than the middle of the frame, `keeps_subject` says whether it managed,
and `zoom_anchor` says where a punch-in inside that crop should aim.

Everything here is numpy on a ~128 px thumbnail: no model, no OpenCV; a 1080p frame takes ~10-20 ms, mostly the
downscale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from PIL import Image

from hookforge.errors import EffectsInvalid

__all__ = ["CENTRE", "Focus", "crop_window", "find_focus", "focus_from_point", "keeps_subject", "zoom_anchor"]

Box = tuple[float, float, float, float]
Array = npt.NDArray[np.float64]

#: saliency is computed on a thumbnail this long on its long side (finer detail is not a subject)
ANALYSIS_SIDE = 128
#: the box of a focus point the brief gives, and of the centre fallback, as a fraction of the frame
DEFAULT_BOX_SIZE = 0.3

# Absolute levels (colour distance in the opponent space below, 0..~1) at which a cue counts as fully salient.
# Each cue map is divided by max(its peak, its level), so a weak cue (a sky's gentle gradient) stays weak instead
# of being stretched to 1 as a plain max-normalisation would.
_GLOBAL_LEVEL = 0.25
_LOCAL_LEVEL = 0.2
_EDGE_LEVEL = 0.08
_WEIGHTS = (0.4, 0.3, 0.3)  # global colour contrast, local colour contrast, edge energy
#: below this fraction of their levels, local contrast and edges are noise: the image is featureless. Global
#: contrast alone does not count, since a plain gradient has it everywhere but has no subject.
_FEATURELESS = 0.2
#: the subject region is the connected blob around the peak above this fraction of the peak's saliency ...
_REGION_FRACTION = 0.6
#: ... and above this percentile, so a busy picture does not make most of the frame "the subject"
_REGION_PERCENTILE = 60.0


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


# --- saliency ----------------------------------------------------------------------------------------


def _box_blur(a: Array, radius: int, axis: int, *, linear_edges: bool = False) -> Array:
    """Mean over a window of 2*radius+1 along `axis` (a running sum: cost independent of radius).

    Edges are replicated, or with `linear_edges` extrapolated (point-mirrored), which leaves a linear ramp
    exactly as it is: a gradient sky then has no "contrast with its surround" at the frame's edges.
    """
    if radius < 1:
        return a
    moved = np.moveaxis(a, axis, 0)
    pad = [(radius + 1, radius)] + [(0, 0)] * (moved.ndim - 1)
    if linear_edges:
        padded = np.pad(moved, pad, mode="reflect", reflect_type="odd")
    else:
        padded = np.pad(moved, pad, mode="edge")
    sums = np.cumsum(padded, axis=0)
    width = 2 * radius + 1
    out = (sums[width:] - sums[:-width]) / width
    return np.moveaxis(out, 0, axis)


def _blur(a: Array, radius: int, *, linear_edges: bool = False) -> Array:
    """A near-Gaussian blur: two box passes per axis."""
    for axis in (0, 1):
        for _ in range(2):
            a = _box_blur(a, radius, axis, linear_edges=linear_edges)
    return a


def _thumbnail(image: Image.Image) -> Array:
    """The picture as an (h, w, 3) float array in an opponent colour space, at most ANALYSIS_SIDE long."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    scale = ANALYSIS_SIDE / max(rgb.size)
    if scale < 1:
        size = (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale)))
        # BOX averages every source pixel: cheap, and it removes sensor noise and JPEG blocking before we look
        rgb = rgb.resize(size, Image.Resampling.BOX, reducing_gap=2.0)
    a = np.asarray(rgb, dtype=np.float64) / 255.0
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    # luminance plus red-green and yellow-blue opponents: distances in this space track perceived colour
    # difference far better than RGB (a red subject on a blue sky differs mostly in the opponents)
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    rg = 0.5 * (r - g)
    yb = 0.5 * (0.5 * (r + g) - b)
    return np.stack([lum, rg, yb], axis=-1)


def _distance(a: Array, b: Array) -> Array:
    """Euclidean colour distance along the last axis (b broadcasts: one colour, or a colour per pixel)."""
    return np.sqrt(np.sum((a - b) ** 2, axis=-1))


def _centre_prior(h: int, w: int) -> Array:
    """A mild preference for the middle: 1 at the centre, ~0.85 a third of the way out, ~0.37 in the corners."""
    ys = (np.arange(h) + 0.5) / h - 0.5
    xs = (np.arange(w) + 0.5) / w - 0.5
    d2 = ys[:, None] ** 2 + xs[None, :] ** 2
    return np.exp(-d2 / (2 * 0.5**2))


def _grow(seed: tuple[int, int], mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
    """The 8-connected component of `mask` containing `seed` (repeated dilation; the thumbnail is tiny)."""
    region = np.zeros_like(mask)
    region[seed] = True
    while True:
        grown = region.copy()
        grown[1:, :] |= region[:-1, :]
        grown[:-1, :] |= region[1:, :]
        # numpy makes in-place updates of overlapping views behave as if the right side were copied first
        grown[:, 1:] |= grown[:, :-1]
        grown[:, :-1] |= grown[:, 1:]
        grown &= mask
        if np.array_equal(grown, region):
            return region
        region = grown


def saliency_map(image: Image.Image) -> tuple[Array, bool]:
    """The saliency of a thumbnail of `image` (0..1, not centre-weighted) and whether the picture has any features.

    Exposed for debugging and tuning; `find_focus` is the API.
    """
    if min(image.size) < 4:
        return np.zeros((image.height, image.width)), False
    lab = _thumbnail(image)
    h, w = lab.shape[:2]
    if min(h, w) < 4:  # a sliver of a picture: nothing to find, and too small for the gradients
        return np.zeros((h, w)), False
    long_side = max(h, w)
    # a light blur first: single-pixel noise is not a subject
    lab = _blur(lab, 1) if long_side >= 16 else lab

    # (a) global colour contrast: how far each pixel's colour is from the picture's mean colour
    global_contrast = _distance(lab, lab.reshape(-1, 3).mean(axis=0))
    # local colour contrast: how far each pixel is from its surround (an eighth of the frame); unlike (a) it
    # ignores slow changes across the frame (a gradient sky, a vignette) and picks out what differs from its
    # neighbourhood. It also lights a halo around a large subject, which find_focus's region threshold cuts off.
    local_contrast = _distance(lab, _blur(lab, max(1, long_side // 8), linear_edges=True))
    # (b) edge energy: gradient magnitude, blurred to region size so a texture becomes one area, not lines
    gy, gx = np.gradient(lab, axis=(0, 1))
    edges = _blur(np.sqrt(np.sum(gx**2 + gy**2, axis=-1)), max(1, long_side // 40))

    featured = max(float(local_contrast.max()) / _LOCAL_LEVEL, float(edges.max()) / _EDGE_LEVEL) >= _FEATURELESS
    cues = (global_contrast / _GLOBAL_LEVEL, local_contrast / _LOCAL_LEVEL, edges / _EDGE_LEVEL)
    saliency = sum(
        (weight * cue / max(float(cue.max()), 1.0) for weight, cue in zip(_WEIGHTS, cues, strict=True)),
        np.zeros((h, w)),
    )
    return _blur(saliency, 1), featured


def find_focus(image: Image.Image) -> Focus:
    """Where the subject of `image` is, from a saliency map of colour contrast and edge energy.

    The picture is downscaled to ~128 px on its long side; each pixel's saliency combines its colour's distance
    from the picture's mean colour and from its surround (in an opponent colour space) with blurred edge
    energy. The most salient region is the connected blob around the peak of the saliency (weighted by a mild
    centre prior); the focus point is that blob's saliency-weighted centroid and the box its bounding box with a
    small margin. A flat or featureless picture returns the centre with source="centre".
    """
    saliency, featured = saliency_map(image)
    if not featured:
        return CENTRE
    h, w = saliency.shape
    # the prior only chooses which region is the subject; the centroid below uses the unweighted saliency so
    # the point is not pulled towards the middle of the frame
    peak = np.unravel_index(int(np.argmax(saliency * _centre_prior(h, w))), saliency.shape)
    seed = (int(peak[0]), int(peak[1]))
    threshold = max(_REGION_FRACTION * float(saliency[seed]), float(np.percentile(saliency, _REGION_PERCENTILE)))
    region = _grow(seed, saliency >= threshold)

    rows, cols = np.nonzero(region)
    weights = saliency[rows, cols] - threshold + 1e-6  # the blob's rim counts least
    x = float(np.sum((cols + 0.5) * weights) / np.sum(weights)) / w
    y = float(np.sum((rows + 0.5) * weights) / np.sum(weights)) / h
    left, right = float(cols.min()) / w, float(cols.max() + 1) / w
    top, bottom = float(rows.min()) / h, float(rows.max() + 1) / h
    # a small margin: the blurs already spread the blob a little past the subject's outline, but a soft outline
    # (hair, a shadow) fades below the threshold before it ends
    mx = 0.05 * (right - left) + 0.005
    my = 0.05 * (bottom - top) + 0.005
    box = (max(0.0, left - mx), max(0.0, top - my), min(1.0, right + mx), min(1.0, bottom + my))
    return Focus(min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3]), box, "saliency")


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
