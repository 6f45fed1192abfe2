"""`bedrock`: text-to-image on Amazon Bedrock through `invoke_model` (IAM, no API key).

The model id is configuration: `images.model` in the brief, else `BEDROCK_IMAGE_MODEL`, else Stability AI's
Stable Image Core (`stability.stable-image-core-v1:1`; see `bedrock_models`). Two request shapes are spoken:

- Stability on Bedrock (`stability.*`): `{prompt, aspect_ratio, seed, output_format: png}` ->
  `{seeds, finish_reasons, images}`; a non-null finish reason ("Filter reason: prompt") is ContentRejected. The
  output size follows the aspect ratio (about one megapixel) and is resized to the requested size.
- Amazon Nova Canvas (`amazon.nova-canvas-v1:0`, end of life 2026-09-30, kept for stacks that still reach it):
  `{taskType: TEXT_IMAGE, textToImageParams, imageGenerationConfig}` -> `{images, error?}`; sizes 320-4096 px,
  multiples of 16, at most 4,194,304 pixels, aspect 1:4..4:1 - checked before the call.

Preflight (`ready`) asks GetFoundationModel whether the model is ACTIVE before any paid call. Errors map to the
named ones: ThrottlingException -> ProviderThrottled, 5xx-like -> ProviderUnavailable, AccessDenied ->
ProviderAuthError, a content filter -> ContentRejected. Clients come from the provider context (Stubber in tests).
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError

from hookforge.errors import (
    ConfigError,
    ContentRejected,
    ProviderError,
    ProviderUnavailable,
)
from hookforge.providers.base import GeneratedImage, ImageRequest, ProviderContext
from hookforge.providers.bedrock_errors import bedrock_error
from hookforge.providers.bedrock_models import DEFAULT_IMAGE_MODEL, check_lifecycle
from hookforge.providers.imaging import MAX_IMAGE_BYTES, b64decode, seed_for, verified
from hookforge.providers.stability import aspect_ratio

#: Nova Canvas (retired 2026-09-30): the request shape is still spoken for stacks configured with it
MODEL_ID = "amazon.nova-canvas-v1:0"
#: USD per image (list prices checked 2026-11): (quality, up to 1024x1024 | up to 2048x2048)
PRICES = {"standard": (0.04, 0.06), "premium": (0.06, 0.08)}
#: USD per image of Stability's models on Bedrock (Amazon Bedrock pricing page, Stability AI, checked 2026-12);
#: a Stability model not listed is estimated at the dearest
STABILITY_PRICES = {
    "stability.stable-image-core-v1:1": 0.04,
    "stability.sd3-5-large-v1:0": 0.08,
    "stability.stable-image-ultra-v1:1": 0.14,
}


def check_size(width: int, height: int) -> None:
    problems = []
    if not (320 <= width <= 4096 and 320 <= height <= 4096):
        problems.append("each side 320-4096 px")
    if width % 16 or height % 16:
        problems.append("each side a multiple of 16")
    if width * height > 4_194_304:
        problems.append("at most 4,194,304 pixels")
    if not 0.25 <= width / height <= 4:
        problems.append("an aspect ratio between 1:4 and 4:1")
    if problems:
        raise ConfigError(f"Nova Canvas cannot make {width}x{height} images: it needs {', '.join(problems)}")


class BedrockCanvasImages:
    """Text to image on Bedrock: Stability's models (default Stable Image Core), or Nova Canvas where it remains."""

    name = "bedrock"

    def __init__(
        self,
        ctx: ProviderContext,
        *,
        client: Any = None,
        model: str | None = None,
        quality: str | None = None,
        cfg_scale: float = 6.5,
        max_bytes: int = MAX_IMAGE_BYTES,
    ) -> None:
        self.ctx = ctx
        self._client = client
        self.quality = quality or ctx.settings.nova_canvas_quality or "standard"
        if self.quality not in PRICES:
            raise ConfigError(f"Nova Canvas quality {self.quality!r} is unknown; use standard or premium")
        self.cfg_scale = cfg_scale
        self.max_bytes = max_bytes
        self.model = model or ctx.settings.bedrock_image_model or DEFAULT_IMAGE_MODEL

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self.ctx.client("bedrock-runtime")
        return self._client

    def ready(self, model: str | None = None) -> None:
        """Preflight: the model is ACTIVE on Bedrock (ModelRetired otherwise); no image is made."""
        check_lifecycle(self.ctx.client("bedrock"), model or self.model)

    def estimate_usd(self, width: int, height: int, model: str | None = None) -> float:
        model = model or self.model
        if model.startswith("stability."):
            return STABILITY_PRICES.get(model, max(STABILITY_PRICES.values()))
        small, large = PRICES[self.quality]
        return small if width * height <= 1024 * 1024 else large

    def generate(self, request: ImageRequest) -> GeneratedImage:
        model = request.model or self.model
        if model.startswith("stability."):
            return self._stability(model, request)
        check_size(request.width, request.height)
        seed = request.seed if request.seed is not None else seed_for(request.prompt, request.run_id, request.index)
        body = {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": request.prompt[:1024]},
            "imageGenerationConfig": {
                "numberOfImages": 1,
                "width": request.width,
                "height": request.height,
                "seed": seed,
                "cfgScale": self.cfg_scale,
                "quality": self.quality,
            },
        }
        answer = self._invoke(model, body)
        if answer.get("error"):
            raise ContentRejected(f"Nova Canvas withheld the image: {str(answer['error'])[:300]}")
        images = answer.get("images")
        first = images[0] if isinstance(images, list) and images else None
        image, info = verified(
            b64decode(first, provider=self.name),
            provider=self.name,
            width=request.width,
            height=request.height,
            max_bytes=self.max_bytes,
        )
        small, large = PRICES[self.quality]
        cost = small if request.width * request.height <= 1024 * 1024 else large
        return GeneratedImage(data=image, mime=info.mime, model=model, seed=seed, cost_usd=cost)

    def _stability(self, model: str, request: ImageRequest) -> GeneratedImage:
        seed = request.seed if request.seed is not None else seed_for(request.prompt, request.run_id, request.index)
        body = {
            "prompt": request.prompt[:10_000],
            "aspect_ratio": aspect_ratio(request.width, request.height),
            "seed": seed,
            "output_format": "png",
        }
        answer = self._invoke(model, body)
        reasons = [r for r in answer.get("finish_reasons") or [] if r]
        if reasons:
            raise ContentRejected(f"{model} withheld the image: {str(reasons[0])[:300]}")
        images = answer.get("images")
        first = images[0] if isinstance(images, list) and images else None
        image, info = verified(
            b64decode(first, provider=self.name),
            provider=self.name,
            width=request.width,
            height=request.height,
            max_bytes=self.max_bytes,
        )
        cost = self.estimate_usd(request.width, request.height, model)
        return GeneratedImage(data=image, mime=info.mime, model=model, seed=seed, cost_usd=cost)

    def _invoke(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.invoke_model(
                modelId=model, body=json.dumps(body), contentType="application/json", accept="application/json"
            )
            raw = response["body"].read()
        except ClientError as e:
            raise _mapped(e, model) from e
        except (ConnectTimeoutError, ReadTimeoutError) as e:
            raise ProviderUnavailable(f"Bedrock did not answer in time ({type(e).__name__}); retried later") from e
        except BotoCoreError as e:
            raise ProviderUnavailable(f"Bedrock could not be reached ({type(e).__name__})") from e
        try:
            answer = json.loads(raw)
        except ValueError as e:
            raise ProviderError("Bedrock answered with a body that is not JSON; try again or another provider") from e
        if not isinstance(answer, dict):
            raise ProviderError("Bedrock answered JSON that is not an object; the model's API may have changed")
        return answer


def _mapped(e: ClientError, model: str) -> ProviderError:
    return bedrock_error(e, model=model, action="image", permissions=f"bedrock:InvokeModel on {model}")
