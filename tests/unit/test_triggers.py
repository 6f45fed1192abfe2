"""StartRun against moto: deterministic execution names, duplicate deliveries, manifests (executions recorded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.start_run import app as start_run
from hookforge.steps.deps import Deps
from tests.conftest import tiny_brief

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sfn_arn(aws, monkeypatch) -> str:  # type: ignore[no-untyped-def]
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="hookforge-test",
        definition=(ROOT / "statemachine" / "hook_pipeline.asl.json").read_text(),
        roleArn="arn:aws:iam::123456789012:role/x",
    )["stateMachineArn"]
    monkeypatch.setenv("STATE_MACHINE_ARN", arn)
    Deps.reset()
    return arn


def _event(aws: dict[str, Any], key: str) -> dict[str, Any]:
    head = boto3.client("s3").head_object(Bucket=aws["bucket"], Key=key)
    return {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {
            "bucket": {"name": aws["bucket"]},
            "object": {"key": key, "size": head["ContentLength"], "etag": head["ETag"].strip('"')},
        },
    }


def _put(aws: dict[str, Any], key: str, body: bytes) -> dict[str, Any]:
    boto3.client("s3").put_object(Bucket=aws["bucket"], Key=key, Body=body)
    return _event(aws, key)


def _executions(arn: str) -> list[dict[str, Any]]:
    return boto3.client("stepfunctions").list_executions(stateMachineArn=arn)["executions"]


def test_twenty_duplicate_deliveries_start_exactly_one_execution(aws, sfn_arn, lambda_context) -> None:  # type: ignore[no-untyped-def]
    # Given one uploaded brief and its event
    event = _put(aws, "briefs/spring.json", json.dumps(tiny_brief(name="spring")).encode())
    # When the event is delivered 20 times
    outcomes = [start_run.lambda_handler(event, lambda_context)["outcome"] for _ in range(20)]
    # Then exactly one execution was started, under the name derived from bucket, key and etag
    assert outcomes == ["started"] + ["duplicate"] * 19
    executions = _executions(sfn_arn)
    assert len(executions) == 1 and executions[0]["name"].startswith("s3-")


def test_a_changed_brief_under_the_same_key_starts_a_new_run(aws, sfn_arn, lambda_context) -> None:  # type: ignore[no-untyped-def]
    start_run.lambda_handler(_put(aws, "briefs/a.json", json.dumps(tiny_brief(name="a")).encode()), lambda_context)
    changed = _put(aws, "briefs/a.json", json.dumps(tiny_brief(name="a", idea="new idea")).encode())
    assert start_run.lambda_handler(changed, lambda_context)["outcome"] == "started"
    assert len(_executions(sfn_arn)) == 2


def test_a_claim_left_by_a_crash_is_completed_by_the_next_delivery(aws, sfn_arn, lambda_context) -> None:  # type: ignore[no-untyped-def]
    from hookforge.triggers import S3Object

    event = _put(aws, "briefs/crash.json", json.dumps(tiny_brief(name="crash")).encode())
    name = S3Object.from_event(event).execution_name()
    boto3.resource("dynamodb").Table(aws["RUNS_TABLE"]).put_item(
        Item={"pk": f"TRIGGER#{name}", "sk": "TRIGGER", "state": "starting", "brief_key": "briefs/crash.json"}
    )
    assert start_run.lambda_handler(event, lambda_context)["outcome"] == "started"
    assert [e["name"] for e in _executions(sfn_arn)] == [name]


def test_manifest_of_fifty_rows_with_three_bad_starts_forty_seven_runs(aws, sfn_arn, lambda_context) -> None:  # type: ignore[no-untyped-def]
    lines = ["name,idea,images.count,effects.aspects"] + [f"batch-{i},idea {i},2,9:16|1:1" for i in range(50)]
    lines[5] = "Bad Name,idea,2,9:16"  # file line 6: not a slug
    lines[20] = "batch-x,idea,twenty,9:16"  # file line 21: count is not a number
    lines[33] = "batch-y,idea,2,3:2"  # file line 34: unsupported aspect
    event = _put(aws, "briefs/week-48.csv", "\n".join(lines).encode())
    result = start_run.lambda_handler(event, lambda_context)
    assert result["outcome"] == "batch" and len(result["executions"]) == 47
    assert [e["line"] for e in result["errors"]] == [6, 21, 34]
    report = aws["deps"].store.get_json("briefs/week-48.csv.error.json")
    assert len(report["rows"]) == 3 and "images.count" in report["rows"][1]["message"]
    assert "aspects" in report["rows"][2]["message"]
    again = start_run.lambda_handler(event, lambda_context)
    assert again["executions"] == [] and again["duplicates"] == 47
    assert len(_executions(sfn_arn)) == 47
    row_brief = aws["deps"].store.get_json(json.loads(_executions_input(sfn_arn))["brief_key"])
    assert row_brief["effects"]["aspects"] == ["9:16", "1:1"] and row_brief["images"]["count"] == 2


def _executions_input(arn: str) -> str:
    sfn = boto3.client("stepfunctions")
    first = _executions(arn)[0]["executionArn"]
    return sfn.describe_execution(executionArn=first)["input"]


def test_jsonl_manifest_reports_unparsable_lines(aws, sfn_arn, lambda_context) -> None:  # type: ignore[no-untyped-def]
    body = "\n".join([json.dumps(tiny_brief(name="j-1")), "{not json", "[1]", json.dumps(tiny_brief(name="j-2"))])
    result = start_run.lambda_handler(_put(aws, "briefs/batch.jsonl", body.encode()), lambda_context)
    assert len(result["executions"]) == 2
    assert [(e["line"], e["message"][:14]) for e in result["errors"]] == [(2, "not valid JSON"), (3, "not a JSON obj")]


def test_an_event_that_is_not_from_s3_is_a_clear_error(aws, sfn_arn, lambda_context) -> None:  # type: ignore[no-untyped-def]
    from hookforge.triggers import UploadRejected

    with pytest.raises(UploadRejected, match="not an S3 'Object Created' notification"):
        start_run.lambda_handler({"detail": {}}, lambda_context)
