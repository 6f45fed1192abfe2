"""Named presets a marketer understands, and how a brief's overrides change them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from hookforge.effects.specs import (
    AudioSpec,
    FadeSpec,
    GradeSpec,
    GrainSpec,
    Look,
    OutputSpec,
    ShakeSpec,
    SpeedRampSpec,
    TextSpec,
    TransitionSpec,
    VignetteSpec,
    ZoomSpec,
)
from hookforge.errors import EffectsInvalid


@dataclass(frozen=True)
class Preset:
    """A named look, with what a marketer needs to choose it: the move in the first second, the sound, the length."""

    name: str
    description: str
    first_second: str
    sound: str
    look: Look
    length: str = "video.duration (the brief's length, to the frame)"


# What performance editors do in the first three seconds, and every preset does: no black frame and no logo
# bumper (frame 0 is the thumbnail and the first impression), the hook text on frame 0 for sound-off viewers,
# a pattern interrupt (punch-in, shake, cut, speed change) within 0.3 s, and a sound hit on the visual event for
# the sound-on minority. Movement and sound start together.
_PRESETS: tuple[Preset, ...] = (
    Preset(
        "punchy",
        "hard punch-in on frame 0 with shake, a speed ramp into a white flash cut, bold colour, big hook text",
        "a 20 % punch-in over the first 0.3 s with a shake and an impact hit",
        "a driving 124 BPM beat; impact on the punch-in, riser into the flash",
        Look(
            # fast rush, then slow-motion after the flash; the ramp is scaled so the hook keeps its length
            speed=SpeedRampSpec(start_speed=1.35, end_speed=0.8, ramp_at=1.4, ramp_duration=0.6),
            transition=TransitionSpec(kind="flash", at=0.45, duration=0.2),
            zoom=ZoomSpec(start=1.0, end=1.2, at=0.0, duration=0.3, ease="out"),
            shake=ShakeSpec(amplitude=0.012, frequency=9.0, at=0.0, duration=0.45),
            grade=GradeSpec(contrast=1.18, saturation=1.3, gamma=0.95),
            vignette=VignetteSpec(angle=0.45),
            text=TextSpec(position="top", size=0.085),
            audio=AudioSpec(bed="drive"),
        ),
    ),
    Preset(
        "cinematic",
        "push-in that starts fast and settles, slow-motion start, filmic grade with grain, fade to black at the end",
        "a push-in that moves most in its first 0.5 s, in slow motion, under a low boom",
        "a dark swelling drone with a sub pulse; a boom on the push-in",
        Look(
            speed=SpeedRampSpec(start_speed=0.75, end_speed=1.15, ramp_at=1.0, ramp_duration=1.2),
            zoom=ZoomSpec(start=1.0, end=1.12, at=0.0, ease="out"),
            grade=GradeSpec(contrast=1.08, saturation=0.9, gamma=0.95, tint="teal_orange", lift=0.03),
            vignette=VignetteSpec(angle=0.55),
            grain=GrainSpec(strength=6),
            fade=FadeSpec(fade_out=0.6),
            text=TextSpec(position="bottom", size=0.065),
            audio=AudioSpec(bed="swell"),
        ),
    ),
    Preset(
        "loop",
        "boomerang: the first half of the clip forward then back, joined so it loops seamlessly in feed",
        "the clip's own motion from frame 0, no zoom or fade (the last frame meets the first)",
        "a groove whose bars fit the hook exactly, so the sound loops as seamlessly as the picture",
        Look(
            # no zoom or fades: the last frame must match the first for the loop to be seamless
            transition=TransitionSpec(kind="boomerang", duration=0.3, style="fade"),
            grade=GradeSpec(contrast=1.05, saturation=1.1),
            vignette=VignetteSpec(angle=0.35),
            text=TextSpec(position="center", size=0.07),
            audio=AudioSpec(bed="groove", music_fade_out=0.0),
            output=OutputSpec(max_duration=6.0),
        ),
        length="video.duration: the first half of the clip plays forward, then backward",
    ),
    Preset(
        "clean",
        "true-to-source colour and motion, a gentle punch-in on frame 0, hook text only",
        "a quick 6 % punch-in over the first 0.3 s",
        "a light warm bed that stays out of the way; a soft impact on the punch-in",
        Look(
            zoom=ZoomSpec(start=1.0, end=1.06, at=0.0, duration=0.3, ease="out"),
            text=TextSpec(position="top", size=0.07),
            audio=AudioSpec(bed="soft", sfx_gain=-6.0),
        ),
    ),
)

PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def resolve_look(preset: str, overrides: dict[str, Any] | None = None) -> Look:
    """The `Look` of a named preset with `overrides` merged in (nested dicts; `None` turns an effect off).

    An override may switch on an effect the preset lacks (`{"grain": {}}` uses the grain defaults).
    Raises EffectsInvalid naming the preset or the field that is wrong.
    """
    if preset not in PRESETS:
        raise EffectsInvalid(f"unknown effects preset {preset!r}; choose one of: {', '.join(PRESETS)}")
    look = PRESETS[preset].look
    if not overrides:
        return look
    base = look.model_dump(mode="python", exclude_none=False)
    try:
        return Look.model_validate(_merge(base, overrides))
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "overrides"
        raise EffectsInvalid(f"effects override {where}: {first['msg']} (preset {preset!r})") from e
