"""The hook-rate dashboard in headless Chromium (Debian's), from a seeded metrics table; screenshot saved."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from hookforge.metrics.dashboard import Filters, render_dashboard
from hookforge.metrics.ingest import import_csv
from hookforge.metrics.report import build_report
from hookforge.metrics.store import MetricsStore
from tests.browser.conftest import ARTIFACTS
from tests.unit.metrics.support import fixture_text, seed_hooks

pytestmark = pytest.mark.browser


def _poster(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (90, 160), color).save(buf, "JPEG", quality=70)
    return buf.getvalue()


@pytest.fixture
def dashboard_html(aws: dict[str, Any]) -> str:
    # Given a metrics table seeded with three hooks, Meta and TikTok exports, and poster images
    deps = aws["deps"]
    store: MetricsStore = deps.metrics
    seed_hooks(store)
    import_csv(store, fixture_text("meta_daily.csv"))
    import_csv(store, fixture_text("meta_overlap.csv"))
    import_csv(store, fixture_text("tiktok_daily.csv"))
    for hook, color in zip(store.hooks(), [(230, 80, 60), (40, 120, 220), (60, 180, 90)], strict=True):
        deps.store.put_bytes(hook["poster_key"], _poster(color), content_type="image/jpeg")
    stats = build_report(store, target=0.30, daily=True)
    import base64

    def poster_url(key: str) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(deps.store.get_bytes(key)).decode()

    return render_dashboard(stats, target=0.30, filters=Filters(), poster_url=poster_url)


def test_dashboard_shows_ranking_and_target_line_in_chromium(dashboard_html: str, browser) -> None:  # type: ignore[no-untyped-def]
    page_file = ARTIFACTS / "metrics-dashboard.html"
    page_file.write_text(dashboard_html, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    # When the page is opened from disk (no network: everything is inline)
    page.goto(page_file.as_uri())
    page.screenshot(path=str(ARTIFACTS / "metrics-dashboard.png"), full_page=True)
    # Then the table lists the hooks ranked by hook rate
    order = page.locator("tr.hook").evaluate_all("rows => rows.map(r => r.dataset.hookId + '/' + r.dataset.platform)")
    # (one ranking per platform: TikTok's 2-second rate is never ranked between Meta's 3-second rates)
    assert order == ["hk-1a2b3c4d5e/meta", "hk-9f8e7d6c5b/meta", "hk-00aa11bb22/tiktok"]
    # and the chart draws the rows top-down in the same order
    ys = [page.locator(f'#ranking g.rank-row[data-hook-id="{h.split("/")[0]}"]').bounding_box()["y"] for h in order]
    assert ys == sorted(ys)
    # and the 30 % target line is visible, with the winner's interval right of it
    # and the below-target hook's interval left of it
    target = page.locator("#target-line")
    assert target.is_visible()
    assert page.locator(".target-label").text_content() == "target 30.0%"
    tx = target.bounding_box()["x"]
    winner_bar = page.locator('#ranking g.rank-row[data-hook-id="hk-1a2b3c4d5e"] rect.bar').bounding_box()
    loser_bar = page.locator('#ranking g.rank-row[data-hook-id="hk-9f8e7d6c5b"] rect.bar').bounding_box()
    assert winner_bar["x"] + winner_bar["width"] > tx > loser_bar["x"] + loser_bar["width"]
    # and verdicts, posters and sparklines are rendered
    badges = page.locator("tr.hook .badge").all_inner_texts()
    assert badges == ["winner", "below target", "winner"]  # tiktok: 32.3 % of 4 400, low 30.9 %
    assert page.locator("img.poster").count() == 3
    assert all(page.locator("img.poster").evaluate_all("imgs => imgs.map(i => i.naturalWidth > 0)"))
    assert page.locator("svg.spark polyline").count() == 3
    assert (ARTIFACTS / "metrics-dashboard.png").stat().st_size > 10_000


@pytest.fixture
def compare_html(aws: dict[str, Any]) -> tuple[str, Any]:
    # Given two hooks synced from the Meta stand-in (Feed and Reels, EUR) and imported TikTok numbers
    from datetime import date

    from hookforge.metrics.compare import comparisons
    from hookforge.metrics.sync import MetaInsights, sync_source
    from tests.support.ad_platforms import META_ACCOUNT, META_TOKEN, MetaStandIn, SimAd

    deps = aws["deps"]
    store: MetricsStore = deps.metrics
    seed_hooks(store)
    since, until = date(2026, 11, 1), date(2026, 11, 14)
    ads = [SimAd("1", "a | hk-1a2b3c4d5e"), SimAd("2", "b | hk-9f8e7d6c5b"), SimAd("3", "not a hook")]
    standin = MetaStandIn(ads, since, until, currency="EUR")
    source = MetaInsights(
        transport=standin.transport, token=META_TOKEN, account_id=META_ACCOUNT, base_url="https://g.x"
    )
    sync_source(store, source, since=since, until=until)
    import_csv(store, fixture_text("tiktok_daily.csv"))
    for hook, color in zip(store.hooks(), [(230, 80, 60), (40, 120, 220), (60, 180, 90)], strict=True):
        deps.store.put_bytes(hook["poster_key"], _poster(color), content_type="image/jpeg")
    import base64

    def poster_url(key: str) -> str:
        return "data:image/jpeg;base64," + base64.b64encode(deps.store.get_bytes(key)).decode()

    stats = build_report(store, target=0.30, daily=True)
    groups = comparisons(store, default_target=0.30)
    return render_dashboard(stats, target=0.30, poster_url=poster_url, groups=groups), standin


def test_comparison_view_shows_probabilities_money_and_filters_in_a_static_file(compare_html, browser) -> None:  # type: ignore[no-untyped-def]
    html_text, standin = compare_html
    page_file = ARTIFACTS / "metrics-compare.html"
    page_file.write_text(html_text, encoding="utf-8")
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.locator("#compare").screenshot(path=str(ARTIFACTS / "metrics-compare.png"))
    # Then one card per platform x placement (x brief), each with its own definition and target
    groups = page.locator("#compare .group").evaluate_all(
        "gs => gs.map(g => g.dataset.platform + ':' + g.dataset.placement)"
    )
    assert groups == ["meta:feed", "meta:reels", "tiktok:tiktok"]
    feed = page.locator('#compare .group[data-placement="feed"]')
    assert "3-second video plays" in feed.locator("p").first.inner_text()
    assert "target 23.0%" in feed.locator("p").first.inner_text()
    # with P(best) summing to 100 % and money in the account currency
    pbest = [float(t.rstrip("%")) for t in feed.locator(".c-pbest").all_inner_texts()]
    assert len(pbest) == 2 and abs(sum(pbest) - 100) < 0.2
    spend = feed.locator("tr.entry").first.locator(".c-spend").inner_text()
    assert spend.endswith(" EUR") and feed.locator("tr.entry").first.locator(".c-cpm").inner_text().endswith(" EUR")
    assert feed.locator("tr.entry").first.locator(".c-ctr").inner_text().endswith("%")
    assert feed.locator("img.thumb").count() == 2 and page.locator("svg.trend").count() == 5
    # When the platform filter is set in the static file, the other platforms' cards and rows go away
    page.select_option("form.filters select[name=platform]", "tiktok")
    assert page.locator("#compare .group:visible").count() == 1
    assert page.locator("tr.hook:visible").evaluate_all("rs => rs.map(r => r.dataset.platform)") == ["tiktok"]
    # and a date range recomputes the counts from the days (here: one day of hook A in Feed)
    page.select_option("form.filters select[name=platform]", "meta")
    page.select_option("form.filters select[name=placement]", "feed")
    page.fill("form.filters input[name=from]", "2026-11-03")
    page.fill("form.filters input[name=to]", "2026-11-03")
    page.click("form.filters button")
    row = page.locator('#compare .group[data-placement="feed"] tr.entry[data-hook-id="hk-1a2b3c4d5e"]')
    expected = sum(
        int(r["impressions"])
        for r in standin.records("2026-11-03", "2026-11-03")
        if r["ad_id"] == "1" and r["platform_position"] == "feed"
    )
    assert row.locator(".c-imp").inner_text() == f"{expected:,}"
    assert page.locator("#compare .group:visible").count() == 1
    assert page.url.startswith("file:") and errors == []
    page.screenshot(path=str(ARTIFACTS / "metrics-compare-filtered.png"), full_page=True)


def test_served_dashboard_runs_its_filter_script_under_the_csp(compare_html, browser) -> None:  # type: ignore[no-untyped-def]
    from hookforge.metrics.dashboard import response_headers

    html_text, _ = compare_html
    page = browser.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.route(
        "http://dashboard.test/**",
        lambda route: route.fulfill(status=200, headers=response_headers("text/html; charset=utf-8"), body=html_text),
    )
    # the placement filter is the page's own (the server knows platform and dates): applied by the script
    page.goto("http://dashboard.test/dashboard?placement=reels")
    assert page.locator("#compare .group:visible").evaluate_all("gs => gs.map(g => g.dataset.placement)") == ["reels"]
    assert blocked == []
