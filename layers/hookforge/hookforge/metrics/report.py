"""The hook-rate report: every registered hook, per platform, with Wilson intervals and a verdict.

The same rows feed `hookforge metrics report [--json]`, `GET /hooks`, the HTML dashboard and the
`winners` inspiration source. Reads are Query only: totals from the ranking GSI, or day rows per hook
when a date range is asked for.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any

from hookforge.metrics.model import DEFINITIONS, PLATFORMS
from hookforge.metrics.stats import DEFAULT_TARGET, NEEDS_DATA, wilson
from hookforge.metrics.stats import verdict as judge
from hookforge.metrics.store import MetricsStore

#: the platform of a hook that has no ad-platform data yet
NO_DATA = "none"


@dataclass
class HookStat:
    """One hook on one platform. `plays_3s` is the platform's hook-rate numerator (see the definitions)."""

    hook_id: str
    platform: str
    impressions: int
    plays_3s: int
    thruplays: int
    hook_rate: float
    hook_rate_low: float
    hook_rate_high: float
    hook_rate_definition: str
    hold_rate: float
    hold_rate_low: float
    hold_rate_high: float
    hold_rate_definition: str
    verdict: str
    target: float
    plays_definition: str
    holds_definition: str
    spend: float = 0.0
    clicks: int = 0
    days: int = 0
    #: money per 1000 impressions, per play (the platform's hook-rate numerator) and clicks ÷ impressions
    cpm: float | None = None
    cost_per_play: float | None = None
    ctr: float | None = None
    prompt: str | None = None
    #: the brief's name (the ad-name prefix `run` suggests), shown beside the id
    brief: str | None = None
    #: what making the hook cost (its run's paid calls, US$) and per 1 000 of the platform's plays
    cost_usd: float | None = None
    cost_per_1000_plays: float | None = None
    #: fallbacks the run took (a provider that could not run, and who did the step instead)
    fallbacks: list[str] = field(default_factory=list)
    preset: str | None = None
    poster_key: str | None = None
    run_id: str | None = None
    daily: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self, *, daily: bool = False) -> dict[str, Any]:
        # every field holds plain values or lists of them: a shallow copy serializes as asdict's deep one would
        out = {name: getattr(self, name) for name in _FIELDS}
        out["fallbacks"] = list(self.fallbacks)
        if daily:
            out["daily"] = [dict(point) for point in self.daily]
        return out


#: the fields of a HookStat as `to_dict` writes them (`daily` only when asked)
_FIELDS = tuple(f.name for f in fields(HookStat) if f.name != "daily")


def stat(
    hook_id: str,
    platform: str,
    counts: dict[str, Any],
    *,
    target: float = DEFAULT_TARGET,
    hook: dict[str, Any] | None = None,
) -> HookStat:
    defs = DEFINITIONS[platform if platform in DEFINITIONS else "generic"]
    impressions = int(counts.get("impressions", 0))
    plays = int(counts.get("plays", 0))
    holds = min(int(counts.get("holds", 0)), plays)
    hook_ci = wilson(plays, impressions, definition=defs.hook_rate)
    hold_ci = wilson(holds, plays, definition=defs.hold_rate)
    meta = hook or counts
    return HookStat(
        hook_id=hook_id,
        platform=platform,
        impressions=impressions,
        plays_3s=plays,
        thruplays=holds,
        hook_rate=round(hook_ci.rate, 6),
        hook_rate_low=round(hook_ci.low, 6),
        hook_rate_high=round(hook_ci.high, 6),
        hook_rate_definition=defs.hook_rate,
        hold_rate=round(hold_ci.rate, 6),
        hold_rate_low=round(hold_ci.low, 6),
        hold_rate_high=round(hold_ci.high, 6),
        hold_rate_definition=defs.hold_rate,
        verdict=judge(hook_ci, target) if impressions else NEEDS_DATA,
        target=target,
        plays_definition=defs.plays,
        holds_definition=defs.holds,
        spend=round(float(counts.get("spend", 0)), 2),
        clicks=int(counts.get("clicks", 0)),
        days=int(counts.get("days", 0)),
        cpm=round(float(counts.get("spend", 0)) / impressions * 1000, 6) if impressions else None,
        cost_per_play=round(float(counts.get("spend", 0)) / plays, 6) if plays else None,
        ctr=round(int(counts.get("clicks", 0)) / impressions, 6) if impressions else None,
        prompt=meta.get("prompt"),
        brief=meta.get("brief"),
        cost_usd=_money(meta.get("cost_usd")),
        cost_per_1000_plays=(
            round(float(meta["cost_usd"]) / plays * 1000, 4) if plays and _money(meta.get("cost_usd")) is not None
            else None
        ),
        fallbacks=[str(f) for f in meta.get("fallbacks") or [] if f],
        preset=meta.get("preset"),
        poster_key=meta.get("poster_key"),
        run_id=meta.get("run_id"),
    )


def build_report(
    store: MetricsStore,
    *,
    target: float = DEFAULT_TARGET,
    platform: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    daily: bool = False,
) -> list[HookStat]:
    """Every registered hook (zeros before any data), ranked by hook rate, then by impressions.

    Without dates the totals come from the ranking GSI; with dates (inclusive, YYYY-MM-DD) or `daily`
    the day rows of each hook are read and summed.
    """
    if platform is not None and platform not in PLATFORMS:
        raise ValueError(f"unknown platform {platform!r}; choose one of: {', '.join(PLATFORMS)}")
    platforms = [platform] if platform else list(PLATFORMS)
    by_dates = bool(date_from or date_to or daily)
    # the hooks and each platform's ranking are independent queries: asked at once, the answers' parsing here
    # overlaps the next answer's making (a 1 000-hook report: 0.9 s of queries one after another)
    with ThreadPoolExecutor(max_workers=1 + len(platforms)) as pool:
        registered = pool.submit(store.hooks)
        rankings = {} if by_dates else {p: pool.submit(store.ranking, p) for p in platforms}
        hooks = {h["hook_id"]: h for h in registered.result()}
        totals = {p: answer.result() for p, answer in rankings.items()}
    stats: list[HookStat] = []
    if by_dates:
        for hook_id, hook in hooks.items():
            per: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
            series: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
            for d in store.days(hook_id, platform):
                if (date_from and d["day"] < date_from) or (date_to and d["day"] > date_to):
                    continue
                acc = per[d["platform"]]
                for c in ("impressions", "plays", "holds", "clicks", "spend"):
                    acc[c] += d.get(c, 0)
                acc["days"] += 1
                point = series[d["platform"]][d["day"]]
                point["impressions"] += int(d.get("impressions", 0))
                point["plays"] += int(d.get("plays", 0))
            for p in platforms:
                if p in per:
                    s = stat(hook_id, p, per[p], target=target, hook=hook)
                    s.daily = [{"date": day, **v} for day, v in sorted(series[p].items())]
                    stats.append(s)
    else:
        for p in platforms:
            for total in totals[p]:
                if total["hook_id"] in hooks:
                    stats.append(stat(total["hook_id"], p, total, target=target, hook=hooks[total["hook_id"]]))
    seen = {s.hook_id for s in stats}
    for hook_id, hook in hooks.items():
        if hook_id not in seen:
            stats.append(stat(hook_id, platform or NO_DATA, {}, target=target, hook=hook))
    # one ranking per platform: a 2-second view rate (TikTok) is never ranked against 3-second play rates
    stats.sort(key=lambda s: (_platform_rank(s.platform), -s.hook_rate, -s.impressions, s.hook_id))
    return stats


def _platform_rank(platform: str) -> int:
    return PLATFORMS.index(platform) if platform in PLATFORMS else len(PLATFORMS)


def winners(store: MetricsStore, *, target: float = DEFAULT_TARGET, limit: int = 10) -> list[HookStat]:
    """Hooks whose Wilson lower bound clears the target on some platform, best lower bound first."""
    best: dict[str, HookStat] = {}
    for p in PLATFORMS:
        for total in store.ranking(p):
            s = stat(total["hook_id"], p, total, target=target)
            if s.verdict == "winner" and (s.hook_id not in best or s.hook_rate_low > best[s.hook_id].hook_rate_low):
                best[s.hook_id] = s
    return sorted(best.values(), key=lambda s: -s.hook_rate_low)[:limit]


def format_table(stats: list[HookStat]) -> str:
    """A plain-text ranking for the terminal."""
    lines = [
        f"{'#':>3}  {'hook':<14} {'brief':<20} {'platform':<8} {'impr.':>9} {'plays':>8} {'hook rate':>9} "
        f"{'95% CI':>15} {'hold':>6}  verdict"
    ]
    i = 0
    for n, s in enumerate(stats):
        if n == 0 or s.platform != stats[n - 1].platform:
            i = 0  # each platform is its own ranking (its own hook-rate definition)
            if n:
                lines.append("")
        i += 1
        ci = f"{s.hook_rate_low:.1%}-{s.hook_rate_high:.1%}"
        lines.append(
            f"{i:>3}  {s.hook_id:<14} {(s.brief or '')[:20]:<20} {s.platform:<8} {s.impressions:>9,} "
            f"{s.plays_3s:>8,} {s.hook_rate:>9.1%} {ci:>15} {s.hold_rate:>6.1%}  {s.verdict}"
        )
    if stats:
        lines.append("")
        for p in sorted({s.platform for s in stats} - {NO_DATA}):
            defs = DEFINITIONS[p]
            lines.append(f"{defs.hook_rate}; {defs.hold_rate}")
        lines.append(f"verdict: 95% Wilson interval vs target {stats[0].target:.0%}")
    return "\n".join(lines)


def _money(value: Any) -> float | None:
    try:
        return round(float(value), 4) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None
