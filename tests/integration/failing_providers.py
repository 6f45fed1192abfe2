"""Providers that fail on purpose, registered by tests through the provider registry."""

from __future__ import annotations

from typing import ClassVar

from hookforge.errors import ProviderError, ProviderThrottled
from hookforge.providers.base import GeneratedImage, ImageRequest, ProviderContext, VideoRequest, VideoTask
from hookforge.providers.placeholder import PlaceholderImages


class BrokenVideo:
    name = "broken"

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx

    def submit(self, request: VideoRequest) -> VideoTask:
        raise ProviderError("video service is down for maintenance (HTTP 400)")


class FlakyImages(PlaceholderImages):
    """Throttled on the first call, fine afterwards."""

    calls: ClassVar[int] = 0

    def generate(self, request: ImageRequest) -> GeneratedImage:
        type(self).calls += 1
        if type(self).calls == 1:
            raise ProviderThrottled("429 Too Many Requests")
        return super().generate(request)
