"""POST /metrics: a JSON batch of ad-platform numbers, imported with set-per-day semantics (IAM-authorised)."""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    import json
    from typing import Any

    from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.deps import Deps
    from hookforge.errors import ReportInvalid
    from hookforge.metrics.ingest import import_json
    from hookforge.observability import logger, tracer

app = APIGatewayRestResolver()


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type="application/json", body=json.dumps(body, default=str))


@app.post("/metrics")
def post_metrics() -> Response:
    try:
        body = json.loads(app.current_event.decoded_body or "")
        report = import_json(Deps.current().metrics, body, source="api")
    except RecursionError:
        return _json(400, {"error": "BadRequest", "message": "the JSON is nested too deeply; send a flat batch"})
    except ValueError as e:  # JSONDecodeError and ReportInvalid are both ValueErrors
        reason = str(e) if isinstance(e, ReportInvalid) else f"the body is not JSON: {e}"
        return _json(400, {"error": "BadRequest", "message": reason})
    logger.info("metrics imported", extra={"imported": report.imported, "bad_rows": report.bad_rows})
    # 422 only when nothing could be used; partial success is 200 with the bad rows listed
    status = 422 if report.bad and not (report.imported or report.unchanged) else 200
    return _json(status, report.to_dict())


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
