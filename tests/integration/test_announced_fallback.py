"""Issue 13: a silent fallback is impossible, and a brief that cannot run fails before anything is paid for.

The whole ASL on the local engine, with no Runway key. The terminal summary of `hookforge run` prints the run
output's `render.notes` (one `note:` line each), so the announcement is asserted there, in the run folder
(`fallbacks.json`, `plan.json`), on the run record and in the notification.
"""

from __future__ import annotations

import json

from hookforge.local import pick
from tests.conftest import tiny_brief


def test_a_chain_falling_back_for_a_missing_key_is_announced_everywhere(engine, write_brief, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Given no Runway key and a chain ["runway", "kenburns"]
    monkeypatch.delenv("RUNWAYML_API_SECRET", raising=False)
    # When the brief runs to the end
    result = engine.run(write_brief(tiny_brief(video={"providers": ["runway", "kenburns"]})), chooser=pick(1))
    # Then the hook is made by kenburns, and the notes the terminal prints say why Runway was skipped
    assert result.succeeded, (result.error, result.message)
    notes = result.output["render"]["notes"]
    assert notes[0].startswith("fallback: video skips runway") and "RUNWAYML_API_SECRET" in notes[0]
    # And the run folder carries fallbacks.json and the plan
    run_dir = result.run_dir
    announced = json.loads((run_dir / "fallbacks.json").read_text())["fallbacks"]
    assert announced == [notes[0]] and announced[0].endswith("kenburns will do it")
    assert json.loads((run_dir / "plan.json").read_text())["steps"][-1]["provider"] == "kenburns"
    # And the run record and the hook item keep it, and the notification tells the owner too
    assert engine.deps.runs.get(result.run_id)["fallbacks"] == announced
    assert "fallback: video skips runway" in (run_dir / "notification.html").read_text()


def test_a_brief_whose_only_provider_has_no_key_fails_before_any_still(engine, write_brief, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("RUNWAYML_API_SECRET", raising=False)
    result = engine.run(write_brief(tiny_brief(video={"providers": ["runway"]})), chooser=pick(1))
    assert (result.status, result.error, result.failed_state) == ("FAILED", "ProviderNotReady", "ValidateBrief")
    assert "RUNWAYML_API_SECRET" in (result.message or "")
    assert not (result.run_dir / "candidates").exists()
