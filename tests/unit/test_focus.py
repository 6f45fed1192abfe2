"""Framing that keeps the subject: saliency focus on generated pictures, and crop windows placed around it."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from hookforge.effects.focus import (
    CENTRE,
    Focus,
    crop_window,
    find_focus,
    focus_from_point,
    keeps_subject,
    zoom_anchor,
)
from hookforge.errors import EffectsInvalid

HD = (1920, 1080)
#: how close (as a fraction of the frame) a found focus must be to the subject's true centre
NEAR = 0.08


def sky(
    size: tuple[int, int] = HD,
    top: tuple[int, int, int] = (90, 150, 230),
    bottom: tuple[int, int, int] = (200, 225, 250),
) -> Image.Image:
    """A smooth vertical gradient, like a clear sky: background with colour change but no subject."""
    width, height = size
    t = np.linspace(0.0, 1.0, height)[:, None, None]
    rows = np.array(top, dtype=float) * (1 - t) + np.array(bottom, dtype=float) * t
    return Image.fromarray(np.repeat(rows, width, axis=1).round().astype(np.uint8))


def with_disc(image: Image.Image, cx: float, cy: float, radius: float, fill: tuple[int, int, int]) -> Image.Image:
    """`image` with a disc centred at (cx, cy) (fractions), radius a fraction of the width."""
    width, height = image.size
    r = radius * width
    ImageDraw.Draw(image).ellipse([cx * width - r, cy * height - r, cx * width + r, cy * height + r], fill=fill)
    return image


def with_texture(image: Image.Image, cx: float, cy: float, radius: float, *, cell: int = 8) -> Image.Image:
    """`image` with a round patch of random colour blocks (a busy, face-sized subject) at (cx, cy)."""
    width, height = image.size
    rng = np.random.default_rng(7)
    blocks = rng.integers(0, 256, size=(height // cell + 1, width // cell + 1, 3))
    noise = blocks.repeat(cell, axis=0).repeat(cell, axis=1)[:height, :width]
    ys, xs = np.mgrid[0:height, 0:width]
    inside = (xs - cx * width) ** 2 + (ys - cy * height) ** 2 <= (radius * width) ** 2
    pixels = np.asarray(image.convert("RGB")).copy()
    pixels[inside] = noise[inside]
    return Image.fromarray(pixels)


def assert_found(focus: Focus, x: float, y: float) -> None:
    assert focus.source == "saliency"
    assert abs(focus.x - x) <= NEAR and abs(focus.y - y) <= NEAR, (focus, (x, y))
    left, top, right, bottom = focus.box
    assert left <= x <= right and top <= y <= bottom, "the subject's centre is outside the focus box"


def centre_window(src: tuple[int, int], aspect: float) -> tuple[int, int, int, int]:
    return crop_window(src, aspect, CENTRE)


# --- find_focus ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("x", "y"), [(0.2, 0.6), (0.8, 0.6), (0.3, 0.3)])
def test_find_focus_locates_saturated_disc_on_sky(x: float, y: float) -> None:
    image = with_disc(sky(), x, y, 0.08, (220, 30, 30))

    assert_found(find_focus(image), x, y)


def test_find_focus_locates_bright_disc_on_dark_gradient() -> None:
    image = with_disc(sky((1280, 720), top=(10, 10, 40), bottom=(60, 40, 80)), 0.8, 0.4, 0.06, (250, 250, 240))

    assert_found(find_focus(image), 0.8, 0.4)


@pytest.mark.parametrize(("x", "y"), [(0.2, 0.6), (0.8, 0.6)])
def test_find_focus_locates_textured_blob_on_sky(x: float, y: float) -> None:
    image = with_texture(sky(), x, y, 0.07)

    assert_found(find_focus(image), x, y)


def test_find_focus_locates_small_busy_subject_on_flat_background() -> None:
    image = with_texture(Image.new("RGB", HD, (200, 190, 180)), 0.15, 0.8, 0.03)

    focus = find_focus(image)

    assert_found(focus, 0.15, 0.8)
    left, top, right, bottom = focus.box
    assert right - left < 0.15 and bottom - top < 0.25, "a small subject gets a small box"


def test_find_focus_prefers_larger_subject_over_small_one() -> None:
    image = with_disc(with_disc(sky(), 0.25, 0.5, 0.1, (220, 30, 30)), 0.8, 0.3, 0.02, (30, 30, 220))

    assert_found(find_focus(image), 0.25, 0.5)


def test_find_focus_box_hugs_subject_when_subject_is_large() -> None:
    image = with_disc(sky((1080, 1080)), 0.35, 0.55, 0.25, (200, 120, 40))

    focus = find_focus(image)

    assert_found(focus, 0.35, 0.55)
    left, top, right, bottom = focus.box
    # the disc spans 0.10-0.60 across and 0.30-0.80 down; the box keeps it without taking the frame
    assert left <= 0.12 and right >= 0.58 and top <= 0.32 and bottom >= 0.78
    assert right - left < 0.7 and bottom - top < 0.7


@pytest.mark.parametrize("mode", ["L", "RGBA", "P"])
def test_find_focus_locates_subject_when_image_is_not_rgb(mode: str) -> None:
    image = with_disc(sky((800, 600)), 0.75, 0.35, 0.08, (240, 240, 240)).convert(mode)

    assert_found(find_focus(image), 0.75, 0.35)


@pytest.mark.parametrize(
    "image",
    [
        Image.new("RGB", HD, (0, 0, 0)),
        Image.new("RGB", HD, (255, 255, 255)),
        Image.new("RGB", (1080, 1920), (90, 120, 140)),
        Image.new("L", (640, 640), 128),
        sky(),
        Image.fromarray(np.clip(np.random.default_rng(1).normal(128, 6, (540, 960, 3)), 0, 255).astype(np.uint8)),
    ],
    ids=["black", "white", "flat-portrait", "grey-L", "gradient-sky", "sensor-noise"],
)
def test_find_focus_returns_centre_when_image_is_featureless(image: Image.Image) -> None:
    focus = find_focus(image)

    assert focus == CENTRE
    assert (focus.x, focus.y, focus.source) == (0.5, 0.5, "centre")
    left, top, right, bottom = focus.box
    assert math.isclose(left + right, 1.0) and math.isclose(top + bottom, 1.0)


@pytest.mark.parametrize("size", [(0, 0), (3, 3), (2000, 10)])
def test_find_focus_returns_centre_when_image_is_too_small(size: tuple[int, int]) -> None:
    assert find_focus(Image.new("RGB", size, (255, 0, 0))) == CENTRE


# --- focus_from_point ----------------------------------------------------------------------------------


def test_focus_from_point_centres_box_on_point() -> None:
    focus = focus_from_point(0.5, 0.4)

    assert (focus.x, focus.y, focus.source) == (0.5, 0.4, "brief")
    assert focus.box == pytest.approx((0.35, 0.25, 0.65, 0.55))


def test_focus_from_point_clips_box_when_point_is_near_edge() -> None:
    focus = focus_from_point(0.05, 1.0, box_size=0.2)

    assert focus.box == pytest.approx((0.0, 0.9, 0.15, 1.0))


@pytest.mark.parametrize("point", [(0.0, 0.0), (1.0, 1.0), (0, 1)])
def test_focus_from_point_accepts_frame_edges(point: tuple[float, float]) -> None:
    focus = focus_from_point(*point)

    assert (focus.x, focus.y) == point


@pytest.mark.parametrize(
    "point",
    [(-0.01, 0.5), (1.01, 0.5), (0.5, -0.2), (0.5, 1.5), (math.nan, 0.5), (0.5, math.nan), (math.inf, 0.5)],
)
def test_focus_from_point_rejects_point_when_outside_frame(point: tuple[float, float]) -> None:
    with pytest.raises(EffectsInvalid) as caught:
        focus_from_point(*point)

    message = str(caught.value)
    assert "effects.focus" in message and "fractions of the frame" in message and "[0.5, 0.4]" in message


@pytest.mark.parametrize("point", [("0.5", 0.5), (0.5, None), (True, 0.5)])
def test_focus_from_point_rejects_point_when_not_numbers(point: tuple[object, object]) -> None:
    with pytest.raises(EffectsInvalid, match="effects.focus"):
        focus_from_point(*point)  # type: ignore[arg-type]


def test_focus_rejects_box_when_point_is_outside_it() -> None:
    with pytest.raises(ValueError, match="focus"):
        Focus(0.9, 0.5, (0.1, 0.1, 0.5, 0.9), "brief")


# --- crop_window and keeps_subject ---------------------------------------------------------------------


@pytest.mark.parametrize("x", [0.2, 0.8])
def test_crop_window_keeps_off_centre_subject_when_centre_crop_would_not(x: float) -> None:
    focus = find_focus(with_disc(sky(), x, 0.6, 0.08, (220, 30, 30)))

    window = crop_window(HD, 9 / 16, focus)

    assert keeps_subject(HD, window, focus)
    assert not keeps_subject(HD, centre_window(HD, 9 / 16), focus)
    wx, _, ww, _ = window
    assert wx <= x * HD[0] <= wx + ww


@pytest.mark.parametrize("src", [(1920, 1080), (1080, 1080), (1080, 1920), (1279, 721), (640, 480), (1080, 1350)])
@pytest.mark.parametrize("aspect", [9 / 16, 1.0, 4 / 5, 16 / 9])
@pytest.mark.parametrize("point", [(0.5, 0.5), (0.0, 0.0), (1.0, 1.0), (0.13, 0.91)])
def test_crop_window_is_even_inside_frame_and_maximal(
    src: tuple[int, int], aspect: float, point: tuple[float, float]
) -> None:
    width, height = src

    x, y, w, h = crop_window(src, aspect, focus_from_point(*point))

    assert all(isinstance(v, int) and v % 2 == 0 for v in (x, y, w, h))
    assert 0 <= x and x + w <= width and 0 <= y and y + h <= height
    assert abs(w - h * aspect) <= 1 or abs(h - w / aspect) <= 1, "wrong aspect"
    # maximal: the window takes the frame's full (even) width or height
    assert w >= width - 1 or h >= height - 1


def test_crop_window_keeps_full_frame_when_aspect_matches() -> None:
    assert crop_window((1080, 1920), 9 / 16, focus_from_point(0.1, 0.1)) == (0, 0, 1080, 1920)


def test_crop_window_centres_on_focus_when_frame_allows() -> None:
    x, y, w, h = crop_window(HD, 9 / 16, focus_from_point(0.5, 0.5, box_size=0.1))

    assert (w, h) == (608, 1080)
    assert (x, y) == (656, 0)


@pytest.mark.parametrize(
    ("point", "expected_x"), [((0.0, 0.5), 0), ((0.05, 0.5), 0), ((1.0, 0.5), 1312), ((0.97, 0.5), 1312)]
)
def test_crop_window_clamps_to_frame_when_focus_is_near_edge(point: tuple[float, float], expected_x: int) -> None:
    x, y, w, h = crop_window(HD, 9 / 16, focus_from_point(*point))

    assert x == expected_x and x + w <= HD[0]
    assert (y, h) == (0, 1080)


def test_crop_window_clamps_vertically_when_cropping_portrait_to_landscape() -> None:
    low = crop_window((1080, 1920), 16 / 9, focus_from_point(0.5, 0.98))
    high = crop_window((1080, 1920), 16 / 9, focus_from_point(0.5, 0.01))

    assert low == (0, 1920 - 608, 1080, 608)
    assert high == (0, 0, 1080, 608)


def test_crop_window_shifts_to_contain_box_when_point_is_off_box_centre() -> None:
    # the point is the subject's face on the left of its box; a window centred on the face would cut its right side
    focus = Focus(0.3, 0.5, (0.28, 0.2, 0.55, 0.8), "saliency")

    x, y, w, h = crop_window(HD, 9 / 16, focus)

    assert x > round(0.3 * HD[0] - w / 2)
    assert keeps_subject(HD, (x, y, w, h), focus, tolerance=0.0)
    assert x <= 0.3 * HD[0] <= x + w


def test_crop_window_centres_on_point_when_box_is_wider_than_window() -> None:
    focus = Focus(0.4, 0.5, (0.1, 0.2, 0.9, 0.8), "saliency")

    x, _, w, _ = crop_window(HD, 9 / 16, focus)

    assert abs(x + w / 2 - 0.4 * HD[0]) <= 2
    assert not keeps_subject(HD, (x, 0, w, 1080), focus)


@pytest.mark.parametrize("aspect", [0.0, -1.0, math.nan, math.inf])
def test_crop_window_rejects_aspect_when_not_positive_ratio(aspect: float) -> None:
    with pytest.raises(ValueError, match="aspect"):
        crop_window(HD, aspect, CENTRE)


def test_keeps_subject_honours_tolerance_when_box_is_partly_outside() -> None:
    # a box 200 px wide of which 150 px (75%) lies inside the window [0, 600)
    focus = Focus(0.25, 0.5, (450 / 1920, 0.4, 650 / 1920, 0.6), "brief")
    window = (0, 0, 600, 1080)

    assert not keeps_subject(HD, window, focus)
    assert keeps_subject(HD, window, focus, tolerance=0.25)
    assert keeps_subject(HD, (0, 0, 660, 1080), focus, tolerance=0.0)


# --- zoom_anchor ---------------------------------------------------------------------------------------


def test_zoom_anchor_is_window_centre_when_focus_is_centred() -> None:
    window = crop_window(HD, 9 / 16, CENTRE)

    assert zoom_anchor(HD, window, CENTRE) == pytest.approx((0.5, 0.5))


def test_zoom_anchor_points_at_subject_when_window_is_clamped() -> None:
    focus = focus_from_point(0.05, 0.25)
    window = crop_window(HD, 9 / 16, focus)  # clamped to the left edge: (0, 0, 608, 1080)

    assert zoom_anchor(HD, window, focus) == pytest.approx((0.05 * 1920 / 608, 0.25))


def test_zoom_anchor_clips_when_focus_is_outside_window() -> None:
    focus = focus_from_point(0.9, 0.1)

    assert zoom_anchor(HD, (0, 540, 608, 540), focus) == (1.0, 0.0)
