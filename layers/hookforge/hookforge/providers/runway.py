"""`runway`: Runway image-to-video through the official SDK (`runwayml`, httpx underneath).

Billing safety comes first. The SDK retries POSTs on its own with no idempotency key, so a retried
create could start (and bill) a second task: the client is built with `max_retries=0` and this module
retries only where the task provably was not created — an HTTP 429/5xx answer (Runway answered, and
no task id came back) or a connection that never opened. A create whose answer was lost (read timeout,
dropped connection) raises `VideoSubmitUnconfirmed` and is never repeated. Polls and cancels are safe
to repeat and are retried with jittered backoff.

Before any call the model, ratio and duration are checked against what the model accepts (the error
lists the allowed values), the picked still is cropped or padded to the model's ratio and re-encoded,
and the motion prompt is trimmed to Runway's limit.
"""

from __future__ import annotations

import base64
import io
import random
from collections.abc import Callable
from dataclasses import dataclass
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
from hookforge.video_polling import MIN_WAIT

API_SECRET_ENV = "RUNWAYML_API_SECRET"
API_SECRET_NAME = "hookforge/runway"
API_VERSION = "2024-11-06"
#: Runway's limit on promptText (UTF-16 code units)
PROMPT_LIMIT = 1000
#: data URIs are accepted up to 5 MB; bigger images go through POST /v1/uploads
DATA_URI_LIMIT = 5 * 1024 * 1024
#: Runway credits are sold at one US cent each
USD_PER_CREDIT = 0.01
#: attempts per call (1 + retries) and the backoff base/cap in seconds
ATTEMPTS = 4
BACKOFF_BASE = 1.0
BACKOFF_CAP = 20.0

T = TypeVar("T")


@dataclass(frozen=True)
class RunwayModel:
    """What one Runway image-to-video model accepts, costs and usually takes."""

    name: str
    ratios: tuple[str, ...]
    min_duration: int
    max_duration: int
    credits_per_second: float
    #: typical wall-clock generation time: base + per_output_second x duration (seconds)
    base_seconds: float
    per_output_second: float

    def expected_seconds(self, duration: int) -> float:
        return self.base_seconds + self.per_output_second * duration

    def credits(self, duration: int) -> float:
        return self.credits_per_second * duration


_GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
MODELS: dict[str, RunwayModel] = {
    "gen4_turbo": RunwayModel("gen4_turbo", _GEN4_RATIOS, 2, 10, 5, base_seconds=20, per_output_second=8),
    "gen4.5": RunwayModel("gen4.5", _GEN4_RATIOS, 2, 10, 12, base_seconds=40, per_output_second=12),
}
DEFAULT_MODEL = "gen4_turbo"

#: brief aspect -> Runway ratio (4:5 has no exact match: 832:1104 is 3:4, the closest portrait ratio)
ASPECT_RATIOS = {
    "16:9": "1280:720",
    "9:16": "720:1280",
    "1:1": "960:960",
    "4:5": "832:1104",
    "4:3": "1104:832",
    "3:4": "832:1104",
    "21:9": "1584:672",
}


def resolve(model: str | None, ratio: str, duration: int) -> tuple[RunwayModel, str]:
    """The model and Runway ratio for a request; BriefInvalid listing the allowed values otherwise."""
    name = model or DEFAULT_MODEL
    spec = MODELS.get(name)
    if spec is None:
        raise BriefInvalid(f"Runway model {name!r} is not supported; choose one of: {', '.join(MODELS)}")
    runway_ratio = ASPECT_RATIOS.get(ratio, ratio)
    if runway_ratio not in spec.ratios:
        aspects = sorted(a for a, r in ASPECT_RATIOS.items() if r in spec.ratios)
        raise BriefInvalid(
            f"ratio {ratio!r} is not available on {name}; use an aspect ({', '.join(aspects)}) "
            f"or a ratio ({', '.join(spec.ratios)})"
        )
    if not spec.min_duration <= duration <= spec.max_duration:
        raise BriefInvalid(
            f"duration {duration}s is not available on {name}; use {spec.min_duration} to {spec.max_duration} seconds"
        )
    return spec, runway_ratio


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
    """Runway image-to-video (gen4_turbo by default, gen4.5)."""

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
                timeout=httpx.Timeout(60.0, connect=10.0),
                http_client=self.ctx.http_client(timeout=60.0),
            )
        return self._client

    # ---------------------------------------------------------------------------------- protocol
    def submit(self, request: VideoRequest) -> VideoTask:
        spec, ratio = resolve(request.model, request.ratio, request.duration)
        prompt = trim_prompt(request.prompt)
        image = prepare_image(request.image, ratio)
        prompt_image = self._prompt_image(image)
        params: dict[str, Any] = {
            "model": spec.name,
            "prompt_image": prompt_image,
            "ratio": ratio,
            "duration": request.duration,
        }
        if prompt:
            params["prompt_text"] = prompt
        if request.seed is not None:
            params["seed"] = request.seed
        created = self._call("create", lambda: self.client.image_to_video.create(**params), creates=True)
        credits = spec.credits(request.duration)
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
        task = self._call("poll", lambda: self.client.tasks.retrieve(task_id), floor=MIN_WAIT)
        status = str(task.status)
        cost = getattr(task, "cost", None) or getattr(task, "estimated_cost", None)
        credits = float(cost.credits) if cost is not None and getattr(cost, "credits", None) is not None else None
        output = list(getattr(task, "output", None) or [])
        return VideoStatus(
            status=status,  # type: ignore[arg-type]
            progress=getattr(task, "progress", None),
            output_url=output[0] if output else None,
            failure=getattr(task, "failure", None),
            failure_code=getattr(task, "failure_code", None),
            credits=credits,
        )

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

        for attempt in range(ATTEMPTS):
            try:
                send()
                break
            except (ProviderUnavailable, httpx.TransportError) as e:
                if attempt == ATTEMPTS - 1:
                    raise ProviderUnavailable(f"uploading the still to Runway failed {ATTEMPTS} times: {e}") from e
                self.ctx.sleep(self._backoff(attempt))
        logger.info("still uploaded to runway", extra={"bytes": len(jpeg)})
        return str(started["runwayUri"])

    def _backoff(self, attempt: int, retry_after: str | None = None, *, floor: float = 0.0) -> float:
        """Full-jitter exponential backoff above `floor`; Runway's Retry-After wins when it is given (capped)."""
        if retry_after:
            try:
                return min(BACKOFF_CAP, max(floor, float(retry_after)))
            except ValueError:
                pass
        return floor + self.rng.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))

    def _call(self, what: str, fn: Callable[[], T], *, creates: bool = False, floor: float = 0.0) -> T:
        """Run one SDK call with retries where they are safe; map SDK errors to named hookforge errors."""
        import runwayml

        last: Exception | None = None
        for attempt in range(ATTEMPTS):
            retry_after: str | None = None
            try:
                return fn()
            except (runwayml.AuthenticationError, runwayml.PermissionDeniedError) as e:
                raise ProviderAuthError(
                    f"Runway rejected the API key (HTTP {e.status_code}); check {API_SECRET_ENV} "
                    f"or the secret {API_SECRET_NAME!r}"
                ) from e
            except runwayml.RateLimitError as e:
                last = e
                retry_after = e.response.headers.get("retry-after")
            except runwayml.InternalServerError as e:
                last = e
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
                last = e
            if attempt < ATTEMPTS - 1:
                delay = self._backoff(attempt, retry_after, floor=floor)
                logger.warning(
                    "runway call retried",
                    extra={
                        "call": what,
                        "attempt": attempt + 1,
                        "delay_s": round(delay, 2),
                        "error": type(last).__name__,
                    },
                )
                self.ctx.sleep(delay)
        assert last is not None
        status = getattr(last, "status_code", None)
        if status == 429:
            raise ProviderThrottled(
                f"Runway answered 429 to {ATTEMPTS} {what} attempts (rate limit or daily task cap): {_reason(last)}; "
                "wait, raise the account's tier, or list a fallback provider in the brief"
            ) from last
        detail = f"HTTP {status}" if status else type(last).__name__
        raise ProviderUnavailable(f"Runway failed {ATTEMPTS} {what} attempts ({detail}); try again later") from last
