"""Providers: where prompts, stills and clips come from (see `base` for the protocols)."""

from hookforge.providers.base import (
    GeneratedImage,
    ImageGenerator,
    ImageRequest,
    InspirationSource,
    ProviderContext,
    VideoGenerator,
    VideoRequest,
    VideoStatus,
    VideoTask,
    image_generator,
    inspiration_source,
    video_generator,
)

__all__ = [
    "GeneratedImage",
    "ImageGenerator",
    "ImageRequest",
    "InspirationSource",
    "ProviderContext",
    "VideoGenerator",
    "VideoRequest",
    "VideoStatus",
    "VideoTask",
    "image_generator",
    "inspiration_source",
    "video_generator",
]
