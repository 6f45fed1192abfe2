"""Provider names a brief may use, mapped to `module:Class` (imported only when used).

Adding a provider is one module plus one line here.
"""

from __future__ import annotations

INSPIRATION_SOURCES: dict[str, str] = {
    "catalog": "hookforge.providers.catalog:CatalogSource",
    "lexica": "hookforge.providers.lexica:LexicaSource",
    "civitai": "hookforge.providers.civitai:CivitaiSource",
    "winners": "hookforge.providers.winners:WinnersSource",
}

IMAGE_GENERATORS: dict[str, str] = {
    "placeholder": "hookforge.providers.placeholder:PlaceholderImages",
    "upload": "hookforge.providers.upload:UploadedImages",
    "openai": "hookforge.providers.openai_images:OpenAIImages",
    "stability": "hookforge.providers.stability:StabilityImages",
    "bedrock": "hookforge.providers.bedrock_canvas:BedrockCanvasImages",
}

VIDEO_GENERATORS: dict[str, str] = {
    "kenburns": "hookforge.providers.kenburns:KenBurnsVideo",
    "runway": "hookforge.providers.runway:RunwayVideo",
    "nova-reel": "hookforge.providers.nova_reel:NovaReelVideo",
    "luma-ray": "hookforge.providers.luma_ray:LumaRayVideo",
}
