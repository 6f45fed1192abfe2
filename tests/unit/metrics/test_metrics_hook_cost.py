"""A hook's own cost and the fallbacks its run took, beside its numbers in the report and on the dashboard."""

from __future__ import annotations

from hookforge.metrics.dashboard import render_dashboard
from hookforge.metrics.report import stat


def _hook(**extra: object) -> dict[str, object]:
    return {"hook_id": "hk-0123456789", "brief": "summer-sneakers", "prompt": "a sneaker", "run_id": "run-x", **extra}


def test_a_hooks_cost_is_shown_whole_and_per_thousand_plays_with_its_fallbacks() -> None:
    hook = _hook(cost_usd=0.42, fallbacks=["video: runway has no key (RUNWAYML_API_SECRET); kenburns made the clip"])
    s = stat("hk-0123456789", "meta", {"impressions": 10_000, "plays": 2_100}, hook=hook)
    assert (s.brief, s.cost_usd, s.cost_per_1000_plays) == ("summer-sneakers", 0.42, 0.2)
    page = render_dashboard([s], target=0.3, poster_url=lambda key: None)
    assert "made for $0.42 · $0.20 per 1 000 plays" in page
    assert "kenburns made the clip" in page and "<span class='brief'>summer-sneakers</span>" in page


def test_a_hook_without_a_recorded_cost_or_plays_says_nothing_it_does_not_know() -> None:
    s = stat("hk-0123456789", "meta", {"impressions": 0, "plays": 0}, hook=_hook(cost_usd=1.5))
    assert (s.cost_usd, s.cost_per_1000_plays, s.fallbacks) == (1.5, None, [])
    unknown = stat("hk-0123456789", "meta", {"impressions": 100, "plays": 30}, hook=_hook(cost_usd="n/a"))
    assert (unknown.cost_usd, unknown.cost_per_1000_plays) == (None, None)
    page = render_dashboard([unknown], target=0.3, poster_url=lambda key: None)
    assert "made for" not in page and "class='fallbacks'" not in page
