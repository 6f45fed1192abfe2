"""Event-triggered runs: an S3 upload (via EventBridge) becomes exactly one execution, or a clear error file.

This module decides what an upload means (a brief, an image beside a brief, a batch manifest, or nothing)
and answers a bad one with `<key>.error.json` and a note to the owner. Starting the execution is the run
queue's job (`hookforge.runqueue`): S3 and EventBridge deliver at least once, so the execution name is
derived here from the bucket, the key and the object's version (or ETag), and the queue's claim on that
name makes a duplicate delivery start nothing new.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import posixpath
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from hookforge.deps import Deps, Mail
from hookforge.errors import BriefInvalid, HookforgeError, ImageInvalid, UploadRejected
from hookforge.metrics.ingest import IMPORT_REPORT_SUFFIX
from hookforge.observability import logger
from hookforge.runqueue import start_execution
from hookforge.steps.validate_brief import (
    MAX_BRIEF_BYTES,
    MAX_NESTING_DEPTH,
    describe_validation_error,
    json_depth_problem,
    parse_brief,
)

BRIEF_EXTENSIONS = (".json", ".yaml", ".yml")
MANIFEST_EXTENSIONS = (".csv", ".jsonl")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_MANIFEST_BYTES = 5 * 1024 * 1024
MAX_MANIFEST_ROWS = 500
#: files hookforge writes beside an upload (its error answer, a report import's answer): never inputs
OWN_REPORT_SUFFIXES = (".error.json", IMPORT_REPORT_SUFFIX)


class S3Object(BaseModel):
    bucket: str
    key: str
    size: int = 0
    etag: str = ""
    version_id: str | None = None

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> S3Object:
        """An EventBridge `Object Created` event from S3 -> the object it names."""
        detail = event.get("detail") or {}
        obj = detail.get("object") or {}
        bucket = (detail.get("bucket") or {}).get("name")
        if not bucket or not obj.get("key"):
            raise UploadRejected("the event is not an S3 'Object Created' notification (no bucket or key)")
        return cls(
            bucket=bucket,
            key=obj["key"],
            size=int(obj.get("size") or 0),
            etag=str(obj.get("etag") or ""),
            version_id=obj.get("version-id"),
        )

    def execution_name(self, suffix: str = "") -> str:
        identity = f"{self.bucket}/{self.key}@{self.version_id or self.etag}{suffix}"
        return "s3-" + hashlib.sha256(identity.encode()).hexdigest()[:40]


class TriggerResult(BaseModel):
    key: str
    outcome: Literal["started", "queued", "duplicate", "rejected", "ignored", "batch"]
    executions: list[str] = []
    queued: list[str] = []
    duplicates: int = 0
    errors: list[dict[str, Any]] = []
    error_key: str | None = None


def safe_key(key: str) -> str:
    """Reject keys that try to climb out of their prefix or carry control characters."""
    parts = key.split("/")
    if ".." in parts or key.startswith("/") or any(ord(c) < 32 or ord(c) == 127 for c in key) or "\\" in key:
        raise UploadRejected(
            f"unsafe object key {key[:120]!r}: no '..', leading '/', backslashes or control characters"
        )
    return key


def handle_upload(event: dict[str, Any], deps: Deps) -> TriggerResult:
    """The StartRun step: one uploaded object -> a run, a batch of runs, or an error file next to it."""
    obj = S3Object.from_event(event)
    try:
        safe_key(obj.key)
        return _dispatch(obj, deps)
    except (UploadRejected, BriefInvalid, ImageInvalid) as e:
        return _reject(obj, e, deps)


def _dispatch(obj: S3Object, deps: Deps) -> TriggerResult:
    key, ext = obj.key, posixpath.splitext(obj.key)[1].lower()
    if key.endswith(OWN_REPORT_SUFFIXES):
        return TriggerResult(key=key, outcome="ignored")  # our own reports must not trigger anything
    if key.startswith("briefs/"):
        if ext in BRIEF_EXTENSIONS:
            return _start_brief(obj, deps)
        if ext in MANIFEST_EXTENSIONS:
            return start_manifest(obj, deps)
        raise UploadRejected(
            f"{key}: unsupported file type {ext or '(none)'}; briefs are .json/.yaml, batches are .csv/.jsonl"
        )
    if key.startswith("uploads/"):
        parts = key.split("/")
        if len(parts) != 3 or not parts[1]:
            raise UploadRejected(f"{key}: put images and their brief in uploads/<brief-name>/<file>")
        if ext in BRIEF_EXTENSIONS:
            return _start_brief(obj, deps)
        if ext in IMAGE_EXTENSIONS:
            if obj.size > MAX_IMAGE_BYTES:
                raise UploadRejected(f"{key}: {obj.size / 1e6:.1f} MB is over the {MAX_IMAGE_BYTES / 1e6:.0f} MB limit")
            folder = posixpath.dirname(key)
            if not any(
                k.endswith(BRIEF_EXTENSIONS) and not k.endswith(".error.json")
                for k in deps.store.list_keys(folder + "/")
            ):
                raise UploadRejected(
                    f"{key}: no brief beside this image; upload {folder}/brief.json to start the run "
                    "(images already there are used)"
                )
            return TriggerResult(key=key, outcome="ignored")  # the brief's own upload starts the run
        raise UploadRejected(f"{key}: unsupported image type {ext or '(none)'}; use PNG, JPEG or WebP")
    return TriggerResult(key=key, outcome="ignored")


def _start_brief(obj: S3Object, deps: Deps) -> TriggerResult:
    if obj.size > MAX_BRIEF_BYTES:
        raise BriefInvalid(f"{obj.key}: the brief is {obj.size} bytes; the limit is {MAX_BRIEF_BYTES}")
    parse_brief(deps.store.get_bytes(obj.key), source=obj.key)  # bad briefs start nothing
    name = obj.execution_name()
    outcome = start_execution(deps, name, obj.key)
    return TriggerResult(
        key=obj.key,
        outcome=outcome,
        executions=[name] if outcome == "started" else [],
        queued=[name] if outcome == "queued" else [],
        duplicates=int(outcome == "duplicate"),
    )


def _manifest_rows(raw: bytes, key: str) -> list[tuple[int, dict[str, Any] | None, str | None]]:
    """(line number, brief object or None, error or None) for every row of a CSV or JSONL manifest."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise UploadRejected(f"{key}: the manifest is not UTF-8 text") from e
    rows: list[tuple[int, dict[str, Any] | None, str | None]] = []
    if key.endswith(".jsonl"):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            too_deep = json_depth_problem(line)
            if too_deep is not None:
                rows.append((number, None, too_deep))  # refused before json.loads could recurse that deep
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as e:
                rows.append((number, None, f"not valid JSON: {e.msg}"))
                continue
            rows.append((number, value, None) if isinstance(value, dict) else (number, None, "not a JSON object"))
        return rows
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "name" not in reader.fieldnames:
        raise UploadRejected(f"{key}: a CSV manifest needs a header row with at least a 'name' column")
    for number, row in enumerate(reader, start=2):
        try:
            rows.append((number, _csv_brief(row), None))
        except ValueError as e:
            rows.append((number, None, str(e)))
    return rows


def _csv_brief(row: dict[str | None, Any]) -> dict[str, Any]:
    """One CSV row -> a brief object (`a.b` columns nest); a ValueError names a column that cannot be placed."""
    brief: dict[str, Any] = {}
    for column, value in row.items():
        if column is None or not isinstance(value, str) or value == "":
            continue  # cells past the header (csv's None column, a list) and empty cells say nothing
        *path, leaf = column.strip().split(".")
        if len(path) >= MAX_NESTING_DEPTH:
            raise ValueError(f"column {column[:80]!r} is nested more than {MAX_NESTING_DEPTH} levels deep")
        target = brief
        for i, part in enumerate(path):
            child = target.setdefault(part, {})
            if not isinstance(child, dict):
                parent = ".".join(path[: i + 1])
                raise ValueError(f"column {column!r} conflicts with column {parent!r}, which holds a value, not fields")
            target = child
        if isinstance(target.get(leaf), dict):
            nested = column.strip() + ".*"
            raise ValueError(f"column {column.strip()!r} conflicts with the columns {nested!r} beside it")
        target[leaf] = _csv_value(leaf, value)
    return brief


def _csv_value(field: str, value: str) -> Any:
    if field in ("aspects", "sources", "providers", "reviewers", "uploads", "tags"):
        return [v.strip() for v in value.split("|") if v.strip()]
    if value.isascii() and value.isdigit():  # "²".isdigit() is True, int("²") a ValueError
        return int(value)
    return value


def start_manifest(obj: S3Object, deps: Deps) -> TriggerResult:
    """One run per manifest row, idempotently; each bad row is reported on its own."""
    if obj.size > MAX_MANIFEST_BYTES:
        raise UploadRejected(f"{obj.key}: the manifest is over {MAX_MANIFEST_BYTES // 1_000_000} MB")
    rows = _manifest_rows(deps.store.get_bytes(obj.key), obj.key)
    if len(rows) > MAX_MANIFEST_ROWS:
        raise UploadRejected(f"{obj.key}: {len(rows)} rows; split the manifest into files of {MAX_MANIFEST_ROWS} rows")
    from hookforge.models import Brief

    stem = posixpath.splitext(posixpath.basename(obj.key))[0]
    errors: list[dict[str, Any]] = []
    executions: list[str] = []
    queued: list[str] = []
    duplicates = 0
    for number, brief, problem in rows:
        if brief is not None:
            try:
                Brief.model_validate(brief)
            except ValidationError as e:
                problem = describe_validation_error(e)
        if problem is not None or brief is None:
            errors.append({"line": number, "error": "BriefInvalid", "message": problem})
            continue
        brief_key = f"batches/{stem}/{obj.etag or 'v'}/line-{number:04d}.json"
        deps.store.put_json(brief_key, brief)
        name = obj.execution_name(f"#line{number}")
        outcome = start_execution(deps, name, brief_key)
        if outcome == "started":
            executions.append(name)
        elif outcome == "queued":
            queued.append(name)
        else:
            duplicates += 1
    result = TriggerResult(
        key=obj.key, outcome="batch", executions=executions, queued=queued, duplicates=duplicates, errors=errors
    )
    if errors:
        result.error_key = _write_error(
            deps,
            obj.key,
            {
                "error": "ManifestRowsRejected",
                "message": f"{len(errors)} of {len(rows)} rows were not started; the others were",
                "rows": errors,
            },
        )
    return result


def _write_error(deps: Deps, key: str, body: dict[str, Any]) -> str:
    error_key = f"{key}.error.json"
    deps.store.put_json(error_key, body)
    return error_key


def _reject(obj: S3Object, error: HookforgeError, deps: Deps) -> TriggerResult:
    logger.warning("upload rejected", extra={"key": obj.key[:200], "error": error.name})
    body = {"error": error.name, "message": str(error), "hint": error.hint, "key": obj.key}
    error_key = None
    try:
        error_key = _write_error(deps, safe_key(obj.key), body)
    except UploadRejected:
        pass  # an unsafe key gets no sibling file; the log line and the notification carry the reason
    _notify_rejection(deps, obj.key, body)
    return TriggerResult(key=obj.key, outcome="rejected", errors=[body], error_key=error_key)


def _notify_rejection(deps: Deps, key: str, body: dict[str, Any]) -> None:
    """Tell the configured owner (NotifyEmail) why an upload started nothing."""
    if not deps.settings.notify_email:
        return
    deps.mailer.send(
        Mail(
            to=(deps.settings.notify_email,),
            subject=f"hookforge could not start a run from {key[:80]}",
            text=f"{body['error']}: {body['message']}\n{body.get('hint') or ''}",
        )
    )
