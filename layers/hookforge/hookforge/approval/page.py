"""The approval page: plain HTML forms (no JavaScript), every value escaped, never the task token.

One form carries the editable motion prompt, a "Pick this one" button per candidate, the feedback box
with "Regenerate" and "Reject", and a hidden signed form token. Rendering it changes nothing.
"""

from __future__ import annotations

import html
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hookforge.approval.records import ApprovalRecord

#: headers every approval response carries (the URL holds a signature: never leak it as a referrer)
SECURITY_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; img-src https: http://127.0.0.1:* data:; style-src 'unsafe-inline'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f5f5f7;color:#1d1d1f}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:0 0 4px}
.meta{color:#555;margin:0 0 16px}
.prompt{background:#fff;border-radius:8px;padding:12px 16px;margin:0 0 16px;white-space:pre-wrap}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:16px;margin:16px 0}
figure{margin:0;background:#fff;border-radius:10px;overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.12)}
figure img{display:block;width:100%;height:auto;background:#222}
figcaption{display:flex;justify-content:space-between;align-items:center;padding:10px 12px}
label{display:block;font-weight:600;margin:12px 0 4px}
textarea{width:100%;box-sizing:border-box;font:inherit;padding:8px;border-radius:6px;border:1px solid #bbb}
button{font:inherit;padding:10px 16px;border-radius:8px;border:0;cursor:pointer}
.pick{background:#0a7d32;color:#fff}.regen{background:#1f5fbf;color:#fff}.reject{background:#b3261e;color:#fff}
.note{color:#8a5a00}.box{background:#fff;border-radius:10px;padding:16px;margin:16px 0}
a.pick{display:inline-block;padding:10px 16px;border-radius:8px;text-decoration:none;font-weight:600}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _document(title: str, body: str, *, refresh: str | None = None) -> str:
    # a page waiting for the next round reloads itself (no JavaScript): `refresh` is "<seconds>;url=<url>"
    reload = f'<meta http-equiv="refresh" content="{_e(refresh)}">' if refresh else ""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="referrer" content="no-referrer">{reload}<title>{_e(title)}</title><style>{_CSS}</style></head>'
        f"<body><main>{body}</main></body></html>"
    )


def _utc(ts: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def render_approval_page(record: ApprovalRecord, *, image_urls: list[str], action_url: str, form_token: str) -> str:
    """The page a reviewer sees: large candidates, the prompt, the motion prompt to edit, three decisions."""
    figures = []
    prompts_differ = len({c.prompt for c in record.candidates}) > 1
    for number, (candidate, url) in enumerate(zip(record.candidates, image_urls, strict=True), start=1):
        label = "placeholder still" if candidate.placeholder else candidate.provider
        own_prompt = f'<p class="meta" style="padding:0 12px">{_e(candidate.prompt)}</p>' if prompts_differ else ""
        figures.append(
            f'<figure id="candidate-{number}"><img src="{_e(url)}" alt="Candidate {number}" '
            f'width="{candidate.width}" height="{candidate.height}" data-candidate="{number}">'
            f"<figcaption><span>#{number} · {_e(label)} · {candidate.width}×{candidate.height}</span>"
            f'<button class="pick" type="submit" name="decision" value="pick-{number}">'
            f"Pick #{number}</button></figcaption>{own_prompt}</figure>"
        )
    # counted as the brief counts them: selection.max_rounds is how many times candidates may be regenerated
    rounds_left = record.max_rounds - record.round
    if rounds_left > 0:
        regen = (
            '<button class="regen" type="submit" name="decision" value="regenerate">Regenerate with feedback</button> '
            f'<span class="meta">{rounds_left} of {_rounds(record.max_rounds)} left</span>'
        )
    else:
        regen = (
            f'<p class="note">No regeneration left (the brief allows {_rounds(record.max_rounds)}): '
            "pick a candidate or reject.</p>"
        )
    feedback = (
        f'<p class="meta">These candidates were made with the feedback: {_e(record.feedback)}</p>'
        if record.feedback
        else ""
    )
    # one prompt for all candidates is shown once; different prompts are shown under each candidate
    shared_prompt = (
        "" if prompts_differ else f'<p class="prompt"><strong>Image prompt:</strong> {_e(record.prompt)}</p>'
    )
    body = (
        f"<h1>Pick the hook for {_e(record.brief_name or record.run_id)}</h1>"
        f'<p class="meta">Run {_e(record.run_id)} · round {record.round + 1}'
        f" · {_rounds(record.max_rounds)} allowed · open until {_utc(record.expires_at)}</p>"
        f"{_costs(record)}"
        f"{shared_prompt}{feedback}"
        f'<form method="post" action="{_e(action_url)}">'
        f'<input type="hidden" name="form_token" value="{_e(form_token)}">'
        f'<label for="motion_prompt">Motion prompt (sent to image-to-video with your pick)</label>'
        f'<textarea id="motion_prompt" name="motion_prompt" rows="3" maxlength="1000">'
        f"{_e(record.motion_prompt)}</textarea>"
        f'<div class="grid">{"".join(figures)}</div>'
        '<div class="box"><label for="feedback">Feedback (for regenerate or reject)</label>'
        '<textarea id="feedback" name="feedback" rows="2" maxlength="500"></textarea>'
        '<label for="image_prompt">Image prompt for the next round (edit it, or leave it to the feedback)</label>'
        f'<textarea id="image_prompt" name="image_prompt" rows="3" maxlength="2000">{_e(record.prompt)}</textarea>'
        f'<input type="hidden" name="image_prompt_shown" value="{_e(record.prompt)}"><p>'
        f"{regen} "
        '<button class="reject" type="submit" name="decision" value="reject">Reject all</button></p></div>'
        "</form>"
    )
    return _document(f"Pick the hook — {record.brief_name or record.run_id}", body)


def _costs(record: ApprovalRecord) -> str:
    """Spent so far, and what the video of the picked still should cost (estimates are labelled)."""
    video = (
        f" · the video of your pick: about ${record.video_estimate_usd:.2f} at {_e(record.video_provider)} (estimate)"
        if record.video_estimate_usd is not None
        else ""
    )
    return f'<p class="meta" id="costs">Spent so far: ${record.spent_usd:.2f}{video}</p>'


def _rounds(count: int) -> str:
    return f"{count} regeneration round{'' if count == 1 else 's'}"


def render_decided_page(
    record: ApprovalRecord, decision: dict[str, object], *, already: bool = False, next_round_url: str | None = None
) -> str:
    """What a reviewer sees after deciding (and what a second reviewer sees: who decided what).

    After a regenerate, `next_round_url` (this approval's own link) leads on to the next round's page once its
    candidates are ready.
    """
    action = decision.get("action")
    if action == "pick":
        what = f"candidate #{decision.get('index')} was picked"
    elif action == "regenerate":
        what = "new candidates were requested"
    else:
        what = "every candidate was rejected"
    by = decision.get("decided_by") or "a reviewer"
    title = "Already decided" if already else "Decision recorded"
    first = " Only the first decision counts; yours was not applied." if already else ""
    if action == "regenerate" and next_round_url is not None and not already:
        follow = (
            f"<p>Round {record.round + 2} is being made with your feedback; this page moves on to it when its "
            f'candidates are ready.</p><p><a class="pick" href="{_e(next_round_url)}">Open round {record.round + 2}</a>'
            "</p>"
        )
        body = f"<h1>{title}</h1><p>For {_e(record.brief_name or record.run_id)}, {_e(what)} by {_e(by)}.</p>{follow}"
        return _document(title, body, refresh=f"{NEXT_ROUND_REFRESH_SECONDS};url={next_round_url}")
    body = (
        f"<h1>{title}</h1><p>For {_e(record.brief_name or record.run_id)}, {_e(what)} by {_e(by)}.{first}</p>"
        "<p>You can close this page.</p>"
    )
    return _document(title, body)


#: how often a page waiting for the next round's candidates reloads itself
NEXT_ROUND_REFRESH_SECONDS = 5


def render_next_round_page(record: ApprovalRecord, *, link: str | None, ended: str | None = None) -> str:
    """After a regenerate, what the round's link shows: the next round's link when it is ready, else a page that
    reloads itself until it is (or says the run ended without one)."""
    name = _e(record.brief_name or record.run_id)
    number = record.round + 2
    if link is not None:
        body = (
            f"<h1>Round {number} is ready</h1><p>New candidates for {name}, made with the feedback.</p>"
            f'<p><a class="pick" href="{_e(link)}">Open round {number}</a></p>'
        )
        return _document(f"Round {number} is ready", body)
    if ended is not None:
        body = f"<h1>No round {number}</h1><p>The run for {name} {_e(ended)}; there is nothing more to pick.</p>"
        return _document(f"No round {number}", body)
    body = (
        f"<h1>Making round {number}</h1><p>New candidates for {name} are being made with the feedback. This page "
        f"reloads itself every {NEXT_ROUND_REFRESH_SECONDS} seconds until they are ready.</p>"
    )
    return _document(f"Making round {number}", body, refresh=str(NEXT_ROUND_REFRESH_SECONDS))


_STATUS_TITLES = {
    400: "This decision could not be applied",
    403: "This link is not valid",
    404: "No such selection",
    409: "Already decided",
    410: "This selection has expired",
    500: "Something went wrong",
}


def render_status_page(status: int, message: str, *, hint: str = "") -> str:
    """A readable error page: a title, what happened and what to do — never a stack trace."""
    title = _STATUS_TITLES.get(status, "Error")
    hint_html = f"<p>{_e(hint)}</p>" if hint else ""
    return _document(title, f"<h1>{_e(title)}</h1><p>{_e(message)}</p>{hint_html}<p class='meta'>HTTP {status}</p>")
