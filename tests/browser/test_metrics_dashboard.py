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
    assert order == ["hk-1a2b3c4d5e/meta", "hk-00aa11bb22/tiktok", "hk-9f8e7d6c5b/meta"]
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
    assert badges == ["winner", "winner", "below target"]  # tiktok: 32.3 % of 4 400, low 30.9 %
    assert page.locator("img.poster").count() == 3
    assert all(page.locator("img.poster").evaluate_all("imgs => imgs.map(i => i.naturalWidth > 0)"))
    assert page.locator("svg.spark polyline").count() == 3
    assert (ARTIFACTS / "metrics-dashboard.png").stat().st_size > 10_000
