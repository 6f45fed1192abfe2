from __future__ import annotations

import time
from typing import Any

import pytest

from hookforge.errors import MetricsWriteConflict
from hookforge.metrics.ingest import import_csv
from hookforge.metrics.model import DayRow
from hookforge.metrics.report import build_report, winners
from hookforge.metrics.store import MetricsStore
from tests.unit.metrics.support import HOOKS, TABLE, CallCounter, fixture_text, seed_hooks


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
    counter = CallCounter(store.client, store.writer)
    # When the ranking (dashboard) report is built
    stats = build_report(store)
    # Then only Query calls were made, each on the ranking GSI (hooks + one per platform)
    assert set(counter.ops) == {"Query"}
    assert counter.indexed == ["ByHookRate"] * 4
    assert counter.ops["Scan"] == 0
    assert [s.hook_id for s in stats][:1] == ["hk-1a2b3c4d5e"]


def test_dated_report_reads_day_rows_by_query(store: MetricsStore) -> None:
    import_csv(store, fixture_text("meta_daily.csv"), platform="meta")
    counter = CallCounter(store.client, store.writer)
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

    (store.writer or store.client).meta.events.register("before-call.dynamodb.BatchWriteItem", steal, unique_id="steal")
    try:
        with pytest.raises(MetricsWriteConflict, match="expired during the import"):
            store.apply([_row("hk-1a2b3c4d5e", "2026-11-01", 100, 30)])
    finally:
        (store.writer or store.client).meta.events.unregister("before-call.dynamodb.BatchWriteItem", unique_id="steal")
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


def _sum_of_days(store: MetricsStore, hook_id: str) -> tuple[int, int, int]:
    days = store.days(hook_id, "meta")
    return sum(int(d["impressions"]) for d in days), sum(int(d["plays"]) for d in days), len(days)


def _total_of(store: MetricsStore, hook_id: str) -> tuple[int, int, int]:
    total = store.table.get_item(Key={"pk": f"HOOK#{hook_id}", "sk": "TOTAL#meta"}, ConsistentRead=True)["Item"]
    assert "lock_owner" not in total and "dirty" not in total
    return int(total["impressions"]), int(total["plays"]), int(total["days"])


def test_reimport_that_changes_nothing_takes_no_lease_and_writes_nothing(store: MetricsStore) -> None:
    # Given 300 days over three hooks imported once
    days = [f"2026-{1 + d // 28:02d}-{1 + d % 28:02d}" for d in range(100)]
    rows = [_row(h, day, 1000 + d, 300, line=d) for h in HOOKS for d, day in enumerate(days)]
    store.apply(rows)
    counter = CallCounter(store.client, store.writer)
    # When the same rows are imported again
    result = store.apply(rows)
    # Then it only read which totals exist (one request) and the rows' stored figures (100 rows a request):
    # no total was leased or written
    assert (result.written, result.unchanged, result.hooks) == (0, 300, set(HOOKS))
    assert dict(counter.ops) == {"BatchGetItem": 1 + 3}


def test_first_import_of_a_hook_reads_none_of_its_day_rows(store: MetricsStore) -> None:
    # Given hooks with no data yet
    counter = CallCounter(store.client, store.writer)
    # When 300 of their days are imported
    rows = [_row(h, f"2026-{1 + d // 28:02d}-{1 + d % 28:02d}", 1000, 300, line=d) for h in HOOKS for d in range(100)]
    result = store.apply(rows)
    # Then one read found that their totals do not exist (so neither do their day rows): no day row was read
    assert result.written == 300
    assert (counter.ops["BatchGetItem"], counter.ops["UpdateItem"], counter.ops["PutItem"]) == (1, 3, 3)
    assert all(_total_of(store, h) == _sum_of_days(store, h) == (100_000, 30_000, 100) for h in HOOKS)


def test_changed_day_leases_only_its_own_hooks_total_and_sets_it_exactly(store: MetricsStore) -> None:
    # Given two hooks with three days each
    rows = [_row(h, f"2026-11-0{d}", 100 * d, 10 * d) for h in HOOKS[:2] for d in (1, 2, 3)]
    store.apply(rows)
    counter = CallCounter(store.client, store.writer)
    # When the second day of the first hook is restated (the platform counted more) and all rows come again
    rows[1] = _row(HOOKS[0], "2026-11-02", 250, 40)
    result = store.apply(rows)
    # Then one total is leased (UpdateItem) and written (PutItem), one day row set, and the total is the days' sum
    assert (result.written, result.unchanged) == (1, 5)
    assert (counter.ops["UpdateItem"], counter.ops["PutItem"], counter.ops["BatchWriteItem"]) == (1, 1, 1)
    assert _total_of(store, HOOKS[0]) == _sum_of_days(store, HOOKS[0]) == (100 + 250 + 300, 10 + 40 + 30, 3)
    assert _total_of(store, HOOKS[1]) == _sum_of_days(store, HOOKS[1]) == (600, 60, 3)


def _another_import_after_the_first_read(
    store: MetricsStore, rows: list[DayRow], *, read: tuple[str, ...] = ("figures",)
) -> list[bool]:
    """Another importer (its own client) sets `rows` right after our lease-free read of `read` (the day rows'
    figures; ("pk", "sk"): which totals exist), before our lease; -> [True, False] once it has."""
    other = MetricsStore(_resource(store), TABLE)
    armed: list[bool] = []

    def arm(params: dict[str, Any], **_: Any) -> None:
        request = next(iter(params["RequestItems"].values()))
        if not armed and tuple(request.get("ExpressionAttributeNames", {}).values()) == read:
            armed.append(True)

    def race(**_: Any) -> None:
        if armed == [True]:
            armed.append(False)
            other.apply(rows)

    store.client.meta.events.register("provide-client-params.dynamodb.BatchGetItem", arm, unique_id="race-arm")
    store.client.meta.events.register("after-call.dynamodb.BatchGetItem", race, unique_id="race")
    return armed


def test_row_changed_by_another_import_after_the_first_read_is_read_again_under_the_lease(
    store: MetricsStore,
) -> None:
    # Given a day stored at 100 impressions
    store.apply([_row(HOOKS[0], "2026-11-01", 100, 30), _row(HOOKS[0], "2026-11-02", 10, 1)])
    # And another import that sets it to 500 just after our import read it (while no lease is held)
    raced = _another_import_after_the_first_read(store, [_row(HOOKS[0], "2026-11-01", 500, 60)])
    try:
        # When our import sets it to 200
        result = store.apply([_row(HOOKS[0], "2026-11-01", 200, 40)])
    finally:
        store.client.meta.events.unregister("after-call.dynamodb.BatchGetItem", unique_id="race")
        store.client.meta.events.unregister("provide-client-params.dynamodb.BatchGetItem", unique_id="race-arm")
    # Then our figure replaces the other import's (read again under the lease), and the total is the days' sum
    assert raced == [True, False] and result.written == 1
    assert _total_of(store, HOOKS[0]) == _sum_of_days(store, HOOKS[0]) == (210, 41, 2)


def test_row_found_unchanged_then_changed_by_another_import_keeps_the_later_figure_and_exact_totals(
    store: MetricsStore,
) -> None:
    # Given a day stored at 100 impressions, and another import that sets it to 500 just after we read it
    store.apply([_row(HOOKS[0], "2026-11-01", 100, 30)])
    raced = _another_import_after_the_first_read(store, [_row(HOOKS[0], "2026-11-01", 500, 60)])
    try:
        # When our import brings the same 100 again
        result = store.apply([_row(HOOKS[0], "2026-11-01", 100, 30)])
    finally:
        store.client.meta.events.unregister("after-call.dynamodb.BatchGetItem", unique_id="race")
        store.client.meta.events.unregister("provide-client-params.dynamodb.BatchGetItem", unique_id="race-arm")
    # Then ours was unchanged when read and is not written over the later figure; the total matches the day
    assert raced == [True, False] and (result.written, result.unchanged) == (0, 1)
    assert _total_of(store, HOOKS[0]) == _sum_of_days(store, HOOKS[0]) == (500, 60, 1)


def test_first_rows_of_a_hook_written_by_another_import_after_the_first_read_keep_totals_exact(
    store: MetricsStore,
) -> None:
    # Given a hook without data, and another import that writes its first days just after our import found
    # that the hook's total does not exist
    raced = _another_import_after_the_first_read(
        store, [_row(HOOKS[0], "2026-11-01", 500, 60), _row(HOOKS[0], "2026-11-02", 7, 1)], read=("pk", "sk")
    )
    try:
        # When our import sets the first day and a third one
        result = store.apply([_row(HOOKS[0], "2026-11-01", 200, 40), _row(HOOKS[0], "2026-11-03", 10, 2)])
    finally:
        store.client.meta.events.unregister("after-call.dynamodb.BatchGetItem", unique_id="race")
        store.client.meta.events.unregister("provide-client-params.dynamodb.BatchGetItem", unique_id="race-arm")
    # Then our lease found the total created by the other import and read the rows again: the total is exact
    assert raced == [True, False] and result.written == 2
    assert _total_of(store, HOOKS[0]) == _sum_of_days(store, HOOKS[0]) == (217, 43, 3)


def test_rows_stored_in_the_older_layout_are_rewritten_once_then_only_read(store: MetricsStore) -> None:
    # Given days stored by an older import: hook, platform and day repeated, `figures` without the row's key
    rows = [_row(HOOKS[0], f"2026-11-0{d}", 100 * d, 10 * d) for d in (1, 2)]
    store.apply(rows)
    for row in rows:
        store.table.update_item(
            Key=dict(zip(("pk", "sk"), row.key, strict=True)),
            UpdateExpression="SET figures = :f, hook_id = :h, platform = :p, #d = :d, version = :v",
            ExpressionAttributeNames={"#d": "day"},
            ExpressionAttributeValues={
                ":f": f"{row.impressions}|{row.plays}|0|0|0.0",
                ":h": row.hook_id,
                ":p": "meta",
                ":d": row.day,
                ":v": 3,
            },
        )
    # When the same days are imported twice
    first = store.apply(rows)
    counter = CallCounter(store.client, store.writer)
    second = store.apply(rows)
    # Then neither import changes a figure or the total; the first rewrites the rows, the second only reads
    assert (first.written, first.unchanged, second.written, second.unchanged) == (0, 2, 0, 2)
    assert dict(counter.ops) == {"BatchGetItem": 2}
    assert _total_of(store, HOOKS[0]) == _sum_of_days(store, HOOKS[0]) == (300, 30, 2)


def test_days_carry_the_hook_platform_and_day_of_their_key(store: MetricsStore) -> None:
    store.apply([_row(HOOKS[0], "2026-11-01", 100, 30)])
    [day] = store.days(HOOKS[0])
    assert (day["hook_id"], day["platform"], day["day"]) == (HOOKS[0], "meta", "2026-11-01")
    assert day["ad_name"] == f"ad | {HOOKS[0]}"


def test_day_rows_sent_as_dynamodb_json_are_what_boto3s_serializer_makes_of_them() -> None:
    from boto3.dynamodb.types import TypeSerializer

    from hookforge.metrics.store import _day_item, _wire

    # Given an imported row (no ad id) and a synced one (ad id, placement, currency, fractional spend)
    rows = [
        DayRow(HOOKS[0], "meta", "2026-11-02", "", 1000, 300, 90, 12, 0.0, line=1),
        DayRow(HOOKS[1], "meta", "2026-11-02", "spring | x", 10_000, 2500, 900, 40, 12.345678, line=2,
               ad_id="120200000000001", placement="instagram:reels", currency="EUR"),  # fmt: skip
    ]
    for row in rows:
        item = _day_item(row)
        # Then the bulk writer's wire form equals the resource's, attribute for attribute
        assert _wire(item) == TypeSerializer().serialize(item)["M"]


def test_the_bulk_writer_and_the_resource_store_the_same_items(store: MetricsStore) -> None:
    from hookforge.local import template as tpl
    from tests.conftest import ROOT

    # Given the same report imported through the bulk writer (the fixture, as Deps makes it) and through a store on
    # the resource alone, each into its own table of the template's metrics layout
    spec = tpl.tables(tpl.load_template(ROOT / "template.yaml"))["MetricsTable"]
    _resource(store).meta.client.create_table(TableName="hf-test-metrics-plain", **spec)
    plain_store = MetricsStore(_resource(store), "hf-test-metrics-plain")
    seed_hooks(plain_store)
    assert store.writer is not None and plain_store.writer is None
    text = fixture_text("meta_daily.csv")
    fast, slow = import_csv(store, text, platform="meta"), import_csv(plain_store, text, platform="meta")
    # Then both wrote the same day rows, attribute for attribute, and the same totals
    assert (fast.imported, fast.unchanged) == (slow.imported, slow.unchanged) and fast.imported > 0

    def stored(s: MetricsStore) -> list[dict[str, Any]]:
        items = s.table.scan(ConsistentRead=True)["Items"]
        return sorted(({k: v for k, v in i.items() if k not in ("updated_at", "lock_owner", "lock_expires")}
                       for i in items if i["sk"] != "HOOK"), key=lambda i: (i["pk"], i["sk"]))  # fmt: skip

    fast_items = stored(store)
    assert len(fast_items) > fast.imported and stored(plain_store) == fast_items
