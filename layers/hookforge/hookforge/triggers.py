"""Event-triggered runs: an S3 upload (via EventBridge) becomes exactly one execution, or a clear error file.

S3 and EventBridge deliver at least once, so the execution name is derived from the bucket, the key
and the object's version (or ETag): a duplicate delivery asks Step Functions for a name it already
used and starts nothing new (`ExecutionAlreadyExists`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import posixpath
from typing import Any, Literal

from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

from hookforge.errors import BriefInvalid, HookforgeError, ImageInvalid
from hookforge.observability import logger
from hookforge.steps.deps import Deps
from hookforge.steps.validate_brief import MAX_BRIEF_BYTES, describe_validation_error, parse_brief

BRIEF_EXTENSIONS = (".json", ".yaml", ".yml")
MANIFEST_EXTENSIONS = (".csv", ".jsonl")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_MANIFEST_BYTES = 5 * 1024 * 1024
MAX_MANIFEST_ROWS = 500


class UploadRejected(HookforgeError):
    """An upload that cannot start a run (wrong place, wrong format, too big, or no brief beside it)."""


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
    outcome: Literal["started", "duplicate", "rejected", "ignored", "batch"]
    executions: list[str] = []
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
    if key.endswith((".error.json", ".import-report.json")):
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
    started = start_execution(deps, name, obj.key)
    return TriggerResult(
        key=obj.key, outcome="started" if started else "duplicate", executions=[name], duplicates=0 if started else 1
    )


def start_execution(deps: Deps, name: str, brief_key: str) -> bool:
    """Start the pipeline under a deterministic name, once; False when that name was already started.

    A conditional write claims the name first (Step Functions answers a same-name start of a *running*
    execution with success, so the claim is what tells a duplicate delivery apart). A claim left at
    "starting" by a crash is completed by the next delivery: StartExecution is idempotent by name.
    """
    table = deps.resource("dynamodb").Table(deps.settings.runs_table)
    claim = {"pk": f"TRIGGER#{name}", "sk": "TRIGGER", "brief_key": brief_key, "state": "starting"}
    try:
        table.put_item(Item=claim, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as e:
        if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        existing = table.get_item(Key={"pk": claim["pk"], "sk": "TRIGGER"}).get("Item") or {}
        if existing.get("state") == "started":
            logger.info("duplicate delivery ignored", extra={"execution": name, "brief_key": brief_key})
            return False
    try:
        deps.client("stepfunctions").start_execution(
            stateMachineArn=deps.settings.state_machine_arn, name=name, input=json.dumps({"brief_key": brief_key})
        )
    except ClientError as e:
        if e.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        logger.info("execution already exists", extra={"execution": name})
    table.update_item(
        Key={"pk": claim["pk"], "sk": "TRIGGER"},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":s": "started"},
    )
    logger.info("run started", extra={"execution": name, "brief_key": brief_key})
    return True


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
        brief: dict[str, Any] = {}
        for column, value in row.items():
            if column is None or value in (None, ""):
                continue
            target = brief
            *path, leaf = column.strip().split(".")
            for part in path:
                target = target.setdefault(part, {})
            target[leaf] = _csv_value(leaf, value)
        rows.append((number, brief, None))
    return rows


def _csv_value(field: str, value: str) -> Any:
    if field in ("aspects", "sources", "providers", "reviewers", "uploads", "tags"):
        return [v.strip() for v in value.split("|") if v.strip()]
    if value.isdigit():
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
        if start_execution(deps, name, brief_key):
            executions.append(name)
        else:
            duplicates += 1
    result = TriggerResult(key=obj.key, outcome="batch", executions=executions, duplicates=duplicates, errors=errors)
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
    if deps.settings.is_local or not deps.settings.notify_email:
        return
    deps.client("ses").send_email(
        Source=deps.settings.sender_email,
        Destination={"ToAddresses": [deps.settings.notify_email]},
        Message={
            "Subject": {"Data": f"hookforge could not start a run from {key[:80]}"},
            "Body": {"Text": {"Data": f"{body['error']}: {body['message']}\n{body.get('hint') or ''}"}},
        },
    )
