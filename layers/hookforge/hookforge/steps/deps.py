"""What every step needs (settings, AWS clients, stores, provider context), built once per process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import boto3

from hookforge.approval.records import ApprovalStore
from hookforge.approval.signing import Signer, signing_key
from hookforge.config import Settings, settings
from hookforge.providers.base import ProviderContext
from hookforge.runs import RunsRepo
from hookforge.storage import ArtifactStore

if TYPE_CHECKING:
    from hookforge.metrics.store import MetricsStore
    from hookforge.voice import Speaker


@dataclass
class Deps:
    settings: Settings
    session: Any = None
    clock: Callable[[], float] = time.time
    overrides: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self.overrides:
            session = self.session or boto3.session.Session()
            self.overrides[service] = session.client(service, region_name=self.settings.region)
        return self.overrides[service]

    def resource(self, service: str) -> Any:
        key = f"resource:{service}"
        if key not in self.overrides:
            session = self.session or boto3.session.Session()
            self.overrides[key] = session.resource(service, region_name=self.settings.region)
        return self.overrides[key]

    @cached_property
    def store(self) -> ArtifactStore:
        return ArtifactStore(self.client("s3"), self.settings.artifacts_bucket)

    @cached_property
    def runs(self) -> RunsRepo:
        return RunsRepo(self.resource("dynamodb"), self.settings.runs_table)

    @cached_property
    def approvals(self) -> ApprovalStore:
        return ApprovalStore(self.resource("dynamodb"), self.settings.runs_table)

    @cached_property
    def metrics(self) -> MetricsStore:
        from hookforge.metrics.store import MetricsStore

        return MetricsStore(self.resource("dynamodb"), self.settings.metrics_table)

    @cached_property
    def signer(self) -> Signer:
        """Signs approval links and form tokens (key from env, the local home, or Secrets Manager)."""
        return Signer(signing_key(self.settings))

    @cached_property
    def speaker(self) -> Speaker:
        """Who speaks a voiceover: Amazon Polly in AWS; espeak-ng under the local engine (moto has no Polly)."""
        from hookforge.voice import EspeakSpeaker, PollySpeaker

        return EspeakSpeaker() if self.settings.is_local else PollySpeaker(self.client("polly"))

    @cached_property
    def provider_ctx(self) -> ProviderContext:
        return ProviderContext(settings=self.settings, store=self.store, client_factory=self.client)

    _current: Deps | None = None

    @classmethod
    def current(cls) -> Deps:
        """The process-wide Deps (Lambda reuses it across warm invocations)."""
        if cls._current is None:
            cls._current = cls(settings=settings())
        return cls._current

    @classmethod
    def reset(cls) -> None:
        settings.cache_clear()
        cls._current = None
