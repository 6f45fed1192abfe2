"""`openai`: OpenAI Images API (`POST https://api.openai.com/v1/images/generations`), base64 output.

The model is configuration, never hard-coded: `brief.images.model`, else `OPENAI_IMAGE_MODEL`. Sizes and
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


FAMILIES: tuple[Family, ...] = (
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
        self.model = model or ctx.settings.openai_image_model or None
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
        if size not in family.sizes:
            raise ConfigError(f"{model} cannot make {size} images; use one of {', '.join(family.sizes)}")
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
        cost = family.prices.get((quality if family.qualities else None, size), max(family.prices.values()))
        return body, cost

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
