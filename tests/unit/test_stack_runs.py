"""`runs|approve|resume --stack`: the deployed stack's own Step Functions history and redrive.

The runs table is moto's; CloudFormation's DescribeStacks and Step Functions' ListExecutions/RedriveExecution are
botocore Stubber answers in their documented shapes (moto has no RedriveExecution).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from hookforge.approval.records import ApprovalRecord
from hookforge.errors import RunNotFound, RunNotResumable, RunNotWaiting
from hookforge.models import Candidate
from hookforge.stack_runs import StackRuns

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:hookforge-prod-pipeline"


def _stack(aws: dict[str, Any]) -> tuple[StackRuns, Stubber]:
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    cfn_stub, sfn_stub = Stubber(cfn), Stubber(sfn)
    outputs = {
        "HookPipelineStateMachineArn": MACHINE,
        "RunsTableName": aws["RUNS_TABLE"],
        "ArtifactsBucketName": aws["bucket"],
        "ApprovalApiUrl": "https://abc123.execute-api.us-east-1.amazonaws.com/v1",
    }
    cfn_stub.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "hookforge-prod",
                    "CreationTime": datetime(2026, 11, 1, tzinfo=UTC),
                    "StackStatus": "UPDATE_COMPLETE",
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                }
            ]
        },
        {"StackName": "hookforge-prod"},
    )
    cfn_stub.activate()
    sfn_stub.activate()
    runs = StackRuns("hookforge-prod", session=boto3.session.Session(region_name="us-east-1"))
    runs.overrides.update(cloudformation=cfn, stepfunctions=sfn)
    return runs, sfn_stub


def _execution(name: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "executionArn": f"{MACHINE.replace(':stateMachine:', ':execution:')}:{name}",
        "stateMachineArn": MACHINE,
        "name": name,
        "status": status,
        "startDate": datetime.now(UTC) - timedelta(hours=2),
        **extra,
    }


def test_runs_lists_the_stacks_executions_with_their_hook_ids_and_costs(aws) -> None:  # type: ignore[no-untyped-def]
    runs, sfn = _stack(aws)
    deps = runs.deps
    deps.runs.start("run-20261201-100000-aaaaaaaaaa", brief_key="briefs/a.json", brief_name="summer")
    deps.runs.update("run-20261201-100000-aaaaaaaaaa", status="SUCCEEDED", step="NotifyDone",
                     hook_id="hk-aaaaaaaaaa", video_cost_usd=0.5)
    deps.runs.start("run-20261201-110000-bbbbbbbbbb", brief_key="briefs/b.json", brief_name="winter")
    deps.runs.update("run-20261201-110000-bbbbbbbbbb", status="FAILED", failed_state="SubmitVideo")
    sfn.add_response(
        "list_executions",
        {
            "executions": [
                _execution("run-20261201-110000-bbbbbbbbbb", "FAILED", stopDate=datetime.now(UTC) - timedelta(hours=1)),
                _execution("run-20261201-100000-aaaaaaaaaa", "SUCCEEDED"),
            ]
        },
        {"stateMachineArn": MACHINE},
    )
    rows = {row["run_id"]: row for row in runs.list(limit=10)}
    assert rows["run-20261201-100000-aaaaaaaaaa"]["hook_id"] == "hk-aaaaaaaaaa"
    assert rows["run-20261201-100000-aaaaaaaaaa"]["cost_usd"] == 0.5
    assert rows["run-20261201-100000-aaaaaaaaaa"]["state"] == "SUCCEEDED"
    assert rows["run-20261201-100000-aaaaaaaaaa"]["redrivable"] is False
    failed = rows["run-20261201-110000-bbbbbbbbbb"]
    assert (failed["state"], failed["step"], failed["redrivable"]) == ("FAILED", "SubmitVideo", True)
    assert 7000 < failed["age_seconds"] < 7300


def test_resume_redrives_a_failed_execution_and_names_what_cannot_be(aws) -> None:  # type: ignore[no-untyped-def]
    runs, sfn = _stack(aws)
    arn = runs.execution_arn("run-1")
    sfn.add_response("redrive_execution", {"redriveDate": datetime.now(UTC)}, {"executionArn": arn})
    assert runs.resume("run-1") == arn
    sfn.add_client_error("redrive_execution", "ExecutionNotRedrivable", "Execution has succeeded",
                         expected_params={"executionArn": arn})
    with pytest.raises(RunNotResumable, match="cannot be redriven: Execution has succeeded"):
        runs.resume("run-1")
    sfn.add_client_error("redrive_execution", "ExecutionDoesNotExist", "no such execution")
    with pytest.raises(RunNotFound):
        runs.resume("run-2")
    sfn.assert_no_pending_responses()


def test_approve_finds_the_waiting_approval_in_the_runs_table(aws) -> None:  # type: ignore[no-untyped-def]
    runs, _ = _stack(aws)
    deps = runs.deps
    deps.runs.start("run-w", brief_key="briefs/w.json")
    with pytest.raises(RunNotWaiting):
        runs.pending("run-w")
    with pytest.raises(RunNotFound):
        runs.pending("run-unknown")
    candidate = Candidate(
        index=0, key="runs/run-w/candidates/r0-1.png", prompt="a sneaker", provider="placeholder", width=256, height=448
    )
    deps.approvals.create(
        ApprovalRecord(approval_id="ap-1", run_id="run-w", task_token="tok", candidates=[candidate],
                       motion_prompt="push in", prompt="a sneaker", reviewers=[], round=0, max_rounds=1,
                       expires_at=2_000_000_000)
    )
    assert runs.pending("run-w").approval_id == "ap-1"
