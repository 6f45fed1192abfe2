"""Item-heavy DynamoDB answers of the local service, written as JSON directly.

moto 5.2 serializes every response by walking the operation's output shape, member by member with its alias
lookups: for an `AttributeValue` that is ten lookups per attribute of every item. A Query that returns
1 000 hooks spent about 0.4 s there on a quiet machine (80 % of the request under a profiler), so
`hookforge metrics report` on 1 000 hooks took 2.4 s of its five queries.

moto already holds these answers in DynamoDB's own JSON form (`DynamoResult` expands every attribute to
`{type: value}`), so for the read actions below the service writes that dict as JSON, base64 for binary
values as the wire format says. Every other action, and every error, goes through moto's serializer as
before. `tests/unit/test_fast_reads.py` checks that both give the same answer for every attribute type.
"""

from __future__ import annotations

import base64
import json
from typing import Any

#: the actions whose answers are lists of items (everything else keeps moto's serializer)
READ_ACTIONS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})

_installed = False


def install() -> None:
    """Route the read actions' answers through `dumps` (idempotent; the local service calls it once)."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler, DynamoResult

    serialize = DynamoHandler.serialized

    def serialized(self: Any, action_result: Any) -> Any:
        if type(action_result) is DynamoResult and isinstance(action_result.result, dict):
            if self._get_action() in READ_ACTIONS:
                headers = {"Content-Type": "application/x-amz-json-1.0"}
                headers.update(self.response_headers)
                return 200, headers, dumps(action_result.result)
        return serialize(self, action_result)

    DynamoHandler.serialized = serialized  # type: ignore[method-assign]
    _installed = True


def dumps(result: dict[str, Any]) -> str:
    """DynamoDB's JSON wire form of an answer moto has expanded to `{type: value}` attributes."""
    return json.dumps(result, default=_binary, separators=(",", ":"))


def _binary(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"a DynamoDB answer holds a {type(value).__name__}, which has no JSON form")
