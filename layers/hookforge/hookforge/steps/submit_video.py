"""SubmitVideo: start image-to-video for the picked still (step 4 of the workflow)."""

from __future__ import annotations

from hookforge.models import SubmitVideoInput, VideoJob
from hookforge.observability import logger
from hookforge.providers.base import VideoRequest, video_generator
from hookforge.steps.deps import Deps

MIN_POLL_SECONDS = 5


def first_wait(expected_seconds: float) -> int:
    """Wait about as long as the task is expected to take before the first poll (0 when already done)."""
    if expected_seconds <= 0:
        return 0
    return max(MIN_POLL_SECONDS, int(expected_seconds * 0.8))


def run(event: SubmitVideoInput, deps: Deps) -> VideoJob:
    brief = event.brief
    provider = brief.video.providers[0]
    image = deps.store.get_bytes(event.selection.candidate.key)
    mime = "image/png" if event.selection.candidate.key.endswith(".png") else "image/jpeg"
    request = VideoRequest(
        run_id=event.run_id,
        image=image,
        image_mime=mime,
        prompt=event.selection.motion_prompt,
        ratio=brief.video.ratio,
        duration=brief.video.duration,
        model=brief.video.model,
        attempt=event.attempt,
    )
    task = video_generator(provider, deps.provider_ctx).submit(request)
    now = deps.clock()
    job = VideoJob(
        provider=provider,
        task_id=task.task_id,
        model=task.model,
        ratio=brief.video.ratio,
        duration=brief.video.duration,
        wait_seconds=first_wait(task.expected_seconds),
        submitted_at=now,
        deadline=now + brief.video.deadline_minutes * 60,
        credits=task.credits,
    )
    deps.runs.update(event.run_id, step="SubmitVideo", video_task=job.task_id, video_provider=provider)
    logger.info("video submitted", extra={"run_id": event.run_id, "provider": provider, "task_id": job.task_id})
    return job
