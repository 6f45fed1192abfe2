"""Start a run from an S3 upload (EventBridge): briefs/, uploads/<brief>/ and batch manifests."""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.deps import Deps
    from hookforge.observability import logger, tracer
    from hookforge.triggers import handle_upload


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_upload(event, Deps.current()).model_dump(mode="json")
