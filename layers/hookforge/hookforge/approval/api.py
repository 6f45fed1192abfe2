"""What ApprovalApi answers, independent of API Gateway: GET renders (never decides), POST decides once.

403 tampered or missing form token, 404 unknown approval, 409 already decided, 410 expired, 400 a
decision that does not fit — each a readable HTML page. The task token and the signing key never
appear in a page or a log line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from hookforge.approval.page import (
    SECURITY_HEADERS,
    render_approval_page,
    render_decided_page,
    render_next_round_page,
    render_status_page,
)
from hookforge.approval.records import ApprovalRecord, Decision, decide
from hookforge.deps import Deps
from hookforge.errors import (
    ApprovalAlreadyDecided,
    ApprovalExpired,
    ApprovalNotFound,
    DecisionInvalid,
    HookforgeError,
    LinkExpired,
    LinkTampered,
)
from hookforge.observability import logger

_STATUS: list[tuple[type[Exception], int]] = [
    (LinkTampered, 403),
    (ApprovalNotFound, 404),
    (ApprovalAlreadyDecided, 409),
    (LinkExpired, 410),
    (ApprovalExpired, 410),
    (DecisionInvalid, 400),
]


@dataclass
class PageResponse:
    status: int
    body: str
    headers: dict[str, str] = field(default_factory=lambda: dict(SECURITY_HEADERS))


def image_url(deps: Deps, key: str) -> str:
    """A URL the reviewer's browser can load (presigned S3 in AWS, the local server's media route locally)."""
    return deps.links.image(key)


def _verified_record(deps: Deps, approval_id: str, query: Mapping[str, str], now: float) -> ApprovalRecord:
    deps.signer.verify_link(approval_id, query.get("exp"), query.get("sig"), now=now)
    record = deps.approvals.get(approval_id)
    if record.decided:
        raise ApprovalAlreadyDecided("somebody already decided this selection")
    if record.expires_at <= now:
        raise ApprovalExpired("this selection has expired; the run stopped waiting for a pick")
    return record


def _refused(approval_id: str, method: str, status: int, error: Exception) -> None:
    logger.warning(
        "approval refused",
        extra={"approval_id": approval_id, "method": method, "status": status, "reason": type(error).__name__},
    )


def _error_page(deps: Deps, approval_id: str, method: str, error: Exception) -> PageResponse:
    for kind, status in _STATUS:
        if isinstance(error, kind):
            _refused(approval_id, method, status, error)
            if status == 409:  # say who decided what, not just "no"
                record = deps.approvals.get(approval_id)
                return PageResponse(409, render_decided_page(record, record.decision or {}, already=True))
            hint = error.hint if isinstance(error, HookforgeError) else ""
            return PageResponse(status, render_status_page(status, str(error), hint=hint))
    raise error


def show(deps: Deps, approval_id: str, query: Mapping[str, str]) -> PageResponse:
    """GET: render the page. Reads only — a mail scanner's prefetch must not decide anything."""
    now = deps.clock()
    try:
        record = _verified_record(deps, approval_id, query, now)
    except ApprovalAlreadyDecided as e:
        decided = deps.approvals.get(approval_id)
        if (decided.decision or {}).get("action") == "regenerate":
            return _next_round(deps, decided, now)
        return _error_page(deps, approval_id, "GET", e)
    except Exception as e:  # noqa: BLE001 - mapped to a status page or re-raised
        return _error_page(deps, approval_id, "GET", e)
    action = "?" + urlencode({"exp": query["exp"], "sig": query["sig"]})
    body = render_approval_page(
        record,
        image_urls=[image_url(deps, c.key) for c in record.candidates],
        action_url=action,
        form_token=deps.signer.form_token(approval_id, now=now),
    )
    logger.info("approval page shown", extra={"approval_id": approval_id, "run_id": record.run_id})
    return PageResponse(200, body)


def _next_round(deps: Deps, record: ApprovalRecord, now: float) -> PageResponse:
    """A regenerated round's link (verified) leads on: to the next round's page, or waits for it."""
    run = deps.runs.get(record.run_id) or {}
    latest_id = run.get("approval_id")  # RequestSelection records each round's approval on the run
    newer = deps.approvals.get(str(latest_id)) if latest_id and latest_id != record.approval_id else None
    if newer is not None and newer.decided:  # somebody already answered the next round: who decided what
        return PageResponse(409, render_decided_page(newer, newer.decision or {}, already=True))
    if run.get("status") == "FAILED":
        return PageResponse(200, render_next_round_page(record, link=None, ended="failed"))
    if newer is not None:
        if newer.expires_at <= now:
            return PageResponse(200, render_next_round_page(record, link=None, ended="stopped waiting for a pick"))
        link = deps.signer.link(deps.settings.approval_base_url, newer.approval_id, newer.expires_at)
        return PageResponse(200, render_next_round_page(record, link=link))
    return PageResponse(200, render_next_round_page(record, link=None))


#: `pick-<n>` with n in ASCII digits, at most 4 of them (`str.isdigit` accepts "²", which `int` refuses)
_PICK = re.compile(r"pick-([0-9]{1,4})")


def parse_form(body: str | None) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body or "", keep_blank_values=True).items()}


def _decision(form: Mapping[str, str]) -> Decision:
    value = form.get("decision", "")
    feedback = form.get("feedback", "").strip()[:500]
    if value.startswith("pick-"):
        pick = _PICK.fullmatch(value)
        if pick is None:
            raise DecisionInvalid("the form picked no candidate by its number; use one of the page's buttons")
        motion = form.get("motion_prompt", "").strip()[:1000] or None
        return Decision(action="pick", index=int(pick.group(1)), motion_prompt=motion, decided_by="approval page")
    if value == "regenerate":
        edited = form.get("image_prompt", "").strip()[:2000]
        shown = form.get("image_prompt_shown", "").strip()[:2000]
        # only a prompt the reviewer changed is sent on; an untouched box leaves the feedback to rewrite it
        prompt = edited if edited and edited != shown else None
        return Decision(action="regenerate", feedback=feedback, image_prompt=prompt, decided_by="approval page")
    if value == "reject":
        return Decision(action="reject", feedback=feedback, decided_by="approval page")
    raise DecisionInvalid("the form did not say which decision to make; use one of the page's buttons")


def submit(deps: Deps, approval_id: str, query: Mapping[str, str], form: Mapping[str, str]) -> PageResponse:
    """POST: verify link, form token, expiry and single use, then answer the waiting task."""
    now = deps.clock()
    try:
        deps.signer.verify_link(approval_id, query.get("exp"), query.get("sig"), now=now)
        nonce_hash = deps.signer.verify_form_token(approval_id, form.get("form_token"), now=now)
        decision = _decision(form)
        record = decide(
            deps.approvals, deps.client("stepfunctions"), approval_id, decision, now=int(now), nonce_hash=nonce_hash
        )
    except Exception as e:  # noqa: BLE001 - mapped to a status page or re-raised
        return _error_page(deps, approval_id, "POST", e)
    logger.info(
        "approval decided",
        extra={"approval_id": approval_id, "run_id": record.run_id, "action": decision.action, "index": decision.index},
    )
    # after a regenerate, the page leads on to the next round through this approval's own (GET) link
    own_link = "?" + urlencode({"exp": query["exp"], "sig": query["sig"]})
    next_round = own_link if decision.action == "regenerate" else None
    return PageResponse(200, render_decided_page(record, decision.model_dump(), next_round_url=next_round))
