"""ValidateBrief: read the uploaded brief, validate it, and start the run record."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from pydantic import ValidationError

from hookforge.deps import Deps
from hookforge.errors import AudioInvalid, BriefInvalid
from hookforge.models import Brief, ImageJob, RunState, ValidateBriefInput
from hookforge.observability import logger
from hookforge.storage import run_key

MAX_BRIEF_BYTES = 256 * 1024
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
#: deepest nesting of objects/lists a brief (or a manifest line) may have: a brief needs 4, and 5 000 levels would
#: otherwise end in a RecursionError inside the JSON decoder or the YAML composer
MAX_NESTING_DEPTH = 64

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth_problem(text: str) -> str | None:
    """A cheap scan before `json.loads`: counts `[`/`{` nesting outside strings; a message when it is too deep."""
    depth = 0
    for m in _JSON_BRACKET.finditer(_JSON_STRING.sub('""', text)):
        if m[0] in "[{":
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                return f"nested more than {MAX_NESTING_DEPTH} levels deep (the depth limit is {MAX_NESTING_DEPTH})"
        else:
            depth -= 1
    return None


class _TooDeep(Exception):
    pass


class _BoundedSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader whose (recursive) composer stops at MAX_NESTING_DEPTH, flow or block nesting alike."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth >= MAX_NESTING_DEPTH:
            raise _TooDeep
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def load_yaml_bounded(text: str, *, source: str) -> Any:
    """`yaml.safe_load`, refusing nesting deeper than MAX_NESTING_DEPTH with BriefInvalid (before any recursion
    limit is reached)."""
    loader = _BoundedSafeLoader(text)
    try:
        return loader.get_single_data()
    except _TooDeep:
        raise BriefInvalid(
            f"{source}: the brief is nested more than {MAX_NESTING_DEPTH} levels deep "
            f"(the depth limit is {MAX_NESTING_DEPTH})"
        ) from None
    finally:
        loader.dispose()


def parse_brief(raw: bytes, *, source: str) -> Brief:
    """Bytes of a JSON or YAML brief -> Brief, or one BriefInvalid naming the problem."""
    if not raw.strip():
        raise BriefInvalid(f"{source}: the brief is empty")
    if len(raw) > MAX_BRIEF_BYTES:
        raise BriefInvalid(f"{source}: the brief is {len(raw)} bytes; the limit is {MAX_BRIEF_BYTES}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BriefInvalid(f"{source}: the brief is not UTF-8 text") from e
    data: Any
    if source.endswith((".yaml", ".yml")):
        try:
            data = load_yaml_bounded(text, source=source)
        except yaml.YAMLError as e:
            raise BriefInvalid(f"{source}: not valid YAML ({str(e).splitlines()[0]})") from e
    else:
        problem = json_depth_problem(text)
        if problem is not None:
            raise BriefInvalid(f"{source}: the brief is {problem}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise BriefInvalid(f"{source}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from e
    if not isinstance(data, dict):
        raise BriefInvalid(f"{source}: the brief must be an object with at least a 'name'")
    try:
        return Brief.model_validate(data)
    except ValidationError as e:
        raise BriefInvalid(f"{source}: {describe_validation_error(e)}") from e


def describe_validation_error(e: ValidationError) -> str:
    """Pydantic's errors as 'field a.b: reason' phrases a marketer can act on."""
    parts = []
    for err in e.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "brief"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "is required"
        elif err["type"] == "extra_forbidden":
            msg = "is not a brief field (check the spelling)"
        parts.append(
            f"field '{where}' {msg}" if err["type"] in ("missing", "extra_forbidden") else f"field '{where}': {msg}"
        )
    more = f" (and {len(e.errors()) - 5} more)" if len(e.errors()) > 5 else ""
    return "; ".join(parts) + more


def upload_key(brief: Brief, entry: str) -> str:
    return entry if entry.startswith("uploads/") else f"uploads/{brief.name}/{entry}"


def check_music_object(deps: Deps, key: str) -> int:
    """The brief's music is in the bucket and not too large (from its metadata: nothing is downloaded)."""
    from hookforge.effects.sound import MAX_MUSIC_BYTES

    head = deps.store.head(key)
    if head is None:
        raise AudioInvalid(f"effects.music: {key} is not in the bucket; upload the music file there first")
    size = int(head.get("ContentLength", 0))
    if size > MAX_MUSIC_BYTES:
        raise AudioInvalid(
            f"effects.music: {key} is {size / 2**20:.1f} MB; music files may be at most {MAX_MUSIC_BYTES // 2**20} MB"
        )
    return size


def run(event: ValidateBriefInput, deps: Deps) -> RunState:
    deps.runs.start(event.run_id, brief_key=event.brief_key)
    head = deps.store.head(event.brief_key)
    if head is None:
        raise BriefInvalid(f"{event.brief_key}: no such brief in the bucket")
    brief = parse_brief(deps.store.get_bytes(event.brief_key), source=event.brief_key)
    if not brief.uploads and event.brief_key.startswith("uploads/"):
        # a brief dropped beside its images (uploads/<name>/brief.json) uses every image in that folder
        folder = event.brief_key.rsplit("/", 1)[0] + "/"
        images = sorted(k for k in deps.store.list_keys(folder) if k.lower().endswith(IMAGE_SUFFIXES))
        if images:
            # validated again, so the Brief's own rule (uploads -> the upload provider) applies
            brief = Brief.model_validate({**brief.model_dump(mode="json"), "uploads": images[:8]})
    if brief.uploads:
        jobs = []
        for i, entry in enumerate(brief.uploads):
            key = upload_key(brief, entry)
            if not deps.store.exists(key):
                raise BriefInvalid(f"field 'uploads.{i}': {key} is not in the bucket; upload it first")
            jobs.append(ImageJob(index=i, provider="upload", upload_key=key))
    else:
        jobs = [ImageJob(index=i, provider=brief.images.provider) for i in range(brief.images.count)]
    if brief.effects.music and brief.effects.audio != "none":
        # before any paid call: a missing or oversized music file would only fail after the video was paid for
        check_music_object(deps, brief.effects.music)
    deps.store.put_json(run_key(event.run_id, "brief.json"), brief.model_dump(mode="json"))
    deps.runs.update(event.run_id, brief_name=brief.name, step="ValidateBrief")
    logger.info("brief valid", extra={"run_id": event.run_id, "brief": brief.name, "jobs": len(jobs)})
    return RunState(run_id=event.run_id, brief=brief, jobs=jobs, has_images=bool(brief.uploads))
