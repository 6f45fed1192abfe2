"""S3 uploads through StartRun on the local engine: bad uploads start nothing; images with a brief run."""

from __future__ import annotations

import json

import boto3

from hookforge.local import pick
from hookforge.providers.placeholder import render_placeholder
from tests.conftest import tiny_brief


def _executions(engine) -> list[dict]:  # type: ignore[no-untyped-def]
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    return sfn.list_executions(stateMachineArn=engine.state_machine_arn)["executions"]


def test_invalid_brief_upload_starts_nothing_and_writes_an_error_file(engine) -> None:  # type: ignore[no-untyped-def]
    result = engine.upload("briefs/bad.json", b'{"name": "Bad Name!"}')
    assert result["outcome"] == "rejected"
    error = engine.deps.store.get_json("briefs/bad.json.error.json")
    assert error["error"] == "BriefInvalid" and "field 'name'" in error["message"]
    assert _executions(engine) == []


def test_unsupported_and_misplaced_uploads_are_rejected_clearly(engine) -> None:  # type: ignore[no-untyped-def]
    cases = {
        "briefs/notes.txt": "unsupported file type .txt",
        "uploads/loose.png": "uploads/<brief-name>/<file>",
        "uploads/mj/shot.gif": "unsupported image type .gif",
        "uploads/lonely/shot.png": "no brief beside this image",
    }
    for key, message in cases.items():
        result = engine.upload(key, render_placeholder("x", 300, 300, seed=1))
        assert result["outcome"] == "rejected", key
        assert message in engine.deps.store.get_json(f"{key}.error.json")["message"]
    assert _executions(engine) == []


def test_path_traversal_key_is_rejected_without_writing_outside(engine) -> None:  # type: ignore[no-untyped-def]
    result = engine.upload("briefs/../../etc/passwd.json", b"{}")
    assert result["outcome"] == "rejected" and "unsafe object key" in result["errors"][0]["message"]
    assert result["error_key"] is None


def test_images_with_a_brief_beside_them_run_without_generation(engine) -> None:  # type: ignore[no-untyped-def]
    for i in (1, 2):
        engine.upload(f"uploads/mj-drop/shot-{i}.png", render_placeholder(f"mj {i}", 320, 560, seed=i))
    started = engine.upload("uploads/mj-drop/brief.json", json.dumps(tiny_brief(name="mj-drop")).encode())
    assert started["outcome"] == "started"
    run_id = started["executions"][0]
    arn = f"{engine.state_machine_arn.replace(':stateMachine:', ':execution:')}:{run_id}"
    result = engine.wait(run_id, arn, chooser=pick(2))
    assert result.succeeded, (result.error, result.message)
    assert "FetchInspiration" not in engine.states_entered(arn)
    assert result.output["selection"]["candidate"]["provider"] == "upload"
