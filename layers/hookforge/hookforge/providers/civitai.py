"""`civitai`: prompts of the most-reacted images on Civitai over a period (images API, key optional).

`GET https://civitai.com/api/v1/images?withMeta=true&limit=&sort=Most%20Reactions&period=Week&nsfw=None`
answers `{items: [{id, url, width, height, nsfw, nsfwLevel, stats: {likeCount, heartCount, ...},
meta: {prompt, seed, Model, ...}, username}], metadata: {...}}`. The API has no text search, so the brief's
query filters and ranks the prompts here. `CIVITAI_API_KEY` (or the secret `hookforge/providers/civitai`) is optional.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hookforge.errors import ConfigError, ProviderError
from hookforge.models import PromptIdea
from hookforge.providers.base import ProviderContext
from hookforge.providers.http import HttpCaller, RetryPolicy, parse_json
from hookforge.providers.ranking import relevance, top

IMAGES_URL = "https://civitai.com/api/v1/images"
#: worst case 3 x 10 s + 1.5 s of backoff, inside FetchInspiration's 60 s with the time budget
POLICY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=4.0, timeout=10.0)
_SAFE_LEVELS = (None, "None", 0, 1)
_REACTIONS = ("likeCount", "heartCount", "laughCount", "cryCount")


class CivitaiSource:
    """Most-reacted Civitai images with prompts, safe-for-work only, filtered by the query's words."""

    name = "civitai"

    def __init__(
        self,
        ctx: ProviderContext,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        period: str = "Week",
        sort: str = "Most Reactions",
        page_size: int = 100,
    ) -> None:
        self.ctx = ctx
        self.period = period
        self.sort = sort
        self.page_size = page_size
        self.caller = HttpCaller(
            ctx.http_client(), provider=self.name, policy=policy or POLICY, sleep=sleep, key_hint="CIVITAI_API_KEY"
        )

    def _headers(self) -> dict[str, str]:
        try:
            key = self.ctx.secret("CIVITAI_API_KEY", "hookforge/providers/civitai")
        except ConfigError:
            return {}  # the public images API works without a key
        return {"Authorization": f"Bearer {key}"}

    def search(self, query: str, *, limit: int) -> list[PromptIdea]:
        params = {
            "withMeta": "true",
            "limit": str(self.page_size),
            "sort": self.sort,
            "period": self.period,
            "nsfw": "None",
        }
        response = self.caller.request("GET", IMAGES_URL, params=params, headers=self._headers())
        body = parse_json(response, provider=self.name)
        items = body.get("items") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ProviderError("civitai answered without an 'items' list; the API may have changed")
        ideas = [idea for item in items if (idea := _idea(item, query))]
        if query.strip():
            # no text search upstream: an unrelated prompt is worse than the next source's answer
            ideas = [idea for idea in ideas if relevance(query, idea.text) > 0]
        return top(ideas, limit=limit)


def _idea(item: Any, query: str) -> PromptIdea | None:
    if not isinstance(item, dict) or item.get("nsfw") not in (None, False) or item.get("nsfwLevel") not in _SAFE_LEVELS:
        return None
    meta = item.get("meta")
    if not isinstance(meta, dict) or not str(meta.get("prompt") or "").strip():
        return None
    prompt = str(meta["prompt"]).strip()
    stats = item.get("stats")
    reactions = sum(int(stats.get(k) or 0) for k in _REACTIONS) if isinstance(stats, dict) else 0
    # relevance first; reactions (capped at 1000) order the equally relevant
    score = 2.0 * relevance(query, prompt) + min(1.0, reactions / 1000)
    image_id = item.get("id")
    seed = meta.get("seed")
    width, height = item.get("width"), item.get("height")
    return PromptIdea(
        text=prompt[:2000],
        source="civitai",
        url=f"https://civitai.com/images/{image_id}" if image_id else None,
        image_url=str(item["url"]) if item.get("url") else None,
        model=str(meta["Model"]) if meta.get("Model") else None,
        seed=seed if isinstance(seed, int | str) else None,
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
        score=round(score, 4),
    )
