"""Issue 13: today's providers (Runway's roster from its SDK, Bedrock's current models and their lifecycle),
checked before anything is spent (preflight, budget), with the cost of every paid call recorded.

Runway is the simulated API on httpx.MockTransport (documented shapes, with and without `estimatedCost`/`cost`);
Bedrock is botocore's Stubber; S3 and DynamoDB are moto.
"""

from __future__ import annotations

import io
import json
import types
from collections.abc import Iterator
from typing import Any, Literal, TypedDict

import boto3
import httpx
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image
from pydantic import ValidationError

from hookforge import ledger
from hookforge.config import Settings
from hookforge.deps import Deps
from hookforge.errors import BudgetExceeded, ContentRejected, ModelRetired, ProviderNotReady
from hookforge.models import Brief, Candidate, PollVideoInput, Selection, SubmitVideoInput, ValidateBriefInput, VideoJob
from hookforge.preflight import preflight
from hookforge.providers.base import ImageRequest, ProviderContext, VideoRequest
from hookforge.providers.bedrock_canvas import BedrockCanvasImages
from hookforge.providers.bedrock_models import check_lifecycle
from hookforge.providers.luma_ray import LumaRayVideo
from hookforge.providers.runway import status_from_answer
from hookforge.providers.runway_models import MODELS, resolve, roster_from
from hookforge.steps import poll_video, submit_video, validate_brief
from hookforge.storage import run_key
from tests.conftest import create_resources, write_clip
from tests.support.runway_sim import SimulatedRunway

BUCKET = "hf-today-test"
TABLE = "hf-today-runs"
RUN = "run-today-1"
STILL_KEY = run_key(RUN, "candidates", "r0-1.png")


# --------------------------------------------------------------------------------------------- Runway's roster
def test_the_roster_is_read_from_the_installed_sdks_request_types():
    # veo3.1: its ratios, durations and sound exactly as the SDK's Literal types state them
    veo = MODELS["veo3.1"]
    assert veo.ratios == ("1280:720", "720:1280", "1080:1920", "1920:1080")
    assert (veo.durations, veo.audio) == ((4, 6, 8), True)
    # an `int` duration takes its range from the field's docstring ("Must be an integer from 2 to 10")
    assert MODELS["gen4.5"].durations == tuple(range(2, 11)) and MODELS["gen4.5"].audio is False
    # about 25 models come through one call
    assert {"gen4.5", "gen4_turbo", "veo3.1", "veo3.1_fast", "kling3.0_pro", "seedance2"} <= set(MODELS)
    assert len(MODELS) >= 20


def test_an_sdk_upgrade_brings_a_new_model_without_a_code_change():
    # Given a newer SDK's params module with a model hookforge has never heard of
    class Gen5(TypedDict, total=False):
        model: Literal["gen5"]
        ratio: Literal["720:1280", "1280:720"]
        duration: Literal[5, 10]
        audio: bool

    class Gen4Turbo(TypedDict, total=False):
        model: Literal["gen4_turbo"]
        duration: int
        """Must be an integer from 2 to 10."""

    module = types.ModuleType("fake_params")
    module.ImageToVideoCreateParams = Gen5 | Gen4Turbo  # type: ignore[attr-defined]
    # When the roster is read from it / Then the new model is there with its own ratios, durations and sound
    roster = roster_from(module)
    assert roster["gen5"].ratios == ("720:1280", "1280:720")
    assert (roster["gen5"].durations, roster["gen5"].audio) == ((5, 10), True)
    assert roster["gen4_turbo"].ratios == ()  # no ratio type: the model follows the first frame


@pytest.mark.parametrize(
    ("video", "field", "allowed"),
    [
        ({"model": "veo3.1", "ratio": "1:1"}, "video.ratio", "1280:720, 720:1280, 1080:1920, 1920:1080"),
        ({"model": "veo3.1", "duration": 5}, "video.duration", "4, 6, 8"),
        ({"model": "gen4_turbo", "audio": True}, "video.audio", "veo3.1"),
        ({"model": "gen9"}, "video.model", "gen4_turbo, gen4.5, veo3.1"),
    ],
)
def test_a_model_that_does_not_offer_the_request_is_refused_naming_field_and_allowed_values(video, field, allowed):
    with pytest.raises(ValidationError) as err:
        Brief.model_validate({"name": "x", "video": {"providers": ["runway"], **video}})
    assert field in str(err.value) and allowed in str(err.value)


def test_the_default_duration_is_mapped_to_what_the_model_offers():
    brief = Brief.model_validate({"name": "x", "video": {"providers": ["runway"], "model": "veo3.1", "audio": True}})
    assert brief.video.duration in MODELS["veo3.1"].durations
    assert resolve("veo3.1", "9:16", brief.video.duration, audio=True)[1] == "720:1280"
    # a model that follows its first frame gets no ratio, or its auto tier
    assert resolve("kling_4", "9:16", 5)[1] == "auto_720p"


# --------------------------------------------------------------------------------------------- Runway answers
def test_task_answers_are_read_raw_with_and_without_costs():
    running = status_from_answer({"id": "t", "status": "RUNNING", "estimatedCost": {"credits": 60}})
    assert (running.credits, running.credits_actual, running.cost_usd, running.progress) == (60.0, False, None, None)
    done = status_from_answer(
        {"id": "t", "status": "SUCCEEDED", "output": ["https://x/o.mp4"], "cost": {"credits": 48}}
    )
    assert (done.credits, done.credits_actual, done.cost_usd, done.output_url) == (48.0, True, 0.48, "https://x/o.mp4")
    bare = status_from_answer({"id": "t", "status": "FAILED", "failureCode": "SAFETY.INPUT.IMAGE"})
    assert (bare.credits, bare.failure_code, bare.failure, bare.output_url) == (None, "SAFETY.INPUT.IMAGE", None, None)


# --------------------------------------------------------------------------------------------- harness
class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    def __init__(self, deps: Deps, sim: SimulatedRunway, clock: Clock, keys: dict[str, str]) -> None:
        self.deps, self.sim, self.clock, self.keys = deps, sim, clock, keys

    def selection(self) -> Selection:
        candidate = Candidate(
            index=0, key=STILL_KEY, prompt="neon sneaker", provider="placeholder", width=256, height=448
        )
        return Selection(candidate=candidate, motion_prompt="slow push-in")

    def submit(self, brief: Brief) -> VideoJob:
        job = submit_video.run(SubmitVideoInput(run_id=RUN, brief=brief, selection=self.selection()), self.deps)
        return VideoJob.model_validate(job.model_dump(mode="json"))

    def drive(self, job: VideoJob, brief: Brief) -> VideoJob:
        for _ in range(30):
            self.clock.now += max(job.wait_seconds, 5)
            event = PollVideoInput(run_id=RUN, brief=brief, selection=self.selection(), video=job)
            job = VideoJob.model_validate(poll_video.run(event, self.deps).model_dump(mode="json"))
            if job.status == "SUCCEEDED":
                return job
        raise AssertionError("not finished")

    def validate(self, brief: dict[str, Any]) -> Any:
        key = f"briefs/{brief['name']}.json"
        self.deps.store.put_bytes(key, json.dumps(brief).encode(), content_type="application/json")
        return validate_brief.run(ValidateBriefInput(run_id=RUN, brief_key=key), self.deps)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    from hookforge.media import run_ffmpeg

    folder = tmp_path_factory.mktemp("clips")
    silent = write_clip(folder / "silent.mp4", seconds=6.0).read_bytes()
    sound = folder / "sound.mp4"
    run_ffmpeg(
        ["-y", "-f", "lavfi", "-i", "testsrc=size=180x320:rate=30:duration=6", "-f", "lavfi", "-i"]
        + ["sine=frequency=440:duration=6", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
        + ["-c:a", "aac", "-shortest", "-movflags", "+faststart", str(sound)]
    )
    return {"silent": silent, "sound": sound.read_bytes()}


@pytest.fixture
def h(monkeypatch: pytest.MonkeyPatch, clips: dict[str, bytes]) -> Iterator[Harness]:
    from moto import mock_aws

    for key, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        create_resources(BUCKET, runs_table=TABLE)
        clock = Clock()
        settings = Settings(artifacts_bucket=BUCKET, runs_table=TABLE, stage="local")
        deps = Deps(
            settings=settings,
            clock=clock,
            overrides={"s3": boto3.client("s3"), "resource:dynamodb": boto3.resource("dynamodb")},
        )
        sim = SimulatedRunway(
            clock=clock, video=clips["silent"], video_with_audio=clips["sound"], task_seconds=60, pending_seconds=3
        )
        keys = {"RUNWAYML_API_SECRET": "key_simulated"}

        def secret(env: str, name: str) -> str:
            if env in keys:
                return keys[env]
            from hookforge.errors import ConfigError

            raise ConfigError(f"missing API key: set the environment variable {env} (or the secret {name!r} in AWS)")

        deps.provider_ctx = ProviderContext(
            settings=settings,
            store=deps.store,
            http=httpx.Client(transport=sim.transport()),
            secret=secret,
            sleep=lambda _s: None,
            client_factory=deps.client,
        )
        buf = io.BytesIO()
        Image.new("RGB", (256, 448), (30, 160, 90)).save(buf, "PNG")
        deps.store.put_bytes(STILL_KEY, buf.getvalue(), content_type="image/png")
        deps.runs.start(RUN, brief_key="briefs/x.json", brief_name="x")
        yield Harness(deps, sim, clock, keys)


def runway_brief(**video: Any) -> Brief:
    return Brief.model_validate({"name": "today", "video": {"providers": ["runway"], "ratio": "9:16", **video}})


# --------------------------------------------------------------------------------------------- veo3.1 with sound
def test_a_veo_task_with_audio_asks_for_sound_and_its_sound_reaches_every_placement(h: Harness, tmp_path):
    from hookforge.effects import render
    from hookforge.media import probe

    # Given a brief asking veo3.1 for sound
    brief = runway_brief(model="veo3.1", audio=True, duration=6)
    # When SubmitVideo and the poll loop run against Runway
    job = h.drive(h.submit(brief), brief)
    # Then the create asked veo3.1 for sound, at its own ratio and duration
    body = next(iter(h.sim.tasks.values())).body
    assert (body["model"], body["ratio"], body["duration"], body["audio"]) == ("veo3.1", "720:1280", 6, True)
    # And the clip copied out carries that sound, and every placement the effects render keeps it
    raw = tmp_path / "raw.mp4"
    raw.write_bytes(h.deps.store.get_bytes(job.raw_key or ""))
    assert probe(raw).has_audio
    result = render(raw, tmp_path / "out", preset="clean", aspects=["9:16", "1:1", "16:9"], duration=6.0)
    assert set(result.outputs) == {"9:16", "1:1", "16:9"}
    assert all(probe(path).has_audio for path in result.outputs.values())
    assert result.sound is not None and "clip sound" in result.sound.describe()


def test_a_model_with_sound_is_told_no_sound_unless_the_brief_asks(h: Harness):
    h.submit(runway_brief(model="veo3.1_fast", duration=4))
    assert next(iter(h.sim.tasks.values())).body["audio"] is False


# --------------------------------------------------------------------------------------------- cost ledger
def test_runways_reported_cost_replaces_the_estimate_in_the_ledger(h: Harness):
    brief = runway_brief(duration=6)
    job = h.submit(brief)
    assert ledger.entries(h.deps.runs, RUN)[0]["basis"] == "estimate"
    h.drive(job, brief)
    [entry] = ledger.entries(h.deps.runs, RUN)
    # gen4_turbo at 5 credits/s for 6 s, as Runway's `cost` reported it: actual, in USD at a cent a credit
    assert (entry["basis"], float(entry["credits"]), float(entry["usd"])) == ("actual", 30.0, 0.3)


def test_an_answer_without_costs_keeps_the_labelled_estimate(h: Harness):
    h.sim.report_costs = False
    brief = runway_brief(duration=6)
    h.drive(h.submit(brief), brief)
    [entry] = ledger.entries(h.deps.runs, RUN)
    assert (entry["basis"], float(entry["usd"])) == ("estimate", 0.3)


def test_a_safety_failure_is_content_rejected_and_refunded_in_the_ledger(h: Harness):
    h.sim.outcomes = ["FAILED:SAFETY.INPUT.TEXT"]
    brief = runway_brief(duration=5)
    job = h.submit(brief)
    with pytest.raises(ContentRejected, match="SAFETY.INPUT.TEXT"):
        h.drive(job, brief)
    assert float(ledger.entries(h.deps.runs, RUN)[0]["usd"]) == 0.0


def test_the_budget_stops_the_video_call_that_would_pass_it_saying_what_was_spent(h: Harness):
    # Given $0.20 already spent on stills and a budget of $0.30
    ledger.record(h.deps.runs, RUN, "image#r0-1", provider="openai", model="gpt-image-2", usd=0.2, basis="estimate")
    brief = Brief.model_validate(
        {"name": "today", "video": {"providers": ["runway"], "duration": 5}, "budget": {"max_usd": 0.3}}
    )
    # When SubmitVideo would start a $0.25 clip / Then the run stops before the call, naming the spend
    with pytest.raises(BudgetExceeded, match=r"\$0\.20 spent so far.*\$0\.25 more"):
        h.submit(brief)
    assert h.sim.creates == 0


# --------------------------------------------------------------------------------------------- preflight
def test_a_brief_whose_only_video_provider_has_no_key_fails_at_validate_brief(h: Harness):
    # Given no Runway key and a brief whose only video provider is Runway (stills would be paid for first)
    h.keys.clear()
    brief = {"name": "no-key", "images": {"provider": "placeholder"}, "video": {"providers": ["runway"]}}
    # When ValidateBrief runs / Then the run ends there, naming the key, before any paid call
    with pytest.raises(ProviderNotReady, match="RUNWAYML_API_SECRET"):
        h.validate(brief)
    assert h.sim.creates == 0 and h.sim.log == []
    assert ledger.entries(h.deps.runs, RUN) == []


def test_a_chain_without_a_key_is_announced_on_the_run_and_in_the_run_folder(h: Harness):
    h.keys.clear()
    brief = {"name": "chain", "video": {"providers": ["runway", "kenburns"]}}
    h.validate(brief)
    record = h.deps.runs.get(RUN) or {}
    [line] = record["fallbacks"]
    assert line.startswith("fallback: video skips runway") and "RUNWAYML_API_SECRET" in line and "kenburns" in line
    assert line in record["notes"]
    assert json.loads(h.deps.store.get_bytes(run_key(RUN, "fallbacks.json")))["fallbacks"] == [line]
    plan = json.loads(h.deps.store.get_bytes(run_key(RUN, "plan.json")))
    assert plan["steps"][-1]["provider"] == "kenburns"
    assert any(x.startswith("estimated cost of the run") for x in record["plan"])


def test_a_fallback_taken_at_run_time_is_announced(h: Harness):
    # Given Runway answering 5xx to every create attempt and kenburns behind it
    h.sim.create_errors = [500] * 4
    brief = Brief.model_validate({"name": "x", "video": {"providers": ["runway", "kenburns"], "duration": 2}})
    job = h.submit(brief)
    assert job.provider == "kenburns"
    [line] = (h.deps.runs.get(RUN) or {})["fallbacks"]
    assert line.startswith("fallback: video runway could not start (ProviderUnavailable") and "kenburns" in line
    assert json.loads(h.deps.store.get_bytes(run_key(RUN, "fallbacks.json")))["fallbacks"] == [line]


def test_a_budget_below_the_cheapest_plan_fails_before_anything_is_spent(h: Harness):
    brief = {"name": "tight", "video": {"providers": ["runway"], "duration": 10}, "budget": {"max_usd": 0.1}}
    with pytest.raises(BudgetExceeded, match=r"below this brief's cheapest plan: about \$0\.50"):
        h.validate(brief)
    assert h.sim.log == []


# --------------------------------------------------------------------------------------------- Bedrock
def _bedrock(service: str) -> Any:
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y")


def lifecycle(status: str, model: str) -> dict[str, Any]:
    return {
        "modelDetails": {
            "modelArn": f"arn:aws:bedrock:us-east-1::foundation-model/{model}",
            "modelId": model,
            "modelLifecycle": {"status": status},
        }
    }


@pytest.mark.parametrize("status", ["ACTIVE", "LEGACY", "EOL"])
def test_bedrock_lifecycle_active_passes_and_legacy_or_eol_is_model_retired(status: str):
    client = _bedrock("bedrock")
    with Stubber(client) as stub:
        stub.add_response(
            "get_foundation_model", lifecycle(status, "luma.ray-v2:0"), {"modelIdentifier": "luma.ray-v2:0"}
        )
        if status == "ACTIVE":
            assert check_lifecycle(client, "luma.ray-v2:0") == "ACTIVE"
        else:
            with pytest.raises(ModelRetired, match=rf"luma.ray-v2:0 is {status}.*successor"):
                check_lifecycle(client, "luma.ray-v2:0")


def test_a_retired_bedrock_image_model_stops_the_run_before_any_paid_call():
    # Given the brief's only image provider on a model Bedrock lists as LEGACY
    control, runtime = _bedrock("bedrock"), _bedrock("bedrock-runtime")
    brief = Brief.model_validate({"name": "x", "images": {"provider": "bedrock", "model": "amazon.nova-canvas-v1:0"}})
    ctx = ProviderContext(settings=Settings(), store=None, clients={"bedrock": control, "bedrock-runtime": runtime})  # type: ignore[arg-type]
    with Stubber(control) as stub, Stubber(runtime) as paid:
        stub.add_response("get_foundation_model", lifecycle("LEGACY", "amazon.nova-canvas-v1:0"))
        # When preflight runs / Then ModelRetired names the model, and nothing was invoked (no stubbed answer)
        with pytest.raises(ModelRetired, match="images.provider: bedrock.*amazon.nova-canvas-v1:0 is LEGACY"):
            preflight(brief, ctx)
        paid.assert_no_pending_responses()


def test_bedrock_images_default_to_stability_with_its_request_shape():
    runtime = _bedrock("bedrock-runtime")
    png = io.BytesIO()
    Image.new("RGB", (1024, 1024), (200, 40, 40)).save(png, "PNG")
    import base64

    raw = json.dumps({"seeds": [7], "finish_reasons": [None], "images": [base64.b64encode(png.getvalue()).decode()]})
    sent: list[dict[str, Any]] = []
    runtime.meta.events.register(
        "before-parameter-build.bedrock-runtime.InvokeModel",
        lambda params, **_: sent.append(json.loads(params["body"])),
    )
    with Stubber(runtime) as stub:
        stub.add_response(
            "invoke_model",
            {"body": StreamingBody(io.BytesIO(raw.encode()), len(raw)), "contentType": "application/json"},
            {"modelId": "stability.stable-image-core-v1:1", "body": ANY, "contentType": ANY, "accept": ANY},
        )
        ctx = ProviderContext(settings=Settings(), store=None)  # type: ignore[arg-type]
        image = BedrockCanvasImages(ctx, client=runtime).generate(
            ImageRequest(run_id="r", index=0, prompt="neon sneaker", width=1024, height=1024)
        )
    assert sent[0]["prompt"] == "neon sneaker" and sent[0]["aspect_ratio"] == "1:1"
    assert (image.model, image.cost_usd) == ("stability.stable-image-core-v1:1", 0.04)


def test_a_filtered_stability_answer_is_content_rejected():
    runtime = _bedrock("bedrock-runtime")
    raw = json.dumps({"finish_reasons": ["Filter reason: prompt"]})
    with Stubber(runtime) as stub:
        stub.add_response(
            "invoke_model",
            {"body": StreamingBody(io.BytesIO(raw.encode()), len(raw)), "contentType": "application/json"},
        )
        ctx = ProviderContext(settings=Settings(), store=None)  # type: ignore[arg-type]
        with pytest.raises(ContentRejected, match="Filter reason: prompt"):
            BedrockCanvasImages(ctx, client=runtime).generate(
                ImageRequest(run_id="r", index=0, prompt="x", width=1024, height=1024)
            )


def test_luma_ray_starts_an_async_invoke_with_the_still_as_first_keyframe():
    runtime = _bedrock("bedrock-runtime")
    store = types.SimpleNamespace(bucket="hf-art")
    ctx = ProviderContext(settings=Settings(), store=store, clients={"bedrock-runtime": runtime})  # type: ignore[arg-type]
    buf = io.BytesIO()
    Image.new("RGB", (720, 1280), (10, 90, 200)).save(buf, "PNG")
    with Stubber(runtime) as stub:
        stub.add_response(
            "start_async_invoke",
            {"invocationArn": "arn:aws:bedrock:us-west-2:1:async-invoke/abc"},
            {"modelId": "luma.ray-v2:0", "modelInput": ANY, "outputDataConfig": ANY, "clientRequestToken": ANY},
        )
        sent: list[dict[str, Any]] = []
        runtime.meta.events.register(
            "before-parameter-build.bedrock-runtime.StartAsyncInvoke",
            lambda params, **_: sent.append(params["modelInput"]),
        )
        task = LumaRayVideo(ctx).submit(
            VideoRequest(
                run_id="r", image=buf.getvalue(), image_mime="image/png", prompt="push in", ratio="9:16", duration=6
            )
        )
    body = sent[0]
    assert (body["aspect_ratio"], body["duration"], body["resolution"], body["loop"]) == ("9:16", "5s", "720p", False)
    assert body["keyframes"]["frame0"]["source"]["media_type"] == "image/jpeg"
    assert (task.model, task.seconds, task.cost_usd) == ("luma.ray-v2:0", 5, 7.5)


def test_nova_reel_is_model_retired_at_preflight_and_a_chain_moves_on():
    control = _bedrock("bedrock")
    ctx = ProviderContext(settings=Settings(), store=None, clients={"bedrock": control})  # type: ignore[arg-type]
    brief = Brief.model_validate({"name": "x", "video": {"providers": ["nova-reel", "kenburns"]}})
    with Stubber(control) as stub:
        stub.add_client_error("get_foundation_model", "ResourceNotFoundException", "no such model")
        plan = preflight(brief, ctx)
    assert plan.steps[-1].provider == "kenburns"
    assert "ModelRetired" in plan.fallbacks[0] and "amazon.nova-reel-v1:1" in plan.fallbacks[0]
