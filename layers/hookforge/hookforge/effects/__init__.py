"""The effects engine: effects as data, named presets, and one ffmpeg invocation per render.

Every name here is imported on first use: listing presets (`hookforge presets`, brief validation) needs neither
ffmpeg, numpy nor Pillow, and a submodule that needs no pydantic model (`inspection`, `sound`, `focus`) is imported
without building the presets' models (`hookforge effects` starts reading the clip before it builds them).
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_RENDER_NAMES = frozenset(
    {"ASPECT_SIZES", "RenderPlan", "RenderResult", "output_size", "plan_duration", "plan_render", "render"}
)
_MODULES = {
    **dict.fromkeys(_RENDER_NAMES, "hookforge.effects.render"),
    **dict.fromkeys(("PRESETS", "Preset", "resolve_look"), "hookforge.effects.presets"),
    "Look": "hookforge.effects.specs",
}

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


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_MODULES[name]), name)


class _Package(types.ModuleType):
    """`hookforge.effects.render` is the render *function*, as it was when this package imported it eagerly.

    Importing the submodule makes Python set the package's `render` attribute to the module; that is turned into
    the module's `render` function, so `from hookforge.effects import render` always gives the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "render" and isinstance(value, types.ModuleType):
            value = value.render
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
