"""PollVideo: check the image-to-video task, decide the next wait, and copy the finished clip out at once.

One call per turn of the state machine's `Wait(SecondsPath) -> PollVideo` loop. It returns the job with
its status and the next `wait_seconds` (from `hookforge.video_polling`), or:

- SUCCEEDED: the clip is streamed to `runs/<id>/raw.mp4` (provider URLs expire in a day or two),
  verified as a whole, decodable video of the expected length, and the task id, model, seconds and
  credits are recorded on the run;
- FAILED with a `SAFETY.*` code: `ContentRejected` with the provider's own reason (never retried);
- FAILED with an `INTERNAL.*` code: resubmitted once (a new attempt), then the next provider or `VideoFailed`;
- CANCELLED (outside hookforge): `VideoFailed`;
- THROTTLED for longer than `THROTTLE_FALLBACK_SECONDS` with another provider in the chain: cancelled
  and handed to that provider;
- past the run's deadline: the task is cancelled and the run ends as `VideoTimedOut`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hookforge import ledger
from hookforge.deps import Deps
from hookforge.errors import ContentRejected, ProviderUnavailable, VideoFailed, VideoInvalid, VideoTimedOut
from hookforge.ledger import announce_fallback
from hookforge.media import probe
from hookforge.models import PollVideoInput, VideoJob
from hookforge.observability import logger
from hookforge.providers.base import VideoStatus, video_generator
from hookforge.steps import submit_video
from hookforge.storage import run_key
from hookforge.video_polling import Observation, PollHistory, next_wait

#: a task queued this long moves to the next provider of the chain (if there is one)
THROTTLE_FALLBACK_SECONDS = 15 * 60
#: how far the clip's length may stray from the requested seconds
LENGTH_TOLERANCE = 0.15
#: downloads of the output URL before giving up (a cut transfer is retried once)
DOWNLOAD_ATTEMPTS = 2


def run(event: PollVideoInput, deps: Deps) -> VideoJob:
    job = event.video
    generator = video_generator(job.provider, deps.provider_ctx)
    status = generator.poll(job.task_id)
    now = deps.clock()
    job = job.model_copy(update={"polls": job.polls + 1, "credits": status.credits or job.credits})
    if status.cost_usd is not None:
        # the provider's own final charge replaces the estimate recorded at submission (a refund reads 0)
        ledger.record(
            deps.runs,
            event.run_id,
            f"video#{job.attempt}",
            provider=job.provider,
            model=job.model,
            usd=status.cost_usd,
            basis="actual",
            credits=status.credits,
        )
        job = job.model_copy(update={"cost_usd": status.cost_usd})
    logger.info(
        "video polled",
        extra={"run_id": event.run_id, "task_id": job.task_id, "status": status.status, "progress": status.progress},
    )
    if status.status == "SUCCEEDED":
        return finish(event, job, status, deps)
    if status.status == "FAILED":
        return failed(event, job, status, deps)
    if status.status == "CANCELLED":
        raise VideoFailed(
            f"{job.provider} task {job.task_id} was cancelled outside hookforge; start a new run to try again"
        )
    if now > job.deadline:
        generator.cancel(job.task_id)
        raise VideoTimedOut(
            f"{job.provider} did not finish within the brief's deadline ({event.brief.video.deadline_minutes} min); "
            "the task was cancelled"
        )
    throttled_since = job.throttled_since if status.status == "THROTTLED" else None
    if status.status == "THROTTLED" and throttled_since is None:
        throttled_since = now
    if (
        throttled_since is not None
        and now - throttled_since >= THROTTLE_FALLBACK_SECONDS
        and job.provider_index + 1 < len(event.brief.video.providers)
    ):
        generator.cancel(job.task_id)
        return _next_provider(
            event, job, deps, reason=f"{job.provider}: queued (THROTTLED) for {now - throttled_since:.0f}s"
        )
    return waiting_job(job, status, now, throttled_since)


def waiting_job(job: VideoJob, status: VideoStatus, now: float, throttled_since: float | None) -> VideoJob:
    """The job after an unfinished poll: its status, the next wait and what the poller must remember."""
    history = PollHistory(
        expected_seconds=job.expected_seconds,
        started_after=(job.started_after if job.started_after is not None else job.submitted_at) - job.submitted_at,
        last_running=(
            Observation(job.progress_at - job.submitted_at, "RUNNING", job.progress)
            if job.progress_at is not None and job.progress is not None
            else None
        ),
        last_wait=job.wait_seconds,
    )
    observation = Observation(now - job.submitted_at, status.status, status.progress)
    wait = next_wait(observation, history, remaining=max(0.0, job.deadline - now) + 1)
    running = status.status == "RUNNING" and status.progress is not None
    queued = status.status in ("PENDING", "THROTTLED")
    return job.model_copy(
        update={
            "status": status.status,
            "wait_seconds": wait,
            "progress": status.progress if running else (None if queued else job.progress),
            "progress_at": now if running else (None if queued else job.progress_at),
            "started_after": now if queued else job.started_after,
            "throttled_since": throttled_since,
        }
    )


def failed(event: PollVideoInput, job: VideoJob, status: VideoStatus, deps: Deps) -> VideoJob:
    reason = status.failure or "no reason given"
    code = status.failure_code or "UNKNOWN"
    claim = deps.runs.get_child(event.run_id, submit_video.claim_key(job.attempt))
    if claim:
        claim = {k: v for k, v in claim.items() if k not in ("pk", "sk")}
        deps.runs.put_child(event.run_id, submit_video.claim_key(job.attempt), {**claim, "outcome": f"FAILED {code}"})
    if code.startswith("SAFETY"):
        raise ContentRejected(f"{job.provider} rejected the content: {reason} ({code})")
    if code.startswith("INTERNAL") and job.resubmits == 0:
        logger.warning("video task failed inside the provider; resubmitting once", extra={"code": code})
        return submit_video.start(
            event.run_id,
            event.brief,
            event.selection,
            deps,
            provider_index=job.provider_index,
            attempt=job.attempt + 1,
            resubmits=job.resubmits + 1,
            fallbacks=job.fallbacks,
            deadline=job.deadline,
        )
    if job.provider_index + 1 < len(event.brief.video.providers):
        return _next_provider(event, job, deps, reason=f"{job.provider}: FAILED {code}: {reason}")
    raise VideoFailed(f"{job.provider} task failed: {reason} ({code})")


def _next_provider(event: PollVideoInput, job: VideoJob, deps: Deps, *, reason: str) -> VideoJob:
    logger.warning("video provider gave up; trying the next one", extra={"run_id": event.run_id, "reason": reason})
    following = event.brief.video.providers[job.provider_index + 1]
    announce_fallback(deps, event.run_id, f"fallback: video {reason}; {following} will make the clip")
    return submit_video.start(
        event.run_id,
        event.brief,
        event.selection,
        deps,
        provider_index=job.provider_index + 1,
        attempt=job.attempt + 1,
        fallbacks=[*job.fallbacks, reason],
        deadline=job.deadline,
    )


def finish(event: PollVideoInput, job: VideoJob, status: VideoStatus, deps: Deps) -> VideoJob:
    raw_key = copy_out(event.run_id, status, deps, expected_seconds=job.duration)
    deps.runs.update(
        event.run_id,
        step="PollVideo",
        raw_key=raw_key,
        video_polls=job.polls,
        video_task=job.task_id,
        video_provider=job.provider,
        video_model=job.model,
        video_seconds=job.duration,
        video_credits=job.credits,
        video_cost_usd=job.cost_usd,
        video_fallbacks=job.fallbacks or None,
    )
    return job.model_copy(update={"status": "SUCCEEDED", "raw_key": raw_key, "wait_seconds": 0, "progress": 1.0})


def copy_out(run_id: str, status: VideoStatus, deps: Deps, *, expected_seconds: float) -> str:
    """Copy the finished clip to runs/<id>/raw.mp4 and prove it is a whole video of the expected length."""
    raw_key = run_key(run_id, "raw.mp4")
    with tempfile.TemporaryDirectory(prefix="hookforge-raw-") as tmp:
        local = Path(tmp) / "raw.mp4"
        for attempt in range(DOWNLOAD_ATTEMPTS):
            try:
                _fetch(status, deps, local)
                info = probe(local)
                break
            except (VideoInvalid, ProviderUnavailable) as e:
                if attempt == DOWNLOAD_ATTEMPTS - 1:
                    raise VideoInvalid(f"the finished clip could not be copied whole: {e}") from e
                logger.warning("clip copy failed; fetching it again", extra={"run_id": run_id, "error": str(e)})
        tolerance = max(0.5, expected_seconds * LENGTH_TOLERANCE)
        if abs(info.duration - expected_seconds) > tolerance:
            raise VideoInvalid(
                f"the clip is {info.duration:.2f}s long; {expected_seconds}s was ordered (±{tolerance:.1f}s)"
            )
        deps.store.upload_file(local, raw_key, content_type="video/mp4")
    logger.info("clip copied", extra={"run_id": run_id, "key": raw_key, "seconds": info.duration})
    return raw_key


def _fetch(status: VideoStatus, deps: Deps, local: Path) -> None:
    """Stream the provider's output to `local` (a key in our bucket, or an expiring HTTPS URL)."""
    if status.output_key:
        deps.store.download_file(status.output_key, local)
        return
    if not status.output_url:
        raise VideoInvalid("the provider reported success but gave no output")
    import httpx  # here, not at the top: a poll that finds the clip still running never downloads

    client = deps.provider_ctx.http_client()
    written = 0
    try:
        with client.stream("GET", status.output_url) as response, local.open("wb") as fh:
            if response.status_code >= 400:
                raise VideoInvalid(f"the output URL answered HTTP {response.status_code} (expired?)")
            for chunk in response.iter_bytes():
                fh.write(chunk)
                written += len(chunk)
            declared = response.headers.get("content-length")
    except httpx.TransportError as e:
        raise ProviderUnavailable(f"downloading the clip broke off ({type(e).__name__})") from e
    if declared and declared.isdigit() and int(declared) != written:
        raise VideoInvalid(f"the download stopped at {written} of {declared} bytes")
