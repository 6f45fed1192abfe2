"""Human selection on the local engine: the web page decides, regenerate loops back, the deadline ends the run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from hookforge.errors import DecisionInvalid
from hookforge.local import pick
from hookforge.local.approval_server import ApprovalServer
from tests.conftest import tiny_brief

ROOT = Path(__file__).resolve().parents[2]


def reviewer(actions: list[dict[str, str]], errors: list[BaseException]) -> Callable[[str], None]:
    """An announce callback that, for each link shown, opens the page and posts the next action (in a thread)."""
    queue = list(actions)

    def act(link: str) -> None:
        try:
            with httpx.Client(timeout=10) as http:
                page = http.get(link)
                assert page.status_code == 200, page.text
                images = re.findall(r'<img src="([^"]+)"', page.text)
                assert images and all(http.get(url.replace("&amp;", "&")).status_code == 200 for url in images)
                token = re.search(r'name="form_token" value="([^"]+)"', page.text)
                assert token is not None
                answer = http.post(link, data={"form_token": token.group(1), **queue.pop(0)})
                assert answer.status_code == 200, answer.text
        except BaseException as e:  # noqa: BLE001 - surfaced by the test after the run
            errors.append(e)

    def announce(line: str) -> None:
        link = line.rsplit(" ", 1)[-1]
        threading.Thread(target=act, args=(link,), daemon=True).start()

    return announce


def run_with_web_reviewer(engine: Any, brief_path: Any, actions: list[dict[str, str]]) -> tuple[Any, list[str]]:
    errors: list[BaseException] = []
    with ApprovalServer(engine.deps) as server:
        result = engine.run(brief_path, chooser=server.chooser(announce=reviewer(actions, errors)))
    assert not errors, errors
    return result, engine.states_entered(result.execution_arn)


def test_web_pick_with_edited_motion_prompt_finishes_the_run(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    # Given a run waiting on the local approval page
    brief = write_brief(tiny_brief())
    # When the reviewer opens the link, edits the motion prompt and picks #2
    result, states = run_with_web_reviewer(
        engine, brief, [{"decision": "pick-2", "motion_prompt": "slow dolly-out over neon puddles"}]
    )
    # Then the run finishes with candidate #2 and that motion prompt
    assert result.succeeded, (result.error, result.message)
    selection = result.output["selection"]
    assert selection["candidate"]["index"] == 1
    assert selection["motion_prompt"] == "slow dolly-out over neon puddles"
    assert selection["decided_by"] == "approval page"
    assert "RequestSelection" in states and "MayWeRegenerate" not in states
    # And the email is in the run folder, and no task token reached a log line or the email
    email_html = (result.run_dir / "email.html").read_text()
    assert email_html.count(">Pick #") == 2
    assert (result.run_dir / "selection" / "round-0" / "contact-sheet.jpg").exists()
    tokens = [
        e["taskScheduledEventDetails"]["parameters"]
        for e in engine.deps.client("stepfunctions").get_execution_history(executionArn=result.execution_arn)["events"]
        if "taskScheduledEventDetails" in e and "waitForTaskToken" in e["taskScheduledEventDetails"]["resource"]
    ]
    token = re.search(r'"task_token":\s*"([^"]+)"', tokens[0])
    assert token is not None and len(token.group(1)) > 8
    logs = (engine.home / "logs" / "hookforge.jsonl").read_text()
    assert "approval decided" in logs
    assert token.group(1) not in logs and token.group(1) not in email_html
    signing_key = (engine.home / "approval-secret").read_text().strip()
    assert signing_key not in logs and signing_key not in email_html


def test_regenerate_then_pick_loops_back_with_the_feedback(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    # Given a brief allowing one regeneration round
    brief = write_brief(tiny_brief(selection={"max_rounds": 1}))
    # When the reviewer asks for new candidates with feedback, then picks #1 of the new round
    result, states = run_with_web_reviewer(
        engine,
        brief,
        [{"decision": "regenerate", "feedback": "warmer light, no people"}, {"decision": "pick-1"}],
    )
    # Then the state machine looped back once and finished with a round-2 candidate made with the feedback
    assert result.succeeded, (result.error, result.message)
    assert states.count("RequestSelection") == 2 and states.count("StartNextRound") == 1
    candidate = result.output["selection"]["candidate"]
    # (issue 13) the feedback rewrote the prompt: "warmer light" is asked for, "no people" removes people, and the
    # feedback is not appended as a sentence
    assert "warmer light" in candidate["prompt"] and "people" not in candidate["prompt"]
    assert "feedback" not in candidate["prompt"].lower()
    assert (result.run_dir / "selection" / "round-1" / "contact-sheet.jpg").exists()
    assert "warmer light, no people" in (result.run_dir / "email.html").read_text()


def test_selection_deadline_ends_the_run_as_selection_timed_out(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    # Given a brief whose selection deadline is one second
    brief = write_brief(tiny_brief(selection={"timeout_hours": 1 / 3600}))
    # When nobody decides (the web chooser only shows the link)
    shown: list[str] = []
    with ApprovalServer(engine.deps) as server:
        result = engine.run(brief, chooser=server.chooser(announce=shown.append))
        # Then the run fails as SelectionTimedOut at RequestSelection, with a readable message
        assert result.status == "FAILED"
        assert result.error == "SelectionTimedOut" and result.failed_state == "RequestSelection"
        assert "deadline" in (result.message or "")
        assert "SelectionTimedOut" in (result.run_dir / "selection-timeout.html").read_text()
        # And the link, opened afterwards, answers 410 Gone instead of deciding
        late = httpx.get(shown[0].rsplit(" ", 1)[-1], timeout=10)
    assert late.status_code == 410


@pytest.mark.long
def test_cli_run_without_pick_waits_for_the_web_decision(tmp_path, write_brief) -> None:  # type: ignore[no-untyped-def]
    # Given `hookforge run BRIEF` without --pick, as a user types it
    brief = write_brief(tiny_brief())
    command = [sys.executable, "-m", "hookforge.cli", "run", str(brief), "--home", str(tmp_path / "home")]
    command += ["--out", str(tmp_path / "out")]
    env = {**os.environ, "HOOKFORGE_PROJECT_ROOT": str(ROOT), "COLUMNS": "80"}
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stderr is not None and proc.stdout is not None
        # When the printed link (one line, however narrow the terminal) is opened and #1 is picked
        link = ""
        for line in proc.stderr:
            found = re.search(r"(http://127\.0\.0\.1:\d+/approvals/\S+)", line)
            if found:
                link = found.group(1)
                break
        assert link, "the CLI printed the approval link"
        with httpx.Client(timeout=10) as http:
            page = http.get(link)
            token = re.search(r'name="form_token" value="([^"]+)"', page.text)
            assert token is not None
            assert http.post(link, data={"form_token": token.group(1), "decision": "pick-1"}).status_code == 200
        out, _ = proc.communicate(timeout=300)
    # Then the run finishes and prints the hook's path last
    assert proc.returncode == 0
    assert out.strip().splitlines()[-1].endswith(".mp4")


def test_reject_on_the_page_ends_the_run_as_rejected(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    result, states = run_with_web_reviewer(
        engine, write_brief(tiny_brief()), [{"decision": "reject", "feedback": "off-brand colours"}]
    )
    assert result.status == "FAILED" and result.error == "Rejected"
    assert result.failed_state == "RequestSelection" and "off-brand colours" in (result.message or "")
    assert "SubmitVideo" not in states


def test_pick_out_of_range_is_refused_and_the_run_keeps_waiting(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    # Given a run whose round shows two candidates
    # When the chooser answers with candidate 9
    with pytest.raises(DecisionInvalid) as refused:
        engine.run(write_brief(tiny_brief()), chooser=pick(9))
    # Then the answer names the number, the round and the range, and nothing was decided
    assert str(refused.value) == "pick 9: round 1 has 2 candidates; pick 1 to 2"
    runs = engine.deps.runs.list_runs()
    assert len(runs) == 1
    record = engine.deps.approvals.pending_for_run(runs[0]["run_id"])
    assert record is not None and not record.decided
