"""Shared HTTP plumbing for the providers: timeout, jittered retry, status -> named error.

Every HTTP provider calls `HttpCaller.request`. The mapping is the same everywhere:

- 2xx -> the response;
- 401/403 -> `ProviderAuthError` naming the key to check (never the key itself);
- 429 -> `ProviderThrottled`; 408/500/502/503/504, timeouts and connection errors -> `ProviderUnavailable`.
  Both are retried here with full-jitter exponential backoff (honouring a short `Retry-After`); when the
  attempts are spent the error propagates, so the state machine's own Retry (or the next source) takes over;
- any other status -> `ProviderError` with the provider's own message.

Before the generic mapping of a non-transient error, the provider's `classify` hook may raise a sharper
error (e.g. `ContentRejected` for a content-policy 400, or Stability's moderation 403).

Nothing here logs headers, bodies or query strings: keys and prompts stay out of the logs.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from hookforge.errors import ProviderAuthError, ProviderError, ProviderThrottled, ProviderUnavailable
from hookforge.observability import logger

TRANSIENT_STATUS = frozenset({408, 500, 502, 503, 504})
#: the longest Retry-After we honour in-process; longer waits belong to the state machine's Retry
MAX_RETRY_AFTER = 10.0

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one provider call tries before it gives up with a named error."""

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.timeout <= 0:
            raise ValueError("a retry policy needs attempts >= 1 and a positive timeout")

    def jitter(self, attempt: int, rng: random.Random) -> float:
        """Full jitter: uniform in [0, min(max_delay, base * 2**attempt)], so clients that failed together
        do not come back together."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return rng.uniform(0, ceiling)

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """HttpCaller's wait: full jitter, with a short Retry-After (at most MAX_RETRY_AFTER) as a floor."""
        wait = self.jitter(attempt, rng)
        if retry_after is not None:
            wait = max(wait, min(retry_after, MAX_RETRY_AFTER))
        return wait

    def backoff(
        self, attempt: int, rng: random.Random, *, retry_after: float | None = None, floor: float = 0.0
    ) -> float:
        """The wait for callers that run their own loop through `run` (an SDK raising its own errors).

        A Retry-After the server sent is the wait itself, kept within [floor, max_delay]: the server knows
        when it will take the call again. Otherwise full jitter on top of `floor`, the shortest wait the
        API allows between two calls (e.g. Runway's one poll per 5 s).
        """
        if retry_after is not None:
            return min(self.max_delay, max(floor, retry_after))
        return floor + self.jitter(attempt, rng)

    def run(
        self,
        fn: Callable[[], T],
        *,
        retry_if: Callable[[Exception], bool],
        sleep: Callable[[float], None],
        rng: random.Random,
        retry_after: Callable[[Exception], str | None] | None = None,
        floor: float = 0.0,
        on_retry: Callable[[int, Exception, float], None] | None = None,
    ) -> T:
        """`fn()` tried up to `attempts` times, sleeping `backoff` between tries, for calls that fail by raising.

        Only errors `retry_if` accepts are tried again, so the caller keeps the say over what is safe to
        repeat (a POST that may have reached the server is not); any other error propagates at once, and
        the last attempt's error propagates unchanged for the caller to name. `retry_after` reads a
        Retry-After header from an error; `on_retry(attempt, error, delay)` runs before each sleep.
        """
        for attempt in range(self.attempts):
            try:
                return fn()
            except Exception as e:
                if not retry_if(e) or attempt + 1 >= self.attempts:
                    raise
                delay = self.backoff(
                    attempt, rng, retry_after=parse_retry_after(retry_after(e) if retry_after else None), floor=floor
                )
                if on_retry is not None:
                    on_retry(attempt, e, delay)
                sleep(delay)
        raise AssertionError("unreachable: attempts >= 1 and the last attempt returns or raises")


Classifier = Callable[[httpx.Response], None]


#: things that look like credentials in an error body (OpenAI echoes part of a wrong key in its 401)
_CREDENTIAL = re.compile(r"(?i)\b(?:sk|pk|key|token)[-_][A-Za-z0-9_\-*.]{6,}|bearer\s+\S+")


def redact(text: str) -> str:
    return _CREDENTIAL.sub("[redacted]", text)


def error_message(response: httpx.Response, *, limit: int = 300) -> str:
    """The provider's own error text (credentials redacted), from the usual JSON shapes, else the body."""
    return redact(_error_text(response, limit=limit))


def _error_text(response: httpx.Response, *, limit: int) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:limit].strip() or response.reason_phrase
    if isinstance(body, dict):
        err = body.get("error", body.get("errors", body.get("message", body.get("name"))))
        if isinstance(err, dict):
            err = err.get("message") or err.get("code") or err
        if isinstance(err, list) and err:
            err = err[0]
        if err is not None:
            return str(err)[:limit]
    return json.dumps(body)[:limit]


def parse_json(response: httpx.Response, *, provider: str) -> Any:
    """The body as JSON; `ProviderError` (not retried) when the provider sent something else."""
    try:
        return response.json()
    except ValueError as e:
        ctype = response.headers.get("content-type", "unknown")
        raise ProviderError(
            f"{provider} answered HTTP {response.status_code} with a body that is not JSON ({ctype}); "
            "the API may have changed or be down - try again later or use another provider"
        ) from e


def parse_retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds (never negative); None when absent or not a number (an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _retry_after(response: httpx.Response) -> float | None:
    return parse_retry_after(response.headers.get("retry-after"))


class HttpCaller:
    """Sends one logical request with the retry policy; raises the named error when it cannot succeed."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        provider: str,
        policy: RetryPolicy | None = None,
        key_hint: str = "",
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.provider = provider
        self.policy = policy or RetryPolicy()
        self.key_hint = key_hint
        self.sleep = sleep
        self.rng = rng or random.Random()

    def request(self, method: str, url: str, *, classify: Classifier | None = None, **kwargs: Any) -> httpx.Response:
        """`client.request(method, url, **kwargs)` with timeout, retry and error mapping."""
        kwargs.setdefault("timeout", self.policy.timeout)
        last: ProviderError | None = None
        for attempt in range(self.policy.attempts):
            retry_after: float | None = None
            try:
                response = self.client.request(method, url, **kwargs)
            except httpx.TimeoutException as e:
                last = ProviderUnavailable(
                    f"{self.provider} did not answer within {self.policy.timeout:.0f}s "
                    f"(attempt {attempt + 1} of {self.policy.attempts}); it is retried later"
                )
                last.__cause__ = e
            except httpx.TransportError as e:
                last = ProviderUnavailable(
                    f"{self.provider} could not be reached ({type(e).__name__}) "
                    f"(attempt {attempt + 1} of {self.policy.attempts}); check the network"
                )
                last.__cause__ = e
            else:
                status = response.status_code
                if status < 300:
                    return response
                if classify is not None and status != 429 and status not in TRANSIENT_STATUS:
                    classify(response)  # a sharper error first: e.g. Stability answers 403 for moderation
                if status in (401, 403):
                    # the body is left out on purpose: some providers echo part of the wrong key
                    hint = f"; check {self.key_hint}" if self.key_hint else ""
                    raise ProviderAuthError(f"{self.provider} rejected the credentials (HTTP {status}){hint}")
                if status == 429:
                    retry_after = _retry_after(response)
                    last = ProviderThrottled(
                        f"{self.provider} is throttling requests (HTTP 429: {error_message(response)}); "
                        "retried with backoff - lower the candidate count or raise the provider's quota"
                    )
                elif status in TRANSIENT_STATUS:
                    last = ProviderUnavailable(
                        f"{self.provider} is unavailable (HTTP {status}: {error_message(response)}); retried later"
                    )
                else:
                    reason = error_message(response)
                    raise ProviderError(f"{self.provider} refused the request (HTTP {status}: {reason})")
            logger.warning(
                "provider call failed",
                extra={"provider": self.provider, "error": last.name, "attempt": attempt + 1},
            )
            if attempt + 1 < self.policy.attempts:
                self.sleep(self.policy.delay(attempt, self.rng, retry_after))
        if last is None:  # unreachable: attempts >= 1
            raise ProviderError(f"{self.provider}: no attempt was made")
        raise last
