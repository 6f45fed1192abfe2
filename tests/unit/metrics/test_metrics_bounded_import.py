"""Imports in bounded memory (#16): a report of any size is streamed, summed per day on disk and written in
batches; the import report is written whatever happens (imported, too big, unreadable, stopped half-way)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from benchmarks.bench_metrics import write_meta_breakdown
from functions.report_import import app as report_import
from hookforge.deps import Deps
from hookforge.metrics import store as store_module
from hookforge.metrics.ingest import BAD_ROWS_KEPT, REASON_MAX_CHARS, import_csv, import_object
from hookforge.metrics.store import MetricsStore
from tests.unit.metrics.support import HOOKS, seed_hooks


def _register(home: Path, hooks: tuple[str, ...]) -> None:
    from hookforge.local import LocalEngine

    with LocalEngine(home) as engine:
        for i, hook_id in enumerate(hooks):
            engine.deps.metrics.put_hook({"hook_id": hook_id, "prompt": f"prompt {i}", "created_at": 1_700_000_000 + i})


#: runs `hookforge` and, as it exits, writes its own peak RSS (VmHWM, KiB) to the file named first. Not wait4's
#: ru_maxrss: Linux carries the forked copy's high-water mark (the whole test process, before exec) into it
PEAK_WRAPPER = (
    "import atexit, sys\n"
    "peak_file = sys.argv.pop(1)\n"
    "def _peak():\n"
    "    hwm = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:'))\n"
    "    open(peak_file, 'w').write(hwm)\n"
    "atexit.register(_peak)\n"
    "sys.argv[0] = 'hookforge'\n"
    "from hookforge.cli import main\n"
    "main()\n"
)


def _import_in_child(report: Path, home: Path, log: Path) -> tuple[int, int]:
    """`hookforge metrics import` in its own process: (exit code, that process's own peak RSS in KiB)."""
    env = {**os.environ, "POWERTOOLS_TRACE_DISABLED": "true"}
    peak = log.with_suffix(".peak")
    with log.open("wb") as out:
        child = subprocess.run(
            [sys.executable, "-c", PEAK_WRAPPER, str(peak), "metrics", "import", str(report), "--home", str(home)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
        )
    return child.returncode, int(peak.read_text())


def _stop_service(home: Path) -> None:
    """The home's local service, if the CLI started one, stops (persisting its tables) and leaves nothing behind."""
    from hookforge.local.client import ServiceClient

    running = ServiceClient.running(home)
    if running is not None:
        running.stop()


def _totals(home: Path, hooks: tuple[str, ...]) -> dict[str, dict[str, int]]:
    from hookforge.local import LocalEngine

    with LocalEngine(home) as engine:
        table = engine.deps.metrics.table
        items = [table.get_item(Key={"pk": f"HOOK#{h}", "sk": "TOTAL#meta"})["Item"] for h in hooks]
    counts = ("impressions", "plays", "holds", "days")
    return {h: {c: int(i[c]) for c in counts} for h, i in zip(hooks, items, strict=True)}


@pytest.mark.slow
@pytest.mark.long
def test_million_row_meta_export_imports_in_full_with_memory_independent_of_its_size(tmp_path: Path) -> None:
    # Given five registered hooks, a 5-row Meta export and a 1 000 000-row one (~140 MB) of the same shape,
    # whose ad x day segments are scattered over the whole file
    hooks = ("hk-00000000a1", "hk-00000000b2", "hk-00000000c3", "hk-00000000d4", "hk-00000000e5")
    home = tmp_path / "home"
    _register(home, hooks)
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    write_meta_breakdown(small, 5, hooks=hooks, days=1)
    expected = write_meta_breakdown(big, 1_000_000, hooks=hooks, days=400)
    # When each is imported by `hookforge metrics import` in a process of its own
    try:
        small_code, small_rss = _import_in_child(small, home, tmp_path / "small.log")
        big_code, big_rss = _import_in_child(big, home, tmp_path / "big.log")
    finally:
        _stop_service(home)
    # Then every one of the million rows is imported and summed into its day ...
    assert small_code == 0, (tmp_path / "small.log").read_text()
    assert big_code == 0, (tmp_path / "big.log").read_text()
    report = json.loads((tmp_path / "big.csv.import.json").read_text())
    counts = (report["lines"], report["imported"], report["unchanged"], report["bad_rows"])
    assert counts == (1_000_000, 1_000_000, 0, 0)
    assert report["error"] == "" and report["hooks"] == sorted(hooks)
    # (the small import set day 1 of each hook; the big one set it again to its own sums, then 399 more days)
    assert _totals(home, hooks) == {
        h: {"impressions": e["impressions"], "plays": e["plays"], "holds": e["holds"], "days": 400}
        for h, e in expected.items()
    }
    # ... and the million-row import peaked at most 100 MB above the 5-row one
    assert big_rss - small_rss <= 100 * 1024, f"peak RSS {big_rss / 1024:.0f} MB vs {small_rss / 1024:.0f} MB"


def test_segments_of_one_day_far_apart_in_the_file_are_summed_and_set_once(
    store: MetricsStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Given an export whose segments of each ad's day are further apart than one batch of the import
    monkeypatch.setattr(store_module, "SPOOL_BATCH", 7)
    expected = write_meta_breakdown(tmp_path / "r.csv", 300, hooks=HOOKS, days=10)
    text = (tmp_path / "r.csv").read_text(encoding="utf-8")
    # When it is imported, streamed from its file
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as stream:
        first = import_csv(store, stream, platform="meta")
    # Then each day holds the sum of its segments, once: totals are exact
    assert (first.lines, first.imported, first.unchanged, first.bad) == (300, 300, 0, [])
    for hook_id in HOOKS:
        total = store.table.get_item(Key={"pk": f"HOOK#{hook_id}", "sk": "TOTAL#meta"})["Item"]
        assert (int(total["impressions"]), int(total["plays"]), int(total["days"])) == (
            expected[hook_id]["impressions"],
            expected[hook_id]["plays"],
            10,
        )
    # and importing it again sets the same figures: nothing is written
    writes: list[str] = []

    def count(**kwargs: Any) -> None:
        writes.append(kwargs["model"].name)

    events = (store.writer or store.client).meta.events
    events.register("before-call.dynamodb.BatchWriteItem", count, unique_id="count-writes")
    try:
        again = import_csv(store, text, platform="meta")
    finally:
        events.unregister("before-call.dynamodb.BatchWriteItem", unique_id="count-writes")
    assert (again.imported, again.unchanged, writes) == (0, 300, [])


def test_bad_rows_are_counted_in_full_and_listed_up_to_a_bound(store: MetricsStore) -> None:
    # Given an export with 3 000 bad rows, each quoting a long cell, and one good row at the end
    long_name = "x" * 5000
    text = "Ad name,Day,Impressions,3-second video plays\n" + "".join(
        # (an ad name with two hook ids: a bad row that quotes it; a name with none is an ordinary ad, not bad)
        f"{long_name} {i} hk-aaaaaaaaaa hk-bbbbbbbbbb,2026-11-01,10,1\n" for i in range(3000)
    ) + "ok | hk-1a2b3c4d5e,2026-11-01,10,1\n"
    # When it is imported
    report = import_csv(store, text, platform="meta")
    # Then all 3 000 are counted, the first BAD_ROWS_KEPT listed by line with their reasons cut short,
    # and the good row still lands
    assert report.bad_rows == 3000 and report.to_dict()["bad_rows"] == 3000
    assert [b.line for b in report.bad] == list(range(2, 2 + BAD_ROWS_KEPT))
    assert all(len(b.reason) <= REASON_MAX_CHARS and b.reason.startswith("unknown hook: ad name") for b in report.bad)
    assert report.imported == 1 and report.lines == 3001


def test_unknown_hooks_beyond_the_listed_bad_rows_are_still_counted(store: MetricsStore) -> None:
    text = "Ad name,Day,Impressions,3-second video plays\n" + "".join(
        f"gone | hk-dead{i:06d},2026-11-01,10,1\n" for i in range(BAD_ROWS_KEPT + 5)
    )
    report = import_csv(store, text, platform="meta")
    assert report.bad_rows == BAD_ROWS_KEPT + 5 and len(report.bad) == BAD_ROWS_KEPT
    assert report.bad[0].line == 2 and report.bad[0].reason.startswith("unknown hook hk-dead000000")


def _drop(aws: dict[str, Any], key: str, body: bytes) -> None:
    boto3.client("s3").put_object(Bucket=aws["bucket"], Key=key, Body=body)


def _event(aws: dict[str, Any], key: str) -> dict[str, Any]:
    return {"detail": {"bucket": {"name": aws["bucket"]}, "object": {"key": key}}}


def _stored_report(aws: dict[str, Any], key: str) -> dict[str, Any]:
    body = boto3.client("s3").get_object(Bucket=aws["bucket"], Key=key + ".import.json")["Body"].read()
    return json.loads(body)


def _meta_rows(count: int) -> bytes:
    rows = "".join(f"a | {HOOKS[i % 3]},2026-{1 + i // 28 % 12:02d}-{1 + i % 28:02d},100,30\n" for i in range(count))
    return ("Ad name,Day,Impressions,3-second video plays\n" + rows).encode()


def test_report_over_the_size_cap_is_not_read_and_gets_an_import_report(
    aws: dict[str, Any], lambda_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given ReportImport configured for reports of at most 1 KB, and a 2 KB report dropped under reports/
    seed_hooks(aws["deps"].metrics)
    monkeypatch.setenv("REPORT_MAX_BYTES", "1024")
    Deps.reset()
    body = _meta_rows(60)
    assert len(body) > 1024
    _drop(aws, "reports/meta/big.csv", body)
    # When the drop is handled
    out = report_import.lambda_handler(_event(aws, "reports/meta/big.csv"), lambda_context)
    # Then nothing is imported and the import report beside it names the size and the limit
    stored = _stored_report(aws, "reports/meta/big.csv")
    assert out["imported"] == stored["imported"] == stored["lines"] == 0
    assert f"{len(body):,} bytes, over the 1,024-byte limit" in stored["error"]
    assert stored["bad"] == [{"line": 0, "reason": stored["error"]}]


def test_default_size_cap_is_512_mb_and_the_template_sets_it() -> None:
    from hookforge.config import Settings
    from hookforge.local import template as tpl
    from hookforge.local.engine import project_root

    assert Settings().report_max_bytes == 512 * 1024 * 1024
    assert Settings.from_env({"REPORT_MAX_BYTES": "1000"}).report_max_bytes == 1000
    function = tpl.load_template(project_root() / "template.yaml")["Resources"]["ReportImportFunction"]["Properties"]
    assert int(function["Environment"]["Variables"]["REPORT_MAX_BYTES"]) == 512 * 1024 * 1024


def test_import_that_stops_half_way_still_writes_its_report_with_the_counts_so_far(
    aws: dict[str, Any], lambda_context: Any
) -> None:
    # Given a report over three hooks, and DynamoDB failing at the second hook's day rows
    seed_hooks(aws["deps"].metrics)
    _drop(aws, "reports/meta/half.csv", _meta_rows(30))
    calls: list[int] = []

    def fail_second(**_: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("network down")

    client = aws["deps"].metrics.writer or aws["deps"].metrics.client  # where day rows are written
    client.meta.events.register("before-call.dynamodb.BatchWriteItem", fail_second, unique_id="fail-second")
    try:
        # When the drop is handled / Then the error still reaches Lambda (its retries and dead-letter queue) ...
        with pytest.raises(ConnectionError):
            report_import.lambda_handler(_event(aws, "reports/meta/half.csv"), lambda_context)
    finally:
        client.meta.events.unregister("before-call.dynamodb.BatchWriteItem", unique_id="fail-second")
    # ... and the import report says how far it got: the first hook's 10 rows, then the error
    stored = _stored_report(aws, "reports/meta/half.csv")
    assert (stored["lines"], stored["imported"], stored["hooks"]) == (30, 10, [sorted(HOOKS)[0]])
    assert stored["error"].startswith("the import stopped after 10 of its rows were stored: ConnectionError")


def test_unreadable_bytes_late_in_a_report_write_nothing(aws: dict[str, Any], lambda_context: Any) -> None:
    # Given a report whose last line, thousands of rows in, is not UTF-8
    seed_hooks(aws["deps"].metrics)
    _drop(aws, "reports/meta/late.csv", _meta_rows(5000) + "Caf\xe9 | hk-1a2b3c4d5e,2026-11-01,1,1\n".encode("latin-1"))
    # When the drop is handled
    report_import.lambda_handler(_event(aws, "reports/meta/late.csv"), lambda_context)
    # Then the import report says why, and not one row was written: rows are only written once all are read
    stored = _stored_report(aws, "reports/meta/late.csv")
    assert stored["imported"] == 0 and stored["error"].startswith("the file cannot be read")
    assert aws["deps"].metrics.days(HOOKS[0]) == []


def test_a_line_too_long_to_hold_is_refused_without_reading_the_rest(aws: dict[str, Any]) -> None:
    seed_hooks(aws["deps"].metrics)
    _drop(aws, "reports/meta/long.csv", b"Ad name,Day,Impressions,3-second video plays\n" + b"a" * (3 << 20))
    _, report = import_object(aws["deps"].store, aws["deps"].metrics, "reports/meta/long.csv")
    assert report.imported == 0 and "line 2 is longer than 1024 KiB" in report.error


def test_day_rows_stored_before_figures_were_kept_are_compared_by_their_numbers(store: MetricsStore) -> None:
    # Given days stored by an older import, without the `figures` attribute a re-import compares first
    text = "Ad name,Day,Impressions,3-second video plays\na | hk-1a2b3c4d5e,2026-11-01,100,30\n"
    import_csv(store, text + "a | hk-1a2b3c4d5e,2026-11-02,50,10\n", platform="meta")
    for day in store.days("hk-1a2b3c4d5e", "meta"):
        store.table.update_item(Key={"pk": day["pk"], "sk": day["sk"]}, UpdateExpression="REMOVE figures")
    # When the same first day and a changed second day are imported
    report = import_csv(store, text + "a | hk-1a2b3c4d5e,2026-11-02,70,20\n", platform="meta")
    # Then the unchanged day is not written, the changed one is, and the total moves by its difference only
    assert (report.imported, report.unchanged) == (1, 1)
    total = store.table.get_item(Key={"pk": "HOOK#hk-1a2b3c4d5e", "sk": "TOTAL#meta"})["Item"]
    assert (int(total["impressions"]), int(total["plays"]), int(total["days"])) == (170, 50, 2)
