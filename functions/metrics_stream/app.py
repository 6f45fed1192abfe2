"""DynamoDB Streams of the metrics table -> CloudWatch EMF metrics per platform (the CloudWatch dashboard's feed)."""

from __future__ import annotations

from hookforge.coldstart import collector_paused

with collector_paused():  # the cold import: see hookforge.coldstart
    from typing import Any

    from aws_lambda_powertools.utilities.data_classes import DynamoDBStreamEvent, event_source
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from hookforge.metrics.emf import emit_deltas, stream_deltas
    from hookforge.observability import logger


@logger.inject_lambda_context(log_event=False)
@event_source(data_class=DynamoDBStreamEvent)
def lambda_handler(event: DynamoDBStreamEvent, context: LambdaContext) -> dict[str, Any]:
    deltas = stream_deltas(event.records)
    emit_deltas(deltas)
    return {"platforms": sorted(deltas), "records": len(list(event.records))}
