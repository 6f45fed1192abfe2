"""Shared Given-steps for the approval tests: moto S3 + DynamoDB, a fixed clock, a known signing key."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from moto import mock_aws
from PIL import Image

from hookforge.approval.records import ApprovalRecord
from hookforge.approval.signing import Signer
from hookforge.config import Settings
from hookforge.deps import Deps
from hookforge.models import Candidate
from hookforge.observability import logger
from tests.conftest import create_resources

BUCKET = "hookforge-test-artifacts"
TABLE = "hookforge-test-runs"
KEY = b"test-signing-key-0123456789abcdef"
TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAT0pZsecret-task-token-value"
NOW = 1_800_000_000


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def png(color: tuple[int, int, int], size: tuple[int, int] = (320, 180)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


@contextmanager
def approval_env(*, stage: str = "aws", base_url: str = "https://approvals.example.test/v1") -> Iterator[Deps]:
    with mock_aws():
        create_resources(BUCKET, runs_table=TABLE)
        s3 = boto3.client("s3", region_name="us-east-1")
        ddb = boto3.resource("dynamodb", region_name="us-east-1")
        settings = Settings(artifacts_bucket=BUCKET, runs_table=TABLE, stage=stage, approval_base_url=base_url)
        overrides: dict[str, Any] = {
            "s3": s3,
            "resource:dynamodb": ddb,
            "stepfunctions": boto3.client("stepfunctions", region_name="us-east-1"),
            "ses": boto3.client("ses", region_name="us-east-1"),
        }
        deps = Deps(settings=settings, clock=Clock(), overrides=overrides)
        deps.__dict__["signer"] = Signer(KEY)  # the cached_property, filled with a known key
        with Deps.use(deps):
            yield deps


def candidates(deps: Deps, run_id: str = "run-1", count: int = 3) -> list[Candidate]:
    colors = [(200, 40, 40), (40, 160, 60), (40, 60, 200), (200, 200, 40)]
    result = []
    for i in range(count):
        key = deps.store.put_bytes(f"runs/{run_id}/candidates/{i}.png", png(colors[i % 4]), content_type="image/png")
        result.append(
            Candidate(
                index=i,
                key=key,
                prompt="neon sneaker on wet asphalt",
                provider="placeholder",
                width=320,
                height=180,
                placeholder=True,
            )
        )
    return result


def stored_approval(deps: Deps, *, approval_id: str = "appr-1", round: int = 0, max_rounds: int = 2) -> ApprovalRecord:
    record = ApprovalRecord(
        approval_id=approval_id,
        run_id="run-1",
        task_token=TOKEN,
        candidates=candidates(deps),
        motion_prompt="slow push-in",
        prompt="neon sneaker on wet asphalt",
        round=round,
        max_rounds=max_rounds,
        expires_at=NOW + 3600,
        brief_name="summer-sneakers",
    )
    deps.approvals.create(record)
    return record


@contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Every JSON log line hookforge writes (extras included), exactly as Lambda would ship it."""
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)
