"""`winners`: prompts (and presets) of this account's own hooks that beat the hook-rate target (closes the loop).

Reads the metrics table's ranking index (`hookforge.metrics.model`, access pattern 7): one Query per
platform on `ByHookRate` (gsi1pk = RANK#<platform>), highest hook rate first - never a Scan. A hook
wins when the lower bound of its 95 % Wilson interval reaches the target (settings.hook_rate_target),
so a lucky 3-of-5 never outranks a proven 34 % on 10 000 impressions. Ideas are scored by that lower
bound; among equal scores the prompt closest to the query comes first. No winners yet (the usual case
for a new account) -> `[]`, and FetchInspiration moves on to the next source.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from hookforge.errors import ProviderUnavailable
from hookforge.metrics.model import GSI_NAME, PLATFORMS, rank_pk
from hookforge.metrics.report import stat
from hookforge.metrics.stats import WINNER
from hookforge.models import PromptIdea
from hookforge.providers.base import ProviderContext
from hookforge.providers.ranking import relevance, top

_DESERIALIZE = TypeDeserializer().deserialize


class WinnersSource:
    """Prompts of hooks whose Wilson lower bound clears the target, best evidence first."""

    name = "winners"

    def __init__(self, ctx: ProviderContext, *, max_pages: int = 10) -> None:
        self.ctx = ctx
        self.max_pages = max_pages

    def search(self, query: str, *, limit: int) -> list[PromptIdea]:
        table = self.ctx.settings.metrics_table
        target = self.ctx.settings.hook_rate_target
        best: dict[str, PromptIdea] = {}
        try:
            for platform in PLATFORMS:
                for item in self._ranking(table, platform):
                    idea = _idea(item, platform, target)
                    if idea and (idea.url not in best or idea.score > best[idea.url].score):
                        best[str(idea.url)] = idea
        except (ClientError, BotoCoreError) as e:
            raise ProviderUnavailable(f"the metrics table {table!r} could not be read ({type(e).__name__})") from e
        # the evidence decides; among equal scores the prompt closest to the query comes first
        ideas = sorted(best.values(), key=lambda idea: -relevance(query, idea.text))
        return top(ideas, limit=limit)

    def _ranking(self, table: str, platform: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": table,
            "IndexName": GSI_NAME,
            "KeyConditionExpression": "gsi1pk = :p",
            "ExpressionAttributeValues": {":p": {"S": rank_pk(platform)}},
            "ScanIndexForward": False,
        }
        items: list[dict[str, Any]] = []
        for _ in range(self.max_pages):
            page = self.ctx.client("dynamodb").query(**kwargs)
            items.extend({k: _DESERIALIZE(v) for k, v in raw.items()} for raw in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return items


def _idea(item: dict[str, Any], platform: str, target: float) -> PromptIdea | None:
    prompt = str(item.get("prompt") or "").strip()
    if not prompt or not item.get("hook_id"):
        return None
    s = stat(str(item["hook_id"]), platform, item, target=target)
    if s.verdict != WINNER:
        return None
    return PromptIdea(
        text=prompt,
        source="winners",
        url=f"hook:{s.hook_id}",
        model=item.get("image_provider"),
        preset=item.get("preset"),
        score=round(s.hook_rate_low, 4),
    )
