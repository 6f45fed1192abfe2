"""Deciding between hooks: groups per platform, placement and brief, each with one hook-rate definition and its
own target, the posterior probability that each hook is best, a Thompson budget split, fatigue and money.

Rankings never mix definitions: Meta's rate is 3-second plays ÷ impressions, TikTok's 2-second views ÷
impressions, so a group is always one platform (and one placement family: Feed, Reels, Stories, ...).

Targets (configurable with `HOOK_RATE_TARGETS`, e.g. "meta:feed=0.25,meta:reels=0.32,tiktok=0.28"): by default
the published medians by placement — Meta Feed ≈ 23 %, Reels ≈ 30 % (hook-rate benchmarks as collected in
docs/ARCHITECTURE.md, "Facts added 2026-12"; 30 % is the commonly cited "good" thumbstop rate) — and the global
`HOOK_RATE_TARGET` (30 %) wherever no placement median was checked (Stories, other placements, TikTok).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from hookforge.metrics.model import DEFINITIONS
from hookforge.metrics.stats import DEFAULT_TARGET, MIN_IMPRESSIONS, Arm, compare, fatigue, verdict, wilson

#: (platform, placement family) -> (target, where it comes from)
DEFAULT_TARGETS: dict[tuple[str, str], tuple[float, str]] = {
    ("meta", "feed"): (0.23, "published median, Meta Feed (≈ 23 %)"),
    ("meta", "reels"): (0.30, "published median, Meta Reels (≈ 30 %)"),
}


def placement_family(platform: str, placement: str) -> str:
    """Graph's publisher_platform:platform_position (or an import's blank) -> feed / reels / stories / other / all."""
    if platform == "tiktok":
        return "tiktok"
    p = (placement or "").lower()
    if p in ("", "all"):
        return "all"
    if "reels" in p:
        return "reels"
    if "stor" in p:
        return "stories"
    if "feed" in p or p.endswith(":stream"):
        return "feed"
    return "other"


def parse_targets(text: str) -> dict[tuple[str, str], float]:
    """`meta:feed=0.25,tiktok=0.28` -> {("meta", "feed"): .25, ("tiktok", "*"): .28} (ValueError names a bad part)."""
    out: dict[tuple[str, str], float] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, _, value = part.partition("=")
        platform, _, family = key.strip().lower().partition(":")
        try:
            target = float(value)
        except ValueError:
            raise ValueError(f"hook-rate target {part!r}: expected platform[:placement]=fraction") from None
        if not 0 < target < 1 or platform not in DEFINITIONS:
            raise ValueError(f"hook-rate target {part!r}: a known platform and a fraction between 0 and 1")
        out[(platform, family or "*")] = target
    return out


def target_for(
    platform: str, family: str, *, configured: dict[tuple[str, str], float] | None = None, default: float
) -> tuple[float, str]:
    configured = configured or {}
    for key in ((platform, family), (platform, "*")):
        if key in configured:
            return configured[key], "configured (HOOK_RATE_TARGETS)"
    if (platform, family) in DEFAULT_TARGETS:
        return DEFAULT_TARGETS[(platform, family)]
    return default, "global target (HOOK_RATE_TARGET)"


@dataclass
class Entry:
    """One hook in one comparison group, with its money (spend in the account currency)."""

    hook_id: str
    impressions: int = 0
    plays: int = 0
    holds: int = 0
    clicks: int = 0
    spend: float = 0.0
    currency: str = ""
    hook_rate: float = 0.0
    hook_rate_low: float = 0.0
    hook_rate_high: float = 1.0
    verdict: str = "needs data"
    p_best: float = 0.0
    budget_share: float = 0.0
    cpm: float | None = None
    cost_per_play: float | None = None
    ctr: float | None = None
    fatigued: bool = False
    fatigue_reason: str = ""
    prompt: str | None = None
    poster_key: str | None = None
    daily: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Group:
    """The hooks of one brief on one platform and placement family: one definition, one target."""

    platform: str
    placement: str
    brief: str
    definition: str
    target: float
    target_source: str
    min_impressions: int
    best: str | None
    ready: bool
    entries: list[Entry]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def money(entry: Entry) -> None:
    """CPM, cost per play (Meta: per 3-second play; TikTok: per 2-second view) and CTR, where defined."""
    entry.cpm = round(entry.spend / entry.impressions * 1000, 6) if entry.impressions else None
    entry.cost_per_play = round(entry.spend / entry.plays, 6) if entry.plays else None
    entry.ctr = round(entry.clicks / entry.impressions, 6) if entry.impressions else None


def comparisons(
    store: Any,
    *,
    default_target: float = DEFAULT_TARGET,
    targets: dict[tuple[str, str], float] | None = None,
    platform: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    min_impressions: int = MIN_IMPRESSIONS,
) -> list[Group]:
    """Every (platform, placement family, brief) group of hooks with data, best first within each group.

    Reads each registered hook's day rows (pattern 6): one Query per hook."""
    acc: dict[tuple[str, str, str], dict[str, Entry]] = defaultdict(dict)
    series: dict[tuple[str, str, str, str], dict[str, list[float]]] = defaultdict(
        lambda: defaultdict(lambda: [0, 0, 0, 0])
    )
    currencies: dict[tuple[str, str, str, str], set[str]] = defaultdict(set)
    for hook in store.hooks():
        hook_id = hook["hook_id"]
        brief = str(hook.get("test_group") or hook.get("brief") or "(no brief)")
        for d in store.days(hook_id, platform):
            if (date_from and d["day"] < date_from) or (date_to and d["day"] > date_to):
                continue
            fam = placement_family(d["platform"], str(d.get("placement") or ""))
            gkey = (d["platform"], fam, brief)
            e = acc[gkey].get(hook_id)
            if e is None:
                e = acc[gkey][hook_id] = Entry(hook_id, prompt=hook.get("prompt"), poster_key=hook.get("poster_key"))
            e.impressions += int(d.get("impressions", 0))
            e.plays += int(d.get("plays", 0))
            e.holds += int(d.get("holds", 0))
            e.clicks += int(d.get("clicks", 0))
            e.spend = round(e.spend + float(d.get("spend", 0)), 6)
            currencies[(*gkey, hook_id)].add(str(d.get("currency") or ""))
            point = series[(*gkey, hook_id)][d["day"]]
            point[0] += int(d.get("impressions", 0))
            point[1] += int(d.get("plays", 0))
            point[2] = round(point[2] + float(d.get("spend", 0)), 6)
            point[3] += int(d.get("clicks", 0))
    groups: list[Group] = []
    for (plat, fam, brief), entries in acc.items():
        target, source = target_for(plat, fam, configured=targets, default=default_target)
        result = compare(
            [Arm(e.hook_id, e.plays, e.impressions) for e in entries.values()], min_impressions=min_impressions
        )
        for e in entries.values():
            ci = wilson(e.plays, e.impressions)
            e.hook_rate, e.hook_rate_low, e.hook_rate_high = round(ci.rate, 6), round(ci.low, 6), round(ci.high, 6)
            e.verdict = verdict(ci, target) if e.impressions >= min_impressions else "needs data"
            e.p_best, e.budget_share = result.p_best[e.hook_id], result.split[e.hook_id]
            known = currencies[(plat, fam, brief, e.hook_id)] - {""}
            e.currency = known.pop() if len(known) == 1 else ("mixed" if known else "")
            money(e)
            days = series[(plat, fam, brief, e.hook_id)]
            e.daily = [
                {"date": day, "impressions": int(v[0]), "plays": int(v[1]), "spend": v[2], "clicks": int(v[3])}
                for day, v in sorted(days.items())
            ]
            tired = fatigue([(day, int(v[0]), int(v[1])) for day, v in days.items()], min_impressions=min_impressions)
            e.fatigued, e.fatigue_reason = tired.fatigued, tired.reason
        ranked = sorted(entries.values(), key=lambda e: (-e.p_best, -e.hook_rate, e.hook_id))
        groups.append(
            Group(
                platform=plat,
                placement=fam,
                brief=brief,
                definition=DEFINITIONS.get(plat, DEFINITIONS["generic"]).hook_rate,
                target=target,
                target_source=source,
                min_impressions=min_impressions,
                best=result.best,
                ready=result.ready,
                entries=ranked,
            )
        )
    groups.sort(key=lambda g: (g.platform, g.placement, g.brief))
    return groups
