"""The selection email: HTML with the contact sheet inline and a button per candidate, plus plain text.

Every button opens the signed approval page (GET only renders, so mail scanners that prefetch links
decide nothing); the decision itself is made on the page. The task token is never in the email.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from email.utils import make_msgid

from hookforge.approval.records import ApprovalRecord

SHEET_CID_DOMAIN = "hookforge.local"


@dataclass(frozen=True)
class SelectionEmail:
    subject: str
    text: str
    html: str
    #: `cid:` reference of the inline contact sheet inside `html`
    sheet_cid: str

    def html_with_sheet_url(self, url: str) -> str:
        """The HTML with the inline image pointing at `url` instead (the local copy of the email)."""
        return self.html.replace(f"cid:{self.sheet_cid}", html.escape(url, quote=True))


def build_email(record: ApprovalRecord, *, link: str) -> SelectionEmail:
    name = record.brief_name or record.run_id
    deadline = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.expires_at))
    count = len(record.candidates)
    cid = make_msgid(idstring="contact-sheet", domain=SHEET_CID_DOMAIN)[1:-1]
    subject = f"Pick the hook for {name} ({count} candidates)"
    text_lines = [
        f"{count} candidate stills for '{name}' are ready (round {record.round + 1}).",
        f"Image prompt: {record.prompt}",
        *([f"Made with your feedback: {record.feedback}"] if record.feedback else []),
        f"Motion prompt: {record.motion_prompt}",
        "",
        "Open the selection page to pick one (you can edit the motion prompt there),",
        "ask for new candidates, or reject:",
        link,
        "",
        *[f"  #{n}: {link}#candidate-{n}" for n in range(1, count + 1)],
        "",
        f"The link works until {deadline}. Only the first decision counts.",
    ]
    e = html.escape
    buttons = "".join(
        f'<a href="{e(link)}#candidate-{n}" style="display:inline-block;margin:4px;padding:10px 16px;'
        f'background:#0a7d32;color:#ffffff;border-radius:6px;text-decoration:none;font-weight:600">'
        f"Pick #{n}</a>"
        for n in range(1, count + 1)
    )
    body = (
        '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;color:#1d1d1f">'
        f'<h1 style="font-size:20px">Pick the hook for {e(name)}</h1>'
        f"<p>{count} candidate stills are ready (round {record.round + 1}). "
        "Each number on the sheet is a button below.</p>"
        f'<p><img src="cid:{cid}" alt="Contact sheet of {count} numbered candidates" '
        'style="max-width:100%;height:auto;border-radius:6px"></p>'
        f"<p>{buttons}</p>"
        f"<p><strong>Image prompt:</strong> {e(record.prompt)}<br>"
        + (f"<strong>Made with your feedback:</strong> {e(record.feedback)}<br>" if record.feedback else "")
        + f"<strong>Motion prompt:</strong> {e(record.motion_prompt)}</p>"
        f'<p><a href="{e(link)}">Open the selection page</a> to pick, edit the motion prompt, ask for new '
        "candidates or reject.</p>"
        f'<p style="color:#666;font-size:12px">The link works until {deadline}. Only the first decision counts.</p>'
        "</body></html>"
    )
    return SelectionEmail(subject=subject, text="\n".join(text_lines), html=body, sheet_cid=cid)
