"""Platform safe zones as data: where each placement's interface covers the frame, and where text may go.

Every rectangle is a fraction of the frame, so one table serves a 1080x1920 master and a 270x480 preview.
`text_zone` intersects the safe rectangles of the placements a brief targets: hook text placed inside it
stays clear of every targeted interface at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

from hookforge.errors import EffectsInvalid

#: float noise (0.15 * 1920 = 288.00000000000006) must not push a pixel edge one step inward
_EPSILON = 1e-9


@dataclass(frozen=True)
class Rect:
    """A rectangle as fractions of the frame: 0 <= left < right <= 1, 0 <= top < bottom <= 1."""

    left: float
    top: float
    right: float
    bottom: float

    def __post_init__(self) -> None:
        # written as positive checks so NaN fails them too
        if not (0.0 <= self.left < self.right <= 1.0 and 0.0 <= self.top < self.bottom <= 1.0):
            raise ValueError(
                f"a Rect needs 0 <= left < right <= 1 and 0 <= top < bottom <= 1, got "
                f"left={self.left}, top={self.top}, right={self.right}, bottom={self.bottom}"
            )

    @property
    def width(self) -> float:
        """Width as a fraction of the frame width."""
        return self.right - self.left

    @property
    def height(self) -> float:
        """Height as a fraction of the frame height."""
        return self.bottom - self.top

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """The pixel box (x0, y0, x1, y1) of this rectangle in a `width` x `height` frame.

        x1 and y1 are exclusive, as in a PIL crop box. Edges round inward, so a box made from a safe rectangle
        never reaches into the interface it avoids; the box is always inside the frame and at least 1x1.
        """
        if width < 1 or height < 1:
            raise ValueError(f"a frame needs a positive size, got {width}x{height}")
        x0, x1 = _inward(self.left * width, self.right * width, width)
        y0, y1 = _inward(self.top * height, self.bottom * height, height)
        return x0, y0, x1, y1

    def intersect(self, other: Rect) -> Rect:
        """The area both rectangles cover; ValueError when they share no area (touching edges share none)."""
        left, top = max(self.left, other.left), max(self.top, other.top)
        right, bottom = min(self.right, other.right), min(self.bottom, other.bottom)
        if left >= right or top >= bottom:
            raise ValueError(f"{self} and {other} do not overlap")
        return Rect(left, top, right, bottom)

    def contains(self, other: Rect) -> bool:
        """True when `other` lies entirely inside this rectangle (shared edges count as inside)."""
        return (
            self.left <= other.left
            and self.top <= other.top
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def overlaps(self, other: Rect) -> bool:
        """True when the rectangles share some area; rectangles that only touch along an edge do not overlap."""
        return (
            self.left < other.right and other.left < self.right and self.top < other.bottom and other.top < self.bottom
        )


def _inward(start: float, end: float, limit: int) -> tuple[int, int]:
    lo = min(max(math.ceil(start - _EPSILON), 0), limit)
    hi = min(max(math.floor(end + _EPSILON), 0), limit)
    if hi <= lo:
        # a sliver thinner than a pixel still gets one pixel, so callers never see an empty box
        lo = min(lo, limit - 1)
        hi = lo + 1
    return lo, hi


@dataclass(frozen=True)
class UiArea:
    """A part of the frame that the placement's interface covers, named for the guide image."""

    label: str
    rect: Rect


@dataclass(frozen=True)
class Placement:
    """One place an ad is shown: its native frame, what its interface covers, and where text may go.

    `ui` lists what the platform draws over the video. Where a platform publishes only "keep off the edges"
    (the feeds, the sides of Stories), the edge margins hookforge reserves are listed too, labelled as margins,
    so a guide image shows every area text is kept out of.
    """

    key: str
    label: str
    aspect: str
    size: tuple[int, int]
    safe: Rect
    ui: tuple[UiArea, ...]
    source: str


def _margins(left: float, top: float, right: float, bottom: float, label: str) -> tuple[UiArea, ...]:
    """Four edge bands (widths as fractions) that tile the frame around the middle; zero-width bands are left out."""
    bands = (
        (Rect(0.0, 0.0, 1.0, top) if top else None),
        (Rect(0.0, 1.0 - bottom, 1.0, 1.0) if bottom else None),
        (Rect(0.0, top, left, 1.0 - bottom) if left else None),
        (Rect(1.0 - right, top, 1.0, 1.0 - bottom) if right else None),
    )
    return tuple(UiArea(label, rect) for rect in bands if rect is not None)


# --- the table ----------------------------------------------------------------------------------------------
# Where each number comes from (pixels are at 1080x1920 for 9:16, 1920x1080 for 16:9, converted to fractions):
#
# tiktok  TikTok publishes its in-feed safe zone only as template images (In-Feed-Standard LTR.zip on the
#         "TikTok Auction In-Feed Ads" help page), not as numbers. The top 12.5 % and bottom 34.4 % (440 px of
#         1280) and the 11 % side margin are a third party's pixel measurement of that template (forum.logik.tv
#         thread below); Shotstack's combined box also starts at x = 120 px (11 %) because of TikTok's template.
#         The action column is widely cited as the right 120-170 px (adfuseai.com 150 px, socaptions.com 170 px):
#         hookforge's own conservative choice is 16 % (x >= 907 px). The bottom 34.4 % is rounded up to 35 %.
# reels   Meta's Reels guidance: keep the top 14 %, bottom 35 % and 6 % of each side free of text and logos.
#         Meta's own page did not come up in search; the numbers are widely cited (Shotstack, MediaMax below).
# stories Meta Ads Guide, Stories: "roughly 14% (250 pixels) of the top and 20% (340 pixels) of the bottom"
#         (read on a mirror of facebook.com/business/ads-guide). Meta names no side margin; the 5 % sides are
#         hookforge's own choice (rounded screen corners).
# shorts  Google's safe zone for vertical YouTube ads, as given by Shotstack: 288 px top, 672 px bottom,
#         48 px left, 192 px right (the action buttons). Google's own page did not come up in search.
# feed-4x5, feed-1x1  Meta publishes no overlay safe zone for feed video: its interface sits around the media,
#         not on it. hookforge keeps text 64 px off every edge (about 6 % of 1080), the Instagram 4:5 feed
#         margin ImageFactory cites; the same margin is hookforge's choice for 1:1.
# youtube-16x9  Google's YouTube Demand Gen 16:9 safe-zone template, as measured in the forum.logik.tv thread
#         (third-party measurement at 1920x1080): top-left notch 496x183 px (channel and ad badge), top-right
#         notch 475x133 px, edges 38 px top/left, 162 px right, 387 px bottom (ad info, CTA, skip button,
#         progress bar). hookforge's safe rectangle is the widest one clear of both notches (top = 183 px).
# -------------------------------------------------------------------------------------------------------------

_TIKTOK_TOP, _TIKTOK_BOTTOM, _TIKTOK_LEFT, _TIKTOK_ACTIONS = 0.125, 0.35, 0.11, 0.84
_SHORTS_TOP, _SHORTS_BOTTOM, _SHORTS_LEFT, _SHORTS_RIGHT = 288 / 1920, 672 / 1920, 48 / 1080, 192 / 1080
#: the feeds' 64 px edge margin as fractions: across a 1080 frame, down a 1350 (4:5) or 1080 (1:1) frame
_FEED_X, _FEED_Y_4X5, _FEED_Y_1X1 = 64 / 1080, 64 / 1350, 64 / 1080
_YT_LEFT, _YT_TOP, _YT_RIGHT, _YT_BOTTOM = 38 / 1920, 183 / 1080, 162 / 1920, 387 / 1080

PLACEMENTS: dict[str, Placement] = {
    "tiktok": Placement(
        key="tiktok",
        label="TikTok",
        aspect="9:16",
        size=(1080, 1920),
        safe=Rect(_TIKTOK_LEFT, _TIKTOK_TOP, _TIKTOK_ACTIONS, 1.0 - _TIKTOK_BOTTOM),
        ui=(
            UiArea("top bar (Following / For You)", Rect(0.0, 0.0, 1.0, _TIKTOK_TOP)),
            UiArea("caption, sound and CTA", Rect(0.0, 1.0 - _TIKTOK_BOTTOM, 1.0, 1.0)),
            UiArea("action buttons", Rect(_TIKTOK_ACTIONS, _TIKTOK_TOP, 1.0, 1.0 - _TIKTOK_BOTTOM)),
            UiArea("edge margin", Rect(0.0, _TIKTOK_TOP, _TIKTOK_LEFT, 1.0 - _TIKTOK_BOTTOM)),
        ),
        source=(
            "TikTok Ads Manager, 'TikTok Auction In-Feed Ads' safe-zone templates "
            "https://ads.tiktok.com/help/article/tiktok-auction-in-feed-ads, as measured in "
            "https://forum.logik.tv/t/some-social-media-safe-zone-matchbox/14356; action column widely cited "
            "(https://adfuseai.com/blog/tiktok-ad-sizes-specs-guide, https://socaptions.com/blog/tiktok-safe-zones-2026)"
        ),
    ),
    "reels": Placement(
        key="reels",
        label="Instagram/Facebook Reels",
        aspect="9:16",
        size=(1080, 1920),
        safe=Rect(0.06, 0.14, 0.94, 0.65),
        ui=(
            UiArea("top bar (Reels, profile)", Rect(0.0, 0.0, 1.0, 0.14)),
            UiArea("caption, CTA and actions", Rect(0.0, 0.65, 1.0, 1.0)),
            UiArea("side margin", Rect(0.0, 0.14, 0.06, 0.65)),
            UiArea("side margin (action buttons)", Rect(0.94, 0.14, 1.0, 0.65)),
        ),
        source=(
            "Meta Reels ads guidance (top 14%, bottom 35%, sides 6%), widely cited: "
            "https://shotstack.io/learn/vertical-video-safe-zones/ (Shotstack, 'Vertical video safe zones for "
            "TikTok, Reels, Stories, Shorts'), https://mediamaxnetwork.com/digital-specifications/social-ads/"
        ),
    ),
    "stories": Placement(
        key="stories",
        label="Instagram/Facebook Stories",
        aspect="9:16",
        size=(1080, 1920),
        safe=Rect(0.05, 0.14, 0.95, 0.80),
        ui=(
            UiArea("profile and progress bar", Rect(0.0, 0.0, 1.0, 0.14)),
            UiArea("CTA and reply bar", Rect(0.0, 0.80, 1.0, 1.0)),
            UiArea("edge margin", Rect(0.0, 0.14, 0.05, 0.80)),
            UiArea("edge margin", Rect(0.95, 0.14, 1.0, 0.80)),
        ),
        source=(
            "Meta Ads Guide, Facebook Stories: 'leaving roughly 14% (250 pixels) of the top and 20% (340 pixels) "
            "of the bottom' free https://www.facebook.com/business/ads-guide/update/image/facebook-story"
        ),
    ),
    "shorts": Placement(
        key="shorts",
        label="YouTube Shorts",
        aspect="9:16",
        size=(1080, 1920),
        safe=Rect(_SHORTS_LEFT, _SHORTS_TOP, 1.0 - _SHORTS_RIGHT, 1.0 - _SHORTS_BOTTOM),
        ui=(
            UiArea("top bar (search, menu)", Rect(0.0, 0.0, 1.0, _SHORTS_TOP)),
            UiArea("title, channel and CTA", Rect(0.0, 1.0 - _SHORTS_BOTTOM, 1.0, 1.0)),
            UiArea("action buttons", Rect(1.0 - _SHORTS_RIGHT, _SHORTS_TOP, 1.0, 1.0 - _SHORTS_BOTTOM)),
            UiArea("edge margin", Rect(0.0, _SHORTS_TOP, _SHORTS_LEFT, 1.0 - _SHORTS_BOTTOM)),
        ),
        source=(
            "Google's safe zone for vertical YouTube ads (288/672/48/192 px at 1080x1920), as given by "
            "https://shotstack.io/learn/vertical-video-safe-zones/ (Shotstack); Google Ads Help, Demand Gen "
            "asset specs point to it: https://support.google.com/google-ads/answer/13704860"
        ),
    ),
    "feed-4x5": Placement(
        key="feed-4x5",
        label="Instagram/Facebook Feed 4:5",
        aspect="4:5",
        size=(1080, 1350),
        safe=Rect(_FEED_X, _FEED_Y_4X5, 1.0 - _FEED_X, 1.0 - _FEED_Y_4X5),
        ui=_margins(_FEED_X, _FEED_Y_4X5, _FEED_X, _FEED_Y_4X5, "edge margin (no UI overlay)"),
        source=(
            "No Meta overlay guidance for feed; 64 px edge margin as cited by ImageFactory, 'Instagram Story & "
            "Reels Ads: Where Text Is Actually Safe' https://www.imagefactory.co.kr/en/guides/instagram-story-ad-text-safe-zone"
        ),
    ),
    "feed-1x1": Placement(
        key="feed-1x1",
        label="Instagram/Facebook Feed 1:1",
        aspect="1:1",
        size=(1080, 1080),
        safe=Rect(_FEED_X, _FEED_Y_1X1, 1.0 - _FEED_X, 1.0 - _FEED_Y_1X1),
        ui=_margins(_FEED_X, _FEED_Y_1X1, _FEED_X, _FEED_Y_1X1, "edge margin (no UI overlay)"),
        source=(
            "No Meta overlay guidance for feed; hookforge keeps the 4:5 feed's 64 px edge margin "
            "(https://www.imagefactory.co.kr/en/guides/instagram-story-ad-text-safe-zone, ImageFactory)"
        ),
    ),
    "youtube-16x9": Placement(
        key="youtube-16x9",
        label="YouTube in-stream 16:9",
        aspect="16:9",
        size=(1920, 1080),
        safe=Rect(_YT_LEFT, _YT_TOP, 1.0 - _YT_RIGHT, 1.0 - _YT_BOTTOM),
        ui=(
            UiArea("channel and ad badge", Rect(0.0, 0.0, 496 / 1920, _YT_TOP)),
            UiArea("top controls", Rect(1.0 - 475 / 1920, 0.0, 1.0, 133 / 1080)),
            UiArea("ad info, CTA, skip button, progress bar", Rect(0.0, 1.0 - _YT_BOTTOM, 1.0, 1.0)),
            UiArea("right controls", Rect(1.0 - _YT_RIGHT, 133 / 1080, 1.0, 1.0 - _YT_BOTTOM)),
            UiArea("edge margin", Rect(0.0, _YT_TOP, _YT_LEFT, 1.0 - _YT_BOTTOM)),
        ),
        source=(
            "Google YouTube Demand Gen 16:9 safe-zone template (notches 496x183 and 475x133 px; edges 38/38/162/387 "
            "px at 1920x1080) as measured in https://forum.logik.tv/t/some-social-media-safe-zone-matchbox/14356"
        ),
    ),
}

#: every aspect hookforge renders; each has at least one placement
ASPECTS: tuple[str, ...] = ("9:16", "4:5", "1:1", "16:9")


def placements_for(aspect: str, only: Sequence[str] | None = None) -> list[Placement]:
    """The placements shown in `aspect` frames, optionally only those whose key is in `only`.

    Unknown keys in `only` raise EffectsInvalid naming the choices. If `only` names no placement of this
    aspect, all placements of the aspect are returned (a brief that targets TikTok still gets a 1:1 render
    placed safely). An aspect with no placement raises EffectsInvalid too.
    """
    of_aspect = [p for p in PLACEMENTS.values() if p.aspect == aspect]
    if not of_aspect:
        raise EffectsInvalid(f"no placement shows {aspect!r} frames; choose one of {', '.join(ASPECTS)}")
    if only is None:
        return of_aspect
    # a bare string is a Sequence[str] too; "tiktok" must not be read as t, i, k, ...
    keys = (only,) if isinstance(only, str) else tuple(only)
    unknown = [k for k in keys if k not in PLACEMENTS]
    if unknown:
        raise EffectsInvalid(f"unknown placement {', '.join(map(repr, unknown))}; choose from {', '.join(PLACEMENTS)}")
    chosen = [p for p in of_aspect if p.key in keys]
    return chosen or of_aspect


def text_zone(aspect: str, only: Sequence[str] | None = None) -> Rect:
    """The strictest text-safe rectangle for an aspect: the intersection of `safe` of placements_for(aspect, only)."""
    return reduce(Rect.intersect, (p.safe for p in placements_for(aspect, only)))
