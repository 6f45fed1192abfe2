"""The local engine's names and environment: what its handlers see, and what its clients point boto3 at.

Kept apart from the engine so a client command (`runs`, `metrics report`, ...) can reach the local service
without importing the engine or moto.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: the home and everything under it (signed links, task tokens, state) are the owner's only
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "hookforge-local-artifacts"
LOCAL_NAMES = {
    "ArtifactsBucket": BUCKET,
    "RunsTable": "hookforge-local-runs",
    "MetricsTable": "hookforge-local-metrics",
}
STATE_MACHINE = "HookPipelineStateMachine"
STATE_MACHINE_NAME = "hookforge-hook-pipeline"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STATE_MACHINE_NAME}"
#: the signing key file inside a home (`deps.local_key` creates it)
KEY_FILE = "approval-secret"


def local_environment(home: Path) -> dict[str, str]:
    """The environment the local engine's handlers run in (as template.yaml's Globals set it in AWS), and that a
    client of the local service builds its settings from. Fake credentials: nothing local can reach a real
    account, whatever the shell has set."""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "ARTIFACTS_BUCKET": BUCKET,
        "RUNS_TABLE": LOCAL_NAMES["RunsTable"],
        "METRICS_TABLE": LOCAL_NAMES["MetricsTable"],
        "STATE_MACHINE_ARN": STATE_MACHINE_ARN,
        "HOOKFORGE_STAGE": "local",
        "HOOKFORGE_HOME": str(home),
        "HOOKFORGE_APPROVAL_SECRET_FILE": str(home / KEY_FILE),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "hookforge",
        "POWERTOOLS_METRICS_NAMESPACE": "Hookforge",
    }


def private_dir(path: Path) -> Path:
    """`path` (and missing parents) created 0700; an existing one we own is tightened to 0700."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):  # Path.mkdir(parents=True) would give the parents the umask's mode
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, PRIVATE_DIR)
    except OSError:  # pragma: no cover - not ours to change (e.g. a shared folder given as home)
        pass
    return path


def write_private(
    target: Path, content: bytes | Callable[[BinaryIO], object], tmp_dir: Path | None = None
) -> None:
    """Write `target` atomically with mode 0600 from its first byte: a fresh temp file (0600, O_EXCL) in
    `tmp_dir` (same file system), filled with `content` (bytes, or a function given the binary file), then
    `os.replace`d onto `target`."""
    tmp = (tmp_dir or target.parent) / f"{uuid.uuid4().hex}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(content, bytes):
                fh.write(content)
            else:
                content(fh)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
