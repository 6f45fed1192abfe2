"""FetchInspiration: prompts that already produce striking images (step 1 of the workflow)."""

from __future__ import annotations

from hookforge.errors import HookforgeError, ProviderError
from hookforge.models import FetchInspirationInput, Inspiration, PromptIdea
from hookforge.observability import logger
from hookforge.providers.base import inspiration_source
from hookforge.steps.deps import Deps
from hookforge.storage import run_key


def run(event: FetchInspirationInput, deps: Deps) -> Inspiration:
    brief = event.brief
    key = run_key(event.run_id, "inspiration.json")
    if brief.prompt:
        prompts = [PromptIdea(text=brief.prompt, source="brief")]
    else:
        query = brief.inspiration.query or brief.idea or brief.name.replace("-", " ")
        prompts = []
        failures: list[str] = []
        for name in brief.inspiration.sources:  # a fallback chain: later sources fill what earlier ones lack
            try:
                found = inspiration_source(name, deps.provider_ctx).search(query, limit=brief.inspiration.count)
            except HookforgeError as e:
                logger.warning("inspiration source failed", extra={"source": name, "error": e.name})
                failures.append(f"{name}: {e}")
                continue
            seen = {p.text.lower() for p in prompts}
            prompts.extend(p for p in found if p.text.lower() not in seen)
            if len(prompts) >= brief.inspiration.count:
                break
        prompts = prompts[: brief.inspiration.count]
        if not prompts:
            detail = "; ".join(failures) or f"nothing matched {query!r}"
            raise ProviderError(f"no inspiration prompts found ({detail}); give the brief a 'prompt' or another query")
    deps.store.put_json(key, {"prompts": [p.model_dump(mode="json") for p in prompts]})
    deps.runs.update(event.run_id, step="FetchInspiration")
    return Inspiration(prompts=prompts, key=key)
