from __future__ import annotations

from typing import Any

import boto3
import pytest

from hookforge.metrics.store import MetricsStore, bulk_writer
from tests.unit.metrics.support import TABLE, seed_hooks


@pytest.fixture
def dynamodb(aws: dict[str, Any]) -> Any:
    """The moto DynamoDB resource; the metrics table comes from template.yaml (root conftest)."""
    return boto3.resource("dynamodb", region_name="us-east-1")


@pytest.fixture
def store(dynamodb: Any) -> MetricsStore:
    """The store as Deps makes it: day rows written through the low-level bulk writer."""
    s = MetricsStore(dynamodb, TABLE, writer=bulk_writer(boto3.session.Session(), "us-east-1"))
    seed_hooks(s)
    return s
