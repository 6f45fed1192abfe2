"""Launching a hook on Meta as a PAUSED ad, against the Graph stand-in: every request is scanned for ACTIVE."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from hookforge.errors import ContentRejected, ProviderError
from hookforge.metrics.launch import LaunchRequest, MetaLauncher, record_launch
from hookforge.metrics.store import MetricsStore
from hookforge.metrics.sync import MetaInsights, sync_source
from tests.support.ad_platforms import (
    META_ACCOUNT,
    META_TOKEN,
    MetaStandIn,
    SimAd,
    assert_no_request_asks_for_active,
    multipart_or_form,
)
from tests.unit.metrics.support import HOOKS

VERTICAL = b"\x00\x00\x00\x18ftypmp42" + b"9x16" * 5000
FEED = b"\x00\x00\x00\x18ftypmp42" + b"4x5!" * 4000


def _launcher(standin: MetaStandIn, slept: list[float], **options: Any) -> MetaLauncher:
    return MetaLauncher(
        transport=standin.transport,
        token=META_TOKEN,
        account_id=META_ACCOUNT,
        base_url="https://graph.standin.invalid",
        video_base_url="https://graph-video.standin.invalid",
        sleeper=slept.append,
        **options,
    )


def _request(videos: dict[str, bytes] | None = None) -> LaunchRequest:
    return LaunchRequest(
        hook_id=HOOKS[0],
        brief="summer-sale",
        adset_id="23850000000000001",
        page_id="100000000000001",
        videos={"9:16": VERTICAL, "4:5": FEED} if videos is None else videos,
        poster=b"\xff\xd8\xff poster",
        message="Summer is here",
        link="https://example.com/summer",
    )


def test_a_launch_ends_with_a_paused_ad_whose_creative_maps_each_placement_to_its_aspect() -> None:
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 1), video_polls=2)
    slept: list[float] = []
    launched = _launcher(standin, slept, poll_seconds=3).launch(_request())
    # Then one PAUSED ad named "<brief> | <hook id>" exists, with the creative just made
    (ad,) = standin.created_ads.values()
    assert ad["status"] == "PAUSED" and ad["effective"] == "PAUSED" and launched.status == "PAUSED"
    assert ad["name"] == f"summer-sale | {HOOKS[0]}" and ad["adset_id"] == "23850000000000001"
    assert json.loads(ad["creative"]) == {"creative_id": launched.creative_id}
    # and the creative gives Stories/Reels the 9:16 video and Feed the 4:5 video, with the poster as thumbnail
    creative = standin.creatives[launched.creative_id]
    spec = json.loads(creative["asset_feed_spec"])
    label_of = {v["video_id"]: v["adlabels"][0]["name"] for v in spec["videos"]}
    rules = {r["video_label"]["name"]: r["customization_spec"] for r in spec["asset_customization_rules"]}
    vertical_rule = rules[label_of[launched.video_ids["9:16"]]]
    feed_rule = rules[label_of[launched.video_ids["4:5"]]]
    assert (
        vertical_rule["instagram_positions"] == ["story", "reels"]
        and "facebook_reels" in vertical_rule["facebook_positions"]
    )
    assert feed_rule["facebook_positions"] == ["feed"] and feed_rule["instagram_positions"] == ["stream"]
    assert {v["thumbnail_hash"] for v in spec["videos"]} == {launched.image_hash}
    assert json.loads(creative["object_story_spec"]) == {"page_id": "100000000000001"}
    # and the uploaded bytes are the hook's own, each video waited for until ready
    assert standin.videos[launched.video_ids["9:16"]]["bytes"] == VERTICAL
    assert standin.videos[launched.video_ids["4:5"]]["bytes"] == FEED
    assert slept == [3, 3, 3, 3]  # two "processing" answers per video
    # and no request ever asked for ACTIVE; uploads went to the video host
    assert_no_request_asks_for_active(standin)
    hosts = {r.url.host for r in standin.requests if r.url.path.endswith("/advideos")}
    assert hosts == {"graph-video.standin.invalid"}
    assert all(META_TOKEN not in str(r.url) for r in standin.requests)


def test_a_large_video_goes_up_resumably_in_chunks() -> None:
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 1), chunk=7000, video_polls=0)
    launched = _launcher(standin, [], resumable_over=10_000).launch(_request())
    vertical = standin.videos[launched.video_ids["9:16"]]
    assert vertical["bytes"] == VERTICAL and vertical["chunks"] == 3  # 20 012 bytes in chunks of 7 000
    phases = [multipart_or_form(r).get("upload_phase") for r in standin.requests if r.url.path.endswith("/advideos")]
    assert phases[:5] == ["start", "transfer", "transfer", "transfer", "finish"]


def test_a_video_the_platform_rejects_is_a_named_error_and_no_ad_is_made() -> None:
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 1), reject_video=True)
    with pytest.raises(ContentRejected, match="Video too short"):
        _launcher(standin, []).launch(_request())
    assert standin.creatives == {} and standin.created_ads == {}


def test_the_launcher_refuses_to_send_any_status_but_paused() -> None:
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 1))
    launcher = _launcher(standin, [])
    for key in ("status", "configured_status", "effective_status"):
        with pytest.raises(ProviderError, match="only creates PAUSED ads"):
            launcher.call("POST", f"{launcher.base}/act_{META_ACCOUNT}/ads", {"name": "x", key: "ACTIVE"})
    assert standin.requests == []


def test_a_hook_with_one_video_gets_a_plain_video_creative() -> None:
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 1), video_polls=0)
    launched = _launcher(standin, []).launch(_request({"9:16": VERTICAL}))
    story = json.loads(standin.creatives[launched.creative_id]["object_story_spec"])
    assert story["video_data"]["video_id"] == launched.video_ids["9:16"] and launched.placements == {"all": "9:16"}
    assert "asset_feed_spec" not in standin.creatives[launched.creative_id]
    assert_no_request_asks_for_active(standin)


def test_launched_ids_are_recorded_and_synced_rows_map_by_ad_id_even_after_a_rename(store: MetricsStore) -> None:
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 3), video_polls=0)
    launched = _launcher(standin, []).launch(_request())
    record_launch(store, HOOKS[0], launched)
    store._known.clear()
    assert store.get_hooks([HOOKS[0]])[HOOKS[0]]["launches"]["meta"]["ad_id"] == launched.ad_id
    # When the marketer renames the ad (no hook id left in the name) and the sync runs
    standin.ads = [SimAd(launched.ad_id, "Summer promo final v2")]
    source = MetaInsights(
        transport=standin.transport,
        token=META_TOKEN,
        account_id=META_ACCOUNT,
        base_url="https://graph.standin.invalid",
    )
    report = sync_source(store, source, since=date(2026, 12, 1), until=date(2026, 12, 3))
    # Then its rows still land on the hook
    assert report.imported == 6 and report.not_hook_rows == 0 and report.hooks == [HOOKS[0]]


def test_launch_hook_reads_the_rendered_outputs_and_records_the_ad(aws: dict[str, Any]) -> None:
    from pydantic import SecretStr

    from hookforge.metrics.launch import launch_hook

    deps = aws["deps"].with_settings(
        meta_ad_account_id=META_ACCOUNT,
        meta_graph_url="https://graph.standin.invalid",
        api_keys={"META_ACCESS_TOKEN": SecretStr(META_TOKEN)},
    )
    run = "runs/run-1"
    deps.store.put_bytes(f"{run}/hooks/9x16.mp4", VERTICAL, content_type="video/mp4")
    deps.store.put_bytes(f"{run}/hooks/1x1.mp4", FEED, content_type="video/mp4")
    deps.store.put_bytes(f"{run}/poster.jpg", b"\xff\xd8\xff", content_type="image/jpeg")
    deps.metrics.put_hook(
        {
            "hook_id": HOOKS[1],
            "brief": "winter",
            "outputs": {"9:16": f"{run}/hooks/9x16.mp4", "1:1": f"{run}/hooks/1x1.mp4"},
            "poster_key": f"{run}/poster.jpg",
        }
    )
    standin = MetaStandIn([], date(2026, 12, 1), date(2026, 12, 1), video_polls=0)
    launched = launch_hook(deps, HOOKS[1], adset_id="1", page_id="2", transport=standin.transport)
    assert launched.placements == {"stories": "9:16", "reels": "9:16", "feed": "1:1"}
    assert standin.created_ads[launched.ad_id]["name"] == f"winter | {HOOKS[1]}"
    deps.metrics._known.clear()
    recorded = deps.metrics.get_hooks([HOOKS[1]])[HOOKS[1]]["launches"]["meta"]
    assert recorded["ad_id"] == launched.ad_id and recorded["status"] == "PAUSED"
    assert_no_request_asks_for_active(standin)
