"""Hook-rate metrics: ingestion into DynamoDB, honest statistics, reports and dashboards.

The names below load with the module that defines them, on first use: a handler that needs one
constant of `hookforge.metrics.ingest` does not also load the store, the report and the statistics.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hookforge.errors import MetricsWriteConflict, ReportInvalid
    from hookforge.metrics.ingest import BadRow, ImportReport, import_csv, import_json, parse_csv, parse_json
    from hookforge.metrics.model import DEFINITIONS, PLATFORMS, DayRow
    from hookforge.metrics.report import HookStat, build_report, winners
    from hookforge.metrics.stats import Interval, verdict, wilson
    from hookforge.metrics.store import MetricsStore

_WHERE = {
    "MetricsWriteConflict": "hookforge.errors",
    "ReportInvalid": "hookforge.errors",
    "BadRow": "hookforge.metrics.ingest",
    "ImportReport": "hookforge.metrics.ingest",
    "import_csv": "hookforge.metrics.ingest",
    "import_json": "hookforge.metrics.ingest",
    "parse_csv": "hookforge.metrics.ingest",
    "parse_json": "hookforge.metrics.ingest",
    "DEFINITIONS": "hookforge.metrics.model",
    "PLATFORMS": "hookforge.metrics.model",
    "DayRow": "hookforge.metrics.model",
    "HookStat": "hookforge.metrics.report",
    "build_report": "hookforge.metrics.report",
    "winners": "hookforge.metrics.report",
    "Interval": "hookforge.metrics.stats",
    "verdict": "hookforge.metrics.stats",
    "wilson": "hookforge.metrics.stats",
    "MetricsStore": "hookforge.metrics.store",
}

__all__ = [
    "DEFINITIONS",
    "PLATFORMS",
    "ReportInvalid",
    "BadRow",
    "DayRow",
    "HookStat",
    "ImportReport",
    "Interval",
    "MetricsWriteConflict",
    "MetricsStore",
    "build_report",
    "import_csv",
    "import_json",
    "parse_csv",
    "parse_json",
    "verdict",
    "wilson",
    "winners",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
