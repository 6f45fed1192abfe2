"""The whole ASL on the local engine: the happy path and failure paths, with the real handlers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hookforge.local import pick
from hookforge.media import frame_at, probe
from tests.conftest import tiny_brief

ROOT = Path(__file__).resolve().parents[2]


def _mean_abs_diff(a, b) -> float:  # type: ignore[no-untyped-def]
    pa, pb = a.tobytes(), b.tobytes()
    return sum(abs(x - y) for x, y in zip(pa, pb, strict=True)) / len(pa)


@pytest.mark.long
def test_demo_brief_produces_a_moving_1080x1920_h264_hook(engine) -> None:  # type: ignore[no-untyped-def]
    # Given the built-in demo brief; When it runs with --pick 1
    result = engine.run(ROOT / "examples" / "demo.json", chooser=pick(1))
    # Then the run succeeds with a vertical H.264 hook of at least 4 s that visibly moves
    assert result.succeeded, (result.error, result.message)
    hook = result.outputs["9:16"]
    info = probe(hook)
    assert (info.codec, info.width, info.height, info.pix_fmt) == ("h264", 1080, 1920, "yuv420p")
    assert info.duration >= 4.0
    early, late = frame_at(hook, 1.0, size=(108, 192)), frame_at(hook, info.duration - 0.6, size=(108, 192))
    assert _mean_abs_diff(early, late) > 2.0
    run_dir = result.run_dir
    assert run_dir is not None
    for name in ("brief.json", "inspiration.json", "raw.mp4", "poster.jpg", "preview.gif", "notification.html"):
        assert (run_dir / name).exists(), name
    assert len(list((run_dir / "candidates").glob("*.png"))) == 4
    run = engine.deps.runs.get(result.run_id)
    assert run["status"] == "SUCCEEDED" and run["hook_id"].startswith("hk-")


def test_bad_brief_is_rejected_with_a_message_naming_the_field(engine, write_brief) -> None:  # type: ignore[no-untyped-def]
    result = engine.run(write_brief(tiny_brief(images={"provider": "midjourney"})), chooser=pick(1))
    assert result.status == "FAILED"
    assert result.error == "BriefInvalid"
    assert "images.provider" in result.message and "midjourney" in result.message
    failure = json.loads((result.run_dir / "failure.json").read_text())
    assert failure["failed_state"] == "ValidateBrief"
    assert engine.deps.runs.get(result.run_id)["status"] == "FAILED"


def test_provider_error_is_caught_recorded_and_keeps_artifacts(engine, write_brief, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Given a video provider that fails the way a real one does
    from hookforge import registry

    monkeypatch.setitem(registry.VIDEO_GENERATORS, "kenburns", "tests.integration.failing_providers:BrokenVideo")
    # When the run reaches SubmitVideo
    result = engine.run(write_brief(tiny_brief()), chooser=pick(2))
    # Then it fails with the provider's named error, recorded, and nothing produced before is lost
    assert result.status == "FAILED"
    assert result.error == "ProviderError"
    assert "video service is down for maintenance" in result.message
    failure = json.loads((result.run_dir / "failure.json").read_text())
    assert failure["failed_state"] == "SubmitVideo"
    candidates = [a for a in failure["artifacts"] if "/candidates/" in a]
    assert len(candidates) == 2
    for key in candidates + [f"runs/{result.run_id}/brief.json", f"runs/{result.run_id}/inspiration.json"]:
        assert (engine.home / "bucket" / key).exists()


def test_transient_errors_are_retried_by_the_state_machine(engine, write_brief, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hookforge import registry
    from tests.integration import failing_providers

    failing_providers.FlakyImages.calls = 0
    monkeypatch.setitem(registry.IMAGE_GENERATORS, "placeholder", "tests.integration.failing_providers:FlakyImages")
    result = engine.run(write_brief(tiny_brief(images={"count": 1})), chooser=pick(1))
    assert result.succeeded, (result.error, result.message)
    assert failing_providers.FlakyImages.calls == 2  # throttled once, then retried by the ASL's Retry


@pytest.mark.parametrize("pick_n", [2])
def test_pick_selects_that_candidate(engine, write_brief, pick_n) -> None:  # type: ignore[no-untyped-def]
    result = engine.run(write_brief(tiny_brief()), chooser=pick(pick_n))
    assert result.succeeded
    selection = result.output["selection"]
    assert selection["candidate"]["index"] == pick_n - 1
    assert selection["decided_by"] == "--pick"


def test_no_task_token_or_secret_reaches_logs_or_artifacts(engine, write_brief, capsys, caplog) -> None:  # type: ignore[no-untyped-def]
    # Given a run that went through selection (so a task token and the signing key existed)
    result = engine.run(write_brief(tiny_brief()), chooser=pick(1))
    assert result.succeeded
    run = engine.deps.runs.get(result.run_id)
    token = engine.deps.approvals.get(run["approval_id"]).task_token
    signing_key = (engine.home / "approval-secret").read_text().strip()
    assert len(token) > 20 and len(signing_key) > 20
    # Then neither appears in the engine's log file, captured logs, console output or any artifact
    log_file = (engine.home / "logs" / "hookforge.jsonl").read_text()
    assert "selection requested" in log_file  # the scan reads real log lines
    haystacks = [log_file, caplog.text, capsys.readouterr().out]
    haystacks += [p.read_bytes().decode("utf-8", "replace") for p in (engine.home / "bucket").rglob("*") if p.is_file()]
    for text in haystacks:
        assert token not in text
        assert signing_key not in text
