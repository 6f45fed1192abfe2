"""Human selection: approval records and decisions, signed links and form tokens, the page and the email."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hookforge.approval.records import ApprovalRecord, ApprovalStore, Decision, decide
    from hookforge.approval.signing import Signer

__all__ = ["ApprovalRecord", "ApprovalStore", "Decision", "Signer", "decide"]

#: where each re-export lives; loaded on first use, so a module that needs only the page's headers (the
#: dashboard) does not build the records' pydantic models on its cold start
_HOMES = {
    "ApprovalRecord": "hookforge.approval.records",
    "ApprovalStore": "hookforge.approval.records",
    "Decision": "hookforge.approval.records",
    "decide": "hookforge.approval.records",
    "Signer": "hookforge.approval.signing",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
