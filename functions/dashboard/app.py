"""GET /dashboard (HTML) and GET /hooks (JSON): hooks ranked by hook rate, read by Query on the ranking index."""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.event_handler.exceptions import NotFoundError
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.deps import Deps
    from hookforge.metrics.compare import parse_targets
    from hookforge.metrics.dashboard import DASHBOARD_HEADERS, respond
    from hookforge.observability import logger, tracer

app = APIGatewayRestResolver()


def _answer(path: str) -> Response:
    deps = Deps.current()
    status, ctype, body = respond(
        path,
        app.current_event.query_string_parameters or {},
        metrics=deps.metrics,
        target=deps.settings.hook_rate_target,
        targets=parse_targets(deps.settings.hook_rate_targets),
        poster_url=lambda key: deps.store.presign(key),
    )
    return Response(status, ctype, body, headers=dict(DASHBOARD_HEADERS))


@app.get("/hooks")
def hooks() -> Response:
    return _answer("/hooks")


@app.get("/dashboard")
def dashboard() -> Response:
    return _answer("/dashboard")


@app.not_found
def not_found(_: NotFoundError) -> Response:
    return _answer("/not-a-route")


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
