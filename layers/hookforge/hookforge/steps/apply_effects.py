"""ApplyEffects: render the ad-ready hooks, poster and preview (step 5; runs in the container Lambda)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hookforge.effects import render
from hookforge.errors import VideoInvalid
from hookforge.models import ApplyEffectsInput, HookRender
from hookforge.observability import logger
from hookforge.steps.deps import Deps
from hookforge.storage import run_key

_CONTENT_TYPES = {".gif": "image/gif", ".webp": "image/webp", ".jpg": "image/jpeg"}


def run(event: ApplyEffectsInput, deps: Deps) -> HookRender:
    if not event.video.raw_key:
        raise VideoInvalid("ApplyEffects needs the finished clip (video.raw_key); the video step did not copy it")
    spec = event.brief.effects
    # /tmp is reused by warm Lambdas: everything lives in a directory removed on the way out
    with tempfile.TemporaryDirectory(prefix="hookforge-fx-") as tmp:
        source = deps.store.download_file(event.video.raw_key, Path(tmp) / "raw.mp4")
        result = render(
            source,
            Path(tmp) / "out",
            preset=spec.preset,
            aspects=spec.aspects,
            text=spec.text,
            captions=spec.captions,
            overrides=spec.overrides,
        )
        outputs = {
            aspect: deps.store.upload_file(path, run_key(event.run_id, "hooks", path.name), content_type="video/mp4")
            for aspect, path in result.outputs.items()
        }
        poster = deps.store.upload_file(result.poster, run_key(event.run_id, "poster.jpg"), content_type="image/jpeg")
        preview = deps.store.upload_file(
            result.preview,
            run_key(event.run_id, result.preview.name),
            content_type=_CONTENT_TYPES.get(result.preview.suffix, "application/octet-stream"),
        )
    deps.runs.update(event.run_id, step="ApplyEffects", outputs=outputs)
    logger.info(
        "hooks rendered",
        extra={"run_id": event.run_id, "aspects": list(outputs), "preset": spec.preset, "seconds": result.seconds},
    )
    return HookRender(
        preset=spec.preset, outputs=outputs, poster_key=poster, preview_key=preview, duration=result.duration
    )
