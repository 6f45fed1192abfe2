"""`stability`: Stability AI's Stable Image API v2beta (`/v2beta/stable-image/generate/{core|ultra|sd3}`).

Multipart form (prompt, aspect_ratio, seed, output_format[, model]); we ask for `Accept: application/json`
and get `{image: <base64>, finish_reason: SUCCESS|CONTENT_FILTERED, seed}` (with `Accept: image/*` the
same facts arrive as `finish-reason`/`seed` headers - both shapes are read). The endpoint is chosen by the
model: `core`, `ultra`, or an `sd3*` model name (e.g. `sd3.5-large`) on the sd3 endpoint; default `core`.
Output sizes are fixed per aspect ratio, so the brief's size picks the ratio and the image is scaled to it.
Key: `STABILITY_API_KEY` locally, the secret `hookforge/providers/stability` in AWS. Moderation (403
`content_moderation`, or `CONTENT_FILTERED`) becomes `ContentRejected`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from hookforge.errors import ConfigError, ContentRejected, ProviderError
from hookforge.providers.base import GeneratedImage, ImageRequest, ProviderContext
from hookforge.providers.http import HttpCaller, RetryPolicy, error_message, parse_json
from hookforge.providers.imaging import MAX_IMAGE_BYTES, b64decode, seed_for, verified

BASE_URL = "https://api.stability.ai/v2beta/stable-image/generate"
#: 2 x 80 s + backoff stays inside the 180 s Lambda timeout
POLICY = RetryPolicy(attempts=2, base_delay=1.0, max_delay=8.0, timeout=80.0)
ASPECT_RATIOS = {
    "16:9": 16 / 9,
    "1:1": 1.0,
    "21:9": 21 / 9,
    "2:3": 2 / 3,
    "3:2": 3 / 2,
    "4:5": 4 / 5,
    "5:4": 5 / 4,
    "9:16": 9 / 16,
    "9:21": 9 / 21,
}
#: USD per image at $0.01 per credit (list prices checked 2026-11)
CREDITS = {"core": 3.0, "ultra": 8.0, "sd3.5-large": 6.5, "sd3.5-large-turbo": 4.0, "sd3.5-medium": 3.5}


def aspect_ratio(width: int, height: int) -> str:
    ratio = width / height
    name, value = min(ASPECT_RATIOS.items(), key=lambda kv: abs(kv[1] - ratio))
    if abs(value - ratio) > 0.02 * ratio:
        raise ConfigError(
            f"Stability makes no {width}x{height} images; "
            f"choose a size with one of the ratios {', '.join(ASPECT_RATIOS)}"
        )
    return name


def endpoint(model: str) -> tuple[str, str | None]:
    """(endpoint, form model) for a configured model name."""
    if model in ("core", "ultra"):
        return model, None
    if model.startswith("sd3"):
        return "sd3", model
    raise ConfigError(f"unknown Stability model {model!r}; use core, ultra or an sd3.5-* model")


class StabilityImages:
    name = "stability"

    def __init__(
        self,
        ctx: ProviderContext,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        model: str | None = None,
        max_bytes: int = MAX_IMAGE_BYTES,
    ) -> None:
        self.ctx = ctx
        self.model = model or ctx.settings.stability_image_model or "core"
        self.max_bytes = max_bytes
        self.caller = HttpCaller(
            ctx.http_client(),
            provider=self.name,
            policy=policy or POLICY,
            sleep=sleep,
            key_hint="STABILITY_API_KEY / secret hookforge/providers/stability",
        )

    def ready(self, model: str | None = None) -> None:
        """Preflight: a known model and the API key (ConfigError naming it otherwise); nothing is generated."""
        endpoint(model or self.model)
        self.ctx.secret("STABILITY_API_KEY", "hookforge/providers/stability")

    def estimate_usd(self, width: int, height: int, model: str | None = None) -> float:
        aspect_ratio(width, height)
        return CREDITS.get(model or self.model, max(CREDITS.values())) / 100

    def generate(self, request: ImageRequest) -> GeneratedImage:
        model = request.model or self.model
        path, form_model = endpoint(model)
        seed = request.seed if request.seed is not None else seed_for(request.prompt, request.run_id, request.index)
        form = {
            "prompt": request.prompt[:10000],
            "aspect_ratio": aspect_ratio(request.width, request.height),
            "seed": str(seed),
            "output_format": "png",
        }
        if form_model:
            form["model"] = form_model
        key = self.ctx.secret("STABILITY_API_KEY", "hookforge/providers/stability")
        response = self.caller.request(
            "POST",
            f"{BASE_URL}/{path}",
            data=form,
            # an empty file part makes httpx send multipart/form-data, which the API requires
            files={"none": ("", b"")},
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            classify=_moderation,
        )
        raw, finish, answered_seed = self._read(response)
        if finish == "CONTENT_FILTERED":
            raise ContentRejected("Stability's content filter blanked the image (finish_reason CONTENT_FILTERED)")
        if finish not in (None, "SUCCESS"):
            raise ProviderError(f"stability finished with {finish!r} instead of SUCCESS")
        image, info = verified(
            raw, provider=self.name, width=request.width, height=request.height, max_bytes=self.max_bytes
        )
        cost = CREDITS.get(form_model or path, max(CREDITS.values())) * 0.01
        return GeneratedImage(
            data=image, mime=info.mime, model=form_model or path, seed=answered_seed or seed, cost_usd=cost
        )

    def _read(self, response: httpx.Response) -> tuple[bytes, str | None, int | None]:
        ctype = response.headers.get("content-type", "")
        if ctype.startswith("image/"):
            return response.content, response.headers.get("finish-reason"), _int(response.headers.get("seed"))
        body = parse_json(response, provider=self.name)
        if not isinstance(body, dict):
            raise ProviderError("stability answered JSON without an image; the API may have changed")
        finish = body.get("finish_reason")
        if finish == "CONTENT_FILTERED":
            return b"", finish, _int(body.get("seed"))
        return b64decode(body.get("image"), provider=self.name), finish, _int(body.get("seed"))


def _moderation(response: httpx.Response) -> None:
    try:
        name = response.json().get("name")
    except (ValueError, AttributeError):
        return
    if name == "content_moderation":
        raise ContentRejected(f"Stability's content moderation refused the prompt ({error_message(response)})")


def _int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None
