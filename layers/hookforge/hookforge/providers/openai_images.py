"""`openai`: OpenAI Images API (`POST https://api.openai.com/v1/images/generations`), base64 output.

The model is configuration: `brief.images.model`, else `OPENAI_IMAGE_MODEL`, else the current family's
`gpt-image-2` (launched 2026-04; dall-e-2/3 shut down 2026-05, gpt-image-1.5 and gpt-image-1-mini on 2026-12-01 -
preflight refuses a shut-down model before anything is paid for). Sizes and
qualities are validated per model family before any call (each family accepts its own set), so a bad brief
fails with a clear ConfigError instead of a paid 400. Key: `OPENAI_API_KEY` locally, the secret
`hookforge/providers/openai` in AWS. Content-policy refusals (`content_policy_violation`, `moderation_blocked`)
become `ContentRejected`, which the state machine never retries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from hookforge.errors import ConfigError, ContentRejected
from hookforge.providers.base import GeneratedImage, ImageRequest, ProviderContext
from hookforge.providers.http import HttpCaller, RetryPolicy, error_message, parse_json
from hookforge.providers.imaging import MAX_IMAGE_BYTES, b64decode, verified

GENERATIONS_URL = "https://api.openai.com/v1/images/generations"
#: generation takes tens of seconds; 2 x 80 s + backoff stays inside the 180 s Lambda timeout
POLICY = RetryPolicy(attempts=2, base_delay=1.0, max_delay=8.0, timeout=80.0)
CONTENT_CODES = frozenset({"content_policy_violation", "moderation_blocked"})
#: the current image model (OpenAI's models page, "GPT Image 2", checked 2026-12)
DEFAULT_MODEL = "gpt-image-2"
#: models OpenAI no longer serves, with the date they were shut down (OpenAI deprecations page, checked 2026-12)
SHUT_DOWN = {
    "dall-e-2": "2026-05",
    "dall-e-3": "2026-05",
    "gpt-image-1.5": "2026-12-01",
    "gpt-image-1-mini": "2026-12-01",
}


@dataclass(frozen=True)
class Family:
    """What one model family accepts, and what an image costs (USD, list prices checked 2026-11)."""

    prefix: str
    sizes: tuple[str, ...]
    qualities: tuple[str, ...]
    default_quality: str | None
    #: (quality, size) -> USD per image; sizes absent here cost the family's largest listed price
    prices: dict[tuple[str | None, str], float]
    #: gpt-image models always answer base64 and reject `response_format`
    sends_response_format: bool
    #: > 0: besides `sizes`, any WxH in multiples of 16 with sides up to this and at most 3:1 (gpt-image-2)
    max_side: int = 0

    def accepts(self, width: int, height: int) -> bool:
        if f"{width}x{height}" in self.sizes:
            return True
        return (
            self.max_side > 0
            and width % 16 == 0
            and height % 16 == 0
            and max(width, height) <= self.max_side
            and max(width, height) <= 3 * min(width, height)
        )

    def price(self, quality: str | None, width: int, height: int) -> float:
        """List price of one image; a size not listed scales the square price by area (output tokens grow so)."""
        listed = self.prices.get((quality, f"{width}x{height}"))
        if listed is not None:
            return listed
        square = self.prices.get((quality, "1024x1024"))
        if self.max_side and square is not None:
            return round(square * width * height / (1024 * 1024), 3)
        return max(self.prices.values())


FAMILIES: tuple[Family, ...] = (
    # gpt-image-2 is priced by tokens ($5 / 1M text input, $30 / 1M image output: OpenAI pricing page, checked
    # 2026-12); these per-image figures are the estimate at 1024x1024 and scale with area. Flexible sizes: multiples
    # of 16 up to 3840 px a side (OpenAI image generation guide).
    Family(
        prefix="gpt-image-2",
        sizes=("1024x1024", "1536x1024", "1024x1536"),
        qualities=("low", "medium", "high"),
        default_quality="medium",
        prices={("low", "1024x1024"): 0.02, ("medium", "1024x1024"): 0.07, ("high", "1024x1024"): 0.19},
        sends_response_format=False,
        max_side=3840,
    ),
    Family(
        prefix="gpt-image",
        sizes=("1024x1024", "1536x1024", "1024x1536"),
        qualities=("low", "medium", "high"),
        default_quality="medium",
        prices={
            ("low", "1024x1024"): 0.011,
            ("medium", "1024x1024"): 0.042,
            ("high", "1024x1024"): 0.167,
            ("low", "1536x1024"): 0.016,
            ("medium", "1536x1024"): 0.063,
            ("high", "1536x1024"): 0.25,
            ("low", "1024x1536"): 0.016,
            ("medium", "1024x1536"): 0.063,
            ("high", "1024x1536"): 0.25,
        },
        sends_response_format=False,
    ),
    Family(
        prefix="dall-e-3",
        sizes=("1024x1024", "1792x1024", "1024x1792"),
        qualities=("standard", "hd"),
        default_quality="standard",
        prices={
            ("standard", "1024x1024"): 0.04,
            ("hd", "1024x1024"): 0.08,
            ("standard", "1792x1024"): 0.08,
            ("standard", "1024x1792"): 0.08,
            ("hd", "1792x1024"): 0.12,
            ("hd", "1024x1792"): 0.12,
        },
        sends_response_format=True,
    ),
    Family(
        prefix="dall-e-2",
        sizes=("256x256", "512x512", "1024x1024"),
        qualities=(),
        default_quality=None,
        prices={(None, "256x256"): 0.016, (None, "512x512"): 0.018, (None, "1024x1024"): 0.02},
        sends_response_format=True,
    ),
)


def family_for(model: str) -> Family:
    for family in FAMILIES:
        if model.startswith(family.prefix):
            return family
    known = ", ".join(f"{f.prefix}*" for f in FAMILIES)
    raise ConfigError(f"OpenAI image model {model!r} is not a known family ({known}); check brief.images.model")


class OpenAIImages:
    """One image per call through the Images API; model, size and quality checked per family first."""

    name = "openai"

    def __init__(
        self,
        ctx: ProviderContext,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        model: str | None = None,
        quality: str | None = None,
        max_bytes: int = MAX_IMAGE_BYTES,
    ) -> None:
        self.ctx = ctx
        self.model = model or ctx.settings.openai_image_model or DEFAULT_MODEL
        self.quality = quality or ctx.settings.openai_image_quality or None
        self.max_bytes = max_bytes
        self.caller = HttpCaller(
            ctx.http_client(),
            provider=self.name,
            policy=policy or POLICY,
            sleep=sleep,
            key_hint="OPENAI_API_KEY / secret hookforge/providers/openai",
        )

    def plan(self, request: ImageRequest) -> tuple[dict[str, object], float]:
        """The request body and the cost estimate, or ConfigError naming what to change."""
        model = request.model or self.model
        if not model:
            raise ConfigError("no OpenAI image model configured: set brief.images.model or OPENAI_IMAGE_MODEL")
        family = family_for(model)
        size = f"{request.width}x{request.height}"
        if not family.accepts(request.width, request.height):
            more = f", or any multiple of 16 up to {family.max_side} px a side" if family.max_side else ""
            raise ConfigError(f"{model} cannot make {size} images; use one of {', '.join(family.sizes)}{more}")
        quality = self.quality or family.default_quality
        if family.qualities and quality not in family.qualities:
            raise ConfigError(
                f"{model} has no quality {quality!r}; set OPENAI_IMAGE_QUALITY to one of {', '.join(family.qualities)}"
            )
        body: dict[str, object] = {"model": model, "prompt": request.prompt[:4000], "n": 1, "size": size}
        if family.qualities:
            body["quality"] = quality
        if family.sends_response_format:
            body["response_format"] = "b64_json"
        cost = family.price(quality if family.qualities else None, request.width, request.height)
        return body, cost

    def estimate_usd(self, width: int, height: int, model: str | None = None) -> float:
        probe = ImageRequest(run_id="plan", index=0, prompt="plan", width=width, height=height, model=model)
        return self.plan(probe)[1]

    def ready(self, model: str | None = None) -> None:
        """Preflight: the key is there and the model is one OpenAI still serves; nothing is generated."""
        model = model or self.model
        if model in SHUT_DOWN:
            raise ConfigError(
                f"images.model: OpenAI shut {model} down ({SHUT_DOWN[model]}); use {DEFAULT_MODEL} "
                "(or set OPENAI_IMAGE_MODEL)"
            )
        family_for(model)
        self.ctx.secret("OPENAI_API_KEY", "hookforge/providers/openai")

    def generate(self, request: ImageRequest) -> GeneratedImage:
        body, cost = self.plan(request)
        key = self.ctx.secret("OPENAI_API_KEY", "hookforge/providers/openai")
        response = self.caller.request(
            "POST",
            GENERATIONS_URL,
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            classify=_content_policy,
        )
        payload = parse_json(response, provider=self.name)
        data = payload.get("data") if isinstance(payload, dict) else None
        first = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else {}
        image, info = verified(
            b64decode(first.get("b64_json"), provider=self.name),
            provider=self.name,
            width=request.width,
            height=request.height,
            max_bytes=self.max_bytes,
        )
        return GeneratedImage(data=image, mime=info.mime, model=str(body["model"]), seed=None, cost_usd=cost)


def _content_policy(response: httpx.Response) -> None:
    if response.status_code != 400:
        return
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return
    if isinstance(error, dict) and error.get("code") in CONTENT_CODES:
        raise ContentRejected(f"OpenAI refused the prompt under its content policy ({error_message(response)})")
