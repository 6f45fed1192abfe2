"""The local engine: the same state machine and handlers, on one laptop, with no AWS account.

The names below are imported lazily: a client of the local service (`hookforge.local.client`) must not pay for
the engine's imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hookforge.local.engine import Chooser, LocalEngine, RunResult, pick

__all__ = ["Chooser", "LocalEngine", "RunResult", "pick"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from hookforge.local import engine

        return getattr(engine, name)
    raise AttributeError(name)
