"""Import 100 000 Meta report rows into the metrics table (moto, in-process): DynamoDB requests per row
(goal ≤ 0.1 with batching) and rows per second, then the same report again (idempotent re-import).

`HOOKFORGE_BENCH_METRICS_ROWS` changes the row count (default 100000).
"""

from __future__ import annotations

import io
import os
import time
from datetime import date, timedelta

ROWS = int(os.environ.get("HOOKFORGE_BENCH_METRICS_ROWS", "100000"))
HOOKS = 100
TABLE = "bench-metrics"


def _report(rows: int) -> str:
    """A Meta Ads Manager export with a Day breakdown: HOOKS ads x (rows / HOOKS) days."""
    out = io.StringIO()
    out.write(
        "Reporting starts,Reporting ends,Ad name,Day,Impressions,3-second video plays,ThruPlays,"
        "Amount spent (USD),Link clicks\n"
    )
    start = date(2024, 1, 1)
    for i in range(rows):
        hook, day = i % HOOKS, start + timedelta(days=i // HOOKS)
        impressions = 1000 + (i * 37) % 9000
        plays = impressions * (20 + hook % 20) // 100
        d = day.isoformat()
        out.write(
            f"{d},{d},ad {hook} | hk-{hook:010d},{d},{impressions},{plays},{plays // 3},{impressions / 500:.2f},"
            f"{plays // 40}\n"
        )
    return out.getvalue()


def main() -> None:
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    import boto3
    from moto import mock_aws

    from hookforge.local import template as tpl
    from hookforge.local.engine import project_root
    from hookforge.metrics.ingest import import_csv
    from hookforge.metrics.report import build_report
    from hookforge.metrics.store import MetricsStore

    text = _report(ROWS)
    with mock_aws():
        kwargs = tpl.tables(tpl.load_template(project_root() / "template.yaml"))["MetricsTable"]
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        resource.meta.client.create_table(TableName=TABLE, **kwargs)
        store = MetricsStore(resource, TABLE)
        for h in range(HOOKS):
            store.put_hook({"hook_id": f"hk-{h:010d}", "prompt": f"bench prompt {h}", "created_at": 1_700_000_000 + h})
        for label in ("first import", "re-import"):
            before, started = store.requests, time.perf_counter()
            report = import_csv(store, text, platform="meta", source="bench.csv")
            elapsed = time.perf_counter() - started
            requests = store.requests - before
            assert not report.bad, report.bad[:3]
            print(  # noqa: T201 - benchmark output is the product here
                f"   metrics {label}: {report.lines:,} rows ({report.imported:,} written, {report.unchanged:,} "
                f"unchanged) in {elapsed:.1f} s = {report.lines / elapsed:,.0f} rows/s; {requests:,} DynamoDB "
                f"requests = {requests / report.lines:.4f} requests/row (goal <= 0.1)"
            )
        before, started = store.requests, time.perf_counter()
        stats = build_report(store)
        print(  # noqa: T201
            f"   metrics report: {len(stats)} hooks ranked in {time.perf_counter() - started:.2f} s with "
            f"{store.requests - before} Query requests (GSI, no Scan)"
        )


if __name__ == "__main__":
    main()
