"""TikTok Business API: the integrated report by ad and day, read with httpx on the documented shapes.

- `GET /open_api/v1.3/advertiser/info/?advertiser_ids=[id]&fields=["currency"]` -> the account currency (once).
- `GET /open_api/v1.3/report/integrated/get/?advertiser_id&report_type=BASIC&data_level=AUCTION_AD&
  dimensions=["ad_id","stat_time_day"]&metrics=[...]&start_date&end_date&page&page_size` ->
  `{code, message, request_id, data: {list: [{dimensions, metrics}], page_info: {page, total_page, ...}}}`.
  A daily report covers at most 30 days, so a longer window is read in 30-day spans.

The token travels in the `Access-Token` header. Every answer is HTTP 200 with `code` 0 on success; 40100 (too
many requests) and HTTP 429 are waited out within the sync's wait budget; 40102, 40104 and 40105 (token
expired, missing, invalid) are `AdTokenExpired`; 5xxxx codes and HTTP 5xx are retried, then
`ProviderUnavailable`. TikTok reports no placement breakdown for this report: rows carry the placement
"tiktok". The official `tiktok-business-api-sdk-official` is generated code over the same endpoint with a
fixed host; httpx keeps the host configurable and the client injectable.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import TYPE_CHECKING, Any

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
    spans,
)

if TYPE_CHECKING:
    import httpx

REPORT_PATH = "/open_api/v1.3/report/integrated/get/"
INFO_PATH = "/open_api/v1.3/advertiser/info/"
SECRET_NAME = "hookforge/ad-platforms/tiktok"
TOKEN_VAR = "TIKTOK_ACCESS_TOKEN"
METRICS = ("ad_name", "impressions", "video_watched_2s", "video_watched_6s", "spend", "clicks")
MAX_SPAN_DAYS = 30

THROTTLE_CODES = frozenset({40100})
TOKEN_CODES = frozenset({40102, 40104, 40105})
RENEW_HINT = (
    "authorize the app again in TikTok for Business (Developer portal > My apps > advertiser authorization) to "
    f"get a new long-term access token, and store it in the secret {SECRET_NAME!r} (locally: {TOKEN_VAR})"
)


class TikTokReport:
    """Reads one advertiser's integrated report by ad and day (see the module docstring)."""

    platform = "tiktok"

    def __init__(
        self,
        client: httpx.Client,
        *,
        token: str,
        advertiser_id: str,
        base_url: str = "https://business-api.tiktok.com",
        sleeper: Sleeper = time.sleep,
        max_wait: float = 900.0,
        page_size: int = 1000,
        retries: int = 3,
    ) -> None:
        if not advertiser_id.isdigit():
            raise ConfigError(f"a TikTok advertiser id is digits, got {advertiser_id!r}")
        if not token:
            raise AdTokenExpired(f"no TikTok access token: {RENEW_HINT}")
        self.client = client
        self.advertiser_id = advertiser_id
        self.base = base_url.rstrip("/")
        self.redact = Redactor(token)
        self._auth = {"Access-Token": token}
        self.budget = WaitBudget(sleeper, max_wait)
        self.page_size = page_size
        self.retries = retries
        self.requests = 0

    def fetch(self, since: date, until: date) -> Fetched:
        """Every ad-day of [since, until]; raises (having written nothing) on any error."""
        currency = self._currency()
        out = Fetched()
        for start, end in spans(since, until, MAX_SPAN_DAYS):
            page, total = 1, 1
            while page <= total:
                data = self._call(
                    REPORT_PATH,
                    {
                        "advertiser_id": self.advertiser_id,
                        "report_type": "BASIC",
                        "data_level": "AUCTION_AD",
                        "dimensions": json.dumps(["ad_id", "stat_time_day"]),
                        "metrics": json.dumps(list(METRICS)),
                        "start_date": start.isoformat(),
                        "end_date": end.isoformat(),
                        "page": str(page),
                        "page_size": str(self.page_size),
                    },
                )
                rows = data.get("list")
                if not isinstance(rows, list):
                    raise ProviderError(f"TikTok answered a report page without a list (keys: {sorted(data)})")
                for record in rows:
                    try:
                        out.rows.append(parse_record(record, currency))
                    except (ValueError, TypeError, KeyError, AttributeError) as e:
                        dims = record.get("dimensions", {}) if isinstance(record, dict) else {}
                        dims = dims if isinstance(dims, dict) else {}
                        out.skipped.append(
                            Skip(str(dims.get("ad_id", "?")), str(dims.get("stat_time_day", ""))[:10], str(e))
                        )
                total = error_code((data.get("page_info") or {}).get("total_page"))
                if not rows:
                    break
                page += 1
        return out

    def _currency(self) -> str:
        data = self._call(
            INFO_PATH, {"advertiser_ids": json.dumps([self.advertiser_id]), "fields": json.dumps(["currency"])}
        )
        accounts = data.get("list") or []
        return str(accounts[0].get("currency") or "").upper() if accounts and isinstance(accounts[0], dict) else ""

    def _call(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        import httpx  # loaded with the client the caller made; this module is imported by launches, which need none

        backoff = 1.0
        failures = 0
        while True:
            self.requests += 1
            try:
                response = self.client.get(f"{self.base}{path}", params=params, headers=self._auth)
            except httpx.TransportError as e:
                failures += 1
                if failures > self.retries:
                    raise ProviderUnavailable(f"TikTok could not be reached: {self.redact(str(e))}") from None
                self.budget.sleeper(2.0**failures)
                continue
            try:
                body = response.json()
            except ValueError:
                body = None
            code = error_code(body.get("code")) if isinstance(body, dict) else -1
            if response.status_code == 200 and code == 0 and isinstance(body, dict):
                data = body.get("data")
                return data if isinstance(data, dict) else {}
            message = self.redact(str(body.get("message") or "")[:300]) if isinstance(body, dict) else ""
            request_id = self.redact(str(body.get("request_id") or "")) if isinstance(body, dict) else ""
            if code in TOKEN_CODES:
                raise AdTokenExpired(f"TikTok refused the access token (code {code}: {message}); {RENEW_HINT}")
            if code in THROTTLE_CODES or response.status_code == 429:
                wait = backoff
                backoff = min(backoff * 2, 60.0)
                if not self.budget.allows(wait):
                    raise ProviderThrottled(
                        f"TikTok kept throttling the sync (code {code}: {message}) past its wait budget of "
                        f"{self.budget.limit:.0f} s; the next scheduled sync catches up"
                    )
                self.budget.wait(wait)
                continue
            transient = response.status_code >= 500 or code >= 50000 or code == -1
            if transient and failures < self.retries:
                failures += 1
                self.budget.sleeper(2.0**failures)
                continue
            cls = ProviderUnavailable if transient else ProviderError
            raise cls(f"TikTok answered HTTP {response.status_code} (code {code}: {message}) request_id={request_id}")


def parse_record(record: Any, currency: str) -> AdDay:
    dims, metrics = record["dimensions"], record["metrics"]
    ad_id = str(dims.get("ad_id") or "")
    if not ad_id:
        raise ValueError("no ad_id")
    day = str(dims.get("stat_time_day") or "")[:10]
    date.fromisoformat(day)
    return ad_day(
        "tiktok",
        ad_id=ad_id,
        ad_name=str(metrics.get("ad_name") or ""),
        day=day,
        placement="tiktok",
        impressions=count(metrics.get("impressions"), "impressions"),
        plays=count(metrics.get("video_watched_2s"), "video_watched_2s"),
        holds=count(metrics.get("video_watched_6s"), "video_watched_6s"),
        clicks=count(metrics.get("clicks"), "clicks"),
        spend=money(metrics.get("spend")),
        currency=currency,
    )
