"""RequestSelection: the `.waitForTaskToken` task. Stores the approval (token server-side) and asks reviewers.

It renders thumbnails and a numbered contact sheet, stores the approval record, and emails every
reviewer a signed link (SES in AWS; `runs/<id>/email.html` locally). The run waits until a reviewer
decides on the ApprovalApi page (or the local engine's `--pick`), which answers the task with
SendTaskSuccess (a Selection) or SendTaskFailure (`Regenerate` / `Rejected`).
"""

from __future__ import annotations

from hookforge import ledger
from hookforge.approval.email import build_email
from hookforge.approval.records import ApprovalRecord, new_approval_id
from hookforge.approval.sheet import render_sheet
from hookforge.deps import Deps, Mail
from hookforge.errors import NoCandidates
from hookforge.models import Candidate, RequestSelectionInput, SelectionRequest
from hookforge.observability import logger
from hookforge.prompts import decode_feedback
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
    expires_at = now + event.brief.selection.timeout_seconds
    approval_id = new_approval_id()

    folder = f"selection/round-{event.round}"
    sheet = render_sheet([deps.store.get_bytes(c.key) for c in candidates])
    sheet_key = deps.store.put_bytes(
        run_key(event.run_id, folder, "contact-sheet.jpg"), sheet.contact_sheet, content_type="image/jpeg"
    )
    thumb_keys = [
        deps.store.put_bytes(run_key(event.run_id, folder, f"thumb-{n}.jpg"), data, content_type="image/jpeg")
        for n, data in enumerate(sheet.thumbnails, start=1)
    ]
    run = deps.runs.get(event.run_id) or {}
    video_plan = run.get("video_estimate") or {}
    record = ApprovalRecord(
        spent_usd=ledger.spent(deps.runs, event.run_id),
        video_estimate_usd=float(video_plan["usd"]) if "usd" in video_plan else None,
        video_provider=str(video_plan.get("provider") or ""),
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
        brief_name=event.brief.name,
        # the words the reviewer wrote (an edited image prompt shows as the candidates' own prompt)
        feedback=decode_feedback(event.feedback)[0] if event.feedback else "",
        contact_sheet_key=sheet_key,
        thumbnail_keys=thumb_keys,
    )
    deps.approvals.create(record)
    link = deps.signer.link(deps.settings.approval_base_url, approval_id, expires_at)
    request = SelectionRequest(approval_id=approval_id, candidates=candidates, link=link, expires_at=expires_at)
    deps.store.put_json(run_key(event.run_id, "selection-request.json"), request.model_dump(mode="json"))

    mail = build_email(record, link=link)
    reviewers = event.brief.selection.reviewers
    inline = ((mail.sheet_cid, sheet.contact_sheet),)
    message = Mail(to=tuple(reviewers), subject=mail.subject, text=mail.text, html=mail.html, inline=inline)
    sent = deps.mailer.send(message)
    if not sent:
        # not mailed (locally, or no reviewers): the email sits next to the run's artifacts, its sheet referenced
        # relative to runs/<id>/
        body = mail.html_with_sheet_url(f"{folder}/contact-sheet.jpg")
        deps.store.put_bytes(run_key(event.run_id, "email.html"), body.encode(), content_type="text/html")
        deps.store.put_bytes(run_key(event.run_id, "email.txt"), mail.text.encode(), content_type="text/plain")
    deps.runs.update(event.run_id, step="RequestSelection", status="AWAITING_SELECTION", approval_id=approval_id)
    logger.info(
        "selection requested",
        extra={
            "run_id": event.run_id,
            "approval_id": approval_id,
            "candidates": len(candidates),
            "round": event.round,
            "reviewers": len(reviewers),
            "expires_at": expires_at,
        },
    )
    return request
