"""The adaptive next-wait policy of the video polling loop (pure functions on a simulated clock)."""

from __future__ import annotations

import pytest

from hookforge.video_polling import (
    MIN_WAIT,
    Observation,
    PollHistory,
    first_wait,
    next_wait,
    remember,
)


def simulate(task_seconds: float, *, expected: float = 60, pending: float = 2, throttled: float = 0, progress=True):
    """Poll a task that finishes at `task_seconds` the way PollVideo does; (polls, detection delay)."""
    history = PollHistory(expected_seconds=expected)
    t = float(first_wait(expected))
    polls = 0
    while True:
        polls += 1
        if t >= task_seconds:
            return polls, t - task_seconds
        if t < throttled:
            obs = Observation(t, "THROTTLED")
        elif t < throttled + pending:
            obs = Observation(t, "PENDING")
        else:
            p = round((t - throttled - pending) / (task_seconds - throttled - pending), 2) if progress else None
            obs = Observation(t, "RUNNING", p)
        wait = next_wait(obs, history)
        assert wait >= MIN_WAIT
        history = remember(obs, history, wait)
        t += wait


def test_first_wait_is_half_the_expected_duration_when_the_task_runs_remotely():
    # Given a model expected to take 60 s / When the first wait is chosen / Then it is 30 s, and 0 for offline renders
    assert first_wait(60) == 30
    assert first_wait(4) == MIN_WAIT
    assert first_wait(0) == 0


@pytest.mark.parametrize("task_seconds", range(60, 121, 5))
def test_goal_is_met_for_tasks_of_60_to_120_seconds_with_progress(task_seconds: int):
    # Given a Runway-like task reporting linear progress / When it is polled by the policy
    polls, delay = simulate(task_seconds)
    # Then at most 5 polls and under 15 % added latency
    assert polls <= 5
    assert delay / task_seconds < 0.15


def test_waits_shrink_as_the_task_nears_its_estimated_end():
    # Given two progress readings 30 s apart
    history = remember(Observation(30, "RUNNING", 0.30), PollHistory(expected_seconds=60), 30)
    # When the task is at 60 % and then at 95 %
    mid = next_wait(Observation(60, "RUNNING", 0.60), history)
    late = next_wait(Observation(95, "RUNNING", 0.95), history)
    # Then the wait is aimed at the extrapolated end: 40 s, then the 5 s floor
    assert mid == 40
    assert late == MIN_WAIT


def test_wait_grows_while_the_provider_throttles():
    # Given a task queued behind the account's concurrency tier
    history = PollHistory(expected_seconds=60)
    waits = []
    for t in (30, 45, 75, 135):
        wait = next_wait(Observation(t, "THROTTLED"), history)
        history = remember(Observation(t, "THROTTLED"), history, wait)
        waits.append(wait)
    # Then each wait is longer than the one before, up to the cap
    assert waits == sorted(waits) and waits[-1] > waits[0]


def test_wait_never_drops_below_five_seconds_nor_passes_the_deadline():
    history = PollHistory(expected_seconds=60)
    # Given a task at 99 % / Then the floor holds
    assert next_wait(Observation(50, "RUNNING", 0.99), history) == MIN_WAIT
    # Given 12 s left before the deadline and no progress / Then the wait stops at the deadline
    assert next_wait(Observation(200, "RUNNING"), history, remaining=12) == 12


def test_queued_time_is_not_mistaken_for_running_time():
    # Given a task throttled for 40 s, then running for 10 s at 10 %
    history = remember(Observation(40, "THROTTLED"), PollHistory(expected_seconds=60), 15)
    # When the next wait is estimated
    wait = next_wait(Observation(50, "RUNNING", 0.10), history)
    # Then the estimate uses the 10 s it ran (90 s left, aimed a little short), not the 50 s since submission
    assert 75 <= wait <= 90


@pytest.mark.parametrize("task_seconds", [60, 90, 120, 180])
def test_without_progress_the_added_latency_stays_under_the_geometric_ratio(task_seconds: int):
    # Given a provider that reports no progress (Nova Reel), expected to take 90 s
    polls, delay = simulate(task_seconds, expected=90, progress=False)
    # Then detection comes within 15 % of the task's time (more polls than with progress)
    assert delay / task_seconds < 0.15
    assert polls <= 12
