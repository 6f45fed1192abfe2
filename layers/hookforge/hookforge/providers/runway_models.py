"""Runway's image-to-video roster, read from the installed `runwayml` SDK, and `resolve`, which checks a request.

The roster is not a table kept by hand: `runwayml.types.image_to_video_create_params.ImageToVideoCreateParams`
is a Union of one TypedDict per model whose `model`, `ratio` and `duration` are Literal types (a model without
a `ratio` follows its first frame; an `int` duration carries its range in the field's docstring) and whose keys
say which options it has (`audio`). So upgrading the SDK brings Runway's new models, ratios and durations.

Only the credit rates are ours (Runway's request types carry no prices): they are *estimates* for the plan and
the budget, labelled as such; what a task really cost is read from its answer (`estimatedCost`, then `cost`).

It lives apart from `runway.py` because two callers need it without the provider: `models.py` validates a
brief's Runway settings (and `providers/base` imports `models`, so going through `runway.py` made a cycle),
and the test suite's simulated Runway validates requests against the same roster instead of repeating it.
So this module imports nothing from `providers/base` or `models`: only `hookforge.errors`.
"""

from __future__ import annotations

import ast
import inspect
import re
import typing
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import Any, Literal, get_args, get_origin, get_type_hints

from hookforge.errors import BriefInvalid

#: Runway's limit on promptText (UTF-16 code units)
PROMPT_LIMIT = 1000
#: durations of a model whose `int` duration states no range (Runway's usual 2-10 s)
FALLBACK_DURATIONS = tuple(range(2, 11))
#: credit rates we know (credits per second of output; with sound where the model makes it). Estimates for the
#: plan and the budget only - Runway's answer (`estimatedCost`/`cost`) is what gets recorded as spent.
#: Source: Runway API pricing page (docs.dev.runwayml.com/guides/pricing), checked 2026-12.
CREDIT_RATES: dict[str, tuple[float, float]] = {
    "gen4_turbo": (5, 5),
    "gen4.5": (12, 12),
    "veo3.1": (20, 40),
    "veo3.1_fast": (10, 15),
}
#: a model we hold no rate for is estimated at this (high on purpose: a budget check must not under-count)
UNKNOWN_CREDIT_RATE = 40.0
#: brief aspect -> the still's frame when the model's ratio is not a pixel size (or follows the first frame)
ASPECT_FRAMES = {
    "16:9": "1280:720",
    "9:16": "720:1280",
    "1:1": "960:960",
    "4:5": "832:1040",
    "4:3": "1104:832",
    "3:4": "832:1104",
    "21:9": "1584:672",
}
#: kept for callers of the old table: brief aspect -> gen4's ratio
ASPECT_RATIOS = {**ASPECT_FRAMES, "4:5": "832:1104"}
#: how far a model's ratio may stray from the brief's aspect and still be used (4:5 -> 3:4 is 6.3 % off)
RATIO_TOLERANCE = 0.07
#: the pixel count we prefer among several ratios of the same shape (720p: the cheapest tier that reads well)
PREFERRED_PIXELS = 1280 * 720

_RANGE = re.compile(r"(?:from|between)\s+(\d+)\s+(?:to|and)\s+(\d+)", re.I)


@dataclass(frozen=True)
class RunwayModel:
    """What one Runway image-to-video model accepts (from the SDK) and what we estimate it costs."""

    name: str
    #: the `ratio` values it accepts; empty: it has no ratio and follows the first frame
    ratios: tuple[str, ...]
    durations: tuple[int, ...]
    #: it can generate sound (`audio: true`)
    audio: bool = False
    #: it refuses a request without promptText
    prompt_required: bool = False
    options: tuple[str, ...] = ()

    @property
    def min_duration(self) -> int:
        return min(self.durations)

    @property
    def max_duration(self) -> int:
        return max(self.durations)

    @property
    def credits_per_second(self) -> float:
        return CREDIT_RATES.get(self.name, (UNKNOWN_CREDIT_RATE, UNKNOWN_CREDIT_RATE))[0]

    def credits(self, duration: int, *, audio: bool = False) -> float:
        """Estimated credits (see CREDIT_RATES); the task's own answer replaces it."""
        silent, sound = CREDIT_RATES.get(self.name, (UNKNOWN_CREDIT_RATE, UNKNOWN_CREDIT_RATE))
        return (sound if audio and self.audio else silent) * duration

    def expected_seconds(self, duration: int) -> float:
        """Typical wall-clock generation time (seconds): the adaptive poller's first guess."""
        base, per_second = (20, 8) if self.name == "gen4_turbo" else (40, 12)
        return base + per_second * duration


def _literal_values(hint: Any) -> tuple[Any, ...]:
    """The values of a Literal, or of the Literals inside a Union (`int | Literal['auto']` -> ('auto',))."""
    if get_origin(hint) is Literal:
        return get_args(hint)
    if get_origin(hint) is typing.Union:
        return tuple(v for arg in get_args(hint) for v in _literal_values(arg))
    return ()


def _field_docs(module: ModuleType) -> dict[tuple[str, str], str]:
    """(TypedDict name, field) -> the docstring under the field (where the SDK states an int's range)."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return {}
    docs: dict[tuple[str, str], str] = {}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        body = cls.body
        for field, doc in zip(body, body[1:], strict=False):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)
            ):
                docs[(cls.name, field.target.id)] = doc.value.value
    return docs


def _durations(hint: Any, doc: str) -> tuple[int, ...]:
    listed = tuple(v for v in _literal_values(hint) if isinstance(v, int) and not isinstance(v, bool))
    if listed:
        return tuple(sorted(listed))
    m = _RANGE.search(" ".join(doc.split()))
    if m:
        low, high = int(m[1]), int(m[2])
        if 0 < low <= high <= 60:
            return tuple(range(low, high + 1))
    return FALLBACK_DURATIONS


def roster_from(module: ModuleType) -> dict[str, RunwayModel]:
    """Every image-to-video model of an SDK's `image_to_video_create_params` module, by model name."""
    union = module.ImageToVideoCreateParams
    members = get_args(union) or (union,)
    docs = _field_docs(module)
    roster: dict[str, RunwayModel] = {}
    for td in members:
        hints = get_type_hints(td, include_extras=True)
        plain = get_type_hints(td)
        names = _literal_values(plain.get("model"))
        if not names:
            continue
        prompt = hints.get("prompt_text")
        for name in names:
            roster[str(name)] = RunwayModel(
                name=str(name),
                ratios=tuple(str(r) for r in _literal_values(plain.get("ratio"))),
                durations=_durations(plain.get("duration"), docs.get((td.__name__, "duration"), "")),
                audio="audio" in plain,
                prompt_required=prompt is not None and get_origin(prompt) is typing.Required,
                options=tuple(sorted(set(plain) - {"model", "prompt_image", "prompt_text", "ratio", "duration"})),
            )
    return roster


@lru_cache(maxsize=1)
def roster() -> dict[str, RunwayModel]:
    """The installed SDK's roster (read once per process)."""
    from runwayml.types import image_to_video_create_params

    return roster_from(image_to_video_create_params)


MODELS: dict[str, RunwayModel] = roster()
DEFAULT_MODEL = "gen4_turbo" if "gen4_turbo" in MODELS else next(iter(MODELS))


def _shape(ratio: str) -> tuple[int, int] | None:
    w, _, h = ratio.partition(":")
    return (int(w), int(h)) if w.isdigit() and h.isdigit() and int(h) else None


def _pick_ratio(spec: RunwayModel, aspect: str) -> str | None:
    """The model's ratio for a brief aspect (exact shape first, then the nearest within RATIO_TOLERANCE)."""
    if aspect in spec.ratios:
        return aspect
    target = _shape(aspect) if aspect in ASPECT_FRAMES else None
    if target is None:  # only a brief aspect is mapped; any other ratio must be one the model lists
        return None
    want = target[0] / target[1]
    scored = []
    for ratio in spec.ratios:
        shape = _shape(ratio)
        if shape is None:
            continue
        off = abs(shape[0] / shape[1] - want) / want
        if off <= RATIO_TOLERANCE:
            scored.append((round(off, 2), abs(shape[0] * shape[1] - PREFERRED_PIXELS), ratio))
    return min(scored)[2] if scored else None


def _follows_image(spec: RunwayModel) -> str | None | bool:
    """For a model without pixel ratios: the ratio to send (an `auto_*` tier), None to send none; False otherwise."""
    if not spec.ratios:
        return None
    autos = [r for r in spec.ratios if r.startswith("auto")]
    if autos and not any(_shape(r) for r in spec.ratios):
        return "auto_720p" if "auto_720p" in autos else autos[0]
    return False


def crop_frame(spec: RunwayModel, ratio: str | None, aspect: str) -> str:
    """The W:H pixel frame the still is cropped to before upload (the model's ratio when it is a pixel size)."""
    shape = _shape(ratio) if ratio else None
    if shape is not None and shape[0] * shape[1] >= 200_000:
        return f"{shape[0]}:{shape[1]}"
    return ASPECT_FRAMES.get(aspect, ASPECT_FRAMES["9:16"])


def nearest_duration(spec: RunwayModel, duration: int) -> int:
    """The model's duration closest to `duration` (the longer one on a tie)."""
    return min(spec.durations, key=lambda d: (abs(d - duration), -d))


def resolve(
    model: str | None, ratio: str, duration: int | None, *, audio: bool = False
) -> tuple[RunwayModel, str | None]:
    """The model and the `ratio` to send (None: the model follows the first frame); BriefInvalid naming the
    field and the allowed values otherwise. A `duration` of None is not checked (the caller maps it)."""
    name = model or DEFAULT_MODEL
    spec = MODELS.get(name)
    if spec is None:
        names = [DEFAULT_MODEL, *(n for n in MODELS if n != DEFAULT_MODEL)]  # the default first, then the SDK's order
        raise BriefInvalid(f"video.model: Runway has no model {name!r}; choose one of: {', '.join(names)}")
    follows = _follows_image(spec)
    if follows is False:
        runway_ratio = _pick_ratio(spec, ratio)
        if runway_ratio is None:
            aspects = sorted(a for a in ASPECT_FRAMES if _pick_ratio(spec, a))
            raise BriefInvalid(
                f"video.ratio: {ratio!r} is not available on {name}; use an aspect ({', '.join(aspects) or 'none'}) "
                f"or a ratio ({', '.join(spec.ratios)})"
            )
    else:
        runway_ratio = follows if isinstance(follows, str) else None
    if duration is not None and duration not in spec.durations:
        allowed = spec.durations
        contiguous = allowed == tuple(range(allowed[0], allowed[-1] + 1)) and len(allowed) > 2
        listed = f"{allowed[0]} to {allowed[-1]}" if contiguous else ", ".join(str(d) for d in allowed)
        raise BriefInvalid(f"video.duration: {duration}s is not available on {name}; use {listed} seconds")
    if audio and not spec.audio:
        with_sound = sorted(n for n, s in MODELS.items() if s.audio)
        raise BriefInvalid(
            f"video.audio: {name} makes no sound; drop video.audio or choose a model with sound: "
            f"{', '.join(with_sound)}"
        )
    return spec, runway_ratio
