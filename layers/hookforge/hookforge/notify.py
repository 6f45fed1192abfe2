"""Run notifications for the brief's owner: HTML with previews and links, plus a plain-text part.

In AWS links are presigned (7 days, the SigV4 maximum) and the message goes out through SES; locally
the message is written into the run folder with links relative to it, so it opens straight from disk.
"""

from __future__ import annotations

import html
import posixpath
from typing import Any

from hookforge.storage import run_key

PRESIGN_SECONDS = 7 * 24 * 3600


def link(deps: Any, run_id: str, key: str) -> str:
    if deps.settings.is_local:
        return posixpath.relpath(key, run_key(run_id))
    return str(deps.store.presign(key, expires=PRESIGN_SECONDS))


def send(
    deps: Any, run_id: str, *, name: str, to: str | None, subject: str, body_html: str, body_text: str
) -> list[str]:
    """Write the message to runs/<id>/<name>; email it through SES when deployed and there is an owner."""
    head = f"<head><meta charset='utf-8'><title>{html.escape(subject)}</title></head>"
    page = f"<!doctype html><html>{head}{body_html}</html>"
    deps.store.put_bytes(run_key(run_id, name), page.encode(), content_type="text/html")
    if not to or deps.settings.is_local:
        return []
    deps.client("ses").send_email(
        Source=deps.settings.sender_email,
        Destination={"ToAddresses": [to]},
        Message={
            "Subject": {"Data": subject[:200]},
            "Body": {"Html": {"Data": page}, "Text": {"Data": body_text}},
        },
    )
    return [to]
