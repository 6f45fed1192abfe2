"""Hostile inputs from the hardening review: dashboard headers and Host, Rich markup in printed text, trailing
newlines, oversized stills, deep nesting, and manifest cells that used to crash StartRun."""

from __future__ import annotations

import http.client
import json
import re
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from functions.dashboard import app as dashboard
from functions.start_run import app as start_run
from hookforge.approval.page import SECURITY_HEADERS
from hookforge.deps import Deps
from hookforge.errors import BriefInvalid
from hookforge.metrics.dashboard import SCRIPT_HASH
from hookforge.models import Brief, ImagesSpec
from hookforge.steps.validate_brief import MAX_NESTING_DEPTH, parse_brief
from tests.conftest import tiny_brief

ROOT = Path(__file__).resolve().parents[2]
#: the approval page's security headers every dashboard response must carry (its Content-Type varies); the
#: dashboard's CSP is the page's plus exactly one script, its client-side filters, allowed by hash
_PAGE = {k: v for k, v in SECURITY_HEADERS.items() if k != "Content-Type"}
EXPECTED = {**_PAGE, "Content-Security-Policy": _PAGE["Content-Security-Policy"] + f"; script-src {SCRIPT_HASH}"}
assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]{43}='", SCRIPT_HASH)  # a hash: never 'unsafe-inline'


# --------------------------------------------------------------------------------------------- 1. dashboard
@pytest.fixture
def local_dashboard(aws: dict[str, Any]) -> Iterator[int]:
    from hookforge.metrics.cli import dashboard_handler

    server = ThreadingHTTPServer(("127.0.0.1", 0), dashboard_handler(SimpleNamespace(deps=aws["deps"])))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def _get(port: int, path: str, host: str) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode()
    finally:
        conn.close()


@pytest.mark.parametrize("host", ["evil.example:{port}", "attacker.test", "127.0.0.1:1", "", "localhost"])
def test_local_dashboard_refuses_a_rebinding_host(local_dashboard: int, host: str) -> None:
    # When a page rebinds its own name to 127.0.0.1 and asks for /hooks
    status, headers, body = _get(local_dashboard, "/hooks", host.format(port=local_dashboard))
    # Then nothing is read: a short refusal, still with the security headers
    assert status == 421 and "Host" in body and "hook_id" not in body
    assert all(headers.get(k) == v for k, v in EXPECTED.items())


@pytest.mark.parametrize(
    ("path", "status"), [("/", 200), ("/hooks", 200), ("/?platform=orkut", 400), ("/hooks?from=x", 400), ("/x", 404)]
)
def test_local_dashboard_sends_security_headers_on_every_status(local_dashboard: int, path: str, status: int) -> None:
    for host in (f"127.0.0.1:{local_dashboard}", f"localhost:{local_dashboard}", f"LOCALHOST:{local_dashboard}"):
        got, headers, _ = _get(local_dashboard, path, host)
        assert got == status
        assert all(headers.get(k) == v for k, v in EXPECTED.items()), headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


def _api(path: str, query: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "httpMethod": "GET",
        "path": path,
        "resource": path,
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None,
        "requestContext": {"httpMethod": "GET", "path": path, "requestId": "r-1", "stage": "v1", "identity": {}},
        "body": None,
        "isBase64Encoded": False,
    }


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [("/dashboard", None, 200), ("/hooks", None, 200), ("/dashboard", {"from": "Nov 1"}, 400), ("/nope", None, 404)],
)
def test_dashboard_lambda_sends_security_headers_on_every_status(
    aws, lambda_context, path: str, query: dict[str, str] | None, status: int
) -> None:
    resp = dashboard.lambda_handler(_api(path, query), lambda_context)
    assert resp["statusCode"] == status
    headers = {k: v[0] for k, v in resp["multiValueHeaders"].items()}
    assert all(headers.get(k) == v for k, v in EXPECTED.items()), headers


# --------------------------------------------------------------------------------------------- 2. Rich markup
MARKUP = "[/bold] x [red]boom[/red] [/]"


def test_main_prints_an_error_with_markup_literally(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    import hookforge.cli as cli

    def fail() -> None:
        raise BriefInvalid(f"brief {MARKUP}: bad owner")

    # Given a named error whose message carries Rich markup (from a brief name, an owner, an ad name ...)
    monkeypatch.setattr(cli, "app", fail)
    # When main() prints it
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    # Then it exits 1 as before, printing the text literally (no MarkupError traceback)
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "BriefInvalid" in err and MARKUP in err and "MarkupError" not in err


def test_effects_with_markup_in_text_and_focus_prints_the_error_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    import hookforge.cli as cli

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not used: the focus is refused first")
    focus = "[red]left[/bold]"
    args = ["hookforge", "effects", str(clip), "--text", "[/bold] x", "--focus", focus, "--out", str(tmp_path / "o")]
    monkeypatch.setattr("sys.argv", args)
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert "EffectsInvalid" in err and focus in err and "MarkupError" not in err


def test_metrics_import_and_report_print_ad_names_with_markup_literally(tmp_path: Path) -> None:
    from hookforge.cli import app

    # Given a Meta export whose ad name holds markup and no hook id (a bad row, printed with its reason)
    report = tmp_path / "meta[red].csv"
    report.write_text(
        "Reporting starts,Reporting ends,Ad name,Day,Impressions,3-second video plays,ThruPlays,Amount spent (USD)\n"
        "2026-11-20,2026-11-20,[/bold] x [red],2026-11-20,100,10,5,1.00\n",
        encoding="utf-8",
    )
    home = str(tmp_path / "home")
    # When it is imported and the report printed
    imported = CliRunner().invoke(app, ["metrics", "import", str(report), "--platform", "meta", "--home", home])
    table = CliRunner().invoke(app, ["metrics", "report", "--home", home])
    # Then both exit 0 as before, and the ad name and the file name are printed literally
    assert imported.exit_code == 0, imported.output
    assert imported.exception is None
    assert "[/bold] x [red]" in imported.output and "meta[red].csv" in imported.output
    assert table.exit_code == 0 and table.exception is None


# --------------------------------------------------------------------------------------------- 3. regexes
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "name\n"}, "name"),
        ({"owner": "a@b.co\n"}, "owner"),
        ({"selection": {"reviewers": ["a@b.co\n"]}}, "selection.reviewers"),
        ({"effects": {"music": "audio/drop.mp3\n"}}, "effects.music"),
        ({"images": {"size": "1024x1024\n"}}, "images.size"),
    ],
)
def test_brief_field_with_trailing_newline_is_rejected(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        Brief.model_validate(tiny_brief(**overrides))
    assert field in ".".join(str(p) for p in err.value.errors()[0]["loc"])
    with pytest.raises(BriefInvalid, match=field.replace(".", r"\.")):
        parse_brief(json.dumps(tiny_brief(**overrides)).encode(), source="briefs/b.json")


def test_caption_colour_with_trailing_newline_is_rejected() -> None:
    from hookforge.effects import specs

    with pytest.raises(ValidationError, match="colour"):
        specs.TextSpec(color="white\n")
    with pytest.raises(ValidationError, match="colour"):
        specs.CaptionsSpec(color="#FFFFFF\n")


# --------------------------------------------------------------------------------------------- 4. image size
@pytest.mark.parametrize("size", ["9999x9999", "4097x1024", "1024x5000"])
def test_images_size_over_the_limit_is_rejected_at_validation(size: str) -> None:
    with pytest.raises(ValidationError, match="images.size"):
        ImagesSpec(size=size)
    with pytest.raises(BriefInvalid, match="4096"):
        parse_brief(json.dumps(tiny_brief(images={"size": size})).encode(), source="briefs/b.json")


def test_images_size_in_non_ascii_digits_is_rejected() -> None:
    with pytest.raises(ValidationError, match="images.size"):
        ImagesSpec(size="１０２４x1024")


def test_images_size_at_the_limit_is_accepted() -> None:
    assert ImagesSpec(size="4096x4096").size == "4096x4096"
    assert ImagesSpec(size="256x448").size == "256x448"


# --------------------------------------------------------------------------------------------- 5. deep nesting
def _deep_json(depth: int) -> str:
    return '{"name": "deep", "tags": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize(
    ("source", "text"),
    [
        ("briefs/deep.json", _deep_json(5000)),
        ("briefs/deep.yaml", "name: deep\ntags: " + "[" * 5000 + "]" * 5000 + "\n"),
        ("briefs/deep.yml", "name: deep\ntags:\n" + "".join(" " * i + "- \n" for i in range(1, 600))),
        ("briefs/deep.yaml", "name: deep\ntags: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"),
    ],
)
def test_parse_brief_nested_5000_deep_is_brief_invalid(source: str, text: str) -> None:
    with pytest.raises(BriefInvalid, match=f"depth limit is {MAX_NESTING_DEPTH}"):
        parse_brief(text.encode(), source=source)


def test_parse_brief_brackets_inside_strings_do_not_count_as_depth() -> None:
    brief = tiny_brief(idea='[[[{{{ "quoted" \\" ' + "[" * 200)
    assert parse_brief(json.dumps(brief).encode(), source="b.json").idea.startswith("[[[{{{")
    assert parse_brief(("name: ok\nidea: '" + "[" * 200 + "'\n").encode(), source="b.yaml").name == "ok"


@pytest.fixture
def many_slots(sfn_arn: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The state machine (tests/conftest.py), with room for every manifest row to start at once."""
    monkeypatch.setenv("MAX_ACTIVE_RUNS", "50")
    Deps.reset()
    return sfn_arn


def _put(aws: dict[str, Any], key: str, body: bytes) -> dict[str, Any]:
    s3 = boto3.client("s3")
    s3.put_object(Bucket=aws["bucket"], Key=key, Body=body)
    head = s3.head_object(Bucket=aws["bucket"], Key=key)
    return {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {
            "bucket": {"name": aws["bucket"]},
            "object": {"key": key, "size": head["ContentLength"], "etag": head["ETag"].strip('"')},
        },
    }


@pytest.mark.parametrize("key", ["briefs/deep.json", "briefs/deep.yaml"])
def test_start_run_with_a_brief_nested_5000_deep_writes_the_error_file(aws, many_slots, lambda_context, key) -> None:
    result = start_run.lambda_handler(_put(aws, key, _deep_json(5000).encode()), lambda_context)
    assert result["outcome"] == "rejected" and result["executions"] == []
    error = aws["deps"].store.get_json(f"{key}.error.json")
    assert error["error"] == "BriefInvalid" and f"depth limit is {MAX_NESTING_DEPTH}" in error["message"]


def test_start_run_with_a_jsonl_line_nested_5000_deep_rejects_that_line_only(aws, many_slots, lambda_context) -> None:
    body = "\n".join([json.dumps(tiny_brief(name="j-1")), _deep_json(5000), json.dumps(tiny_brief(name="j-2"))])
    result = start_run.lambda_handler(_put(aws, "briefs/deep.jsonl", body.encode()), lambda_context)
    assert len(result["executions"]) == 2
    report = aws["deps"].store.get_json("briefs/deep.jsonl.error.json")
    assert [r["line"] for r in report["rows"]] == [2]
    assert f"depth limit is {MAX_NESTING_DEPTH}" in report["rows"][0]["message"]


# --------------------------------------------------------------------------------------------- 6. manifests
@pytest.mark.parametrize(
    ("header", "good", "bad_row", "reason"),
    [
        ("name,images,images.count", "m-{i},,2", "m-bad,x,2", "conflicts with column 'images'"),
        ("name,images.count,images", "m-{i},2,", "m-bad,2,x", "conflicts with the columns 'images.*'"),
        ("name,images.count", "m-{i},2", "m-bad,²", "images.count"),
        ("name,images.count", "m-{i},2", "m-bad,٣", "images.count"),
    ],
)
def test_start_run_csv_manifest_with_a_crashing_cell_rejects_that_row_only(
    aws, many_slots, lambda_context, header: str, good: str, bad_row: str, reason: str
) -> None:
    # Given a manifest whose line 3 used to raise TypeError / ValueError inside StartRun
    body = "\n".join([header, good.format(i=1), bad_row, good.format(i=2)])
    # When it is uploaded
    result = start_run.lambda_handler(_put(aws, "briefs/crash.csv", body.encode()), lambda_context)
    # Then the other rows start and the bad one is reported with its line and reason
    assert len(result["executions"]) == 2, result
    report = aws["deps"].store.get_json("briefs/crash.csv.error.json")
    assert [r["line"] for r in report["rows"]] == [3]
    assert reason in report["rows"][0]["message"]


def test_an_unterminated_quote_is_reported_instead_of_swallowing_the_lines_after_it() -> None:
    from hookforge.metrics.ingest import parse_csv

    # Given a report whose second data row opens a quote it never closes
    text = (
        "hook_id,date,impressions,plays_3s\n"
        "hk-aaaaaaaaaa,2026-11-01,100,30\n"
        'hk-bbbbbbbbbb,"2026-11-01,100,30\n'
        "hk-cccccccccc,2026-11-01,100,30\n"
        "hk-dddddddddd,2026-11-01,100,30\n"
    )
    # When it is parsed
    _, parsed = parse_csv(text, "generic")
    # Then the first row lands and the broken one is a bad row naming the quote and the lines it swallowed
    assert [row.hook_id for row in parsed.rows] == ["hk-aaaaaaaaaa"]
    assert len(parsed.bad) == 1 and parsed.bad[0].line == 3
    assert "unterminated quote on line 3" in parsed.bad[0].reason and "4-5" in parsed.bad[0].reason


def test_run_refuses_an_out_folder_inside_the_local_bucket(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hookforge.cli import app
    from hookforge.errors import ConfigError

    home = tmp_path / "home"
    result = CliRunner().invoke(app, ["demo", "--home", str(home), "--out", str(home / "bucket" / "hooks")])
    assert isinstance(result.exception, ConfigError) and "inside the local state's bucket" in str(result.exception)
    assert not (home / "bucket" / "hooks").exists()
