"""The whole ASL on the local engine with the brief's opt-in `launch`: NotifyDone -> DoesTheBriefAskForALaunch ->
LaunchPausedAd -> HookReady against the local Graph stand-in; a brief without `launch` skips it; a failed launch
leaves the hook made and the run succeeded, with the failure recorded; a launch that cannot happen fails at once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from hookforge.cli_runs import summarize
from hookforge.local import LocalEngine, pick
from tests.conftest import ROOT, tiny_brief
from tests.support.ad_platforms import (
    META_ACCOUNT,
    META_TOKEN,
    MetaStandIn,
    assert_no_request_asks_for_active,
    serve,
)

ADSET = "23850000000000001"
PAGE = "100000000000001"
LAUNCH = {"meta": {"adset_id": ADSET, "page_id": PAGE, "message": "Drop day"}}
META_ENV = ("META_GRAPH_URL", "META_ACCESS_TOKEN", "META_AD_ACCOUNT_ID")


@pytest.fixture
def graph(monkeypatch: pytest.MonkeyPatch) -> Iterator[MetaStandIn]:
    """The Graph stand-in on a local port, and the Meta account, token and host in the engine's environment."""
    today = datetime.now(UTC).date()
    standin = MetaStandIn([], today, today, video_polls=0)
    with serve(standin.handle) as graph_url:
        monkeypatch.setenv("META_GRAPH_URL", graph_url)
        monkeypatch.setenv("META_ACCESS_TOKEN", META_TOKEN)
        monkeypatch.setenv("META_AD_ACCOUNT_ID", META_ACCOUNT)
        yield standin


@pytest.fixture
def engine(tmp_path: Path, graph: MetaStandIn) -> Iterator[LocalEngine]:
    # started after `graph`: the handlers read the Meta settings from the environment the engine starts in
    with LocalEngine(tmp_path / "home", root=ROOT, time_scale=0.01) as running:
        yield running


def _summary(engine: LocalEngine, result: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """What `hookforge run --json` prints for this run (the summary of cli_runs, on the engine's tables)."""
    desc = engine.deps.client("stepfunctions").describe_execution(executionArn=result.execution_arn)
    client = SimpleNamespace(deps=engine.deps, home=engine.home)
    capsys.readouterr()
    summarize(client, result.run_id, desc, out=tmp_path / "out", as_json=True)
    return dict(json.loads(capsys.readouterr().out))


def _summary_text(engine: LocalEngine, result: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    desc = engine.deps.client("stepfunctions").describe_execution(executionArn=result.execution_arn)
    capsys.readouterr()
    summarize(
        SimpleNamespace(deps=engine.deps, home=engine.home), result.run_id, desc, out=tmp_path / "o", as_json=False
    )
    captured = capsys.readouterr()
    return " ".join((captured.err + captured.out).split())


def _no_token_in_the_home(home: Path) -> None:
    """Logs, journal, tables, run folders: nothing the run wrote holds the token."""
    for path in home.rglob("*"):
        if path.is_file():
            assert META_TOKEN.encode() not in path.read_bytes(), path


def test_brief_with_launch_ends_with_a_paused_ad_mapping_each_placement_to_its_aspect(
    engine: LocalEngine, graph: MetaStandIn, write_brief: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a brief rendering 9:16 and 4:5 that asks for a launch
    brief = tiny_brief(effects={"aspects": ["9:16", "4:5"]}, launch=LAUNCH)
    # When it runs through the whole state machine
    result = engine.run(write_brief(brief), chooser=pick(1))
    # Then the run succeeds, through the launch state after NotifyDone
    assert result.succeeded, (result.error, result.message)
    states = engine.states_entered(result.execution_arn)
    tail = states[states.index("NotifyDone") :]
    assert tail == ["NotifyDone", "DoesTheBriefAskForALaunch", "LaunchPausedAd", "RememberTheLaunch", "HookReady"]
    hook_id = engine.deps.runs.get(result.run_id)["hook_id"]
    launch = result.output["launch"]
    # and one ad exists, PAUSED, named "<brief> | <hook id>", in the brief's ad set
    (ad_id,) = standin_ads = list(graph.created_ads)
    ad = graph.created_ads[ad_id]
    assert launch["ad_id"] == ad_id and launch["status"] == "PAUSED" and len(standin_ads) == 1
    assert (ad["status"], ad["effective"], ad["name"], ad["adset_id"]) == (
        "PAUSED",
        "PAUSED",
        f"tiny-test | {hook_id}",
        ADSET,
    )
    # and its creative gives Stories and Reels the 9:16 render, Feed the 4:5 one, the poster as thumbnail
    spec = json.loads(graph.creatives[launch["creative_id"]]["asset_feed_spec"])
    label_of = {v["video_id"]: v["adlabels"][0]["name"] for v in spec["videos"]}
    rules = {r["video_label"]["name"]: r["customization_spec"] for r in spec["asset_customization_rules"]}
    vertical, feed = rules[label_of[launch["video_ids"]["9:16"]]], rules[label_of[launch["video_ids"]["4:5"]]]
    assert vertical["instagram_positions"] == ["story", "reels"] and "story" in vertical["facebook_positions"]
    assert feed["facebook_positions"] == ["feed"] and feed["instagram_positions"] == ["stream"]
    assert launch["placements"] == {"stories": "9:16", "reels": "9:16", "feed": "4:5"}
    assert graph.videos[launch["video_ids"]["9:16"]]["bytes"] == result.outputs["9:16"].read_bytes()
    assert graph.videos[launch["video_ids"]["4:5"]]["bytes"] == result.outputs["4:5"].read_bytes()
    assert {v["thumbnail_hash"] for v in spec["videos"]} == {launch["image_hash"]}
    assert json.loads(graph.creatives[launch["creative_id"]]["object_story_spec"]) == {"page_id": PAGE}
    # and no request ever asked for ACTIVE
    assert_no_request_asks_for_active(graph)
    # and the ids are on the hook (synced rows map by ad id) and on the run; the journal holds the task for a resume
    engine.deps.metrics._known.clear()
    assert engine.deps.metrics.get_hooks([hook_id])[hook_id]["launches"]["meta"]["ad_id"] == ad_id
    assert engine.deps.runs.get(result.run_id)["launch"]["ad_id"] == ad_id
    journaled = [e for e in engine.journal.entries(result.run_id) if e.get("function") == "LaunchHookFunction"]
    assert [e["output"]["ad_id"] for e in journaled] == [ad_id]
    # and the run's summary names the PAUSED ad
    summary = _summary(engine, result, tmp_path, capsys)
    assert summary["status"] == "SUCCEEDED" and summary["launch"]["ad_id"] == ad_id
    assert summary["launch"]["status"] == "PAUSED"
    text = _summary_text(engine, result, tmp_path, capsys)
    assert f"launched: Meta ad {ad_id} created PAUSED in ad set {ADSET}" in text
    _no_token_in_the_home(engine.home)


def test_brief_without_launch_skips_the_launch_state(
    engine: LocalEngine, graph: MetaStandIn, write_brief: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a brief without `launch` (and a Meta account configured all the same)
    result = engine.run(write_brief(tiny_brief()), chooser=pick(1))
    # Then NotifyDone leads straight to HookReady and Graph is never called
    assert result.succeeded, (result.error, result.message)
    states = engine.states_entered(result.execution_arn)
    assert states[states.index("NotifyDone") :] == ["NotifyDone", "DoesTheBriefAskForALaunch", "HookReady"]
    assert graph.requests == [] and "launch" not in result.output
    assert _summary(engine, result, tmp_path, capsys)["launch"] is None


def test_failed_launch_keeps_the_hook_and_its_outputs_and_records_the_named_error(
    engine: LocalEngine, graph: MetaStandIn, write_brief: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a token Graph refuses (its error body: code 190, subcode 463)
    graph.expire = True
    # When a brief with `launch` runs
    result = engine.run(write_brief(tiny_brief(launch=LAUNCH)), chooser=pick(1))
    # Then the run still succeeds: the hook is made, its outputs are there and registered
    assert result.succeeded, (result.error, result.message)
    assert engine.states_entered(result.execution_arn)[-3:] == ["LaunchPausedAd", "KeepTheLaunchFailure", "HookReady"]
    run = engine.deps.runs.get(result.run_id)
    hook_id = run["hook_id"]
    assert run["status"] == "SUCCEEDED" and result.outputs["9:16"].stat().st_size > 0
    engine.deps.metrics._known.clear()
    hook = engine.deps.metrics.get_hooks([hook_id])[hook_id]
    assert set(hook["outputs"]) == {"9:16"} and "launches" not in hook
    # and the launch failure is recorded with its named error, on the run and in the execution's output
    assert (run["launch"]["status"], run["launch"]["error"]) == ("FAILED", "AdTokenExpired")
    assert (result.output["launch"]["status"], result.output["launch"]["error"]) == ("FAILED", "AdTokenExpired")
    assert graph.created_ads == {} and graph.creatives == {}
    # and the summary says so, with how to launch again
    summary = _summary(engine, result, tmp_path, capsys)
    assert summary["status"] == "SUCCEEDED" and summary["hook_id"] == hook_id
    assert (
        summary["launch"]["error"] == "AdTokenExpired"
        and "Meta refused the access token" in summary["launch"]["message"]
    )
    text = _summary_text(engine, result, tmp_path, capsys)
    assert "launch failed: AdTokenExpired: Meta refused the access token" in text
    assert f"hookforge launch {hook_id} --meta-adset ID" in text
    # and the failure is in the step logs (which, like every file of the home, hold no token)
    assert '"launch failed"' in (engine.home / "logs" / "hookforge.jsonl").read_text()
    _no_token_in_the_home(engine.home)


def test_brief_with_launch_fails_before_anything_is_paid_when_meta_is_not_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_brief: Any
) -> None:
    # Given a stage without the Meta account and token
    for name in META_ENV:
        monkeypatch.delenv(name, raising=False)
    with LocalEngine(tmp_path / "home", root=ROOT, time_scale=0.01) as engine:
        # When a brief with `launch` runs
        result = engine.run(write_brief(tiny_brief(launch=LAUNCH)), chooser=pick(1))
        states = engine.states_entered(result.execution_arn)
    # Then ValidateBrief's preflight stops it with a named error saying what to set; no still was made
    assert result.status == "FAILED" and result.error == "ProviderNotReady"
    assert "META_AD_ACCOUNT_ID" in (result.message or "")
    assert "GenerateCandidates" not in states and "LaunchPausedAd" not in states
