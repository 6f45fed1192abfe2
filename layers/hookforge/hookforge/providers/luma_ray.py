"""`luma-ray`: Luma AI Ray 2 image-to-video on Amazon Bedrock (the successor of the retired Nova Reel).

StartAsyncInvoke with `modelId` from configuration (`BEDROCK_VIDEO_MODEL`, default `luma.ray-v2:0`) and
`modelInput {prompt (1..5000 chars), aspect_ratio (1:1, 16:9, 9:16, 4:3, 3:4, 21:9, 9:21), loop, duration
("5s" | "9s"), resolution ("540p" | "720p")}` (Bedrock user guide, "Luma AI models"). The picked still is
sent as the first keyframe (`keyframes.frame0`, Luma's image-to-video shape; Bedrock's model card lists image
input for Ray2). Bedrock writes `<prefix>/<invocation id>/output.mp4` into the artifacts bucket; submission,
idempotency (clientRequestToken per run and attempt) and polling are Nova Reel's (`nova_reel.NovaReelVideo`).
Ray 2 is served in us-west-2: deploy there (or point the region at it). No sound.
"""

from __future__ import annotations

import base64
from typing import Any

from hookforge.providers.base import ProviderContext, VideoRequest
from hookforge.providers.bedrock_models import DEFAULT_VIDEO_MODEL
from hookforge.providers.nova_reel import NovaReelVideo
from hookforge.providers.runway import prepare_image, trim_prompt
from hookforge.providers.runway_models import ASPECT_FRAMES

#: Ray 2's aspect ratios; a brief's 4:5 is made at 3:4 (the nearest) and reframed by the effects step
ASPECTS = {"1:1": "1:1", "16:9": "16:9", "9:16": "9:16", "4:5": "3:4"}
#: Ray 2's clip lengths: a brief's duration is served by the nearest (5 s or 9 s)
LENGTHS = (5, 9)
PROMPT_LIMIT = 5000
#: on-demand price per second of 720p video (Amazon Bedrock pricing, Luma AI, checked 2026-12); an estimate
USD_PER_SECOND = 1.50
EXPECTED_SECONDS = 120.0


class LumaRayVideo(NovaReelVideo):
    """Luma Ray 2 through the bedrock-runtime client (injected as ctx.clients["bedrock-runtime"])."""

    name = "luma-ray"
    label = "Luma Ray 2"
    expected_seconds = EXPECTED_SECONDS
    usd_per_second = USD_PER_SECOND

    def __init__(self, ctx: ProviderContext, *, model: str | None = None) -> None:
        super().__init__(ctx)
        self.model_id = model or ctx.settings.bedrock_video_model or DEFAULT_VIDEO_MODEL

    def clip_seconds(self, duration: int) -> int:
        return min(LENGTHS, key=lambda n: (abs(n - duration), n))

    def model_input(self, request: VideoRequest) -> dict[str, Any]:
        aspect = ASPECTS.get(request.ratio, "16:9")
        w, _, h = aspect.partition(":")
        frame = ASPECT_FRAMES.get(aspect, f"{int(w) * 160}:{int(h) * 160}")
        image = prepare_image(request.image, frame)
        return {
            "prompt": trim_prompt(request.prompt, limit=PROMPT_LIMIT) or "subtle cinematic motion",
            "aspect_ratio": aspect,
            "loop": False,
            "duration": f"{self.clip_seconds(request.duration)}s",
            "resolution": "720p",
            "keyframes": {
                "frame0": {
                    "type": "image",
                    "source": {
                        "type": "base64",
                        "media_type": "image/jpeg",
                        "data": base64.b64encode(image).decode("ascii"),
                    },
                }
            },
        }
