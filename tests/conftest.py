"""Shared fixtures: moto-backed AWS with the template's bucket and tables, tiny briefs, the local engine."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _default_session_sharing_models(**kwargs: Any) -> None:
    """moto drops boto3's default session at every mock_aws start, and each new default session would parse
    botocore's models again (about 0.1 s a client): the tests' own clients read them through hookforge's shared
    loader, as hookforge's do."""
    from hookforge.sessions import boto_session

    boto3.DEFAULT_SESSION = boto_session(**kwargs)


boto3.setup_default_session = _default_session_sharing_models


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `long` first (in file order), so that under xdist none of them starts near the end of the
    run and keeps one worker busy while the others have nothing left to take."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


def write_clip(path: Path, *, size: str = "180x320", seconds: float = 2.0, pattern: str = "testsrc") -> Path:
    """A real H.264 clip (yuv420p, 30 fps, faststart) from an ffmpeg test pattern: a provider's video, in tests."""
    from hookforge.media import run_ffmpeg

    run_ffmpeg(
        ["-y", "-f", "lavfi", "-i", f"{pattern}=size={size}:rate=30:duration={seconds}", "-c:v", "libx264"]
        + ["-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)]
    )
    return path


def create_resources(bucket: str, *, runs_table: str, metrics_table: str | None = None) -> None:
    """Inside moto: the artifacts bucket and the tables, keyed exactly as template.yaml declares them."""
    from hookforge.local import template as tpl

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
    names = {"RunsTable": runs_table, "MetricsTable": metrics_table}
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    for logical_id, kwargs in tpl.tables(tpl.load_template(ROOT / "template.yaml")).items():
        if names.get(logical_id):
            ddb.create_table(TableName=names[logical_id], **kwargs)


#: the environment of a handler under moto: fake credentials, the artifacts bucket and the tables
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "ARTIFACTS_BUCKET": "hf-test-artifacts",
    "RUNS_TABLE": "hf-test-runs",
    "METRICS_TABLE": "hf-test-metrics",
    "HOOKFORGE_STAGE": "local",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto for every AWS call, with the artifacts bucket and the template's tables; fresh Deps per test."""
    from moto import mock_aws

    from hookforge.deps import Deps

    env = AWS_TEST_ENV
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        create_resources(env["ARTIFACTS_BUCKET"], runs_table=env["RUNS_TABLE"], metrics_table=env["METRICS_TABLE"])
        Deps.reset()
        yield {"bucket": env["ARTIFACTS_BUCKET"], "deps": Deps.current(), **env}
        Deps.reset()


class FakeContext:
    function_name = "hookforge-test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:hookforge-test"
    memory_limit_in_mb = 512
    aws_request_id = "test-request"
    log_group_name = "/aws/lambda/hookforge-test"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


@pytest.fixture
def lambda_context() -> FakeContext:
    return FakeContext()


def tiny_brief(**overrides: Any) -> dict[str, Any]:
    """A brief that renders fast: small stills, a 2 s clip, one aspect."""
    brief: dict[str, Any] = {
        "name": "tiny-test",
        "idea": "neon sneaker energy",
        "images": {"provider": "placeholder", "count": 2, "size": "256x448"},
        "video": {"providers": ["kenburns"], "duration": 2, "ratio": "9:16"},
        "effects": {"preset": "clean", "aspects": ["9:16"]},
        "selection": {"timeout_hours": 1, "max_rounds": 1},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(brief.get(key), dict):
            brief[key] = {**brief[key], **value}
        else:
            brief[key] = value
    return brief


@pytest.fixture
def write_brief(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(brief: dict[str, Any] | str, name: str = "brief.json") -> Path:
        path = tmp_path / name
        path.write_text(brief if isinstance(brief, str) else json.dumps(brief))
        return path

    return write


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Any]:
    from hookforge.local import LocalEngine

    with LocalEngine(tmp_path / "home", root=ROOT, time_scale=0.01) as running:
        yield running


@pytest.fixture
def sfn_arn(aws, monkeypatch: pytest.MonkeyPatch) -> str:  # type: ignore[no-untyped-def]
    """The pipeline's state machine created in moto from the ASL file, its ARN in the environment (StartRun's)."""
    sfn = boto3.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="hookforge-test",
        definition=(ROOT / "statemachine" / "hook_pipeline.asl.json").read_text(),
        roleArn="arn:aws:iam::123456789012:role/x",
    )["stateMachineArn"]
    monkeypatch.setenv("STATE_MACHINE_ARN", arn)
    from hookforge.deps import Deps

    Deps.reset()
    return str(arn)



@pytest.fixture(autouse=True, scope="session")
def _local_services_stop_with_the_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands under test start local services (one per home, also from `hookforge` subprocesses); every one
    under the session's temp folder stops when the session ends, and any left behind by a crashed session stops
    itself after five idle minutes."""
    import os

    from hookforge.local.client import ServiceClient, stop_started

    os.environ.setdefault("HOOKFORGE_SERVICE_IDLE", "300")
    yield
    stop_started()
    for state in tmp_path_factory.getbasetemp().rglob("service.json"):
        client = ServiceClient.running(state.parent)
        if client is not None:
            client.stop()
