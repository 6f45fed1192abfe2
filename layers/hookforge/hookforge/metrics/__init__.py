"""Hook-rate metrics: ingestion into DynamoDB, honest statistics, reports and dashboards."""

from __future__ import annotations

from hookforge.errors import MetricsWriteConflict, ReportInvalid
from hookforge.metrics.ingest import BadRow, ImportReport, import_csv, import_json, parse_csv, parse_json
from hookforge.metrics.model import DEFINITIONS, PLATFORMS, DayRow
from hookforge.metrics.report import HookStat, build_report, winners
from hookforge.metrics.stats import Interval, verdict, wilson
from hookforge.metrics.store import MetricsStore

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
