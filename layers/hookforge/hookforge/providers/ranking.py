"""Ranking helpers shared by the web inspiration sources: relevance, near-duplicate removal, top N."""

from __future__ import annotations

import re
from collections.abc import Iterable

from hookforge.models import PromptIdea

_WORD = re.compile(r"[a-z0-9]+")
#: prompt-weight syntax such as "(sharp focus:1.2)" or "[[detailed]]" only adds noise to comparisons
_WEIGHT = re.compile(r":\d+(?:\.\d+)?")
#: two prompts sharing at least this share of their words are the same idea
NEAR_DUPLICATE = 0.8


def words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(_WEIGHT.sub(" ", text.lower())))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def relevance(query: str, text: str) -> float:
    """Share of the query's words found in `text` (0 when the query has no words)."""
    q = words(query)
    return len(q & words(text)) / len(q) if q else 0.0


def dedupe(ideas: Iterable[PromptIdea], *, threshold: float = NEAR_DUPLICATE) -> list[PromptIdea]:
    """Keep the first of every group of near-identical prompts (callers pass them best first)."""
    kept: list[tuple[frozenset[str], PromptIdea]] = []
    for idea in ideas:
        w = words(idea.text)
        if not w or any(jaccard(w, seen) >= threshold for seen, _ in kept):
            continue
        kept.append((w, idea))
    return [idea for _, idea in kept]


def top(ideas: Iterable[PromptIdea], *, limit: int) -> list[PromptIdea]:
    """Best score first (the source's own order breaks ties), near-duplicates removed, at most `limit`."""
    ordered = sorted(enumerate(ideas), key=lambda item: (-item[1].score, item[0]))
    return dedupe(idea for _, idea in ordered)[:limit]
