"""hookforge: AI-generated visual hooks for video ads, and proof of which hooks work."""

from hookforge.errors import HookforgeError
from hookforge.models import Brief

__version__ = "0.1.0"

__all__ = ["Brief", "HookforgeError", "__version__"]
