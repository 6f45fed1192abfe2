"""`upload`: images the user put under `uploads/<brief>/` (e.g. Midjourney exports). No generation."""

from __future__ import annotations

import io

from PIL import Image

from hookforge.errors import ConfigError, ImageInvalid
from hookforge.media import check_image
from hookforge.providers.base import GeneratedImage, ImageRequest, ProviderContext

MAX_SIDE = 2048


class UploadedImages:
    """Validates an uploaded image and normalises it (RGB PNG, longest side at most 2048 px)."""

    name = "upload"

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx

    def generate(self, request: ImageRequest) -> GeneratedImage:
        if not request.upload_key:
            raise ConfigError("the upload provider needs an image key under uploads/<brief>/")
        head = self.ctx.store.head(request.upload_key)
        if head is None:
            raise ImageInvalid(f"uploaded image {request.upload_key!r} does not exist in the bucket")
        data = self.ctx.store.get_bytes(request.upload_key)
        try:
            check_image(data)
        except ImageInvalid as e:
            raise ImageInvalid(f"uploaded image {request.upload_key!r}: {e}") from e
        with Image.open(io.BytesIO(data)) as img:
            rgb = img.convert("RGB")
        rgb.thumbnail((MAX_SIDE, MAX_SIDE))
        out = io.BytesIO()
        rgb.save(out, format="PNG")
        return GeneratedImage(data=out.getvalue(), mime="image/png", model="upload", seed=None)
