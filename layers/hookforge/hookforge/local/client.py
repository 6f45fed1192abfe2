"""A client of the local service (`hookforge.local.service`): finds the home's service, starting it when needed,
and gives commands a `Deps` whose boto3 clients talk to it. Importing this module imports neither moto nor the
engine, so a command that only reads starts fast.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from hookforge.errors import HookforgeError, RunNotFound, RunNotResumable, RunNotWaiting, ServiceUnavailable
from hookforge.local.environment import REGION, local_environment, private_dir

STATE_FILE = "service.json"
LOCK_FILE = "service.lock"
SPAWN_LOCK_FILE = "service.spawn.lock"
KEY_HEADER = "X-Hookforge-Key"
#: how long a starting service may take (moto, the tables and the bucket loaded from the home)
START_TIMEOUT = 90.0
#: homes whose service this process started (the test suite stops them when it ends)
STARTED: list[Path] = []
#: the services this process spawned: they outlive the command by design (kept, so no "still running" warning)
_SPAWNED: list[subprocess.Popen[bytes]] = []
_ERRORS: dict[str, type[HookforgeError]] = {
    "RunNotFound": RunNotFound,
    "RunNotResumable": RunNotResumable,
    "RunNotWaiting": RunNotWaiting,
}


class _EndpointSession:
    """boto3 clients and resources pointed at the service, signed with its key."""

    def __init__(self, endpoint: str, key: str) -> None:
        from hookforge.sessions import boto_session

        self.endpoint = endpoint
        self._session = boto_session(
            aws_access_key_id=key, aws_secret_access_key="local", aws_session_token=None, region_name=REGION
        )

    def client(self, service: str, region_name: str | None = None, **kwargs: Any) -> Any:
        return self._session.client(service, region_name=region_name or REGION, endpoint_url=self.endpoint, **kwargs)

    def resource(self, service: str, region_name: str | None = None, **kwargs: Any) -> Any:
        return self._session.resource(service, region_name=region_name or REGION, endpoint_url=self.endpoint, **kwargs)


@dataclass
class ServiceClient:
    home: Path
    endpoint: str
    approval_url: str
    dashboard_url: str
    key: str
    pid: int

    # ------------------------------------------------------------------------------ finding the service
    @classmethod
    def running(cls, home: Path) -> ServiceClient | None:
        """The home's service if one answers, else None (never starts one)."""
        home = Path(home).resolve()
        try:
            state = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
            client = cls(
                home=home,
                endpoint=str(state["endpoint"]),
                approval_url=str(state["approval_url"]),
                dashboard_url=str(state["dashboard_url"]),
                key=str(state["key"]),
                pid=int(state["pid"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        try:
            client.call("ping", timeout=5)
        except ServiceUnavailable:
            return None
        return client

    @classmethod
    def ensure(cls, home: Path, *, announce: Any = None) -> ServiceClient:
        """The home's service, started first if none runs (one per home, whatever starts at once)."""
        home = Path(home).resolve()
        found = cls.running(home)
        if found is not None:
            return found
        private_dir(home)
        lock = os.open(home / SPAWN_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent first commands: one spawns, the others wait for it
            found = cls.running(home)
            if found is not None:
                return found
            if announce is not None:
                announce(f"starting the local service for {home}")
            process = _spawn(home)
            _SPAWNED.append(process)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                found = cls.running(home)
                if found is not None:
                    STARTED.append(home)
                    return found
                if process.poll() is not None and not _held(home / LOCK_FILE):
                    break
                time.sleep(0.1)
            raise ServiceUnavailable(f"the local service for {home} did not start: {_log_tail(home)}")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)

    # ------------------------------------------------------------------------------ talking to it
    def call(self, action: str, payload: dict[str, Any] | None = None, *, timeout: float = 60) -> dict[str, Any]:
        data = json.dumps(payload or {}).encode()
        request = urllib.request.Request(
            f"{self.endpoint}/_hookforge/{action}",
            data=data,
            method="POST",
            headers={KEY_HEADER: self.key, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - our own 127.0.0.1
                return dict(json.loads(response.read() or b"{}"))
        except urllib.error.HTTPError as e:
            try:
                body = json.loads(e.read() or b"{}")
            except ValueError:
                body = {}
            error = _ERRORS.get(str(body.get("error")), HookforgeError)
            raise error(str(body.get("message") or f"the local service answered {e.code}")) from None
        except (OSError, ValueError) as e:
            raise ServiceUnavailable(f"the local service for {self.home} does not answer ({type(e).__name__})") from e

    @cached_property
    def deps(self) -> Any:
        """Deps for this home whose AWS clients are the service's (the same tables, bucket and state machine)."""
        from hookforge.config import Settings
        from hookforge.deps import Deps

        env = local_environment(self.home) | {"APPROVAL_BASE_URL": self.approval_url}
        return Deps(settings=Settings.from_env(env), session=_EndpointSession(self.endpoint, self.key))

    def sync(self) -> None:
        """Persist now (a writing command calls it before it exits)."""
        self.call("sync")

    def stop(self, *, wait: float = 30.0) -> bool:
        try:
            self.call("stop", timeout=10)
        except ServiceUnavailable:
            return False
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _held(self.home / LOCK_FILE):
            time.sleep(0.1)
        return True


def _held(lock_path: Path) -> bool:
    """Whether a service holds this home's lock (it does for its whole life)."""
    try:
        fd = os.open(lock_path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _spawn(home: Path) -> subprocess.Popen[bytes]:
    """The service, detached from this terminal (its own session: Ctrl-C here does not reach it)."""
    logs = home / "logs"
    logs.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(logs / "service.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "hookforge.local.service", "--home", str(home)],
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=fd,
            start_new_session=True,
            close_fds=True,
        )
    finally:
        os.close(fd)


def _log_tail(home: Path) -> str:
    try:
        lines = (home / "logs" / "service.log").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log was written"
    tail = [line for line in lines[-5:] if line.strip()]
    return " | ".join(tail)[-600:] or "its log is empty"


def stop_started() -> None:
    """Stop every service this process started (the test suite's teardown)."""
    while STARTED:
        home = STARTED.pop()
        client = ServiceClient.running(home)
        if client is not None:
            client.stop()
    while _SPAWNED:
        process = _SPAWNED.pop()
        try:
            process.wait(timeout=15)  # reaped: stopped above, or by its own idle timer
        except subprocess.TimeoutExpired:
            _SPAWNED.insert(0, process)
            break
