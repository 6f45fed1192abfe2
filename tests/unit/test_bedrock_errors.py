"""Nova Canvas and Nova Reel share one ClientError -> named-error mapping."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from hookforge.errors import ContentRejected, ProviderAuthError, ProviderError, ProviderThrottled, ProviderUnavailable
from hookforge.providers.bedrock_errors import bedrock_error


def _error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "StartAsyncInvoke")


@pytest.mark.parametrize("model", ["Nova Canvas", "Nova Reel"])
@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        ("TooManyRequestsException", "slow down", ProviderThrottled),
        ("ModelTimeoutException", "model timed out", ProviderUnavailable),
        ("ExpiredTokenException", "token expired", ProviderAuthError),
        ("ValidationException", "This request has been blocked by our content filters.", ContentRejected),
        ("ValidationException", "input flagged by the content filter", ContentRejected),
        ("ValidationException", "width must be a multiple of 16", ProviderError),
    ],
)
def test_bedrock_error_names_the_failure_for_both_models(model: str, code: str, message: str, expected: type) -> None:
    error = bedrock_error(_error(code, message), model=model, action="start", permissions="bedrock:InvokeModel")
    assert type(error) is expected
    assert model in str(error)
    if expected is ProviderAuthError:
        assert "bedrock:InvokeModel" in str(error)
