"""Meta Marketing API: ad-level daily insights per placement, read through the official `facebook-business` SDK.

How the SDK is used: each `Graph` builds its own `FacebookSession` and `FacebookAdsApi` (never the process-wide
`FacebookAdsApi.init`, which would also switch on the SDK's crash reporter that posts tracebacks to Meta) and
makes every request with `FacebookAdsApi.call`. The host is configuration: `FacebookSession.GRAPH` is read per
session (`url_override or self._session.GRAPH`), so setting it on our session instance points this client, and
only this one, at `META_GRAPH_URL` (a local stand-in in tests). The token travels in the `Authorization` header,
not in the SDK's default `access_token` query parameter, so it is in no URL that a proxy log, a `requests`
exception or a stored paging link could carry. The SDK's answers (`FacebookResponse`) and errors
(`FacebookRequestError`) are read for their status, headers and body; the handling below is ours, because the
SDK neither waits out `x-business-use-case-usage` nor strips the token from `paging.next`.

Requests (Graph `GRAPH_VERSION`, token in the `Authorization` header, never in a URL we build):
- `GET act_<id>/insights?level=ad&time_increment=1&time_range={since,until}&breakdowns=publisher_platform,
  platform_position&fields=...` -> `{data: [...], paging: {cursors, next}}`; `paging.next` is followed after
  its `access_token` is stripped, and only to the configured host.
- a window longer than `async_after_days`: `POST act_<id>/insights` (same parameters) -> `{report_run_id}`;
  `GET <report_run_id>` until `async_status` is "Job Completed" (`async_percent_completion`); then
  `GET <report_run_id>/insights`, paged the same way.

Errors (`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`): 190 (subcodes 463 expired,
467 invalid), 102 and 104 -> `AdTokenExpired` with how to renew; 4, 17, 32, 613 and 80000-80014 -> wait the
`estimated_time_to_regain_access` (minutes) of `x-business-use-case-usage` (or `reset_time_duration` of
`x-ad-account-usage`, else a doubling backoff) within the sync's wait budget, then `ProviderThrottled`;
1, 2 and HTTP 5xx -> retried, then `ProviderUnavailable`; anything else -> `ProviderError`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the SDK (and requests) load when a Graph is made: a TikTok-only sync never pays for them
    from requests.adapters import BaseAdapter

from hookforge.errors import AdTokenExpired, ConfigError, ProviderError, ProviderThrottled, ProviderUnavailable
from hookforge.metrics.sync.common import (
    AdDay,
    Fetched,
    Redactor,
    Skip,
    Sleeper,
    WaitBudget,
    ad_day,
    count,
    error_code,
    money,
    same_origin,
    strip_token,
)

#: the Graph version of `facebook-business` 26.x (the SDK's version follows the API's; passed to the SDK explicitly)
GRAPH_VERSION = "v26.0"
SECRET_NAME = "hookforge/ad-platforms/meta"
TOKEN_VAR = "META_ACCESS_TOKEN"

FIELDS = (
    "ad_id",
    "ad_name",
    "account_currency",
    "date_start",
    "date_stop",
    "impressions",
    "actions",
    "video_thruplay_watched_actions",
    "video_p25_watched_actions",
    "video_p50_watched_actions",
    "video_p75_watched_actions",
    "video_p100_watched_actions",
    "spend",
    "clicks",
)
BREAKDOWNS = ("publisher_platform", "platform_position")

TOKEN_CODES = frozenset({190, 102, 104})
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
ASYNC_DONE = "Job Completed"
ASYNC_FAILED = frozenset({"Job Failed", "Job Skipped"})

RENEW_HINT = (
    "generate a new system-user token (Business Settings > Users > System users > Generate new token, with "
    "ads_read for the daily sync, and ads_management too for `hookforge launch`) and store it in the secret "
    f"{SECRET_NAME!r} (locally: the environment variable {TOKEN_VAR})"
)


def regain_seconds(headers: Mapping[str, str]) -> float:
    """The longest wait the usage headers announce, in seconds (0 when they announce none)."""
    wait = 0.0
    raw = headers.get("x-business-use-case-usage")
    if raw:
        try:
            usage = json.loads(raw)
            for entries in usage.values() if isinstance(usage, dict) else ():
                for entry in entries if isinstance(entries, list) else ():
                    minutes = float(entry.get("estimated_time_to_regain_access") or 0)
                    wait = max(wait, minutes * 60)
        except (ValueError, TypeError, AttributeError):
            pass  # a malformed header only costs us the hint: the backoff still applies
    raw = headers.get("x-ad-account-usage")
    if raw:
        try:
            wait = max(wait, float(json.loads(raw).get("reset_time_duration") or 0))
        except (ValueError, TypeError, AttributeError):
            pass
    return wait


class Graph:
    """One ad account on the Graph through the SDK: the token in a header, errors named, throttles waited out
    (module docstring). `transport`: a `requests` adapter mounted for every URL (tests point it at a stand-in)."""

    def __init__(
        self,
        *,
        token: str,
        account_id: str,
        base_url: str = "https://graph.facebook.com",
        version: str = GRAPH_VERSION,
        sleeper: Sleeper = time.sleep,
        max_wait: float = 900.0,
        retries: int = 3,
        timeout: tuple[float, float] = (10.0, 60.0),
        transport: BaseAdapter | None = None,
    ) -> None:
        digits = account_id.removeprefix("act_")
        if not digits.isdigit():
            raise ConfigError(f"a Meta ad account id is digits (optionally act_<digits>), got {account_id!r}")
        if not token:
            raise AdTokenExpired(f"no Meta access token: {RENEW_HINT}")
        from facebook_business.api import FacebookAdsApi
        from facebook_business.session import FacebookSession

        session = FacebookSession(timeout=timeout)
        session.GRAPH = base_url.rstrip("/")  # this session's host (the SDK reads it per session)
        session.requests.params.pop("access_token", None)  # the token goes in the header below, never a URL
        session.requests.headers["Authorization"] = f"Bearer {token}"
        self.session = session
        self.api = FacebookAdsApi(session, api_version=version)
        if transport is not None:
            self.mount(transport)
        self.account = f"act_{digits}"
        self.version = version
        self.base = f"{session.GRAPH}/{version}"
        self.redact = Redactor(token)
        self.budget = WaitBudget(sleeper, max_wait)
        self.retries = retries
        #: Graph requests made (the benchmark's numerator)
        self.requests = 0

    def mount(self, transport: BaseAdapter) -> None:
        """Send this Graph's requests (every host: the Graph and its video host) through `transport`."""
        for prefix in ("https://", "http://"):
            self.session.requests.mount(prefix, transport)

    def close(self) -> None:
        """Close the SDK session's connections."""
        self.session.requests.close()

    def guard(self, method: str, params: Mapping[str, str] | None) -> None:
        """Checked before every request; the launcher refuses here anything that could switch spend on."""

    def _send(
        self, method: str, url: str, params: Mapping[str, str] | None, files: dict[str, Any] | None
    ) -> tuple[int, Mapping[str, str], Any]:
        """One request through the SDK: (HTTP status, headers, the body as JSON when it is JSON, else text).
        Raises `requests.RequestException` when Meta cannot be reached."""
        from facebook_business.exceptions import FacebookRequestError

        try:
            answer = self.api.call(method, url, params=dict(params or {}), files=files)
        except FacebookRequestError as e:  # the SDK's verdict on an error body or status; we read it ourselves
            return int(e.http_status() or 0), e.http_headers() or {}, e.body()
        return int(answer.status() or 0), answer.headers(), answer.json()

    def call(
        self, method: str, url: str, params: Mapping[str, str] | None = None, *, files: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """One Graph request with the error handling of the module docstring; the answer's JSON object."""
        import requests

        self.guard(method, params)
        backoff = 60.0
        failures = 0
        while True:
            self.requests += 1
            try:
                status, headers, body = self._send(method, url, params, files)
            except requests.RequestException as e:
                failures += 1
                if failures > self.retries:
                    raise ProviderUnavailable(f"Meta could not be reached: {self.redact(str(e))}") from None
                self.budget.sleeper(2.0**failures)
                continue
            if not isinstance(body, dict):
                if status >= 500 and failures < self.retries:
                    failures += 1
                    self.budget.sleeper(2.0**failures)
                    continue
                raise ProviderUnavailable(f"Meta answered HTTP {status} without a JSON object")
            error = body.get("error")
            if status < 400 and not error:
                return body
            error = error if isinstance(error, dict) else {}
            code = error_code(error.get("code"))
            subcode = error_code(error.get("error_subcode"))
            message = self.redact(str(error.get("message") or "")[:300])
            where = f"code {code}" + (f"/{subcode}" if subcode else "")
            if code in TOKEN_CODES:
                raise AdTokenExpired(f"Meta refused the access token ({where}: {message}); {RENEW_HINT}")
            if code in THROTTLE_CODES or status == 429:
                wait = regain_seconds(headers) or backoff
                backoff = min(backoff * 2, 900.0)
                if not self.budget.allows(wait):
                    raise ProviderThrottled(
                        f"Meta throttled us ({where}: {message}); access returns in about {wait / 60:.0f} min, "
                        f"past the wait budget of {self.budget.limit:.0f} s; the next scheduled sync catches up"
                    )
                self.budget.wait(wait)
                continue
            if (code in TRANSIENT_CODES or status >= 500) and failures < self.retries:
                failures += 1
                self.budget.sleeper(2.0**failures)
                continue
            trace = self.redact(str(error.get("fbtrace_id") or ""))
            cls = ProviderUnavailable if code in TRANSIENT_CODES or status >= 500 else ProviderError
            raise cls(f"Meta answered HTTP {status} ({where}: {message}) fbtrace_id={trace}")


class MetaInsights(Graph):
    """Reads one ad account's ad-level daily insights per placement (see the module docstring)."""

    platform = "meta"

    def __init__(
        self,
        *,
        async_after_days: int = 31,
        poll_seconds: float = 10.0,
        max_polls: int = 180,
        page_size: int = 500,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.async_after_days = async_after_days
        self.poll_seconds = poll_seconds
        self.max_polls = max_polls
        self.page_size = page_size

    # ------------------------------------------------------------------------------------ reading
    def fetch(self, since: date, until: date) -> Fetched:
        """Every ad-day-placement of [since, until]; raises (having written nothing) on any error."""
        params = {
            "level": "ad",
            "time_increment": "1",
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "breakdowns": ",".join(BREAKDOWNS),
            "fields": ",".join(FIELDS),
            "limit": str(self.page_size),
        }
        out = Fetched()
        days = (until - since).days + 1
        pages = self._async_pages(params) if days > self.async_after_days else self._pages("insights", params)
        for page in pages:
            for record in page:
                try:
                    out.rows.append(parse_record(record))
                except (ValueError, TypeError, KeyError) as e:
                    ad = str(record.get("ad_name") or record.get("ad_id") or "?") if isinstance(record, dict) else "?"
                    day = str(record.get("date_start", "")) if isinstance(record, dict) else ""
                    out.skipped.append(Skip(ad, day, self.redact(str(e))))
        return out

    def _pages(self, edge: str, params: dict[str, str] | None) -> Iterator[list[Any]]:
        url: str | None = f"{self.base}/{self.account}/{edge}" if not edge.startswith("/") else f"{self.base}{edge}"
        while url:
            body = self.call("GET", url, params)
            data = body.get("data")
            if not isinstance(data, list):
                raise ProviderError(f"Meta answered an insights page without a data list (keys: {sorted(body)})")
            yield data
            nxt = (body.get("paging") or {}).get("next")
            if not data or not nxt:
                return
            nxt = strip_token(str(nxt))
            if not same_origin(nxt, self.base):
                raise ProviderError(f"Meta's next page points at another host ({self.redact(nxt)}); not followed")
            url, params = nxt, None  # the link carries the cursor and every parameter

    def _async_pages(self, params: dict[str, str]) -> Iterator[list[Any]]:
        started = self.call("POST", f"{self.base}/{self.account}/insights", params)
        run_id = str(started.get("report_run_id") or "")
        if not run_id.isdigit():
            raise ProviderError(f"Meta started no async report (answer keys: {sorted(started)})")
        for _ in range(self.max_polls):
            job = self.call("GET", f"{self.base}/{run_id}", None)
            status = job.get("async_status")
            if status == ASYNC_DONE:
                yield from self._pages(f"/{run_id}/insights", {"limit": str(self.page_size)})
                return
            if status in ASYNC_FAILED:
                raise ProviderError(f"Meta's async report {run_id} ended with {status!r}; the next sync tries again")
            self.budget.sleeper(self.poll_seconds)
        raise ProviderUnavailable(
            f"Meta's async report {run_id} was not done after {self.max_polls} polls; the next sync tries again"
        )


def _action(actions: Any, action_type: str) -> int:
    """The value of one action type in a Graph action list ([{action_type, value}, ...])."""
    if actions in (None, ""):
        return 0
    if not isinstance(actions, list):
        raise ValueError(f"an action list was expected, got {type(actions).__name__}")
    return sum(count(a.get("value"), action_type) for a in actions if a.get("action_type") == action_type)


def parse_record(record: Any) -> AdDay:
    """One insights record -> AdDay; ValueError names what is wrong with it."""
    if not isinstance(record, dict):
        raise ValueError(f"an insights record is an object, got {type(record).__name__}")
    day = str(record.get("date_start") or "")
    if not day or record.get("date_stop", day) != day:
        raise ValueError(f"not one day: {day!r}..{record.get('date_stop')!r} (time_increment=1 was not honoured)")
    date.fromisoformat(day)
    ad_id = str(record.get("ad_id") or "")
    if not ad_id:
        raise ValueError("no ad_id")
    placement = ":".join(str(record.get(b) or "") for b in BREAKDOWNS).strip(":") or "all"
    return ad_day(
        "meta",
        ad_id=ad_id,
        ad_name=str(record.get("ad_name") or ""),
        day=day,
        placement=placement.lower(),
        impressions=count(record.get("impressions"), "impressions"),
        plays=_action(record.get("actions"), "video_view"),
        holds=_action(record.get("video_thruplay_watched_actions"), "video_view"),
        clicks=count(record.get("clicks"), "clicks"),
        spend=money(record.get("spend")),
        currency=str(record.get("account_currency") or "").upper(),
    )
