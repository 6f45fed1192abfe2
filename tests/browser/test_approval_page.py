"""Headless Chromium (Debian's, via Playwright) decides a real local run on the local approval page."""

from __future__ import annotations

import queue
import threading
from typing import Any

import pytest

from hookforge.local.approval_server import ApprovalServer
from tests.browser.conftest import ARTIFACTS
from tests.conftest import tiny_brief

pytestmark = pytest.mark.browser


def test_reviewer_picks_a_candidate_with_an_edited_motion_prompt(engine, write_brief, browser) -> None:  # type: ignore[no-untyped-def]
    # Given a real local run waiting on its approval page
    brief = write_brief(tiny_brief(images={"count": 3}))
    links: queue.Queue[str] = queue.Queue()
    outcome: dict[str, Any] = {}
    with ApprovalServer(engine.deps) as server:
        chooser = server.chooser(announce=lambda line: links.put(line.rsplit(" ", 1)[-1]))

        def run() -> None:
            try:
                outcome["result"] = engine.run(brief, chooser=chooser)
            except BaseException as e:  # noqa: BLE001 - re-raised by the test thread
                outcome["error"] = e

        runner = threading.Thread(target=run, daemon=True)
        runner.start()
        link = links.get(timeout=180)

        # When the reviewer opens the link in Chromium
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        response = page.goto(link, wait_until="load")
        assert response is not None and response.status == 200
        # Then every candidate image has loaded
        page.wait_for_function(
            "() => document.images.length === 3"
            " && Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)",
            timeout=30_000,
        )
        assert page.locator("img[data-candidate]").count() == 3
        # And (when the motion prompt is edited and #3 is clicked)
        page.fill("#motion_prompt", "gentle orbit, rain drops catching neon light")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "approval-page.png"), full_page=True)
        page.click("button[value='pick-3']")
        page.wait_for_selector("text=Decision recorded", timeout=30_000)
        page.close()
        runner.join(timeout=300)

    # Then the run finishes with that candidate and that prompt
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert result.succeeded, (result.error, result.message)
    selection = result.output["selection"]
    assert selection["candidate"]["index"] == 2
    assert selection["motion_prompt"] == "gentle orbit, rain drops catching neon light"
    assert result.outputs and all(path.exists() for path in result.outputs.values())
    assert (ARTIFACTS / "approval-page.png").stat().st_size > 10_000
