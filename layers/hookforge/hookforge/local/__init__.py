"""The local engine: the same state machine and handlers, on one laptop, with no AWS account."""

from hookforge.local.engine import Chooser, LocalEngine, RunResult, pick

__all__ = ["Chooser", "LocalEngine", "RunResult", "pick"]
