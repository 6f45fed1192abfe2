"""`runway`: Runway image-to-video through the official SDK (`runwayml`, httpx underneath).

Billing safety comes first. The SDK retries POSTs on its own with no idempotency key, so a retried
create could start (and bill) a second task: the client is built with `max_retries=0` and this module
retries only where the task provably was not created — an HTTP 429/5xx answer (Runway answered, and
no task id came back) or a connection that never opened. A create whose answer was lost (read timeout,
dropped connection) raises `VideoSubmitUnconfirmed` and is never repeated. Polls and cancels are safe
to repeat and are retried with jittered backoff.

Before any call the model, ratio and duration are checked against what the model accepts (the error
lists the allowed values), the picked still is cropped or padded to the model's ratio and re-encoded,
and the motion prompt is trimmed to Runway's limit. The model tables and that check live in `runway_models`
(re-exported here); retries follow the shared `RetryPolicy` of `providers/http.py`.
"""

from __future__ import annotations

import base64
import io
import random
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from PIL import Image, ImageOps

from hookforge.errors import (
    BriefInvalid,
    ContentRejected,
    ImageInvalid,
    ProviderAuthError,
    ProviderError,
    ProviderThrottled,
    ProviderUnavailable,
    VideoSubmitUnconfirmed,
)
from hookforge.observability import logger
from hookforge.providers.base import ProviderContext, VideoRequest, VideoStatus, VideoTask
from hookforge.providers.http import RetryPolicy
from hookforge.providers.runway_models import (
    ASPECT_RATIOS,
    DEFAULT_MODEL,
    MODELS,
    PROMPT_LIMIT,
    RunwayModel,
    crop_frame,
    resolve,
)
from hookforge.video_polling import MIN_WAIT

__all__ = [
    "API_SECRET_ENV",
    "API_SECRET_NAME",
    "API_VERSION",
    "ASPECT_RATIOS",
    "ATTEMPTS",
    "CONNECT_TIMEOUT",
    "DATA_URI_LIMIT",
    "DEFAULT_MODEL",
    "MODELS",
    "PROMPT_LIMIT",
    "RETRY",
    "USD_PER_CREDIT",
    "RunwayModel",
    "RunwayVideo",
    "data_uri",
    "prepare_image",
    "resolve",
    "trim_prompt",
]

API_SECRET_ENV = "RUNWAYML_API_SECRET"
API_SECRET_NAME = "hookforge/providers/runway"
API_VERSION = "2024-11-06"
#: data URIs are accepted up to 5 MB; bigger images go through POST /v1/uploads
DATA_URI_LIMIT = 5 * 1024 * 1024
#: Runway credits are sold at one US cent each
USD_PER_CREDIT = 0.01
#: attempts per call (1 + retries), full-jitter backoff from 1 s capped at 20 s, and the read timeout
RETRY = RetryPolicy(attempts=4, base_delay=1.0, max_delay=20.0, timeout=60.0)
ATTEMPTS = RETRY.attempts
#: a connection that does not open in this time never reached Runway, so even a create may be retried
CONNECT_TIMEOUT = 10.0

T = TypeVar("T")


def trim_prompt(text: str, *, limit: int = PROMPT_LIMIT) -> str:
    """`text` cut to `limit` UTF-16 code units (how Runway counts), on a word boundary when possible."""
    text = text.strip()
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    kept: list[str] = []
    units = 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if units + size > limit:
            break
        kept.append(ch)
        units += size
    cut = "".join(kept)
    if " " in cut[-40:]:
        cut = cut[: cut.rindex(" ")]
    logger.warning("motion prompt trimmed", extra={"chars": len(text), "kept": len(cut), "limit": limit})
    return cut.rstrip()


def prepare_image(data: bytes, ratio: str, *, max_crop: float = 0.4) -> bytes:
    """The still cropped (or padded, when a crop would cut more than `max_crop` of it) to `ratio`, as JPEG."""
    width, height = (int(x) for x in ratio.split(":"))
    try:
        with Image.open(io.BytesIO(data)) as src:
            img = ImageOps.exif_transpose(src).convert("RGB")
    except (OSError, SyntaxError, ValueError) as e:
        raise ImageInvalid(f"the picked image does not decode ({type(e).__name__}: {e})") from e
    src_aspect = img.width / img.height
    dst_aspect = width / height
    kept = min(src_aspect, dst_aspect) / max(src_aspect, dst_aspect)
    if 1 - kept <= max_crop:
        out = ImageOps.fit(img, (width, height), method=Image.Resampling.LANCZOS)
    else:
        out = ImageOps.pad(img, (width, height), method=Image.Resampling.LANCZOS, color=(0, 0, 0))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=90, optimize=True)
    return buf.getvalue()


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")


_STATUSES = ("PENDING", "THROTTLED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED")


def _credits(value: Any) -> float | None:
    credits = value.get("credits") if isinstance(value, dict) else None
    return float(credits) if isinstance(credits, int | float) and not isinstance(credits, bool) else None


def status_from_answer(raw: Any) -> VideoStatus:
    """A `GET /v1/tasks/{id}` answer read as raw JSON, whatever optional fields it lacks: `cost` (terminal,
    actual) wins over `estimatedCost` (pending or running); `failureCode` decides SAFETY.* vs INTERNAL.*."""
    if not isinstance(raw, dict) or raw.get("status") not in _STATUSES:
        status = raw.get("status") if isinstance(raw, dict) else None
        raise ProviderError(f"Runway answered a task poll without a known status ({str(status)[:40]!r})")
    actual, estimate = _credits(raw.get("cost")), _credits(raw.get("estimatedCost"))
    output = raw.get("output")
    urls = [u for u in output if isinstance(u, str)] if isinstance(output, list) else []
    progress = raw.get("progress")
    failure, code = raw.get("failure"), raw.get("failureCode")
    return VideoStatus(
        status=raw["status"],
        progress=float(progress) if isinstance(progress, int | float) and not isinstance(progress, bool) else None,
        output_url=urls[0] if urls else None,
        failure=str(failure) if failure else None,
        failure_code=str(code) if code else None,
        credits=actual if actual is not None else estimate,
        credits_actual=actual is not None,
        cost_usd=round(actual * USD_PER_CREDIT, 4) if actual is not None else None,
    )


def _reason(e: Any) -> str:
    """Runway's own message from an SDK error body, without echoing the request."""
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            if body.get(key):
                return str(body[key])[:300]
    return str(getattr(e, "message", e))[:300]


def _never_sent(e: BaseException) -> bool:
    """True when the request provably never reached Runway (the connection did not open)."""
    cause = e.__cause__
    return isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout))


class RunwayVideo:
    """Runway image-to-video: any model of the installed SDK's roster (gen4_turbo by default)."""

    name = "runway"

    def __init__(self, ctx: ProviderContext, *, client: Any = None, data_uri_limit: int = DATA_URI_LIMIT) -> None:
        self.ctx = ctx
        self._client = client
        self.data_uri_limit = data_uri_limit
        self.rng = random.Random()

    # ---------------------------------------------------------------------------------- client
    @property
    def client(self) -> Any:
        if self._client is None:
            import runwayml

            self._client = runwayml.RunwayML(
                api_key=self.ctx.secret(API_SECRET_ENV, API_SECRET_NAME),
                runway_version=API_VERSION,
                max_retries=0,  # the SDK would retry POSTs blindly; see the module docstring
                timeout=httpx.Timeout(RETRY.timeout, connect=CONNECT_TIMEOUT),
                http_client=self.ctx.http_client(timeout=RETRY.timeout),
            )
        return self._client

    # ---------------------------------------------------------------------------------- preflight
    def ready(self) -> None:
        """Preflight: the API key is there (ConfigError naming it otherwise); nothing is sent to Runway."""
        self.ctx.secret(API_SECRET_ENV, API_SECRET_NAME)

    def estimate_usd(self, *, duration: int, model: str | None = None, audio: bool = False) -> float:
        """An estimate from our credit rates (the task's `estimatedCost`/`cost` replace it once it exists)."""
        spec = MODELS.get(model or DEFAULT_MODEL, MODELS[DEFAULT_MODEL])
        return round(spec.credits(duration, audio=audio) * USD_PER_CREDIT, 2)

    # ---------------------------------------------------------------------------------- protocol
    def submit(self, request: VideoRequest) -> VideoTask:
        spec, ratio = resolve(request.model, request.ratio, request.duration, audio=request.audio)
        prompt = trim_prompt(request.prompt)
        if not prompt and spec.prompt_required:
            raise BriefInvalid(f"selection.motion_prompt: {spec.name} needs a motion prompt; it is empty")
        image = prepare_image(request.image, crop_frame(spec, ratio, request.ratio))
        prompt_image = self._prompt_image(image)
        params: dict[str, Any] = {"model": spec.name, "prompt_image": prompt_image, "duration": request.duration}
        if ratio is not None:
            params["ratio"] = ratio
        if spec.audio:
            # sent either way: a model with sound may default to it, and sound is billed
            params["audio"] = request.audio
        if prompt:
            params["prompt_text"] = prompt
        if request.seed is not None:
            params["seed"] = request.seed
        created = self._call("create", lambda: self.client.image_to_video.create(**params), creates=True)
        credits = spec.credits(request.duration, audio=request.audio)
        logger.info(
            "runway task created",
            extra={"task_id": created.id, "model": spec.name, "ratio": ratio, "duration": request.duration},
        )
        return VideoTask(
            task_id=str(created.id),
            model=spec.name,
            expected_seconds=spec.expected_seconds(request.duration),
            credits=credits,
            seconds=request.duration,
            cost_usd=round(credits * USD_PER_CREDIT, 2),
        )

    def poll(self, task_id: str) -> VideoStatus:
        # a failed read is retried no sooner than a poll may be (Runway: at most one poll every 5 s)
        raw = self._call("poll", lambda: self.client.get(f"/v1/tasks/{task_id}", cast_to=object), floor=MIN_WAIT)
        return status_from_answer(raw)

    def cancel(self, task_id: str) -> None:
        import runwayml

        try:
            self._call("cancel", lambda: self.client.tasks.delete(task_id))
        except ProviderError as e:
            if isinstance(e.__cause__, runwayml.NotFoundError):
                return
            raise
        logger.info("runway task cancelled", extra={"task_id": task_id})

    # ---------------------------------------------------------------------------------- helpers
    def _prompt_image(self, jpeg: bytes) -> str:
        uri = data_uri(jpeg)
        if len(uri) <= self.data_uri_limit:
            return uri
        return self._upload(jpeg)

    def _upload(self, jpeg: bytes) -> str:
        """POST /v1/uploads, then the file to the returned upload URL; the `runway://` URI to use."""
        started = self._call(
            "upload",
            lambda: self.client.post(
                "/v1/uploads", body={"filename": "still.jpg", "type": "ephemeral"}, cast_to=object
            ),
        )
        if not isinstance(started, dict) or not {"uploadUrl", "runwayUri"} <= started.keys():
            raise ProviderError("Runway's upload endpoint answered without uploadUrl/runwayUri; try again later")
        fields = {str(k): str(v) for k, v in (started.get("fields") or {}).items()}
        http = self.ctx.http_client()

        def send() -> httpx.Response:
            response = http.post(started["uploadUrl"], data=fields, files={"file": ("still.jpg", jpeg, "image/jpeg")})
            if response.status_code == 429 or response.status_code >= 500:
                raise ProviderUnavailable(f"Runway's upload storage answered HTTP {response.status_code}")
            if response.status_code >= 400:
                raise ProviderError(f"Runway's upload storage refused the image (HTTP {response.status_code})")
            return response

        transient = (ProviderUnavailable, httpx.TransportError)
        try:
            RETRY.run(send, retry_if=lambda e: isinstance(e, transient), sleep=self.ctx.sleep, rng=self.rng)
        except transient as e:
            raise ProviderUnavailable(f"uploading the still to Runway failed {RETRY.attempts} times: {e}") from e
        logger.info("still uploaded to runway", extra={"bytes": len(jpeg)})
        return str(started["runwayUri"])

    def _call(self, what: str, fn: Callable[[], T], *, creates: bool = False, floor: float = 0.0) -> T:
        """Run one SDK call with retries where they are safe; map SDK errors to named hookforge errors."""
        import runwayml

        # Runway answered and created nothing (429/5xx), or the connection may not have opened: retried;
        # `attempt` turns every other error (including a create that may have reached Runway) into a final one
        retryable = (runwayml.RateLimitError, runwayml.InternalServerError, runwayml.APIConnectionError)

        def attempt() -> T:
            try:
                return fn()
            except (runwayml.AuthenticationError, runwayml.PermissionDeniedError) as e:
                raise ProviderAuthError(
                    f"Runway rejected the API key (HTTP {e.status_code}); check {API_SECRET_ENV} "
                    f"or the secret {API_SECRET_NAME!r}"
                ) from e
            except (runwayml.RateLimitError, runwayml.InternalServerError):
                raise
            except runwayml.APIStatusError as e:
                reason = _reason(e)
                if any(word in reason.lower() for word in ("moderation", "safety", "content policy")):
                    raise ContentRejected(f"Runway rejected the input: {reason}") from e
                raise ProviderError(f"Runway refused the {what} request (HTTP {e.status_code}): {reason}") from e
            except runwayml.APIConnectionError as e:
                if creates and not _never_sent(e):
                    raise VideoSubmitUnconfirmed(
                        "the create request reached Runway but its answer was lost "
                        f"({type(e.__cause__ or e).__name__}); a task may exist, so it is not sent again"
                    ) from e
                raise

        def retry_after(e: Exception) -> str | None:
            # only a 429's Retry-After is honoured (Runway's rate limit and daily cap say when to come back)
            return e.response.headers.get("retry-after") if isinstance(e, runwayml.RateLimitError) else None

        def retried(n: int, e: Exception, delay: float) -> None:
            logger.warning(
                "runway call retried",
                extra={"call": what, "attempt": n + 1, "delay_s": round(delay, 2), "error": type(e).__name__},
            )

        try:
            return RETRY.run(
                attempt,
                retry_if=lambda e: isinstance(e, retryable),
                sleep=self.ctx.sleep,
                rng=self.rng,
                retry_after=retry_after,
                floor=floor,
                on_retry=retried,
            )
        except retryable as last:
            status = getattr(last, "status_code", None)
            if status == 429:
                raise ProviderThrottled(
                    f"Runway answered 429 to {RETRY.attempts} {what} attempts (rate limit or daily task cap): "
                    f"{_reason(last)}; wait, raise the account's tier, or list a fallback provider in the brief"
                ) from last
            detail = f"HTTP {status}" if status else type(last).__name__
            raise ProviderUnavailable(
                f"Runway failed {RETRY.attempts} {what} attempts ({detail}); try again later"
            ) from last
