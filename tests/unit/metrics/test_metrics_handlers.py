"""The metrics Lambdas on moto: POST /metrics, the reports/ drop, the stream -> EMF, GET /dashboard and /hooks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.dashboard import app as dashboard
from functions.metrics_api import app as metrics_api
from functions.metrics_stream import app as metrics_stream
from functions.report_import import app as report_import
from hookforge.metrics.store import MetricsStore
from tests.unit.metrics.support import fixture_text, seed_hooks


def _api(method: str, path: str, *, body: str | None = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "httpMethod": method,
        "path": path,
        "resource": path,
        "headers": {"content-type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None,
        "requestContext": {
            "httpMethod": method,
            "path": path,
            "requestId": "r-1",
            "stage": "v1",
            "identity": {"userArn": "arn:aws:iam::123456789012:user/ads"},
        },
        "body": body,
        "isBase64Encoded": False,
    }


@pytest.fixture
def seeded(aws: dict[str, Any]) -> MetricsStore:
    store: MetricsStore = aws["deps"].metrics
    seed_hooks(store)
    return store


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "the body is not JSON"),
        ("", "the body is not JSON"),
        ('["a list"]', "must be a JSON object"),
        ('{"platform": "meta", "rows": "nope"}', "non-empty list"),
        ('{"platform": "friendster", "rows": [{}]}', "unknown platform"),
    ],
)
def test_post_metrics_rejects_malformed_body_with_400(seeded, lambda_context, body: str, message: str) -> None:  # type: ignore[no-untyped-def]
    # When a malformed body is posted
    resp = metrics_api.lambda_handler(_api("POST", "/metrics", body=body), lambda_context)
    # Then it is a 400 naming what is wrong, and nothing was written
    assert resp["statusCode"] == 400
    assert message in json.loads(resp["body"])["message"]
    assert seeded.ranking("meta") == []


def test_post_metrics_imports_batch_and_lists_bad_rows(seeded, lambda_context) -> None:  # type: ignore[no-untyped-def]
    body = {
        "platform": "tiktok",
        "rows": [
            {
                "ad_name": "w | hk-00aa11bb22",
                "date": "2026-11-01",
                "impressions": 1000,
                "views_2s": 400,
                "views_6s": 90,
            },
            {"hook_id": "hk-00aa11bb22", "date": "yesterday", "impressions": 1, "views_2s": 0},
        ],
    }
    resp = metrics_api.lambda_handler(_api("POST", "/metrics", body=json.dumps(body)), lambda_context)
    report = json.loads(resp["body"])
    assert resp["statusCode"] == 200
    assert (report["imported"], report["bad_rows"]) == (1, 1)
    assert report["bad"][0]["line"] == 2 and "unparsable date" in report["bad"][0]["reason"]
    assert seeded.ranking("tiktok")[0]["plays"] == 400
    # and posting the same batch again changes nothing
    again = json.loads(
        metrics_api.lambda_handler(_api("POST", "/metrics", body=json.dumps(body)), lambda_context)["body"]
    )
    assert (again["imported"], again["unchanged"]) == (0, 1)
    assert seeded.ranking("tiktok")[0]["impressions"] == 1000


def test_post_metrics_with_only_bad_rows_is_422(seeded, lambda_context) -> None:  # type: ignore[no-untyped-def]
    body = {
        "platform": "meta",
        "rows": [{"hook_id": "hk-ffffffffff", "date": "2026-11-01", "impressions": 1, "plays_3s": 0}],
    }
    resp = metrics_api.lambda_handler(_api("POST", "/metrics", body=json.dumps(body)), lambda_context)
    assert resp["statusCode"] == 422
    assert json.loads(resp["body"])["bad"][0]["reason"].startswith("unknown hook hk-ffffffffff")


def _s3_event(bucket: str, key: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "e-1",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-24T10:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}},
    }


def test_report_drop_imports_and_stores_import_report_beside_it(aws, seeded, lambda_context) -> None:  # type: ignore[no-untyped-def]
    # Given a Meta export with bad rows dropped under reports/ (format detected from its header)
    store = aws["deps"].store
    store.put_bytes("reports/2026-11/meta-export.csv", fixture_text("meta_bad.csv").encode())
    # When the EventBridge event arrives
    out = report_import.lambda_handler(_s3_event(aws["bucket"], "reports/2026-11/meta-export.csv"), lambda_context)
    # Then the import report sits next to the file, with every bad line and reason
    assert out["report_key"] == "reports/2026-11/meta-export.csv.import.json"
    saved = store.get_json(out["report_key"])
    assert saved["platform"] == "meta" and saved["imported"] == 2
    assert [b["line"] for b in saved["bad"]] == [3, 5, 6, 7, 8]
    # (line 4 is an ordinary ad of the account, no hook id: counted and named, not a bad row)
    assert (saved["not_hook_rows"], saved["not_hook_examples"]) == (1, ["summer sale without id"])
    assert saved["definitions"]["hook_rate"] == "Meta hook rate = 3-second video plays ÷ impressions"
    # and the import report's own creation event is ignored, not imported
    skipped = report_import.lambda_handler(_s3_event(aws["bucket"], out["report_key"]), lambda_context)
    assert "skipped" in skipped


def test_report_drop_that_is_not_csv_still_gets_an_import_report(aws, seeded, lambda_context) -> None:  # type: ignore[no-untyped-def]
    aws["deps"].store.put_bytes("reports/tiktok/broken.csv", b"\xff\xfe\x00garbage")
    out = report_import.lambda_handler(_s3_event(aws["bucket"], "reports/tiktok/broken.csv"), lambda_context)
    saved = aws["deps"].store.get_json(out["report_key"])
    assert saved["imported"] == 0 and saved["bad"][0]["reason"].startswith("the file cannot be read")


def _stream_record(new: dict[str, Any] | None, old: dict[str, Any] | None) -> dict[str, Any]:
    def image(values: dict[str, Any]) -> dict[str, Any]:
        return {k: ({"N": str(v)} if isinstance(v, int | float) else {"S": v}) for k, v in values.items()}

    keys = new or old or {}
    ddb: dict[str, Any] = {"Keys": image({"pk": keys["pk"], "sk": keys["sk"]}), "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if new:
        ddb["NewImage"] = image(new)
    if old:
        ddb["OldImage"] = image(old)
    return {
        "eventID": "1",
        "eventName": "MODIFY" if old and new else "INSERT",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": ddb,
    }


def test_stream_emits_emf_deltas_per_platform(lambda_context, capsys) -> None:  # type: ignore[no-untyped-def]
    day = {"pk": "HOOK#hk-1a2b3c4d5e", "sk": "DAY#meta#2026-11-01#abc", "platform": "meta"}
    event = {
        "Records": [
            # a corrected day: 1000 -> 1200 impressions, 300 -> 330 plays
            _stream_record(
                {**day, "impressions": 1200, "plays": 330, "holds": 90, "clicks": 5, "spend": 2.5},
                {**day, "impressions": 1000, "plays": 300, "holds": 80, "clicks": 5, "spend": 2.0},
            ),
            _stream_record({"pk": "HOOK#hk-1a2b3c4d5e", "sk": "TOTAL#meta", "impressions": 9}, None),
        ]
    }
    out = metrics_stream.lambda_handler(event, lambda_context)
    assert out["platforms"] == ["meta"]
    docs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert len(docs) == 1
    doc = docs[0]
    assert doc["platform"] == "meta" and doc["service"] == "hookforge"
    # Powertools writes each value as a list of samples
    assert (doc["Impressions"], doc["HookPlays"], doc["Holds"], doc["Clicks"]) == ([200.0], [30.0], [10.0], [0.0])
    assert doc["Spend"] == [pytest.approx(0.5)]
    names = {m["Name"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert {"Impressions", "HookPlays", "Holds", "Spend"} <= names


def test_hooks_endpoint_returns_every_hook_ranked(aws, seeded, lambda_context) -> None:  # type: ignore[no-untyped-def]
    from hookforge.metrics.ingest import import_csv

    import_csv(seeded, fixture_text("meta_daily.csv"))
    resp = dashboard.lambda_handler(_api("GET", "/hooks", query={"platform": "meta"}), lambda_context)
    rows = json.loads(resp["body"])
    assert resp["statusCode"] == 200
    assert [r["hook_id"] for r in rows] == ["hk-1a2b3c4d5e", "hk-9f8e7d6c5b", "hk-00aa11bb22"]
    for key in (
        "hook_id",
        "platform",
        "impressions",
        "plays_3s",
        "hook_rate",
        "hook_rate_low",
        "hook_rate_high",
        "hold_rate",
        "verdict",
        "hook_rate_definition",
    ):
        assert key in rows[0]


def test_dashboard_endpoint_renders_html_and_rejects_bad_filters(aws, seeded, lambda_context) -> None:  # type: ignore[no-untyped-def]
    from hookforge.metrics.ingest import import_csv

    import_csv(seeded, fixture_text("meta_daily.csv"))
    resp = dashboard.lambda_handler(_api("GET", "/dashboard", query={"from": "2026-11-01"}), lambda_context)
    assert resp["statusCode"] == 200
    assert resp["multiValueHeaders"]["Content-Type"][0].startswith("text/html")
    assert 'id="target-line"' in resp["body"] and "hk-1a2b3c4d5e" in resp["body"]
    bad = dashboard.lambda_handler(_api("GET", "/dashboard", query={"from": "Nov 1"}), lambda_context)
    assert bad["statusCode"] == 400 and "from must be a date" in bad["body"]


def test_local_serve_handler_answers_dashboard_hooks_and_bad_filters(aws, seeded) -> None:  # type: ignore[no-untyped-def]
    import threading
    import urllib.error
    import urllib.request
    from http.server import ThreadingHTTPServer
    from types import SimpleNamespace

    from hookforge.metrics.cli import dashboard_handler
    from hookforge.metrics.ingest import import_csv

    # Given `hookforge dashboard --serve` on a free port, over the seeded tables
    import_csv(seeded, fixture_text("tiktok_daily.csv"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), dashboard_handler(SimpleNamespace(deps=aws["deps"])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        # When the browser asks for the page, the JSON and a bad filter
        with urllib.request.urlopen(f"{base}/?platform=tiktok") as resp:
            page = resp.read().decode()
        with urllib.request.urlopen(f"{base}/hooks?platform=tiktok") as resp:
            rows = json.loads(resp.read())
        with pytest.raises(urllib.error.HTTPError) as bad:
            urllib.request.urlopen(f"{base}/?platform=orkut")
    finally:
        server.shutdown()
        server.server_close()
    # Then the page and JSON are filtered to TikTok, and the bad filter is a 400 naming the choices
    assert 'data-platform="tiktok"' in page and 'data-platform="meta"' not in page
    assert rows[0]["hook_id"] == "hk-00aa11bb22" and rows[0]["platform"] == "tiktok"
    assert bad.value.code == 400
    bad.value.close()
