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


# ----------------------------------------------------------------------------------------------- BM25 relevance
#: words that say nothing about a prompt's topic
STOPWORDS = frozenset(
    "a an the of in on at to for and or with from by into onto over under that this it its is are be as feels "
    "feel very really some any our your their my we you i".split()
)
#: a few words a brief and a prompt use for the same thing (the catalog's topics), matched both ways
SYNONYMS: dict[str, tuple[str, ...]] = {
    "sneaker": ("shoe", "footwear", "trainer", "kick"),
    "shoe": ("sneaker", "footwear", "boot", "trainer"),
    "boot": ("shoe", "footwear"),
    "footwear": ("shoe", "sneaker", "boot"),
    "coffee": ("espresso", "latte", "bean"),
    "perfume": ("fragrance", "scent"),
    "skincare": ("serum", "skin", "cream"),
    "car": ("automotive", "vehicle"),
    "watch": ("wristwatch", "timepiece"),
    "juice": ("smoothie",),
}
#: a result scoring under this share of the best one is off topic and is not returned
RELEVANCE_FLOOR = 0.4


def stem(word: str) -> str:
    """A light plural stem: 'sneakers' and 'sneaker' are one term (not 'glass')."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def terms(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(_WEIGHT.sub(" ", text.lower())) if w not in STOPWORDS]


def expand(query: str) -> list[str]:
    """The query's terms plus their synonyms (each once, the query's own first)."""
    out = terms(query)
    for term in list(out):
        out += [stem(s) for s in SYNONYMS.get(term, ())]
    return list(dict.fromkeys(out))


def bm25(query: str, docs: list[str], *, k1: float = 1.2, b: float = 0.75) -> list[float]:
    """Okapi BM25 of each doc for `query` (expanded with SYNONYMS); IDF from `docs` themselves."""
    import math

    tokenized = [terms(d) for d in docs]
    if not tokenized:
        return []
    avg = sum(len(t) for t in tokenized) / len(tokenized) or 1.0
    wanted = expand(query)
    df = {q: sum(1 for t in tokenized if q in t) for q in wanted}
    n = len(tokenized)
    scores = []
    for t in tokenized:
        score = 0.0
        for q in wanted:
            tf = t.count(q)
            if tf:
                idf = math.log(1 + (n - df[q] + 0.5) / (df[q] + 0.5))
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(t) / avg))
        scores.append(score)
    return scores


def on_topic(scores: list[float], *, floor: float = RELEVANCE_FLOOR) -> list[int]:
    """Indexes of the docs at or above the relevance floor, best first (ties keep the docs' order)."""
    best = max(scores, default=0.0)
    if best <= 0:
        return []
    kept = [i for i, s in enumerate(scores) if s >= floor * best]
    return sorted(kept, key=lambda i: (-scores[i], i))
