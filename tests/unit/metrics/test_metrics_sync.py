"""`metrics sync` against local stand-ins of the Graph insights API and the TikTok integrated report."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from hookforge.errors import AdTokenExpired, ProviderError, ProviderThrottled, ProviderUnavailable
from hookforge.metrics.store import MetricsStore
from hookforge.metrics.sync import MetaInsights, TikTokReport, sync_all, sync_source
from hookforge.metrics.sync.common import Redactor, rolling_window, spans, strip_token
from hookforge.metrics.sync.meta import regain_seconds
from tests.support.ad_platforms import (
    META_ACCOUNT,
    META_TOKEN,
    TIKTOK_ADVERTISER,
    TIKTOK_TOKEN,
    HandlerAdapter,
    MetaStandIn,
    SimAd,
    TikTokStandIn,
    day_numbers,
)
from tests.unit.metrics.support import HOOKS, CallCounter

SINCE, UNTIL = date(2026, 11, 25), date(2026, 12, 1)
ADS = [
    SimAd("120200000000001", f"summer launch | {HOOKS[0]}"),
    SimAd("120200000000002", f"winter | {HOOKS[1]}"),
    SimAd("120200000000003", "Brand awareness - carousel"),
    SimAd("120200000000004", "Retargeting video 15s"),
    SimAd("120200000000005", f"two hooks {HOOKS[0]} vs {HOOKS[2]}"),
]


def _meta(standin: MetaStandIn, slept: list[float], **options: Any) -> MetaInsights:
    return MetaInsights(
        transport=standin.transport,
        token=META_TOKEN,
        account_id=META_ACCOUNT,
        base_url="https://graph.meta-standin.invalid",
        sleeper=slept.append,
        **options,
    )


def _tiktok(standin: TikTokStandIn, slept: list[float], **options: Any) -> TikTokReport:
    client = httpx.Client(transport=standin.transport)
    return TikTokReport(
        client,
        token=TIKTOK_TOKEN,
        advertiser_id=TIKTOK_ADVERTISER,
        base_url="https://tiktok-standin.invalid",
        sleeper=slept.append,
        **options,
    )


def _total(store: MetricsStore, hook_id: str, platform: str) -> dict[str, Any]:
    return store.table.get_item(Key={"pk": f"HOOK#{hook_id}", "sk": f"TOTAL#{platform}"}, ConsistentRead=True).get(
        "Item", {}
    )


def _expected(standin: MetaStandIn | TikTokStandIn, ad_id: str, since: date, until: date) -> int:
    """The impressions the stand-in reports for one ad over [since, until] (all placements)."""
    if isinstance(standin, MetaStandIn):
        records = standin.records(since.isoformat(), until.isoformat())
        return sum(int(r["impressions"]) for r in records if r["ad_id"] == ad_id)
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    bump = standin.restated
    return sum(day_numbers(ad_id, d.isoformat(), "tiktok", bump.get((ad_id, d.isoformat()), 0))[0] for d in days)


# ------------------------------------------------------------------------------------------- Meta
def test_meta_sync_follows_every_cursor_page_and_sets_one_row_per_ad_day_placement(store: MetricsStore) -> None:
    # Given 5 ads x 2 placements x 7 days = 70 records, 4 per page
    standin = MetaStandIn(ADS, SINCE, UNTIL, page_size_cap=4)
    slept: list[float] = []
    source = _meta(standin, slept)
    # When the window is synced
    report = sync_source(store, source, since=SINCE, until=UNTIL)
    # Then every page was read (18 pages, one request each) and the hook ads' rows were set
    assert report.rows == 70
    assert source.requests == len(standin.requests) == 18
    assert report.imported == 28  # 2 hook ads x 2 placements x 7 days
    assert report.hooks == [HOOKS[0], HOOKS[1]]
    assert int(_total(store, HOOKS[0], "meta")["impressions"]) == _expected(standin, ADS[0].ad_id, SINCE, UNTIL)
    days = store.days(HOOKS[0], "meta")
    assert {d["placement"] for d in days} == {"facebook:feed", "instagram:reels"}
    assert {d["currency"] for d in days} == {"USD"}
    assert {d["ad_id"] for d in days} == {ADS[0].ad_id}
    assert slept == []


def test_meta_token_never_travels_in_a_url_even_though_graph_puts_it_in_paging_next(store: MetricsStore) -> None:
    standin = MetaStandIn(ADS, SINCE, UNTIL, page_size_cap=10)
    sync_source(store, _meta(standin, []), since=SINCE, until=UNTIL)
    assert len(standin.requests) > 1
    for request in standin.requests:
        assert META_TOKEN not in str(request.url)
        assert "access_token" not in str(request.url)
        assert request.headers["authorization"] == f"Bearer {META_TOKEN}"
    # the paging link's cursor was still followed
    assert any(request.url.params.get("after") for request in standin.requests)


def test_meta_requests_are_made_by_the_facebook_business_sdk_each_on_its_own_host(store: MetricsStore) -> None:
    from facebook_business.api import FacebookAdsApi
    from facebook_business.session import FacebookSession

    # Given two readers of the same account pointed at two different hosts in one process
    first, second = MetaStandIn(ADS[:1], SINCE, SINCE), MetaStandIn(ADS[1:2], SINCE, SINCE)
    a = MetaInsights(transport=first.transport, token=META_TOKEN, account_id=META_ACCOUNT, base_url="https://a.invalid")
    b = MetaInsights(transport=second.transport, token=META_TOKEN, account_id=META_ACCOUNT, base_url="http://b:8")
    # When both read
    assert sync_source(store, a, since=SINCE, until=SINCE).rows == 2
    assert sync_source(store, b, since=SINCE, until=SINCE).rows == 2
    # Then each request went out through the SDK's own session and call (its User-Agent), to its own reader's host,
    # and the SDK's process-wide defaults were left alone
    agent = FacebookAdsApi.HTTP_DEFAULT_HEADERS["User-Agent"]
    assert agent.startswith("fbbizsdk-python-v26.")
    assert [(r.url.host, r.headers["user-agent"]) for r in first.requests] == [("a.invalid", agent)]
    assert [(r.url.host, r.url.port, r.headers["user-agent"]) for r in second.requests] == [("b", 8, agent)]
    assert FacebookSession.GRAPH == "https://graph.facebook.com" and FacebookAdsApi.get_default_api() is None
    # and the token only ever travelled in the Authorization header, never as the SDK's access_token parameter
    for request in first.requests + second.requests:
        assert "access_token" not in str(request.url) and META_TOKEN not in str(request.url)
        assert request.headers["authorization"] == f"Bearer {META_TOKEN}"


def test_meta_unreachable_is_retried_then_named_without_the_token(store: MetricsStore) -> None:
    import requests

    def refuse(request: httpx.Request) -> httpx.Response:
        raise requests.ConnectionError(f"connection refused: {request.url} Bearer {META_TOKEN}")

    source = _meta(MetaStandIn([], SINCE, SINCE), slept := [])
    source.mount(HandlerAdapter(refuse))
    with pytest.raises(ProviderUnavailable, match="Meta could not be reached") as caught:
        sync_source(store, source, since=SINCE, until=SINCE)
    assert META_TOKEN not in str(caught.value) and slept == [2.0, 4.0, 8.0]


def test_tiktok_unreachable_is_retried_then_named_without_the_token(store: MetricsStore) -> None:
    # httpx is imported where a TikTok call is made (importing the sync package, as a launch does, needs none)
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"connection refused: {request.url} {TIKTOK_TOKEN}", request=request)

    source = TikTokReport(
        httpx.Client(transport=httpx.MockTransport(refuse)), token=TIKTOK_TOKEN, advertiser_id=TIKTOK_ADVERTISER,
        base_url="https://tiktok-standin.invalid", sleeper=(slept := []).append,
    )  # fmt: skip
    with pytest.raises(ProviderUnavailable, match="TikTok could not be reached") as caught:
        sync_source(store, source, since=SINCE, until=SINCE)
    assert TIKTOK_TOKEN not in str(caught.value) and slept == [2.0, 4.0, 8.0]


def test_ads_without_a_hook_id_are_summarized_not_listed_as_bad_rows(store: MetricsStore) -> None:
    standin = MetaStandIn(ADS, SINCE, UNTIL)
    report = sync_source(store, _meta(standin, []), since=SINCE, until=UNTIL)
    assert report.not_hook_rows == 28 and report.not_hook_ads == 2
    assert "28 rows from 2 ads that are not hookforge hooks" in report.summary()
    # only the ad naming two hooks is skipped, each of its rows with the reason
    assert len(report.skipped) == 14
    assert {s.reason for s in report.skipped} == {f"the ad name names several hook ids ({HOOKS[2]}, {HOOKS[0]})"}
    assert not any("Brand awareness" in s.ad for s in report.skipped)


def test_meta_throttle_is_waited_out_from_the_business_use_case_header_then_succeeds(store: MetricsStore) -> None:
    # Given two throttled answers (code 80004, estimated_time_to_regain_access = 2 minutes)
    standin = MetaStandIn(ADS, SINCE, UNTIL, throttles=2, regain_minutes=2)
    slept: list[float] = []
    report = sync_source(store, _meta(standin, slept), since=SINCE, until=UNTIL)
    # Then the sync waited the announced 120 s twice (through the injected sleeper) and finished
    assert slept == [120.0, 120.0]
    assert report.imported == 28


def test_meta_throttle_longer_than_the_wait_budget_is_a_named_error_and_writes_nothing(store: MetricsStore) -> None:
    standin = MetaStandIn(ADS, SINCE, UNTIL, throttles=1, regain_minutes=60)
    slept: list[float] = []
    with pytest.raises(ProviderThrottled, match="about 60 min"):
        sync_source(store, _meta(standin, slept, max_wait=600), since=SINCE, until=UNTIL)
    assert slept == []
    assert _total(store, HOOKS[0], "meta") == {}


def test_meta_expired_token_is_a_named_error_saying_how_to_renew_without_the_token(store: MetricsStore) -> None:
    standin = MetaStandIn(ADS, SINCE, UNTIL, expire=True)
    with pytest.raises(AdTokenExpired) as caught:
        sync_source(store, _meta(standin, []), since=SINCE, until=UNTIL)
    message = str(caught.value)
    assert "190/463" in message and "System users" in message and "hookforge/ad-platforms/meta" in message
    assert META_TOKEN not in message
    assert len(standin.requests) == 1  # never retried


def test_meta_long_window_runs_the_async_report_job(store: MetricsStore) -> None:
    since = date(2026, 9, 3)
    standin = MetaStandIn(ADS[:2], since, UNTIL, async_polls=2, page_size_cap=100)
    slept: list[float] = []
    report = sync_source(store, _meta(standin, slept, poll_seconds=5), since=since, until=UNTIL)
    methods = [(r.method, r.url.path) for r in standin.requests]
    assert methods[0] == ("POST", f"/v26.0/act_{META_ACCOUNT}/insights")
    assert methods[1:4] == [("GET", "/v26.0/6000000000")] * 3  # running, running, completed
    assert all(path == "/v26.0/6000000000/insights" for _, path in methods[4:])
    assert slept == [5, 5]
    assert report.rows == 2 * 2 * 90
    assert int(_total(store, HOOKS[1], "meta")["impressions"]) == _expected(standin, ADS[1].ad_id, since, UNTIL)


def test_a_restated_day_replaces_what_was_stored_and_a_repeat_sync_changes_nothing(store: MetricsStore) -> None:
    standin = MetaStandIn(ADS[:2], SINCE, UNTIL)
    sync_source(store, _meta(standin, []), since=SINCE, until=UNTIL)
    first = int(_total(store, HOOKS[0], "meta")["impressions"])
    # When Meta restates one day (+500 impressions in each placement) and the window is synced again
    standin.restated[(ADS[0].ad_id, "2026-11-28")] = 500
    again = sync_source(store, _meta(standin, []), since=SINCE, until=UNTIL)
    # Then the day is set to the restated numbers (not added) and the other rows are unchanged
    assert again.imported == 2 and again.unchanged == 26
    assert int(_total(store, HOOKS[0], "meta")["impressions"]) == first + 1000
    assert int(_total(store, HOOKS[0], "meta")["impressions"]) == _expected(standin, ADS[0].ad_id, SINCE, UNTIL)
    third = sync_source(store, _meta(standin, []), since=SINCE, until=UNTIL)
    assert third.imported == 0 and third.unchanged == 28
    assert int(_total(store, HOOKS[0], "meta")["impressions"]) == first + 1000


def test_a_resync_that_changes_nothing_takes_no_lease_and_writes_nothing(store: MetricsStore) -> None:
    # Given a week of two hooks' ads synced from TikTok
    standin = TikTokStandIn(ADS[:2], SINCE, UNTIL)
    sync_source(store, _tiktok(standin, []), since=SINCE, until=UNTIL)
    totals = [_total(store, h, "tiktok") for h in HOOKS[:2]]
    counter = CallCounter(store.client, store.writer)
    # When the same week is synced again and TikTok restated nothing
    again = sync_source(store, _tiktok(standin, []), since=SINCE, until=UNTIL)
    # Then the sync read the launched ads (Query), which totals exist and the rows' figures, and wrote nothing
    assert (again.imported, again.unchanged, again.hooks) == (0, 14, sorted(HOOKS[:2]))
    assert dict(counter.ops) == {"Query": 1, "BatchGetItem": 2}
    assert [_total(store, h, "tiktok") for h in HOOKS[:2]] == totals


def test_a_resync_with_a_restated_day_leases_that_hook_only_and_sets_its_total_exactly(store: MetricsStore) -> None:
    # Given a week of two hooks' ads synced from TikTok
    standin = TikTokStandIn(ADS[:2], SINCE, UNTIL)
    sync_source(store, _tiktok(standin, []), since=SINCE, until=UNTIL)
    other = _total(store, HOOKS[1], "tiktok")
    counter = CallCounter(store.client, store.writer)
    # When TikTok restates two days of the first hook's ad and the week is synced again
    standin.restated.update({(ADS[0].ad_id, "2026-11-28"): 300, (ADS[0].ad_id, "2026-11-30"): 7})
    again = sync_source(store, _tiktok(standin, []), since=SINCE, until=UNTIL)
    # Then only the first hook's total is leased and written, set (not added) to the restated week
    assert (again.imported, again.unchanged) == (2, 12)
    assert (counter.ops["UpdateItem"], counter.ops["PutItem"], counter.ops["BatchWriteItem"]) == (1, 1, 1)
    total = _total(store, HOOKS[0], "tiktok")
    assert int(total["impressions"]) == _expected(standin, ADS[0].ad_id, SINCE, UNTIL)
    days = store.days(HOOKS[0], "tiktok")
    assert int(total["impressions"]) == sum(int(d["impressions"]) for d in days) and int(total["days"]) == 7
    assert "lock_owner" not in total and "dirty" not in total
    assert _total(store, HOOKS[1], "tiktok") == other


def test_an_unknown_currency_and_an_unregistered_hook_are_recorded_skips(store: MetricsStore) -> None:
    standin = MetaStandIn(
        [SimAd("1", f"x | {HOOKS[0]}"), SimAd("2", "y | hk-ffffffff99")], SINCE, SINCE, currency="XYZ"
    )
    report = sync_source(store, _meta(standin, []), since=SINCE, until=SINCE)
    assert report.imported == 0
    assert {s.reason for s in report.skipped} == {"unknown currency 'XYZ': the spend cannot be added to the others"}
    standin.currency = "EUR"
    report = sync_source(store, _meta(standin, []), since=SINCE, until=SINCE)
    assert report.imported == 2
    assert [s.ad for s in report.skipped] == ["y | hk-ffffffff99"] * 2
    assert all("unknown hook hk-ffffffff99" in s.reason for s in report.skipped)


def _failing_after(standin: MetaStandIn, ok: int, body: dict[str, Any], status: int = 500) -> HandlerAdapter:
    def handle(request: httpx.Request) -> httpx.Response:
        if len(standin.requests) >= ok:
            standin.requests.append(request)
            return httpx.Response(status, json=body)
        return standin.handle(request)

    return HandlerAdapter(handle)


def test_a_sync_that_fails_on_a_later_page_changes_no_totals(store: MetricsStore) -> None:
    standin = MetaStandIn(ADS, SINCE, UNTIL, page_size_cap=4)
    error = {"error": {"message": "An unknown error occurred", "type": "OAuthException", "code": 1}}
    source = _meta(standin, slept := [])
    source.mount(_failing_after(standin, 3, error))
    with pytest.raises(ProviderUnavailable, match="code 1"):
        sync_source(store, source, since=SINCE, until=UNTIL)
    assert slept == [2.0, 4.0, 8.0]  # retried, then given up
    assert _total(store, HOOKS[0], "meta") == {} and store.days(HOOKS[0]) == []


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, {"code": 100, "message": "(#100) Invalid parameter", "error_subcode": 1487534}, ProviderError),
        (400, {"code": 104, "message": "An access token is required to request this resource."}, AdTokenExpired),
        (400, {"code": 102, "message": "Session key invalid or no longer valid"}, AdTokenExpired),
        (403, {"code": 10, "message": "(#10) Application does not have permission for this action"}, ProviderError),
        (503, {"code": 2, "message": "Service temporarily unavailable"}, ProviderUnavailable),
    ],
)
def test_every_documented_graph_error_kind_is_a_named_error(
    store: MetricsStore, status: int, error: dict[str, Any], expected: type[Exception]
) -> None:
    standin = MetaStandIn(ADS, SINCE, UNTIL)
    source = _meta(standin, [])
    body = {"error": {**error, "type": "OAuthException", "fbtrace_id": "A1"}}
    source.mount(_failing_after(standin, 0, body, status))
    with pytest.raises(expected) as caught:
        sync_source(store, source, since=SINCE, until=UNTIL)
    assert type(caught.value) is expected
    assert str(error["code"]) in str(caught.value)


def test_an_empty_page_ends_the_read_and_a_page_without_data_is_an_error(store: MetricsStore) -> None:
    empty = MetaStandIn([], SINCE, UNTIL)
    assert sync_source(store, _meta(empty, []), since=SINCE, until=UNTIL).rows == 0
    source = _meta(empty, [])
    source.mount(HandlerAdapter(lambda r: httpx.Response(200, json={"paging": {}})))
    with pytest.raises(ProviderError, match="without a data list"):
        sync_source(store, source, since=SINCE, until=UNTIL)


def test_a_partial_record_is_skipped_with_its_reason_and_the_rest_imported(store: MetricsStore) -> None:
    standin = MetaStandIn(ADS[:1], SINCE, SINCE)
    records = standin.records(SINCE.isoformat(), SINCE.isoformat())
    records[1] = {**records[1], "impressions": "12", "actions": [{"action_type": "video_view", "value": "40"}]}
    page = {"data": records, "paging": {"cursors": {"before": "0", "after": "2"}}}
    source = _meta(standin, [])
    source.mount(HandlerAdapter(lambda r: httpx.Response(200, json=page)))
    report = sync_source(store, source, since=SINCE, until=SINCE)
    assert report.imported == 1
    assert [s.reason for s in report.skipped] == ["3-second video plays (40) exceed impressions (12)"]


def test_a_next_link_to_another_host_is_not_followed(store: MetricsStore) -> None:
    page = {"data": MetaStandIn(ADS[:1], SINCE, SINCE).records("2026-11-25", "2026-11-25"), "paging": {}}
    page["paging"]["next"] = f"https://evil.example/v26.0/act_1/insights?after=2&access_token={META_TOKEN}"
    source = _meta(MetaStandIn([], SINCE, SINCE), [])
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=page)

    source.mount(HandlerAdapter(handle))
    with pytest.raises(ProviderError, match="another host") as caught:
        sync_source(store, source, since=SINCE, until=SINCE)
    assert META_TOKEN not in str(caught.value)
    assert len(seen) == 1


# ------------------------------------------------------------------------------------------ TikTok
def test_tiktok_sync_pages_through_the_report_and_reads_long_windows_in_30_day_spans(store: MetricsStore) -> None:
    since = date(2026, 10, 1)
    standin = TikTokStandIn(ADS, since, UNTIL, page_size_cap=40)
    slept: list[float] = []
    source = _tiktok(standin, slept, page_size=1000)
    report = sync_source(store, source, since=since, until=UNTIL)
    assert report.rows == 5 * 62
    report_calls = [r for r in standin.requests if r.url.path.endswith("/report/integrated/get/")]
    spans_asked = {(r.url.params["start_date"], r.url.params["end_date"]) for r in report_calls}
    assert spans_asked == {("2026-10-01", "2026-10-30"), ("2026-10-31", "2026-11-29"), ("2026-11-30", "2026-12-01")}
    assert len(report_calls) == 4 + 4 + 1  # 150 rows in pages of 40, twice, then 10
    assert json.loads(report_calls[0].url.params["dimensions"]) == ["ad_id", "stat_time_day"]
    assert int(_total(store, HOOKS[1], "tiktok")["impressions"]) == _expected(standin, ADS[1].ad_id, since, UNTIL)
    assert {d["currency"] for d in store.days(HOOKS[1], "tiktok")} == {"EUR"}
    assert "62 rows" not in report.summary() and "124 rows from 2 ads that are not hookforge hooks" in report.summary()
    assert all(TIKTOK_TOKEN not in str(r.url) for r in standin.requests)


def test_tiktok_throttle_is_waited_out_then_succeeds_and_expiry_is_named(store: MetricsStore) -> None:
    standin = TikTokStandIn(ADS[:2], SINCE, UNTIL, throttles=3)
    slept: list[float] = []
    report = sync_source(store, _tiktok(standin, slept), since=SINCE, until=UNTIL)
    assert slept == [1.0, 2.0, 4.0] and report.imported == 14
    expired = TikTokStandIn(ADS[:2], SINCE, UNTIL, expire=True)
    with pytest.raises(AdTokenExpired, match="40105") as caught:
        sync_source(store, _tiktok(expired, []), since=SINCE, until=UNTIL)
    assert "hookforge/ad-platforms/tiktok" in str(caught.value) and TIKTOK_TOKEN not in str(caught.value)


def test_one_platform_failing_does_not_stop_the_other(store: MetricsStore) -> None:
    meta = _meta(MetaStandIn(ADS, SINCE, UNTIL, expire=True), [])
    tiktok = _tiktok(TikTokStandIn(ADS, SINCE, UNTIL), [])
    results = sync_all(store, [meta, tiktok], days=7, today=UNTIL)
    assert isinstance(results[0], AdTokenExpired)
    assert not isinstance(results[1], Exception) and results[1].imported == 14


def test_no_token_reaches_a_log_a_report_or_an_error(store: MetricsStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    meta = MetaStandIn(ADS, SINCE, UNTIL, page_size_cap=8, throttles=1)
    tiktok = TikTokStandIn(ADS, SINCE, UNTIL, throttles=1)
    results = sync_all(store, [_meta(meta, []), _tiktok(tiktok, [])], days=7, today=UNTIL)
    failing = sync_all(store, [_meta(MetaStandIn(ADS, SINCE, UNTIL, expire=True), [])], days=7, today=UNTIL)
    text = json.dumps([r.to_dict() if not isinstance(r, Exception) else str(r) for r in results + failing])
    logged = "\n".join(str(r.__dict__) for r in caplog.records)
    assert "metrics synced" in logged and "AdTokenExpired" in logged
    text += logged
    stored = json.dumps(store.days(HOOKS[0]), default=str)
    for token in (META_TOKEN, TIKTOK_TOKEN):
        assert token not in text and token not in stored


# ------------------------------------------------------------------------------------------- pieces
def test_usage_headers_give_the_wait_in_seconds() -> None:
    usage = {"123": [{"type": "ads_insights", "estimated_time_to_regain_access": 3}, {"type": "ads_management"}]}
    assert regain_seconds(httpx.Headers({"x-business-use-case-usage": json.dumps(usage)})) == 180
    assert (
        regain_seconds(httpx.Headers({"x-ad-account-usage": '{"acc_id_util_pct": 100, "reset_time_duration": 90}'}))
        == 90
    )
    assert regain_seconds(httpx.Headers({"x-business-use-case-usage": "not json"})) == 0


def test_token_helpers_strip_and_redact() -> None:
    url = f"https://graph.facebook.com/v26.0/act_1/insights?limit=5&access_token={META_TOKEN}&after=Q"
    assert strip_token(url) == "https://graph.facebook.com/v26.0/act_1/insights?limit=5&after=Q"
    redact = Redactor(META_TOKEN)
    assert META_TOKEN not in redact(f"failed {url} with token {META_TOKEN}")
    assert "access_token=[redacted]" in Redactor()(f"x?access_token={META_TOKEN}")


def test_rolling_window_and_spans() -> None:
    assert rolling_window(7, UNTIL) == (SINCE, UNTIL)
    assert spans(date(2026, 1, 1), date(2026, 3, 2), 30)[-1] == (date(2026, 3, 2), date(2026, 3, 2))
    with pytest.raises(ValueError):
        rolling_window(0, UNTIL)
