"""The `nova-reel` provider on a real bedrock-runtime client with botocore's Stubber (no network)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import ANY, Stubber
from PIL import Image

from hookforge.config import Settings
from hookforge.deps import Deps
from hookforge.errors import ProviderThrottled
from hookforge.providers.base import ProviderContext, VideoRequest
from hookforge.providers.nova_reel import MODEL_ID, NovaReelVideo, request_token
from hookforge.storage import ArtifactStore

BUCKET = "hf-nova-test"
ARN = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abc123xyz"


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[NovaReelVideo, Stubber]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    ctx = ProviderContext(
        settings=Settings(artifacts_bucket=BUCKET),
        store=ArtifactStore(None, BUCKET),
        clients={"bedrock-runtime": client},
    )
    with Stubber(client) as stub:
        yield NovaReelVideo(ctx), stub
        stub.assert_no_pending_responses()


def request(attempt: int = 0) -> VideoRequest:
    buf = io.BytesIO()
    Image.new("RGB", (300, 500), (10, 90, 200)).save(buf, "PNG")
    return VideoRequest(
        run_id="run-n1", image=buf.getvalue(), image_mime="image/png", prompt="slow push-in",
        ratio="9:16", duration=5, attempt=attempt,
    )  # fmt: skip


def start_params(attempt: int = 0) -> dict:
    return {
        "modelId": MODEL_ID,
        "modelInput": {
            "taskType": "TEXT_VIDEO",
            "textToVideoParams": {"text": "slow push-in", "images": [{"format": "jpeg", "source": {"bytes": ANY}}]},
            "videoGenerationConfig": {"durationSeconds": 6, "fps": 24, "dimension": "1280x720"},
        },
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/runs/run-n1/video/nova-reel-{attempt}"}},
        "clientRequestToken": request_token("run-n1", attempt),
    }


def test_submit_starts_an_async_invoke_writing_into_the_artifacts_bucket(stubbed):
    nova, stub = stubbed
    # Given Bedrock accepting the documented start_async_invoke request
    stub.add_response("start_async_invoke", {"invocationArn": ARN}, start_params())
    # When the still is submitted
    task = nova.submit(request())
    # Then the invocation is the task, a 6 s clip costing 6 x $0.08
    assert (task.task_id, task.model, task.seconds, task.cost_usd) == (ARN, MODEL_ID, 6, 0.48)
    assert task.expected_seconds > 0


def test_the_request_token_is_stable_per_attempt_so_a_retry_is_deduplicated():
    assert request_token("run-n1", 0) == request_token("run-n1", 0)
    assert request_token("run-n1", 0) != request_token("run-n1", 1)
    assert request_token("run-n1", 0) != request_token("run-n2", 0)


def test_a_conflict_finds_the_invocation_already_started_with_the_same_token(stubbed):
    nova, stub = stubbed
    # Given a start that conflicts because this attempt already started an invocation
    stub.add_client_error(
        "start_async_invoke", "ConflictException", "duplicate request", expected_params=start_params()
    )
    stub.add_response(
        "list_async_invokes",
        {
            "asyncInvokeSummaries": [
                {
                    "invocationArn": ARN,
                    "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL_ID}",
                    "clientRequestToken": request_token("run-n1", 0),
                    "status": "InProgress",
                    "submitTime": datetime(2026, 11, 24, tzinfo=UTC),
                    "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/x"}},
                }
            ]
        },
        {"submitTimeAfter": ANY, "maxResults": 100},
    )
    # When submitted / Then the existing invocation is returned, not a second one
    assert nova.submit(request()).task_id == ARN


def test_throttling_on_start_is_provider_throttled(stubbed):
    nova, stub = stubbed
    stub.add_client_error(
        "start_async_invoke", "ThrottlingException", "Too many requests", expected_params=start_params()
    )
    with pytest.raises(ProviderThrottled, match="ThrottlingException"):
        nova.submit(request())


def _invoke(status: str, **extra) -> dict:
    return {
        "invocationArn": ARN,
        "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL_ID}",
        "status": status,
        "submitTime": datetime(2026, 11, 24, tzinfo=UTC),
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/runs/run-n1/video/nova-reel-0"}},
        **extra,
    }


def test_poll_maps_in_progress_completed_and_a_content_filter_failure(stubbed):
    nova, stub = stubbed
    stub.add_response("get_async_invoke", _invoke("InProgress"), {"invocationArn": ARN})
    stub.add_response("get_async_invoke", _invoke("Completed"), {"invocationArn": ARN})
    blocked = "This request has been blocked by our content filters."
    stub.add_response("get_async_invoke", _invoke("Failed", failureMessage=blocked), {"invocationArn": ARN})
    # When polled three times
    running, done, failed = (nova.poll(ARN) for _ in range(3))
    # Then: running without progress, the clip's key under the invocation id, a SAFETY failure with the reason
    assert (running.status, running.progress) == ("RUNNING", None)
    assert done.status == "SUCCEEDED"
    assert done.output_key == "runs/run-n1/video/nova-reel-0/abc123xyz/output.mp4"
    assert (failed.status, failed.failure_code, failed.failure) == ("FAILED", "SAFETY.NOVA_REEL", blocked)


def test_the_local_engine_refuses_nova_reel_with_a_clear_config_error():
    from hookforge.errors import ConfigError

    # Given the local stage with no Bedrock client injected
    local = Deps(settings=Settings(stage="local"))
    ctx = ProviderContext(settings=local.settings, store=ArtifactStore(None, BUCKET), client_factory=local.client)
    # When submitting / Then the error says why and what to use instead (a chain falls back on it)
    with pytest.raises(ConfigError, match="local engine"):
        NovaReelVideo(ctx).submit(request())
