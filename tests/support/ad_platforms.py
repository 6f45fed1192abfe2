"""Local stand-ins of the Meta Graph (Marketing API insights) and the TikTok Business API, on `httpx.MockTransport`
(TikTok's httpx client) and `HandlerAdapter` (the `requests` adapter the `facebook-business` SDK's session is given).

They answer the documented shapes only (see `hookforge.metrics.sync.meta` / `.tiktok`): Graph insights pages with
`paging.cursors` and a `paging.next` URL that embeds `access_token` (as Graph does), the async report job
(`report_run_id`, `async_status`, `async_percent_completion`), error bodies `{"error": {message, type, code,
error_subcode, fbtrace_id}}` with the `x-business-use-case-usage` header; TikTok's `{code, message, request_id,
data: {list, page_info}}`. Numbers are deterministic per (ad, day, placement) and can be *restated* (changed for
later reads), as the platforms do. Every request is recorded so tests can scan them (no ACTIVE, no token leaks).
`serve()` puts either stand-in behind a real local HTTP port for the CLI.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import requests
import requests.adapters
import requests.structures

META_TOKEN = "EAAGsimulatedmetatoken0123456789"
TIKTOK_TOKEN = "tt-simulated-token-abcdef0123456789"
META_ACCOUNT = "1234567890"
TIKTOK_ADVERTISER = "7000000000000000001"
GRAPH = "https://graph.meta-standin.invalid"
TIKTOK = "https://tiktok-standin.invalid"
VERSION = "v26.0"


@dataclass(frozen=True)
class SimAd:
    ad_id: str
    name: str
    placements: tuple[str, ...] = ("facebook:feed", "instagram:reels")


def day_numbers(ad_id: str, day: str, placement: str, bump: int) -> tuple[int, int, int, int, float]:
    h = int(hashlib.sha1(f"{ad_id}|{day}|{placement}".encode()).hexdigest()[:8], 16)
    impressions = 500 + h % 2000 + bump
    plays = impressions * (15 + h % 25) // 100
    holds = plays * (20 + h % 30) // 100
    clicks = impressions * (1 + h % 3) // 100
    spend = round(impressions * 0.008, 2)
    return impressions, plays, holds, clicks, spend


class HandlerAdapter(requests.adapters.BaseAdapter):
    """A `requests` transport answered by an httpx-style handler: the SDK's own session (its request building,
    parameter encoding, multipart files, response and error classes) runs unchanged against a stand-in."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        super().__init__()
        self.handler = handler

    def send(
        self,
        request: Any,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        body = request.body.encode() if isinstance(request.body, str) else request.body or b""
        reply = self.handler(httpx.Request(request.method, request.url, headers=dict(request.headers), content=body))
        reply.read()
        response = requests.Response()
        response.status_code = reply.status_code
        response.headers = requests.structures.CaseInsensitiveDict(reply.headers)
        response._content = reply.content
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def _error(status: int, code: int, message: str, *, subcode: int = 0, headers: dict[str, str] | None = None) -> Any:
    body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEfGh"}}
    if subcode:
        body["error"]["error_subcode"] = subcode
    return httpx.Response(status, json=body, headers=headers or {})


@dataclass
class MetaStandIn:
    """Graph insights for one ad account. `throttles`: answers of code 80004 (with a regain time of
    `regain_minutes`) before the next success; `expire`: every call answers 190/463; `restated`: (ad_id, day) ->
    extra impressions reported from now on; `async_polls`: "Job Running" answers before "Job Completed"."""

    ads: list[SimAd]
    since: date
    until: date
    page_size_cap: int = 50
    throttles: int = 0
    regain_minutes: int = 2
    expire: bool = False
    currency: str = "USD"
    async_polls: int = 2
    restated: dict[tuple[str, str], int] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    #: launching: status checks answered "processing" before "ready"; every video rejected; the resumable chunk
    video_polls: int = 1
    reject_video: bool = False
    chunk: int = 1024 * 1024
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)
    creatives: dict[str, dict[str, str]] = field(default_factory=dict)
    created_ads: dict[str, dict[str, str]] = field(default_factory=dict)
    _jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    _cache: dict[tuple[Any, ...], list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def transport(self) -> HandlerAdapter:
        """The transport the SDK's session is mounted with (`Graph(transport=...)`)."""
        return HandlerAdapter(self.handle)

    def records(self, since: str, until: str) -> list[dict[str, Any]]:
        # cached per window and restatement: a page request must not rebuild the whole report (the benchmark)
        key = (since, until, self.currency, tuple(sorted(self.restated.items())))
        if key not in self._cache:
            self._cache.clear()
            self._cache[key] = self._build(since, until)
        return self._cache[key]

    def _build(self, since: str, until: str) -> list[dict[str, Any]]:
        out = []
        day = date.fromisoformat(since)
        end = date.fromisoformat(until)
        while day <= end:
            if self.since <= day <= self.until:
                for ad in self.ads:
                    for placement in ad.placements:
                        bump = self.restated.get((ad.ad_id, day.isoformat()), 0)
                        imp, plays, holds, clicks, spend = day_numbers(ad.ad_id, day.isoformat(), placement, bump)
                        publisher, position = placement.split(":")
                        out.append(
                            {
                                "ad_id": ad.ad_id,
                                "ad_name": ad.name,
                                "account_currency": self.currency,
                                "date_start": day.isoformat(),
                                "date_stop": day.isoformat(),
                                "publisher_platform": publisher,
                                "platform_position": position,
                                "impressions": str(imp),
                                "actions": [
                                    {"action_type": "link_click", "value": str(clicks)},
                                    {"action_type": "video_view", "value": str(plays)},
                                ],
                                "video_thruplay_watched_actions": [{"action_type": "video_view", "value": str(holds)}],
                                "video_p25_watched_actions": [{"action_type": "video_view", "value": str(holds)}],
                                "spend": f"{spend:.2f}",
                                "clicks": str(clicks),
                            }
                        )
            day += timedelta(days=1)
        return out

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {META_TOKEN}" or self.expire:
            return _error(400, 190, "Error validating access token: Session has expired on Tuesday.", subcode=463)
        if self.throttles:
            self.throttles -= 1
            usage = {
                META_ACCOUNT: [
                    {
                        "type": "ads_insights",
                        "call_count": 100,
                        "total_cputime": 40,
                        "total_time": 60,
                        "estimated_time_to_regain_access": self.regain_minutes,
                    }
                ]
            }
            return _error(
                400,
                80004,
                "There have been too many calls to this ad-account.",
                headers={"x-business-use-case-usage": json.dumps(usage)},
            )
        path = request.url.path
        params = dict(request.url.params)
        launched = self._launch(request, path)
        if launched is not None:
            return launched
        account = f"/{VERSION}/act_{META_ACCOUNT}/insights"
        if path == account and request.method == "POST":
            form = dict(parse_qsl(request.content.decode()))
            run_id = str(6_000_000_000 + len(self._jobs))
            self._jobs[run_id] = {"params": form, "polls": 0}
            return httpx.Response(200, json={"report_run_id": run_id})
        if path == account and request.method == "GET":
            rng = json.loads(params["time_range"])
            return self._page(self.records(rng["since"], rng["until"]), request, params)
        parts = path.strip("/").split("/")
        if len(parts) >= 2 and parts[1] in self._jobs:
            job = self._jobs[parts[1]]
            if len(parts) == 2:
                job["polls"] += 1
                done = job["polls"] > self.async_polls
                return httpx.Response(
                    200,
                    json={
                        "id": parts[1],
                        "async_status": "Job Completed" if done else "Job Running",
                        "async_percent_completion": 100 if done else 50,
                    },
                )
            rng = json.loads(job["params"]["time_range"])
            return self._page(self.records(rng["since"], rng["until"]), request, params)
        return _error(400, 100, f"Unsupported get request. Object with ID '{parts[-1]}' does not exist")

    # ----------------------------------------------------------------------------------- launching
    def _launch(self, request: httpx.Request, path: str) -> httpx.Response | None:
        act = f"/{VERSION}/act_{META_ACCOUNT}/"
        if request.method == "GET" and path.strip("/").split("/")[-1] in self.videos:
            video = self.videos[path.strip("/").split("/")[-1]]
            video["polls"] += 1
            if self.reject_video:
                status = {
                    "video_status": "error",
                    "processing_phase": {
                        "status": "error",
                        "errors": [{"code": 1363130, "message": "Video too short"}],
                    },
                }
            elif video["polls"] > self.video_polls and video["bytes"]:
                status = {"video_status": "ready", "processing_progress": 100}
            else:
                status = {"video_status": "processing", "processing_progress": 40}
            return httpx.Response(200, json={"id": video["id"], "status": status})
        if request.method != "POST" or not path.startswith(act) or path.endswith("/insights"):
            return None
        form = multipart_or_form(request)
        edge = path[len(act) :]
        if edge == "advideos":
            return self._advideos(form)
        if edge == "adimages":
            data = base64.b64decode(str(form["bytes"]))
            image_hash = hashlib.md5(data).hexdigest()  # noqa: S324 - Graph's image hashes look like this
            self.images[image_hash] = data
            return httpx.Response(200, json={"images": {str(form.get("name", "x")): {"hash": image_hash, "url": ""}}})
        if edge == "adcreatives":
            creative_id = str(23_800_000_000 + len(self.creatives))
            self.creatives[creative_id] = {k: str(v) for k, v in form.items()}
            return httpx.Response(200, json={"id": creative_id})
        if edge == "ads":
            ad_id = str(23_900_000_000 + len(self.created_ads))
            # an ad created without a status is ACTIVE on Meta: the stand-in records what it would have done
            self.created_ads[ad_id] = {
                **{k: str(v) for k, v in form.items()},
                "effective": str(form.get("status", "ACTIVE")),
            }
            return httpx.Response(200, json={"id": ad_id})
        return _error(400, 100, f"Unsupported post request: {edge}")

    def _advideos(self, form: dict[str, Any]) -> httpx.Response:
        phase = form.get("upload_phase")
        if phase is None:
            video_id = str(10_000_000 + len(self.videos))
            self.videos[video_id] = {
                "id": video_id,
                "bytes": bytes(form["source"]),
                "polls": 0,
                "title": form.get("title"),
            }
            return httpx.Response(200, json={"id": video_id})
        if phase == "start":
            video_id = str(10_000_000 + len(self.videos))
            size = int(form["file_size"])
            self.videos[video_id] = {"id": video_id, "bytes": b"", "polls": 0, "size": size, "chunks": 0}
            end = min(size, self.chunk)
            return httpx.Response(
                200,
                json={
                    "video_id": video_id,
                    "upload_session_id": f"s{video_id}",
                    "start_offset": "0",
                    "end_offset": str(end),
                },
            )
        video = self.videos[str(form["upload_session_id"])[1:]]
        if phase == "transfer":
            assert int(form["start_offset"]) == len(video["bytes"]), "chunks out of order"
            video["bytes"] += bytes(form["video_file_chunk"])
            video["chunks"] += 1
            begin = len(video["bytes"])
            return httpx.Response(
                200, json={"start_offset": str(begin), "end_offset": str(min(video["size"], begin + self.chunk))}
            )
        ok = len(video["bytes"]) == video["size"]
        return httpx.Response(200, json={"success": ok})

    def _page(self, records: list[dict[str, Any]], request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        limit = min(int(params.get("limit", 25)), self.page_size_cap)
        start = int(params.get("after", "0") or 0)
        chunk = records[start : start + limit]
        body: dict[str, Any] = {
            "data": chunk,
            "paging": {"cursors": {"before": str(start), "after": str(start + limit)}},
        }
        if start + limit < len(records):
            # Graph puts the caller's token into the next link
            nxt = {**params, "after": str(start + limit), "access_token": META_TOKEN}
            origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
            body["paging"]["next"] = f"{origin}{request.url.path}?{urlencode(nxt)}"
        return httpx.Response(200, json=body)


@dataclass
class TikTokStandIn:
    """The integrated report for one advertiser (ad x day). `throttles`: code 40100 answers before the next
    success; `expire`: every call answers 40105."""

    ads: list[SimAd]
    since: date
    until: date
    page_size_cap: int = 100
    throttles: int = 0
    expire: bool = False
    currency: str = "EUR"
    restated: dict[tuple[str, str], int] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _answer(self, code: int, message: str, data: Any = None) -> httpx.Response:
        return httpx.Response(
            200, json={"code": code, "message": message, "request_id": "2026120200000001", "data": data or {}}
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("access-token") != TIKTOK_TOKEN or self.expire:
            return self._answer(40105, "The access token is invalid or has expired.")
        if self.throttles:
            self.throttles -= 1
            return self._answer(40100, "Too many requests. Please retry in some time.")
        params = dict(request.url.params)
        if request.url.path == "/open_api/v1.3/advertiser/info/":
            return self._answer(0, "OK", {"list": [{"advertiser_id": TIKTOK_ADVERTISER, "currency": self.currency}]})
        if request.url.path != "/open_api/v1.3/report/integrated/get/":
            return self._answer(40002, "Invalid path")
        if params.get("advertiser_id") != TIKTOK_ADVERTISER:
            return self._answer(40001, "No permission to operate advertiser")
        start, end = date.fromisoformat(params["start_date"]), date.fromisoformat(params["end_date"])
        if (end - start).days > 29:
            return self._answer(40002, "The time range of stat_time_day cannot exceed 30 days")
        rows = []
        day = start
        while day <= end:
            if self.since <= day <= self.until:
                for ad in self.ads:
                    bump = self.restated.get((ad.ad_id, day.isoformat()), 0)
                    imp, plays, holds, clicks, spend = day_numbers(ad.ad_id, day.isoformat(), "tiktok", bump)
                    rows.append(
                        {
                            "dimensions": {"ad_id": ad.ad_id, "stat_time_day": f"{day.isoformat()} 00:00:00"},
                            "metrics": {
                                "ad_name": ad.name,
                                "impressions": str(imp),
                                "video_watched_2s": str(plays),
                                "video_watched_6s": str(holds),
                                "spend": f"{spend:.2f}",
                                "clicks": str(clicks),
                            },
                        }
                    )
            day += timedelta(days=1)
        size = min(int(params.get("page_size", 10)), self.page_size_cap)
        page = int(params.get("page", 1))
        total_page = max(1, -(-len(rows) // size))
        chunk = rows[(page - 1) * size : page * size]
        info = {"page": page, "page_size": size, "total_number": len(rows), "total_page": total_page}
        return self._answer(0, "OK", {"list": chunk, "page_info": info})


def multipart_or_form(request: httpx.Request) -> dict[str, Any]:
    """A POST body's fields: urlencoded values as text, multipart parts as text or (files) bytes."""
    ctype = request.headers.get("content-type", "")
    body = request.content
    if ctype.startswith("application/x-www-form-urlencoded") or not ctype.startswith("multipart/"):
        return dict(parse_qsl(body.decode()))
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body
    )
    out: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        out[str(name)] = payload if part.get_filename() else payload.decode()
    return out


@contextmanager
def serve(handler: Callable[[httpx.Request], httpx.Response]) -> Iterator[str]:
    """A stand-in behind http://127.0.0.1:<port> (for the CLI, which builds its own client); yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def _do(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = httpx.Request(
                self.command, f"http://{self.headers.get('Host')}{self.path}", headers=dict(self.headers), content=body
            )
            response = handler(request)
            data = response.content
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "content-encoding"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = _do  # noqa: N815 - the http.server API
        do_POST = _do  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def assert_no_request_asks_for_active(standin: MetaStandIn) -> None:
    """Every field of every request the stand-in saw (query, form, multipart): none asks for ACTIVE."""
    for request in standin.requests:
        fields = {**dict(request.url.params), **(multipart_or_form(request) if request.method == "POST" else {})}
        for key, value in fields.items():
            text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
            assert "ACTIVE" not in text.upper().replace("INACTIVE", ""), (request.url.path, key)


def platform_env(graph_url: str, tiktok_url: str) -> dict[str, str]:
    """The environment that points the sync at the two stand-ins, with their tokens and account ids."""
    return {
        "META_GRAPH_URL": graph_url,
        "META_ACCESS_TOKEN": META_TOKEN,
        "META_AD_ACCOUNT_ID": META_ACCOUNT,
        "TIKTOK_API_URL": tiktok_url,
        "TIKTOK_ACCESS_TOKEN": TIKTOK_TOKEN,
        "TIKTOK_ADVERTISER_ID": TIKTOK_ADVERTISER,
    }
