"""Headless Chromium: after *Regenerate*, the page leads the reviewer on to the next round (no JavaScript)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber
from pydantic import SecretStr

from hookforge.local.approval_server import ApprovalServer
from tests.browser.conftest import ARTIFACTS
from tests.unit.approval_env import KEY, TOKEN, approval_env, stored_approval

pytestmark = pytest.mark.browser


def test_reviewer_reaches_the_next_round_from_the_page_after_regenerate(browser: Any) -> None:
    with approval_env(stage="local") as base:
        # Given round 1 of a run whose brief allows 2 regeneration rounds, served on the local approval page
        deps = base.with_settings(approval_secret=SecretStr(KEY.decode()))
        record = stored_approval(deps, max_rounds=2)
        deps.runs.start("run-1", brief_key="briefs/b.json")
        deps.runs.update("run-1", status="AWAITING_SELECTION", approval_id=record.approval_id)
        sfn = Stubber(deps.client("stepfunctions"))
        sfn.add_response("send_task_failure", {}, {"taskToken": TOKEN, "error": "Regenerate", "cause": "brighter"})
        with sfn, ApprovalServer(deps) as server:
            page = browser.new_page(viewport={"width": 1100, "height": 800})
            page.goto(server.link_for(record), wait_until="load")
            assert (
                page.locator("p.meta")
                .first.inner_text()
                .startswith("Run run-1 · round 1 · 2 regeneration rounds allowed")
            )
            # When the reviewer asks for new candidates
            page.fill("#feedback", "brighter")
            page.click("button[value='regenerate']")
            page.wait_for_selector("text=Decision recorded", timeout=30_000)
            assert page.locator("a", has_text="Open round 2").count() == 1
            # Then the page moves on by itself and waits while round 2 is made
            page.wait_for_selector("text=Making round 2", timeout=30_000)
            # And once RequestSelection has stored round 2, it offers round 2's own page
            second = stored_approval(deps, approval_id="appr-2", round=1, max_rounds=2)
            deps.runs.update("run-1", approval_id=second.approval_id)
            page.wait_for_selector("text=Round 2 is ready", timeout=30_000)
            page.click("text=Open round 2")
            page.wait_for_selector("text=round 2 · 2 regeneration rounds allowed", timeout=30_000)
            assert "/approvals/appr-2?" in page.url
            assert page.locator("button[value='regenerate']").count() == 1  # 1 of 2 regeneration rounds left
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "approval-round-2.png"), full_page=True)
            page.close()
        sfn.assert_no_pending_responses()
