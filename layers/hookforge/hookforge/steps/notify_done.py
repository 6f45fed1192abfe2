"""NotifyDone: tell the brief's owner the hook is ready; mark the run succeeded."""

from __future__ import annotations

import html

from hookforge.models import Notification, NotifyDoneInput
from hookforge.observability import logger
from hookforge.steps.deps import Deps
from hookforge.storage import run_key


def run(event: NotifyDoneInput, deps: Deps) -> Notification:
    links = "".join(
        f"<li>{html.escape(aspect)}: {html.escape(key)}</li>" for aspect, key in event.render.outputs.items()
    )
    body = (
        f"<html><body><h1>Your hook for {html.escape(event.brief.name)} is ready</h1>"
        f"<p>Hook id <b>{html.escape(event.hook.hook_id)}</b> — put it in the ad name so its hook rate is tracked.</p>"
        f"<ul>{links}</ul></body></html>"
    )
    key = run_key(event.run_id, "notification.html")
    deps.store.put_bytes(key, body.encode(), content_type="text/html")
    sent_to: list[str] = []
    if event.brief.owner and not deps.settings.is_local:
        deps.client("ses").send_email(
            Source=deps.settings.sender_email,
            Destination={"ToAddresses": [event.brief.owner]},
            Message={"Subject": {"Data": f"Hook ready: {event.brief.name}"}, "Body": {"Html": {"Data": body}}},
        )
        sent_to = [event.brief.owner]
    deps.runs.update(event.run_id, step="NotifyDone", status="SUCCEEDED", hook_id=event.hook.hook_id)
    logger.info("run succeeded", extra={"run_id": event.run_id, "hook_id": event.hook.hook_id})
    return Notification(sent_to=sent_to, message_key=key)
