"""Provider names a brief may use, mapped to `module:Class` (imported only when used).

Adding a provider is one module plus one line here.
"""

from __future__ import annotations

INSPIRATION_SOURCES: dict[str, str] = {
    "catalog": "hookforge.providers.catalog:CatalogSource",
}

IMAGE_GENERATORS: dict[str, str] = {
    "placeholder": "hookforge.providers.placeholder:PlaceholderImages",
    "upload": "hookforge.providers.upload:UploadedImages",
}

VIDEO_GENERATORS: dict[str, str] = {
    "kenburns": "hookforge.providers.kenburns:KenBurnsVideo",
    "runway": "hookforge.providers.runway:RunwayVideo",
    "nova-reel": "hookforge.providers.nova_reel:NovaReelVideo",
}
