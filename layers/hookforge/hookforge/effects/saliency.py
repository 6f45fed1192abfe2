"""The subject of a picture from a cheap saliency map: numpy on a ~128 px thumbnail (`focus.find_focus` uses it)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from PIL import Image

Array = npt.NDArray[np.float64]
Box = tuple[float, float, float, float]

#: saliency is computed on a thumbnail this long on its long side (finer detail is not a subject)
ANALYSIS_SIDE = 128

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


def locate_subject(image: Image.Image) -> tuple[float, float, Box] | None:
    """Where the subject of `image` is, from a saliency map of colour contrast and edge energy: its point and box
    (fractions of the frame, as `focus.Focus` holds them), or None for a flat or featureless picture.

    The picture is downscaled to ~128 px on its long side; each pixel's saliency combines its colour's distance
    from the picture's mean colour and from its surround (in an opponent colour space) with blurred edge
    energy. The most salient region is the connected blob around the peak of the saliency (weighted by a mild
    centre prior); the focus point is that blob's saliency-weighted centroid and the box its bounding box with a
    small margin.
    """
    saliency, featured = saliency_map(image)
    if not featured:
        return None
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
    return min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3]), box
