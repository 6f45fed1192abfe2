"""The effects engine: presets rendered by ffmpeg in one invocation for every aspect ratio."""

from hookforge.effects.render import ASPECT_SIZES, PRESETS, RenderResult, render

__all__ = ["ASPECT_SIZES", "PRESETS", "RenderResult", "render"]
