"""SubmitVideo: start image-to-video for the picked still (step 4 of the workflow), exactly once per attempt.

Every submission is an *attempt* recorded in the runs table as `RUN#<run_id> / VIDEO#<n>` (a
`hookforge.runs.VideoClaim`) before the provider is called (a conditional put: only one invocation can claim
it) and completed with the task id right after. A retried or re-driven SubmitVideo therefore finds the task it
already created and returns it instead of creating (and paying for) a second one. Claim states:

- `CREATING`: the call is out (or the invocation died during it) -> never sent again (VideoSubmitUnconfirmed);
- `CREATED`: the task exists -> replayed as the same VideoJob;
- `NOT_CREATED`: the provider answered with an error, so no task exists -> the attempt may be retried;
- `UNCONFIRMED`: the answer to a create was lost -> never sent again.

The brief's `video.providers` is a fallback chain: throttling, an outage, a failure or a missing key at one
provider moves to the next as a new attempt; a content-policy rejection never does.
"""

from __future__ import annotations

from hookforge import ledger
from hookforge.deps import Deps
from hookforge.errors import (
    ConfigError,
    HookforgeError,
    ProviderAuthError,
    ProviderThrottled,
    ProviderUnavailable,
    VideoFailed,
    VideoSubmitUnconfirmed,
)
from hookforge.ledger import already_skipped, announce_fallback, check_budget
from hookforge.models import Brief, Selection, SubmitVideoInput, VideoJob
from hookforge.observability import logger
from hookforge.providers.base import VideoRequest, video_generator
from hookforge.runs import VideoClaim, video_claim_key
from hookforge.video_polling import MIN_WAIT, first_wait

#: errors after which the next provider of the chain is tried
FALLBACK_ERRORS: tuple[type[HookforgeError], ...] = (
    ProviderThrottled,
    ProviderUnavailable,
    ProviderAuthError,
    ConfigError,
    VideoFailed,
)


def claim_key(attempt: int) -> str:
    """The runs-table sort key of an attempt's claim (PollVideo marks a failed task's outcome on it)."""
    return video_claim_key(attempt)


def run(event: SubmitVideoInput, deps: Deps) -> VideoJob:
    claims = deps.runs.video_claims(event.run_id)
    if claims:
        last = claims[-1]
        if last.state == "CREATED":
            logger.info("video task already submitted", extra={"run_id": event.run_id, "attempt": last.attempt})
            return job_from_claim(last, deps)
        return start(
            event.run_id,
            event.brief,
            event.selection,
            deps,
            provider_index=last.provider_index,
            attempt=last.attempt,
            fallbacks=list(last.fallbacks),
            deadline=last.deadline,
        )
    return start(event.run_id, event.brief, event.selection, deps, attempt=event.attempt)


def start(
    run_id: str,
    brief: Brief,
    selection: Selection,
    deps: Deps,
    *,
    provider_index: int = 0,
    attempt: int = 0,
    resubmits: int = 0,
    fallbacks: list[str] | None = None,
    deadline: float | None = None,
) -> VideoJob:
    """Submit to the chain's provider at `provider_index`, moving down the chain while providers fail."""
    providers = brief.video.providers
    fallbacks = list(fallbacks or [])
    if deadline is None:
        deadline = deps.clock() + brief.video.deadline_minutes * 60
    index = provider_index
    while True:
        try:
            return submit_attempt(
                run_id,
                brief,
                selection,
                deps,
                provider_index=index,
                attempt=attempt,
                resubmits=resubmits,
                fallbacks=fallbacks,
                deadline=deadline,
            )
        except FALLBACK_ERRORS as e:
            if index + 1 >= len(providers):
                raise
            fallbacks.append(f"{providers[index]}: {e.name}: {e}")
            if not already_skipped(deps, run_id, providers[index]):
                announce_fallback(
                    deps,
                    run_id,
                    f"fallback: video {providers[index]} could not start ({e.name}: {e}); {providers[index + 1]} "
                    "will make the clip",
                )
            logger.warning(
                "video provider failed; trying the next one",
                extra={"run_id": run_id, "provider": providers[index], "next": providers[index + 1], "error": e.name},
            )
            index += 1
            attempt += 1
            resubmits = 0


def submit_attempt(
    run_id: str,
    brief: Brief,
    selection: Selection,
    deps: Deps,
    *,
    provider_index: int,
    attempt: int,
    resubmits: int,
    fallbacks: list[str],
    deadline: float,
) -> VideoJob:
    """Create the task of one attempt at most once (see the module docstring)."""
    provider = brief.video.providers[provider_index]
    claim = VideoClaim(
        attempt=attempt,
        provider=provider,
        provider_index=provider_index,
        resubmits=resubmits,
        fallbacks=fallbacks,
        deadline=deadline,
        ratio=brief.video.ratio,
        state="CREATING",
        claimed_at=deps.clock(),
    )
    if not deps.runs.claim_video(run_id, claim):
        existing = deps.runs.video_claim(run_id, attempt)
        state = existing.state if existing is not None else None
        if existing is not None and existing.state == "CREATED":
            return job_from_claim(existing, deps)
        if state != "NOT_CREATED" or not deps.runs.reclaim_video(run_id, claim):
            sent_to = existing.provider if existing is not None else provider
            raise VideoSubmitUnconfirmed(
                f"attempt {attempt} at {sent_to} was already sent and its outcome is "
                f"unknown (state {state or 'CREATING'}); it is not sent again so it cannot bill twice"
            )
    request = VideoRequest(
        run_id=run_id,
        image=deps.store.get_bytes(selection.candidate.key),
        image_mime="image/png" if selection.candidate.key.endswith(".png") else "image/jpeg",
        prompt=selection.motion_prompt,
        ratio=brief.video.ratio,
        duration=brief.video.duration,
        model=brief.video.model if provider_index == 0 or provider == brief.video.providers[0] else None,
        attempt=attempt,
        audio=brief.video.audio and provider == brief.video.providers[0],
    )
    try:
        generator = video_generator(provider, deps.provider_ctx)
        estimate = getattr(generator, "estimate_usd", None)
        if estimate is not None:
            # before the paid call: a budget it would pass stops the run here (BudgetExceeded says what was spent)
            next_usd = float(estimate(duration=request.duration, model=request.model, audio=request.audio))
            check_budget(deps.runs, run_id, brief, next_usd=next_usd, what=f"the {provider} clip")
    except Exception as e:
        # nothing was sent: the attempt may be tried again (a raised budget, say)
        failed = claim.model_copy(update={"state": "NOT_CREATED", "error": f"{type(e).__name__}: {e}"})
        deps.runs.put_video_claim(run_id, failed)
        raise
    try:
        task = generator.submit(request)
    except VideoSubmitUnconfirmed as e:
        deps.runs.put_video_claim(run_id, claim.model_copy(update={"state": "UNCONFIRMED", "error": str(e)}))
        raise
    except Exception as e:
        # the provider answered with an error (or we never reached it): no task exists for this attempt
        failed = claim.model_copy(update={"state": "NOT_CREATED", "error": f"{type(e).__name__}: {e}"})
        deps.runs.put_video_claim(run_id, failed)
        raise
    now = deps.clock()
    created = claim.model_copy(
        update={
            "state": "CREATED",
            "task_id": task.task_id,
            "model": task.model,
            "seconds": task.seconds if task.seconds is not None else brief.video.duration,
            "expected_seconds": task.expected_seconds,
            "credits": task.credits,
            "cost_usd": task.cost_usd,
            "submitted_at": now,
        }
    )
    deps.runs.put_video_claim(run_id, created)
    ledger.record(
        deps.runs,
        run_id,
        f"video#{attempt}",
        provider=provider,
        model=task.model,
        usd=task.cost_usd or 0.0,
        basis="estimate",
        credits=task.credits,
    )
    deps.runs.update(
        run_id,
        step="SubmitVideo",
        video_task=task.task_id,
        video_provider=provider,
        video_model=task.model,
        video_attempt=attempt,
    )
    logger.info(
        "video submitted",
        extra={"run_id": run_id, "provider": provider, "task_id": task.task_id, "attempt": attempt},
    )
    return job_from_claim(created, deps)


def job_from_claim(claim: VideoClaim, deps: Deps) -> VideoJob:
    """The VideoJob the state machine carries, rebuilt from a CREATED claim (also when replayed)."""
    task_id, ratio, seconds, deadline = claim.task_id, claim.ratio, claim.seconds, claim.deadline
    if task_id is None or ratio is None or seconds is None or deadline is None or claim.submitted_at is None:
        raise ValueError(f"video attempt {claim.attempt} (state {claim.state}) has no created task to rebuild")
    expected = float(claim.expected_seconds or 0)
    submitted_at = float(claim.submitted_at)
    wait = first_wait(expected)
    if wait:
        # a replay later than the submission waits only for what is left of the first wait
        wait = max(MIN_WAIT, int(wait - max(0.0, deps.clock() - submitted_at)))
    return VideoJob(
        provider=claim.provider,
        task_id=task_id,
        model=claim.model,
        ratio=ratio,
        duration=int(round(float(seconds))),
        wait_seconds=wait,
        submitted_at=submitted_at,
        deadline=float(deadline),
        credits=claim.credits,
        cost_usd=claim.cost_usd,
        fallbacks=list(claim.fallbacks),
        attempt=claim.attempt,
        provider_index=claim.provider_index,
        resubmits=claim.resubmits,
        expected_seconds=expected,
        started_after=submitted_at,
    )
