"""The metrics table: hooks, their daily ad-platform numbers, running totals and a ranking index.

One table (`METRICS_TABLE`), keys `pk`/`sk`, one GSI `ByHookRate` (`gsi1pk`/`gsi1sk`).

Items
-----
=================  ==============================================  ====================================  ===========
item               pk / sk                                         gsi1pk / gsi1sk                       written by
=================  ==============================================  ====================================  ===========
hook               HOOK#<hook_id> / HOOK                           HOOKS / <created_at:012d>#<hook_id>   RegisterHook
day row            HOOK#<hook_id> / DAY#<platform>#<date>#<ad>     -                                     import
platform total     HOOK#<hook_id> / TOTAL#<platform>               RANK#<platform> / <rate>#<hook_id>    import
=================  ==============================================  ====================================  ===========

- hook: run_id, brief, prompt, image_provider, video_provider, motion_prompt, preset, aspects, outputs
  (aspect -> S3 key), poster_key, created_at.
- day row: what one ad that carries the hook did on one platform on one day, *as last reported*:
  impressions, plays (the platform's hook-rate numerator: Meta 3-second video plays, TikTok 2-second
  video views), holds (Meta ThruPlays, TikTok 6-second video views), spend, clicks, ad name (a synced row
  adds ad_id, placement and currency) and `figures` (its key and those numbers in one string, the one
  attribute an import reads before deciding what to write). The hook, platform and day are in the key,
  not repeated (the store's `days` returns them with each row): every attribute costs moto a pass over the
  item on each write. `<ad>` is a short hash of the ad name, so one hook that
  runs in several ads adds up, while the same ad's day is *set*, never added (reports are cumulative).
- platform total: the sums of every day row of the hook on that platform, `days`, `hook_rate`, the
  hook's prompt/preset/poster_key copied in so a ranking read needs no second lookup, and while an
  import runs `lock_owner`/`lock_expires`/`dirty` (the lease that keeps the sums exact).

Access patterns
---------------
1. Register a hook ............................ PutItem HOOK#id/HOOK
2. Is this hook id known? (import validation) . BatchGetItem HOOK#id/HOOK (100 per request)
3. Import rows (set per day, exact totals) .... BatchGetItem which of the rows' totals exist, then the
   stored `figures` of the rows whose total exists (100 per request, no lease; a day row never exists
   without its total); then per hook x platform total with a changed row: UpdateItem takes a lease
   (condition: no live lease; marks it dirty); BatchGetItem those rows again under it (100 per request;
   not when the lease created the total);
   BatchWriteItem the changed ones (25 per request; a day row is *set*, so repeating it is harmless);
   Put the total = old total + the changed rows' differences, condition: we still hold the lease
   (which it drops). A total found dirty was left by an import that died: it is recounted (Query).
   An import or sync that changes nothing makes only the first reads.
4. Rank hooks by hook rate on a platform ...... Query GSI ByHookRate gsi1pk=RANK#<platform>, descending
5. Every registered hook (zeros before data) .. Query GSI ByHookRate gsi1pk=HOOKS
6. A hook's daily series (sparkline, dates) .... Query pk=HOOK#id, sk begins_with DAY#<platform>#
7. Winning hooks for new runs (`winners`) ..... pattern 4, then the Wilson verdict on each total

No access pattern scans the table.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache

#: platforms whose numbers we understand; each maps to the definitions of its figures
PLATFORMS: tuple[str, ...] = ("meta", "tiktok", "generic")

GSI_NAME = "ByHookRate"
HOOKS_PARTITION = "HOOKS"

#: a hook id as RegisterHook makes it ("hk-" + up to 10 lowercase hex/alnum characters)
HOOK_ID_RE = re.compile(r"(?<![0-9a-z])hk-[0-9a-z]{4,32}(?![0-9a-z])", re.IGNORECASE)


@dataclass(frozen=True)
class Definitions:
    """What the numbers of one platform mean; every figure the report prints names one of these."""

    plays: str
    holds: str
    hook_rate: str
    hold_rate: str


DEFINITIONS: dict[str, Definitions] = {
    "meta": Definitions(
        plays="3-second video plays",
        holds="ThruPlays",
        hook_rate="Meta hook rate = 3-second video plays ÷ impressions",
        hold_rate="Meta hold rate = ThruPlays ÷ 3-second video plays",
    ),
    "tiktok": Definitions(
        plays="2-second video views",
        holds="6-second video views",
        hook_rate="TikTok hook rate = 2-second video views ÷ impressions",
        hold_rate="TikTok hold rate = 6-second video views ÷ 2-second video views",
    ),
    "generic": Definitions(
        plays="3-second plays",
        holds="ThruPlays",
        hook_rate="hook rate = 3-second plays ÷ impressions",
        hold_rate="hold rate = ThruPlays ÷ 3-second plays",
    ),
}


def hook_pk(hook_id: str) -> str:
    return f"HOOK#{hook_id}"


@lru_cache(maxsize=1 << 16)
def ad_key(ad_name: str) -> str:
    """A short stable key for the ad a row came from (same ad -> same day row); a report repeats its ads on
    every day, so each name is hashed once."""
    return hashlib.sha1(ad_name.strip().encode()).hexdigest()[:10]


def day_sk(platform: str, day: str, ad: str) -> str:
    return f"DAY#{platform}#{day}#{ad}"


def total_sk(platform: str) -> str:
    return f"TOTAL#{platform}"


def rank_pk(platform: str) -> str:
    return f"RANK#{platform}"


def rank_sk(hook_rate: float, hook_id: str) -> str:
    """Sorts lexicographically in hook-rate order (fixed width, 0.000000..1.000000)."""
    return f"{max(0.0, min(1.0, hook_rate)):.6f}#{hook_id}"


def hooks_sk(created_at: int, hook_id: str) -> str:
    return f"{int(created_at):012d}#{hook_id}"


COUNTERS: tuple[str, ...] = ("impressions", "plays", "holds", "clicks")


@dataclass
class DayRow:
    """One validated report row: one ad carrying one hook, one platform, one day (a cumulative figure)."""

    hook_id: str
    platform: str
    day: str
    ad_name: str
    impressions: int
    plays: int
    holds: int = 0
    clicks: int = 0
    spend: float = 0.0
    line: int = 0
    #: set by `metrics sync`: the platform's ad id, the placement ("instagram:reels", ...) and the spend's currency
    ad_id: str = ""
    placement: str = ""
    currency: str = ""

    @property
    def key(self) -> tuple[str, str]:
        # an import's row is one ad (by name) on one day; a synced row is one ad (by id) in one placement on one day
        ad = ad_key(f"{self.ad_id or self.ad_name}|{self.placement}") if self.ad_id or self.placement else ad_key(
            self.ad_name
        )
        return hook_pk(self.hook_id), day_sk(self.platform, self.day, ad)

    def add(self, other: DayRow) -> None:
        """Sum a breakdown row (e.g. per placement) of the same ad, day and hook within one report."""
        self.impressions += other.impressions
        self.plays += other.plays
        self.holds += other.holds
        self.clicks += other.clicks
        self.spend = round(self.spend + other.spend, 6)
