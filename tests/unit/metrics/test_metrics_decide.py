"""Deciding between hooks: P(best) by Monte Carlo, the Thompson budget split, the minimum of impressions,
fatigue, per-placement targets with one definition per group, and money columns."""

from __future__ import annotations

from datetime import date

import pytest

from hookforge.metrics.compare import comparisons, parse_targets, placement_family, target_for
from hookforge.metrics.model import DayRow
from hookforge.metrics.stats import Arm, compare, fatigue
from hookforge.metrics.store import MetricsStore
from hookforge.metrics.sync import MetaInsights, sync_source
from tests.support.ad_platforms import META_ACCOUNT, META_TOKEN, MetaStandIn, SimAd
from tests.unit.metrics.support import HOOKS


def test_a_clearly_better_hook_is_best_with_high_probability_and_gets_most_budget() -> None:
    result = compare([Arm("a", 3300, 10_000), Arm("b", 2900, 10_000), Arm("c", 2950, 10_000)])
    assert result.p_best["a"] > 0.99 and result.best == "a" and result.ready
    assert sum(result.p_best.values()) == pytest.approx(1.0, abs=1e-3)
    assert result.split["a"] > 0.99 and sum(result.split.values()) == pytest.approx(1.0, abs=1e-3)


def test_two_equal_hooks_split_the_budget_and_neither_is_declared_best() -> None:
    result = compare([Arm("a", 3000, 10_000), Arm("b", 3000, 10_000)])
    assert result.best is None
    assert result.p_best["a"] == pytest.approx(0.5, abs=0.03)
    assert result.split["a"] == pytest.approx(0.5, abs=0.03)


def test_no_verdict_under_the_minimum_of_impressions_and_newcomers_share_the_exploration_slice() -> None:
    # a looks far better, but b has too few impressions for any verdict
    result = compare([Arm("a", 500, 1000), Arm("b", 10, 100), Arm("c", 5, 50)], min_impressions=1000, explore=0.2)
    assert result.best is None and not result.ready
    assert result.split == {"a": 0.8, "b": 0.1, "c": 0.1}
    with pytest.raises(ValueError):
        compare([Arm("x", 5, 3)])


def test_the_same_numbers_give_the_same_probabilities() -> None:
    arms = [Arm("a", 300, 1000), Arm("b", 290, 1000)]
    assert compare(arms).p_best == compare(arms).p_best


def test_fatigue_flags_a_significant_drop_from_the_first_days() -> None:
    days = [(f"2026-11-0{i}", 5000, 1600) for i in range(1, 4)] + [(f"2026-11-0{i}", 5000, 1100) for i in range(4, 7)]
    tired = fatigue(days)
    assert tired.fatigued and tired.early_rate == 0.32 and tired.recent_rate == 0.22
    assert "fell from 32.0%" in tired.reason
    steady = fatigue([(f"2026-11-0{i}", 5000, 1500 + (i % 2) * 20) for i in range(1, 7)])
    assert not steady.fatigued
    assert "needs 6 days" in fatigue(days[:4]).reason


def test_placements_targets_and_their_sources() -> None:
    assert placement_family("meta", "instagram:instagram_reels") == "reels"
    assert placement_family("meta", "facebook:feed") == "feed"
    assert placement_family("meta", "instagram:instagram_stories") == "stories"
    assert placement_family("meta", "") == "all"
    assert placement_family("tiktok", "tiktok") == "tiktok"
    assert target_for("meta", "feed", default=0.3) == (0.23, "published median, Meta Feed (≈ 23 %)")
    assert target_for("meta", "reels", default=0.3)[0] == 0.30
    assert target_for("tiktok", "tiktok", default=0.3) == (0.3, "global target (HOOK_RATE_TARGET)")
    configured = parse_targets("meta:feed=0.25, tiktok=0.28")
    assert target_for("meta", "feed", configured=configured, default=0.3)[0] == 0.25
    assert target_for("tiktok", "tiktok", configured=configured, default=0.3)[0] == 0.28
    with pytest.raises(ValueError, match="snapchat"):
        parse_targets("snapchat=0.2")


def test_groups_never_mix_definitions_and_carry_money_with_currency(store: MetricsStore) -> None:
    # Given the same two hooks on Meta (two placements, synced) and on TikTok (imported)
    since, until = date(2026, 11, 1), date(2026, 11, 10)
    ads = [SimAd("1", f"a | {HOOKS[0]}"), SimAd("2", f"b | {HOOKS[1]}")]
    standin = MetaStandIn(ads, since, until, currency="EUR")
    source = MetaInsights(
        transport=standin.transport, token=META_TOKEN, account_id=META_ACCOUNT, base_url="https://g.invalid"
    )
    sync_source(store, source, since=since, until=until)
    store.apply(
        [
            DayRow(HOOKS[0], "tiktok", "2026-11-02", f"t | {HOOKS[0]}", 10_000, 4000, 1000, 50, 20.0, line=1),
            DayRow(HOOKS[1], "tiktok", "2026-11-02", f"t | {HOOKS[1]}", 10_000, 3000, 900, 40, 20.0, line=2),
        ]
    )
    groups = comparisons(store, default_target=0.3)
    # Then each group is one platform and one placement, with its definition and target
    keys = [(g.platform, g.placement) for g in groups]
    assert keys == [("meta", "feed"), ("meta", "reels"), ("tiktok", "tiktok")]
    feed, reels, tiktok = groups
    assert "3-second" in feed.definition and "2-second" in tiktok.definition
    assert (feed.target, reels.target, tiktok.target) == (0.23, 0.30, 0.3)
    # TikTok's higher 2-second rates stay in their own list
    assert [e.hook_id for e in tiktok.entries] == [HOOKS[0], HOOKS[1]] and tiktok.best == HOOKS[0]
    assert all(e.hook_rate < 0.4 for g in (feed, reels) for e in g.entries)
    # And money: spend with its currency, CPM, cost per play, CTR
    e = feed.entries[0]
    assert e.currency == "EUR" and e.spend > 0
    assert e.cpm == pytest.approx(e.spend / e.impressions * 1000, rel=1e-3)
    assert e.cost_per_play == pytest.approx(e.spend / e.plays, rel=1e-3)
    assert e.ctr == pytest.approx(e.clicks / e.impressions, rel=1e-3)
    assert sum(x.budget_share for x in feed.entries) == pytest.approx(1.0, abs=1e-3)
    assert tiktok.entries[0].currency == ""  # an import says no currency: none is invented
    assert len(feed.entries[0].daily) == 10


def test_the_ranking_is_one_list_per_platform_and_has_money(store: MetricsStore) -> None:
    from hookforge.metrics.report import build_report, format_table

    store.apply(
        [
            DayRow(HOOKS[0], "meta", "2026-11-02", f"m | {HOOKS[0]}", 10_000, 2500, 500, 100, 50.0, line=1),
            DayRow(HOOKS[1], "tiktok", "2026-11-02", f"t | {HOOKS[1]}", 10_000, 4500, 900, 40, 20.0, line=2),
            DayRow(HOOKS[2], "meta", "2026-11-02", f"m | {HOOKS[2]}", 10_000, 2000, 400, 80, 40.0, line=3),
        ]
    )
    stats = build_report(store)
    # TikTok's 45 % (2-second views) is not ranked above Meta's 25 % (3-second plays): each platform has its list
    assert [(s.platform, s.hook_id) for s in stats] == [("meta", HOOKS[0]), ("meta", HOOKS[2]), ("tiktok", HOOKS[1])]
    table = format_table(stats).splitlines()
    assert table[1].split()[:3] == ["1", HOOKS[0], "meta"] and table[2].split()[:3] == ["2", HOOKS[2], "meta"]
    assert table[4].split()[:3] == ["1", HOOKS[1], "tiktok"]
    first = stats[0]
    assert (first.cpm, first.cost_per_play, first.ctr) == (5.0, 0.02, 0.01)
