"""What every step needs, built once per process and per stage: settings, AWS clients, stores, and the adapters
where AWS and the local engine differ (a mailer, links, secrets, a speaker, the provider context).

This is the one place that asks where hookforge runs (`settings.stage`): steps, `approval/`, notifications and
providers ask `deps` for an adapter and never the stage.
"""

from __future__ import annotations

import os
import posixpath
import secrets as token_source
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol
from urllib.parse import quote

from hookforge.config import Settings, settings
from hookforge.errors import ConfigError
from hookforge.observability import logger
from hookforge.sessions import boto_session
from hookforge.storage import ArtifactStore, run_key

if TYPE_CHECKING:
    from hookforge.approval.records import ApprovalStore
    from hookforge.approval.signing import Signer
    from hookforge.metrics.store import MetricsStore
    from hookforge.providers.base import ProviderContext
    from hookforge.runs import RunsRepo
    from hookforge.voice import Speaker

#: presigned links in notifications last 7 days (the SigV4 maximum)
PRESIGN_SECONDS = 7 * 24 * 3600
#: presigned candidate images on the approval page
IMAGE_URL_TTL = 3600
#: where the local approval server serves bucket objects to the page
LOCAL_MEDIA_PREFIX = "/media/"
#: the local engine's signing key file, inside its home
KEY_FILE = "approval-secret"
#: services the local engine's in-process moto cannot stand in for: a clear error instead of a fake answer
LOCAL_UNAVAILABLE = {
    "bedrock-runtime": (
        "nova-reel and bedrock run on Amazon Bedrock, which the local engine never reaches (it uses fake AWS "
        "credentials); deploy the stack with `sam deploy`, or use runway or kenburns locally"
    ),
    "bedrock": (
        "Bedrock models are checked and called only in AWS (the local engine uses fake AWS credentials); "
        "deploy the stack with `sam deploy`, or use runway or kenburns locally"
    ),
    "polly": "Amazon Polly needs real AWS; the local engine speaks voiceovers with espeak-ng instead",
}


# ---------------------------------------------------------------------------------------------- mail
@dataclass(frozen=True)
class Mail:
    """One message. `inline` images are referenced from `html` as `cid:<id>`."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str | None = None
    inline: tuple[tuple[str, bytes], ...] = ()


class Mailer(Protocol):
    def send(self, mail: Mail) -> list[str]:
        """Deliver `mail`; returns the recipients it went to."""
        ...


@dataclass
class SesMailer:
    """Amazon SES from the configured sender (`SendRawEmail` when images travel inline)."""

    client: Callable[[], Any]
    sender: str

    def send(self, mail: Mail) -> list[str]:
        to = list(dict.fromkeys(mail.to))
        if not to:
            logger.warning("no recipients: the message is stored, not sent", extra={"subject": mail.subject[:80]})
            return []
        if mail.inline:
            message = mime(mail, sender=self.sender)
            self.client().send_raw_email(Source=self.sender, Destinations=to, RawMessage={"Data": message.as_bytes()})
            return to
        body: dict[str, Any] = {"Text": {"Data": mail.text}}
        if mail.html is not None:
            body["Html"] = {"Data": mail.html}
        self.client().send_email(
            Source=self.sender,
            Destination={"ToAddresses": to},
            Message={"Subject": {"Data": mail.subject[:200]}, "Body": body},
        )
        return to


class FolderMailer:
    """Locally nothing is sent: every message is already stored in its run folder by the code that wrote it."""

    def send(self, mail: Mail) -> list[str]:
        del mail
        return []


def mime(mail: Mail, *, sender: str) -> EmailMessage:
    """multipart/alternative (text, multipart/related (html, inline JPEGs)) ready for SES SendRawEmail."""
    message = EmailMessage()
    message["Subject"] = mail.subject
    message["From"] = sender
    message["To"] = ", ".join(mail.to)
    message["Date"] = formatdate(usegmt=True)
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
        html_part = message.get_body(preferencelist=("html",))
        assert html_part is not None  # added just above
        for cid, data in mail.inline:
            html_part.add_related(
                data, maintype="image", subtype="jpeg", cid=f"<{cid}>", filename=f"{cid.split('@')[0]}.jpg",
                disposition="inline",
            )  # fmt: skip
    return message


# ---------------------------------------------------------------------------------------------- links
class Links(Protocol):
    def artifact(self, run_id: str, key: str) -> str:
        """A link to a run's artifact from a message stored in (or sent about) that run."""
        ...

    def image(self, key: str) -> str:
        """A URL the reviewer's browser can load an image from."""
        ...


@dataclass
class PresignedLinks:
    """AWS: presigned S3 URLs."""

    store: ArtifactStore

    def artifact(self, run_id: str, key: str) -> str:
        del run_id
        return str(self.store.presign(key, expires=PRESIGN_SECONDS))

    def image(self, key: str) -> str:
        return str(self.store.presign(key, expires=IMAGE_URL_TTL))


@dataclass
class LocalLinks:
    """Locally: paths relative to the run folder (messages open straight from disk) and the approval server's
    media route."""

    base_url: str

    def artifact(self, run_id: str, key: str) -> str:
        return posixpath.relpath(key, run_key(run_id))

    def image(self, key: str) -> str:
        return f"{self.base_url.rstrip('/')}{LOCAL_MEDIA_PREFIX}{quote(key)}"


# ---------------------------------------------------------------------------------------------- secrets
@dataclass
class Secrets:
    """The one secret reader: provider keys and the approval signing key.

    A key set in the environment (settings) wins; in AWS the secret comes from Secrets Manager through Powertools
    parameters (cached 5 minutes); locally a missing key is a ConfigError naming the variable to set.
    """

    settings: Settings
    manager: bool

    def get(self, env_var: str, secret_name: str) -> str:
        value = self.settings.api_keys.get(env_var)
        if value is not None and value.get_secret_value():
            return value.get_secret_value()
        if self.manager:
            secret = self._from_manager(secret_name, hint=f"create it or set {env_var}")
            if secret:
                return secret
        raise ConfigError(
            f"missing API key: set the environment variable {env_var} (or the secret {secret_name!r} in AWS)"
        )

    def signing_key(self) -> bytes:
        """The approval HMAC key: from the settings, else the local key file, else Secrets Manager."""
        s = self.settings
        if s.approval_secret is not None and s.approval_secret.get_secret_value():
            return s.approval_secret.get_secret_value().encode()
        if s.approval_secret_file:
            return Path(s.approval_secret_file).read_text().strip().encode()
        if not self.manager:
            return local_key(Path(s.home))
        value = self._from_manager(s.approval_secret_name, hint="create it or set HOOKFORGE_APPROVAL_SECRET")
        if not value:
            raise ConfigError(f"approval signing secret {s.approval_secret_name!r} is empty")
        return value.encode()

    @staticmethod
    def _from_manager(name: str, *, hint: str) -> str:
        try:
            from aws_lambda_powertools.utilities import parameters

            value = parameters.get_secret(name, max_age=300)
        except Exception as e:  # noqa: BLE001 - any lookup failure becomes one clear ConfigError
            reason = type(e).__name__
            raise ConfigError(f"secret {name!r} could not be read from Secrets Manager ({reason}); {hint}") from e
        return str(value) if value else ""


def local_key(home: Path) -> bytes:
    """The local engine's key: generated once under `home`, readable by the owner only."""
    path = home / KEY_FILE
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token_source.token_urlsafe(48))
    return path.read_text().strip().encode()


# ---------------------------------------------------------------------------------------------- deps
@dataclass
class Deps:
    settings: Settings
    session: Any = None
    clock: Callable[[], float] = time.time
    overrides: dict[str, Any] = field(default_factory=dict)

    @property
    def _local(self) -> bool:
        return self.settings.is_local

    def client(self, service: str) -> Any:
        if service not in self.overrides:
            if self._local and service in LOCAL_UNAVAILABLE:
                raise ConfigError(LOCAL_UNAVAILABLE[service])
            session = self.session or boto_session()
            self.overrides[service] = session.client(service, region_name=self.settings.region)
        return self.overrides[service]

    def resource(self, service: str) -> Any:
        key = f"resource:{service}"
        if key not in self.overrides:
            session = self.session or boto_session()
            self.overrides[key] = session.resource(service, region_name=self.settings.region)
        return self.overrides[key]

    @cached_property
    def store(self) -> ArtifactStore:
        return ArtifactStore(self.client("s3"), self.settings.artifacts_bucket)

    @cached_property
    def runs(self) -> RunsRepo:
        from hookforge.runs import RunsRepo

        return RunsRepo(self.resource("dynamodb"), self.settings.runs_table)

    @cached_property
    def approvals(self) -> ApprovalStore:
        from hookforge.approval.records import ApprovalStore

        return ApprovalStore(self.resource("dynamodb"), self.settings.runs_table)

    @cached_property
    def metrics(self) -> MetricsStore:
        from hookforge.metrics.store import MetricsStore, bulk_writer

        # the day-row writer comes from the resource's own session; a resource injected without one writes itself
        if "bulk:dynamodb" not in self.overrides and "resource:dynamodb" not in self.overrides:
            self.overrides["bulk:dynamodb"] = bulk_writer(self.session or boto_session(), self.settings.region)
        resource = self.resource("dynamodb")
        return MetricsStore(resource, self.settings.metrics_table, writer=self.overrides.get("bulk:dynamodb"))

    @cached_property
    def secrets(self) -> Secrets:
        return Secrets(self.settings, manager=not self._local)

    @cached_property
    def signer(self) -> Signer:
        """Signs approval links and form tokens (key from the settings, the local home, or Secrets Manager)."""
        from hookforge.approval.signing import Signer

        return Signer(self.secrets.signing_key())

    @cached_property
    def mailer(self) -> Mailer:
        """SES in AWS; locally the messages stay in the run folder."""
        if self._local:
            return FolderMailer()
        return SesMailer(lambda: self.client("ses"), self.settings.sender_email)

    @cached_property
    def links(self) -> Links:
        """Presigned URLs in AWS; run-relative paths and the local server's media route locally."""
        if self._local:
            return LocalLinks(self.settings.approval_base_url)
        return PresignedLinks(self.store)

    @cached_property
    def speaker(self) -> Speaker:
        """Who speaks a voiceover: Amazon Polly in AWS; espeak-ng under the local engine (moto has no Polly)."""
        from hookforge.voice import EspeakSpeaker, PollySpeaker

        return EspeakSpeaker() if self._local else PollySpeaker(self.client("polly"))

    @cached_property
    def provider_ctx(self) -> ProviderContext:
        from hookforge.providers.base import ProviderContext

        return ProviderContext(
            settings=self.settings, store=self.store, client_factory=self.client, secret=self.secrets.get
        )

    def with_settings(self, **changes: Any) -> Deps:
        """A Deps on changed settings sharing these clients (the adapters are rebuilt for the new settings)."""
        return Deps(
            settings=self.settings.model_copy(update=changes),
            session=self.session,
            clock=self.clock,
            overrides=self.overrides,
        )

    _current: ClassVar[Deps | None] = None

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

    @classmethod
    @contextmanager
    def use(cls, deps: Deps) -> Iterator[Deps]:
        """Make `deps` the process-wide Deps inside the block (the local engine and servers, tests)."""
        previous, cls._current = cls._current, deps
        try:
            yield deps
        finally:
            cls._current = previous

    @classmethod
    def install(cls, deps: Deps | None) -> Deps | None:
        """Make `deps` the process-wide Deps (the local engine and its approval server, for their lifetime);
        returns the one it replaces, to put back."""
        previous, cls._current = cls._current, deps
        return previous

    @classmethod
    def installed(cls) -> Deps | None:
        """The process-wide Deps if one is set (without building one)."""
        return cls._current


__all__ = [
    "Deps",
    "FolderMailer",
    "LocalLinks",
    "Links",
    "Mail",
    "Mailer",
    "PresignedLinks",
    "Secrets",
    "SesMailer",
    "mime",
]
