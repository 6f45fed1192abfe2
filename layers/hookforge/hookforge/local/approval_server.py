"""The approval page on a laptop: the SAME ApprovalApi handler, served on 127.0.0.1 at a free port.

Each HTTP request becomes an API Gateway (REST, proxy) event for `functions.approval_api.app`, so the
page, the signatures and the single-use decision are exactly what runs in AWS. Candidate images are
served from the artifacts bucket under `/media/` (a laptop has no reachable S3 endpoint for presigned URLs).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
import threading
import uuid
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from hookforge.approval.records import ApprovalRecord, Decision
from hookforge.deps import LOCAL_MEDIA_PREFIX, Deps
from hookforge.errors import RequestBodyRefused
from hookforge.local.engine import Chooser, LocalEngine
from hookforge.observability import logger

#: keys the media route may serve (candidate stills, uploads, contact sheets, thumbnails)
_MEDIA_PREFIXES = ("runs/", "uploads/")
_MAX_BODY = 64 * 1024
#: a Content-Length this server reads: ASCII digits only (no sign, no "²"), short enough to compare cheaply
_CONTENT_LENGTH = re.compile(r"[0-9]{1,12}")


def body_length(method: str, values: list[str]) -> int:
    """How many body bytes to read, from the request's Content-Length header(s), checked BEFORE any read.

    411 for a POST without one; 400 for a negative, non-numeric, non-ASCII or repeated-and-different value;
    413 for a body over the cap. Transfer-Encoding is not supported (the page's form always sends a length).
    """
    distinct = {value.strip() for value in values}
    if not distinct:
        if method == "POST":
            raise RequestBodyRefused(411, "a POST needs a Content-Length")
        return 0
    if len(distinct) > 1:
        raise RequestBodyRefused(400, "conflicting Content-Length headers")
    value = distinct.pop()
    if not _CONTENT_LENGTH.fullmatch(value):
        raise RequestBodyRefused(400, "Content-Length is not a number of bytes")
    length = int(value)
    if length > _MAX_BODY:
        raise RequestBodyRefused(413, "request too large")
    return length


class _Server(ThreadingHTTPServer):
    """A burst of requests (a double-clicking reviewer, a scanner) waits in the listen backlog, not reset."""

    request_queue_size = 128
    daemon_threads = True


@dataclass
class LocalLambdaContext:
    """Enough of a Lambda context for Powertools' decorators."""

    function_name: str = "ApprovalApiFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:ApprovalApiFunction"
    memory_limit_in_mb: int = 512
    aws_request_id: str = ""
    log_group_name: str = "/aws/lambda/ApprovalApiFunction"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


def proxy_event(method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str) -> dict[str, Any]:
    """An API Gateway REST proxy event for `/approvals/{approval_id}`, as API Gateway would send it."""
    parts = urlsplit(raw_path)
    path = unquote(parts.path)
    multi_query = parse_qs(parts.query, keep_blank_values=True)
    segments = path.strip("/").split("/")
    is_approval = len(segments) == 2 and segments[0] == "approvals"
    resource = "/approvals/{approval_id}" if is_approval else path
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": {"approval_id": segments[1]} if is_approval else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,
            "stage": "local",
            "requestId": request_id,
            "identity": {"sourceIp": source_ip},
        },
        "body": body.decode("utf-8", "replace") if body else None,
        "isBase64Encoded": False,
    }


class ApprovalServer:
    """Serves the approval page on `127.0.0.1:<free port>` in a background thread.

    `with ApprovalServer(deps) as server:` sets the approval base URL (so RequestSelection's links point
    here) and makes `deps` the handlers' process-wide Deps.
    """

    def __init__(self, deps: Deps | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.deps = deps or Deps.current()
        self.host = host
        self.port = port
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._given = self.deps
        self._previous: Deps | None = None

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the approval server is not running; use it as a context manager")
        return f"http://{self.host}:{self._httpd.server_address[1]}"

    def start(self) -> ApprovalServer:
        self._httpd = _Server((self.host, self.port), _handler_for(self))
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="approval-server", daemon=True)
        self._thread.start()
        # RequestSelection signs links against this base URL: the handlers reach a Deps whose settings say so
        self.deps = self._given.with_settings(approval_base_url=self.base_url)
        self._previous = Deps.install(self.deps)
        # build the lazily made clients and adapters now: a burst of first requests would race to build them
        # (boto3 clients/resources are not built thread-safely; in AWS each Lambda handles one request at a time)
        for name in ("store", "approvals", "signer", "links"):
            getattr(self.deps, name)
        self.deps.client("stepfunctions")
        _approval_handler()
        logger.info("approval server listening", extra={"base_url": self.base_url})
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._previous is not None or Deps.installed() is self.deps:
            Deps.install(self._previous)
        self.deps = self._given

    def __enter__(self) -> ApprovalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def link_for(self, record: ApprovalRecord) -> str:
        return self.deps.signer.link(self.base_url, record.approval_id, record.expires_at)

    def chooser(self, *, open_browser: bool = False, announce: Callable[[str], None] | None = None) -> Chooser:
        """A chooser for `LocalEngine.run`: shows the link once per approval, then waits for the page's POST."""
        say = announce or (lambda line: sys.stderr.write(line + "\n"))
        announced: set[str] = set()

        def choose(engine: LocalEngine, record: ApprovalRecord) -> Decision | None:
            if record.approval_id not in announced:
                announced.add(record.approval_id)
                link = self.link_for(record)
                say(f"Pick a candidate for run {record.run_id} (round {record.round + 1}): {link}")
                if open_browser:
                    webbrowser.open(link)
            return None  # the page's POST answers the task itself

        return choose

    # ------------------------------------------------------------------------------ request handling
    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes, source_ip: str
    ) -> dict[str, Any]:
        event = proxy_event(method, raw_path, headers, body, source_ip)
        context = LocalLambdaContext(aws_request_id=event["requestContext"]["requestId"])
        return _approval_handler()(event, context)

    def media(self, raw_path: str) -> tuple[int, str, bytes]:
        key = unquote(urlsplit(raw_path).path)[len(LOCAL_MEDIA_PREFIX) :]
        if ".." in key.split("/") or not key.startswith(_MEDIA_PREFIXES):
            return 404, "text/plain", b"not found"
        head = self.deps.store.head(key)
        ctype = str((head or {}).get("ContentType", ""))
        if head is None or not ctype.startswith("image/"):
            return 404, "text/plain", b"not found"
        return 200, ctype, self.deps.store.get_bytes(key)


def _approval_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """`functions/approval_api/app.py:lambda_handler`, imported as a package or from the source tree."""
    try:
        module = importlib.import_module("functions.approval_api.app")
    except ModuleNotFoundError:
        path = Path(__file__).resolve().parents[4] / "functions" / "approval_api" / "app.py"
        spec = importlib.util.spec_from_file_location("hookforge_local_approval_api", path)
        if spec is None or spec.loader is None:
            raise
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module.lambda_handler


def _handler_for(server: ApprovalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "hookforge-approval"
        sys_version = ""
        timeout = 30  # a client that stops sending mid-request frees its thread (stdlib: socket timeout)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            # the default logs the full URL (with its signature) to stderr: log the path only
            logger.debug("approval http", extra={"method": self.command, "path": urlsplit(self.path).path})

        def _send(self, status: int, headers: dict[str, str], body: bytes, *, close: bool = False) -> None:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if close:  # an unread body must not be parsed as the next request
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _proxy(self) -> None:
            try:
                length = body_length(self.command, self.headers.get_all("Content-Length") or [])
            except RequestBodyRefused as refused:
                extra = {"method": self.command, "status": refused.status, "reason": str(refused)}
                logger.warning("approval http refused", extra=extra)
                self._send(refused.status, {"Content-Type": "text/plain"}, str(refused).encode(), close=True)
                return
            body = self.rfile.read(length) if length else b""  # never more than the checked length
            if len(body) < length:  # the client closed early: nothing to answer
                self.close_connection = True
                return
            response = server.handle(self.command, self.path, dict(self.headers.items()), body, self.client_address[0])
            headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
            for name, values in (response.get("multiValueHeaders") or {}).items():
                headers.setdefault(name, str(values[-1]))
            self._send(int(response["statusCode"]), headers, str(response.get("body") or "").encode())

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            if self.path.startswith(LOCAL_MEDIA_PREFIX):
                status, ctype, data = server.media(self.path)
                self._send(status, {"Content-Type": ctype, "Cache-Control": "no-store"}, data)
            else:
                self._proxy()

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            self._proxy()

    return Handler
