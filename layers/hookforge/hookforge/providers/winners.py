"""`winners`: prompts of this account's own hooks that beat the hook-rate target (closes the loop).

Reads the metrics table (settings.metrics_table). Until the metrics issue (#7) adds its ranking index,
this scans the hook items - `pk = HOOK#<hook_id>`, `sk = HOOK`, written by RegisterHook with the `prompt`
- and keeps those whose `verdict` is "winner" (the Wilson-interval verdict the metrics code records),
best `hook_rate` first. No winners yet (the usual case for a new account) -> `[]`, and FetchInspiration
moves on to the next source. The scan reads at most `max_pages` pages: the table stays small per account.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from hookforge.errors import ProviderUnavailable
from hookforge.models import PromptIdea
from hookforge.providers.base import ProviderContext
from hookforge.providers.ranking import relevance, top


class WinnersSource:
    """Prompts of hooks whose verdict is "winner", ranked by hook rate, then relevance to the query."""

    name = "winners"

    def __init__(self, ctx: ProviderContext, *, max_pages: int = 10) -> None:
        self.ctx = ctx
        self.max_pages = max_pages

    def search(self, query: str, *, limit: int) -> list[PromptIdea]:
        table = self.ctx.settings.metrics_table
        ideas: list[PromptIdea] = []
        kwargs: dict[str, Any] = {
            "TableName": table,
            "FilterExpression": "sk = :hook AND verdict = :winner",
            "ExpressionAttributeValues": {":hook": {"S": "HOOK"}, ":winner": {"S": "winner"}},
            "ProjectionExpression": "hook_id, prompt, hook_rate, image_provider",
        }
        try:
            for _ in range(self.max_pages):
                page = self.ctx.client("dynamodb").scan(**kwargs)
                ideas.extend(idea for item in page.get("Items", []) if (idea := _idea(item)))
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        except (ClientError, BotoCoreError) as e:
            raise ProviderUnavailable(f"the metrics table {table!r} could not be read ({type(e).__name__})") from e
        # hook rate decides; among equal rates the prompt closest to the query comes first
        ideas.sort(key=lambda idea: -relevance(query, idea.text))
        return top(ideas, limit=limit)


def _idea(item: dict[str, Any]) -> PromptIdea | None:
    prompt = item.get("prompt", {}).get("S", "").strip()
    if not prompt:
        return None
    rate = float(Decimal(item.get("hook_rate", {}).get("N", "0")))
    hook_id = item.get("hook_id", {}).get("S")
    return PromptIdea(
        text=prompt,
        source="winners",
        url=f"hook:{hook_id}" if hook_id else None,
        model=item.get("image_provider", {}).get("S"),
        score=round(rate, 4),
    )
