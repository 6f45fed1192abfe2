"""Selection email weight: one numbered contact sheet inline ÷ every full candidate inline; sheet render time."""

from __future__ import annotations

import io
import random
import statistics
import time

from PIL import Image, ImageDraw

from hookforge.approval.sheet import render_sheet

CANDIDATES = 4
SIZE = (768, 1344)
REPEATS = 3


def _candidate(seed: int) -> bytes:
    """A busy still (gradient + shapes + grain), so JPEG cannot shrink it to nothing."""
    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize(SIZE).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y, r = rng.randrange(SIZE[0]), rng.randrange(SIZE[1]), rng.randrange(20, 160)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise(SIZE, 40).convert("RGB")
    out = io.BytesIO()
    Image.blend(image, noise, 0.25).save(out, format="PNG")
    return out.getvalue()


def main() -> None:
    images = [_candidate(i) for i in range(CANDIDATES)]
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        sheet = render_sheet(images)
        timings.append(time.perf_counter() - started)
    full = sum(len(i) for i in images)
    sheet_bytes = len(sheet.contact_sheet)
    print(  # noqa: T201 - benchmark output is the product here
        f"   email images: contact sheet {sheet_bytes / 1024:7.1f} KiB ÷ {CANDIDATES} full stills "
        f"{full / 1024:7.1f} KiB = {sheet_bytes / full:5.3f}x"
    )
    print(  # noqa: T201
        f"   contact sheet + {CANDIDATES} thumbnails from {SIZE[0]}x{SIZE[1]} stills: "
        f"{statistics.median(timings) * 1000:6.1f} ms (median of {REPEATS})"
    )
