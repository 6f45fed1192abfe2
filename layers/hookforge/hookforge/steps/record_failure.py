"""RecordFailure: every Catch ends here. Record what failed and why; keep every artifact already made."""

from __future__ import annotations

import html
from typing import Any

from hookforge import notify
from hookforge.approval.notify import notify_selection_timed_out
from hookforge.deps import Deps
from hookforge.models import FailureRecord, RecordFailureInput
from hookforge.observability import logger
from hookforge.runqueue import release_slot
from hookforge.storage import run_key

#: friendlier names for errors Step Functions raises itself
_STATES_ERRORS = {
    "States.Timeout": "the step timed out",
    "States.TaskFailed": "the step failed",
    "States.Runtime": "the state machine hit a runtime error",
}


def failed_state(deps: Deps, execution_arn: str | None) -> str:
    """The name of the state whose failure was caught, read from the execution history."""
    if not execution_arn:
        return "unknown"
    try:
        paginator = deps.client("stepfunctions").get_paginator("get_execution_history")
        events = [e for page in paginator.paginate(executionArn=execution_arn) for e in page["events"]]
    except Exception:  # noqa: BLE001 - the history only improves the record; never fail over it
        logger.warning("execution history unavailable", extra={"execution_arn": execution_arn})
        return "unknown"
    for event in sorted(events, key=lambda e: e["id"], reverse=True):
        details = event.get("stateEnteredEventDetails")
        if details and details.get("name") != "RecordFailure":
            return str(details["name"])
    return "unknown"


def run(event: RecordFailureInput, deps: Deps) -> FailureRecord:
    extra: dict[str, Any] = event.model_extra or {}
    error = event.error
    message = error.message() or _STATES_ERRORS.get(error.error, error.error)
    state = extra.get("failed_state") or failed_state(deps, extra.get("execution_arn"))
    if error.error == "States.Timeout" and state == "RequestSelection":
        error_name, message = "SelectionTimedOut", "nobody picked a candidate before the selection deadline"
    else:
        error_name = error.error
    key = run_key(event.run_id, "failure.json")
    artifacts = sorted(k for k in deps.store.list_keys(run_key(event.run_id, "")) if k != key)
    record = FailureRecord(
        run_id=event.run_id, error=error_name, message=message, failed_state=state, artifacts=artifacts, failure_key=key
    )
    deps.store.put_json(key, record.model_dump(mode="json"))
    if deps.runs.get(event.run_id) is None:
        deps.runs.start(event.run_id, brief_key=str(extra.get("brief_key", "")))
    deps.runs.update(event.run_id, status="FAILED", error=error_name, error_message=message, failed_state=state)
    notify_failure(deps, record)
    release_slot(deps)
    if error_name == "SelectionTimedOut":
        notify_selection_timed_out(deps, event.run_id)
    logger.error("run failed", extra={"run_id": event.run_id, "error": error_name, "failed_state": state})
    return record


def notify_failure(deps: Deps, record: FailureRecord) -> None:
    """Tell the brief's owner what failed and where the partial results are (previews and links)."""
    owner = None
    brief_key = run_key(record.run_id, "brief.json")
    if deps.store.exists(brief_key):
        owner = deps.store.get_json(brief_key).get("owner")
    links = [(key, notify.link(deps, record.run_id, key)) for key in record.artifacts]
    kept = (
        "".join(f'<li><a href="{html.escape(url)}">{html.escape(key.split("/", 2)[-1])}</a></li>' for key, url in links)
        or "<li>nothing yet</li>"
    )
    stills = "".join(
        f'<img src="{html.escape(url)}" width="160" alt="candidate"> ' for key, url in links if "/candidates/" in key
    )
    body = (
        f"<body style='font-family:sans-serif'><h1>Run {html.escape(record.run_id)} failed</h1>"
        f"<p><b>{html.escape(record.error)}</b> at step {html.escape(record.failed_state)}: "
        f"{html.escape(record.message)}</p><p>{stills}</p>"
        f"<p>Everything produced before the failure is kept:</p><ul>{kept}</ul></body>"
    )
    text = f"Run {record.run_id} failed: {record.error} at {record.failed_state}: {record.message}"
    notify.send(
        deps,
        record.run_id,
        name="failure-notification.html",
        to=owner,
        subject=f"Hook run failed: {record.error}",
        body_html=body,
        body_text=text,
    )
