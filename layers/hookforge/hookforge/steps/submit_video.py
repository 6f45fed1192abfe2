"""SubmitVideo: start image-to-video for the picked still (step 4 of the workflow), exactly once per attempt.

Every submission is an *attempt* recorded in the runs table as `RUN#<run_id> / VIDEO#<n>` before the
provider is called (a conditional put: only one invocation can claim it) and completed with the task id
right after. A retried or re-driven SubmitVideo therefore finds the task it already created and returns
it instead of creating (and paying for) a second one. Claim states:

- `CREATING`: the call is out (or the invocation died during it) -> never sent again (VideoSubmitUnconfirmed);
- `CREATED`: the task exists -> replayed as the same VideoJob;
- `NOT_CREATED`: the provider answered with an error, so no task exists -> the attempt may be retried;
- `UNCONFIRMED`: the answer to a create was lost -> never sent again.

The brief's `video.providers` is a fallback chain: throttling, an outage, a failure or a missing key at one
provider moves to the next as a new attempt; a content-policy rejection never does.
"""

from __future__ import annotations

from typing import Any

from hookforge.errors import (
    ConfigError,
    HookforgeError,
    ProviderAuthError,
    ProviderThrottled,
    ProviderUnavailable,
    VideoFailed,
    VideoSubmitUnconfirmed,
)
from hookforge.models import Brief, Selection, SubmitVideoInput, VideoJob
from hookforge.observability import logger
from hookforge.providers.base import VideoRequest, video_generator
from hookforge.steps.deps import Deps
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
    return f"VIDEO#{attempt}"


def run(event: SubmitVideoInput, deps: Deps) -> VideoJob:
    claims = sorted(deps.runs.children(event.run_id, "VIDEO#"), key=lambda c: int(c["attempt"]))
    if claims:
        last = claims[-1]
        if last.get("state") == "CREATED":
            logger.info("video task already submitted", extra={"run_id": event.run_id, "attempt": last["attempt"]})
            return job_from_claim(last, deps)
        return start(
            event.run_id,
            event.brief,
            event.selection,
            deps,
            provider_index=int(last["provider_index"]),
            attempt=int(last["attempt"]),
            fallbacks=list(last.get("fallbacks") or []),
            deadline=last.get("deadline"),
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
    key = claim_key(attempt)
    claim: dict[str, Any] = {
        "attempt": attempt,
        "provider": provider,
        "provider_index": provider_index,
        "resubmits": resubmits,
        "fallbacks": fallbacks,
        "deadline": deadline,
        "ratio": brief.video.ratio,
        "state": "CREATING",
        "claimed_at": deps.clock(),
    }
    if not deps.runs.put_child(run_id, key, claim, only_if_new=True):
        existing = deps.runs.get_child(run_id, key) or {}
        state = existing.get("state")
        if state == "CREATED":
            return job_from_claim(existing, deps)
        if state != "NOT_CREATED" or not deps.runs.replace_child_if(
            run_id, key, claim, field="state", equals="NOT_CREATED"
        ):
            raise VideoSubmitUnconfirmed(
                f"attempt {attempt} at {existing.get('provider', provider)} was already sent and its outcome is "
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
    )
    try:
        task = video_generator(provider, deps.provider_ctx).submit(request)
    except VideoSubmitUnconfirmed as e:
        deps.runs.put_child(run_id, key, {**claim, "state": "UNCONFIRMED", "error": str(e)})
        raise
    except Exception as e:
        # the provider answered with an error (or we never reached it): no task exists for this attempt
        deps.runs.put_child(run_id, key, {**claim, "state": "NOT_CREATED", "error": f"{type(e).__name__}: {e}"})
        raise
    now = deps.clock()
    created = {
        **claim,
        "state": "CREATED",
        "task_id": task.task_id,
        "model": task.model,
        "seconds": task.seconds if task.seconds is not None else brief.video.duration,
        "expected_seconds": task.expected_seconds,
        "credits": task.credits,
        "cost_usd": task.cost_usd,
        "submitted_at": now,
    }
    deps.runs.put_child(run_id, key, created)
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


def job_from_claim(claim: dict[str, Any], deps: Deps) -> VideoJob:
    """The VideoJob the state machine carries, rebuilt from a CREATED claim (also when replayed)."""
    expected = float(claim.get("expected_seconds") or 0)
    submitted_at = float(claim["submitted_at"])
    wait = first_wait(expected)
    if wait:
        # a replay later than the submission waits only for what is left of the first wait
        wait = max(MIN_WAIT, int(wait - max(0.0, deps.clock() - submitted_at)))
    return VideoJob(
        provider=claim["provider"],
        task_id=claim["task_id"],
        model=claim.get("model"),
        ratio=claim["ratio"],
        duration=int(round(float(claim["seconds"]))),
        wait_seconds=wait,
        submitted_at=submitted_at,
        deadline=float(claim["deadline"]),
        credits=claim.get("credits"),
        cost_usd=claim.get("cost_usd"),
        fallbacks=list(claim.get("fallbacks") or []),
        attempt=int(claim["attempt"]),
        provider_index=int(claim["provider_index"]),
        resubmits=int(claim.get("resubmits") or 0),
        expected_seconds=expected,
        started_after=submitted_at,
    )
