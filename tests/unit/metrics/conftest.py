from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from hookforge.metrics.store import MetricsStore, table_definition

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "metrics"
TABLE = "hookforge-test-metrics"
HOOKS = ("hk-1a2b3c4d5e", "hk-9f8e7d6c5b", "hk-00aa11bb22")


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


@pytest.fixture
def dynamodb(aws: None) -> Any:
    resource = boto3.resource("dynamodb", region_name="us-east-1")
    resource.meta.client.create_table(**table_definition(TABLE))
    return resource


@pytest.fixture
def store(dynamodb: Any) -> MetricsStore:
    s = MetricsStore(dynamodb, TABLE)
    for i, hook_id in enumerate(HOOKS):
        s.put_hook(
            {
                "hook_id": hook_id,
                "run_id": f"run-{hook_id[3:]}",
                "prompt": f"prompt of {hook_id}",
                "preset": "punchy",
                "poster_key": f"runs/run-{hook_id[3:]}/poster.jpg",
                "created_at": 1_700_000_000 + i,
            }
        )
    return s


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")
