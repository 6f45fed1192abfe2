"""Record a caught failure and keep every artifact already produced."""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.deps import Deps
    from hookforge.models import RecordFailureInput
    from hookforge.observability import logger, tracer
    from hookforge.steps import record_failure


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = RecordFailureInput.model_validate(event)
    return record_failure.run(request, Deps.current()).model_dump(mode="json")
