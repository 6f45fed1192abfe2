"""Named presets a marketer understands, and how a brief's overrides change them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from hookforge.effects.specs import (
    FadeSpec,
    GradeSpec,
    GrainSpec,
    Look,
    OutputSpec,
    ReframeSpec,
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
    name: str
    description: str
    look: Look


_PRESETS: tuple[Preset, ...] = (
    Preset(
        "punchy",
        "fast punch-in zoom, shake on the hit, white flash cut, bold colour, big hook text",
        Look(
            speed=SpeedRampSpec(start_speed=1.0, end_speed=1.25, ramp_at=1.2, ramp_duration=0.6),
            transition=TransitionSpec(kind="flash", at=0.5, duration=0.2),
            zoom=ZoomSpec(start=1.0, end=1.18, at=0.0, duration=0.45, ease="out"),
            shake=ShakeSpec(amplitude=0.01, frequency=8.0, at=0.0, duration=0.5),
            grade=GradeSpec(contrast=1.18, saturation=1.3, gamma=0.95),
            vignette=VignetteSpec(angle=0.45),
            fade=FadeSpec(fade_in=0.15, fade_out=0.3),
            text=TextSpec(position="top", size=0.085, start=0.15),
        ),
    ),
    Preset(
        "cinematic",
        "slow push-in, slow-motion start, filmic grade with grain and vignette, elegant fades",
        Look(
            speed=SpeedRampSpec(start_speed=0.8, end_speed=1.0, ramp_at=1.0, ramp_duration=1.0),
            zoom=ZoomSpec(start=1.0, end=1.1, ease="smooth"),
            grade=GradeSpec(contrast=1.08, saturation=0.85, gamma=0.95, tint="teal_orange", lift=0.04),
            vignette=VignetteSpec(angle=0.6),
            grain=GrainSpec(strength=7),
            fade=FadeSpec(fade_in=0.6, fade_out=0.6),
            text=TextSpec(position="bottom", size=0.06, start=0.6, fade=0.5),
            reframe=ReframeSpec(mode="blur"),
        ),
    ),
    Preset(
        "loop",
        "boomerang: the clip plays forward then in reverse, joined so it loops seamlessly in feed",
        Look(
            # no zoom or fades: the last frame must match the first for the loop to be seamless
            transition=TransitionSpec(kind="boomerang", duration=0.3, style="fade"),
            grade=GradeSpec(contrast=1.05, saturation=1.1),
            vignette=VignetteSpec(angle=0.35),
            fade=None,
            text=TextSpec(position="center", size=0.07, start=0.0, fade=0.0),
            output=OutputSpec(max_duration=6.0),
        ),
    ),
    Preset(
        "clean",
        "true-to-source colour and motion, gentle fades, hook text only",
        Look(fade=FadeSpec(fade_in=0.4, fade_out=0.4), text=TextSpec(position="top", size=0.07)),
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
