"""The GenerateCandidates Map on the local engine: failed candidates drop out, all failed ends the run."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hookforge import registry
from hookforge.approval.records import ApprovalRecord
from hookforge.local import pick
from tests.conftest import tiny_brief


def test_run_reaches_selection_with_three_when_one_of_four_candidates_fails(
    engine: Any, write_brief: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an image provider that refuses candidate 3 of 4
    monkeypatch.setitem(registry.IMAGE_GENERATORS, "third-refused", "tests.integration.fanout_providers:ThirdRefused")
    offered: list[list[int]] = []
    choose_first = pick(1)

    def chooser(running: Any, record: ApprovalRecord) -> Any:
        offered.append([c.index for c in record.candidates])
        return choose_first(running, record)

    # When the run goes through the Map and the selection
    result = engine.run(write_brief(tiny_brief(images={"provider": "third-refused", "count": 4})), chooser=chooser)

    # Then the reviewer is offered the three that worked and the run goes on to a finished hook
    assert offered and offered[0] == [0, 1, 3]
    assert result.succeeded, (result.error, result.message)
    stored = sorted(p.name for p in (result.run_dir / "candidates").iterdir())
    assert stored == ["r0-1.png", "r0-2.png", "r0-4.png"]


def test_run_fails_with_no_candidates_listing_every_reason_when_all_candidates_fail(
    engine: Any, write_brief: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an image provider where each of 4 candidates fails differently (one transiently)
    monkeypatch.setitem(registry.IMAGE_GENERATORS, "everyone-fails", "tests.integration.fanout_providers:EveryoneFails")
    # When the run goes through the Map
    result = engine.run(write_brief(tiny_brief(images={"provider": "everyone-fails", "count": 4})), chooser=pick(1))

    # Then it fails once, with NoCandidates naming each candidate's error, recorded in failure.json
    assert result.status == "FAILED"
    assert result.error == "NoCandidates"
    for expected in (
        "#1: ContentRejected: the provider's content policy refused the prompt",
        "#2: ProviderAuthError: images rejected the credentials (HTTP 401); check IMAGES_API_KEY",
        "#3: ImageInvalid: images returned an unusable image",
        "#4: ProviderUnavailable: images is unavailable (HTTP 503: overloaded)",
    ):
        assert expected in result.message
    failure = json.loads((result.run_dir / "failure.json").read_text())
    assert failure["error"] == "NoCandidates" and failure["failed_state"] == "RequestSelection"
    assert engine.deps.runs.get(result.run_id)["status"] == "FAILED"
    # the transient failure was retried by the state machine (MaxAttempts 3) before it counted
    assert [name for name, _ in engine.invocations].count("GenerateImageFunction") == 4 + 3
