"""The runs table: one item per run (status, step outcomes) plus items the steps hang off a run.

Access patterns (pk, sk):
- a run:                 RUN#<run_id>, RUN            get/update by run id
- a video task attempt:  RUN#<run_id>, VIDEO#<n>      idempotent SubmitVideo (conditional put)
- an approval:           APPROVAL#<id>, APPROVAL      single-use decision (conditional update)
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError


def to_item(value: Any) -> Any:
    """DynamoDB wants Decimal, not float; drop None values."""
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: to_item(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_item(v) for v in value]
    return value


def plain(value: Any) -> Any:
    """The inverse of `to_item` for reading: Decimal back to int/float."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class RunsRepo:
    """Data access for the runs table through an injected boto3 DynamoDB client."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self.table = dynamodb.Table(table) if hasattr(dynamodb, "Table") else dynamodb
        self.table_name = table

    def start(self, run_id: str, *, brief_key: str, brief_name: str | None = None) -> None:
        now = int(time.time())
        self.table.put_item(
            Item=to_item(
                {
                    "pk": f"RUN#{run_id}",
                    "sk": "RUN",
                    "run_id": run_id,
                    "status": "RUNNING",
                    "brief_key": brief_key,
                    "brief_name": brief_name,
                    "started_at": now,
                    "updated_at": now,
                }
            )
        )

    def update(self, run_id: str, **fields: Any) -> None:
        fields = {k: v for k, v in fields.items() if v is not None}
        fields["updated_at"] = int(time.time())
        names = {f"#{k}": k for k in fields}
        values = {f":{k}": to_item(v) for k, v in fields.items()}
        self.table.update_item(
            Key={"pk": f"RUN#{run_id}", "sk": "RUN"},
            UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in fields),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def get(self, run_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": f"RUN#{run_id}", "sk": "RUN"}).get("Item")
        return plain(item) if item else None

    def put_child(self, run_id: str, sk: str, item: dict[str, Any], *, only_if_new: bool = False) -> bool:
        """Store an item under the run; with only_if_new, False when it already existed."""
        kwargs: dict[str, Any] = {"Item": to_item({"pk": f"RUN#{run_id}", "sk": sk, **item})}
        if only_if_new:
            kwargs["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            self.table.put_item(**kwargs)
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def replace_child_if(self, run_id: str, sk: str, item: dict[str, Any], *, field: str, equals: Any) -> bool:
        """Overwrite a child item only while its `field` still equals `equals`; False when it did not."""
        try:
            self.table.put_item(
                Item=to_item({"pk": f"RUN#{run_id}", "sk": sk, **item}),
                ConditionExpression="#f = :v",
                ExpressionAttributeNames={"#f": field},
                ExpressionAttributeValues={":v": to_item(equals)},
            )
        except ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def children(self, run_id: str, prefix: str) -> list[dict[str, Any]]:
        """Every child item of a run whose sort key starts with `prefix`."""
        from boto3.dynamodb.conditions import Key

        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(f"RUN#{run_id}") & Key("sk").begins_with(prefix)
        }
        while True:
            page = self.table.query(**kwargs)
            items.extend(plain(i) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def get_child(self, run_id: str, sk: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": f"RUN#{run_id}", "sk": sk}).get("Item")
        return plain(item) if item else None
