"""What the Meta and TikTok readers share: the ad-day record they yield, token redaction, throttle waiting and
the rolling window."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from hookforge.metrics.model import DEFINITIONS

#: waits out a throttle; tests inject a recorder so nothing really sleeps
Sleeper = Callable[[float], None]

#: ISO 4217 codes of the currencies the ad platforms bill in (Meta's and TikTok's account currencies); a row in
#: anything else is skipped with its reason instead of being summed with the rest
CURRENCIES = frozenset(
    "AED ARS AUD BDT BGN BOB BRL CAD CHF CLP CNY COP CRC CZK DKK DZD EGP EUR GBP GTQ HKD HNL HUF IDR ILS INR ISK "
    "JPY KES KRW KZT LKR MAD MOP MXN MYR NGN NIO NOK NZD PEN PHP PKR PLN PYG QAR RON RSD RUB SAR SEK SGD THB TRY "
    "TWD UAH USD UYU VES VND ZAR".split()
)

_TOKEN_PARAMS = frozenset({"access_token", "appsecret_proof"})
_TOKEN_IN_TEXT = re.compile(r"((?:access_token|appsecret_proof)=)[^&\s\"'<>]+", re.IGNORECASE)


@dataclass(frozen=True)
class AdDay:
    """One ad on one day in one placement, as the platform reports it now (a later sync may restate it)."""

    platform: str
    ad_id: str
    ad_name: str
    day: str
    placement: str
    impressions: int
    plays: int
    holds: int
    clicks: int
    spend: float
    currency: str


def ad_day(
    platform: str,
    *,
    ad_id: str,
    ad_name: str,
    day: str,
    placement: str,
    impressions: int,
    plays: int,
    holds: int,
    clicks: int,
    spend: float,
    currency: str,
) -> AdDay:
    """The `AdDay` of one platform record whose figures hold together: plays <= impressions, holds <= plays.

    ValueError names the platform's own figures ("3-second video plays", "6-second video views", ...)."""
    names = DEFINITIONS[platform]
    if plays > impressions:
        raise ValueError(f"{names.plays} ({plays}) exceed impressions ({impressions})")
    if holds > plays:
        raise ValueError(f"{names.holds} ({holds}) exceed {names.plays} ({plays})")
    return AdDay(
        platform=platform,
        ad_id=ad_id,
        ad_name=ad_name,
        day=day,
        placement=placement,
        impressions=impressions,
        plays=plays,
        holds=holds,
        clicks=clicks,
        spend=spend,
        currency=currency,
    )


@dataclass(frozen=True)
class Skip:
    """A record the reader could not turn into an `AdDay`, with the reason (kept in the sync report)."""

    ad: str
    day: str
    reason: str


@dataclass
class Fetched:
    rows: list[AdDay] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)


class Redactor:
    """Removes the token from any text before it reaches a log, an error or a stored report.

    Graph copies `access_token=` into the `paging.next` URLs it returns, and error messages may quote a request.
    """

    def __init__(self, *secrets: str) -> None:
        self._secrets = tuple(s for s in secrets if s)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return _TOKEN_IN_TEXT.sub(r"\1[redacted]", text)


def strip_token(url: str) -> str:
    """`url` without `access_token` / `appsecret_proof` query parameters (we send the token in a header)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in _TOKEN_PARAMS]
    return urlunsplit(parts._replace(query=urlencode(query)))


def same_origin(url: str, base: str) -> bool:
    """A paging link is only followed (with our token) to the host we were configured to call."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc)


def rolling_window(days: int, today: date) -> tuple[date, date]:
    """The last `days` days up to and including today: platforms restate recent days, so each sync re-reads them."""
    if days < 1:
        raise ValueError(f"the sync window must be at least one day, got {days}")
    return today - timedelta(days=days - 1), today


def spans(since: date, until: date, size: int) -> list[tuple[date, date]]:
    """[since, until] cut into spans of at most `size` days (TikTok's daily report covers 30 days at most)."""
    out = []
    start = since
    while start <= until:
        end = min(until, start + timedelta(days=size - 1))
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def count(raw: object, what: str) -> int:
    """A platform count ("123", 123, None) as a whole non-negative number; ValueError names the field."""
    if raw in (None, ""):
        return 0
    try:
        value = float(str(raw))
    except ValueError:
        raise ValueError(f"{what} is not a number: {raw!r}") from None
    if value < 0 or value != int(value):
        raise ValueError(f"{what} is not a whole non-negative number: {raw!r}")
    return int(value)


def money(raw: object, what: str = "spend") -> float:
    if raw in (None, ""):
        return 0.0
    try:
        value = float(str(raw))
    except ValueError:
        raise ValueError(f"{what} is not a number: {raw!r}") from None
    if value < 0 or value != value:
        raise ValueError(f"{what} is not an amount: {raw!r}")
    return round(value, 6)


class WaitBudget:
    """How long one sync may wait out throttles in total; past it the throttle is a named error and the next
    scheduled sync catches up (it re-reads the window anyway)."""

    def __init__(self, sleeper: Sleeper, limit: float) -> None:
        self.sleeper = sleeper
        self.limit = limit
        self.waited = 0.0

    def allows(self, seconds: float) -> bool:
        return self.waited + seconds <= self.limit

    def wait(self, seconds: float) -> None:
        self.waited += seconds
        self.sleeper(seconds)


def error_code(raw: object) -> int:
    """A numeric error code from an API's error body (0 when it is missing or not a number)."""
    try:
        return int(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0
