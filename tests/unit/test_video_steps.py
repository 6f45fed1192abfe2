"""SubmitVideo and PollVideo on moto (S3, DynamoDB), a simulated Runway (MockTransport) and a simulated clock."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx
import pytest
from PIL import Image

from hookforge.config import Settings
from hookforge.deps import Deps
from hookforge.errors import ContentRejected, ProviderThrottled, VideoFailed, VideoInvalid, VideoSubmitUnconfirmed
from hookforge.media import run_ffmpeg
from hookforge.models import Brief, Candidate, PollVideoInput, Selection, SubmitVideoInput, VideoJob
from hookforge.providers.base import ProviderContext
from hookforge.steps import poll_video, submit_video
from hookforge.storage import run_key
from tests.conftest import create_resources, write_clip
from tests.support.runway_sim import SimulatedRunway

BUCKET = "hf-video-test"
TABLE = "hf-video-runs"
RUN = "run-video-1"
STILL_KEY = run_key(RUN, "candidates", "0.png")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Harness:
    deps: Deps
    sim: SimulatedRunway
    clock: Clock
    sleeps: list[float] = field(default_factory=list)

    def brief(self, **video) -> Brief:
        return Brief.model_validate(
            {"name": "video-test", "video": {"providers": ["runway"], "duration": 2, "ratio": "9:16", **video}}
        )

    def selection(self) -> Selection:
        candidate = Candidate(
            index=0, key=STILL_KEY, prompt="neon sneaker", provider="placeholder", width=256, height=448
        )
        return Selection(candidate=candidate, motion_prompt="slow push-in")

    def submit(self, brief: Brief | None = None) -> VideoJob:
        event = SubmitVideoInput(run_id=RUN, brief=brief or self.brief(), selection=self.selection())
        return through_json(submit_video.run(event, self.deps))

    def poll(self, job: VideoJob, brief: Brief | None = None) -> VideoJob:
        self.clock.now += job.wait_seconds
        event = PollVideoInput(run_id=RUN, brief=brief or self.brief(), selection=self.selection(), video=job)
        return through_json(poll_video.run(event, self.deps))

    def drive(self, job: VideoJob, brief: Brief | None = None, *, limit: int = 30) -> VideoJob:
        """The state machine's Wait -> PollVideo loop until SUCCEEDED (or an error)."""
        for _ in range(limit):
            job = self.poll(job, brief)
            if job.status == "SUCCEEDED":
                return job
        raise AssertionError(f"not finished after {limit} polls")


def through_json(job: VideoJob) -> VideoJob:
    """What the state machine carries between states: JSON, validated again on the way in."""
    return VideoJob.model_validate(job.model_dump(mode="json"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real 2-second H.264 clip (180x320, faststart), standing in for Runway's output."""
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4").read_bytes()


@pytest.fixture
def h(monkeypatch: pytest.MonkeyPatch, clip: bytes) -> Iterator[Harness]:
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        create_resources(BUCKET, runs_table=TABLE)
        s3 = boto3.client("s3", region_name="us-east-1")
        ddb = boto3.resource("dynamodb", region_name="us-east-1")
        clock = Clock()
        settings = Settings(artifacts_bucket=BUCKET, runs_table=TABLE, stage="local")
        deps = Deps(settings=settings, clock=clock, overrides={"s3": s3, "resource:dynamodb": ddb})
        sim = SimulatedRunway(clock=clock, video=clip, task_seconds=80, pending_seconds=3)
        harness = Harness(deps=deps, sim=sim, clock=clock)
        deps.provider_ctx = ProviderContext(
            settings=settings,
            store=deps.store,
            http=httpx.Client(transport=sim.transport()),
            secret=lambda env, name: "key_simulated",
            sleep=harness.sleeps.append,
        )
        buf = io.BytesIO()
        Image.new("RGB", (256, 448), (30, 160, 90)).save(buf, "PNG")
        deps.store.put_bytes(STILL_KEY, buf.getvalue(), content_type="image/png")
        deps.runs.start(RUN, brief_key="briefs/video-test.json", brief_name="video-test")
        yield harness


def test_task_goes_pending_throttled_running_succeeded_and_the_clip_is_copied_out(h: Harness):
    # Given a Runway task that is PENDING, then queued (THROTTLED) for 20 s, then runs until 80 s
    h.sim.throttled_seconds = 20
    # When SubmitVideo starts it and the Wait -> PollVideo loop runs
    job = h.submit()
    seen = [job.status]
    while job.status != "SUCCEEDED":
        job = h.poll(job)
        seen.append(job.status)
    # Then the loop saw the documented states in order and polled at most 5 times, never under 5 s apart
    assert seen[0] == "PENDING" and seen[-1] == "SUCCEEDED"
    assert "THROTTLED" in seen and "RUNNING" in seen
    assert seen.index("THROTTLED") < seen.index("RUNNING")
    assert job.polls == h.sim.polls <= 5
    # And the clip is in runs/<id>/raw.mp4, the same bytes Runway served
    assert job.raw_key == run_key(RUN, "raw.mp4")
    assert h.deps.store.get_bytes(job.raw_key) == h.sim.video
    # And the run records the task id, model, seconds and credits
    record = h.deps.runs.get(RUN)
    assert record is not None
    assert record["video_task"] == job.task_id
    assert (record["video_model"], record["video_seconds"], record["video_credits"]) == ("gen4_turbo", 2, 10)
    assert record["raw_key"] == job.raw_key


def test_detection_delay_stays_under_15_percent_for_a_two_minute_task(h: Harness):
    # Given a task that finishes 120 s after submission
    h.sim.task_seconds = 120
    submitted = h.clock.now
    # When the loop runs to the end
    job = h.drive(h.submit())
    # Then the pipeline noticed within 15 % of the task's time, in at most 5 polls
    assert (h.clock.now - submitted - 120) / 120 < 0.15
    assert job.polls <= 5


def test_safety_failure_ends_as_content_rejected_with_runways_reason(h: Harness):
    # Given Runway's moderation failing the prompt
    h.sim.outcomes = ["FAILED:SAFETY.INPUT.TEXT"]
    job = h.submit()
    # When the loop reaches the failure
    with pytest.raises(ContentRejected) as err:
        h.drive(job)
    # Then the user sees Runway's reason and code, and nothing was resubmitted
    assert "did not pass our content moderation" in str(err.value)
    assert "SAFETY.INPUT.TEXT" in str(err.value)
    assert h.sim.creates == 1


def test_internal_failure_is_resubmitted_once_and_the_retry_succeeds(h: Harness):
    # Given a first task failing inside Runway and the second succeeding
    h.sim.outcomes = ["FAILED:INTERNAL.BAD_OUTPUT.CODE01", "SUCCEEDED"]
    # When the loop runs
    job = h.drive(h.submit())
    # Then exactly two tasks were created and the second one's clip is the run's raw.mp4
    assert h.sim.creates == 2
    assert (job.attempt, job.resubmits, job.status) == (1, 1, "SUCCEEDED")
    assert job.task_id == list(h.sim.tasks)[1]
    claims = {c["sk"]: c for c in h.deps.runs.children(RUN, "VIDEO#")}
    assert claims["VIDEO#0"]["outcome"] == "FAILED INTERNAL.BAD_OUTPUT.CODE01"
    assert claims["VIDEO#1"]["state"] == "CREATED"


def test_internal_failure_twice_fails_the_run_after_one_resubmission(h: Harness):
    h.sim.outcomes = ["FAILED:INTERNAL.BAD_OUTPUT.CODE01", "FAILED:INTERNAL.BAD_OUTPUT.CODE01"]
    with pytest.raises(VideoFailed, match="INTERNAL.BAD_OUTPUT.CODE01"):
        h.drive(h.submit())
    assert h.sim.creates == 2


def test_a_task_cancelled_outside_hookforge_fails_clearly(h: Harness):
    h.sim.outcomes = ["CANCELLED"]
    with pytest.raises(VideoFailed, match="cancelled outside hookforge"):
        h.drive(h.submit())
    assert h.sim.creates == 1


def test_a_truncated_output_fails_verification_and_is_not_passed_on(h: Harness):
    # Given Runway serving only half of the clip
    h.sim.truncate_output = True
    # When the task succeeds
    with pytest.raises(VideoInvalid, match="truncated|not a readable"):
        h.drive(h.submit())
    # Then no raw.mp4 reaches the run
    assert not h.deps.store.exists(run_key(RUN, "raw.mp4"))


def test_a_clip_of_the_wrong_length_fails_verification(h: Harness):
    # Given a brief ordering 5 s while the provider delivers 2 s
    brief = h.brief(duration=5)
    with pytest.raises(VideoInvalid, match="5s was ordered"):
        h.drive(h.submit(brief), brief)


def test_a_retried_submit_returns_the_recorded_task_instead_of_creating_another(h: Harness):
    # Given a SubmitVideo that created and recorded its task (then its Lambda timed out before answering)
    first = h.submit()
    # When Step Functions retries SubmitVideo
    h.clock.now += 7
    second = h.submit()
    # Then the retry returns the same task and Runway saw one create
    assert second.task_id == first.task_id
    assert sum(1 for m, p in h.sim.log if p == "/v1/image_to_video") == 1
    assert second.wait_seconds <= first.wait_seconds


def test_lambda_retry_after_a_timeout_during_create_creates_exactly_one_task(h: Harness):
    # Given Runway creating the task while the create's answer is lost (the invocation times out)
    h.sim.lost_creates = 1
    with pytest.raises(VideoSubmitUnconfirmed):
        h.submit()
    # When the invocation is retried (by Lambda or by the state machine), twice
    for _ in range(2):
        with pytest.raises(VideoSubmitUnconfirmed, match="not sent again"):
            h.submit()
    # Then exactly one task was created and the attempt is marked as unconfirmed
    assert h.sim.creates == 1
    assert sum(1 for m, p in h.sim.log if p == "/v1/image_to_video") == 1
    assert h.deps.runs.get_child(RUN, "VIDEO#0")["state"] == "UNCONFIRMED"


def test_an_invocation_that_died_mid_create_is_not_resubmitted(h: Harness):
    # Given a claim left in CREATING by an invocation killed while its create was out
    h.deps.runs.put_child(
        RUN, "VIDEO#0", {"attempt": 0, "provider": "runway", "provider_index": 0, "state": "CREATING"}
    )
    # When SubmitVideo runs again / Then it refuses to create a possibly duplicate task
    with pytest.raises(VideoSubmitUnconfirmed, match="outcome is unknown"):
        h.submit()
    assert h.sim.creates == 0


def test_429_on_create_fails_clearly_and_a_later_retry_may_create_the_task(h: Harness):
    # Given Runway at its daily cap for every in-process attempt
    h.sim.create_errors = [429] * 4
    with pytest.raises(ProviderThrottled, match="429"):
        h.submit()
    # Then the attempt is recorded as not created (no task exists) after jittered backoff
    assert h.deps.runs.get_child(RUN, "VIDEO#0")["state"] == "NOT_CREATED"
    assert len(h.sleeps) == 3
    # When the state machine retries SubmitVideo later / Then the one task is created
    job = h.submit()
    assert h.sim.creates == 1 and job.task_id in h.sim.tasks


def test_5xx_on_create_falls_back_to_the_next_provider_in_the_chain(h: Harness):
    # Given runway failing with 5xx on every attempt and kenburns next in the chain
    h.sim.create_errors = [503] * 4
    brief = h.brief(providers=["runway", "kenburns"])
    # When SubmitVideo runs
    job = h.submit(brief)
    # Then the job moved to kenburns as attempt 1, recording why
    assert (job.provider, job.attempt, job.provider_index) == ("kenburns", 1, 1)
    assert job.fallbacks and job.fallbacks[0].startswith("runway: ProviderUnavailable")
    assert h.sim.creates == 0
    # And the offline clip finishes the loop
    done = h.drive(job, brief)
    assert done.raw_key == run_key(RUN, "raw.mp4")


def test_the_deadline_cancels_the_task_and_times_out(h: Harness):
    from hookforge.errors import VideoTimedOut

    # Given a task that would take an hour and a 1-minute deadline
    h.sim.task_seconds = 3600
    brief = h.brief(deadline_minutes=1)
    job = h.submit(brief)
    # When the loop passes the deadline
    with pytest.raises(VideoTimedOut, match="cancelled"):
        h.drive(job, brief)
    # Then the task was cancelled at Runway
    task = h.sim.tasks[job.task_id]
    assert task.cancelled
    assert ("DELETE", f"/v1/tasks/{job.task_id}") in h.sim.log


def test_runway_at_its_daily_cap_falls_back_to_nova_reel_writing_into_the_bucket(h: Harness, tmp_path: Path):
    from botocore.stub import Stubber

    # Given Runway answering 429 to every create, and Nova Reel next in the chain (Bedrock stubbed)
    h.sim.create_errors = [429] * 4
    brief = h.brief(providers=["runway", "nova-reel"], duration=5)
    bedrock = boto3.client("bedrock-runtime", region_name="us-east-1")
    h.deps.provider_ctx.clients["bedrock-runtime"] = bedrock
    arn = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/inv42"
    prefix = run_key(RUN, "video", "nova-reel-1")
    state = {
        "invocationArn": arn,
        "modelArn": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-reel-v1:1",
        "submitTime": "2026-11-24T10:00:00Z",
        "outputDataConfig": {"s3OutputDataConfig": {"s3Uri": f"s3://{BUCKET}/{prefix}"}},
    }
    clip6 = tmp_path / "nova.mp4"
    run_ffmpeg(
        ["-y", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=24:duration=6", "-c:v", "libx264"]
        + ["-preset", "ultrafast", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(clip6)]
    )
    with Stubber(bedrock) as stub:
        stub.add_response("start_async_invoke", {"invocationArn": arn})
        stub.add_response("get_async_invoke", {**state, "status": "InProgress"}, {"invocationArn": arn})
        stub.add_response("get_async_invoke", {**state, "status": "Completed"}, {"invocationArn": arn})
        # When SubmitVideo runs, then the loop (Bedrock writes the clip while it runs)
        job = h.submit(brief)
        assert (job.provider, job.attempt, job.duration) == ("nova-reel", 1, 6)
        job = h.poll(job, brief)
        h.deps.store.upload_file(clip6, f"{prefix}/inv42/output.mp4", content_type="video/mp4")
        job = h.drive(job, brief)
    # Then the Nova Reel clip is the run's raw.mp4, with its seconds and cost recorded and why runway was skipped
    assert h.deps.store.get_bytes(job.raw_key or "") == clip6.read_bytes()
    record = h.deps.runs.get(RUN) or {}
    assert (record["video_provider"], record["video_seconds"], record["video_cost_usd"]) == ("nova-reel", 6, 0.48)
    assert "ProviderThrottled" in record["video_fallbacks"][0]
    assert h.sim.creates == 0


def test_a_task_queued_too_long_is_cancelled_and_handed_to_the_next_provider(h: Harness):
    # Given a Runway task stuck in THROTTLED for half an hour and kenburns next in the chain
    h.sim.throttled_seconds = 1800
    brief = h.brief(providers=["runway", "kenburns"])
    job = h.submit(brief)
    # When the loop runs
    waits = []
    while job.provider == "runway":
        job = h.poll(job, brief)
        waits.append(job.wait_seconds)
    # Then the waits grew while throttled, the runway task was cancelled (not billed) and kenburns took over
    assert waits[:3] == sorted(waits[:3])
    assert h.sim.tasks[list(h.sim.tasks)[0]].cancelled
    assert job.fallbacks[-1].startswith("runway: queued (THROTTLED)")
    assert h.drive(job, brief).raw_key == run_key(RUN, "raw.mp4")
