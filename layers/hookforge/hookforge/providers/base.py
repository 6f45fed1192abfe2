"""The three provider protocols and the context every provider is built with.

Providers are chosen by name from the brief (see `registry.py`); they get their clients and secrets
injected through `ProviderContext`, so tests swap in `httpx.MockTransport` or moto.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from hookforge.config import Settings
from hookforge.errors import ConfigError
from hookforge.models import PromptIdea
from hookforge.storage import ArtifactStore

if TYPE_CHECKING:
    import httpx


def _no_secret(env_var: str, secret_name: str) -> str:
    """A context built without a secret reader (deps injects `Secrets.get`) has no keys to give."""
    raise ConfigError(f"missing API key: set the environment variable {env_var} (or the secret {secret_name!r} in AWS)")


@dataclass
class ProviderContext:
    """What a provider may use: settings, the artifacts store, an HTTP client and a secret getter."""

    settings: Settings
    store: ArtifactStore
    http: httpx.Client | None = None
    secret: Callable[[str, str], str] = _no_secret
    clients: dict[str, Any] = field(default_factory=dict)
    #: how providers sleep between their own retries (tests inject a recorder instead of waiting)
    sleep: Callable[[float], None] = time.sleep
    #: builds a boto3 client by service name when `clients` has none (the steps pass `Deps.client`)
    client_factory: Callable[[str], Any] | None = None

    def client(self, service: str) -> Any:
        """The boto3 client for `service`: injected in `clients`, else built once and kept."""
        existing = self.clients.get(service)
        if existing is None:
            if self.client_factory is not None:
                existing = self.client_factory(service)
            else:
                from hookforge.sessions import boto_session

                existing = boto_session().client(service, region_name=self.settings.region)
            self.clients[service] = existing
        return existing

    def http_client(self, *, timeout: float = 30.0) -> httpx.Client:
        if self.http is None:
            import httpx  # only the providers that call out over HTTP pay for it, not every step's cold start

            self.http = httpx.Client(timeout=timeout, follow_redirects=True)
        return self.http


# ---------------------------------------------------------------------------------- inspiration
@runtime_checkable
class InspirationSource(Protocol):
    name: str

    def search(self, query: str, *, limit: int) -> list[PromptIdea]:
        """Prompts matching `query`, best first."""
        ...


# ------------------------------------------------------------------------------------- images
@dataclass(frozen=True)
class ImageRequest:
    run_id: str
    index: int
    prompt: str
    width: int
    height: int
    model: str | None = None
    seed: int | None = None
    upload_key: str | None = None


@dataclass(frozen=True)
class GeneratedImage:
    data: bytes
    mime: str
    model: str | None
    seed: int | None
    cost_usd: float = 0.0
    placeholder: bool = False


@runtime_checkable
class ImageGenerator(Protocol):
    name: str

    def generate(self, request: ImageRequest) -> GeneratedImage:
        """One still for `request`; raises ProviderThrottled/ProviderUnavailable/ContentRejected/..."""
        ...


# -------------------------------------------------------------------------------------- video
@dataclass(frozen=True)
class VideoRequest:
    run_id: str
    image: bytes
    image_mime: str
    prompt: str
    ratio: str
    duration: int
    model: str | None = None
    seed: int | None = None
    attempt: int = 0
    #: ask a model that can for generated sound (`video.audio`)
    audio: bool = False


@dataclass(frozen=True)
class VideoTask:
    task_id: str
    model: str | None
    expected_seconds: float
    credits: float | None = None
    #: the clip length the provider will deliver (may differ from the request, e.g. Nova Reel's 6 s)
    seconds: float | None = None
    cost_usd: float | None = None


@dataclass(frozen=True)
class VideoStatus:
    status: Literal["PENDING", "THROTTLED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]
    progress: float | None = None
    #: an HTTPS URL to copy the clip from (expires), or a key already in the artifacts bucket
    output_url: str | None = None
    output_key: str | None = None
    failure: str | None = None
    failure_code: str | None = None
    #: credits the provider reports (estimated while running, final when done)
    credits: float | None = None
    #: True when `credits` is the provider's final charge (Runway's `cost`), not its estimate (`estimatedCost`)
    credits_actual: bool = False
    #: the provider's final charge in USD, when it reports one (Runway: `cost.credits` x USD per credit)
    cost_usd: float | None = None


@runtime_checkable
class VideoGenerator(Protocol):
    name: str

    def submit(self, request: VideoRequest) -> VideoTask: ...

    def poll(self, task_id: str) -> VideoStatus: ...

    def cancel(self, task_id: str) -> None: ...


# ------------------------------------------------------------------------------------ loading
def _load(table: dict[str, str], name: str, kind: str) -> type:
    try:
        target = table[name]
    except KeyError:
        raise ConfigError(f"unknown {kind} {name!r}; choose one of: {', '.join(sorted(table))}") from None
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def inspiration_source(name: str, ctx: ProviderContext) -> InspirationSource:
    from hookforge.registry import INSPIRATION_SOURCES

    return _load(INSPIRATION_SOURCES, name, "inspiration source")(ctx)


def image_generator(name: str, ctx: ProviderContext) -> ImageGenerator:
    from hookforge.registry import IMAGE_GENERATORS

    return _load(IMAGE_GENERATORS, name, "image provider")(ctx)


def video_generator(name: str, ctx: ProviderContext) -> VideoGenerator:
    from hookforge.registry import VIDEO_GENERATORS

    return _load(VIDEO_GENERATORS, name, "video provider")(ctx)
