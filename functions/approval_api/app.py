"""Approval page (GET renders, never decides) and decision (POST: signed form token, single use)."""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.approval import api
    from hookforge.approval.page import SECURITY_HEADERS, render_status_page
    from hookforge.deps import Deps
    from hookforge.observability import logger, tracer

app = APIGatewayRestResolver()


def _html(page: api.PageResponse) -> Response:
    return Response(
        status_code=page.status, content_type="text/html; charset=utf-8", body=page.body, headers=page.headers
    )


@app.get("/approvals/<approval_id>")
def show(approval_id: str) -> Response:
    return _html(api.show(Deps.current(), approval_id, app.current_event.query_string_parameters or {}))


@app.post("/approvals/<approval_id>")
def submit(approval_id: str) -> Response:
    form = api.parse_form(app.current_event.decoded_body)
    return _html(api.submit(Deps.current(), approval_id, app.current_event.query_string_parameters or {}, form))


@app.not_found
def not_found(_: Exception) -> Response:
    return _html(api.PageResponse(404, render_status_page(404, "there is no page at this address")))


@app.exception_handler(Exception)
def unexpected(error: Exception) -> Response:
    logger.exception("approval request failed", extra={"reason": type(error).__name__})
    body = render_status_page(500, "the selection could not be processed", hint="Try again in a minute.")
    return _html(api.PageResponse(500, body, dict(SECURITY_HEADERS)))


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
