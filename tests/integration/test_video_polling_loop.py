"""The state machine's Wait -> PollVideo loop on the local engine, against a simulated Runway.

The simulated Runway (httpx.MockTransport) runs each task on the engine's virtual clock, so with
time_scale=0.01 a 90-second task takes about a second of wall time while every Wait is honoured.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hookforge.local import LocalEngine, pick
from hookforge.providers.base import ProviderContext
from tests.conftest import ROOT, tiny_brief, write_clip
from tests.support.runway_sim import SimulatedRunway


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4").read_bytes()


@pytest.fixture
def runway(tmp_path: Path, clip: bytes) -> Iterator[tuple[LocalEngine, SimulatedRunway]]:
    with LocalEngine(tmp_path / "home", root=ROOT, time_scale=0.01) as engine:
        sim = SimulatedRunway(clock=engine.clock, video=clip, task_seconds=90, pending_seconds=3)
        deps = engine.deps
        deps.provider_ctx = ProviderContext(
            settings=deps.settings,
            store=deps.store,
            http=httpx.Client(transport=sim.transport()),
            secret=lambda env, name: sim.api_key,
            sleep=lambda seconds: None,
        )
        yield engine, sim


def runway_brief(write_brief: Any, **video: Any) -> Path:
    return write_brief(tiny_brief(video={"providers": ["runway"], "duration": 2, **video}))


def test_the_polling_loop_finds_a_90_second_task_in_few_polls(runway, write_brief) -> None:  # type: ignore[no-untyped-def]
    engine, sim = runway
    # Given a Runway task that finishes 90 s after it is created
    # When the whole pipeline runs
    result = engine.run(runway_brief(write_brief), chooser=pick(1))
    # Then the run succeeds with one task, polled at most 5 times by the state machine
    assert result.succeeded, (result.error, result.message)
    states = engine.states_entered(result.execution_arn)
    assert sim.creates == 1
    assert states.count("PollVideo") == sim.polls <= 5
    assert states.count("WaitForTheVideo") == states.count("PollVideo")
    # And the task was noticed soon after it finished (under 15 % of its 90 s)
    task = next(iter(sim.tasks.values()))
    noticed = next(at for at, status in sim.answers if status == "SUCCEEDED")
    assert 0 <= noticed - sim.finished_at(task) < 0.15 * 90
    # And the run records the task, model, seconds, credits and polls; raw.mp4 is Runway's clip
    run = engine.deps.runs.get(result.run_id)
    assert run["video_task"] == task.id and run["video_model"] == "gen4_turbo"
    assert (run["video_seconds"], run["video_credits"]) == (2, 10)
    assert run["video_polls"] == sim.polls
    assert (result.run_dir / "raw.mp4").read_bytes() == sim.video


def test_a_content_policy_failure_ends_the_run_with_runways_reason(runway, write_brief) -> None:  # type: ignore[no-untyped-def]
    engine, sim = runway
    # Given Runway failing the task on its text moderation
    sim.outcomes = ["FAILED:SAFETY.INPUT.TEXT"]
    sim.task_seconds = 40
    result = engine.run(runway_brief(write_brief), chooser=pick(1))
    # Then the run fails as ContentRejected with Runway's reason, and nothing was resubmitted
    assert result.status == "FAILED"
    assert result.error == "ContentRejected"
    assert "content moderation" in (result.message or "")
    assert sim.creates == 1


def test_a_lost_create_answer_never_creates_a_second_task(runway, write_brief) -> None:  # type: ignore[no-untyped-def]
    engine, sim = runway
    # Given Runway creating the task while the answer to the create is lost
    sim.lost_creates = 1
    result = engine.run(runway_brief(write_brief), chooser=pick(1))
    # Then the run stops with a clear error and exactly one task exists at Runway
    assert result.status == "FAILED"
    assert result.error == "VideoSubmitUnconfirmed"
    assert sim.creates == 1
