"""Daily (EventBridge Scheduler): pull every ad's numbers of the last days from Meta and TikTok into the metrics table.

The schedule may pass `{"days": 30, "platforms": ["meta"]}`; by default every platform with an account configured
is synced over METRICS_SYNC_DAYS. Each platform is synced on its own; if one failed (token expired, throttled past
the wait budget) its named error is raised after the others finished, so the invocation fails visibly (retries,
then the dead-letter queue and its alarm) and the failed platform has written nothing.
"""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.deps import Deps
    from hookforge.metrics.sync import run_sync
    from hookforge.observability import logger, tracer


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event = event if isinstance(event, dict) else {}
    platforms = tuple(p for p in event.get("platforms") or ("meta", "tiktok") if p in ("meta", "tiktok"))
    days = event.get("days")
    results = run_sync(Deps.current(), platforms=platforms, days=int(days) if days else None)
    errors = [r for r in results if isinstance(r, Exception)]
    for error in errors:
        logger.error("metrics sync failed", extra={"error": type(error).__name__, "reason": str(error)})
    if errors:
        raise errors[0]
    return {"synced": [r.to_dict() for r in results if not isinstance(r, Exception)]}
