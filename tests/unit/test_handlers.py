"""Each Lambda handler on its own, against moto: validate in, call the step, dump out, named errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.apply_effects import app as apply_effects
from functions.fetch_inspiration import app as fetch_inspiration
from functions.generate_image import app as generate_image
from functions.notify_done import app as notify_done
from functions.poll_video import app as poll_video
from functions.record_failure import app as record_failure
from functions.register_hook import app as register_hook
from functions.request_selection import app as request_selection
from functions.submit_video import app as submit_video
from functions.validate_brief import app as validate_brief
from hookforge.errors import BriefInvalid, NoCandidates
from hookforge.media import probe
from tests.conftest import tiny_brief


def _put_brief(aws: dict[str, Any], brief: dict[str, Any] | bytes, key: str = "briefs/b.json") -> str:
    body = brief if isinstance(brief, bytes) else json.dumps(brief).encode()
    aws["deps"].store.put_bytes(key, body)
    return key


def _state(aws: dict[str, Any], lambda_context: Any, **brief: Any) -> dict[str, Any]:
    key = _put_brief(aws, tiny_brief(**brief))
    return validate_brief.lambda_handler({"run_id": "run-t-0123456789", "brief_key": key}, lambda_context)


def test_validate_brief_starts_the_run_and_plans_jobs(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    state = _state(aws, lambda_context)
    assert [j["index"] for j in state["jobs"]] == [0, 1]
    assert state["has_images"] is False
    assert aws["deps"].store.exists("runs/run-t-0123456789/brief.json")
    assert aws["deps"].runs.get("run-t-0123456789")["brief_name"] == "tiny-test"


def test_validate_brief_raises_named_error_when_field_is_wrong(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    key = _put_brief(aws, tiny_brief(video={"duration": 60}))
    with pytest.raises(BriefInvalid, match="video.duration"):
        validate_brief.lambda_handler({"run_id": "run-x", "brief_key": key}, lambda_context)


def test_validate_brief_requires_uploaded_images_to_exist(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    key = _put_brief(aws, tiny_brief(uploads=["mj-1.png"]))
    with pytest.raises(BriefInvalid, match="uploads/tiny-test/mj-1.png is not in the bucket"):
        validate_brief.lambda_handler({"run_id": "run-x", "brief_key": key}, lambda_context)


def test_fetch_inspiration_uses_the_catalog_and_records_sources(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    state = _state(aws, lambda_context)
    out = fetch_inspiration.lambda_handler({"run_id": state["run_id"], "brief": state["brief"]}, lambda_context)
    assert len(out["prompts"]) == 4
    assert "sneaker" in out["prompts"][0]["text"]
    stored = aws["deps"].store.get_json(out["key"])
    assert all(p["source"] == "catalog" for p in stored["prompts"])


def test_generate_image_stores_a_labelled_placeholder(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    state = _state(aws, lambda_context)
    event = {"run_id": state["run_id"], "brief": state["brief"], "job": state["jobs"][1], "inspiration": None}
    out = generate_image.lambda_handler(event, lambda_context)
    candidate = out["candidate"]
    assert out["ok"] and candidate["placeholder"] and (candidate["width"], candidate["height"]) == (256, 448)
    head = aws["deps"].store.head(candidate["key"])
    assert head["ContentType"] == "image/png" and head["Metadata"]["placeholder"] == "true"


def _candidate_events(aws, lambda_context):  # type: ignore[no-untyped-def]
    state = _state(aws, lambda_context)
    generated = [
        generate_image.lambda_handler(
            {"run_id": state["run_id"], "brief": state["brief"], "job": job, "inspiration": None}, lambda_context
        )
        for job in state["jobs"]
    ]
    return state, generated


def test_request_selection_keeps_the_token_server_side(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    state, generated = _candidate_events(aws, lambda_context)
    token = "SECRET-TASK-TOKEN-abc123"
    event = {"run_id": state["run_id"], "brief": state["brief"], "generated": generated, "task_token": token}
    out = request_selection.lambda_handler(event, lambda_context)
    assert len(out["candidates"]) == 2 and token not in json.dumps(out)
    email = aws["deps"].store.get_bytes(f"runs/{state['run_id']}/email.html").decode()
    assert token not in email
    assert aws["deps"].approvals.get(out["approval_id"]).task_token == token


def test_request_selection_lists_every_reason_when_all_candidates_failed(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    state = _state(aws, lambda_context)
    generated = [
        {
            "ok": False,
            "index": i,
            "error": {"Error": "ContentRejected", "Cause": json.dumps({"errorMessage": f"no {i}"})},
        }
        for i in range(2)
    ]
    event = {"run_id": state["run_id"], "brief": state["brief"], "generated": generated, "task_token": "t"}
    with pytest.raises(NoCandidates, match=r"#1: ContentRejected: no 0; #2: ContentRejected: no 1"):
        request_selection.lambda_handler(event, lambda_context)


def test_video_steps_then_effects_register_and_notify(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    state, generated = _candidate_events(aws, lambda_context)
    selection = {"candidate": generated[0]["candidate"], "motion_prompt": "push in", "decided_by": "test"}
    common = {"run_id": state["run_id"], "brief": state["brief"]}
    video = submit_video.lambda_handler({**common, "selection": selection}, lambda_context)
    assert video["provider"] == "kenburns" and video["wait_seconds"] == 0
    polled = poll_video.lambda_handler({**common, "selection": selection, "video": video}, lambda_context)
    assert polled["status"] == "SUCCEEDED" and polled["raw_key"].endswith("/raw.mp4") and polled["polls"] == 1
    render = apply_effects.lambda_handler({**common, "video": polled}, lambda_context)
    assert set(render["outputs"]) == {"9:16"}
    local = aws["deps"].store.download_file(render["outputs"]["9:16"], "/tmp/hf-test-hook.mp4")
    assert (probe(local).width, probe(local).height) == (1080, 1920)
    hook = register_hook.lambda_handler(
        {**common, "selection": selection, "video": polled, "render": render}, lambda_context
    )
    assert hook["hook_id"].startswith("hk-")
    note = notify_done.lambda_handler({**common, "hook": hook, "render": render}, lambda_context)
    assert note["message_key"].endswith("notification.html")
    assert aws["deps"].runs.get(state["run_id"])["status"] == "SUCCEEDED"


def test_record_failure_writes_failure_json_and_lists_artifacts(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    state, _ = _candidate_events(aws, lambda_context)
    error = {"Error": "ProviderError", "Cause": json.dumps({"errorType": "ProviderError", "errorMessage": "boom"})}
    out = record_failure.lambda_handler(
        {"run_id": state["run_id"], "error": error, "failed_state": "SubmitVideo"}, lambda_context
    )
    assert out["error"] == "ProviderError" and out["message"] == "boom" and out["failed_state"] == "SubmitVideo"
    assert sum("/candidates/" in a for a in out["artifacts"]) == 2
    assert aws["deps"].store.get_json(out["failure_key"])["message"] == "boom"
    notice = aws["deps"].store.get_bytes(f"runs/{state['run_id']}/failure-notification.html").decode()
    assert "ProviderError" in notice and "SubmitVideo" in notice
    assert 'href="candidates/r0-1.png"' in notice and '<img src="candidates/r0-2.png"' in notice
    assert aws["deps"].runs.get(state["run_id"])["status"] == "FAILED"


def test_record_failure_names_a_selection_timeout(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    out = record_failure.lambda_handler(
        {"run_id": "run-y", "error": {"Error": "States.Timeout", "Cause": ""}, "failed_state": "RequestSelection"},
        lambda_context,
    )
    assert out["error"] == "SelectionTimedOut"
