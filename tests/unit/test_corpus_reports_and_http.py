"""The bad-input corpus, part two: report files and HTTP bodies get a clear answer, never a crash."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from functions.approval_api.app import lambda_handler as approval_handler
from functions.metrics_api import app as metrics_api
from functions.report_import import app as report_import
from hookforge.deps import Deps
from hookforge.local.approval_server import LocalLambdaContext, proxy_event
from tests.unit.approval_env import approval_env, stored_approval
from tests.unit.test_approval_api import link_path

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
REPORTS = sorted((CORPUS / "reports").iterdir())
APPROVAL_BODIES = sorted((CORPUS / "http").glob("approval-*"))
METRICS_BODIES = sorted((CORPUS / "http").glob("metrics-*"))


def _register_corpus_hook(deps: Deps) -> None:
    deps.metrics.put_hook({"hook_id": "hk-corpus0001", "run_id": "run-corpus0001", "brief": "spring"})


@pytest.mark.parametrize("path", REPORTS, ids=[p.name for p in REPORTS])
def test_bad_report_file_gets_an_import_report_with_reasons(aws, lambda_context, path: Path) -> None:  # type: ignore[no-untyped-def]
    # Given a registered hook and a bad report dropped under reports/
    deps = aws["deps"]
    _register_corpus_hook(deps)
    key = f"reports/meta/{path.name}"
    boto3.client("s3").put_object(Bucket=aws["bucket"], Key=key, Body=path.read_bytes())
    event = {"detail": {"bucket": {"name": aws["bucket"]}, "object": {"key": key}}}
    # When the upload event is handled
    report_import.lambda_handler(event, lambda_context)
    # Then an import report sits beside the file, every bad row with its line and reason, nothing imported
    stored = json.loads(boto3.client("s3").get_object(Bucket=aws["bucket"], Key=f"{key}.import.json")["Body"].read())
    assert stored["imported"] == 0
    assert stored["bad"], "a bad file must say what is wrong"
    for bad in stored["bad"]:
        assert isinstance(bad["line"], int) and len(bad["reason"]) > 8


def test_every_bad_row_kind_is_reported_on_its_own_line(aws, lambda_context) -> None:  # type: ignore[no-untyped-def]
    deps = aws["deps"]
    _register_corpus_hook(deps)
    key = "reports/meta/every-bad-row.csv"
    boto3.client("s3").put_object(
        Bucket=aws["bucket"], Key=key, Body=(CORPUS / "reports" / "every-bad-row.csv").read_bytes()
    )
    report_import.lambda_handler(
        {"detail": {"bucket": {"name": aws["bucket"]}, "object": {"key": key}}}, lambda_context
    )
    stored = json.loads(boto3.client("s3").get_object(Bucket=aws["bucket"], Key=f"{key}.import.json")["Body"].read())
    assert [b["line"] for b in stored["bad"]] == [2, 3, 4, 5, 6, 8]
    # line 7 names no hook id: an ordinary ad of the account, counted (its name kept as inert data), not a bad row
    assert (stored["not_hook_rows"], stored["not_hook_examples"]) == (1, ['=HYPERLINK("http://evil")'])


def _metrics_event(body: bytes) -> dict[str, Any]:
    return {
        "httpMethod": "POST",
        "path": "/metrics",
        "resource": "/metrics",
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {
            "httpMethod": "POST",
            "path": "/metrics",
            "requestId": "r",
            "stage": "v1",
            "identity": {"userArn": "arn:aws:iam::123456789012:user/ads"},
        },
        "body": body.decode("utf-8", "replace"),
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize("path", METRICS_BODIES, ids=[p.name for p in METRICS_BODIES])
def test_bad_metrics_body_gets_a_4xx_naming_the_problem(aws, lambda_context, path: Path) -> None:  # type: ignore[no-untyped-def]
    _register_corpus_hook(aws["deps"])
    response = metrics_api.lambda_handler(_metrics_event(path.read_bytes()), lambda_context)
    assert response["statusCode"] in (400, 413, 422), response
    body = json.loads(response["body"])
    assert body.get("message") or body.get("bad"), body


@pytest.fixture
def approval_deps() -> Iterator[Deps]:
    with approval_env() as deps:
        yield deps


@pytest.mark.parametrize("path", APPROVAL_BODIES, ids=[p.name for p in APPROVAL_BODIES])
def test_bad_approval_post_is_refused_and_decides_nothing(approval_deps: Deps, path: Path) -> None:
    record = stored_approval(approval_deps)
    with Stubber(approval_deps.client("stepfunctions")):  # any SendTask* call would fail the test
        headers = {"content-type": "application/x-www-form-urlencoded"}
        event = proxy_event("POST", link_path(approval_deps, record), headers, path.read_bytes(), "127.0.0.1")
        response = approval_handler(event, LocalLambdaContext())
    assert 400 <= response["statusCode"] < 500, response["statusCode"]
    assert "Traceback" not in response["body"] and "<h1>" in response["body"]
    assert not approval_deps.approvals.get(record.approval_id).decided


@pytest.mark.parametrize("path", REPORTS, ids=[p.name for p in REPORTS])
def test_bad_report_file_on_the_cli_is_one_clear_line(tmp_path: Path, path: Path) -> None:
    import subprocess
    import sys

    copy = tmp_path / path.name
    copy.write_bytes(path.read_bytes())
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookforge.cli",
            "metrics",
            "import",
            str(copy),
            "--platform",
            "meta",
            "--home",
            str(tmp_path / "home"),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output
    assert proc.returncode == 2 or "bad" in output, output
