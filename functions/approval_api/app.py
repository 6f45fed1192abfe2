"""Approval API: GET renders the selection page (never decides); POST records the reviewer's decision."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookforge.approval.records import ApprovalNotFound, Decision, decide
from hookforge.errors import HookforgeError
from hookforge.observability import logger, tracer
from hookforge.steps import Deps

app = APIGatewayRestResolver()


def _page(body: str, status: int = 200) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=f"<!doctype html>{body}")


@app.get("/approvals/<approval_id>")
def show(approval_id: str) -> Response:
    deps = Deps.current()
    try:
        record = deps.approvals.get(approval_id)
    except ApprovalNotFound:
        return _page("<h1>Unknown selection</h1>", 404)
    items = "".join(
        f'<li><img src="{html.escape(deps.store.presign(c.key))}" width="240">'
        f'<form method="post"><input type="hidden" name="action" value="pick">'
        f'<input type="hidden" name="index" value="{i}"><button>Pick #{i}</button></form></li>'
        for i, c in enumerate(record.candidates, start=1)
    )
    return _page(f"<h1>Pick the hook</h1><p>{html.escape(record.prompt)}</p><ol>{items}</ol>")


@app.post("/approvals/<approval_id>")
def decide_route(approval_id: str) -> Response:
    deps = Deps.current()
    form = {k: v[0] for k, v in parse_qs(app.current_event.decoded_body or "").items()}
    try:
        decision = Decision(action=form.get("action", ""), index=int(form.get("index") or 0) or None)  # type: ignore[arg-type]
        decide(deps.approvals, deps.client("stepfunctions"), approval_id, decision)
    except ApprovalNotFound:
        return _page("<h1>Unknown selection</h1>", 404)
    except (HookforgeError, ValueError) as e:
        return _page(f"<h1>Not recorded</h1><p>{html.escape(str(e))}</p>", 409)
    return _page("<h1>Thanks — your choice is recorded.</h1>")


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
