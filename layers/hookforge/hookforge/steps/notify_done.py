"""NotifyDone: tell the brief's owner the hook is ready (previews and links); mark the run succeeded."""

from __future__ import annotations

import html

from hookforge import notify
from hookforge.deps import Deps
from hookforge.ledger import announcements
from hookforge.models import Notification, NotifyDoneInput
from hookforge.observability import logger
from hookforge.runqueue import release_slot
from hookforge.storage import run_key


def run(event: NotifyDoneInput, deps: Deps) -> Notification:
    render, run_id = event.render, event.run_id
    poster = notify.link(deps, run_id, render.poster_key)
    preview = notify.link(deps, run_id, render.preview_key)
    links = {aspect: notify.link(deps, run_id, key) for aspect, key in render.outputs.items()}
    items = "".join(
        f'<li><a href="{html.escape(url)}">{html.escape(aspect)} hook (mp4)</a></li>' for aspect, url in links.items()
    )
    body = (
        f"<body style='font-family:sans-serif'><h1>Your hook for {html.escape(event.brief.name)} is ready</h1>"
        f'<p><img src="{html.escape(preview)}" alt="animated preview" width="270"> '
        f'<img src="{html.escape(poster)}" alt="poster" width="270"></p>'
        f"<ul>{items}</ul><p>Hook id <b>{html.escape(event.hook.hook_id)}</b>: put it in the ad name "
        f"(e.g. <code>{html.escape(event.brief.name)} | {html.escape(event.hook.hook_id)}</code>) so its hook rate "
        f"is tracked. A good hook rate is 30 %.</p></body>"
    )
    told = announcements(deps, run_id)
    if told:
        # fallbacks and cost are announced in the notification too, never only in the runs table
        items = "".join(f"<li>{html.escape(line)}</li>" for line in told)
        body = body.replace("</body>", f"<h2>Notes</h2><ul>{items}</ul></body>")
    text = f"Your hook for {event.brief.name} is ready (hook id {event.hook.hook_id}).\n" + "\n".join(
        [*(f"{aspect}: {url}" for aspect, url in links.items()), *told]
    )
    name = "notification.html"
    sent_to = notify.send(
        deps,
        run_id,
        name=name,
        to=event.brief.owner,
        subject=f"Hook ready: {event.brief.name}",
        body_html=body,
        body_text=text,
    )
    deps.runs.update(run_id, step="NotifyDone", status="SUCCEEDED", hook_id=event.hook.hook_id)
    release_slot(deps)
    logger.info("run succeeded", extra={"run_id": run_id, "hook_id": event.hook.hook_id})
    return Notification(sent_to=sent_to, message_key=run_key(run_id, name))
