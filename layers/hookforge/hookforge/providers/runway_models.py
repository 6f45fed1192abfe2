"""Runway's model catalogue: what each image-to-video model accepts and costs, and `resolve`, which checks a request.

It lives apart from `runway.py` because two callers need it without the provider: `models.py` validates a
brief's Runway settings (and `providers/base` imports `models`, so going through `runway.py` made a cycle),
and the test suite's simulated Runway validates requests against the same tables instead of repeating them.
So this module imports nothing from `providers/base` or `models`: only `hookforge.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass

from hookforge.errors import BriefInvalid

#: Runway's limit on promptText (UTF-16 code units)
PROMPT_LIMIT = 1000


@dataclass(frozen=True)
class RunwayModel:
    """What one Runway image-to-video model accepts, costs and usually takes."""

    name: str
    ratios: tuple[str, ...]
    min_duration: int
    max_duration: int
    credits_per_second: float
    #: typical wall-clock generation time: base + per_output_second x duration (seconds)
    base_seconds: float
    per_output_second: float

    def expected_seconds(self, duration: int) -> float:
        return self.base_seconds + self.per_output_second * duration

    def credits(self, duration: int) -> float:
        return self.credits_per_second * duration


_GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
MODELS: dict[str, RunwayModel] = {
    "gen4_turbo": RunwayModel("gen4_turbo", _GEN4_RATIOS, 2, 10, 5, base_seconds=20, per_output_second=8),
    "gen4.5": RunwayModel("gen4.5", _GEN4_RATIOS, 2, 10, 12, base_seconds=40, per_output_second=12),
}
DEFAULT_MODEL = "gen4_turbo"

#: brief aspect -> Runway ratio (4:5 has no exact match: 832:1104 is 3:4, the closest portrait ratio)
ASPECT_RATIOS = {
    "16:9": "1280:720",
    "9:16": "720:1280",
    "1:1": "960:960",
    "4:5": "832:1104",
    "4:3": "1104:832",
    "3:4": "832:1104",
    "21:9": "1584:672",
}


def resolve(model: str | None, ratio: str, duration: int) -> tuple[RunwayModel, str]:
    """The model and Runway ratio for a request; BriefInvalid listing the allowed values otherwise."""
    name = model or DEFAULT_MODEL
    spec = MODELS.get(name)
    if spec is None:
        raise BriefInvalid(f"Runway model {name!r} is not supported; choose one of: {', '.join(MODELS)}")
    runway_ratio = ASPECT_RATIOS.get(ratio, ratio)
    if runway_ratio not in spec.ratios:
        aspects = sorted(a for a, r in ASPECT_RATIOS.items() if r in spec.ratios)
        raise BriefInvalid(
            f"ratio {ratio!r} is not available on {name}; use an aspect ({', '.join(aspects)}) "
            f"or a ratio ({', '.join(spec.ratios)})"
        )
    if not spec.min_duration <= duration <= spec.max_duration:
        raise BriefInvalid(
            f"duration {duration}s is not available on {name}; use {spec.min_duration} to {spec.max_duration} seconds"
        )
    return spec, runway_ratio
