"""The run's cost ledger and budget: every paid call is one `COST#<call>` item under the run in the runs table.

An entry carries the provider, the model, USD, and whether the figure is an `estimate` (a list price, or a
provider's own estimate such as Runway's `estimatedCost`) or `actual` (Runway's terminal `cost.credits`). A call
is recorded once under a stable name (`image#r0-1`, `video#0`): its actual cost replaces its estimate, and a
replayed step writes the same item again instead of counting twice.

`check_budget` runs before a paid call: when `budget.max_usd` would be passed it raises `BudgetExceeded`, saying
what was spent. Fallback announcements live here too (`announce_fallback`): a provider skipped or abandoned is
recorded on the run (`fallbacks`, `notes`) and in the run folder (`fallbacks.json`), never only in a log.
"""

from __future__ import annotations

from typing import Any, Literal

from hookforge.errors import BudgetExceeded
from hookforge.models import Brief
from hookforge.observability import logger
from hookforge.storage import run_key

PREFIX = "COST#"
FALLBACKS_FILE = "fallbacks.json"


def record(
    runs: Any,
    run_id: str,
    call: str,
    *,
    provider: str,
    model: str | None,
    usd: float,
    basis: Literal["estimate", "actual"],
    credits: float | None = None,
) -> None:
    """Store (or replace) the cost of one paid call; a free call's estimate is not recorded (an actual 0 is: a
    refunded task replaces its estimate)."""
    if usd <= 0 and basis == "estimate":
        return
    item: dict[str, Any] = {"call": call, "provider": provider, "model": model, "usd": round(usd, 4), "basis": basis}
    if credits is not None:
        item["credits"] = credits
    runs.put_child(run_id, PREFIX + call, item)
    logger.info("cost recorded", extra={"run_id": run_id, "call": call, "usd": round(usd, 4), "basis": basis})


def entries(runs: Any, run_id: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in e.items() if k not in ("pk", "sk")} for e in runs.children(run_id, PREFIX)]


def spent(runs: Any, run_id: str) -> float:
    """USD recorded so far on the run (actual where known, else estimates)."""
    return round(sum(float(e.get("usd") or 0) for e in entries(runs, run_id)), 4)


def summary(runs: Any, run_id: str) -> dict[str, Any]:
    """Spent so far, split by basis: what the run record, the approval page and the hook item show."""
    items = entries(runs, run_id)
    actual = sum(float(e.get("usd") or 0) for e in items if e.get("basis") == "actual")
    estimated = sum(float(e.get("usd") or 0) for e in items if e.get("basis") != "actual")
    return {
        "spent_usd": round(actual + estimated, 4),
        "actual_usd": round(actual, 4),
        "estimated_usd": round(estimated, 4),
        "calls": len(items),
    }


def cost_line(totals: dict[str, Any]) -> str:
    """One line for the terminal, the notification and the approval page."""
    return (
        f"cost: ${totals['spent_usd']:.2f} spent on {totals['calls']} paid call(s) "
        f"(${totals['actual_usd']:.2f} actual, ${totals['estimated_usd']:.2f} estimated from list prices)"
    )


def announcements(deps: Any, run_id: str) -> list[str]:
    """What a person must be told about the run: its fallbacks, then its cost (when anything was paid for)."""
    lines = [str(x) for x in ((deps.runs.get(run_id) or {}).get("fallbacks") or [])]
    totals = summary(deps.runs, run_id)
    return [*lines, cost_line(totals)] if totals["calls"] else lines


def check_budget(runs: Any, run_id: str, brief: Brief, *, next_usd: float, what: str) -> None:
    """BudgetExceeded when the next paid call (`next_usd`) would take the run past `budget.max_usd`."""
    if brief.budget is None or next_usd <= 0:
        return
    so_far = spent(runs, run_id)
    if so_far + next_usd > brief.budget.max_usd + 1e-9:
        raise BudgetExceeded(
            f"budget.max_usd is ${brief.budget.max_usd:.2f}: ${so_far:.2f} spent so far, and {what} would cost "
            f"about ${next_usd:.2f} more; the run stops before that call"
        )


def already_skipped(deps: Any, run_id: str, provider: str) -> bool:
    """True when preflight already announced that the video step skips `provider` (said once, not twice)."""
    lines = (deps.runs.get(run_id) or {}).get("fallbacks") or []
    return any(str(line).startswith(f"fallback: video skips {provider} ") for line in lines)


def announce_fallback(deps: Any, run_id: str, line: str) -> list[str]:
    """Record a fallback on the run (`fallbacks` and `notes`) and in `runs/<id>/fallbacks.json`; all so far."""
    record_ = deps.runs.get(run_id) or {}
    lines = [str(x) for x in (record_.get("fallbacks") or [])]
    if line not in lines:
        lines.append(line)
    notes = [str(x) for x in (record_.get("notes") or [])]
    if line not in notes:
        notes.append(line)
    deps.runs.update(run_id, fallbacks=lines, notes=notes)
    deps.store.put_json(run_key(run_id, FALLBACKS_FILE), {"run_id": run_id, "fallbacks": lines})
    logger.warning("fallback announced", extra={"run_id": run_id, "fallback": line})
    return lines
