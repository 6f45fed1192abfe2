"""Honest statistics for hook and hold rates: 95 % Wilson score intervals and a verdict against a target.

A rate on few impressions says little, so the verdict is read from the interval, not the point estimate:
*winner* when even the lower bound clears the target, *below target* when even the upper bound misses it,
otherwise *needs data*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

#: two-sided 95 % normal quantile
Z95 = 1.959963984540054

Verdict = Literal["winner", "below target", "needs data"]
WINNER: Verdict = "winner"
BELOW_TARGET: Verdict = "below target"
NEEDS_DATA: Verdict = "needs data"

DEFAULT_TARGET = 0.30


@dataclass(frozen=True)
class Interval:
    """A proportion with its 95 % Wilson interval; `definition` says what was divided by what."""

    successes: int
    trials: int
    rate: float
    low: float
    high: float
    definition: str = ""


def wilson(successes: int, trials: int, *, z: float = Z95, definition: str = "") -> Interval:
    """The Wilson score interval of `successes` out of `trials` (no continuity correction).

    With no trials the interval is the whole [0, 1]: nothing is known yet.
    """
    if trials < 0 or successes < 0:
        raise ValueError(f"counts must not be negative (successes={successes}, trials={trials})")
    if successes > trials:
        raise ValueError(f"successes ({successes}) exceed trials ({trials})")
    if trials == 0:
        return Interval(0, 0, 0.0, 0.0, 1.0, definition)
    p = successes / trials
    z2 = z * z
    denom = 1 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denom
    half = (z / denom) * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    # clamp rounding noise at the edges (0/n and n/n)
    return Interval(successes, trials, p, max(0.0, centre - half), min(1.0, centre + half), definition)


def verdict(interval: Interval, target: float = DEFAULT_TARGET) -> Verdict:
    """winner if low >= target; below target if high < target; otherwise needs data."""
    if not 0 < target < 1:
        raise ValueError(f"target must be a fraction between 0 and 1, got {target}")
    if interval.trials == 0:
        return NEEDS_DATA
    if interval.low >= target:
        return WINNER
    if interval.high < target:
        return BELOW_TARGET
    return NEEDS_DATA


# ------------------------------------------------------------------------------------ deciding between hooks
#: below this many impressions an arm gets no verdict and no budget suggestion of its own
MIN_IMPRESSIONS = 1000
#: posterior probability of being best that makes a hook "best" of its group
BEST_PROBABILITY = 0.95
DRAWS = 20_000


@dataclass(frozen=True)
class Arm:
    """One hook in a comparison: `successes` plays out of `trials` impressions (one definition per comparison)."""

    key: str
    successes: int
    trials: int


@dataclass(frozen=True)
class Comparison:
    """Which hook of a group is best, from Beta(1 + plays, 1 + impressions - plays) posteriors (uniform prior).

    `p_best[k]` is the Monte Carlo probability that hook k has the highest true hook rate. `split[k]` is the
    Thompson-sampling budget share: the share of posterior draws each hook wins, among the hooks that reached
    `min_impressions` (the others share `explore` equally so they can get there). `best` is set only when every
    hook reached the minimum and one hook's probability is at least `BEST_PROBABILITY`."""

    p_best: dict[str, float]
    split: dict[str, float]
    best: str | None
    ready: bool
    min_impressions: int
    draws: int


def compare(
    arms: list[Arm],
    *,
    draws: int = DRAWS,
    min_impressions: int = MIN_IMPRESSIONS,
    explore: float = 0.2,
    seed: int | None = 0,
) -> Comparison:
    """P(best) for each arm by Monte Carlo on Beta posteriors, and a Thompson budget split (see `Comparison`).

    A fixed `seed` keeps a report stable between two reads of the same numbers."""
    import numpy as np

    if not arms:
        return Comparison({}, {}, None, False, min_impressions, draws)
    for a in arms:
        if a.trials < 0 or a.successes < 0 or a.successes > a.trials:
            raise ValueError(f"{a.key}: successes ({a.successes}) must be within 0..trials ({a.trials})")
    rng = np.random.default_rng(seed)
    samples = np.stack([rng.beta(1 + a.successes, 1 + a.trials - a.successes, size=draws) for a in arms])
    wins = np.bincount(samples.argmax(axis=0), minlength=len(arms)) / draws
    p_best = {a.key: round(float(w), 4) for a, w in zip(arms, wins, strict=True)}
    ready_arms = [i for i, a in enumerate(arms) if a.trials >= min_impressions]
    waiting = [i for i, a in enumerate(arms) if a.trials < min_impressions]
    split = {a.key: 0.0 for a in arms}
    if ready_arms:
        # Thompson sampling among the arms with enough data; the rest share the exploration slice
        ready_wins = np.bincount(samples[ready_arms].argmax(axis=0), minlength=len(ready_arms)) / draws
        share = 1.0 - (explore if waiting else 0.0)
        for i, w in zip(ready_arms, ready_wins, strict=True):
            split[arms[i].key] = round(float(w) * share, 4)
    for i in waiting:
        split[arms[i].key] = round((explore if ready_arms else 1.0) / len(waiting), 4)
    ready = not waiting and len(arms) > 1
    leader = max(p_best, key=lambda k: p_best[k])
    best = leader if ready and p_best[leader] >= BEST_PROBABILITY else None
    return Comparison(p_best, split, best, ready, min_impressions, draws)


@dataclass(frozen=True)
class Fatigue:
    """A hook whose recent hook rate is significantly below its first days (one-sided two-proportion z-test)."""

    fatigued: bool
    early_rate: float
    recent_rate: float
    z: float
    reason: str


def fatigue(
    daily: list[tuple[str, int, int]],
    *,
    window: int = 3,
    min_impressions: int = MIN_IMPRESSIONS,
    z_crit: float = 1.6448536269514722,
    min_drop: float = 0.15,
) -> Fatigue:
    """`daily`: (day, impressions, plays) in any order. Compares the first `window` days with the last `window`
    days; flagged when the recent rate is lower at one-sided 95 % and by at least `min_drop` (relative)."""
    days = sorted(d for d in daily if d[1] > 0)
    if len(days) < 2 * window:
        return Fatigue(False, 0.0, 0.0, 0.0, f"needs {2 * window} days with impressions, has {len(days)}")
    early, recent = days[:window], days[-window:]
    n1, x1 = sum(d[1] for d in early), sum(d[2] for d in early)
    n2, x2 = sum(d[1] for d in recent), sum(d[2] for d in recent)
    p1, p2 = x1 / n1, x2 / n2
    if min(n1, n2) < min_impressions:
        return Fatigue(False, p1, p2, 0.0, f"needs {min_impressions} impressions in each window")
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2)) or 1e-12
    z = (p1 - p2) / se
    fatigued = z >= z_crit and p1 > 0 and (p1 - p2) / p1 >= min_drop
    reason = (
        f"hook rate fell from {p1:.1%} (first {window} days) to {p2:.1%} (last {window} days), z = {z:.1f}"
        if fatigued
        else "no significant drop"
    )
    return Fatigue(fatigued, round(p1, 6), round(p2, 6), round(z, 3), reason)
