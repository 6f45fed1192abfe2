"""Turning a provider's answer into verified image bytes: base64, verification, exact requested size."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io

from PIL import Image

from hookforge.errors import ImageInvalid, ProviderError
from hookforge.media import ImageInfo, check_image

#: the largest image a provider may hand back; bigger is a broken or hostile answer
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: a provider's fixed output size may differ from the request by this much in aspect ratio
ASPECT_TOLERANCE = 0.02


def b64decode(value: object, *, provider: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise ProviderError(f"{provider} answered without image data; the API may have changed")
    if len(value) > MAX_IMAGE_BYTES * 4 // 3 + 4:
        raise ImageInvalid(f"{provider} returned an image over {MAX_IMAGE_BYTES // 2**20} MB")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise ProviderError(f"{provider} answered with image data that is not valid base64") from e


def verified(
    data: bytes, *, provider: str, width: int, height: int, max_bytes: int = MAX_IMAGE_BYTES
) -> tuple[bytes, ImageInfo]:
    """Decode-check `data` and bring it to exactly `width`x`height` when only the scale differs.

    Providers with fixed output sizes (Stability's aspect ratios, say) return the right shape at another
    scale; that is resized. A different shape, a corrupt, oversize or non-PNG/JPEG/WebP image is ImageInvalid.
    """
    try:
        info = check_image(data, max_bytes=max_bytes)
    except ImageInvalid as e:
        raise ImageInvalid(f"{provider} returned an unusable image: {e}") from e
    if (info.width, info.height) == (width, height):
        return data, info
    if abs(info.width / info.height - width / height) > ASPECT_TOLERANCE * (width / height):
        raise ImageInvalid(f"{provider} returned {info.width}x{info.height}, expected the shape of {width}x{height}")
    with Image.open(io.BytesIO(data)) as img:
        resized = img.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    resized.save(out, format="PNG")
    resized_bytes = out.getvalue()
    return resized_bytes, check_image(resized_bytes, max_bytes=max_bytes)


def seed_for(prompt: str, run_id: str, index: int, *, modulo: int = 2_147_483_646) -> int:
    """A stable seed per candidate, so candidates of one prompt differ and a rerun reproduces them."""
    digest = hashlib.sha256(f"{run_id}|{index}|{prompt}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % modulo
