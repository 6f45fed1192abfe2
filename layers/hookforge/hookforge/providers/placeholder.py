"""`placeholder`: procedural stills drawn with Pillow, offline. Every image says it is a placeholder."""

from __future__ import annotations

import hashlib
import io
import math
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from hookforge.media import FONT_PATH
from hookforge.providers.base import GeneratedImage, ImageRequest, ProviderContext

_PALETTES = [
    ((255, 94, 58), (255, 149, 0), (34, 10, 64)),
    ((0, 180, 216), (144, 224, 239), (3, 4, 94)),
    ((114, 9, 183), (247, 37, 133), (16, 0, 43)),
    ((46, 196, 182), (203, 243, 240), (1, 22, 39)),
    ((255, 190, 11), (251, 86, 7), (58, 12, 163)),
    ((128, 237, 153), (87, 204, 153), (34, 87, 122)),
]


class PlaceholderImages:
    """Deterministic abstract art from the prompt and seed: gradients, glowing orbs and a label."""

    name = "placeholder"

    def __init__(self, ctx: ProviderContext | None = None) -> None:
        self.ctx = ctx

    def generate(self, request: ImageRequest) -> GeneratedImage:
        seed = request.seed if request.seed is not None else _seed(request.prompt, request.index)
        data = render_placeholder(request.prompt, request.width, request.height, seed=seed, index=request.index)
        return GeneratedImage(data=data, mime="image/png", model="placeholder-v1", seed=seed, placeholder=True)


def _seed(prompt: str, index: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{prompt}|{index}".encode()).digest()[:4], "big")


def render_placeholder(prompt: str, width: int, height: int, *, seed: int, index: int = 0) -> bytes:
    rng = random.Random(seed)
    top, mid, bottom = _PALETTES[seed % len(_PALETTES)]
    # a three-stop vertical gradient, drawn on a 1-pixel-wide strip and stretched (fast at any size)
    strip = Image.new("RGB", (1, 256))
    for y in range(256):
        t = y / 255
        a, b, u = (top, mid, t * 2) if t < 0.5 else (mid, bottom, (t - 0.5) * 2)
        strip.putpixel((0, y), tuple(int(a[i] + (b[i] - a[i]) * u) for i in range(3)))
    img = strip.resize((width, height), Image.Resampling.BILINEAR)
    # glowing orbs and a ring of sparks, drawn at quarter size and blurred there: soft light, cheap
    sw, sh = max(1, width // 4), max(1, height // 4)
    glow = Image.new("RGBA", (sw, sh), (0, 0, 0, 0))
    gdraw = ImageDraw.Draw(glow)
    for _ in range(7):
        r = rng.randint(min(sw, sh) // 12, min(sw, sh) // 4)
        cx, cy = rng.randint(0, sw), rng.randint(0, sh)
        colour = (*rng.choice((top, mid, (255, 255, 255))), rng.randint(70, 150))
        gdraw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    for k in range(24):  # fine detail makes motion visible
        angle = 2 * math.pi * k / 24 + rng.random()
        sx = sw / 2 + math.cos(angle) * sw * 0.33
        sy = sh / 2 + math.sin(angle) * sh * 0.33
        gdraw.ellipse([sx - 1.5, sy - 1.5, sx + 1.5, sy + 1.5], fill=(255, 255, 255, 220))
    glow = glow.filter(ImageFilter.GaussianBlur(radius=max(1, min(sw, sh) // 90)))
    glow = glow.resize((width, height), Image.Resampling.BICUBIC)
    img = Image.alpha_composite(img.convert("RGBA"), glow).convert("RGB")
    draw = ImageDraw.Draw(img)
    label_size = max(14, width // 28)
    font = ImageFont.truetype(str(FONT_PATH), label_size)
    small = ImageFont.truetype(str(FONT_PATH), max(12, label_size * 2 // 3))
    # the label sits centred, above the bottom 12 %, so centre crops to any aspect keep it readable
    band_top = int(height * 0.88) - label_size * 4
    draw.rectangle([0, band_top, width, band_top + label_size * 4], fill=(0, 0, 0))
    label = f"PLACEHOLDER #{index + 1}"
    draw.text((width / 2, band_top + label_size), label, font=font, fill=(255, 255, 255), anchor="mm")
    snippet = prompt if len(prompt) <= 48 else prompt[:45] + "..."
    draw.text((width / 2, band_top + label_size * 2.6), snippet, font=small, fill=(200, 200, 200), anchor="mm")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=False)
    return out.getvalue()
