"""Effects as data: each effect is a small pydantic spec; a preset is a `Look` composed of them.

A `Look` is what one render applies. Presets are named looks (see `presets.py`); a brief picks one and
overrides any field with a nested dict (`{"zoom": {"end": 1.3}, "text": {"color": "yellow"}}`).
`None` for an effect means "off".
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Curves = Literal["none", "increase_contrast", "medium_contrast", "strong_contrast", "lighter", "darker", "vintage"]
_COLOR = re.compile(r"#[0-9a-fA-F]{6}|[a-z]{3,20}")  # fullmatch: `$` would pass a trailing newline


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ZoomSpec(_Spec):
    """Smooth punch-in / push-in: scale from `start` to `end` between `at` and `at + duration` seconds.

    Rendered by scaling each frame at the output resolution (`scale` eval=frame + `crop`), never `zoompan`,
    which crops whole source pixels and jitters.
    `duration=None` spreads the move over the rest of the clip (a push-in).
    """

    start: float = Field(default=1.0, ge=1.0, le=2.0)
    end: float = Field(default=1.12, ge=1.0, le=2.0)
    at: float = Field(default=0.0, ge=0.0, le=60.0)
    duration: float | None = Field(default=None, gt=0.0, le=60.0)
    ease: Literal["linear", "smooth", "out"] = "smooth"


class SpeedRampSpec(_Spec):
    """Play at `start_speed`, then ramp smoothly to `end_speed` between `ramp_at` and `ramp_at + ramp_duration`."""

    start_speed: float = Field(default=1.0, ge=0.25, le=4.0)
    end_speed: float = Field(default=1.0, ge=0.25, le=4.0)
    ramp_at: float = Field(default=1.0, ge=0.0, le=60.0)
    ramp_duration: float = Field(default=0.5, gt=0.0, le=10.0)


class ShakeSpec(_Spec):
    """Camera shake: the frame wanders by up to `amplitude` of its size, `frequency` wobbles per second."""

    amplitude: float = Field(default=0.012, gt=0.0, le=0.05)
    frequency: float = Field(default=7.0, gt=0.0, le=30.0)
    at: float = Field(default=0.0, ge=0.0, le=60.0)
    duration: float | None = Field(default=0.6, gt=0.0, le=60.0)


class TransitionSpec(_Spec):
    """A transition at `at` (fraction of the clip's length) or a loop.

    `flash` whitens the picture over `duration` (a flash cut); `whip` joins the clip to itself with a fast
    sliding `xfade` (a whip pan); `boomerang` plays the clip then its reverse, joined by an `xfade` in
    `style`, into a seamless loop.
    """

    kind: Literal["flash", "whip", "boomerang"] = "flash"
    at: float = Field(default=0.5, gt=0.05, lt=0.95)
    duration: float = Field(default=0.25, gt=0.04, le=1.5)
    style: Literal["flash", "whip", "fade"] = "fade"


class GradeSpec(_Spec):
    """Colour grade: `eq` (contrast, saturation, brightness, gamma), a YUV tint/lift, optional RGB `curves`."""

    contrast: float = Field(default=1.0, ge=0.5, le=2.0)
    saturation: float = Field(default=1.0, ge=0.0, le=3.0)
    brightness: float = Field(default=0.0, ge=-0.3, le=0.3)
    gamma: float = Field(default=1.0, ge=0.5, le=2.0)
    #: chroma tint and lifted blacks (0-0.15), both a cheap lookup table in YUV
    tint: Literal["none", "warm", "cool", "teal_orange"] = "none"
    lift: float = Field(default=0.0, ge=0.0, le=0.15)
    #: an RGB curves preset (costs two colour conversions per frame; the presets do without)
    curves: Curves = "none"


class VignetteSpec(_Spec):
    angle: float = Field(default=0.45, gt=0.0, le=1.5)


class GrainSpec(_Spec):
    strength: int = Field(default=8, ge=1, le=40)


class FadeSpec(_Spec):
    """An end fade (to black or white) over the last `fade_out` seconds.

    There is no fade-in: frame 0 is the feed thumbnail and the first impression, so every hook opens at full
    brightness with its text on it.
    """

    fade_out: float = Field(default=0.3, gt=0.0, le=3.0)
    color: Literal["black", "white"] = "black"


class TextSpec(_Spec):
    """Hook text style. `size` is a fraction of the frame's shorter side (so a line reads the same in every
    placement); the text is placed, sized and wrapped inside the strictest safe zone of the targeted placements.

    The text is on screen from `start` (0: on frame 0, at full opacity) and leaves `end_before` seconds before the
    end, fading out over `fade`.
    """

    position: Literal["top", "center", "bottom"] = "top"
    size: float = Field(default=0.075, ge=0.02, le=0.2)
    color: str = "white"
    border_color: str = "black"
    #: outline thickness as a fraction of the font size (0 = none)
    border: float = Field(default=0.08, ge=0.0, le=0.3)
    box: bool = False
    start: float = Field(default=0.0, ge=0.0, le=60.0)
    #: seconds before the end when the text leaves (0 = stays to the end)
    end_before: float = Field(default=0.0, ge=0.0, le=60.0)
    #: fade-out length when the text leaves before the end (it never fades in: it is there from `start`)
    fade: float = Field(default=0.2, ge=0.0, le=2.0)
    max_lines: int = Field(default=3, ge=1, le=6)

    @field_validator("color", "border_color")
    @classmethod
    def _color(cls, v: str) -> str:
        if not _COLOR.fullmatch(v):
            raise ValueError(f"{v!r} is not a colour: use a name such as 'white' or '#RRGGBB'")
        return v


class CaptionsSpec(_Spec):
    """Captions burnt in with libass: the text is shown a few words at a time across the clip."""

    words_per_caption: int = Field(default=3, ge=1, le=8)
    size: float = Field(default=0.06, ge=0.02, le=0.15)
    color: str = "#FFFFFF"
    highlight: str = "#FFD400"

    @field_validator("color", "highlight")
    @classmethod
    def _hex(cls, v: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
            raise ValueError(f"{v!r} is not a colour: captions take '#RRGGBB'")
        return v


class ReframeSpec(_Spec):
    """How the source fills each aspect: `crop` (a window centred on the subject), `blur` (the whole picture over a
    blurred fill of itself) or `auto`: crop unless the crop would cut the subject, then the blurred fill."""

    mode: Literal["crop", "blur", "auto"] = "auto"
    blur: int = Field(default=30, ge=2, le=80)


class AudioSpec(_Spec):
    """The hook's sound: a music bed (the brief's `effects.music`, else the preset's synthesized `bed`; never when the
    clip brings its own sound), sound effects on the effects' own events, ducked under speech and normalized.

    `bed=None` and `sfx=False` leave only the clip's own sound and the voiceover (silence if there is none).
    """

    bed: Literal["drive", "swell", "groove", "soft"] | None = "soft"
    #: an impact on the punch-in, a whoosh on a whip, a riser into a flash
    sfx: bool = True
    bed_gain: float = Field(default=0.0, ge=-30.0, le=6.0, description="dB on the music bed before the mix")
    sfx_gain: float = Field(default=0.0, ge=-30.0, le=6.0, description="dB on the sound effects before the mix")
    #: how far the music drops under speech (sidechain compression ratio)
    duck_ratio: float = Field(default=6.0, ge=1.0, le=20.0)
    #: integrated loudness of the delivered mix (LUFS) and its true-peak ceiling (dBTP)
    loudness: float = Field(default=-14.0, ge=-24.0, le=-9.0)
    true_peak: float = Field(default=-1.0, ge=-6.0, le=-0.5)
    #: seconds of fade at the end of the music bed (0 = the loop preset's seamless end)
    music_fade_out: float = Field(default=0.4, ge=0.0, le=3.0)


class OutputSpec(_Spec):
    """Encoder settings shared by every aspect."""

    fps: int = Field(default=30, ge=12, le=60)
    crf: int = Field(default=20, ge=12, le=35)
    x264_preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = "veryfast"
    max_duration: float = Field(default=15.0, ge=1.0, le=60.0)
    #: the frame the poster shows (0 = the first frame: the feed thumbnail)
    poster_at: float = Field(default=0.0, ge=0.0, le=60.0)
    preview: Literal["gif", "webp"] = "gif"


class Look(_Spec):
    """Everything one render applies, in this order: speed, transition, grade, vignette, grain, end fade (on the
    shared picture, before the split), then per aspect reframe with zoom and shake (aimed at the subject), captions
    and hook text; and the sound, mixed in the same ffmpeg invocation."""

    speed: SpeedRampSpec | None = None
    transition: TransitionSpec | None = None
    zoom: ZoomSpec | None = None
    shake: ShakeSpec | None = None
    grade: GradeSpec | None = None
    vignette: VignetteSpec | None = None
    grain: GrainSpec | None = None
    fade: FadeSpec | None = None
    text: TextSpec = Field(default_factory=TextSpec)
    captions: CaptionsSpec | None = None
    reframe: ReframeSpec = Field(default_factory=ReframeSpec)
    audio: AudioSpec = Field(default_factory=AudioSpec)
    output: OutputSpec = Field(default_factory=OutputSpec)
