"""Pydantic models: the brief, and the input and output of every step of the state machine.

Handlers validate their event into one of these on the way in and `model_dump(mode="json")` on the
way out, so the state machine only ever carries data these models accept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hookforge.registry import IMAGE_GENERATORS, INSPIRATION_SOURCES, VIDEO_GENERATORS
from hookforge.suggest import closest

Aspect = Literal["9:16", "1:1", "4:5", "16:9"]
ASPECTS: tuple[str, ...] = ("9:16", "1:1", "4:5", "16:9")

# every validation regex is used with fullmatch: `$` would also match before a trailing newline
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")

_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")
#: candidate stills: WIDTHxHEIGHT in ASCII digits (`\d` would take any Unicode digit), each side at most this
_SIZE = re.compile(r"([0-9]{3,4})x([0-9]{3,4})", re.ASCII)
MAX_IMAGE_SIDE = 4096


def is_brief_name(value: str) -> bool:
    """Whether `value` is a brief's `name` (a slug: it prefixes keys and the ad name)."""
    return _SLUG.fullmatch(value) is not None



class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, defer_build=True)


def _known(kind: str, value: str, known: Mapping[str, object]) -> str:
    if value not in known:
        near = closest(value, list(known))
        hint = f" (did you mean {near!r}?)" if near else ""
        raise ValueError(f"unknown {kind} {value!r}{hint}; choose one of: {', '.join(sorted(known))}")
    return value


# --------------------------------------------------------------------------------------------- brief
class InspirationSpec(_Model):
    """Where prompts come from (step 1 of the workflow)."""

    sources: list[str] = Field(default_factory=lambda: ["catalog"], min_length=1)
    query: str = Field(default="", max_length=200)
    count: int = Field(default=4, ge=1, le=20)

    @field_validator("sources")
    @classmethod
    def _sources_known(cls, v: list[str]) -> list[str]:
        return [_known("inspiration source", s, INSPIRATION_SOURCES) for s in v]


class ImagesSpec(_Model):
    """How candidate stills are made (step 2)."""

    provider: str = "placeholder"
    model: str | None = Field(default=None, max_length=100)
    count: int = Field(default=4, ge=1, le=8)
    size: str = Field(default="1024x1024", description="WIDTHxHEIGHT, e.g. 1024x1024")

    @field_validator("size")
    @classmethod
    def _size_bounded(cls, v: str) -> str:
        """Refused here, not after every still is made: each side 100..4096, the area within MAX_IMAGE_PIXELS."""
        from hookforge.media import MAX_IMAGE_PIXELS

        m = _SIZE.fullmatch(v)
        if not m:
            raise ValueError(f"images.size {v!r} must be WIDTHxHEIGHT with 3-4 digits each, e.g. 1024x1024")
        width, height = int(m[1]), int(m[2])
        if width > MAX_IMAGE_SIDE or height > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS:
            raise ValueError(
                f"images.size {v} is over the limit: each side at most {MAX_IMAGE_SIDE} and at most "
                f"{MAX_IMAGE_PIXELS:,} pixels in all"
            )
        return v

    @field_validator("provider")
    @classmethod
    def _provider_known(cls, v: str) -> str:
        return _known("image provider", v, IMAGE_GENERATORS)


class VideoSpec(_Model):
    """How the picked still becomes a clip (step 4). `providers` is a fallback chain."""

    providers: list[str] = Field(default_factory=lambda: ["kenburns"], min_length=1, max_length=4)
    model: str | None = Field(default=None, max_length=100)
    duration: int = Field(default=5, ge=2, le=10)
    ratio: Aspect = "9:16"
    motion_prompt: str = Field(default="slow cinematic push-in, subtle parallax", max_length=1000)
    deadline_minutes: int = Field(default=30, ge=1, le=240)
    #: ask a video model that can for generated sound (kept through effects); Runway: e.g. veo3.1
    audio: bool = False

    @field_validator("providers")
    @classmethod
    def _providers_known(cls, v: list[str]) -> list[str]:
        return [_known("video provider", p, VIDEO_GENERATORS) for p in v]

    @model_validator(mode="after")
    def _runway_accepts(self) -> VideoSpec:
        """Runway's model, ratio and duration are checked here, so a bad brief fails before anything is made."""
        if "runway" in self.providers:
            from hookforge.errors import BriefInvalid
            from hookforge.providers.runway_models import nearest_duration, resolve

            first = self.providers[0] == "runway"
            model = self.model if first else None
            try:
                spec, _ = resolve(model, self.ratio, self.duration if "duration" in self.model_fields_set else None)
            except BriefInvalid as e:
                raise ValueError(str(e)) from e
            if "duration" not in self.model_fields_set and self.duration not in spec.durations:
                # the default length is mapped to what the model offers; a length the brief names is not
                self.duration = nearest_duration(spec, self.duration)
            try:
                resolve(model, self.ratio, self.duration, audio=self.audio and first)
            except BriefInvalid as e:
                raise ValueError(str(e)) from e
        return self


_MUSIC_KEY = re.compile(r"(audio/)?[A-Za-z0-9][A-Za-z0-9 ._()-]{0,150}\.(mp3|m4a|aac|wav|ogg|oga|flac|opus)", re.I)


class VoiceoverSpec(_Model):
    """A spoken hook line: Amazon Polly neural voices in AWS, espeak-ng locally (same voice names)."""

    #: what is said (default: the hook text)
    text: str | None = Field(default=None, max_length=3000)
    voice: str = "Joanna"


class EffectsSpec(_Model):
    """How the clip is polished, framed, voiced and scored (step 5)."""

    preset: str = "punchy"
    aspects: list[Aspect] = Field(default_factory=lambda: list[Aspect](["9:16"]), min_length=1, max_length=4)
    text: str | None = Field(default=None, max_length=120)
    #: burn the text in as timed captions (ASS) instead of a hook title; None = the preset decides
    captions: bool | None = None
    overrides: dict[str, Any] = Field(default_factory=dict)
    #: "none": hooks without an audio track
    audio: Literal["auto", "none"] = "auto"
    #: a music file in the bucket under audio/ (a bare file name means audio/<name>; locally a path is copied there)
    music: str | None = Field(default=None, max_length=160)
    voiceover: VoiceoverSpec | None = None
    #: where the subject is, as fractions of the frame [x, y]; default: found in the clip's first frame
    focus: tuple[float, float] | None = None
    #: the second the poster shows (default: frame 0, the feed thumbnail)
    poster_at: float | None = Field(default=None, ge=0, le=60)
    #: the placements whose safe zones the text keeps clear of (default: every placement of each aspect)
    placements: list[str] | None = Field(default=None, min_length=1, max_length=8)

    @field_validator("preset")
    @classmethod
    def _preset_known(cls, v: str) -> str:
        from hookforge.effects.presets import PRESETS

        return _known("effects preset", v, PRESETS)

    @field_validator("aspects")
    @classmethod
    def _unique_aspects(cls, v: list[str]) -> list[str]:
        return list(dict.fromkeys(v))

    @field_validator("music")
    @classmethod
    def _music_key(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not _MUSIC_KEY.fullmatch(v) or ".." in v:
            raise ValueError(
                f"{v!r} is not a music file name: upload an MP3, M4A, WAV, OGG, FLAC or Opus file to audio/ in the "
                "bucket and give its key (e.g. 'audio/drop.mp3'); locally a path to the file also works"
            )
        return v if v.startswith("audio/") else f"audio/{v}"

    @field_validator("focus", mode="before")
    @classmethod
    def _focus_inside(cls, v: Any) -> Any:
        from hookforge.effects.focus import focus_from_point
        from hookforge.errors import EffectsInvalid

        if v is None:
            return v
        if not isinstance(v, list | tuple) or len(v) != 2:
            raise ValueError("give the subject as [x, y], fractions of the frame from the top left, e.g. [0.5, 0.4]")
        try:
            focus_from_point(float(v[0]), float(v[1]))
        except (TypeError, ValueError) as e:
            raise ValueError("give the subject as [x, y]: two numbers, each from 0 to 1, e.g. [0.5, 0.4]") from e
        except EffectsInvalid as e:
            raise ValueError(str(e)) from e
        return v

    @field_validator("placements")
    @classmethod
    def _placements_known(cls, v: list[str] | None) -> list[str] | None:
        from hookforge.effects.safezones import PLACEMENTS

        for key in v or []:
            _known("placement", key, {k: p.label for k, p in PLACEMENTS.items()})
        return v

    @model_validator(mode="after")
    def _preset_and_overrides_valid(self) -> EffectsSpec:
        from hookforge.effects.presets import resolve_look  # the effects package imports no models
        from hookforge.errors import EffectsInvalid, VoiceoverInvalid
        from hookforge.voice import check_voiceover

        try:
            resolve_look(self.preset, self.overrides)
        except EffectsInvalid as e:
            raise ValueError(str(e)) from e
        if self.voiceover is not None:
            if self.audio == "none":
                raise ValueError("a voiceover needs sound: drop effects.voiceover or set effects.audio to 'auto'")
            line = self.voiceover.text or self.text
            if not line:
                raise ValueError("effects.voiceover has nothing to say: give voiceover.text or effects.text")
            try:
                check_voiceover(line, self.voiceover.voice)
            except VoiceoverInvalid as e:
                raise ValueError(str(e)) from e
        return self

    @property
    def spoken_line(self) -> str | None:
        """What the voiceover says, if there is one."""
        return (self.voiceover.text or self.text) if self.voiceover is not None else None


class SelectionSpec(_Model):
    """Who picks the candidate (step 3) and for how long the run waits."""

    reviewers: list[str] = Field(default_factory=list, max_length=20)
    timeout_hours: float = Field(default=72, gt=0, le=24 * 365)
    max_rounds: int = Field(default=2, ge=0, le=5)
    #: derived from timeout_hours (the state machine's TimeoutSecondsPath reads it); never set by hand
    timeout_seconds: int = 0

    @model_validator(mode="after")
    def _derive_timeout_seconds(self) -> SelectionSpec:
        self.timeout_seconds = max(1, int(self.timeout_hours * 3600))
        return self

    @field_validator("reviewers")
    @classmethod
    def _emails(cls, v: list[str]) -> list[str]:
        for address in v:
            if not _EMAIL.fullmatch(address):
                raise ValueError(f"{address!r} is not an email address")
        return v


class BudgetSpec(_Model):
    """The most a run may spend on paid calls (USD); checked by preflight and before every paid call."""

    max_usd: float = Field(gt=0, le=10_000)


#: Graph object ids (ad sets, Pages) are decimal digits
_GRAPH_ID = re.compile(r"[0-9]{1,32}", re.ASCII)
_HTTPS_URL = re.compile(r"https://[^\s<>\"']{3,2000}")
#: the aspects Meta's placements take from a hook (9:16 for Stories and Reels; 4:5, else 1:1, for Feed)
LAUNCH_ASPECTS: tuple[str, ...] = ("9:16", "4:5", "1:1")


def _graph_id(what: str, v: object, example: str) -> object:
    """Ids are written as quoted digits: a JSON number that long may lose digits on its way to the brief."""
    if isinstance(v, bool) or not isinstance(v, str):
        raise ValueError(f'give the {what} id as a string of digits in quotes, e.g. "{example}", not {v!r}')
    if not _GRAPH_ID.fullmatch(v):
        raise ValueError(f"{v!r} is not a Meta {what} id: Meta ids are digits only (copy it from Ads Manager)")
    return v


class MetaLaunchSpec(_Model):
    """Where the finished hook goes on Meta. The ad is always created PAUSED: nothing here can switch spend on."""

    #: the ad set the ad goes into (its budget, schedule and audience stay as they are)
    adset_id: str
    #: the Facebook Page the ad runs as (default: the Page the ad set promotes)
    page_id: str | None = None
    #: the ad's primary text
    message: str = Field(default="", max_length=2000)
    #: destination URL (adds a Learn more button)
    link: str | None = Field(default=None, max_length=2000)

    @field_validator("adset_id", mode="before")
    @classmethod
    def _adset_digits(cls, v: object) -> object:
        return _graph_id("ad set", v, "23850000000000001")

    @field_validator("page_id", mode="before")
    @classmethod
    def _page_digits(cls, v: object) -> object:
        return v if v is None else _graph_id("Page", v, "100000000000001")

    @field_validator("link")
    @classmethod
    def _https_link(cls, v: str | None) -> str | None:
        if v is not None and not _HTTPS_URL.fullmatch(v):
            raise ValueError(f"{v!r} is not an https:// link (the ad's destination must be a full https URL)")
        return v


class LaunchSpec(_Model):
    """Opt-in: launch the finished hook as a PAUSED ad once the run is done (state LaunchPausedAd)."""

    meta: MetaLaunchSpec

    @model_validator(mode="before")
    @classmethod
    def _no_tiktok(cls, data: Any) -> Any:
        if isinstance(data, dict) and "tiktok" in data:
            raise ValueError(
                "TikTok launches are not automated (its upload API needs an audited app): drop launch.tiktok, "
                "upload the 9:16 hook in TikTok Ads Manager with the hook id in the ad name; the daily sync finds it"
            )
        return data


class Brief(_Model):
    """What a marketer asks for: one hook, from idea to ad-ready renders."""

    name: str = Field(description="slug naming the brief, e.g. 'summer-sneakers'")
    idea: str = Field(default="", max_length=500, description="the ad idea in a sentence")
    prompt: str | None = Field(default=None, max_length=2000, description="use this prompt, skip inspiration")
    owner: str | None = None
    uploads: list[str] = Field(default_factory=list, max_length=8, description="image keys under uploads/<name>/")
    inspiration: InspirationSpec = Field(default_factory=InspirationSpec)
    images: ImagesSpec = Field(default_factory=ImagesSpec)
    video: VideoSpec = Field(default_factory=VideoSpec)
    effects: EffectsSpec = Field(default_factory=EffectsSpec)
    selection: SelectionSpec = Field(default_factory=SelectionSpec)
    tags: list[str] = Field(default_factory=list, max_length=20)
    budget: BudgetSpec | None = None
    #: launch the finished hook as a PAUSED ad (None: the run ends with the hook, as always)
    launch: LaunchSpec | None = None

    @field_validator("name")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not is_brief_name(v):
            raise ValueError("must be a slug: lowercase letters, digits and '-', at most 63 characters")
        return v

    @field_validator("owner")
    @classmethod
    def _owner_email(cls, v: str | None) -> str | None:
        if v is not None and not _EMAIL.fullmatch(v):
            raise ValueError(f"{v!r} is not an email address")
        return v

    @field_validator("uploads")
    @classmethod
    def _upload_keys(cls, v: list[str]) -> list[str]:
        for key in v:
            parts = key.split("/")
            if key.startswith("/") or ".." in parts or any(not p for p in parts) or "\\" in key:
                raise ValueError(f"{key!r} is not a safe relative object key")
        return v

    @model_validator(mode="after")
    def _uploads_use_upload_provider(self) -> Brief:
        if self.uploads and self.images.provider != "upload":
            self.images.provider = "upload"
        return self

    @model_validator(mode="after")
    def _hook_can_last_video_duration(self) -> Brief:
        """The hook lasts video.duration: a preset that cannot render it that long fails here, before anything is
        paid for, instead of as a shorter hook with a note at the end."""
        from hookforge.effects.presets import resolve_look

        seconds = self.video.duration
        longest = resolve_look(self.effects.preset, self.effects.overrides).output.max_duration
        if seconds > longest:
            raise ValueError(
                f"video.duration is {seconds}s but the {self.effects.preset!r} preset renders hooks of at most "
                f"{longest:g}s: set video.duration to {int(longest)} or less, or raise "
                "effects.overrides.output.max_duration"
            )
        return self

    @model_validator(mode="after")
    def _launch_has_a_placement_video(self) -> Brief:
        """Meta's placements take 9:16, 4:5 or 1:1: a launch without one of them fails here, not after the render."""
        if self.launch is not None and not set(self.effects.aspects) & set(LAUNCH_ASPECTS):
            raise ValueError(
                f"launch.meta needs a 9:16, 4:5 or 1:1 hook, but effects.aspects is {self.effects.aspects}: add "
                '"9:16" (Stories and Reels) and "4:5" (Feed) to effects.aspects'
            )
        return self

    @property
    def brings_images(self) -> bool:
        return bool(self.uploads)


# ------------------------------------------------------------------------------------ step payloads
class ImageJob(_Model):
    index: int = Field(ge=0)
    provider: str
    upload_key: str | None = None


class StepError(BaseModel):
    """The `{Error, Cause}` object Step Functions puts at a Catch's ResultPath."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    error: str = Field(alias="Error")
    cause: str = Field(default="", alias="Cause")

    @field_validator("cause", mode="before")
    @classmethod
    def _no_cause(cls, v: object) -> object:
        # a task failure may carry no cause (moto's SendTaskFailure passes null); an empty one reads the same
        return "" if v is None else v

    def message(self) -> str:
        """The human message inside a Lambda error cause (JSON with errorMessage), else the cause."""
        import json

        try:
            payload = json.loads(self.cause)
        except ValueError:
            return self.cause
        if isinstance(payload, dict):
            return str(payload.get("errorMessage", self.cause))
        return self.cause


class ValidateBriefInput(_Model):
    run_id: str
    brief_key: str


class RunState(_Model):
    """The state the pipeline carries after ValidateBrief."""

    run_id: str
    brief: Brief
    jobs: list[ImageJob]
    has_images: bool
    round: int = 0
    feedback: str = ""


class PromptIdea(_Model):
    text: str
    source: str
    url: str | None = None
    image_url: str | None = None
    model: str | None = None
    seed: int | str | None = None
    width: int | None = None
    height: int | None = None
    score: float = 0.0
    preset: str | None = None
    #: a proven prompt whose subject was replaced by the brief's product (its style kept): the original
    borrowed_from: str | None = None


class FetchInspirationInput(_Model):
    run_id: str
    brief: Brief


class Inspiration(_Model):
    prompts: list[PromptIdea]
    key: str


class Candidate(_Model):
    index: int
    key: str
    prompt: str
    provider: str
    model: str | None = None
    seed: int | None = None
    width: int
    height: int
    cost_usd: float = 0.0
    placeholder: bool = False


class GenerateImageInput(_Model):
    run_id: str
    brief: Brief
    job: ImageJob
    inspiration: Inspiration | None = None
    round: int = 0
    feedback: str = ""


class GeneratedCandidate(BaseModel):
    """One Map iteration's result: a candidate, or the error that stopped it."""

    model_config = ConfigDict(extra="ignore")
    ok: bool
    index: int
    candidate: Candidate | None = None
    error: StepError | None = None


class RequestSelectionInput(_Model):
    run_id: str
    brief: Brief
    generated: list[GeneratedCandidate]
    round: int = 0
    #: the reviewer feedback these candidates were generated with ("" in round 0)
    feedback: str = ""
    task_token: str = Field(repr=False)


class SelectionRequest(_Model):
    """What RequestSelection stored and sent (never the task token)."""

    approval_id: str
    candidates: list[Candidate]
    link: str
    expires_at: int


class Selection(_Model):
    """The reviewer's decision, sent back through SendTaskSuccess."""

    candidate: Candidate
    motion_prompt: str = Field(max_length=1000)
    decided_by: str = "reviewer"


class SubmitVideoInput(_Model):
    run_id: str
    brief: Brief
    selection: Selection
    attempt: int = 0


class VideoJob(_Model):
    """An image-to-video task in flight, carried between SubmitVideo, the Wait and PollVideo."""

    provider: str
    task_id: str
    model: str | None = None
    ratio: str
    duration: int
    status: Literal["PENDING", "THROTTLED", "RUNNING", "SUCCEEDED"] = "PENDING"
    wait_seconds: int = Field(default=5, ge=0)
    submitted_at: float
    deadline: float
    polls: int = 0
    progress: float | None = None
    raw_key: str | None = None
    credits: float | None = None
    fallbacks: list[str] = Field(default_factory=list)
    #: which submission this is (one runs-table item VIDEO#<attempt> each) and which provider of the chain
    attempt: int = Field(default=0, ge=0)
    provider_index: int = Field(default=0, ge=0)
    #: resubmissions of this provider after an INTERNAL.* failure (at most one)
    resubmits: int = Field(default=0, ge=0)
    #: the adaptive poller's memory: expected run time, last time seen queued, time of the progress reading
    expected_seconds: float = Field(default=0.0, ge=0)
    started_after: float | None = None
    progress_at: float | None = None
    throttled_since: float | None = None
    cost_usd: float | None = None


class PollVideoInput(_Model):
    run_id: str
    brief: Brief
    selection: Selection
    video: VideoJob


class ApplyEffectsInput(_Model):
    run_id: str
    brief: Brief
    video: VideoJob


class HookRender(_Model):
    preset: str
    outputs: dict[str, str]
    poster_key: str
    preview_key: str
    duration: float
    #: what the hook sounds like ("drive bed + impact at 0.00s", "clip sound", "none")
    sound: str = "none"
    #: the subject the crops and zoom keep, as fractions of the frame, and where it came from
    focus: list[float] = Field(default_factory=list)
    focus_source: str = ""
    #: what differs from the brief, and why
    notes: list[str] = Field(default_factory=list)


class RegisterHookInput(_Model):
    run_id: str
    brief: Brief
    selection: Selection
    video: VideoJob
    render: HookRender


class HookRecord(_Model):
    hook_id: str
    run_id: str
    outputs: dict[str, str]


class NotifyDoneInput(_Model):
    run_id: str
    brief: Brief
    hook: HookRecord
    render: HookRender


class Notification(_Model):
    sent_to: list[str]
    message_key: str


class LaunchHookInput(_Model):
    run_id: str
    brief: Brief
    hook: HookRecord


class LaunchedAd(_Model):
    """What LaunchPausedAd made: one Meta ad, PAUSED (its ids are also recorded on the hook and the run)."""

    platform: Literal["meta"] = "meta"
    #: the only status hookforge ever gives an ad
    status: Literal["PAUSED"] = "PAUSED"
    ad_id: str
    ad_name: str
    adset_id: str
    creative_id: str
    #: aspect -> Meta video id
    video_ids: dict[str, str] = Field(default_factory=dict)
    image_hash: str = ""
    #: placement -> the aspect it shows ("stories": "9:16", "feed": "4:5"; "all" for a one-video creative)
    placements: dict[str, str] = Field(default_factory=dict)


class RecordFailureInput(BaseModel):
    """The whole state at the moment of failure, plus the caught error."""

    model_config = ConfigDict(extra="allow")
    run_id: str
    error: StepError


class FailureRecord(_Model):
    run_id: str
    error: str
    message: str
    failed_state: str
    artifacts: list[str]
    failure_key: str
