from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from hookforge.errors import MetricsWriteConflict
from hookforge.metrics.ingest import import_csv
from hookforge.metrics.model import DayRow
from hookforge.metrics.report import build_report, winners
from hookforge.metrics.store import MetricsStore
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


def _hold_lease(store: MetricsStore, hook_id: str, *, expires_in: int) -> None:
    """Another importer's lease on the meta total, as its UpdateItem would leave it."""
    store.table.update_item(
        Key={"pk": f"HOOK#{hook_id}", "sk": "TOTAL#meta"},
        UpdateExpression="SET lock_owner = :o, lock_expires = :e, dirty = :d",
        ExpressionAttributeValues={":o": "other-import", ":e": int(time.time()) + expires_in, ":d": True},
    )


def test_import_waits_for_a_live_lease_then_gives_up_with_named_error(store: MetricsStore) -> None:
    # Given another import holding the lease on this hook's Meta total
    store.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 100, 30)])
    _hold_lease(store, "hk-1a2b3c4d5e", expires_in=600)
    store.lease_wait = 0.3
    # When we import for that hook / Then we stop with a named error instead of racing it
    with pytest.raises(MetricsWriteConflict, match="another import holds the meta totals of hk-1a2b3c4d5e"):
        store.apply([_row("hk-1a2b3c4d5e", "2026-11-02", 10, 1)])


def test_total_left_dirty_by_a_dead_import_is_recounted_from_days(store: MetricsStore) -> None:
    # Given an import that died after writing a day row but before its total (lease expired, dirty)
    store.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 100, 30)])
    row = _row("hk-1a2b3c4d5e", "2026-11-02", 50, 20)
    store.table.put_item(
        Item={
            "pk": row.key[0],
            "sk": row.key[1],
            "hook_id": row.hook_id,
            "platform": "meta",
            "day": row.day,
            "ad_name": row.ad_name,
            "impressions": 50,
            "plays": 20,
            "holds": 0,
            "clicks": 0,
            "spend": 0,
            "version": 1,
        }
    )
    _hold_lease(store, "hk-1a2b3c4d5e", expires_in=-1)
    # When the next import of that hook runs
    result = store.apply([_row("hk-1a2b3c4d5e", "2026-11-03", 10, 4)])
    # Then the total counts every stored day, including the one the dead import left, and the lease is gone
    total = store.table.get_item(Key={"pk": "HOOK#hk-1a2b3c4d5e", "sk": "TOTAL#meta"})["Item"]
    assert result.written == 1
    assert (int(total["impressions"]), int(total["plays"]), int(total["days"])) == (160, 54, 3)
    assert "lock_owner" not in total and "dirty" not in total


def test_lost_lease_marks_total_for_recount_and_raises(store: MetricsStore) -> None:
    # Given our lease is taken over (it expired) while we write the day rows
    def steal(**_: Any) -> None:
        store.table.update_item(
            Key={"pk": "HOOK#hk-1a2b3c4d5e", "sk": "TOTAL#meta"},
            UpdateExpression="SET lock_owner = :o",
            ExpressionAttributeValues={":o": "thief"},
        )

    store.client.meta.events.register("before-call.dynamodb.BatchWriteItem", steal, unique_id="steal")
    try:
        with pytest.raises(MetricsWriteConflict, match="expired during the import"):
            store.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 100, 30)])
    finally:
        store.client.meta.events.unregister("before-call.dynamodb.BatchWriteItem", unique_id="steal")
    # Then the total is left dirty, so the next lease holder recounts it
    total = store.table.get_item(Key={"pk": "HOOK#hk-1a2b3c4d5e", "sk": "TOTAL#meta"})["Item"]
    assert total["dirty"] is True


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


def test_failed_import_hands_back_its_leases_dirty_so_the_next_import_recounts(store: MetricsStore) -> None:
    # Given an import that fails after writing its day rows (the batch write succeeds, then boom)
    class Boom(RuntimeError):
        pass

    def fail_after(**kwargs: Any) -> None:
        if kwargs.get("model") is not None and kwargs["model"].name == "PutItem":
            raise Boom("network down")

    store.client.meta.events.register("before-call.dynamodb.PutItem", fail_after, unique_id="boom")
    try:
        with pytest.raises(Boom):
            store.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 100, 30)])
    finally:
        store.client.meta.events.unregister("before-call.dynamodb.PutItem", unique_id="boom")
    total = store.table.get_item(Key={"pk": "HOOK#hk-1a2b3c4d5e", "sk": "TOTAL#meta"})["Item"]
    assert "lock_owner" not in total and total["dirty"] is True
    # When the next import runs (no waiting for a lease) / Then its total counts the orphaned day too
    store.lease_wait = 0
    store.apply([_row("hk-1a2b3c4d5e", "2026-11-02", 10, 2)])
    total = store.table.get_item(Key={"pk": "HOOK#hk-1a2b3c4d5e", "sk": "TOTAL#meta"})["Item"]
    assert (int(total["impressions"]), int(total["plays"]), int(total["days"])) == (110, 32, 2)
