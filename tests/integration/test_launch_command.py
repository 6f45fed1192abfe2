"""`hookforge launch HOOK_ID --meta-adset ID [--page ID]` (and its older spelling `hookforge metrics launch`) against
the local Graph stand-in, on a home whose hook was registered by the local engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from hookforge.cli import app
from hookforge.local import LocalEngine
from tests.conftest import ROOT
from tests.support.ad_platforms import (
    META_ACCOUNT,
    META_TOKEN,
    VERSION,
    MetaStandIn,
    assert_no_request_asks_for_active,
    serve,
)

HOOK = "hk-1a2b3c4d5e"
RUN = "run-20261201-000000-1a2b3c4d5e"
ADSET = "23850000000000001"
PAGE = "100000000000001"
VERTICAL = b"\x00\x00\x00\x18ftypmp42" + b"9x16" * 500
FEED = b"\x00\x00\x00\x18ftypmp42" + b"1x1!" * 400


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home holding one finished hook: its 9:16 and 1:1 renders and poster in the bucket, registered."""
    home = tmp_path / "home"
    with LocalEngine(home, root=ROOT, time_scale=0.01) as engine:
        deps = engine.deps
        outputs = {"9:16": f"runs/{RUN}/hooks/9x16.mp4", "1:1": f"runs/{RUN}/hooks/1x1.mp4"}
        deps.store.put_bytes(outputs["9:16"], VERTICAL, content_type="video/mp4")
        deps.store.put_bytes(outputs["1:1"], FEED, content_type="video/mp4")
        deps.store.put_bytes(f"runs/{RUN}/poster.jpg", b"\xff\xd8\xff poster", content_type="image/jpeg")
        deps.metrics.put_hook(
            {
                "hook_id": HOOK,
                "run_id": RUN,
                "brief": "summer-sale",
                "outputs": outputs,
                "poster_key": f"runs/{RUN}/poster.jpg",
            }
        )
    return home


def _graph(standin: MetaStandIn) -> Any:
    """The stand-in, also answering the ad set's `promoted_object` (the Page used when --page is not given)."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path == f"/{VERSION}/{ADSET}":
            standin.requests.append(request)
            return httpx.Response(200, json={"id": ADSET, "promoted_object": {"page_id": PAGE}})
        return standin.handle(request)

    return handle


def _env(monkeypatch: pytest.MonkeyPatch, graph_url: str) -> None:
    monkeypatch.setenv("META_GRAPH_URL", graph_url)
    monkeypatch.setenv("META_ACCESS_TOKEN", META_TOKEN)
    monkeypatch.setenv("META_AD_ACCOUNT_ID", META_ACCOUNT)


def test_top_level_launch_creates_a_paused_ad_as_the_ad_sets_page_when_no_page_is_given(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = datetime.now(UTC).date()
    standin = MetaStandIn([], today, today, video_polls=0)
    with serve(_graph(standin)) as graph_url:
        _env(monkeypatch, graph_url)
        # When the hook is launched with the top-level command, naming the ad set only
        result = CliRunner().invoke(app, ["launch", HOOK, "--meta-adset", ADSET, "--home", str(home)])
    output = " ".join(result.output.split())
    assert result.exit_code == 0, output
    # Then stdout's last line holds the ids of one PAUSED ad, run as the Page the ad set promotes
    launched = json.loads(result.stdout.strip().splitlines()[-1])
    ad = standin.created_ads[launched["ad_id"]]
    assert (ad["status"], ad["effective"], ad["name"]) == ("PAUSED", "PAUSED", f"summer-sale | {HOOK}")
    assert json.loads(standin.creatives[launched["creative_id"]]["object_story_spec"]) == {"page_id": PAGE}
    # and its creative maps Stories and Reels to the 9:16 video, Feed to the 1:1 one
    assert launched["placements"] == {"stories": "9:16", "reels": "9:16", "feed": "1:1"}
    assert standin.videos[launched["video_ids"]["9:16"]]["bytes"] == VERTICAL
    assert standin.videos[launched["video_ids"]["1:1"]]["bytes"] == FEED
    assert "created PAUSED" in output and META_TOKEN not in output
    assert_no_request_asks_for_active(standin)
    # and the ids are recorded on the hook in the home (the daily sync maps its rows by ad id)
    from hookforge.local.client import ServiceClient

    client = ServiceClient.ensure(home, announce=lambda line: None)
    recorded = client.deps.metrics.get_hooks([HOOK])[HOOK]["launches"]["meta"]
    assert (recorded["ad_id"], recorded["status"]) == (launched["ad_id"], "PAUSED")


def test_metrics_launch_stays_an_alias_of_the_top_level_command_when_a_page_is_given(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = datetime.now(UTC).date()
    standin = MetaStandIn([], today, today, video_polls=0)
    with serve(_graph(standin)) as graph_url:
        _env(monkeypatch, graph_url)
        args = [HOOK, "--meta-adset", ADSET, "--page", PAGE, "--message", "Summer", "--home", str(home)]
        result = CliRunner().invoke(app, ["metrics", "launch", *args])
    assert result.exit_code == 0, result.output
    (ad,) = standin.created_ads.values()
    assert ad["status"] == "PAUSED" and ad["name"] == f"summer-sale | {HOOK}"
    # the Page given is used as is: the ad set is not asked for its own
    assert not [r for r in standin.requests if r.url.path == f"/{VERSION}/{ADSET}"]
    assert_no_request_asks_for_active(standin)


def test_launch_without_an_ad_account_names_the_variable_to_set(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("META_AD_ACCOUNT_ID", raising=False)
    monkeypatch.setenv("META_ACCESS_TOKEN", META_TOKEN)
    result = CliRunner().invoke(app, ["launch", HOOK, "--meta-adset", ADSET, "--home", str(home)])
    output = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "ConfigError" in output and "META_AD_ACCOUNT_ID" in output and META_TOKEN not in output


def test_launch_of_an_expired_token_is_a_named_error_and_no_ad(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    today = datetime.now(UTC).date()
    standin = MetaStandIn([], today, today, expire=True)
    with serve(standin.handle) as graph_url:
        _env(monkeypatch, graph_url)
        result = CliRunner().invoke(app, ["launch", HOOK, "--meta-adset", ADSET, "--page", PAGE, "--home", str(home)])
    output = " ".join(result.output.split())
    assert result.exit_code == 1 and "AdTokenExpired" in output and META_TOKEN not in output
    assert standin.created_ads == {}


def test_launch_help_says_the_ad_is_paused_and_lists_its_options() -> None:
    result = CliRunner().invoke(app, ["launch", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Usage: hookforge launch [OPTIONS]" in text and "HOOK_ID" in text
    assert "PAUSED" in text and "--meta-adset ID" in text and "--page ID" in text
    assert "default: the Page the ad set promotes" in text
