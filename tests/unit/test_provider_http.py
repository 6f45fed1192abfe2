"""HttpCaller: timeout, jittered retry and the status -> named error mapping every HTTP provider shares."""

from __future__ import annotations

import random

import httpx
import pytest

from hookforge.errors import ContentRejected, ProviderAuthError, ProviderError, ProviderThrottled, ProviderUnavailable
from hookforge.providers.http import MAX_RETRY_AFTER, HttpCaller, RetryPolicy, parse_json

URL = "https://api.example.test/v1/thing"


def caller_for(responses: list[httpx.Response | Exception], *, attempts: int = 3) -> tuple[HttpCaller, list[float]]:
    """Given a provider that answers `responses` in turn; the caller's sleeps are recorded, not slept."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    sleeps: list[float] = []
    caller = HttpCaller(
        httpx.Client(transport=httpx.MockTransport(handler)),
        provider="example",
        policy=RetryPolicy(attempts=attempts, base_delay=0.5, max_delay=4.0, timeout=5.0),
        key_hint="EXAMPLE_API_KEY",
        sleep=sleeps.append,
        rng=random.Random(7),
    )
    return caller, sleeps


def test_request_returns_response_when_first_attempt_succeeds() -> None:
    caller, sleeps = caller_for([httpx.Response(200, json={"ok": True})])
    response = caller.request("GET", URL)
    assert response.json() == {"ok": True}
    assert sleeps == []


def test_request_retries_with_backoff_when_throttled_then_succeeds() -> None:
    caller, sleeps = caller_for([httpx.Response(429), httpx.Response(429), httpx.Response(200, json={"n": 1})])
    assert caller.request("GET", URL).json() == {"n": 1}
    assert len(sleeps) == 2
    assert 0 <= sleeps[0] <= 0.5 and 0 <= sleeps[1] <= 1.0  # full jitter within the exponential ceiling


def test_request_honours_short_retry_after_as_floor() -> None:
    caller, sleeps = caller_for([httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json={})])
    caller.request("GET", URL)
    assert sleeps[0] >= 3.0


def test_request_caps_long_retry_after() -> None:
    caller, sleeps = caller_for([httpx.Response(429, headers={"Retry-After": "3600"}), httpx.Response(200, json={})])
    caller.request("GET", URL)
    assert sleeps[0] == MAX_RETRY_AFTER


def test_request_raises_throttled_when_429_persists() -> None:
    caller, sleeps = caller_for([httpx.Response(429, json={"error": {"message": "slow down"}})] * 3)
    with pytest.raises(ProviderThrottled, match="slow down"):
        caller.request("GET", URL)
    assert len(sleeps) == 2  # no sleep after the last attempt


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_request_raises_unavailable_when_5xx_exhausts_attempts(status: int) -> None:
    caller, _ = caller_for([httpx.Response(status, text="upstream sad")] * 3)
    with pytest.raises(ProviderUnavailable, match=f"HTTP {status}"):
        caller.request("GET", URL)


def test_request_raises_unavailable_naming_timeout_when_every_attempt_times_out() -> None:
    timeout = httpx.ReadTimeout("timed out")
    caller, sleeps = caller_for([timeout, timeout, timeout])
    with pytest.raises(ProviderUnavailable, match="did not answer within 5s"):
        caller.request("GET", URL)
    assert len(sleeps) == 2


def test_request_recovers_when_connection_error_is_transient() -> None:
    caller, _ = caller_for([httpx.ConnectError("refused"), httpx.Response(200, json={"ok": 1})])
    assert caller.request("GET", URL).json() == {"ok": 1}


@pytest.mark.parametrize("status", [401, 403])
def test_request_raises_auth_error_naming_the_key_without_retrying(status: int) -> None:
    echoed = {"error": {"message": "Incorrect API key provided: sk-secr*****alue. Find your key at ..."}}
    caller, sleeps = caller_for([httpx.Response(status, json=echoed)])
    with pytest.raises(ProviderAuthError, match="EXAMPLE_API_KEY") as info:
        caller.request("GET", URL, headers={"Authorization": "Bearer sk-secret-value"})
    assert "sk-secr" not in str(info.value) and f"HTTP {status}" in str(info.value)
    assert sleeps == []


def test_request_redacts_credentials_echoed_in_other_errors() -> None:
    body = {"error": {"message": "key sk-proj-abcdef123456 is not allowed for Bearer abc.def.ghi here"}}
    caller, _ = caller_for([httpx.Response(422, json=body)])
    with pytest.raises(ProviderError) as info:
        caller.request("GET", URL)
    message = str(info.value)
    assert "abcdef123456" not in message and "abc.def.ghi" not in message
    assert message.count("[redacted]") == 2 and "is not allowed for" in message


def test_request_raises_provider_error_with_message_when_status_is_other_4xx() -> None:
    caller, sleeps = caller_for([httpx.Response(422, json={"message": "prompt too long"})])
    with pytest.raises(ProviderError, match="HTTP 422: prompt too long"):
        caller.request("GET", URL)
    assert sleeps == []


def test_request_lets_classifier_raise_sharper_error_before_auth_mapping() -> None:
    def classify(response: httpx.Response) -> None:
        if response.json().get("name") == "content_moderation":
            raise ContentRejected("moderated")

    caller, _ = caller_for([httpx.Response(403, json={"name": "content_moderation"})])
    with pytest.raises(ContentRejected):
        caller.request("POST", URL, classify=classify)


def test_parse_json_raises_provider_error_when_body_is_html() -> None:
    response = httpx.Response(200, text="<html>maintenance</html>", headers={"content-type": "text/html"})
    with pytest.raises(ProviderError, match="not JSON \\(text/html\\)"):
        parse_json(response, provider="example")


def test_retry_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
