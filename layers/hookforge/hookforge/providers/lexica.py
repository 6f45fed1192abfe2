"""`lexica`: prompts that produced striking images on Lexica.art (search API, no key).

`GET https://lexica.art/api/v1/search?q=<query>` answers
`{images: [{id, gallery, src, srcSmall, prompt, width, height, seed, grid, model, guidance, promptid, nsfw}]}`.
The API is flaky (429 and 504 are common), so calls time out quickly and retry with jittered backoff;
when they still fail the error propagates and FetchInspiration moves on to the next configured source.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from hookforge.errors import ProviderError
from hookforge.models import PromptIdea
from hookforge.providers.base import ProviderContext
from hookforge.providers.http import HttpCaller, RetryPolicy, parse_json
from hookforge.providers.ranking import relevance, top

SEARCH_URL = "https://lexica.art/api/v1/search"
#: best effort: short timeout, few tries - another source is always next in line
POLICY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=4.0, timeout=10.0)


class LexicaSource:
    """Lexica search: drops NSFW, removes near-duplicate prompts, ranks by relevance then Lexica's order."""

    name = "lexica"

    def __init__(
        self, ctx: ProviderContext, *, policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.ctx = ctx
        self.caller = HttpCaller(ctx.http_client(), provider=self.name, policy=policy or POLICY, sleep=sleep)

    def search(self, query: str, *, limit: int) -> list[PromptIdea]:
        response = self.caller.request("GET", SEARCH_URL, params={"q": query})
        body = parse_json(response, provider=self.name)
        images = body.get("images") if isinstance(body, dict) else None
        if not isinstance(images, list):
            raise ProviderError("lexica answered without an 'images' list; the API may have changed")
        ideas = [idea for position, item in enumerate(images) if (idea := _idea(item, position, len(images), query))]
        return top(ideas, limit=limit)


def _idea(item: Any, position: int, total: int, query: str) -> PromptIdea | None:
    if not isinstance(item, dict) or item.get("nsfw") not in (None, False):
        return None  # NSFW (or an unreadable flag) never reaches an ad
    prompt = str(item.get("prompt") or "").strip()
    if not prompt:
        return None
    # relevance to the brief first; Lexica's own order (its semantic relevance) breaks near-ties
    score = 2.0 * relevance(query, prompt) + (1.0 - position / max(1, total))
    promptid = item.get("promptid") or item.get("id")
    return PromptIdea(
        text=prompt[:2000],
        source="lexica",
        url=f"https://lexica.art/prompt/{promptid}" if promptid else None,
        image_url=_str(item.get("src")),
        model=_str(item.get("model")),
        seed=_str(item.get("seed")),
        width=_int(item.get("width")),
        height=_int(item.get("height")),
        score=round(score, 4),
    )


def _str(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
