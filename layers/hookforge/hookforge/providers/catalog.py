"""`catalog`: a curated set of proven prompts shipped with hookforge (offline inspiration), each with its subject.

Ranked by BM25 over prompt text and tags (`providers.ranking`), nothing under the relevance floor; `make bench`
prints its precision@4 on the labelled set in `tests/data/catalog_relevance.json`."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from hookforge.models import PromptIdea
from hookforge.prompts import product_of, product_phrase, swap_subject
from hookforge.providers.base import ProviderContext
from hookforge.providers.ranking import bm25, expand, on_topic, terms


@lru_cache(maxsize=1)
def _entries() -> list[dict[str, object]]:
    text = resources.files("hookforge").joinpath("data/catalog.json").read_text(encoding="utf-8")
    return json.loads(text)


def _document(entry: dict[str, object]) -> str:
    raw_tags = entry.get("tags")
    tags = " ".join(str(t) for t in raw_tags) if isinstance(raw_tags, list) else ""
    # tags name the topic: they count twice, as in the old keyword score
    return f"{entry.get('text', '')} {tags} {tags}"


def rank(query: str) -> list[tuple[int, float]]:
    """(catalog position, BM25 score) of the entries on topic, best first: at or above the relevance floor, and
    naming the query's product (or a synonym of it) when the catalog knows one - style words alone never match."""
    entries = _entries()
    usable = [i for i, e in enumerate(entries) if str(e.get("text") or "").strip()]
    documents = [_document(entries[i]) for i in usable]
    scores = bm25(query, documents)
    product = product_of(query, vocabulary())
    about = set(expand(product)) if product else set()
    return [(usable[j], scores[j]) for j in on_topic(scores) if not about or about & set(terms(documents[j]))]


class CatalogSource:
    """BM25 search over the shipped catalog (prompt text and tags), with a relevance floor: nothing off topic.

    When fewer entries are on topic than asked for, proven prompts are *borrowed*: their subject is replaced by
    the query's product (its rarest word the catalog knows, e.g. 'sneaker') while their style words are kept, so
    every result is about the brief's product. Borrowed results say so (`borrowed_from`)."""

    name = "catalog"

    def __init__(self, ctx: ProviderContext | None = None) -> None:
        self.ctx = ctx

    def search(self, query: str, *, limit: int) -> list[PromptIdea]:
        if limit < 1:
            return []
        entries = _entries()
        found = rank(query) if terms(query) else [(i, 0.0) for i, e in enumerate(entries) if e.get("text")]
        ideas = [
            PromptIdea(text=str(entries[i]["text"]), source=self.name, url=f"catalog:{i}", score=round(score, 3))
            for i, score in found[:limit]
        ]
        product = product_of(query, vocabulary())
        if len(ideas) >= limit or not product:
            return ideas
        # borrow the style of the catalog's other prompts, best style match first, for the product
        taken = {i for i, _ in found}
        styles = bm25(query, [_document(e) for e in entries])
        rest = sorted((i for i in range(len(entries)) if i not in taken), key=lambda i: (-styles[i], i))
        for i in rest[: limit - len(ideas)]:
            entry = entries[i]
            subject = str(entry.get("subject") or "") or None
            ideas.append(
                PromptIdea(
                    text=swap_subject(str(entry["text"]), product_phrase(product), subject=subject),
                    source=self.name,
                    url=f"catalog:{i}",
                    score=0.0,
                    borrowed_from=str(entry["text"]),
                )
            )
        return ideas


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, int]:
    """term -> how many catalog entries use it (to find a query's product)."""
    counts: dict[str, int] = {}
    for entry in _entries():
        for term in set(terms(_document(entry))):
            counts[term] = counts.get(term, 0) + 1
    return counts
