"""The pipeline's opt-in launch: the preflight in ValidateBrief checks the Meta account and token before anything is
paid for (never reading the token), and LaunchPausedAd records its PAUSED ad, or its named error, on the run."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from hookforge.errors import AdTokenExpired, ConfigError, ProviderNotReady
from hookforge.metrics.launch import launch_for_run
from hookforge.models import Brief, HookRecord, LaunchHookInput
from hookforge.preflight import preflight
from tests.conftest import tiny_brief
from tests.support.ad_platforms import META_ACCOUNT, META_TOKEN, VERSION, HandlerAdapter, MetaStandIn, multipart_or_form

ADSET = "23850000000000001"
PAGE = "100000000000001"
HOOK = "hk-1a2b3c4d5e"
RUN = "run-20261201-000000-1a2b3c4d5e"
VERTICAL = b"\x00\x00\x00\x18ftypmp42" + b"9x16" * 500
FEED = b"\x00\x00\x00\x18ftypmp42" + b"4x5!" * 400


class Recorder:
    """A boto3 client that records which operations were called (the preflight must never read a secret)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.calls.append(name)
        return getattr(self.client, name)


def _brief(**launch: Any) -> Brief:
    meta = {"adset_id": ADSET, **launch}
    return Brief.model_validate(tiny_brief(effects={"aspects": ["9:16", "4:5"]}, launch={"meta": meta}))


def _ctx(deps: Any, **settings: Any) -> tuple[Any, Recorder]:
    ctx = deps.with_settings(**settings).provider_ctx
    recorder = Recorder(deps.client("secretsmanager"))
    ctx.clients["secretsmanager"] = recorder
    return ctx, recorder


def test_preflight_refuses_a_launch_when_the_meta_ad_account_is_not_set(aws: dict[str, Any]) -> None:
    # Given a brief with `launch` and a stage without META_AD_ACCOUNT_ID
    ctx, _ = _ctx(aws["deps"], api_keys={"META_ACCESS_TOKEN": SecretStr(META_TOKEN)})
    # When the preflight runs, Then it stops the run before anything is paid, naming what to set
    with pytest.raises(ProviderNotReady, match="META_AD_ACCOUNT_ID") as info:
        preflight(_brief(), ctx)
    assert "MetaAdAccountId" in str(info.value) and "nothing was spent" in str(info.value)
    assert "launch" in info.value.hint


def test_preflight_refuses_a_launch_when_no_meta_token_is_set_or_stored(aws: dict[str, Any]) -> None:
    # Given the account but neither META_ACCESS_TOKEN nor the secret
    ctx, recorder = _ctx(aws["deps"], meta_ad_account_id=META_ACCOUNT)
    with pytest.raises(ProviderNotReady) as info:
        preflight(_brief(), ctx)
    # Then the named error says which variable (and which secret in AWS) to set
    assert "META_ACCESS_TOKEN" in str(info.value) and "'hookforge/ad-platforms/meta'" in str(info.value)
    assert recorder.calls == ["describe_secret"]


def test_preflight_accepts_a_stored_meta_token_without_reading_it(aws: dict[str, Any]) -> None:
    # Given the token kept only in Secrets Manager (as in AWS)
    deps = aws["deps"]
    deps.client("secretsmanager").create_secret(Name="hookforge/ad-platforms/meta", SecretString=META_TOKEN)
    ctx, recorder = _ctx(deps, meta_ad_account_id=META_ACCOUNT)
    # When the preflight runs
    plan = preflight(_brief(), ctx)
    # Then it only described the secret (ValidateBrief may not read a token that creates ads) and plans the launch
    assert recorder.calls == ["describe_secret"]
    assert f"launch: a PAUSED Meta ad in ad set {ADSET} of act_{META_ACCOUNT}" in "\n".join(plan.lines())
    # and the video step stays the plan's last step (ValidateBrief records its estimate from it)
    assert plan.steps[-1].step == "video"


def test_preflight_refuses_a_meta_token_secret_scheduled_for_deletion(aws: dict[str, Any]) -> None:
    deps = aws["deps"]
    secrets = deps.client("secretsmanager")
    secrets.create_secret(Name="hookforge/ad-platforms/meta", SecretString=META_TOKEN)
    secrets.delete_secret(SecretId="hookforge/ad-platforms/meta", RecoveryWindowInDays=7)
    ctx, _ = _ctx(deps, meta_ad_account_id=META_ACCOUNT)
    with pytest.raises(ProviderNotReady, match="no Meta access token"):
        preflight(_brief(), ctx)


def test_preflight_accepts_a_token_from_the_environment_without_asking_secrets_manager(aws: dict[str, Any]) -> None:
    ctx, recorder = _ctx(
        aws["deps"], meta_ad_account_id=META_ACCOUNT, api_keys={"META_ACCESS_TOKEN": SecretStr(META_TOKEN)}
    )
    plan = preflight(_brief(), ctx)
    assert plan.launch and recorder.calls == []


def test_preflight_checks_nothing_of_meta_when_the_brief_has_no_launch(aws: dict[str, Any]) -> None:
    ctx, recorder = _ctx(aws["deps"])
    plan = preflight(Brief.model_validate(tiny_brief()), ctx)
    assert plan.launch == "" and recorder.calls == [] and not any("launch" in line for line in plan.lines())


# ------------------------------------------------------------------------------------------ LaunchPausedAd
def _registered(deps: Any) -> Any:
    """The state RegisterHook leaves: the rendered hooks and poster in the bucket, the hook in the metrics table."""
    deps = deps.with_settings(
        meta_ad_account_id=META_ACCOUNT,
        meta_graph_url="https://graph.standin.invalid",
        api_keys={"META_ACCESS_TOKEN": SecretStr(META_TOKEN)},
    )
    outputs = {"9:16": f"runs/{RUN}/hooks/9x16.mp4", "4:5": f"runs/{RUN}/hooks/4x5.mp4"}
    deps.store.put_bytes(outputs["9:16"], VERTICAL, content_type="video/mp4")
    deps.store.put_bytes(outputs["4:5"], FEED, content_type="video/mp4")
    deps.store.put_bytes(f"runs/{RUN}/poster.jpg", b"\xff\xd8\xff poster", content_type="image/jpeg")
    deps.metrics.put_hook(
        {
            "hook_id": HOOK,
            "run_id": RUN,
            "brief": "tiny-test",
            "outputs": outputs,
            "poster_key": f"runs/{RUN}/poster.jpg",
        }
    )
    deps.runs.start(RUN, brief_key="briefs/tiny.json")
    return deps


def _event(brief: Brief) -> LaunchHookInput:
    hook = HookRecord(hook_id=HOOK, run_id=RUN, outputs={})
    return LaunchHookInput(run_id=RUN, brief=brief, hook=hook)


def _with_adset(standin: MetaStandIn) -> HandlerAdapter:
    """The stand-in, also answering `GET <adset>?fields=promoted_object` (the Page an ad set promotes)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == f"/{VERSION}/{ADSET}":
            standin.requests.append(request)
            assert request.headers["authorization"] == f"Bearer {META_TOKEN}"
            return httpx.Response(200, json={"id": ADSET, "promoted_object": {"page_id": PAGE}})
        return standin.handle(request)

    return HandlerAdapter(handle)


def _statuses(standin: MetaStandIn) -> list[str]:
    """Every status-like value any request carried (query or body)."""
    found = []
    for request in standin.requests:
        fields = {**dict(request.url.params), **(multipart_or_form(request) if request.method == "POST" else {})}
        found += [str(v) for k, v in fields.items() if "status" in k]
    return found


def test_launch_step_records_the_paused_ad_on_the_run_and_the_hook(aws: dict[str, Any]) -> None:
    # Given a registered hook and a brief whose launch names the ad set only (the Page is the ad set's)
    deps = _registered(aws["deps"])
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 1), video_polls=0)
    # When LaunchPausedAd runs
    ad = launch_for_run(_event(_brief(message="Summer")), deps, transport=_with_adset(standin))
    # Then one PAUSED ad exists, run as the ad set's Page, its creative mapping placements to aspects
    assert ad.status == "PAUSED" and ad.ad_name == f"tiny-test | {HOOK}" and ad.adset_id == ADSET
    assert (
        standin.created_ads[ad.ad_id]["status"] == "PAUSED" and standin.created_ads[ad.ad_id]["effective"] == "PAUSED"
    )
    assert json.loads(standin.creatives[ad.creative_id]["object_story_spec"]) == {"page_id": PAGE}
    assert ad.placements == {"stories": "9:16", "reels": "9:16", "feed": "4:5"}
    assert _statuses(standin) == ["PAUSED"]
    # and the ids are on the run record and on the hook (the sync maps rows by ad id)
    assert deps.runs.get(RUN)["launch"] == ad.model_dump(mode="json")
    deps.metrics._known.clear()
    assert deps.metrics.get_hooks([HOOK])[HOOK]["launches"]["meta"]["ad_id"] == ad.ad_id


def test_launch_step_records_the_named_error_and_raises_it_when_graph_refuses_the_token(aws: dict[str, Any]) -> None:
    # Given a token Graph no longer accepts
    deps = _registered(aws["deps"])
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 1), expire=True)
    # When LaunchPausedAd runs, Then its named error goes on to the state machine (never swallowed)
    with pytest.raises(AdTokenExpired):
        launch_for_run(_event(_brief(page_id=PAGE)), deps, transport=standin.transport)
    # and the run record keeps it, without the token; no ad was made
    recorded = deps.runs.get(RUN)["launch"]
    assert (recorded["status"], recorded["error"]) == ("FAILED", "AdTokenExpired")
    assert "Meta refused the access token" in recorded["message"] and "new system-user token" in recorded["message"]
    assert META_TOKEN not in json.dumps(recorded) and standin.created_ads == {}


def test_launch_step_names_the_missing_ad_set_page_when_the_brief_gives_none(aws: dict[str, Any]) -> None:
    deps = _registered(aws["deps"])
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 1))

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == f"/{VERSION}/{ADSET}":
            return httpx.Response(200, json={"id": ADSET})  # an ad set that promotes no Page
        return standin.handle(request)

    with pytest.raises(ConfigError, match="--page ID") as info:
        launch_for_run(_event(_brief()), deps, transport=HandlerAdapter(handle))
    assert "launch.meta.page_id" in str(info.value) and standin.created_ads == {}
    assert deps.runs.get(RUN)["launch"]["error"] == "ConfigError"
