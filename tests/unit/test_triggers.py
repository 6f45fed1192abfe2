"""StartRun against moto: deterministic execution names, duplicate deliveries, manifests (executions recorded)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.start_run import app as start_run
from hookforge.deps import Deps
from tests.conftest import tiny_brief

ROOT = Path(__file__).resolve().parents[2]


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


def test_manifest_of_fifty_rows_with_three_bad_starts_forty_seven_runs(
    aws, sfn_arn, lambda_context, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MAX_ACTIVE_RUNS", "50")  # room for every row; the queue has its own tests
    Deps.reset()
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
    from hookforge.errors import UploadRejected

    with pytest.raises(UploadRejected, match="not an S3 'Object Created' notification"):
        start_run.lambda_handler({"detail": {}}, lambda_context)


def test_a_batch_beyond_the_active_run_limit_is_queued_and_drains_as_runs_end(  # type: ignore[no-untyped-def]
    aws, sfn_arn, lambda_context, monkeypatch
) -> None:
    from hookforge.runqueue import release_slot

    # Given at most 4 runs at once
    monkeypatch.setenv("MAX_ACTIVE_RUNS", "4")
    Deps.reset()
    lines = ["name"] + [f"q-{i}" for i in range(10)]
    # When a 10-row manifest arrives
    result = start_run.lambda_handler(_put(aws, "briefs/queue.csv", "\n".join(lines).encode()), lambda_context)
    # Then 4 start and 6 wait, in order
    assert len(result["executions"]) == 4 and len(result["queued"]) == 6
    assert len(_executions(sfn_arn)) == 4
    # When one run ends (its last step releases its slot while it still counts as running)
    sfn = boto3.client("stepfunctions")
    ending = _executions(sfn_arn)[0]["executionArn"]
    release_slot(Deps.current())
    sfn.stop_execution(executionArn=ending)
    # Then exactly the oldest queued run starts
    names = {e["name"] for e in _executions(sfn_arn)}
    assert len(names) == 5 and result["queued"][0] in names
    # And a redelivered manifest neither starts nor re-queues anything
    again = start_run.lambda_handler(_event(aws, "briefs/queue.csv"), lambda_context)
    assert again["executions"] == [] and again["queued"] == [] and again["duplicates"] == 10


def test_the_queue_is_not_started_twice_when_two_runs_end_together(aws, sfn_arn, lambda_context, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hookforge.runqueue import start_next_queued

    monkeypatch.setenv("MAX_ACTIVE_RUNS", "1")
    Deps.reset()
    result = start_run.lambda_handler(_put(aws, "briefs/two.csv", b"name\nt-1\nt-2\nt-3\n"), lambda_context)
    assert len(result["executions"]) == 1 and len(result["queued"]) == 2
    boto3.client("stepfunctions").stop_execution(executionArn=_executions(sfn_arn)[0]["executionArn"])
    first = start_next_queued(Deps.current())
    second = start_next_queued(Deps.current())  # no room left: the limit still holds
    assert first == [result["queued"][0]] and second == []


def test_import_reports_written_beside_an_upload_start_nothing(aws, sfn_arn, lambda_context) -> None:  # type: ignore[no-untyped-def]
    # Given import reports as the report import writes them (`<key>.import.json`), where StartRun listens too
    report = json.dumps({"source": "x.csv", "imported": 3, "bad": []}).encode()
    for key in ("briefs/week-48.csv.import.json", "uploads/mj-drop/x.csv.import.json", "reports/x.csv.import.json"):
        # When each is uploaded / Then it is ignored: no run, no error file, no notification
        result = start_run.lambda_handler(_put(aws, key, report), lambda_context)
        assert result["outcome"] == "ignored" and result["errors"] == [], key
        assert not aws["deps"].store.exists(f"{key}.error.json"), key
    assert _executions(sfn_arn) == []
