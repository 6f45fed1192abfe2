"""RequestSelection: approval stored with the token server-side, contact sheet, signed link, email."""

from __future__ import annotations

import email
import io
from email import policy
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image

from hookforge.approval.email import build_email
from hookforge.approval.notify import notify_selection_timed_out
from hookforge.approval.page import render_approval_page
from hookforge.deps import Deps
from hookforge.errors import NoCandidates
from hookforge.models import Brief, GeneratedCandidate, RequestSelectionInput, StepError
from hookforge.steps import request_selection
from tests.unit.approval_env import KEY, NOW, TOKEN, approval_env, candidates, captured_logs


def selection_input(deps: Deps, *, reviewers: list[str] | None = None, count: int = 3, **extra: Any):
    brief = Brief(
        name="summer-sneakers",
        idea="sneakers at night",
        selection={"reviewers": reviewers or [], "timeout_hours": 2, "max_rounds": 1},
    )
    generated = [GeneratedCandidate(ok=True, index=c.index, candidate=c) for c in candidates(deps, count=count)]
    return RequestSelectionInput(run_id="run-1", brief=brief, generated=generated, task_token=TOKEN, **extra)


def test_local_run_stores_the_approval_sheet_and_email() -> None:
    with approval_env(stage="local", base_url="http://127.0.0.1:9999") as deps, captured_logs() as log:
        # Given three candidates of round 1, made with reviewer feedback
        event = selection_input(deps, round=1, feedback="darker")
        # When selection is requested locally
        request = request_selection.run(event, deps)
        record = deps.approvals.get(request.approval_id)
        email_html = deps.store.get_bytes("runs/run-1/email.html").decode()
        email_text = deps.store.get_bytes("runs/run-1/email.txt").decode()
        stored_request = deps.store.get_bytes("runs/run-1/selection-request.json").decode()
        sheet = Image.open(io.BytesIO(deps.store.get_bytes(record.contact_sheet_key or "")))
        thumbs = [Image.open(io.BytesIO(deps.store.get_bytes(k))) for k in record.thumbnail_keys]
        run = deps.runs.get("run-1")
    # Then the approval keeps the token server-side, undecided, expiring with the brief's timeout
    assert record.task_token == TOKEN and not record.decided
    assert record.expires_at == NOW + 2 * 3600 == request.expires_at
    assert (record.round, record.max_rounds, record.feedback) == (1, 1, "darker")
    # And the link is signed for this approval and expiry, on the configured base URL
    link = urlsplit(request.link)
    q = {k: v[0] for k, v in parse_qs(link.query).items()}
    assert request.link.startswith(f"http://127.0.0.1:9999/approvals/{request.approval_id}?")
    assert deps.signer.verify_link(request.approval_id, q["exp"], q["sig"], now=NOW) == record.expires_at
    # And a contact sheet holds all three thumbnails in one row, each thumbnail stored
    assert sheet.format == "JPEG" and sheet.width > 3 * 300 and len(thumbs) == 3
    assert record.contact_sheet_key == "runs/run-1/selection/round-1/contact-sheet.jpg"
    # And the local email shows the sheet (relative to the run folder) and a button per candidate
    assert 'src="selection/round-1/contact-sheet.jpg"' in email_html
    assert email_html.count(">Pick #") == 3 and request.link.replace("&", "&amp;") in email_html
    assert request.link in email_text
    assert run is not None and run["status"] == "AWAITING_SELECTION"
    # And no artifact nor log line carries the task token or the key
    for text in (email_html, email_text, stored_request, log.getvalue()):
        assert TOKEN not in text and KEY.decode() not in text
    assert "selection requested" in log.getvalue()


def test_aws_run_emails_every_reviewer_with_the_sheet_inline() -> None:
    with approval_env(stage="aws") as deps:
        # Given reviewers and a verified sender
        ses = deps.client("ses")
        ses.verify_email_identity(EmailAddress=deps.settings.sender_email)
        sent: list[dict[str, Any]] = []
        ses.meta.events.register(
            "provide-client-params.ses.SendRawEmail", lambda params, **_: sent.append(dict(params))
        )
        event = selection_input(deps, reviewers=["ana@example.com", "bo@example.com"])
        # When selection is requested in AWS
        request = request_selection.run(event, deps)
        quota = ses.get_send_quota()
        local_copy = deps.store.exists("runs/run-1/email.html")
    # Then one raw email went to both reviewers through SES
    assert len(sent) == 1 and quota["SentLast24Hours"] > 0 and not local_copy
    assert sent[0]["Destinations"] == ["ana@example.com", "bo@example.com"]
    message = email.message_from_bytes(sent[0]["RawMessage"]["Data"], policy=policy.default)
    # With a plain-text part, an HTML part and the contact sheet inline, referenced by its Content-ID
    text = message.get_body(preferencelist=("plain",)).get_content()
    html_part = message.get_body(preferencelist=("html",)).get_content()
    images = [p for p in message.walk() if p.get_content_type() == "image/jpeg"]
    assert request.link in text and len(images) == 1
    cid = str(images[0]["Content-ID"]).strip().strip("<>")
    assert f'src="cid:{cid}"' in html_part and html_part.count(">Pick #") == 3
    assert images[0].get_content_disposition() == "inline"
    raw = sent[0]["RawMessage"]["Data"].decode("latin-1")
    assert TOKEN not in raw and KEY.decode() not in raw


def test_failed_candidates_are_left_out_of_the_sheet() -> None:
    with approval_env(stage="local") as deps:
        event = selection_input(deps, count=2)
        event.generated.append(
            GeneratedCandidate(ok=False, index=2, error=StepError(error="ContentRejected", cause="policy"))
        )
        request = request_selection.run(event, deps)
    assert [c.index for c in request.candidates] == [0, 1]


def test_no_usable_candidate_is_no_candidates() -> None:
    with approval_env(stage="local") as deps:
        event = selection_input(deps, count=1)
        event.generated[0] = GeneratedCandidate(ok=False, index=0, error=StepError(error="ContentRejected", cause="x"))
        with pytest.raises(NoCandidates, match="ContentRejected"):
            request_selection.run(event, deps)


def test_untrusted_text_is_escaped_in_page_and_email() -> None:
    with approval_env(stage="local") as deps:
        event = selection_input(deps, count=1)
        request = request_selection.run(event, deps)
        record = deps.approvals.get(request.approval_id)
    record.prompt = '<script>alert(1)</script>"'
    record.motion_prompt = "</textarea><img src=x onerror=alert(1)>"
    page = render_approval_page(record, image_urls=['https://x/"onload="'], action_url="?a=1&b=2", form_token="t")
    mail = build_email(record, link="https://x/approvals/a?exp=1&sig=2").html
    for html in (page, mail):
        assert "<script>" not in html and "</textarea><img" not in html and "onerror=alert(1)>" not in html
    assert '"onload="' not in page and 'action="?a=1&amp;b=2"' in page


def test_selection_timeout_notifies_the_reviewers_in_aws() -> None:
    with approval_env(stage="aws") as deps:
        # Given a stored brief with an owner and reviewers
        brief = Brief(
            name="summer-sneakers",
            owner="owner@example.com",
            selection={"reviewers": ["ana@example.com", "owner@example.com", "ana@example.com"]},
        )
        deps.store.put_json("runs/run-1/brief.json", brief.model_dump(mode="json"))
        ses = deps.client("ses")
        ses.verify_email_identity(EmailAddress=deps.settings.sender_email)
        sent: list[dict[str, Any]] = []
        ses.meta.events.register("provide-client-params.ses.SendEmail", lambda params, **_: sent.append(dict(params)))
        # When the selection deadline passes
        recipients = notify_selection_timed_out(deps, "run-1")
        notice = deps.store.get_bytes("runs/run-1/selection-timeout.html").decode()
    # Then each reviewer is emailed once (the owner gets RecordFailure's notice) and the notice is stored
    assert recipients == ["ana@example.com"]
    assert sent[0]["Destination"]["ToAddresses"] == recipients
    assert "SelectionTimedOut" in notice and "summer-sneakers" in notice
