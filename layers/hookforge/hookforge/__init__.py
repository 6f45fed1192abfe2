"""hookforge: AI-generated visual hooks for video ads, and proof of which hooks work."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hookforge.errors import HookforgeError

if TYPE_CHECKING:
    from hookforge.models import Brief

__version__ = "0.1.0"

__all__ = ["Brief", "HookforgeError", "__version__"]


def __getattr__(name: str) -> type[Brief]:
    """`Brief`, imported on first use: the CLI's `--version`, `--help` and `presets` need no pydantic models."""
    if name != "Brief":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from hookforge.models import Brief

    return Brief
