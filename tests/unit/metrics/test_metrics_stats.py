from __future__ import annotations

import pytest

from hookforge.metrics.stats import BELOW_TARGET, NEEDS_DATA, WINNER, verdict, wilson


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        # reference values: the roots of (x/n - p)² = z² p (1 - p) / n, solved by bisection
        (30, 100, 0.218949, 0.395849),
        # closed forms at the edges: upper(0/n) = z²/(n+z²), lower(n/n) = n/(n+z²)
        (0, 10, 0.0, 0.277533),
        (10, 10, 0.722467, 1.0),
        (81, 263, 0.255289, 0.366210),
        (14, 40, 0.221345, 0.504941),
    ],
)
def test_wilson_interval_matches_known_values(successes: int, trials: int, low: float, high: float) -> None:
    # Given known proportions / When the 95 % Wilson interval is computed
    ci = wilson(successes, trials)
    # Then both bounds match reference values to 6 decimals
    assert ci.low == pytest.approx(low, abs=2e-6)
    assert ci.high == pytest.approx(high, abs=2e-6)
    assert ci.rate == pytest.approx(successes / trials)


@pytest.mark.parametrize(("successes", "trials"), [(1, 3), (37, 120), (5000, 16000)])
def test_wilson_bounds_solve_the_score_equation(successes: int, trials: int) -> None:
    # Given any interior proportion / Then each bound p satisfies (x/n - p)² = z² p (1 - p) / n
    ci = wilson(successes, trials)
    z2 = 1.959963984540054**2
    for p in (ci.low, ci.high):
        assert (successes / trials - p) ** 2 == pytest.approx(z2 * p * (1 - p) / trials, rel=1e-9)


def test_wilson_interval_is_whole_range_with_no_trials() -> None:
    ci = wilson(0, 0)
    assert (ci.low, ci.high) == (0.0, 1.0)
    assert verdict(ci) == NEEDS_DATA


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError, match="exceed"):
        wilson(11, 10)
    with pytest.raises(ValueError, match="negative"):
        wilson(-1, 10)


def test_verdict_is_winner_when_lower_bound_reaches_target() -> None:
    # Given an interval whose lower bound is just above / just below 30 %
    ci = wilson(3400, 10_000)  # low ≈ 0.3307
    assert verdict(ci, 0.33) == WINNER
    assert verdict(ci, ci.low) == WINNER  # boundary: low == target is a winner
    assert verdict(ci, ci.low + 1e-9) == NEEDS_DATA


def test_verdict_is_below_target_only_when_upper_bound_misses() -> None:
    ci = wilson(2000, 10_000)  # high ≈ 0.2080
    assert verdict(ci, 0.30) == BELOW_TARGET
    assert verdict(ci, ci.high) == NEEDS_DATA  # boundary: high == target is not below
    assert verdict(ci, ci.high + 1e-9) == BELOW_TARGET


def test_verdict_needs_data_when_interval_straddles_target() -> None:
    # Given 35 % hook rate but on only 40 impressions
    ci = wilson(14, 40)
    assert ci.low < 0.30 < ci.high
    assert verdict(ci, 0.30) == NEEDS_DATA


def test_verdict_uses_configured_target() -> None:
    ci = wilson(250, 1000)  # 25 %, interval ≈ 0.224-0.278
    assert verdict(ci, 0.30) == BELOW_TARGET
    assert verdict(ci, 0.20) == WINNER


def test_verdict_rejects_target_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="fraction"):
        verdict(wilson(1, 2), 30)


def test_hook_rate_target_comes_from_the_environment_and_must_be_a_fraction() -> None:
    from hookforge.config import Settings
    from hookforge.errors import ConfigError

    assert Settings.from_env({"HOOK_RATE_TARGET": "0.25"}).hook_rate_target == 0.25
    assert Settings.from_env({}).hook_rate_target == 0.30
    with pytest.raises(ConfigError, match="less than 1"):
        Settings.from_env({"HOOK_RATE_TARGET": "30"})
