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
