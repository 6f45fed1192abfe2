"""RegisterHook: record the finished hook in the metrics table, ready for hook-rate data.

The hook id goes into the ad name (e.g. 'summer-sale | hk-1a2b3c4d5e') so ad-platform exports find it.
"""

from __future__ import annotations

from hookforge import ledger
from hookforge.deps import Deps
from hookforge.models import HookRecord, RegisterHookInput
from hookforge.observability import logger


def hook_id_for(run_id: str) -> str:
    """Hook ids are short enough to embed in an ad name (e.g. 'summer-sale | hk-1a2b3c4d5e')."""
    return "hk-" + run_id.rsplit("-", 1)[-1][:10]


def run(event: RegisterHookInput, deps: Deps) -> HookRecord:
    hook_id = hook_id_for(event.run_id)
    item = {
        "hook_id": hook_id,
        "run_id": event.run_id,
        "brief": event.brief.name,
        "prompt": event.selection.candidate.prompt,
        "image_provider": event.selection.candidate.provider,
        "video_provider": event.video.provider,
        "motion_prompt": event.selection.motion_prompt,
        "preset": event.render.preset,
        "aspects": list(event.render.outputs),
        "outputs": event.render.outputs,
        "poster_key": event.render.poster_key,
        "created_at": int(deps.clock()),
        # what the hook cost (the run's ledger) and any provider it fell back from, for the dashboard
        "cost_usd": ledger.summary(deps.runs, event.run_id)["spent_usd"],
        "fallbacks": [str(x) for x in ((deps.runs.get(event.run_id) or {}).get("fallbacks") or [])],
    }
    # the metrics store owns the item layout (hookforge.metrics.model): it adds the keys and the
    # HOOKS index entry, so the hook shows in every report (with zeros) before any ad data arrives
    deps.metrics.put_hook(item)
    deps.runs.update(event.run_id, step="RegisterHook", hook_id=hook_id)
    logger.info("hook registered", extra={"run_id": event.run_id, "hook_id": hook_id})
    return HookRecord(hook_id=hook_id, run_id=event.run_id, outputs=event.render.outputs)
