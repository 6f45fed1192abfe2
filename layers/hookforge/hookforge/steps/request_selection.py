"""RequestSelection: the `.waitForTaskToken` task. Stores the approval (token server-side) and asks reviewers.

The run waits until a reviewer decides (ApprovalApi, or the local engine's `--pick`), which answers the
task with SendTaskSuccess (a Selection) or SendTaskFailure (`Regenerate` / `Rejected`).
"""

from __future__ import annotations

import html
import time

from hookforge.approval.records import ApprovalRecord, new_approval_id
from hookforge.errors import NoCandidates
from hookforge.models import Candidate, RequestSelectionInput, SelectionRequest
from hookforge.observability import logger
from hookforge.steps.deps import Deps
from hookforge.storage import run_key


def usable_candidates(event: RequestSelectionInput) -> list[Candidate]:
    """The candidates that were generated; NoCandidates listing every reason when none was."""
    good = [g.candidate for g in event.generated if g.ok and g.candidate is not None]
    if not good:
        reasons = "; ".join(
            f"#{g.index + 1}: {g.error.error}: {g.error.message()}" for g in event.generated if g.error is not None
        )
        raise NoCandidates(f"every candidate image failed ({reasons or 'no candidates were requested'})")
    return sorted(good, key=lambda c: c.index)


def run(event: RequestSelectionInput, deps: Deps) -> SelectionRequest:
    candidates = usable_candidates(event)
    now = int(deps.clock())
    expires_at = now + int(event.brief.selection.timeout_hours * 3600)
    approval_id = new_approval_id()
    record = ApprovalRecord(
        approval_id=approval_id,
        run_id=event.run_id,
        task_token=event.task_token,
        candidates=candidates,
        motion_prompt=event.brief.video.motion_prompt,
        prompt=candidates[0].prompt,
        reviewers=event.brief.selection.reviewers,
        round=event.round,
        max_rounds=event.brief.selection.max_rounds,
        expires_at=expires_at,
    )
    deps.approvals.create(record)
    link = f"{deps.settings.approval_base_url.rstrip('/')}/approvals/{approval_id}"
    request = SelectionRequest(approval_id=approval_id, candidates=candidates, link=link, expires_at=expires_at)
    deps.store.put_json(run_key(event.run_id, "selection-request.json"), request.model_dump(mode="json"))
    body = _email_html(event, candidates, link)
    if deps.settings.is_local or not event.brief.selection.reviewers:
        deps.store.put_bytes(run_key(event.run_id, "email.html"), body.encode(), content_type="text/html")
    else:
        deps.client("ses").send_email(
            Source=deps.settings.sender_email,
            Destination={"ToAddresses": event.brief.selection.reviewers},
            Message={
                "Subject": {"Data": f"Pick the hook for {event.brief.name}"},
                "Body": {"Html": {"Data": body}, "Text": {"Data": f"Choose a candidate: {link}"}},
            },
        )
    deps.runs.update(event.run_id, step="RequestSelection", status="AWAITING_SELECTION", approval_id=approval_id)
    logger.info("selection requested", extra={"run_id": event.run_id, "candidates": len(candidates)})
    return request


def _email_html(event: RequestSelectionInput, candidates: list[Candidate], link: str) -> str:
    rows = "".join(f"<li>#{c.index + 1}: {html.escape(c.prompt[:120])}</li>" for c in candidates)
    return (
        f"<html><body><h1>Pick the hook for {html.escape(event.brief.name)}</h1><ol>{rows}</ol>"
        f'<p><a href="{html.escape(link)}">Open the selection page</a></p>'
        f"<p>Sent {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.</p></body></html>"
    )
