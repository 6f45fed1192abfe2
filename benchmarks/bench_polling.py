"""Adaptive video polling vs a fixed 5-second poller, on a simulated clock against the simulated Runway.

For tasks of 30, 60, 120 and 300 s it prints polls, Step Functions state transitions (SubmitVideo and
RememberTheVideoTask, then Wait + PollVideo + RememberThePoll + IsTheVideoReady per poll) and the
detection delay (task finished -> pipeline noticed) as a fraction of the task's time. The adaptive side
runs the real `runway` provider over the simulated API and PollVideo's own next-wait code; the clock is
simulated, so nothing sleeps.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import httpx
from PIL import Image

from hookforge.config import Settings
from hookforge.models import VideoJob
from hookforge.providers.base import ProviderContext, VideoRequest
from hookforge.providers.runway import RunwayVideo
from hookforge.steps.poll_video import waiting_job
from hookforge.video_polling import MIN_WAIT, first_wait
from tests.support.runway_sim import SimulatedRunway

DURATIONS = (30, 60, 120, 300)
#: SubmitVideo + RememberTheVideoTask, then four states per turn of the loop
FIXED_TRANSITIONS = 2
PER_POLL_TRANSITIONS = 4


class SimClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Outcome:
    polls: int
    delay: float
    task_seconds: float

    @property
    def transitions(self) -> int:
        return FIXED_TRANSITIONS + PER_POLL_TRANSITIONS * self.polls

    @property
    def delay_ratio(self) -> float:
        return self.delay / self.task_seconds


def _still() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (180, 320), (40, 40, 160)).save(buf, "PNG")
    return buf.getvalue()


def adaptive(task_seconds: float, *, throttled: float = 0.0, progress: bool = True) -> Outcome:
    """Submit through the runway provider and poll the way the state machine does."""
    clock = SimClock()
    sim = SimulatedRunway(
        clock=clock, task_seconds=task_seconds, pending_seconds=2, throttled_seconds=throttled, report_progress=progress
    )
    ctx = ProviderContext(
        settings=Settings(),
        store=None,  # type: ignore[arg-type]  # the clip is never copied here
        http=httpx.Client(transport=sim.transport()),
        secret=lambda env, name: sim.api_key,
        sleep=lambda seconds: None,
    )
    runway = RunwayVideo(ctx)
    task = runway.submit(
        VideoRequest(run_id="bench", image=_still(), image_mime="image/png", prompt="", ratio="9:16", duration=5)
    )
    job = VideoJob(
        provider="runway",
        task_id=task.task_id,
        model=task.model,
        ratio="9:16",
        duration=5,
        wait_seconds=first_wait(task.expected_seconds),
        submitted_at=clock.now,
        deadline=clock.now + 3600,
        expected_seconds=task.expected_seconds,
        started_after=clock.now,
    )
    finished = sim.finished_at(sim.tasks[task.task_id])
    while True:
        clock.now += job.wait_seconds
        status = runway.poll(task.task_id)
        job = job.model_copy(update={"polls": job.polls + 1})
        if status.status == "SUCCEEDED":
            return Outcome(job.polls, clock.now - finished, task_seconds)
        throttled_since = (job.throttled_since or clock.now) if status.status == "THROTTLED" else None
        job = waiting_job(job, status, clock.now, throttled_since)


def fixed(task_seconds: float, every: float = MIN_WAIT) -> Outcome:
    """Poll every `every` seconds from submission."""
    polls, t = 0, 0.0
    while True:
        t += every
        polls += 1
        if t >= task_seconds:
            return Outcome(polls, t - task_seconds, task_seconds)


def _row(label: str, a: Outcome, f: Outcome) -> str:
    return (
        f"{label:<28} {a.polls:>5} {a.transitions:>6} {a.delay_ratio:>8.1%}   "
        f"{f.polls:>5} {f.transitions:>6} {f.delay_ratio:>8.1%}   {f.transitions / a.transitions:>5.1f}x"
    )


def main() -> None:
    print(  # noqa: T201 - benchmark output is the product here
        f"{'task (gen4_turbo, 5 s clip)':<28} {'polls':>5} {'trans':>6} {'delay/T':>8}   "
        f"{'polls':>5} {'trans':>6} {'delay/T':>8}   fewer transitions\n"
        f"{'':<28} {'--- adaptive ---':^21}   {'--- fixed 5 s ---':^21}"
    )
    for seconds in DURATIONS:
        print(_row(f"{seconds} s", adaptive(seconds), fixed(seconds)))  # noqa: T201
    print(_row("120 s, first 30 s THROTTLED", adaptive(120, throttled=30), fixed(120)))  # noqa: T201
    print(_row("120 s, no progress reported", adaptive(120, progress=False), fixed(120)))  # noqa: T201
    sweep = [adaptive(s) for s in range(60, 121, 5)]
    worst_polls = max(o.polls for o in sweep)
    worst_delay = max(o.delay_ratio for o in sweep)
    verdict = "met" if worst_polls <= 5 and worst_delay < 0.15 else "NOT met"
    print(  # noqa: T201
        f"goal for 60-120 s tasks (every 5 s): at most {worst_polls} polls, worst delay {worst_delay:.1%} "
        f"(target <= 5 polls, < 15 %): {verdict}"
    )


if __name__ == "__main__":
    main()
