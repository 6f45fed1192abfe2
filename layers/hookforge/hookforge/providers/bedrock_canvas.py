"""`bedrock`: Amazon Nova Canvas text-to-image through Bedrock `invoke_model` (IAM, no API key).

Body: `{taskType: TEXT_IMAGE, textToImageParams: {text}, imageGenerationConfig: {numberOfImages: 1, width,
height, seed, cfgScale, quality}}`; answer: `{images: [<base64>], error?}`. Sizes must be 320-4096 px per side,
multiples of 16, at most 4,194,304 pixels, aspect between 1:4 and 4:1 - checked before the call. Errors map to
the named ones: ThrottlingException -> ProviderThrottled, 5xx-like exceptions -> ProviderUnavailable,
AccessDenied -> ProviderAuthError, a content-filter ValidationException or an `error` in the answer ->
ContentRejected. The client is `bedrock-runtime` from the provider context (botocore Stubber in tests).
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
from hookforge.providers.imaging import MAX_IMAGE_BYTES, b64decode, seed_for, verified

MODEL_ID = "amazon.nova-canvas-v1:0"
#: USD per image (list prices checked 2026-11): (quality, up to 1024x1024 | up to 2048x2048)
PRICES = {"standard": (0.04, 0.06), "premium": (0.06, 0.08)}


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
    name = "bedrock"

    def __init__(
        self,
        ctx: ProviderContext,
        *,
        client: Any = None,
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

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self.ctx.client("bedrock-runtime")
        return self._client

    def generate(self, request: ImageRequest) -> GeneratedImage:
        model = request.model or MODEL_ID
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

    def _invoke(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.invoke_model(
                modelId=model, body=json.dumps(body), contentType="application/json", accept="application/json"
            )
            raw = response["body"].read()
        except ClientError as e:
            raise _mapped(e) from e
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


def _mapped(e: ClientError) -> ProviderError:
    return bedrock_error(e, model="Nova Canvas", action="image", permissions=f"bedrock:InvokeModel on {MODEL_ID}")
