"""An ad-platform report dropped under reports/ (S3 -> EventBridge): import it, store the import report beside it.

`reports/meta/...`, `reports/tiktok/...` and `reports/generic/...` name the format; anywhere else under
`reports/` it is detected from the header. The import report is `<key>.import.json`.
"""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.deps import Deps
    from hookforge.metrics.ingest import IMPORT_REPORT_SUFFIX, import_object
    from hookforge.observability import logger, tracer


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    key = event.detail["object"]["key"]
    if key.endswith(IMPORT_REPORT_SUFFIX):
        return {"skipped": key, "reason": "an import report, not an ad-platform report"}
    deps = Deps.current()
    report_key, report = import_object(deps.store, deps.metrics, key, max_bytes=deps.settings.report_max_bytes)
    logger.info(
        "report imported",
        extra={"key": key, "platform": report.platform, "imported": report.imported, "bad_rows": report.bad_rows},
    )
    return {"key": key, "report_key": report_key, **report.to_dict()}
