"""PollVideo: check the image-to-video task; on success copy the clip into the run at once and verify it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hookforge.errors import ContentRejected, VideoFailed, VideoInvalid, VideoTimedOut
from hookforge.media import probe
from hookforge.models import PollVideoInput, VideoJob
from hookforge.observability import logger
from hookforge.providers.base import VideoStatus, video_generator
from hookforge.steps.deps import Deps
from hookforge.steps.submit_video import MIN_POLL_SECONDS
from hookforge.storage import run_key


def run(event: PollVideoInput, deps: Deps) -> VideoJob:
    job = event.video
    generator = video_generator(job.provider, deps.provider_ctx)
    status = generator.poll(job.task_id)
    job = job.model_copy(update={"polls": job.polls + 1, "progress": status.progress})
    if status.status == "SUCCEEDED":
        raw_key = copy_out(event.run_id, status, deps, expected_seconds=job.duration)
        deps.runs.update(event.run_id, step="PollVideo", raw_key=raw_key, video_polls=job.polls)
        return job.model_copy(update={"status": "SUCCEEDED", "raw_key": raw_key, "wait_seconds": 0})
    if status.status in ("FAILED", "CANCELLED"):
        reason = status.failure or status.status.lower()
        if (status.failure_code or "").startswith("SAFETY"):
            raise ContentRejected(f"{job.provider} rejected the content: {reason}")
        raise VideoFailed(f"{job.provider} task {status.status.lower()}: {reason} ({status.failure_code or 'no code'})")
    if deps.clock() > job.deadline:
        generator.cancel(job.task_id)
        raise VideoTimedOut(f"{job.provider} did not finish within the run's deadline; the task was cancelled")
    return job.model_copy(update={"status": status.status, "wait_seconds": MIN_POLL_SECONDS})


def copy_out(run_id: str, status: VideoStatus, deps: Deps, *, expected_seconds: float) -> str:
    """Copy the finished clip to runs/<id>/raw.mp4 and prove it is a whole video of about the right length."""
    raw_key = run_key(run_id, "raw.mp4")
    with tempfile.TemporaryDirectory(prefix="hookforge-raw-") as tmp:
        local = Path(tmp) / "raw.mp4"
        if status.output_key:
            deps.store.download_file(status.output_key, local)
        elif status.output_url:
            client = deps.provider_ctx.http_client()
            with client.stream("GET", status.output_url) as response, local.open("wb") as fh:
                response.raise_for_status()
                for chunk in response.iter_bytes():
                    fh.write(chunk)
        else:
            raise VideoInvalid("the provider reported success but gave no output")
        info = probe(local)
        if info.duration < min(2.0, expected_seconds * 0.5):
            raise VideoInvalid(f"the clip is {info.duration:.1f}s long; expected about {expected_seconds}s")
        deps.store.upload_file(local, raw_key, content_type="video/mp4")
    logger.info("clip copied", extra={"run_id": run_id, "key": raw_key})
    return raw_key
