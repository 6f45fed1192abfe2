"""The effects engine: effects as data, named presets, and one ffmpeg invocation per render."""

from hookforge.effects.presets import PRESETS, Preset, resolve_look
from hookforge.effects.render import (
    ASPECT_SIZES,
    RenderPlan,
    RenderResult,
    output_size,
    plan_duration,
    plan_render,
    render,
)
from hookforge.effects.specs import Look

__all__ = [
    "ASPECT_SIZES",
    "PRESETS",
    "Look",
    "Preset",
    "RenderPlan",
    "RenderResult",
    "output_size",
    "plan_duration",
    "plan_render",
    "render",
    "resolve_look",
]
