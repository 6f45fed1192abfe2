"""Read and validate the uploaded brief; start the run record."""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.deps import Deps
    from hookforge.models import ValidateBriefInput
    from hookforge.observability import logger, tracer
    from hookforge.steps import validate_brief


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ValidateBriefInput.model_validate(event)
    return validate_brief.run(request, Deps.current()).model_dump(mode="json")
