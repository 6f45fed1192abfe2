"""LaunchPausedAd (opt-in, the brief's `launch`): the finished hook as a PAUSED Meta ad; spend stays off."""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.deps import Deps
    from hookforge.metrics import launch
    from hookforge.models import LaunchHookInput
    from hookforge.observability import logger, tracer


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = LaunchHookInput.model_validate(event)
    return launch.launch_for_run(request, Deps.current()).model_dump(mode="json")
