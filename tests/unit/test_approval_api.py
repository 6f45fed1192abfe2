"""ApprovalApi security: GET never decides; POST decides once, only with a valid link and form token."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from botocore.stub import Stubber

from functions.approval_api.app import lambda_handler
from hookforge.approval.records import ApprovalRecord
from hookforge.deps import Deps
from hookforge.local.approval_server import LocalLambdaContext, proxy_event
from hookforge.models import Selection
from tests.unit.approval_env import KEY, NOW, TOKEN, approval_env, captured_logs, stored_approval


@pytest.fixture
def deps() -> Iterator[Deps]:
    with approval_env() as deps:
        yield deps


@pytest.fixture
def sfn(deps: Deps) -> Iterator[Stubber]:
    """Step Functions with no answer expected: any unexpected SendTask* call fails the test."""
    stubber = Stubber(deps.client("stepfunctions"))
    with stubber:
        yield stubber


def call(method: str, path: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    body = urlencode(form).encode() if form is not None else b""
    headers = {"content-type": "application/x-www-form-urlencoded"} if form is not None else {}
    return lambda_handler(proxy_event(method, path, headers, body, "127.0.0.1"), LocalLambdaContext())


def link_path(deps: Deps, record: ApprovalRecord) -> str:
    split = urlsplit(deps.signer.link("https://x.test", record.approval_id, record.expires_at))
    return f"{split.path}?{split.query}"


def form_token(page: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match, "the page carries a signed form token"
    return match.group(1)


def is_decided(deps: Deps, approval_id: str) -> bool:
    return deps.approvals.get(approval_id).decided


def expect_pick(sfn: Stubber, record: ApprovalRecord, index: int, motion_prompt: str) -> None:
    selection = Selection(
        candidate=record.candidates[index - 1], motion_prompt=motion_prompt, decided_by="approval page"
    )
    sfn.add_response(
        "send_task_success", {}, {"taskToken": TOKEN, "output": json.dumps(selection.model_dump(mode="json"))}
    )


def test_get_renders_the_page_and_decides_nothing(deps: Deps, sfn: Stubber) -> None:
    # Given a waiting approval
    record = stored_approval(deps)
    # When a mail scanner fetches the link twice
    first = call("GET", link_path(deps, record))
    second = call("GET", link_path(deps, record))
    # Then both get the page, with every candidate, the motion prompt and the three decisions
    assert first["statusCode"] == second["statusCode"] == 200
    page = first["body"]
    assert page.count('name="decision" value="pick-') == 3
    assert 'value="regenerate"' in page and 'value="reject"' in page
    assert "slow push-in</textarea>" in page and "<script" not in page
    headers = {k.lower(): v[-1] for k, v in first["multiValueHeaders"].items()}
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
    assert headers["content-type"].startswith("text/html")
    # And the images are presigned S3 URLs of the candidates
    assert len(re.findall(r'<img src="https://[^"]*/candidates/\d\.png\?[^"]*Signature=', page)) == 3
    # And nothing was decided nor answered (the stubber has no response queued)
    assert not is_decided(deps, record.approval_id)
    sfn.assert_no_pending_responses()


def test_post_pick_answers_the_task_with_the_edited_motion_prompt(deps: Deps, sfn: Stubber) -> None:
    # Given the page of a waiting approval
    record = stored_approval(deps)
    page = call("GET", link_path(deps, record))["body"]
    expect_pick(sfn, record, 2, "fast orbit around the shoe")
    # When the reviewer edits the motion prompt and picks #2
    form = {"form_token": form_token(page), "motion_prompt": "fast orbit around the shoe", "decision": "pick-2"}
    answer = call("POST", link_path(deps, record), form)
    # Then the task got candidate #2 with that prompt, and the approval is decided
    assert answer["statusCode"] == 200 and "candidate #2 was picked" in answer["body"]
    sfn.assert_no_pending_responses()
    stored = deps.approvals.get(record.approval_id)
    assert stored.decided and stored.decision and stored.decision["index"] == 2
    assert stored.decided_nonce_hash and form_token(page).split(".")[1] not in stored.decided_nonce_hash


def test_post_regenerate_fails_the_task_with_the_feedback(deps: Deps, sfn: Stubber) -> None:
    record = stored_approval(deps)
    page = call("GET", link_path(deps, record))["body"]
    sfn.add_response(
        "send_task_failure", {}, {"taskToken": TOKEN, "error": "Regenerate", "cause": "more contrast, night sky"}
    )
    form = {"form_token": form_token(page), "feedback": "more contrast, night sky", "decision": "regenerate"}
    assert call("POST", link_path(deps, record), form)["statusCode"] == 200
    sfn.assert_no_pending_responses()


def test_post_reject_fails_the_task_as_rejected(deps: Deps, sfn: Stubber) -> None:
    record = stored_approval(deps)
    page = call("GET", link_path(deps, record))["body"]
    sfn.add_response("send_task_failure", {}, {"taskToken": TOKEN, "error": "Rejected", "cause": "rejected"})
    assert (
        call("POST", link_path(deps, record), {"form_token": form_token(page), "decision": "reject"})["statusCode"]
        == 200
    )
    sfn.assert_no_pending_responses()


def test_regenerate_is_refused_when_no_rounds_are_left(deps: Deps, sfn: Stubber) -> None:
    # Given the last allowed round
    record = stored_approval(deps, round=2, max_rounds=2)
    page = call("GET", link_path(deps, record))["body"]
    assert 'value="regenerate"' not in page
    # When a crafted POST asks to regenerate anyway
    answer = call("POST", link_path(deps, record), {"form_token": form_token(page), "decision": "regenerate"})
    # Then it is a readable 400 and the run keeps waiting
    assert answer["statusCode"] == 400 and "no more regeneration rounds" in answer["body"]
    assert not is_decided(deps, record.approval_id)


def test_post_is_refused_when_the_candidate_number_is_out_of_range(deps: Deps, sfn: Stubber) -> None:
    record = stored_approval(deps)
    page = call("GET", link_path(deps, record))["body"]
    answer = call("POST", link_path(deps, record), {"form_token": form_token(page), "decision": "pick-9"})
    assert answer["statusCode"] == 400
    assert not is_decided(deps, record.approval_id)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_altered_signature_is_forbidden(deps: Deps, sfn: Stubber, method: str) -> None:
    # Given a link whose signature was edited
    record = stored_approval(deps)
    path = link_path(deps, record)
    page = call("GET", path)["body"]
    forged = re.sub(r"sig=(.)", lambda m: "sig=" + ("B" if m.group(1) != "B" else "C"), path)
    # When it is opened or posted
    answer = call(method, forged, {"form_token": form_token(page), "decision": "pick-1"} if method == "POST" else None)
    # Then 403 with a readable page, and the run keeps waiting
    assert answer["statusCode"] == 403 and "This link is not valid" in answer["body"]
    assert "Traceback" not in answer["body"]
    assert not is_decided(deps, record.approval_id)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_altered_approval_id_is_forbidden(deps: Deps, sfn: Stubber, method: str) -> None:
    # Given two waiting approvals, and the first one's signature put on the second one's id
    first = stored_approval(deps, approval_id="appr-1")
    second = stored_approval(deps, approval_id="appr-2")
    page = call("GET", link_path(deps, first))["body"]
    forged = link_path(deps, first).replace("appr-1", "appr-2")
    form = {"form_token": form_token(page), "decision": "pick-1"} if method == "POST" else None
    # When it is used
    answer = call(method, forged, form)
    # Then 403, and neither approval is decided
    assert answer["statusCode"] == 403
    assert not is_decided(deps, first.approval_id) and not is_decided(deps, second.approval_id)


def test_form_token_of_another_approval_is_forbidden(deps: Deps, sfn: Stubber) -> None:
    first = stored_approval(deps, approval_id="appr-1")
    second = stored_approval(deps, approval_id="appr-2")
    token_of_first = form_token(call("GET", link_path(deps, first))["body"])
    answer = call("POST", link_path(deps, second), {"form_token": token_of_first, "decision": "pick-1"})
    assert answer["statusCode"] == 403
    assert not is_decided(deps, second.approval_id)


def test_post_without_form_token_is_forbidden(deps: Deps, sfn: Stubber) -> None:
    # Given a valid link (e.g. a forged cross-site form that knows the link)
    record = stored_approval(deps)
    # When it POSTs a decision without the page's signed form token
    answer = call("POST", link_path(deps, record), {"decision": "pick-1"})
    # Then 403, and the run keeps waiting
    assert answer["statusCode"] == 403 and "signed token" in answer["body"]
    assert not is_decided(deps, record.approval_id)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_expired_link_is_gone(deps: Deps, sfn: Stubber, method: str) -> None:
    # Given a page opened in time
    record = stored_approval(deps)
    page = call("GET", link_path(deps, record))["body"]
    # When the link is used after its deadline
    deps.clock.now = record.expires_at + 1  # type: ignore[attr-defined]
    form = {"form_token": form_token(page), "decision": "pick-1"} if method == "POST" else None
    answer = call(method, link_path(deps, record), form)
    # Then 410 with a readable page, and nothing is decided
    assert answer["statusCode"] == 410 and "expired" in answer["body"]
    assert not is_decided(deps, record.approval_id)


def test_unknown_approval_is_not_found(deps: Deps, sfn: Stubber) -> None:
    # Given a correctly signed link to an approval that does not exist
    path = urlsplit(deps.signer.link("https://x.test", "no-such-approval", NOW + 60))
    # When it is opened
    answer = call("GET", f"{path.path}?{path.query}")
    # Then 404 with a readable page
    assert answer["statusCode"] == 404 and "does not exist" in answer["body"]


def test_replayed_post_is_a_conflict_and_answers_the_task_once(deps: Deps, sfn: Stubber) -> None:
    # Given a decided approval
    record = stored_approval(deps)
    page = call("GET", link_path(deps, record))["body"]
    form = {"form_token": form_token(page), "motion_prompt": "slow push-in", "decision": "pick-1"}
    expect_pick(sfn, record, 1, "slow push-in")
    assert call("POST", link_path(deps, record), form)["statusCode"] == 200
    # When the same POST is replayed
    replay = call("POST", link_path(deps, record), form)
    # Then 409, and the task was answered exactly once (no second response was queued)
    assert replay["statusCode"] == 409 and "Already decided" in replay["body"]
    sfn.assert_no_pending_responses()


def test_second_reviewer_after_the_first_decided_gets_a_conflict(deps: Deps, sfn: Stubber) -> None:
    # Given two reviewers who both opened the page
    record = stored_approval(deps)
    page_a = call("GET", link_path(deps, record))["body"]
    page_b = call("GET", link_path(deps, record))["body"]
    expect_pick(sfn, record, 3, "slow push-in")
    # When A picks #3 and then B picks #1
    a = call("POST", link_path(deps, record), {"form_token": form_token(page_a), "decision": "pick-3"})
    b = call("POST", link_path(deps, record), {"form_token": form_token(page_b), "decision": "pick-1"})
    # Then A's decision stands, B learns who decided what, and B's later GET says so too
    assert a["statusCode"] == 200
    assert b["statusCode"] == 409 and "candidate #3 was picked" in b["body"]
    assert call("GET", link_path(deps, record))["statusCode"] == 409
    assert deps.approvals.get(record.approval_id).decision["index"] == 3  # type: ignore[index]
    sfn.assert_no_pending_responses()


def test_unknown_route_is_a_readable_404(deps: Deps) -> None:
    answer = call("GET", "/admin")
    assert answer["statusCode"] == 404 and "<h1>" in answer["body"]


def test_no_task_token_or_secret_in_pages_or_logs(deps: Deps, sfn: Stubber) -> None:
    # Given a waiting approval, pages rendered in every state and every refusal
    record = stored_approval(deps)
    path = link_path(deps, record)
    with captured_logs() as log:
        bodies = [call("GET", path)["body"]]
        bodies.append(call("POST", path, {"decision": "pick-1"})["body"])
        bodies.append(call("GET", path.replace("sig=", "sig=x"))["body"])
        expect_pick(sfn, record, 1, "slow push-in")
        bodies.append(call("POST", path, {"form_token": form_token(bodies[0]), "decision": "pick-1"})["body"])
        bodies.append(call("POST", path, {"form_token": form_token(bodies[0]), "decision": "pick-1"})["body"])
    logs = log.getvalue()
    # Then the logs say what happened...
    assert "approval decided" in logs and "approval refused" in logs
    # ...and neither the task token nor the signing key nor the link signature appears anywhere
    signature = path.split("sig=")[1]
    for text in [*bodies, logs]:
        assert TOKEN not in text and KEY.decode() not in text
    assert signature not in logs


def test_approval_reopens_when_step_functions_cannot_be_reached(deps: Deps, sfn: Stubber) -> None:
    # Given Step Functions failing transiently when the pick is sent
    record = stored_approval(deps)
    page = call("GET", link_path(deps, record))["body"]
    sfn.add_client_error("send_task_success", service_error_code="ServiceUnavailable", http_status_code=503)
    # When the reviewer picks
    answer = call("POST", link_path(deps, record), {"form_token": form_token(page), "decision": "pick-1"})
    # Then a readable 500, and the approval is open again so the reviewer can retry
    assert answer["statusCode"] == 500 and "Traceback" not in answer["body"]
    assert not is_decided(deps, record.approval_id)


def test_answer_after_the_run_stopped_waiting_is_gone(deps: Deps, sfn: Stubber) -> None:
    record = stored_approval(deps)
    page = call("GET", link_path(deps, record))["body"]
    sfn.add_client_error("send_task_success", service_error_code="TaskTimedOut", http_status_code=400)
    answer = call("POST", link_path(deps, record), {"form_token": form_token(page), "decision": "pick-1"})
    assert answer["statusCode"] == 410
