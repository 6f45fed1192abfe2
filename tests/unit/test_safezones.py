"""Platform safe zones as data, and the guide images drawn from them (Given/When/Then)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from hookforge.effects.guides import SAFE_COLOUR, UI_FILL, ZONE_COLOUR, draw_guides, write_guides
from hookforge.effects.safezones import ASPECTS, PLACEMENTS, Placement, Rect, placements_for, text_zone
from hookforge.errors import EffectsInvalid

NINE_SIXTEEN = ("tiktok", "reels", "stories", "shorts")


def _frame(width: int, height: int) -> Image.Image:
    """A frame with no two neighbouring pixels alike, so 'unchanged' means untouched, not 'same flat colour'."""
    ramp = Image.linear_gradient("L")
    red = ramp.resize((width, height))
    green = ramp.rotate(90).resize((width, height))
    blue = Image.new("L", (width, height), 90)
    return Image.merge("RGB", (red, green, blue))


def _px(image: Image.Image, x: float, y: float) -> tuple[int, ...]:
    """The RGB pixel at fractions (x, y) of the image."""
    value = image.getpixel((int(x * (image.width - 1)), int(y * (image.height - 1))))
    assert isinstance(value, tuple)
    return value[:3]


def _ui(placement: Placement, label: str) -> Rect:
    return next(area.rect for area in placement.ui if area.label == label)


# --- Rect --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "edges",
    [(0.5, 0.1, 0.5, 0.9), (0.6, 0.1, 0.4, 0.9), (0.1, 0.9, 0.9, 0.1), (-0.1, 0.0, 0.5, 0.5), (0.0, 0.0, 1.1, 1.0)],
)
def test_rect_rejects_empty_inverted_or_outside_edges(edges: tuple[float, float, float, float]) -> None:
    with pytest.raises(ValueError, match="left < right"):
        Rect(*edges)


def test_rect_rejects_nan_edges() -> None:
    with pytest.raises(ValueError):
        Rect(float("nan"), 0.0, 1.0, 1.0)


def test_to_pixels_rounds_inward_when_edges_fall_between_pixels() -> None:
    # Given Reels' safe band on a 1080x1920 frame: 0.06 * 1080 = 64.8 and 0.14 * 1920 = 268.8
    box = Rect(0.06, 0.14, 0.94, 0.65).to_pixels(1080, 1920)
    # Then the box starts on the next whole pixel and ends on the previous one (1015.2 -> 1015, 1248 stays)
    assert box == (65, 269, 1015, 1248)


def test_to_pixels_keeps_exact_edges_despite_float_noise() -> None:
    # 0.15 * 1920 is 288.00000000000006 in floats: it must not become 289
    assert Rect(48 / 1080, 288 / 1920, 1 - 192 / 1080, 1 - 672 / 1920).to_pixels(1080, 1920) == (48, 288, 888, 1248)


def test_to_pixels_stays_inside_the_frame_and_never_empty() -> None:
    assert Rect(0.0, 0.0, 1.0, 1.0).to_pixels(7, 5) == (0, 0, 7, 5)
    x0, y0, x1, y1 = Rect(0.51, 0.51, 0.52, 0.52).to_pixels(10, 10)
    assert (x1 - x0, y1 - y0) == (1, 1)
    assert 0 <= x0 < x1 <= 10 and 0 <= y0 < y1 <= 10


def test_intersect_returns_the_common_area() -> None:
    a, b = Rect(0.1, 0.2, 0.6, 0.9), Rect(0.3, 0.1, 0.8, 0.7)
    assert a.intersect(b) == Rect(0.3, 0.2, 0.6, 0.7)
    assert a.intersect(b) == b.intersect(a)


@pytest.mark.parametrize("other", [Rect(0.7, 0.0, 0.9, 1.0), Rect(0.5, 0.0, 0.9, 1.0)])
def test_intersect_raises_when_disjoint_or_only_touching(other: Rect) -> None:
    with pytest.raises(ValueError, match="do not overlap"):
        Rect(0.0, 0.0, 0.5, 1.0).intersect(other)


def test_contains_counts_shared_edges_and_rejects_overhang() -> None:
    outer = Rect(0.1, 0.1, 0.9, 0.9)
    assert outer.contains(Rect(0.1, 0.1, 0.9, 0.9))
    assert outer.contains(Rect(0.2, 0.3, 0.4, 0.5))
    assert not outer.contains(Rect(0.2, 0.3, 0.95, 0.5))
    assert not Rect(0.2, 0.3, 0.4, 0.5).contains(outer)


def test_overlaps_needs_shared_area_not_a_shared_edge() -> None:
    left = Rect(0.0, 0.0, 0.5, 1.0)
    assert left.overlaps(Rect(0.4, 0.4, 0.6, 0.6))
    assert not left.overlaps(Rect(0.5, 0.0, 1.0, 1.0))
    assert not left.overlaps(Rect(0.6, 0.0, 1.0, 1.0))


# --- the table ---------------------------------------------------------------------------------------------
def test_placements_are_keyed_by_their_key_in_the_documented_order() -> None:
    assert list(PLACEMENTS) == [*NINE_SIXTEEN, "feed-4x5", "feed-1x1", "youtube-16x9"]
    assert all(key == placement.key for key, placement in PLACEMENTS.items())


@pytest.mark.parametrize("placement", PLACEMENTS.values(), ids=lambda p: p.key)
def test_safe_rect_overlaps_none_of_the_placements_ui_areas(placement: Placement) -> None:
    overlapping = [area.label for area in placement.ui if area.rect.overlaps(placement.safe)]
    assert overlapping == []
    assert placement.ui, "a guide needs something to shade"


@pytest.mark.parametrize("placement", PLACEMENTS.values(), ids=lambda p: p.key)
def test_placement_native_size_matches_its_aspect_and_it_cites_a_source(placement: Placement) -> None:
    across, down = (int(n) for n in placement.aspect.split(":"))
    width, height = placement.size
    assert width * down == height * across
    assert "https://" in placement.source


@pytest.mark.parametrize("aspect", ["9:16", "4:5", "1:1", "16:9"])
def test_every_rendered_aspect_has_a_placement(aspect: str) -> None:
    assert aspect in ASPECTS
    assert placements_for(aspect)


def test_text_zone_9x16_keeps_meta_reels_margins_and_clears_tiktok_actions() -> None:
    zone = text_zone("9:16")
    # Meta's Reels rule: top 14 %, bottom 35 %, sides 6 % free of text
    assert zone.top >= 0.14 and zone.bottom <= 0.65 and zone.left >= 0.06 and zone.right <= 0.94
    assert zone.right <= _ui(PLACEMENTS["tiktok"], "action buttons").left
    # and at 1080 wide the column's ~940 px edge is well clear
    assert zone.to_pixels(1080, 1920)[2] <= 940


@pytest.mark.parametrize("aspect", ASPECTS)
def test_text_zone_lies_inside_every_safe_rect_of_the_aspect(aspect: str) -> None:
    zone = text_zone(aspect)
    for placement in placements_for(aspect):
        assert placement.safe.contains(zone), placement.key
        assert not any(area.rect.overlaps(zone) for area in placement.ui), placement.key


def test_text_zone_is_the_intersection_of_the_targeted_placements_only() -> None:
    reels, shorts = PLACEMENTS["reels"].safe, PLACEMENTS["shorts"].safe
    assert text_zone("9:16", ["reels"]) == reels
    assert text_zone("9:16", ["reels", "shorts"]) == reels.intersect(shorts)
    # targeting fewer placements can only widen the zone
    assert text_zone("9:16", ["reels"]).contains(text_zone("9:16"))
    assert text_zone("9:16", ["reels"]) != text_zone("9:16")


def test_placements_for_only_keeps_named_placements_of_the_aspect() -> None:
    assert [p.key for p in placements_for("9:16", ["shorts", "tiktok", "feed-1x1"])] == ["tiktok", "shorts"]


def test_placements_for_only_naming_no_placement_of_the_aspect_returns_all_of_it() -> None:
    # a brief that targets TikTok still gets its 1:1 render placed safely
    assert [p.key for p in placements_for("1:1", ["tiktok"])] == ["feed-1x1"]
    assert [p.key for p in placements_for("9:16", [])] == list(NINE_SIXTEEN)


def test_placements_for_accepts_a_bare_key_string() -> None:
    assert [p.key for p in placements_for("9:16", "tiktok")] == ["tiktok"]


def test_placements_for_unknown_key_raises_effects_invalid_naming_the_choices() -> None:
    with pytest.raises(EffectsInvalid, match="'snapchat'") as raised:
        placements_for("9:16", ["tiktok", "snapchat"])
    assert all(key in str(raised.value) for key in PLACEMENTS)


def test_placements_for_unknown_key_raises_even_for_an_aspect_it_would_not_touch() -> None:
    with pytest.raises(EffectsInvalid, match="'reel'"):
        text_zone("16:9", ["reel"])


def test_placements_for_unknown_aspect_raises_effects_invalid() -> None:
    with pytest.raises(EffectsInvalid, match="'3:2'"):
        placements_for("3:2")


# --- guides ------------------------------------------------------------------------------------------------
def test_draw_guides_shades_ui_and_leaves_the_safe_middle_untouched() -> None:
    # Given a 9:16 frame a quarter of the native size
    frame = _frame(270, 480)
    before = frame.copy()
    tiktok = PLACEMENTS["tiktok"]
    # When the TikTok guide is drawn
    guide = draw_guides(frame, tiktok, text_zone=text_zone("9:16"))
    # Then it is an RGB copy and the input is left alone
    assert guide.mode == "RGB" and guide.size == frame.size
    assert frame.tobytes() == before.tobytes()
    # the action column is marked (shading or its label)
    assert _px(guide, 0.93, 0.40) != _px(frame, 0.93, 0.40)
    # a corner of the top bar, clear of any label, is the frame blended 40 % toward red
    original, shaded = _px(frame, 0.01, 0.01), _px(guide, 0.01, 0.01)
    alpha = UI_FILL[3] / 255
    expected = tuple(round(o * (1 - alpha) + c * alpha) for o, c in zip(original, UI_FILL[:3], strict=True))
    assert all(abs(s - e) <= 2 for s, e in zip(shaded, expected, strict=True))
    # and well inside the safe area nothing changed
    for x, y in [(0.45, 0.40), (0.30, 0.55), (0.60, 0.25)]:
        assert _px(guide, x, y) == _px(frame, x, y)


def test_draw_guides_outlines_the_safe_rect_in_green() -> None:
    frame = _frame(270, 480)
    reels = PLACEMENTS["reels"]
    guide = draw_guides(frame, reels)
    x0, y0, x1, y1 = reels.safe.to_pixels(*frame.size)
    assert guide.getpixel((x0, (y0 + y1) // 2)) == SAFE_COLOUR[:3]
    assert guide.getpixel(((x0 + x1) // 2, y1 - 1)) == SAFE_COLOUR[:3]


def test_draw_guides_outlines_the_text_zone_only_when_given() -> None:
    frame = _frame(270, 480)
    zone = text_zone("9:16")
    x0, y0, _, _ = zone.to_pixels(*frame.size)
    with_zone = draw_guides(frame, PLACEMENTS["stories"], text_zone=zone)
    without = draw_guides(frame, PLACEMENTS["stories"])
    # the dashes start at the zone's top-left corner
    assert with_zone.getpixel((x0, y0)) == ZONE_COLOUR[:3]
    assert without.getpixel((x0, y0)) == frame.getpixel((x0, y0))


def test_draw_guides_reads_at_native_size() -> None:
    frame = _frame(1920, 1080)
    youtube = PLACEMENTS["youtube-16x9"]
    guide = draw_guides(frame, youtube, text_zone=text_zone("16:9"))
    assert guide.size == (1920, 1080)
    assert _px(guide, 0.5, 0.4) == _px(frame, 0.5, 0.4)
    assert _px(guide, 0.5, 0.99) != _px(frame, 0.5, 0.99)


def test_draw_guides_rejects_a_frame_of_another_aspect() -> None:
    with pytest.raises(ValueError, match="not 9:16"):
        draw_guides(_frame(300, 300), PLACEMENTS["tiktok"])


def test_write_guides_writes_one_png_per_placement_of_each_aspect_given(tmp_path: Path) -> None:
    # Given frame 0 of a 9:16 and a 1:1 render
    frames = {"9:16": _frame(180, 320), "1:1": _frame(200, 200)}
    out = tmp_path / "guides" / "nested"
    # When guides are written into a directory that does not exist yet
    written = write_guides(frames, out)
    # Then every placement of those aspects has its PNG, and no other placement does
    assert set(written) == {*NINE_SIXTEEN, "feed-1x1"}
    assert sorted(p.name for p in out.iterdir()) == sorted(f"guide-{key}.png" for key in written)
    for key, path in written.items():
        assert path == out / f"guide-{key}.png"
        with Image.open(path) as png:
            assert png.format == "PNG"
            assert png.size == frames[PLACEMENTS[key].aspect].size


def test_write_guides_only_restricts_each_aspect_to_the_named_placements(tmp_path: Path) -> None:
    frames = {"9:16": _frame(180, 320), "1:1": _frame(200, 200)}
    written = write_guides(frames, tmp_path, only=["tiktok", "feed-4x5"])
    # tiktok is the only named 9:16 placement; nothing named is 1:1, so 1:1 keeps all of its own
    assert set(written) == {"tiktok", "feed-1x1"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guide-feed-1x1.png", "guide-tiktok.png"]


def test_write_guides_draws_with_the_zone_of_the_targeted_placements(tmp_path: Path) -> None:
    # targeting Reels alone, the dashed zone is Reels' own safe rect
    frame = _frame(270, 480)
    path = write_guides({"9:16": frame}, tmp_path, only=["reels"])["reels"]
    x0, y0, _, _ = PLACEMENTS["reels"].safe.to_pixels(*frame.size)
    with Image.open(path) as png:
        assert png.convert("RGB").getpixel((x0, y0)) == ZONE_COLOUR[:3]


def test_write_guides_with_an_unknown_placement_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "guides"
    with pytest.raises(EffectsInvalid, match="'tiktokk'"):
        write_guides({"9:16": _frame(180, 320), "1:1": _frame(200, 200)}, out, only=["tiktokk"])
    assert not out.exists()
