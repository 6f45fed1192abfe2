"""`upload`: images the user put under `uploads/<brief>/` (e.g. Midjourney exports). No generation.

Uploads are untrusted: the key must stay under `uploads/`, the object must be small enough to read into
memory, decode completely as PNG/JPEG/WebP, and not be a decompression bomb. The image is normalised: EXIF
orientation applied, transparency flattened on white, RGB PNG with the longest side at most 2048 px.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from hookforge.errors import ConfigError, ImageInvalid
from hookforge.media import check_image
from hookforge.providers.base import GeneratedImage, ImageRequest, ProviderContext

MAX_SIDE = 2048
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: more pixels than this (e.g. a 1 KB PNG claiming 50000x50000) is refused before decoding
MAX_PIXELS = 64_000_000


class UploadedImages:
    """Validates an uploaded image and normalises it (RGB PNG, longest side at most 2048 px)."""

    name = "upload"

    def __init__(
        self, ctx: ProviderContext, *, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS
    ) -> None:
        self.ctx = ctx
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def generate(self, request: ImageRequest) -> GeneratedImage:
        key = request.upload_key
        if not key:
            raise ConfigError("the upload provider needs an image key under uploads/<brief>/")
        if not key.startswith("uploads/") or ".." in key.split("/"):
            raise ImageInvalid(f"{key!r} is not under uploads/; put user images under uploads/<brief>/")
        head = self.ctx.store.head(key)
        if head is None:
            raise ImageInvalid(f"uploaded image {key!r} does not exist in the bucket")
        size = int(head.get("ContentLength", 0))
        if size > self.max_bytes:
            raise ImageInvalid(
                f"uploaded image {key!r} is {size / 1e6:.1f} MB; the limit is {self.max_bytes / 1e6:.0f} MB"
            )
        data = self.ctx.store.get_bytes(key)
        check_user_image(data, f"uploaded image {key!r}", max_bytes=self.max_bytes, max_pixels=self.max_pixels)
        return GeneratedImage(data=normalise(data), mime="image/png", model="upload", seed=None)


def check_user_image(
    data: bytes, label: str, *, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int = MAX_PIXELS
) -> None:
    """A user's image (an upload, or a file `hookforge upload` is given), checked before anything uses it:
    at most `max_bytes`, no decompression bomb, at most `max_pixels` claimed, and a complete PNG/JPEG/WebP
    decode (`media.check_image`). ImageInvalid names `label` and what is wrong."""
    if len(data) > max_bytes:
        raise ImageInvalid(f"{label} is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # refused just below
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
    except Image.DecompressionBombError as e:
        raise ImageInvalid(f"{label} is a decompression bomb ({e})") from e
    except (UnidentifiedImageError, OSError, SyntaxError):
        width = height = 0  # check_image below names the decode problem
    if width * height > max_pixels:
        raise ImageInvalid(f"{label} claims {width}x{height} pixels; the limit is {max_pixels:,}")
    try:
        check_image(data, max_bytes=max_bytes)
    except ImageInvalid as e:
        raise ImageInvalid(f"{label}: {e}") from e


def normalise(data: bytes) -> bytes:
    """Upright RGB PNG, transparency on white, longest side at most MAX_SIDE."""
    with Image.open(io.BytesIO(data)) as img:  # at most MAX_PIXELS, below Pillow's bomb warning
        upright = ImageOps.exif_transpose(img)
        if upright.mode in ("RGBA", "LA", "P", "PA"):
            rgba = upright.convert("RGBA")
            rgb = Image.new("RGB", rgba.size, (255, 255, 255))
            rgb.paste(rgba, mask=rgba.getchannel("A"))
        else:
            rgb = upright.convert("RGB")
    rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, format="PNG")
    return out.getvalue()
