"""Security hardening of the approval path: Content-Length, ASCII-only numbers, one decision wins, private files."""

from __future__ import annotations

import dataclasses
import socket
import stat
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from functions.approval_api.app import lambda_handler
from hookforge.approval.signing import Signer
from hookforge.deps import Deps
from hookforge.errors import LinkTampered
from hookforge.local.approval_server import ApprovalServer, LocalLambdaContext, proxy_event
from tests.unit.approval_env import KEY, NOW, Clock, approval_env, stored_approval

HUGE = "9" * 5000


# ---------------------------------------------------------------------------------------------- helpers
@pytest.fixture
def served() -> Iterator[tuple[Deps, ApprovalServer]]:
    with approval_env(stage="local", base_url="http://unused") as deps, ApprovalServer(deps) as server:
        yield server.deps, server


def raw_request(server: ApprovalServer, head: bytes, body: bytes = b"", *, timeout: float = 10) -> int:
    """Send `head` (request line and headers, without the blank line) and `body`; the answer's status code."""
    host, port = urlsplit(server.base_url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head + b"\r\n\r\n" + body)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1."), answer[:200]
    return int(answer.split(b" ", 2)[1])


def post_head(path: str, *length_headers: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Content-Type: application/x-www-form-urlencoded"]
    return b"\r\n".join([*lines, *length_headers])


def link_path(deps: Deps, approval_id: str, expires_at: int) -> str:
    split = urlsplit(deps.signer.link("https://x.test", approval_id, expires_at))
    return f"{split.path}?{split.query}"


def call(method: str, path: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    """The real ApprovalApi Lambda handler (functions/approval_api/app.py), as API Gateway calls it."""
    body = urlencode(form).encode() if form is not None else b""
    headers = {"content-type": "application/x-www-form-urlencoded"} if form is not None else {}
    return lambda_handler(proxy_event(method, path, headers, body, "127.0.0.1"), LocalLambdaContext())


# ---------------------------------------------------------------------------------------------- 1. Content-Length
@pytest.mark.parametrize(
    ("header", "status"),
    [
        (b"Content-Length: -1", 400),
        (b"Content-Length: abc", 400),
        (b"Content-Length: \xc2\xb2", 400),  # "²" in UTF-8: str.isdigit() says yes, int() says no
        (b"Content-Length: +5", 400),
        (b"Content-Length: " + HUGE.encode(), 400),
        (b"Content-Length: 65537", 413),
        (b"Content-Length: 209715200", 413),  # 200 MB announced
    ],
)
def test_post_is_refused_before_reading_when_content_length_is_bad(served, header: bytes, status: int) -> None:  # type: ignore[no-untyped-def]
    # Given a running server and a bad Content-Length followed by more bytes than the cap
    deps, server = served
    record = stored_approval(deps)
    path = link_path(deps, record.approval_id, record.expires_at)
    # When it is posted
    answer = raw_request(server, post_head(path, header), b"x" * (70 * 1024))
    # Then the server answers at once with the status, and the approval stays open
    assert answer == status
    assert not deps.approvals.get(record.approval_id).decided


def test_post_is_refused_with_411_when_content_length_is_missing(served) -> None:  # type: ignore[no-untyped-def]
    # Given a POST without Content-Length (the body would be read to the end of the stream)
    deps, server = served
    record = stored_approval(deps)
    # When it is sent, Then it is refused with 411 Length Required
    assert raw_request(server, post_head(link_path(deps, record.approval_id, record.expires_at)), b"decision=x") == 411


def test_post_is_refused_when_content_length_headers_conflict(served) -> None:  # type: ignore[no-untyped-def]
    deps, server = served
    record = stored_approval(deps)
    head = post_head(link_path(deps, record.approval_id, record.expires_at), b"Content-Length: 3", b"Content-Length: 9")
    assert raw_request(server, head, b"a=b") == 400


def test_server_still_answers_after_hostile_content_lengths(served) -> None:  # type: ignore[no-untyped-def]
    # Given a server that has just refused a hostile request
    deps, server = served
    record = stored_approval(deps)
    raw_request(server, post_head("/approvals/x", b"Content-Length: -1"), b"y" * 1000)
    # When the real link is fetched, Then the page is served as before
    assert httpx.get(server.link_for(record), timeout=10).status_code == 200


def test_listen_backlog_holds_a_burst(served) -> None:  # type: ignore[no-untyped-def]
    _, server = served
    assert server._httpd is not None and server._httpd.request_queue_size >= 128


# ---------------------------------------------------------------------------------------------- 2. ASCII digits
@pytest.mark.parametrize("exp", ["²", "١٢٣", "1800003600²", HUGE, "-1", "0", "01800003600", " 1800003600"])
def test_verify_link_raises_tampered_when_expiry_is_not_ascii_digits(exp: str) -> None:
    # Given a signer and an expiry that is not a plain ASCII unix time
    signer = Signer(KEY)
    # When it is verified, Then it is LinkTampered (a 403), never a ValueError (a 500)
    with pytest.raises(LinkTampered):
        signer.verify_link("appr-1", exp, signer.link_signature("appr-1", NOW + 3600), now=NOW)


@pytest.mark.parametrize("issued", ["²", HUGE, "-5", "١٢٣"])
def test_verify_form_token_raises_tampered_when_issued_is_not_ascii_digits(issued: str) -> None:
    with pytest.raises(LinkTampered):
        Signer(KEY).verify_form_token("appr-1", f"{issued}.nonce.mac", now=NOW)


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("exp", ["²", "١٢٣", HUGE])
def test_handler_answers_403_when_link_expiry_has_unicode_or_huge_digits(method: str, exp: str) -> None:
    # Given a waiting approval and its link with a hostile expiry
    with approval_env() as deps:
        record = stored_approval(deps)
        sig = deps.signer.link_signature(record.approval_id, record.expires_at)
        path = f"/approvals/{record.approval_id}?" + urlencode({"exp": exp, "sig": sig})
        # When the real handler serves it
        response = call(method, path, {"decision": "pick-1"} if method == "POST" else None)
        # Then 403, not 500, and nothing is decided
        assert response["statusCode"] == 403
        assert not deps.approvals.get(record.approval_id).decided


@pytest.mark.parametrize("decision", ["pick-²", "pick-١", "pick-" + HUGE, "pick--1", "pick-+1", "pick-", "pick-1 "])
def test_handler_answers_400_when_pick_is_not_ascii_digits(decision: str) -> None:
    # Given a valid link and form token, and a pick that is not a plain ASCII number
    with approval_env() as deps:
        record = stored_approval(deps)
        token = deps.signer.form_token(record.approval_id, now=NOW)
        # When it is posted through the real handler
        path = link_path(deps, record.approval_id, record.expires_at)
        response = call("POST", path, {"decision": decision, "form_token": token})
        # Then 400, not 500, and the approval stays open
        assert response["statusCode"] == 400
        assert not deps.approvals.get(record.approval_id).decided


def test_handler_answers_403_when_form_token_issued_has_unicode_digits() -> None:
    with approval_env() as deps:
        record = stored_approval(deps)
        path = link_path(deps, record.approval_id, record.expires_at)
        response = call("POST", path, {"decision": "pick-1", "form_token": "².nonce.mac"})
        assert response["statusCode"] == 403


# ---------------------------------------------------------------------------------------------- 3. one decision wins
class CountingStepFunctions:
    """Step Functions that accepts every answer and counts them (thread-safe)."""

    def __init__(self) -> None:
        self.answers = 0
        self._lock = threading.Lock()

    def send_task_success(self, **_: Any) -> dict[str, Any]:
        with self._lock:
            self.answers += 1
        return {}

    send_task_failure = send_task_success


def test_one_of_twenty_simultaneous_picks_wins_when_served_by_the_local_engine(engine) -> None:  # type: ignore[no-untyped-def]
    # Given the local engine's moto, its approval server, and a Step Functions that accepts any answer
    sfn = CountingStepFunctions()
    deps = dataclasses.replace(engine.deps, clock=Clock(), overrides={**engine.deps.overrides, "stepfunctions": sfn})
    with ApprovalServer(deps) as server:
        for round_ in range(3):
            record = stored_approval(server.deps, approval_id=f"appr-race-{round_}")
            link = server.link_for(record)
            token = server.deps.signer.form_token(record.approval_id, now=NOW)
            form = {"decision": "pick-1", "form_token": token}
            start = threading.Barrier(20)
            statuses: list[int] = []

            def post(
                link: str = link,
                form: dict[str, str] = form,
                start: threading.Barrier = start,
                out: list[int] = statuses,
            ) -> None:
                start.wait()
                out.append(httpx.post(link, data=form, timeout=30).status_code)

            # When 20 reviewers post the same decision at the same moment
            threads = [threading.Thread(target=post) for _ in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            # Then exactly one wins, every other one is told it was already decided, and one answer is sent
            assert sorted(statuses) == [200] + [409] * 19, (round_, statuses)
            assert sfn.answers == round_ + 1


# ---------------------------------------------------------------------------------------------- 4. private files
def test_home_and_state_files_are_private_after_a_sync(engine) -> None:  # type: ignore[no-untyped-def]
    # Given the engine with an approval (a task token) in its table and an object in its bucket
    stored_approval(engine.deps)
    engine.deps.store.put_bytes("runs/run-1/record.json", b"{}", content_type="application/json")
    # When it mirrors its state to the home
    engine.sync()
    # Then the home is 0700 and every state file is 0600
    assert stat.S_IMODE(engine.home.stat().st_mode) == 0o700
    table = engine.home / "tables" / "hookforge-local-runs.json"
    bucket_file = engine.home / "bucket" / "runs" / "run-1" / "record.json"
    assert "APPROVAL#appr-1" in table.read_text()
    for path in (table, bucket_file, engine.home / "bucket" / "runs" / "run-1" / "candidates" / "0.png"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (engine.home / "tables", engine.home / "bucket", engine.home / "bucket" / "runs" / "run-1"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert not list((engine.home / ".tmp").iterdir())


def test_existing_open_home_is_tightened_when_the_engine_starts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Given a home written by an older engine: 0755 folders and 0644 files
    from hookforge.local import LocalEngine
    from tests.conftest import ROOT

    home = tmp_path / "home"
    (home / "bucket" / "runs").mkdir(parents=True)
    (home / "tables").mkdir()
    old_object = home / "bucket" / "runs" / "old.json"
    old_object.write_text("{}")
    old_table = home / "tables" / "hookforge-local-runs.json"
    old_table.write_text("[]")
    for path in (home, home / "bucket", home / "bucket" / "runs", home / "tables"):
        path.chmod(0o755)
    for path in (old_object, old_table):
        path.chmod(0o644)
    # When the engine starts on it
    with LocalEngine(home, root=ROOT, time_scale=0.01):
        pass
    # Then the home and its folders are 0700 and the files 0600
    for path in (home, home / "bucket", home / "bucket" / "runs", home / "tables"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
    for path in (old_object, old_table):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
