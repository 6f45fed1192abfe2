"""One mapping from Bedrock's ClientError codes to hookforge's named errors (Nova Canvas and Nova Reel)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from hookforge.errors import ContentRejected, ProviderAuthError, ProviderError, ProviderThrottled, ProviderUnavailable

THROTTLED = {"ThrottlingException", "TooManyRequestsException", "ServiceQuotaExceededException"}
UNAVAILABLE = {
    "ServiceUnavailableException",
    "InternalServerException",
    "ModelTimeoutException",
    "ModelNotReadyException",
}
AUTH = {"AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException"}
_FILTER_WORDS = ("content filter", "blocked", "responsible ai", "safety")


def _content_filtered(code: str, message: str) -> bool:
    lower = message.lower()
    if code == "ValidationException" and any(word in lower for word in _FILTER_WORDS):
        return True
    return "content" in lower and "filter" in lower


def bedrock_error(e: ClientError, *, model: str, action: str, permissions: str) -> ProviderError:
    """The named error for a failed Bedrock call: what failed (`action` on `model`) and what to do."""
    code = str(e.response.get("Error", {}).get("Code", ""))
    message = str(e.response.get("Error", {}).get("Message", ""))[:300]
    if code in THROTTLED:
        return ProviderThrottled(f"Bedrock throttled the {model} {action} ({code}); retried with backoff")
    if code in UNAVAILABLE:
        return ProviderUnavailable(f"Bedrock could not {action} {model} ({code}: {message}); try again later")
    if code in AUTH:
        return ProviderAuthError(
            f"Bedrock refused the {model} {action} ({code}); enable model access and allow {permissions}"
        )
    if _content_filtered(code, message):
        return ContentRejected(f"{model} refused the input under its content policy ({message})")
    return ProviderError(f"Bedrock refused the {model} {action} ({code}: {message})")
