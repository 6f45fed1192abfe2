"""Launch a hook on Meta as a PAUSED ad: its videos per placement, its poster, one creative, one ad.

hookforge never switches spend on: the ad is created with `status=PAUSED` (an ad created without a status
defaults to ACTIVE), and `MetaLauncher.guard` refuses any request that names another status, whoever builds it.

Requests (Graph, through the `facebook-business` SDK as `hookforge.metrics.sync.meta.Graph` makes them; the token in
the `Authorization` header):
1. each aspect's video: `POST act_<id>/advideos` on the video host — `source` (multipart) for small files, the
   resumable protocol for large ones (`upload_phase=start` -> `upload_session_id`, `start_offset`,
   `end_offset`; `transfer` with each `video_file_chunk` until the offsets meet; `finish`); then
   `GET <video_id>?fields=status` until `status.video_status` is "ready" ("error": `ContentRejected`);
2. the poster as thumbnail: `POST act_<id>/adimages` (`bytes`, base64) -> `images.<name>.hash`;
3. one creative: `POST act_<id>/adcreatives` with `object_story_spec.page_id` and an `asset_feed_spec` whose
   `asset_customization_rules` give Stories and Reels the 9:16 video and Feed the 4:5 (else 1:1) video (placement
   asset customization needs two rules at least; a hook with one video gets a plain `video_data` creative);
4. the ad: `POST act_<id>/ads` with `name` "<brief name> | <hook id>", `adset_id`, `creative`, `status=PAUSED`.
The ids are returned (and recorded on the hook by the caller), so synced rows map by ad id as well as by name.
Without a Page id, the ad set's own (`GET <adset_id>?fields=promoted_object` -> `promoted_object.page_id`) is used.

Two callers, one path (`launch_hook`): `hookforge launch` (also `hookforge metrics launch`) and the opt-in
LaunchPausedAd state after NotifyDone (`launch_for_run`, when the brief has `launch`). In the pipeline a failed
launch does not fail the run: the hook is made; the failure is recorded on the run (`launch`, with its named
error) before the error goes on to the state machine, which keeps it in the run's output (see the ASL).

TikTok: uploading needs the `file/video/ad/upload/` endpoint of an audited app; hookforge stops at printing what
to do (upload the 9:16 file in TikTok Ads Manager, name the ad "<brief> | <hook id>") — the daily sync then
finds it by its name.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hookforge.errors import ConfigError, ContentRejected, ProviderError, ProviderUnavailable
from hookforge.metrics.sync.meta import Graph
from hookforge.models import LaunchedAd, LaunchHookInput
from hookforge.observability import logger

if TYPE_CHECKING:
    from requests.adapters import BaseAdapter

#: placements per aspect: 9:16 for Stories and Reels, 4:5 (else 1:1) for Feed
VERTICAL = "9:16"
FEED_ASPECTS = ("4:5", "1:1")
VERTICAL_SPEC = {
    "publisher_platforms": ["facebook", "instagram"],
    "facebook_positions": ["story", "facebook_reels"],
    "instagram_positions": ["story", "reels"],
}
FEED_SPEC = {
    "publisher_platforms": ["facebook", "instagram"],
    "facebook_positions": ["feed"],
    "instagram_positions": ["stream"],
}
STATUS_KEYS = ("status", "configured_status", "effective_status")
#: only this status is ever sent
PAUSED = "PAUSED"
RESUMABLE_OVER = 20 * 1024 * 1024


@dataclass(frozen=True)
class LaunchRequest:
    hook_id: str
    brief: str
    adset_id: str
    page_id: str
    #: aspect ("9:16", "4:5", "1:1", ...) -> the rendered mp4
    videos: Mapping[str, bytes]
    poster: bytes
    message: str = ""
    link: str = ""

    @property
    def ad_name(self) -> str:
        return f"{self.brief} | {self.hook_id}"


class MetaLauncher(Graph):
    """Creates PAUSED ads (see the module docstring). `video_base_url`: Graph's upload host."""

    def __init__(
        self,
        *,
        video_base_url: str = "https://graph-video.facebook.com",
        chunk_size: int = 4 * 1024 * 1024,
        resumable_over: int = RESUMABLE_OVER,
        poll_seconds: float = 5.0,
        max_polls: int = 120,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.video_base = f"{video_base_url.rstrip('/')}/{self.version}"
        self.chunk_size = chunk_size
        self.resumable_over = resumable_over
        self.poll_seconds = poll_seconds
        self.max_polls = max_polls

    def guard(self, method: str, params: Mapping[str, str] | None) -> None:
        """No request of the launcher may ask for any status but PAUSED (an ad without one would be ACTIVE)."""
        for key in STATUS_KEYS:
            value = (params or {}).get(key)
            if value is not None and value != PAUSED:
                raise ProviderError(f"refused to send {key}={value!r}: hookforge only creates PAUSED ads")

    # ------------------------------------------------------------------------------------------ steps
    def launch(self, request: LaunchRequest) -> LaunchedAd:
        vertical = request.videos.get(VERTICAL)
        feed_aspect = next((a for a in FEED_ASPECTS if a in request.videos), None)
        if vertical is None and feed_aspect is None:
            raise ProviderError(
                f"hook {request.hook_id} has no 9:16, 4:5 or 1:1 video (has: {', '.join(request.videos) or 'none'})"
            )
        image_hash = self.upload_image(request.poster, f"{request.hook_id}.jpg")
        video_ids: dict[str, str] = {}
        for aspect in [a for a in (VERTICAL, feed_aspect) if a is not None and a in request.videos]:
            video_ids[aspect] = self.upload_video(request.videos[aspect], title=f"{request.ad_name} {aspect}")
        for video_id in video_ids.values():
            self.wait_ready(video_id)
        placements: dict[str, str] = {}
        if VERTICAL in video_ids and feed_aspect in video_ids:
            spec = _placement_feed_spec(video_ids, feed_aspect, image_hash, request)
            story = {"page_id": request.page_id}
            params = {"object_story_spec": json.dumps(story), "asset_feed_spec": json.dumps(spec)}
            placements = {"stories": VERTICAL, "reels": VERTICAL, "feed": feed_aspect}
        else:
            (aspect, video_id), *_ = video_ids.items()
            video_data: dict[str, Any] = {"video_id": video_id, "image_hash": image_hash}
            if request.message:
                video_data["message"] = request.message
            if request.link:
                video_data["call_to_action"] = {"type": "LEARN_MORE", "value": {"link": request.link}}
            params = {"object_story_spec": json.dumps({"page_id": request.page_id, "video_data": video_data})}
            placements = {"all": aspect}
        creative = self.call("POST", f"{self.base}/{self.account}/adcreatives", {"name": request.ad_name, **params})
        creative_id = _id(creative, "creative")
        ad = self.call(
            "POST",
            f"{self.base}/{self.account}/ads",
            {
                "name": request.ad_name,
                "adset_id": request.adset_id,
                "creative": json.dumps({"creative_id": creative_id}),
                "status": PAUSED,
            },
        )
        return LaunchedAd(
            ad_id=_id(ad, "ad"),
            ad_name=request.ad_name,
            adset_id=request.adset_id,
            creative_id=creative_id,
            video_ids=video_ids,
            image_hash=image_hash,
            placements=placements,
        )

    def page_of(self, adset_id: str) -> str:
        """The Page an ad set promotes (`promoted_object.page_id`), for a launch that names none."""
        answer = self.call("GET", f"{self.base}/{adset_id}", {"fields": "promoted_object"})
        promoted = answer.get("promoted_object")
        page = str(promoted.get("page_id") or "") if isinstance(promoted, dict) else ""
        if not page.isdigit():
            raise ConfigError(
                f"ad set {adset_id} promotes no Facebook Page (its promoted_object has no page_id): name the Page "
                "the ad runs as with --page ID (in a brief: launch.meta.page_id)"
            )
        return page

    def upload_image(self, data: bytes, name: str) -> str:
        answer = self.call(
            "POST", f"{self.base}/{self.account}/adimages", {"bytes": base64.b64encode(data).decode(), "name": name}
        )
        images = answer.get("images") or {}
        for image in images.values() if isinstance(images, dict) else ():
            if isinstance(image, dict) and image.get("hash"):
                return str(image["hash"])
        raise ProviderError(f"Meta stored the poster but returned no image hash (keys: {sorted(answer)})")

    def upload_video(self, data: bytes, *, title: str) -> str:
        url = f"{self.video_base}/{self.account}/advideos"
        if len(data) <= self.resumable_over:
            answer = self.call("POST", url, {"title": title}, files={"source": ("hook.mp4", data, "video/mp4")})
            return _id(answer, "video")
        start = self.call("POST", url, {"upload_phase": "start", "file_size": str(len(data))})
        session, video_id = str(start.get("upload_session_id") or ""), _id({"id": start.get("video_id")}, "video")
        begin, end = int(start.get("start_offset", 0)), int(start.get("end_offset", 0))
        while begin < end:
            chunk = data[begin : min(end, begin + self.chunk_size)]
            answer = self.call(
                "POST",
                url,
                {"upload_phase": "transfer", "upload_session_id": session, "start_offset": str(begin)},
                files={"video_file_chunk": ("chunk", chunk, "application/octet-stream")},
            )
            begin, end = int(answer.get("start_offset", end)), int(answer.get("end_offset", end))
        finish = self.call("POST", url, {"upload_phase": "finish", "upload_session_id": session, "title": title})
        if not finish.get("success"):
            raise ProviderError(f"Meta did not confirm the upload of video {video_id}")
        return video_id

    def wait_ready(self, video_id: str) -> None:
        for _ in range(self.max_polls):
            status = self.call("GET", f"{self.base}/{video_id}", {"fields": "status"}).get("status") or {}
            state = status.get("video_status") if isinstance(status, dict) else None
            if state == "ready":
                return
            if state == "error":
                phase = status.get("processing_phase") or {}
                errors = phase.get("errors") if isinstance(phase, dict) else None
                reason = "; ".join(str(e.get("message")) for e in errors or [] if isinstance(e, dict)) or "no reason"
                raise ContentRejected(f"Meta rejected video {video_id}: {self.redact(reason)}")
            self.budget.sleeper(self.poll_seconds)
        raise ProviderUnavailable(f"Meta video {video_id} was not ready after {self.max_polls} checks")


def _placement_feed_spec(
    video_ids: dict[str, str], feed_aspect: str, image_hash: str, request: LaunchRequest
) -> dict[str, Any]:
    labels = {VERTICAL: "hookforge_9x16", feed_aspect: "hookforge_feed"}
    spec: dict[str, Any] = {
        "videos": [
            {"video_id": video_ids[a], "thumbnail_hash": image_hash, "adlabels": [{"name": labels[a]}]}
            for a in (VERTICAL, feed_aspect)
        ],
        "ad_formats": ["SINGLE_VIDEO"],
        "asset_customization_rules": [
            {"customization_spec": VERTICAL_SPEC, "video_label": {"name": labels[VERTICAL]}},
            {"customization_spec": FEED_SPEC, "video_label": {"name": labels[feed_aspect]}},
        ],
        "optimization_type": "PLACEMENT",
    }
    if request.message:
        spec["bodies"] = [{"text": request.message}]
    if request.link:
        spec["link_urls"] = [{"website_url": request.link}]
        spec["call_to_action_types"] = ["LEARN_MORE"]
    return spec


def _id(answer: Mapping[str, Any], what: str) -> str:
    value = str(answer.get("id") or "")
    if not value.isdigit():
        raise ProviderError(f"Meta created no {what} (answer keys: {sorted(answer)})")
    return value


def record_launch(store: Any, hook_id: str, launched: LaunchedAd, *, platform: str = "meta") -> None:
    """Keep the ids on the hook item (`launches.<platform>`), so synced rows map by ad id as well as by name."""
    store.table.update_item(
        Key={"pk": f"HOOK#{hook_id}", "sk": "HOOK"},
        UpdateExpression="SET launches = if_not_exists(launches, :empty)",
        ExpressionAttributeValues={":empty": {}},
    )
    store.table.update_item(
        Key={"pk": f"HOOK#{hook_id}", "sk": "HOOK"},
        UpdateExpression="SET launches.#p = :l",
        ExpressionAttributeNames={"#p": platform},
        ExpressionAttributeValues={":l": {**launched.model_dump(mode="json"), "launched_at": int(time.time())}},
        ConditionExpression="attribute_exists(pk)",
    )


def launch_hook(
    deps: Any,
    hook_id: str,
    *,
    adset_id: str,
    page_id: str | None = None,
    message: str = "",
    link: str = "",
    transport: BaseAdapter | None = None,
) -> LaunchedAd:
    """Launch a registered hook's rendered videos and poster on the configured Meta ad account (PAUSED), and
    record the ids on the hook. `deps`: the stage's (settings, secrets, metrics table, artifact store).
    `page_id` None: the Page the ad set promotes. `transport`: a `requests` adapter for the SDK (tests)."""
    from hookforge.metrics.sync import meta

    settings = deps.settings
    if not settings.meta_ad_account_id:
        raise ConfigError(
            "no Meta ad account: set META_AD_ACCOUNT_ID (and META_ACCESS_TOKEN) to launch on Meta; in AWS the stack "
            f"parameter MetaAdAccountId and the secret {meta.SECRET_NAME!r}"
        )
    if not adset_id.isdigit() or (page_id is not None and not page_id.isdigit()):
        raise ConfigError(f"the ad set and Page ids are digits, got {adset_id!r} and {page_id!r}")
    hook = deps.metrics.get_hooks([hook_id]).get(hook_id)
    if hook is None:
        raise ConfigError(f"no hook {hook_id} is registered here (see `hookforge metrics report`)")
    outputs: dict[str, str] = hook.get("outputs") or {}
    videos = {
        aspect: deps.store.get_bytes(key) for aspect, key in outputs.items() if aspect in (VERTICAL, *FEED_ASPECTS)
    }
    poster = deps.store.get_bytes(hook["poster_key"]) if hook.get("poster_key") else b""
    graph_url = settings.meta_graph_url.rstrip("/")
    # Graph takes uploads on its video host; a stand-in (any other host) takes them itself
    video_url = "https://graph-video.facebook.com" if graph_url == "https://graph.facebook.com" else graph_url
    launcher = MetaLauncher(
        token=deps.secrets.get(meta.TOKEN_VAR, meta.SECRET_NAME),
        account_id=settings.meta_ad_account_id,
        base_url=graph_url,
        video_base_url=video_url,
        timeout=(10.0, 300.0),
        transport=transport,
    )
    try:
        page = page_id if page_id is not None else launcher.page_of(adset_id)
        request = LaunchRequest(
            hook_id, str(hook.get("brief") or "hookforge"), adset_id, page, videos, poster, message, link
        )
        launched = launcher.launch(request)
    finally:
        launcher.close()
    record_launch(deps.metrics, hook_id, launched)
    return launched


def launch_for_run(event: LaunchHookInput, deps: Any, *, transport: BaseAdapter | None = None) -> LaunchedAd:
    """LaunchPausedAd: the run's finished hook as a PAUSED Meta ad, as the brief's `launch.meta` asks.

    The outcome is recorded on the run (`launch`): the ad's ids, or the named error and its message, which is then
    raised on (never swallowed) so the state machine sees the failure; the ASL keeps the run succeeded (the hook is
    made) with the failure in its output."""
    if event.brief.launch is None:
        raise ConfigError("LaunchPausedAd ran for a brief without `launch`; the state machine's Choice skips it")
    spec = event.brief.launch.meta
    hook_id = event.hook.hook_id
    try:
        launched = launch_hook(
            deps,
            hook_id,
            adset_id=spec.adset_id,
            page_id=spec.page_id,
            message=spec.message,
            link=spec.link or "",
            transport=transport,
        )
    except Exception as e:
        # messages of Graph errors are already free of the token (Graph.redact); kept short for the run record
        failure = {"platform": "meta", "status": "FAILED", "error": type(e).__name__, "message": str(e)[:1000]}
        logger.exception("launch failed", extra={"run_id": event.run_id, "hook_id": hook_id, "error": failure["error"]})
        try:
            deps.runs.update(event.run_id, launch=failure)
        except Exception:
            # the launch's own error is the one the state machine must see, not the bookkeeping's
            logger.exception("launch failure not recorded on the run", extra={"run_id": event.run_id})
        raise
    deps.runs.update(event.run_id, launch=launched.model_dump(mode="json"))
    logger.info("hook launched paused", extra={"run_id": event.run_id, "hook_id": hook_id, "ad_id": launched.ad_id})
    return launched
