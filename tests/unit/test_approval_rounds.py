"""Rounds on the approval page: counted as the brief counts them; a regenerate leads on to the next round."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from urllib.parse import urlsplit

import pytest
from botocore.stub import Stubber

from hookforge.deps import Deps
from tests.unit.approval_env import NOW, TOKEN, approval_env, stored_approval
from tests.unit.test_approval_api import call, form_token, link_path


@pytest.fixture
def deps() -> Iterator[Deps]:
    with approval_env() as deps:
        yield deps


@pytest.fixture
def sfn(deps: Deps) -> Iterator[Stubber]:
    stubber = Stubber(deps.client("stepfunctions"))
    with stubber:
        yield stubber


def _regenerate(deps: Deps, sfn: Stubber, path: str) -> str:
    """POST a regenerate on the page at `path`; the decision page's HTML."""
    page = call("GET", path)["body"]
    sfn.add_response("send_task_failure", {}, {"taskToken": TOKEN, "error": "Regenerate", "cause": "brighter"})
    answer = call("POST", path, {"form_token": form_token(page), "feedback": "brighter", "decision": "regenerate"})
    assert answer["statusCode"] == 200
    return str(answer["body"])


def _href(page: str, text: str) -> str:
    match = re.search(r'<a [^>]*href="([^"]+)"[^>]*>' + re.escape(text) + "</a>", page)
    assert match, f"a link {text!r} on the page"
    return unescape(match.group(1))


def test_page_counts_rounds_as_the_brief_does_when_max_rounds_is_two(deps: Deps) -> None:
    # Given the first round of a brief with selection.max_rounds: 2
    record = stored_approval(deps, max_rounds=2)
    # When the reviewer opens it
    page = call("GET", link_path(deps, record))["body"]
    # Then the page speaks of the brief's 2 regeneration rounds, never "of at most 3"
    assert "round 1 · 2 regeneration rounds allowed" in page
    assert "2 of 2 regeneration rounds left" in page
    meta = re.search(r'<p class="meta">(Run [^<]*)</p>', page)
    assert meta and meta.group(1).startswith("Run run-1 · round 1 · 2 regeneration rounds allowed · open until ")
    assert "of at most" not in page


def test_page_says_no_regeneration_is_left_when_the_last_round_is_shown(deps: Deps) -> None:
    record = stored_approval(deps, round=1, max_rounds=1)
    page = call("GET", link_path(deps, record))["body"]
    assert "round 2 · 1 regeneration round allowed" in page
    assert "No regeneration left (the brief allows 1 regeneration round)" in page
    assert 'value="regenerate"' not in page


def test_decision_page_links_to_the_next_round_when_reviewer_regenerates(deps: Deps, sfn: Stubber) -> None:
    # Given round 1 of a run
    record = stored_approval(deps)
    deps.runs.start("run-1", brief_key="briefs/b.json")
    deps.runs.update("run-1", status="AWAITING_SELECTION", approval_id=record.approval_id)
    path = link_path(deps, record)
    # When the reviewer regenerates
    decided = _regenerate(deps, sfn, path)
    # Then the page links to round 2 through this round's own link, and reloads itself there
    follow = _href(decided, "Open round 2")
    assert follow == "?" + urlsplit(path).query
    assert f'http-equiv="refresh" content="5;url={follow}"'.replace("&", "&amp;") in decided
    # And while round 2 is being made, that link says so and reloads itself
    waiting = call("GET", path)
    assert waiting["statusCode"] == 200 and "Making round 2" in waiting["body"]
    assert 'http-equiv="refresh" content="5"' in waiting["body"]

    # When RequestSelection has stored round 2 (a new approval, recorded on the run)
    second = stored_approval(deps, approval_id="appr-2", round=1)
    deps.runs.update("run-1", approval_id=second.approval_id)
    ready = call("GET", path)
    # Then the old link leads to round 2's own signed page
    assert ready["statusCode"] == 200 and "Round 2 is ready" in ready["body"]
    split = urlsplit(_href(ready["body"], "Open round 2"))
    assert split.path.endswith("/approvals/appr-2")
    second_page = call("GET", f"/approvals/appr-2?{split.query}")
    assert second_page["statusCode"] == 200 and "round 2 · 2 regeneration rounds allowed" in second_page["body"]
    sfn.assert_no_pending_responses()


def test_regenerated_link_says_who_decided_when_the_next_round_is_already_decided(deps: Deps, sfn: Stubber) -> None:
    record = stored_approval(deps)
    deps.runs.start("run-1", brief_key="briefs/b.json")
    path = link_path(deps, record)
    _regenerate(deps, sfn, path)
    second = stored_approval(deps, approval_id="appr-2", round=1)
    deps.runs.update("run-1", approval_id=second.approval_id)
    deps.approvals.table.update_item(
        Key={"pk": "APPROVAL#appr-2", "sk": "APPROVAL"},
        UpdateExpression="SET decided = :t, decision = :d, decided_at = :n",
        ExpressionAttributeValues={":t": True, ":d": {"action": "pick", "index": 1, "decided_by": "ana"}, ":n": NOW},
    )
    answer = call("GET", path)
    assert answer["statusCode"] == 409 and "candidate #1 was picked by ana" in answer["body"]


def test_regenerated_link_says_the_run_ended_when_the_run_failed(deps: Deps, sfn: Stubber) -> None:
    record = stored_approval(deps)
    deps.runs.start("run-1", brief_key="briefs/b.json")
    path = link_path(deps, record)
    _regenerate(deps, sfn, path)
    deps.runs.update("run-1", status="FAILED")
    answer = call("GET", path)
    assert answer["statusCode"] == 200 and "No round 2" in answer["body"] and "failed" in answer["body"]
    assert "refresh" not in answer["body"]


def test_link_of_a_picked_round_still_answers_409(deps: Deps, sfn: Stubber) -> None:
    # a pick (not a regenerate) keeps the "already decided" answer
    record = stored_approval(deps)
    path = link_path(deps, record)
    page = call("GET", path)["body"]
    sfn.add_response("send_task_success", {}, None)
    call("POST", path, {"form_token": form_token(page), "decision": "pick-1"})
    assert call("GET", path)["statusCode"] == 409
