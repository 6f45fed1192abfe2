"""ValidateBrief: read the uploaded brief, validate it, and start the run record."""

from __future__ import annotations

from hookforge.brief_check import (  # noqa: F401 - the brief reader's limits, re-exported for triggers and tests
    MAX_BRIEF_BYTES,
    MAX_NESTING_DEPTH,
    describe_validation_error,
    json_depth_problem,
    load_yaml_bounded,
    parse_brief,
)
from hookforge.deps import Deps
from hookforge.errors import AudioInvalid, BriefInvalid
from hookforge.ledger import announce_fallback
from hookforge.models import Brief, ImageJob, RunState, ValidateBriefInput
from hookforge.observability import logger
from hookforge.preflight import preflight
from hookforge.storage import run_key

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


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
                raise BriefInvalid(
                    f"{event.brief_key}: field 'uploads[{i}]': {key} is not in the bucket; upload it first"
                )
            jobs.append(ImageJob(index=i, provider="upload", upload_key=key))
    else:
        jobs = [ImageJob(index=i, provider=brief.images.provider) for i in range(brief.images.count)]
    if brief.effects.music and brief.effects.audio != "none":
        # before any paid call: a missing or oversized music file would only fail after the video was paid for
        check_music_object(deps, brief.effects.music)
    deps.store.put_json(run_key(event.run_id, "brief.json"), brief.model_dump(mode="json"))
    # before the first paid call: every provider's key and model access, the cost estimate and the budget
    plan = preflight(brief, deps.provider_ctx)
    deps.store.put_json(run_key(event.run_id, "plan.json"), plan.model_dump(mode="json"))
    deps.runs.update(
        event.run_id,
        brief_name=brief.name,
        step="ValidateBrief",
        plan=plan.lines(),
        estimated_usd=plan.estimated_usd,
        video_estimate={"provider": plan.steps[-1].provider, "usd": plan.steps[-1].estimated_usd},
    )
    for line in plan.fallbacks:
        announce_fallback(deps, event.run_id, line)
    logger.info(
        "brief valid",
        extra={"run_id": event.run_id, "brief": brief.name, "jobs": len(jobs), "plan": plan.lines()},
    )
    return RunState(run_id=event.run_id, brief=brief, jobs=jobs, has_images=bool(brief.uploads))
