from __future__ import annotations

from typing import Any

import pytest

from hookforge.errors import ReportInvalid
from hookforge.metrics.ingest import import_csv, import_json, parse_csv, parse_json
from hookforge.metrics.report import build_report
from hookforge.metrics.store import MetricsStore
from tests.unit.metrics.support import fixture_text


def _total(store: MetricsStore, hook_id: str, platform: str) -> dict[str, Any]:
    return store.table.get_item(Key={"pk": f"HOOK#{hook_id}", "sk": f"TOTAL#{platform}"})["Item"]


def _sum_days(store: MetricsStore, hook_id: str, platform: str) -> dict[str, int]:
    days = store.days(hook_id, platform)
    return {c: sum(int(d[c]) for d in days) for c in ("impressions", "plays", "holds", "clicks")}


def test_meta_export_maps_real_headers(store: MetricsStore) -> None:
    # Given a Meta Ads Manager export (BOM, "1,200" thousands, empty ThruPlays cell)
    platform, parsed = parse_csv(fixture_text("meta_daily.csv"))
    # Then it is detected as Meta and each column lands in the right field
    assert platform == "meta"
    assert not parsed.bad
    first = parsed.rows[0]
    assert (first.hook_id, first.day, first.impressions, first.plays, first.holds) == (
        "hk-1a2b3c4d5e",
        "2026-11-01",
        1200,
        420,
        150,
    )
    assert (first.spend, first.clicks, first.line) == (12.50, 18, 2)
    assert parsed.rows[3].holds == 0 and parsed.rows[3].clicks == 0


def test_meta_import_writes_days_and_totals(store: MetricsStore) -> None:
    # When the Meta export is imported
    report = import_csv(store, fixture_text("meta_daily.csv"), platform="meta", source="reports/meta.csv")
    # Then every line is accounted for and totals are the sums of the days
    assert (report.lines, report.imported, report.unchanged, report.bad) == (4, 4, 0, [])
    total = _total(store, "hk-1a2b3c4d5e", "meta")
    assert (total["impressions"], total["plays"], total["holds"], total["days"]) == (2700, 930, 320, 2)
    assert float(total["spend"]) == pytest.approx(27.60)
    assert total["prompt"] == "prompt of hk-1a2b3c4d5e"  # denormalised for the ranking read


def test_tiktok_export_uses_two_and_six_second_views(store: MetricsStore) -> None:
    # Given a TikTok Ads Manager export
    report = import_csv(store, fixture_text("tiktok_daily.csv"), source="reports/tiktok.csv")
    # Then it is detected as TikTok; plays are 2-second views and holds 6-second views
    assert report.platform == "tiktok" and report.imported == 2 and not report.bad
    total = _total(store, "hk-00aa11bb22", "tiktok")
    assert (total["impressions"], total["plays"], total["holds"], total["clicks"]) == (4400, 1420, 470, 27)
    stat = next(s for s in build_report(store) if s.hook_id == "hk-00aa11bb22")
    assert stat.hook_rate_definition == "TikTok hook rate = 2-second video views ÷ impressions"
    assert stat.hold_rate_definition == "TikTok hold rate = 6-second video views ÷ 2-second video views"


def test_tiktok_singular_impression_header_is_accepted(store: MetricsStore) -> None:
    text = (
        "Ad name,Date,Impression,2-second video views,6-second video views,Cost,Clicks\n"
        "x | hk-00aa11bb22,2026-11-05,10,4,1,0.5,1\n"
    )
    platform, parsed = parse_csv(text)
    assert platform == "tiktok" and parsed.rows[0].impressions == 10 and not parsed.bad


def test_reimport_of_same_report_leaves_totals_unchanged(store: MetricsStore) -> None:
    # Given the Meta report imported once
    import_csv(store, fixture_text("meta_daily.csv"), platform="meta")
    before = _total(store, "hk-1a2b3c4d5e", "meta")
    # When it is imported again
    again = import_csv(store, fixture_text("meta_daily.csv"), platform="meta")
    # Then nothing is written and the totals are exactly the same
    assert (again.imported, again.unchanged) == (0, 4)
    after = _total(store, "hk-1a2b3c4d5e", "meta")
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }


def test_overlapping_report_sets_days_instead_of_adding(store: MetricsStore) -> None:
    # Given days 1-2 imported, then a later cumulative report of days 2-3 (day 2 grew)
    import_csv(store, fixture_text("meta_daily.csv"), platform="meta")
    report = import_csv(store, fixture_text("meta_overlap.csv"), platform="meta")
    # Then day 2 is replaced, day 3 added: totals equal the latest figure of each day
    assert report.imported == 2
    total = _total(store, "hk-1a2b3c4d5e", "meta")
    assert (total["impressions"], total["plays"], total["holds"], total["days"]) == (3800, 1290, 430, 3)
    assert {c: int(total[c]) for c in ("impressions", "plays", "holds", "clicks")} == _sum_days(
        store, "hk-1a2b3c4d5e", "meta"
    )
    # and importing both again in the other order changes nothing
    import_csv(store, fixture_text("meta_overlap.csv"), platform="meta")
    assert _total(store, "hk-1a2b3c4d5e", "meta")["impressions"] == 3800


def test_placement_breakdown_rows_of_one_ad_are_summed(store: MetricsStore) -> None:
    # Given one ad's day split into two placement rows in one export
    text = (
        "Ad name,Day,Placement,Impressions,3-second video plays,ThruPlays,Amount spent (USD)\n"
        "a | hk-1a2b3c4d5e,2026-11-01,Feed,100,30,10,1.00\n"
        "a | hk-1a2b3c4d5e,2026-11-01,Reels,200,90,20,2.00\n"
    )
    report = import_csv(store, text, platform="meta")
    # Then both lines count as imported and the day holds their sum; a re-import stays the same
    assert (report.imported, report.unchanged) == (2, 0)
    assert _total(store, "hk-1a2b3c4d5e", "meta")["impressions"] == 300
    again = import_csv(store, text, platform="meta")
    assert (again.imported, again.unchanged) == (0, 2)
    assert _total(store, "hk-1a2b3c4d5e", "meta")["impressions"] == 300


def test_two_ads_carrying_one_hook_add_up(store: MetricsStore) -> None:
    text = (
        "Ad name,Day,Impressions,3-second video plays\n"
        "set A | hk-1a2b3c4d5e,2026-11-01,100,30\n"
        "set B | hk-1a2b3c4d5e,2026-11-01,50,20\n"
    )
    import_csv(store, text, platform="meta")
    import_csv(store, text.replace("set B | hk-1a2b3c4d5e,2026-11-01,50,20", "set B | hk-1a2b3c4d5e,2026-11-01,60,25"))
    total = _total(store, "hk-1a2b3c4d5e", "meta")
    assert (total["impressions"], total["plays"]) == (160, 55)


def test_every_bad_row_kind_is_reported_with_line_and_reason(store: MetricsStore) -> None:
    # Given a Meta export with one good row at each end and one of each bad kind in between
    report = import_csv(store, fixture_text("meta_bad.csv"), platform="meta", source="reports/bad.csv")
    reasons = {b.line: b.reason for b in report.bad}
    # Then each bad line is named with its reason ...
    assert set(reasons) == {3, 5, 6, 7, 8}
    assert reasons[3].startswith("unknown hook hk-ffffffffff")
    # line 4 is an ordinary ad of the account (no hook id): counted and named, not a bad row
    assert (report.not_hook_rows, report.not_hook_ads) == (1, 1)
    assert report.not_hook_examples == ["summer sale without id"]
    assert reasons[5] == "negative Impressions: '-5'"
    assert reasons[6] == "3-second video plays (120) exceed Impressions (100)"
    assert reasons[7].startswith("unparsable date in 'Day': '4th Nov'")
    assert reasons[8] == "missing column '3-second video plays'"
    # ... the good rows still land, and nothing is silently dropped
    assert report.imported == 2
    assert report.imported + report.unchanged + len(report.bad) + report.not_hook_rows == report.lines == 8
    assert _total(store, "hk-1a2b3c4d5e", "meta")["impressions"] == 2000


def test_missing_header_column_fails_each_row_with_its_name(store: MetricsStore) -> None:
    text = "Ad name,Day,Impressions\nx | hk-1a2b3c4d5e,2026-11-01,10\n"
    report = import_csv(store, text, platform="meta")
    assert [(b.line, b.reason) for b in report.bad] == [(2, "missing column '3-second video plays'")]


def test_row_spanning_several_days_is_rejected(store: MetricsStore) -> None:
    text = (
        "Reporting starts,Reporting ends,Ad name,Impressions,3-second video plays\n"
        "2026-11-01,2026-11-07,x | hk-1a2b3c4d5e,10,3\n"
        "2026-11-08,2026-11-08,x | hk-1a2b3c4d5e,10,3\n"
    )
    report = import_csv(store, text, platform="meta")
    assert report.imported == 1
    assert report.bad[0].line == 2 and "not one day" in report.bad[0].reason


def test_generic_csv_names_hooks_by_id(store: MetricsStore) -> None:
    report = import_csv(store, fixture_text("generic.csv"), platform="generic")
    assert (report.imported, report.bad) == (2, [])
    assert _total(store, "hk-9f8e7d6c5b", "generic")["plays"] == 100


def test_json_batch_goes_through_the_same_path(store: MetricsStore) -> None:
    body = {
        "platform": "meta",
        "rows": [
            {"hook_id": "hk-1a2b3c4d5e", "date": "2026-11-01", "impressions": 1000, "plays_3s": 310, "thruplays": 90},
            {"ad_name": "promo | hk-9f8e7d6c5b", "date": "2026-11-01", "impressions": 10, "plays_3s": 11},
            "not an object",
        ],
    }
    report = import_json(store, body)
    assert report.imported == 1
    assert [(b.line, b.reason) for b in report.bad] == [
        (2, "plays_3s (11) exceed impressions (10)"),
        (3, "row is not an object: str"),
    ]
    assert _total(store, "hk-1a2b3c4d5e", "meta")["plays"] == 310


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([1, 2], "JSON object"),
        ({"platform": "myspace", "rows": [{}]}, "unknown platform"),
        ({"platform": "meta"}, "non-empty list"),
        ({"platform": "meta", "rows": []}, "non-empty list"),
    ],
)
def test_malformed_json_body_is_rejected_as_a_whole(body: Any, message: str) -> None:
    with pytest.raises(ReportInvalid, match=message):
        parse_json(body)


def test_empty_file_is_rejected() -> None:
    with pytest.raises(ReportInvalid, match="empty"):
        parse_csv("", "meta")


def test_meta_spend_column_named_after_account_currency_is_found() -> None:
    text = (
        "Ad name,Day,Impressions,3-second video plays,Amount spent (EUR),Clicks (all)\n"
        'x | hk-1a2b3c4d5e,2026-11-01,100,30,"1,234.50",7\n'
    )
    platform, parsed = parse_csv(text)
    assert platform == "meta" and not parsed.bad
    assert (parsed.rows[0].spend, parsed.rows[0].clicks) == (1234.5, 7)


def test_header_without_video_columns_is_generic_and_says_what_is_missing() -> None:
    platform, parsed = parse_csv("Ad name,Day,Impressions\nx | hk-1a2b3c4d5e,2026-11-01,100\n")
    assert platform == "generic"
    assert parsed.bad[0].reason == "missing column 'plays_3s'"
