"""The local service's direct JSON for DynamoDB reads gives the same answers as moto's own serializer."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from hookforge.local import fast_reads

ITEM = {
    "pk": {"S": "hook#hk-1"},
    "sk": {"S": "DAY#meta#2026-11-20"},
    "n": {"N": "1.5"},
    "big": {"N": "123456789012345678901234567890"},
    "b": {"B": b"\x00\xff\x10"},
    "bs": {"BS": [b"x", b"\x01"]},
    "m": {"M": {"x": {"L": [{"NULL": True}, {"BOOL": False}, {"S": "é ✓ \"quoted\""}]}}},
    "ss": {"SS": ["p", "q"]},
    "ns": {"NS": ["1", "2.25"]},
    "empty": {"S": ""},
}


def _create(client: Any, name: str) -> None:
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def table(aws) -> Any:  # type: ignore[no-untyped-def]
    client = boto3.client("dynamodb")
    _create(client, "fast")
    client.put_item(TableName="fast", Item=ITEM)
    for n in range(3):
        client.put_item(TableName="fast", Item={"pk": {"S": "hook#hk-1"}, "sk": {"S": f"DAY#tiktok#{n}"}})
    return client


def _both_ways(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any, Any]]:
    """Spy on moto: every read answer serialized by moto and by `fast_reads.dumps`, side by side."""
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    serialize = DynamoHandler.serialized
    pairs: list[tuple[str, Any, Any]] = []

    def spy(self: Any, action_result: Any) -> Any:
        out = serialize(self, action_result)
        if type(action_result) is DynamoResult and self._get_action() in fast_reads.READ_ACTIONS:
            pairs.append((self._get_action(), json.loads(out[2]), json.loads(fast_reads.dumps(action_result.result))))
        return out

    monkeypatch.setattr(DynamoHandler, "serialized", spy)
    return pairs


def _reads(client: Any) -> None:
    key = {"pk": ITEM["pk"], "sk": ITEM["sk"]}
    client.get_item(TableName="fast", Key=key)
    client.get_item(TableName="fast", Key={"pk": {"S": "nobody"}, "sk": {"S": "x"}})
    client.get_item(TableName="fast", Key=key, ProjectionExpression="n, m.x", ReturnConsumedCapacity="TOTAL")
    client.query(
        TableName="fast",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": ITEM["pk"]},
        Limit=2,
        ReturnConsumedCapacity="INDEXES",
    )
    client.query(TableName="fast", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": ITEM["pk"]})
    client.query(
        TableName="fast", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": ITEM["pk"]}, Select="COUNT"
    )
    client.scan(TableName="fast", Limit=1)
    client.scan(TableName="fast")
    client.batch_get_item(RequestItems={"fast": {"Keys": [key, {"pk": {"S": "nobody"}, "sk": {"S": "x"}}]}})


def test_read_answers_equal_moto_serializer_for_every_attribute_type(
    table: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given moto's serializer and the direct JSON both given each read's answer
    pairs = _both_ways(monkeypatch)
    # When every read action runs, with paging, projections, counts and consumed capacity
    _reads(table)
    # Then each answer is the same document both ways
    assert {action for action, _, _ in pairs} == fast_reads.READ_ACTIONS
    assert len(pairs) == 9
    for action, theirs, ours in pairs:
        assert ours == theirs, action
    assert any("LastEvaluatedKey" in theirs for _, theirs, _ in pairs)


def test_installed_reads_return_items_as_written(table: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the direct JSON installed (restored after the test)
    from moto.dynamodb.responses import DynamoHandler

    monkeypatch.setattr(DynamoHandler, "serialized", DynamoHandler.serialized)
    monkeypatch.setattr(fast_reads, "_installed", False)
    fast_reads.install()
    assert DynamoHandler.serialized.__qualname__.startswith("install")
    # When boto3 reads the item back through it
    got = table.get_item(TableName="fast", Key={"pk": ITEM["pk"], "sk": ITEM["sk"]})["Item"]
    page = table.query(
        TableName="fast", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": ITEM["pk"]}, Limit=1
    )
    # Then every attribute, binary included, is what was written, and paging still works
    assert got == ITEM
    assert page["Count"] == 1 and "LastEvaluatedKey" in page
    # and an error still takes moto's path (a named DynamoDB error, not a JSON failure)
    with pytest.raises(table.exceptions.ResourceNotFoundException):
        table.query(TableName="missing", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": ITEM["pk"]})


def test_the_local_mirror_reads_every_item_as_a_paginated_scan_answers_it(table: Any) -> None:
    from hookforge.local.engine import _mirror_tables

    # Given a table of every non-binary attribute type (hookforge's tables hold no binary; the mirror is JSON),
    # large enough that a Scan answers it in several pages
    _create(table, "mirror")
    text = {k: v for k, v in ITEM.items() if k not in ("b", "bs")}
    for n in range(60):
        item = {**text, "pk": {"S": f"hook#hk-{n % 7}"}, "sk": {"S": f"DAY#meta#{n:04d}"}, "pad": {"S": "x" * 20_000}}
        table.put_item(TableName="mirror", Item=item)
    pages = list(table.get_paginator("scan").paginate(TableName="mirror"))
    assert len(pages) > 1
    scanned = [i for page in pages for i in page["Items"]]
    # When the engine reads it for its mirror, Then it holds the same items, attribute for attribute
    mirrored = _mirror_tables()["mirror"]

    def order(i: dict[str, Any]) -> tuple[str, str]:
        return i["pk"]["S"], i["sk"]["S"]

    assert len(mirrored) == 60 and sorted(mirrored, key=order) == sorted(scanned, key=order)
    assert json.loads(json.dumps(mirrored)) == mirrored


def test_a_mirror_put_back_holds_the_same_items_and_answers_queries(table: Any) -> None:
    from hookforge.local.engine import _mirror_tables, _put_table_items

    # Given a mirror read from one table (every non-binary attribute type)
    _create(table, "restored")
    text = {k: v for k, v in ITEM.items() if k not in ("b", "bs")}
    items = [{**text, "pk": {"S": f"hook#hk-{n % 3}"}, "sk": {"S": f"DAY#meta#{n:04d}"}} for n in range(30)]
    # When it is put back the way a starting service loads a home
    _put_table_items("restored", items)
    # Then the table holds exactly those items, and answers queries as if they had been written by requests
    key = lambda i: (i["pk"]["S"], i["sk"]["S"])  # noqa: E731
    assert sorted(_mirror_tables()["restored"], key=key) == sorted(items, key=key)
    page = table.query(
        TableName="restored", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "hook#hk-1"}}
    )
    assert page["Count"] == 10 and page["Items"][0]["m"] == ITEM["m"]
