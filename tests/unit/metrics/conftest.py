from __future__ import annotations

from typing import Any

import boto3
import pytest

from hookforge.metrics.store import MetricsStore
from tests.unit.metrics.support import HOOKS, TABLE


@pytest.fixture
def dynamodb(aws: dict[str, Any]) -> Any:
    """The moto DynamoDB resource; the metrics table comes from template.yaml (root conftest)."""
    return boto3.resource("dynamodb", region_name="us-east-1")


def seed_hooks(store: MetricsStore) -> None:
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


@pytest.fixture
def store(dynamodb: Any) -> MetricsStore:
    s = MetricsStore(dynamodb, TABLE)
    seed_hooks(s)
    return s
