"""The local service: one background process per home that owns its state and runs its executions.

The first command that needs the local engine starts it (`hookforge.local.client.ServiceClient.ensure`); every
CLI command is its client. The service:
- holds the engine (moto's backends with the state machine, tables and bucket, loaded from the home) and serves
  them to clients as moto's own server does, on 127.0.0.1: a client is plain boto3 with `endpoint_url`;
- alone persists the state: after every task (the engine's sync) and, for clients' writes, within half a second
  (atomic writes, owner-only modes);
- runs executions in its own threads, so they outlive the terminal that started them;
- serves the approval page and the dashboard;
- stops on `hookforge stop`, on SIGTERM, when its home is removed, or after `HOOKFORGE_SERVICE_IDLE` seconds
  (default 900) with no request and no execution running.

Only the owner can talk to it: requests must carry the service's key (its AWS access key id for boto3 clients,
the `X-Hookforge-Key` header for the control routes), which lives in `<home>/service.json`, mode 0600.
`service.lock` (an flock held for the process's life) guarantees one service per home.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import os
import re
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from importlib import import_module
from pathlib import Path
from typing import Any

from hookforge.errors import HookforgeError
from hookforge.local.environment import write_private

STATE_FILE = "service.json"
LOCK_FILE = "service.lock"
CONTROL_PREFIX = "/_hookforge/"
KEY_HEADER = "X-Hookforge-Key"
DEFAULT_IDLE_SECONDS = 900.0
#: seconds between mirrors of clients' writes while they keep writing
SYNC_INTERVAL = 3.0
#: a mirror rewrites whole tables, so it takes longer as they grow: while clients keep writing, mirrors are spaced
#: so that they take at most this share of the service's time (a 100 000-row import into an empty home spent half
#: of it mirroring every 3 s). Commands that need their writes on disk ask for `sync` before they exit.
MIRROR_SHARE = 0.1
#: DynamoDB / Step Functions / Secrets Manager operations that change nothing (X-Amz-Target: <prefix>.<Operation>)
_READ_OPERATION = re.compile(r"\.(Get|Describe|List|Query|Scan|BatchGet)[A-Za-z]*\Z")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")

StartResponse = Callable[..., Any]


class Service:
    def __init__(self, home: Path, *, idle_seconds: float = DEFAULT_IDLE_SECONDS, time_scale: float = 1.0) -> None:
        self.home = home.resolve()
        self.idle_seconds = idle_seconds
        self.time_scale = time_scale
        self.key = "HF" + secrets.token_hex(9).upper()  # an access-key-shaped secret
        self.engine: Any = None
        self._moto_app: Any = None
        self._stop = threading.Event()
        self._dirty = threading.Event()
        self._last_activity = time.monotonic()
        self._servers: list[Any] = []

    # ------------------------------------------------------------------------------ lifecycle
    def run(self) -> int:
        """Serve until stopped. 0 when another service already holds this home (nothing to do)."""
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(self.home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            return 0
        try:
            self._serve()
        finally:
            (self.home / STATE_FILE).unlink(missing_ok=True)
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
        return 0

    def _serve(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        from hookforge.local import fast_reads
        from hookforge.local.approval_server import ApprovalServer
        from hookforge.local.engine import LocalEngine

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # its access log would hold every request's path
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: self._stop.set())
        with LocalEngine(self.home, time_scale=self.time_scale) as engine:
            self.engine = engine
            fast_reads.install()  # reads of many items answered as JSON directly (see the module)
            self._moto_app = DomainDispatcherApplication(create_backend_app)
            aws = make_server("127.0.0.1", 0, self._app, threaded=True)
            self._servers.append(aws)
            threading.Thread(target=aws.serve_forever, name="service-aws", daemon=True).start()
            approval = ApprovalServer(engine.deps).start()  # installs the Deps every handler uses
            _preload(engine)
            dashboard = _dashboard_server(engine)
            threading.Thread(target=dashboard.serve_forever, name="service-dashboard", daemon=True).start()
            self._servers.append(dashboard)
            state = {
                "pid": os.getpid(),
                "endpoint": f"http://127.0.0.1:{aws.server_port}",
                "approval_url": approval.base_url,
                "dashboard_url": f"http://127.0.0.1:{dashboard.server_address[1]}",
                "key": self.key,
                "started_at": time.time(),
            }
            write_private(self.home / STATE_FILE, json.dumps(state).encode())
            print(f"hookforge service for {self.home} at {state['endpoint']}", flush=True)  # noqa: T201 - its log
            try:
                self._watch()
            finally:
                (self.home / STATE_FILE).unlink(missing_ok=True)
                for server in self._servers:
                    server.shutdown()
                approval.stop()
                engine.sync()

    def _watch(self) -> None:
        """Persist clients' writes, and stop when asked, idle, or orphaned."""
        last_sync, mirror_seconds = 0.0, 0.0
        while not self._stop.wait(0.5):
            # a mirror rewrites whole tables: a client writing steadily (an import) is mirrored every few seconds,
            # not after every batch, and never for more than MIRROR_SHARE of the time; a command that needs its
            # writes on disk asks for `sync` before it exits
            spacing = max(SYNC_INTERVAL, mirror_seconds / MIRROR_SHARE)
            if self._dirty.is_set() and time.monotonic() - last_sync >= spacing:
                self._dirty.clear()
                started = time.monotonic()
                self.engine.sync()
                last_sync = time.monotonic()
                mirror_seconds = last_sync - started
            if not self.home.is_dir():
                return  # the home was removed under us: nothing left to serve or persist
            if time.monotonic() - self._last_activity > self.idle_seconds and not self._executions_running():
                return

    def _executions_running(self) -> bool:
        sfn = self.engine.deps.client("stepfunctions")
        page = sfn.list_executions(stateMachineArn=self.engine.state_machine_arn, statusFilter="RUNNING")
        return bool(page.get("executions"))

    # ------------------------------------------------------------------------------ requests
    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self._last_activity = time.monotonic()
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(environ, start_response)
        credential = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if credential is None or not secrets.compare_digest(credential.group(1), self.key):
            return _json(start_response, 403, {"error": "Forbidden", "message": "not this service's key"})
        if _writes(environ):
            self._dirty.set()
        return self._moto_app(environ, start_response)

    def _control(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not secrets.compare_digest(environ.get("HTTP_X_HOOKFORGE_KEY", ""), self.key):
            return _json(start_response, 403, {"error": "Forbidden", "message": "not this service's key"})
        action = environ["PATH_INFO"][len(CONTROL_PREFIX) :]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(min(length, 1 << 20)) or b"{}") if length else {}
            if not isinstance(body, dict):
                raise ValueError("a JSON object")
        except ValueError:
            return _json(start_response, 400, {"error": "BadRequest", "message": "the body must be a JSON object"})
        try:
            result = self._dispatch(action, body)
        except HookforgeError as e:
            status = 404 if e.name == "RunNotFound" else 409
            return _json(start_response, status, e.to_dict())
        if result is None:
            return _json(start_response, 404, {"error": "NotFound", "message": f"no control action {action!r}"})
        return _json(start_response, 200, result)

    def _dispatch(self, action: str, body: dict[str, Any]) -> dict[str, Any] | None:
        engine = self.engine
        if action == "ping":
            return {"pid": os.getpid(), "home": str(self.home)}
        if action == "start":
            run_id, arn = engine.start(str(body["brief_key"]), run_id=body.get("run_id"))
            return {"run_id": run_id, "execution_arn": arn}
        if action == "resume":
            run_id, arn = engine.resume(str(body.get("run_id", "")))
            return {"run_id": run_id, "execution_arn": arn}
        if action == "running":
            return {"running": engine.running(str(body.get("run_id", "")))}
        if action == "sync":
            self._dirty.clear()
            engine.sync()
            return {}
        if action == "deliver":
            return {"result": engine.deliver(str(body["key"]))}
        if action == "stop":
            self._stop.set()
            return {"stopping": True}
        return None


def _writes(environ: dict[str, Any]) -> bool:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return not _READ_OPERATION.search(target)
    return environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD")


def _json(start_response: StartResponse, status: int, payload: dict[str, Any]) -> list[bytes]:
    body = json.dumps(payload, default=str).encode()
    reasons = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}
    start_response(
        f"{status} {reasons.get(status, 'Error')}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _dashboard_server(engine: Any) -> Any:
    """The dashboard (`hookforge dashboard --serve` points at it), with its Host allow-list for its own port."""
    from http.server import ThreadingHTTPServer

    from hookforge.metrics.cli import dashboard_handler

    return ThreadingHTTPServer(("127.0.0.1", 0), dashboard_handler(engine))


def _preload(engine: Any) -> None:
    """`HOOKFORGE_SERVICE_PRELOAD=module:function` is called with the engine once it runs: stand-in providers for
    tests and offline rehearsals are installed this way (e.g. a simulated Runway)."""
    spec = os.environ.get("HOOKFORGE_SERVICE_PRELOAD", "")
    if not spec:
        return
    module, _, function = spec.partition(":")
    getattr(import_module(module), function or "install")(engine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hookforge.local.service", description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    args = parser.parse_args(argv)
    idle = float(os.environ.get("HOOKFORGE_SERVICE_IDLE") or DEFAULT_IDLE_SECONDS)
    scale = float(os.environ.get("HOOKFORGE_TIME_SCALE") or 1.0)
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    return Service(args.home, idle_seconds=idle, time_scale=scale).run()


if __name__ == "__main__":
    sys.exit(main())
