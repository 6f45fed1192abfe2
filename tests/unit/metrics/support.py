"""Shared constants and helpers of the metrics tests."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "metrics"
#: the root conftest's `aws` fixture creates this table from template.yaml (with its GSI)
TABLE = "hf-test-metrics"
HOOKS = ("hk-1a2b3c4d5e", "hk-9f8e7d6c5b", "hk-00aa11bb22")


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def seed_hooks(store: Any) -> None:
    for i, hook_id in enumerate(HOOKS):
        store.put_hook(
            {
                "hook_id": hook_id,
                "run_id": f"run-20261101-000000-{hook_id[3:]}",
                "prompt": f"prompt of {hook_id}",
                "preset": "punchy",
                "poster_key": f"runs/run-20261101-000000-{hook_id[3:]}/poster.jpg",
                "created_at": 1_700_000_000 + i,
            }
        )


class CallCounter:
    """Counts DynamoDB operations (and their IndexName) through botocore's event hooks."""

    def __init__(self, *clients: Any) -> None:
        """`clients`: a store's resource client and its bulk writer (None when it has none)."""
        self.ops: Counter[str] = Counter()
        self.indexed: list[str] = []
        unique_id = f"test-counter-{id(self)}"
        for client in clients:
            if client is not None:
                client.meta.events.register("provide-client-params.dynamodb.*", self._seen, unique_id=unique_id)

    def _seen(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.ops[model.name] += 1
        if model.name == "Query":
            self.indexed.append(params.get("IndexName", ""))
