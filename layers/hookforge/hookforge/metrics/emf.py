"""Turn metrics-table stream records into CloudWatch EMF metrics, one metric set per platform.

Only day rows count: each record contributes new minus old (a re-imported unchanged day adds 0,
a corrected day adds the correction), so the sums in CloudWatch match the table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

#: table attribute -> metric name
METRIC_NAMES = {"impressions": "Impressions", "plays": "HookPlays", "holds": "Holds", "clicks": "Clicks"}


def _number(image: dict[str, Any] | None, name: str) -> float:
    if not image or name not in image or image[name] is None:
        return 0.0
    return float(image[name])


def stream_deltas(records: Iterable[Any]) -> dict[str, dict[str, float]]:
    """platform -> metric name -> net change, from Powertools `DynamoDBRecord`s of day rows."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for record in records:
        ddb = record.dynamodb
        if ddb is None:
            continue
        new, old = ddb.new_image or {}, ddb.old_image or {}
        sk = str((new or old).get("sk", ""))
        if not sk.startswith("DAY#"):
            continue
        platform = str((new or old).get("platform") or sk.split("#")[1])
        for attr, metric in METRIC_NAMES.items():
            out[platform][metric] += _number(new, attr) - _number(old, attr)
        out[platform]["Spend"] += _number(new, "spend") - _number(old, "spend")
        out[platform]["DayRowsChanged"] += 1
    return {p: dict(m) for p, m in out.items()}


def emit_deltas(deltas: dict[str, dict[str, float]], *, namespace: str | None = None) -> None:
    """Print one EMF document per platform (dimensions: service, platform) for CloudWatch to ingest."""
    for platform, values in sorted(deltas.items()):
        metrics = EphemeralMetrics(namespace=namespace)
        metrics.add_dimension(name="platform", value=platform)
        for name, value in values.items():
            unit = MetricUnit.NoUnit if name == "Spend" else MetricUnit.Count
            metrics.add_metric(name=name, unit=unit, value=value)
        metrics.flush_metrics()
