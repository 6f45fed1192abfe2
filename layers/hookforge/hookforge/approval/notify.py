"""Tell the reviewers that nobody picked in time and the run stopped (RecordFailure tells the owner)."""

from __future__ import annotations

import html

from pydantic import ValidationError

from hookforge.deps import Deps, Mail
from hookforge.models import Brief
from hookforge.observability import logger
from hookforge.storage import run_key


def notify_selection_timed_out(deps: Deps, run_id: str) -> list[str]:
    """Store `runs/<id>/selection-timeout.html` and mail it to the reviewers; returns the reviewers it is for."""
    try:
        brief = Brief.model_validate(deps.store.get_json(run_key(run_id, "brief.json")))
    except (ValidationError, ValueError, KeyError, deps.client("s3").exceptions.NoSuchKey):
        brief = None
    name = brief.name if brief else run_id
    owner = brief.owner if brief else None
    recipients = [r for r in dict.fromkeys(brief.selection.reviewers if brief else []) if r != owner]
    hours = f"{brief.selection.timeout_hours:g} h" if brief else "the selection deadline"
    body = (
        f"<html><body><h1>No pick for {html.escape(name)}</h1>"
        f"<p>Nobody chose a candidate within {html.escape(hours)}, so run {html.escape(run_id)} stopped "
        "(SelectionTimedOut). The candidates stay in the run folder; submit the brief again to start over.</p>"
        "</body></html>"
    )
    key = run_key(run_id, "selection-timeout.html")
    deps.store.put_bytes(key, body.encode(), content_type="text/html")
    if recipients:
        text = f"Nobody chose a candidate within {hours}, so run {run_id} stopped (SelectionTimedOut)."
        subject = f"No pick for {name}: the run stopped"
        deps.mailer.send(Mail(to=tuple(recipients), subject=subject, text=text, html=body))
    logger.info("selection timeout notified", extra={"run_id": run_id, "recipients": len(recipients)})
    return recipients
