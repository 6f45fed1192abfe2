"""Named errors of hookforge.

Every class name is an error name the state machine can `Retry` or `Catch` by `ErrorEquals`
(Lambda reports the exception class name as `errorType`). Each message says what is wrong and
what to do about it; none ever contains a secret or a task token.
"""

from __future__ import annotations


class HookforgeError(Exception):
    """Base of every error hookforge raises on purpose."""

    #: one line a user can act on (shown by the CLI instead of a traceback)
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    @property
    def name(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict[str, str]:
        return {"error": self.name, "message": str(self), "hint": self.hint}


# --- input -----------------------------------------------------------------------------------
class BriefInvalid(HookforgeError):
    """The brief is not valid JSON/YAML or does not match the brief schema."""

    hint = "Fix the brief file and run it again; `hookforge run --help` shows an example."


class ImageInvalid(HookforgeError):
    """An image (generated or uploaded) does not decode, or has the wrong size or format."""

    hint = "Use a PNG, JPEG or WebP image of at least 256x256 pixels."


class VideoInvalid(HookforgeError):
    """A video is empty, truncated, not a video, or outside the supported length."""

    hint = "Use an MP4/MOV/WebM video with a video stream, 1-60 seconds long."


class ConfigError(HookforgeError):
    """The environment or a provider is not configured (e.g. a missing API key)."""


class ProviderNotReady(ConfigError):
    """Preflight: a step's only provider has no key or no model access, so the run stops before any paid call."""

    hint = "Set the key named in the message, or list a fallback provider for that step in the brief."


class ModelRetired(ConfigError):
    """A Bedrock model is LEGACY or past its end of life (GetFoundationModel), so it is not called."""

    hint = "Pick the successor on the Bedrock model card (Model lifecycle page) and set its model id."


class BudgetExceeded(HookforgeError):
    """The next paid call would take the run past the brief's `budget.max_usd`; the message says what was spent."""

    hint = "Raise budget.max_usd, or ask for fewer candidates or a cheaper model."


# --- providers ---------------------------------------------------------------------------------
class ProviderError(HookforgeError):
    """A provider answered with an error that retrying will not fix."""


class ProviderThrottled(ProviderError):
    """The provider asked us to slow down (HTTP 429 or a queue limit). Retried with backoff."""


class ProviderUnavailable(ProviderError):
    """A transient provider failure (5xx, timeout, connection). Retried with backoff."""


class ProviderAuthError(ProviderError):
    """The provider rejected the credentials (HTTP 401/403)."""

    hint = "Check the API key named in the message."


class ContentRejected(ProviderError):
    """The provider's content policy rejected the prompt or image. Never retried."""

    hint = "Change the prompt or image; content-policy rejections are not retried."


class NoCandidates(HookforgeError):
    """Every candidate image failed; the message lists why each one failed."""


# --- selection ---------------------------------------------------------------------------------
class Regenerate(HookforgeError):
    """The reviewer asked for new candidates (with feedback)."""


class Rejected(HookforgeError):
    """The reviewer rejected every candidate; the run ends."""


class SelectionTimedOut(HookforgeError):
    """Nobody chose a candidate before the selection deadline."""


class ApprovalNotFound(HookforgeError):
    """No approval with that id."""


class ApprovalAlreadyDecided(HookforgeError):
    """Somebody already decided this approval."""


class ApprovalExpired(HookforgeError):
    """The approval's deadline has passed."""


class DecisionInvalid(HookforgeError):
    """The posted decision does not make sense for this approval (bad candidate number, no rounds left)."""


class LinkTampered(HookforgeError):
    """The link or form token does not carry a valid signature (altered, truncated or forged)."""

    hint = "Open the link from the selection email again; do not edit it."


class LinkExpired(HookforgeError):
    """The signed link or form token is past its expiry."""


# --- video and effects ---------------------------------------------------------------------------
class VideoFailed(ProviderError):
    """The image-to-video task failed at the provider."""


class VideoSubmitUnconfirmed(ProviderError):
    """A create request was sent but its answer was lost: the task may exist (and bill). Never resubmitted."""

    hint = "Check the provider's dashboard for the task before starting a new run; hookforge will not submit twice."


class VideoTimedOut(HookforgeError):
    """The image-to-video task did not finish before the run's deadline."""


class EffectsFailed(HookforgeError):
    """ffmpeg could not render the effects; the message carries ffmpeg's own reason."""


class EffectsInvalid(HookforgeError):
    """The effects request names an unknown preset or aspect, or an override is out of range."""

    hint = "Run `hookforge presets` for the preset names; overrides use the preset's field names."


class AudioInvalid(HookforgeError):
    """A music file (effects.music) is not audio, is silent, shorter than 1 s or larger than 30 MB."""

    hint = "Use an MP3, M4A, WAV or OGG music file of 1 s or more, at most 30 MB, with audible sound."


class VoiceoverInvalid(HookforgeError):
    """The spoken hook line (effects.voiceover) is too long for its voice or the hook, or names an unknown voice."""

    hint = "Shorten the line, or pick a voice listed by `hookforge voices`."


class VoiceUnavailable(HookforgeError):
    """No speech synthesizer can speak the voiceover here (Amazon Polly in AWS; espeak-ng locally)."""

    hint = "Install espeak-ng (`apt-get install espeak-ng`) for local runs, or drop effects.voiceover."


# --- hook-rate metrics ----------------------------------------------------------------------------
class ReportInvalid(HookforgeError, ValueError):
    """An ad-platform report or metrics batch cannot be read as a whole (not CSV/JSON, no header, wrong shape).

    Rows that are wrong on their own are never this error: they are listed in the import report.
    """

    hint = 'Export a Meta or TikTok Ads Manager CSV (breakdown by day) or POST {"platform": ..., "rows": [...]}.'


class MetricsWriteConflict(HookforgeError):
    """Another import held the same hook totals too long, or our lease on them expired; nothing was guessed."""

    hint = "Run the import again; it is idempotent."


class AdTokenExpired(ProviderAuthError):
    """An ad platform refused its access token (Meta code 190/102/104, TikTok 40104/40105): expired, revoked or
    missing. The message names the platform and how to renew; it never contains the token."""

    hint = "Renew the token (see the message) and run `hookforge metrics sync` again; nothing was written."


# --- uploads (StartRun) ----------------------------------------------------------------------------
class UploadRejected(HookforgeError):
    """An upload that cannot start a run (wrong place, wrong format, too big, or no brief beside it)."""


# --- local approval server ---------------------------------------------------------------------------
class RequestBodyRefused(HookforgeError):
    """A request whose Content-Length the local approval server will not read (missing on a POST, not a plain
    number of bytes, or over the cap); `status` is the HTTP answer (411, 400 or 413) and the body stays unread."""

    hint = "Send the page's form as the browser does: one Content-Length of at most 64 KB."

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# --- local runs: the service and its commands ----------------------------------------------------
class RunNotFound(HookforgeError):
    """No run of that id in this home (or stack)."""

    hint = "`hookforge runs` lists the runs this home knows."


class RunNotResumable(HookforgeError):
    """The run finished, failed for good, or is still going: there is nothing to resume."""

    hint = "`hookforge runs` shows each run's state; start a new run with `hookforge run BRIEF`."


class RunNotWaiting(HookforgeError):
    """`approve` on a run that is not waiting for a pick."""

    hint = "`hookforge runs` shows which runs wait for a pick."


class ServiceUnavailable(HookforgeError):
    """The local service did not start or stopped answering."""

    hint = "See <home>/logs/service.log; `hookforge stop` and try again."
