"""`catalog`: a curated set of proven prompts shipped with hookforge (offline inspiration)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from hookforge.models import PromptIdea
from hookforge.providers.base import ProviderContext

_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=1)
def _entries() -> list[dict[str, object]]:
    text = resources.files("hookforge").joinpath("data/catalog.json").read_text(encoding="utf-8")
    return json.loads(text)


class CatalogSource:
    """Keyword search over the shipped catalog: tag matches weigh more than words in the prompt."""

    name = "catalog"

    def __init__(self, ctx: ProviderContext | None = None) -> None:
        self.ctx = ctx

    def search(self, query: str, *, limit: int) -> list[PromptIdea]:
        if limit < 1:
            return []
        words = set(_WORD.findall(query.lower()))
        scored: list[tuple[float, int, dict[str, object]]] = []
        for position, entry in enumerate(_entries()):
            if not str(entry.get("text") or "").strip():
                continue  # a hand-edited catalog line without a prompt is skipped, not shipped
            raw_tags = entry.get("tags")
            tags = {str(t).lower() for t in raw_tags} if isinstance(raw_tags, list) else set()
            text_words = set(_WORD.findall(str(entry["text"]).lower()))
            score = 2.0 * len(words & tags) + 1.0 * len(words & text_words)
            scored.append((score, position, entry))
        # best score first; the catalog's own order breaks ties so results are stable
        scored.sort(key=lambda item: (-item[0], item[1]))
        if words and scored and scored[0][0] > 0:
            scored = [s for s in scored if s[0] > 0] or scored
        return [
            PromptIdea(text=str(entry["text"]), source=self.name, url=f"catalog:{position}", score=score)
            for score, position, entry in scored[:limit]
        ]
