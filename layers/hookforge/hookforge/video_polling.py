"""When to poll an image-to-video task next: few polls, little added latency, never faster than every 5 s.

The state machine loops `Wait(SecondsPath) -> PollVideo`; PollVideo asks this module how long the next
Wait should be. The policy, in order of the evidence it has:

- **first wait** from the model's expected duration (half of it: the first poll lands while the task
  runs and reads its progress, before the earliest plausible finish);
- **progress** (Runway reports 0..1 while RUNNING): the finish time is extrapolated from two progress
  readings when there are two (the next poll is aimed at it), else from one reading and the time the
  task could have started (an over-estimate, so the next poll comes a little early and takes the second
  reading); waits shrink as the task nears its end;
- **no progress** (Nova Reel, PENDING): wait until three quarters of the expected duration, then poll
  at a fixed fraction of the elapsed time (geometric: added latency stays under that fraction);
- **THROTTLED** (queued behind the account's concurrency tier): the wait grows, up to a cap;
- never under `MIN_WAIT` seconds, never past the run's deadline (PollVideo then times out and cancels).

Every function is pure (times in, seconds out) so the benchmark can replay it on a simulated clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Runway asks clients not to poll more often than every 5 seconds
MIN_WAIT = 5
#: the longest single Wait (a throttled queue may last long; keep an eye on it)
MAX_WAIT = 300
#: the first poll comes at this fraction of the expected duration
FIRST_FRACTION = 0.5
#: without progress, wait until this fraction of the expected duration ...
NO_PROGRESS_FRACTION = 0.75
#: ... then poll every GEOMETRIC_RATIO x elapsed (added latency < this fraction of the task's time)
GEOMETRIC_RATIO = 0.14
#: below this progress one reading says little; do not jump further than the time already run
LOW_PROGRESS = 0.1
#: with a single progress reading, aim this far towards the extrapolated end (the second reading is exact)
SINGLE_READING_FRACTION = 0.85
#: growth factor and floor of the wait while the provider reports THROTTLED
THROTTLE_GROWTH = 2.0
THROTTLE_FLOOR = 15


@dataclass(frozen=True)
class Observation:
    """One poll's answer, in seconds since submission."""

    elapsed: float
    status: str
    progress: float | None = None


@dataclass(frozen=True)
class PollHistory:
    """What the policy remembers between polls (carried in the VideoJob through the state machine)."""

    expected_seconds: float
    #: seconds since submission when the task was last seen not yet running (PENDING/THROTTLED); 0 at first
    started_after: float = 0.0
    #: the previous RUNNING reading with a progress value, if any
    last_running: Observation | None = None
    #: the previous wait, for growth while throttled
    last_wait: int = 0


def clamp_wait(seconds: float, *, remaining: float | None = None) -> int:
    """Whole seconds, at least MIN_WAIT, at most MAX_WAIT and (when given) at most what is left of the deadline."""
    wait = min(float(MAX_WAIT), seconds)
    if remaining is not None:
        wait = min(wait, remaining)
    return max(MIN_WAIT, int(math.ceil(wait - 1e-9)))


def first_wait(expected_seconds: float) -> int:
    """The Wait before the first poll; 0 when the task is already finished (offline renderers)."""
    if expected_seconds <= 0:
        return 0
    return clamp_wait(expected_seconds * FIRST_FRACTION)


def estimate_end(now: Observation, history: PollHistory) -> float | None:
    """Seconds since submission at which the task should finish, from its progress; None without progress."""
    p = now.progress
    if now.status != "RUNNING" or p is None or p <= 0 or p >= 1:
        return None
    prev = history.last_running
    if prev is not None and prev.progress is not None and now.elapsed > prev.elapsed and p > prev.progress:
        rate = (p - prev.progress) / (now.elapsed - prev.elapsed)
        return now.elapsed + (1 - p) / rate
    ran = max(now.elapsed - history.started_after, 1e-3)
    return now.elapsed + ran * (1 - p) / p


def next_wait(now: Observation, history: PollHistory, *, remaining: float | None = None) -> int:
    """Seconds to wait before the next poll, given the answer just received and the history so far."""
    if now.status == "THROTTLED":
        grown = max(float(THROTTLE_FLOOR), history.last_wait * THROTTLE_GROWTH)
        return clamp_wait(grown, remaining=remaining)
    end = estimate_end(now, history)
    if end is not None:
        wait = end - now.elapsed
        if history.last_running is None:
            # one reading counts queued time as running time (an over-estimate): aim short, measure the rate
            wait *= SINGLE_READING_FRACTION
        if (now.progress or 0) < LOW_PROGRESS:
            # one early reading extrapolates badly: go no further than the time the task has run so far
            wait = min(wait, max(now.elapsed - history.started_after, MIN_WAIT))
        return clamp_wait(wait, remaining=remaining)
    target = history.expected_seconds * NO_PROGRESS_FRACTION
    if now.elapsed < target:
        return clamp_wait(target - now.elapsed, remaining=remaining)
    return clamp_wait(now.elapsed * GEOMETRIC_RATIO, remaining=remaining)


def remember(now: Observation, history: PollHistory, wait: int) -> PollHistory:
    """The history after `now` (feed the result to the next `next_wait`)."""
    started_after = history.started_after
    last_running = history.last_running
    if now.status in ("PENDING", "THROTTLED"):
        started_after = now.elapsed
        last_running = None
    elif now.status == "RUNNING" and now.progress is not None:
        last_running = now
    return PollHistory(
        expected_seconds=history.expected_seconds,
        started_after=started_after,
        last_running=last_running,
        last_wait=wait,
    )
