"""FetchInspiration: prompts that already produce striking images (step 1 of the workflow).

The brief's sources form a fallback chain: each one fills what the earlier ones lacked, and a source that
fails (Lexica's 429/504, a missing key) is recorded and skipped. When every configured source fails or
finds nothing, the offline `catalog` answers as the last resort, so a flaky website never ends a run;
`inspiration.json` says which sources failed and why. A brief with its own `prompt` skips all of this.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hookforge.deps import Deps
from hookforge.errors import HookforgeError, ProviderError
from hookforge.models import FetchInspirationInput, Inspiration, PromptIdea
from hookforge.observability import logger
from hookforge.prompts import product_of, product_phrase, swap_subject
from hookforge.providers.base import inspiration_source
from hookforge.providers.catalog import vocabulary
from hookforge.providers.ranking import bm25, dedupe, on_topic
from hookforge.storage import run_key

#: seconds after which the chain stops starting web sources: one more source (at most ~32 s with its retries)
#: plus the catalog still ends inside the 60 s Lambda timeout
BUDGET_SECONDS = 25.0
LAST_RESORT = "catalog"


def on_brief(query: str, found: list[PromptIdea]) -> list[PromptIdea]:
    """A web source's prompts ranked by BM25 relevance to the brief; those under the relevance floor are kept only
    as borrowed style: their subject becomes the brief's product (the catalog ranks and borrows on its own)."""
    scores = bm25(query, [idea.text for idea in found])
    relevant = on_topic(scores)
    ranked = [found[i].model_copy(update={"score": round(scores[i], 3)}) for i in relevant]
    product = product_phrase(product_of(query, vocabulary()))
    if not product:
        return ranked
    rest = [idea for i, idea in enumerate(found) if i not in set(relevant)]
    borrowed = [
        idea.model_copy(update={"text": swap_subject(idea.text, product), "borrowed_from": idea.text, "score": 0.0})
        for idea in rest
    ]
    return ranked + borrowed


def gather(
    deps: Deps, query: str, sources: list[str], *, count: int, clock: Callable[[], float] = time.monotonic
) -> tuple[list[PromptIdea], list[dict[str, str]]]:
    """Prompts from the chain (deduplicated across sources, at most `count`) and the failures met."""
    prompts: list[PromptIdea] = []
    failures: list[dict[str, str]] = []
    started = clock()
    chain = sources if LAST_RESORT in sources else [*sources, LAST_RESORT]
    for position, name in enumerate(chain):
        last_resort = position == len(sources)
        if last_resort and prompts:
            break
        if not last_resort and clock() - started > BUDGET_SECONDS:
            failures.append({"source": name, "error": "Skipped", "message": "the inspiration time budget was spent"})
            continue
        try:
            found = inspiration_source(name, deps.provider_ctx).search(query, limit=count)
        except HookforgeError as e:
            logger.warning("inspiration source failed", extra={"source": name, "error": e.name})
            failures.append({"source": name, "error": e.name, "message": str(e)})
            continue
        if not found:
            failures.append({"source": name, "error": "NoMatch", "message": f"nothing matched {query!r}"})
        elif name != LAST_RESORT:
            found = on_brief(query, found)
        prompts = dedupe([*prompts, *found])
        if len(prompts) >= count:
            break
    return prompts[:count], failures


def run(event: FetchInspirationInput, deps: Deps) -> Inspiration:
    brief = event.brief
    key = run_key(event.run_id, "inspiration.json")
    failures: list[dict[str, str]] = []
    query = ""
    if brief.prompt:
        prompts = [PromptIdea(text=brief.prompt, source="brief")]
    else:
        query = brief.inspiration.query or brief.idea or brief.name.replace("-", " ")
        prompts, failures = gather(deps, query, brief.inspiration.sources, count=brief.inspiration.count)
        if not prompts:
            detail = "; ".join(f"{f['source']}: {f['message']}" for f in failures)
            raise ProviderError(f"no inspiration prompts found ({detail}); give the brief a 'prompt' or another query")
    deps.store.put_json(
        key,
        {"query": query, "prompts": [p.model_dump(mode="json") for p in prompts], "failures": failures},
    )
    deps.runs.update(event.run_id, step="FetchInspiration")
    logger.info(
        "inspiration chosen",
        extra={"run_id": event.run_id, "sources": sorted({p.source for p in prompts}), "failures": len(failures)},
    )
    return Inspiration(prompts=prompts, key=key)
