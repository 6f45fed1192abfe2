from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from hookforge.metrics.ingest import import_csv
from hookforge.metrics.model import DayRow
from hookforge.metrics.report import build_report, winners
from hookforge.metrics.store import MetricsStore, MetricsWriteConflict
from tests.unit.metrics.support import HOOKS, fixture_text


class CallCounter:
    """Counts DynamoDB operations (and their IndexName) through botocore's event hooks."""

    def __init__(self, client: Any) -> None:
        self.ops: Counter[str] = Counter()
        self.indexed: list[str] = []
        client.meta.events.register("provide-client-params.dynamodb.*", self._seen, unique_id="test-counter")

    def _seen(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.ops[model.name] += 1
        if model.name == "Query":
            self.indexed.append(params.get("IndexName", ""))


def _row(hook_id: str, day: str, impressions: int, plays: int, line: int = 1) -> DayRow:
    return DayRow(
        hook_id=hook_id,
        platform="meta",
        day=day,
        ad_name=f"ad | {hook_id}",
        impressions=impressions,
        plays=plays,
        line=line,
    )


def test_report_reads_with_query_on_the_gsi_never_scan(store: MetricsStore) -> None:
    # Given imported data
    import_csv(store, fixture_text("meta_daily.csv"), platform="meta")
    import_csv(store, fixture_text("tiktok_daily.csv"), platform="tiktok")
    counter = CallCounter(store.client)
    # When the ranking (dashboard) report is built
    stats = build_report(store)
    # Then only Query calls were made, each on the ranking GSI (hooks + one per platform)
    assert set(counter.ops) == {"Query"}
    assert counter.indexed == ["ByHookRate"] * 4
    assert counter.ops["Scan"] == 0
    assert [s.hook_id for s in stats][:1] == ["hk-1a2b3c4d5e"]


def test_dated_report_reads_day_rows_by_query(store: MetricsStore) -> None:
    import_csv(store, fixture_text("meta_daily.csv"), platform="meta")
    counter = CallCounter(store.client)
    stats = build_report(store, date_from="2026-11-02", date_to="2026-11-02")
    assert set(counter.ops) == {"Query"}
    assert counter.indexed.count("ByHookRate") == 1 and counter.indexed.count("") == len(HOOKS)
    top = next(s for s in stats if s.hook_id == "hk-1a2b3c4d5e")
    assert (top.impressions, top.plays_3s, top.days) == (1500, 510, 1)
    assert top.daily == [{"date": "2026-11-02", "impressions": 1500, "plays": 510}]


def test_ranking_orders_by_hook_rate_and_lists_every_hook(store: MetricsStore) -> None:
    # Given data for two hooks on Meta and none for the third
    import_csv(store, fixture_text("meta_daily.csv"), platform="meta")
    stats = build_report(store, platform="meta")
    # Then the ranking is by hook rate and the hook without data appears with zeros
    assert [s.hook_id for s in stats] == ["hk-1a2b3c4d5e", "hk-9f8e7d6c5b", "hk-00aa11bb22"]
    last = stats[-1]
    assert (last.impressions, last.plays_3s, last.hook_rate, last.verdict) == (0, 0, 0.0, "needs data")
    first = stats[0]
    assert first.hook_rate == pytest.approx(930 / 2700, abs=1e-6)
    assert first.hook_rate_low < first.hook_rate < first.hook_rate_high
    assert first.verdict == "winner"  # 34.4 % on 2 700 impressions: lower bound ≈ 32.7 %
    assert stats[1].verdict == "below target"  # 15.9 % on 1 700


def test_report_lists_hooks_with_no_data_as_none(store: MetricsStore) -> None:
    stats = build_report(store)
    assert {s.hook_id for s in stats} == set(HOOKS)
    assert {s.platform for s in stats} == {"none"}


def test_winners_return_prompt_and_preset_of_winning_hooks(store: MetricsStore) -> None:
    import_csv(store, fixture_text("meta_daily.csv"), platform="meta")
    best = winners(store)
    assert [(w.hook_id, w.prompt, w.preset) for w in best] == [("hk-1a2b3c4d5e", "prompt of hk-1a2b3c4d5e", "punchy")]


def test_concurrent_change_between_read_and_write_keeps_totals_exact(store: MetricsStore) -> None:
    # Given a rival importer (its own client) that changes the same day and its total just before
    # our conditional total write (once)
    store.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 100, 30)])
    fired: list[bool] = []

    def race(**_: Any) -> None:
        if not fired:
            fired.append(True)
            other = MetricsStore(_resource(store), store.table_name)
            other.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 500, 100)])

    store.client.meta.events.register("before-call.dynamodb.PutItem", race, unique_id="race")
    # When we import a different figure for that day and a new day
    result = store.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 200, 60), _row("hk-1a2b3c4d5e", "2026-11-02", 10, 1)])
    store.client.meta.events.unregister("before-call.dynamodb.PutItem", unique_id="race")
    # Then our total write failed its condition, was recomputed, and equals the sum of the stored days
    assert fired and result.written == 2
    total = store.table.get_item(Key={"pk": "HOOK#hk-1a2b3c4d5e", "sk": "TOTAL#meta"})["Item"]
    days = store.days("hk-1a2b3c4d5e", "meta")
    assert (int(total["impressions"]), int(total["plays"])) == (510, 101)  # rival's day 1 + our day 2
    assert sum(int(d["impressions"]) for d in days) == 510


def test_total_write_gives_up_with_named_error_when_conflicts_never_stop(store: MetricsStore) -> None:
    # Given another writer that, before each of our total writes, adds a day and bumps the total version
    store.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 100, 30)])
    table = _resource(store).Table(store.table_name)
    n = [0]

    def race(**_: Any) -> None:
        n[0] += 1
        table.put_item(
            Item={
                "pk": "HOOK#hk-1a2b3c4d5e",
                "sk": f"DAY#meta#2026-12-{n[0]:02d}#x",
                "impressions": 1,
                "plays": 0,
                "holds": 0,
                "clicks": 0,
                "spend": 0,
                "day": f"2026-12-{n[0]:02d}",
                "platform": "meta",
                "version": 1,
            }
        )
        table.update_item(
            Key={"pk": "HOOK#hk-1a2b3c4d5e", "sk": "TOTAL#meta"},
            UpdateExpression="ADD version :one",
            ExpressionAttributeValues={":one": 1},
        )

    store.max_attempts = 3
    store.client.meta.events.register("before-call.dynamodb.PutItem", race, unique_id="race")
    try:
        # When we import / Then it stops with a named error instead of writing a total it cannot vouch for
        with pytest.raises(MetricsWriteConflict, match="after 3 attempts"):
            store.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 999, 9)])
    finally:
        store.client.meta.events.unregister("before-call.dynamodb.PutItem", unique_id="race")
    assert n[0] == 3


def test_batched_import_costs_under_a_tenth_of_a_request_per_row(store: MetricsStore) -> None:
    # Given 1 500 rows over three hooks
    rows = [
        _row(h, f"2026-{1 + d // 28:02d}-{1 + d % 28:02d}", 1000, 300, line=i)
        for i, (h, d) in enumerate(((h, d) for h in HOOKS for d in range(500)), start=2)
    ]
    before = store.requests
    result = store.apply(rows)
    # Then every row landed with at most 0.1 DynamoDB requests per row
    assert result.written == 1500
    assert (store.requests - before) / len(rows) <= 0.1
    total = store.table.get_item(Key={"pk": "HOOK#hk-9f8e7d6c5b", "sk": "TOTAL#meta"})["Item"]
    assert (int(total["impressions"]), int(total["days"])) == (500_000, 500)


def _resource(store: MetricsStore) -> Any:
    import boto3

    return boto3.resource("dynamodb", region_name="us-east-1")
