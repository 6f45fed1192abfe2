"""Run notifications for the brief's owner: HTML with previews and links, plus a plain-text part.

In AWS links are presigned (7 days, the SigV4 maximum) and the message goes out through SES; locally
the message is written into the run folder with links relative to it, so it opens straight from disk.
"""

from __future__ import annotations

import html

from hookforge.deps import Deps, Mail
from hookforge.storage import run_key


def link(deps: Deps, run_id: str, key: str) -> str:
    return deps.links.artifact(run_id, key)


def send(
    deps: Deps, run_id: str, *, name: str, to: str | None, subject: str, body_html: str, body_text: str
) -> list[str]:
    """Write the message to runs/<id>/<name> and hand it to the mailer (SES when deployed) if there is an owner."""
    head = f"<head><meta charset='utf-8'><title>{html.escape(subject)}</title></head>"
    page = f"<!doctype html><html>{head}{body_html}</html>"
    deps.store.put_bytes(run_key(run_id, name), page.encode(), content_type="text/html")
    if not to:
        return []
    return deps.mailer.send(Mail(to=(to,), subject=subject, text=body_text, html=page))
