"""Render effects and every aspect ratio in one ffmpeg pass (container image)."""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.deps import Deps
    from hookforge.models import ApplyEffectsInput
    from hookforge.observability import logger, tracer
    from hookforge.steps import apply_effects


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = ApplyEffectsInput.model_validate(event)
    return apply_effects.run(request, Deps.current()).model_dump(mode="json")
