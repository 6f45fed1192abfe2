"""Test-only image providers for the Map fan-out: some or all candidates fail, each with its own reason."""

from __future__ import annotations

from hookforge.errors import ContentRejected, ImageInvalid, ProviderAuthError, ProviderUnavailable
from hookforge.providers.base import GeneratedImage, ImageRequest
from hookforge.providers.placeholder import PlaceholderImages


class ThirdRefused(PlaceholderImages):
    """Candidate #3 is refused by the content policy; the others are generated."""

    name = "third-refused"

    def generate(self, request: ImageRequest) -> GeneratedImage:
        if request.index == 2:
            raise ContentRejected("the provider's content policy refused candidate 3")
        return super().generate(request)


class EveryoneFails(PlaceholderImages):
    """Every candidate fails, each for a different reason (one of them transient, so the ASL retries it)."""

    name = "everyone-fails"
    REASONS = (
        ContentRejected("the provider's content policy refused the prompt"),
        ProviderAuthError("images rejected the credentials (HTTP 401); check IMAGES_API_KEY"),
        ImageInvalid("images returned an unusable image: the image does not decode"),
        ProviderUnavailable("images is unavailable (HTTP 503: overloaded); retried later"),
    )

    def generate(self, request: ImageRequest) -> GeneratedImage:
        raise self.REASONS[request.index % len(self.REASONS)]
