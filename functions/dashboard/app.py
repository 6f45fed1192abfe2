"""GET /dashboard (HTML) and GET /hooks (JSON): hooks ranked by hook rate, read by Query on the ranking index."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.utilities.typing import LambdaContext

from hookforge.metrics.dashboard import Filters, render_dashboard
from hookforge.metrics.report import build_report
from hookforge.observability import logger, tracer
from hookforge.steps import Deps

app = APIGatewayRestResolver()


def _filters() -> Filters:
    q = app.current_event.query_string_parameters or {}
    return Filters.parse(platform=q.get("platform"), date_from=q.get("from"), date_to=q.get("to"))


@app.get("/hooks")
def hooks() -> Response:
    deps = Deps.current()
    try:
        f = _filters()
    except ValueError as e:
        return Response(400, "application/json", json.dumps({"error": "BadRequest", "message": str(e)}))
    stats = build_report(
        deps.metrics,
        target=deps.settings.hook_rate_target,
        platform=f.platform,
        date_from=f.date_from,
        date_to=f.date_to,
    )
    return Response(200, "application/json", json.dumps([s.to_dict() for s in stats]))


@app.get("/dashboard")
def dashboard() -> Response:
    deps = Deps.current()
    try:
        f = _filters()
    except ValueError as e:
        return Response(400, "text/plain; charset=utf-8", str(e))
    stats = build_report(
        deps.metrics,
        target=deps.settings.hook_rate_target,
        daily=True,
        platform=f.platform,
        date_from=f.date_from,
        date_to=f.date_to,
    )
    page = render_dashboard(
        stats, target=deps.settings.hook_rate_target, filters=f, poster_url=lambda key: deps.store.presign(key)
    )
    return Response(200, "text/html; charset=utf-8", page)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
