"""The `runway` provider against the documented Runway API shapes (httpx.MockTransport, no network)."""

from __future__ import annotations

import base64
import io
import json
import logging

import httpx
import pytest
from PIL import Image

from hookforge.config import Settings
from hookforge.errors import (
    BriefInvalid,
    ContentRejected,
    ProviderAuthError,
    ProviderThrottled,
    ProviderUnavailable,
    VideoSubmitUnconfirmed,
)
from hookforge.providers.base import ProviderContext, VideoRequest
from hookforge.providers.runway import ATTEMPTS, PROMPT_LIMIT, RunwayVideo, prepare_image, resolve, trim_prompt
from tests.support.runway_sim import SimulatedRunway


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def still(width: int = 400, height: int = 300) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


def request(**overrides) -> VideoRequest:
    values = dict(run_id="r1", image=still(), image_mime="image/png", prompt="slow push-in", ratio="9:16", duration=5)
    values.update(overrides)
    return VideoRequest(**values)


def provider(handler, *, sleeps: list[float] | None = None, **kwargs) -> RunwayVideo:
    ctx = ProviderContext(
        settings=Settings(),
        store=None,  # type: ignore[arg-type]
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        secret=lambda env, name: "key_simulated",
        sleep=(sleeps if sleeps is not None else []).append,
    )
    return RunwayVideo(ctx, **kwargs)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_submit_sends_the_documented_request_for_the_briefs_aspect(clock: Clock):
    # Given the simulated Runway
    sim = SimulatedRunway(clock=clock)
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return sim.handle(req)

    # When a 9:16 still of the wrong shape is submitted
    task = provider(handler).submit(request(seed=7))
    # Then one POST carries model, Runway's ratio, duration, seed and a JPEG data URI of exactly that ratio
    (create,) = [r for r in seen if r.url.path == "/v1/image_to_video"]
    assert create.headers["authorization"] == "Bearer key_simulated"
    assert create.headers["x-runway-version"] == "2024-11-06"
    body = json.loads(create.content)
    assert (body["model"], body["ratio"], body["duration"], body["seed"]) == ("gen4_turbo", "720:1280", 5, 7)
    assert body["promptText"] == "slow push-in"
    header, _, payload = body["promptImage"].partition(",")
    assert header == "data:image/jpeg;base64"
    assert Image.open(io.BytesIO(base64.b64decode(payload))).size == (720, 1280)
    # And the task carries the model's credits (5/s) and an expected duration for the poller
    assert task.task_id in sim.tasks
    assert (task.model, task.credits, task.cost_usd, task.seconds) == ("gen4_turbo", 25, 0.25, 5)
    assert task.expected_seconds > 30


@pytest.mark.parametrize(
    ("model", "ratio", "duration", "listed"),
    [
        ("gen4_turbo", "7:3", 5, "1280:720"),
        ("gen4.5", "9:16", 11, "2 to 10"),
        ("gen3a_turbo", "9:16", 5, "gen4_turbo, gen4.5"),
    ],
)
def test_invalid_model_ratio_or_duration_fails_before_any_call(model, ratio, duration, listed, clock: Clock):
    # Given a transport that records every request
    calls: list[httpx.Request] = []
    runway = provider(lambda r: calls.append(r) or httpx.Response(500))
    # When the request names something the model does not offer
    with pytest.raises(BriefInvalid) as err:
        runway.submit(request(model=model, ratio=ratio, duration=duration))
    # Then the error lists the allowed values and Runway was never called
    assert listed in str(err.value)
    assert calls == []


def test_brief_aspects_map_to_runway_ratios():
    assert resolve(None, "16:9", 5)[1] == "1280:720"
    assert resolve("gen4.5", "1:1", 10)[1] == "960:960"
    assert resolve(None, "4:5", 2)[1] == "832:1104"
    assert resolve(None, "1584:672", 5)[1] == "1584:672"


def test_prepare_image_crops_a_near_ratio_and_pads_a_far_one():
    # Given a landscape still close to 16:9 and a wide banner far from 9:16
    near = Image.open(io.BytesIO(prepare_image(still(1200, 700), "1280:720")))
    far = Image.open(io.BytesIO(prepare_image(still(1600, 400), "720:1280")))
    # Then both come out at the exact ratio, re-encoded as JPEG
    assert (near.format, near.size) == ("JPEG", (1280, 720))
    assert (far.format, far.size) == ("JPEG", (720, 1280))
    # And the near one is cropped (no bars) while the far one is padded (black bars top and bottom)
    assert near.getpixel((640, 2))[0] > 150
    assert far.getpixel((360, 5)) == (0, 0, 0) and far.getpixel((360, 640))[0] > 150


def test_prompt_is_trimmed_to_runways_utf16_limit_with_a_warning(caplog: pytest.LogCaptureFixture):
    # Given a prompt of emoji (two UTF-16 units each) longer than the limit
    text = "🎬 " * 600
    # When it is trimmed
    with caplog.at_level(logging.WARNING):
        cut = trim_prompt(text)
    # Then it fits in 1000 UTF-16 units and a short prompt is untouched
    assert len(cut.encode("utf-16-le")) // 2 <= PROMPT_LIMIT
    assert len(cut) > 200
    assert trim_prompt("  slow push-in ") == "slow push-in"


def test_a_large_image_goes_through_runways_upload_endpoint(clock: Clock):
    # Given a data-URI limit the still exceeds
    sim = SimulatedRunway(clock=clock)
    runway = provider(sim.handle, data_uri_limit=1000)
    # When it is submitted
    runway.submit(request())
    # Then the still was uploaded and the task got the runway:// URI, not a presigned URL
    assert sim.uploads == 1
    assert [m for m, p in sim.log][:2] == ["POST", "POST"]
    body = next(iter(sim.tasks.values())).body
    assert body["promptImage"] == "runway://uploads/still.jpg"


def test_429_on_create_is_retried_with_backoff_then_creates_one_task(clock: Clock):
    # Given Runway answering 429 twice (daily cap / rate limit: no task created)
    sim = SimulatedRunway(clock=clock, create_errors=[429, 429])
    sleeps: list[float] = []
    # When a task is submitted
    task = provider(sim.handle, sleeps=sleeps).submit(request())
    # Then it was created once, after two jittered sleeps
    assert sim.creates == 1 and task.task_id in sim.tasks
    assert len(sleeps) == 2 and all(0 <= s <= 20 for s in sleeps)


def test_429_on_every_attempt_fails_clearly_as_throttled(clock: Clock):
    sim = SimulatedRunway(clock=clock, create_errors=[429] * 10)
    with pytest.raises(ProviderThrottled, match="daily task cap"):
        provider(sim.handle).submit(request())
    # Then exactly ATTEMPTS requests went out (the SDK's own retries are off) and no task exists
    assert sum(1 for m, p in sim.log if p == "/v1/image_to_video") == ATTEMPTS
    assert sim.creates == 0


def test_5xx_on_create_is_retried_then_fails_as_unavailable(clock: Clock):
    sim = SimulatedRunway(clock=clock, create_errors=[502, 503, 504, 500])
    with pytest.raises(ProviderUnavailable, match="HTTP 500"):
        provider(sim.handle).submit(request())
    assert sim.creates == 0


def test_a_lost_create_answer_is_never_sent_again(clock: Clock):
    # Given Runway creating the task and the answer being lost (read timeout)
    sim = SimulatedRunway(clock=clock, lost_creates=1)
    # When the task is submitted
    with pytest.raises(VideoSubmitUnconfirmed, match="not sent again"):
        provider(sim.handle).submit(request())
    # Then exactly one POST went out and exactly one task exists
    assert sum(1 for m, p in sim.log if p == "/v1/image_to_video") == 1
    assert sim.creates == 1


def test_a_connection_that_never_opened_is_retried(clock: Clock):
    # Given the first connection attempt failing before anything was sent
    sim = SimulatedRunway(clock=clock)
    failures = [httpx.ConnectError("connection refused")]

    def handler(req: httpx.Request) -> httpx.Response:
        if failures and req.url.path == "/v1/image_to_video":
            raise failures.pop()
        return sim.handle(req)

    # When submitted / Then the retry creates the one task
    provider(handler).submit(request())
    assert sim.creates == 1


def test_poll_reports_pending_throttled_running_and_succeeded(clock: Clock):
    # Given a task that is PENDING, then THROTTLED, RUNNING and finally SUCCEEDED
    sim = SimulatedRunway(clock=clock, task_seconds=60, pending_seconds=5, throttled_seconds=20)
    runway = provider(sim.handle)
    task = runway.submit(request())
    start = clock.now
    statuses = []
    for at in (1, 21, 40, 61):
        clock.now = start + at
        statuses.append(runway.poll(task.task_id))
    # Then each documented status is mapped, with progress while running and the output URL at the end
    assert [s.status for s in statuses] == ["PENDING", "THROTTLED", "RUNNING", "SUCCEEDED"]
    assert statuses[2].progress == pytest.approx(15 / 35, abs=0.01)
    assert statuses[3].output_url and statuses[3].output_url.endswith(".mp4")
    assert statuses[3].credits == 25


def test_failed_task_reports_runways_reason_and_code(clock: Clock):
    sim = SimulatedRunway(clock=clock, outcomes=["FAILED:SAFETY.INPUT.TEXT"], task_seconds=10)
    runway = provider(sim.handle)
    task = runway.submit(request())
    clock.now += 11
    status = runway.poll(task.task_id)
    assert (status.status, status.failure_code) == ("FAILED", "SAFETY.INPUT.TEXT")
    assert "content moderation" in (status.failure or "")


def test_poll_5xx_is_retried_because_reads_are_safe(clock: Clock):
    # Given Runway answering two polls with 503 and 502
    sim = SimulatedRunway(clock=clock, poll_errors=[503, 502])
    sleeps: list[float] = []
    runway = provider(sim.handle, sleeps=sleeps)
    task = runway.submit(request())
    # When polled / Then the third read answers, and no retry came sooner than Runway's 5 s polling floor
    assert runway.poll(task.task_id).status == "PENDING"
    assert sim.polls == 3
    assert len(sleeps) == 2 and min(sleeps) >= 5


def test_cancel_deletes_the_task_and_tolerates_an_unknown_one(clock: Clock):
    sim = SimulatedRunway(clock=clock)
    runway = provider(sim.handle)
    task = runway.submit(request())
    runway.cancel(task.task_id)
    runway.cancel("unknown-task")
    assert sim.tasks[task.task_id].cancelled
    assert runway.poll(task.task_id).status == "CANCELLED"


def test_a_rejected_key_names_the_secret_to_fix(clock: Clock):
    sim = SimulatedRunway(clock=clock, api_key="another-key")
    with pytest.raises(ProviderAuthError, match="RUNWAYML_API_SECRET"):
        provider(sim.handle).submit(request())


def test_a_moderation_refusal_at_create_is_content_rejected(clock: Clock):
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "The image did not pass content moderation."})

    with pytest.raises(ContentRejected, match="content moderation"):
        provider(handler).submit(request())


def test_a_brief_naming_a_model_runway_does_not_offer_is_invalid():
    from pydantic import ValidationError

    from hookforge.models import Brief

    # Given a brief asking Runway for a retired model / Then it fails validation listing the models
    with pytest.raises(ValidationError, match="gen4_turbo, gen4.5"):
        Brief.model_validate({"name": "x", "video": {"providers": ["runway"], "model": "gen3a_turbo"}})
    # And the model is not applied to a later provider of the chain
    ok = Brief.model_validate({"name": "x", "video": {"providers": ["kenburns", "runway"], "model": "kenburns-v1"}})
    assert ok.video.providers == ["kenburns", "runway"]
