"""Fault injection on the local engine: every Task state × (exception, timeout, throttle).

Each run ends in its defined state with the failure recorded (run item, failure.json, a failure
notification), and every artifact produced before the fault is still there.
"""

from __future__ import annotations

import json

import pytest

from hookforge.local import pick
from tests.conftest import tiny_brief

#: task state -> artifacts that exist before it runs (relative to runs/<id>/)
BEFORE = {
    "ValidateBriefFunction": [],
    "FetchInspirationFunction": ["brief.json"],
    "RequestSelectionFunction": ["brief.json", "inspiration.json", "candidates/r0-1.png"],
    "SubmitVideoFunction": ["brief.json", "inspiration.json", "candidates/r0-1.png", "selection-request.json"],
    "PollVideoFunction": ["brief.json", "candidates/r0-1.png"],
    "ApplyEffectsFunction": ["brief.json", "candidates/r0-1.png", "raw.mp4"],
    "RegisterHookFunction": ["raw.mp4", "hooks/9x16.mp4", "poster.jpg"],
    "NotifyDoneFunction": ["raw.mp4", "hooks/9x16.mp4", "poster.jpg"],
}
EXPECTED_ERROR = {"exception": "InjectedFault", "timeout": "Sandbox.Timedout", "throttle": "ProviderThrottled"}
KINDS = ["exception", "timeout", "throttle"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("function", list(BEFORE))
def test_fault_in_a_task_ends_the_run_recorded_with_artifacts_kept(engine, write_brief, function, kind) -> None:  # type: ignore[no-untyped-def]
    run_id = f"fault-{function.removesuffix('Function').lower()}-{kind}"
    engine.faults[(run_id, function)] = kind
    result = engine.run(write_brief(tiny_brief(images={"count": 1})), chooser=pick(1), run_id=run_id)
    assert result.status == "FAILED"
    assert result.error == EXPECTED_ERROR[kind]
    assert result.failed_state == function.removesuffix("Function")
    run = engine.deps.runs.get(run_id)
    assert run["status"] == "FAILED" and run["error"] == EXPECTED_ERROR[kind]
    run_dir = engine.home / "bucket" / "runs" / run_id
    failure = json.loads((run_dir / "failure.json").read_text())
    assert failure["failed_state"] == function.removesuffix("Function")
    assert (run_dir / "failure-notification.html").exists()
    for artifact in BEFORE[function]:
        assert (run_dir / artifact).exists(), f"{artifact} was lost"
        assert f"runs/{run_id}/{artifact}" in failure["artifacts"]


@pytest.mark.parametrize("kind", KINDS)
def test_fault_in_every_candidate_ends_with_no_candidates_listing_each_reason(engine, write_brief, kind) -> None:  # type: ignore[no-untyped-def]
    run_id = f"fault-generateimage-{kind}"
    engine.faults[(run_id, "GenerateImageFunction")] = kind
    result = engine.run(write_brief(tiny_brief()), chooser=pick(1), run_id=run_id)
    assert result.status == "FAILED" and result.error == "NoCandidates"
    assert result.message.count(EXPECTED_ERROR[kind]) == 2  # both candidates, each with its reason
    assert (engine.home / "bucket" / "runs" / run_id / "inspiration.json").exists()


def test_a_broken_failure_recorder_still_ends_the_execution(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    run_id = "fault-recorder-broken"
    engine.faults[(run_id, "ValidateBriefFunction")] = "exception"
    engine.faults[(run_id, "RecordFailureFunction")] = "exception"
    result = engine.run(write_brief(tiny_brief()), chooser=pick(1), run_id=run_id)
    assert result.status == "FAILED"


def test_a_broken_recorder_still_ends_the_run_with_the_runs_own_error(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    # Given a run whose brief step is throttled for good, and a recorder that fails every time
    run_id = "fault-recorder-broken"
    engine.faults[(run_id, "ValidateBriefFunction")] = "throttle"
    engine.faults[(run_id, "RecordFailureFunction")] = "exception"
    # When it runs
    result = engine.run(write_brief(tiny_brief(images={"count": 1})), chooser=pick(1), run_id=run_id)
    # Then the execution still fails with the run's error and cause, not the recorder's
    assert result.status == "FAILED"
    assert result.error == "ProviderThrottled" and "429" in (result.message or "")
    history = engine.deps.client("stepfunctions").get_execution_history(executionArn=result.execution_arn)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
    assert entered[-3:] == ["RecordFailure", "KeepTheRunsOwnError", "RunFailed"]
