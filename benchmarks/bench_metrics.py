"""Metrics imports: speed and memory.

1. 100 000 Meta report rows, one DynamoDB day row each (100 hooks x 1 000 days), imported into the metrics
   table on in-process moto, then the same report again (idempotent: the re-import writes nothing): rows/s
   (wall and per CPU second: the machine may be shared), DynamoDB requests per row (goal <= 0.1); goal
   >= 2 000 rows/s for the first import, more for the re-import. Then the same file through `hookforge metrics
   import` and the local service, as users import it (the same goals).
2. `hookforge metrics import` of a ~100 MB Meta export broken down by age, gender and placement, in a process
   of its own: its peak RSS / the file size (goal <= 1), and the local service's if the CLI used one.

`HOOKFORGE_BENCH_METRICS_ROWS` changes the row count of 1 (default 100000), `HOOKFORGE_BENCH_METRICS_MB` the
size of 2 (default 100).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROWS = int(os.environ.get("HOOKFORGE_BENCH_METRICS_ROWS", "100000"))
EXPORT_MB = float(os.environ.get("HOOKFORGE_BENCH_METRICS_MB", "100"))
HOOKS = 100
TABLE = "bench-metrics"

#: a Meta Ads Manager export broken down by day, age, gender and placement (one line per ad x day x segment)
META_BREAKDOWN_HEADER = (
    "Reporting starts,Reporting ends,Campaign name,Ad set name,Ad name,Day,Age,Gender,Placement,Impressions,"
    "Reach,3-second video plays,ThruPlays,Amount spent (USD),Link clicks\n"
)
_AGES = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
_GENDERS = ("female", "male", "unknown")
_PLACEMENTS = ("Facebook Reels", "Instagram Reels", "Instagram Stories", "Facebook Feed", "Instagram Feed")


def write_meta_breakdown(path: Path, rows: int, *, hooks: tuple[str, ...], days: int) -> dict[str, dict[str, int]]:
    """Write a Meta export of `rows` lines over `hooks` x `days` (one ad per hook), the segments of one ad's day
    scattered over the whole file (the worst case for summing them); -> each hook's expected totals."""
    keys = len(hooks) * days
    dates = [(date(2025, 1, 1) + timedelta(days=d)).isoformat() for d in range(days)]
    totals = {h: {"impressions": 0, "plays": 0, "holds": 0, "lines": 0} for h in hooks}
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("\ufeff" + META_BREAKDOWN_HEADER)
        lines: list[str] = []
        for i in range(rows):
            key, segment = i % keys, i // keys
            hook, day = hooks[key % len(hooks)], dates[key // len(hooks)]
            impressions, plays, holds = 100 + i % 7, 30 + i % 5, 10
            t = totals[hook]
            t["impressions"] += impressions
            t["plays"] += plays
            t["holds"] += holds
            t["lines"] += 1
            lines.append(
                f"{day},{day},Spring launch,Broad 18-65,spring | {hook},{day},{_AGES[segment % 6]},"
                f"{_GENDERS[segment % 3]},{_PLACEMENTS[segment % 5]},{impressions},{impressions - 3},{plays},{holds},"
                "0.25,1\n"
            )
            if len(lines) == 10_000:
                out.writelines(lines)
                lines.clear()
        out.writelines(lines)
    return totals


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


def _register_hooks(store: Any) -> None:
    """The HOOKS hooks `_report` names, registered in `store`."""
    for h in range(HOOKS):
        store.put_hook({"hook_id": f"hk-{h:010d}", "prompt": f"bench prompt {h}", "created_at": 1_700_000_000 + h})


def _speed() -> None:
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1")
    import boto3
    from moto import mock_aws

    from hookforge.local import template as tpl
    from hookforge.local.engine import project_root
    from hookforge.metrics.ingest import import_csv
    from hookforge.metrics.report import build_report
    from hookforge.metrics.store import MetricsStore, bulk_writer

    text = _report(ROWS)
    with mock_aws():
        kwargs = tpl.tables(tpl.load_template(project_root() / "template.yaml"))["MetricsTable"]
        resource = boto3.resource("dynamodb", region_name="us-east-1")
        resource.meta.client.create_table(TableName=TABLE, **kwargs)
        store = MetricsStore(resource, TABLE, writer=bulk_writer(boto3.session.Session(), "us-east-1"))  # as Deps
        _register_hooks(store)
        first = 0.0
        for label in ("first import", "re-import"):
            before, started, cpu = store.requests, time.perf_counter(), time.process_time()
            report = import_csv(store, text, platform="meta", source="bench.csv")
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            requests = store.requests - before
            assert not report.bad, report.bad[:3]
            rate = report.lines / elapsed
            goal = "goal >= 2,000" if not first else f"goal > the first import's {first:,.0f}; {rate / first:.2f}x"
            first = first or rate
            print(  # noqa: T201 - benchmark output is the product here
                f"   metrics {label}: {report.lines:,} rows ({report.imported:,} written, {report.unchanged:,} "
                f"unchanged) in {elapsed:.1f} s = {rate:,.0f} rows/s ({goal}; {report.lines / cpu:,.0f} rows per "
                f"CPU second); {requests:,} DynamoDB requests = {requests / report.lines:.4f} requests/row "
                "(goal <= 0.1)"
            )
        before, started = store.requests, time.perf_counter()
        stats = build_report(store)
        print(  # noqa: T201
            f"   metrics report: {len(stats)} hooks ranked in {time.perf_counter() - started:.2f} s with "
            f"{store.requests - before} Query requests (GSI, no Scan)"
        )


def _local_speed() -> None:
    """The same report through `hookforge metrics import` and the local service, as users import: rows/s of the
    first import into a fresh home and of the re-import (the service is started first: its start-up is not the
    import's)."""
    from hookforge.local import LocalEngine
    from hookforge.local.client import ServiceClient

    hookforge = str(Path(sys.executable).with_name("hookforge"))
    with tempfile.TemporaryDirectory(prefix="hookforge-bench-") as tmp:
        home, report = Path(tmp) / "home", Path(tmp) / "meta-report.csv"
        with LocalEngine(home) as engine:
            _register_hooks(engine.deps.metrics)
        report.write_text(_report(ROWS), encoding="utf-8")
        subprocess.run([hookforge, "metrics", "report", "--home", str(home)], capture_output=True, check=True)
        first = 0.0
        try:
            for label in ("first import", "re-import"):
                started = time.perf_counter()
                command = [hookforge, "metrics", "import", str(report), "--platform", "meta", "--home", str(home)]
                subprocess.run(command, capture_output=True, check=True)
                rate = ROWS / (time.perf_counter() - started)
                goal = "goal >= 2,000" if not first else f"goal > the first import's {first:,.0f}; {rate / first:.2f}x"
                first = first or rate
                print(  # noqa: T201
                    f"   metrics {label} through `hookforge metrics import` and the local service: {ROWS:,} rows "
                    f"= {rate:,.0f} rows/s ({goal})"
                )
        finally:
            service = ServiceClient.running(home)
            if service is not None:
                service.stop()


def _peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")), None)


def _memory() -> None:
    """`hookforge metrics import` of a ~EXPORT_MB MB export in a child process: peak RSS / file size."""
    from hookforge.local import LocalEngine

    hooks = tuple(f"hk-{h:010d}" for h in range(5))
    with tempfile.TemporaryDirectory(prefix="hookforge-bench-") as tmp:
        home, export = Path(tmp) / "home", Path(tmp) / "meta-export.csv"
        with LocalEngine(home) as engine:
            for i, hook_id in enumerate(hooks):
                engine.deps.metrics.put_hook({"hook_id": hook_id, "prompt": "bench", "created_at": 1_700_000_000 + i})
        rows = int(EXPORT_MB * 1024 * 1024 / 138)  # ~138 bytes a line
        write_meta_breakdown(export, rows, hooks=hooks, days=400)
        size_mb = export.stat().st_size / 1024 / 1024
        from tests.unit.metrics.test_metrics_bounded_import import PEAK_WRAPPER

        peak_file = Path(tmp) / "import.peak"
        # the child writes its own VmHWM as it exits: wait4's ru_maxrss would include the forked copy of this
        # process (the bench's in-process imports above), which Linux carries across exec
        command = [sys.executable, "-c", PEAK_WRAPPER, str(peak_file), "metrics", "import", str(export)]
        command += ["--home", str(home)]
        service_rss: float | None = None
        try:
            started = time.perf_counter()
            child = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            elapsed = time.perf_counter() - started
        finally:
            from hookforge.local.client import ServiceClient

            service = ServiceClient.running(home)
            if service is not None:
                service_rss = _peak_rss_mb(service.pid)
                service.stop()
        assert child.returncode == 0, f"metrics import exited {child.returncode}"
        peak = int(peak_file.read_text()) / 1024
        print(  # noqa: T201 - benchmark output is the product here
            f"   metrics import of a {size_mb:.0f} MB Meta export ({rows:,} rows, `hookforge metrics import` in its "
            f"own process): peak RSS {peak:.0f} MB = {peak / size_mb:.2f} x the file size (goal <= 1); "
            f"{rows / elapsed:,.0f} rows/s"
            + (f"; the local service it used peaked at {service_rss:.0f} MB" if service_rss is not None else "")
        )


def main() -> None:
    _speed()
    _local_speed()
    _memory()


if __name__ == "__main__":
    main()
