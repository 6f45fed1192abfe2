"""The run queue's boundaries: it stands below the steps and the upload triggers, and its table items are
read and written only through `RunsRepo` (trigger claims, the queue, and SubmitVideo's attempt claims)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import boto3

from hookforge.runs import QueuedRun, RunsRepo, VideoClaim

ROOT = Path(__file__).resolve().parents[2]

FRESH_IMPORT = """
import sys
import hookforge.runqueue
print(" ".join(sorted(m for m in sys.modules if m.startswith("hookforge"))))
"""


def test_the_run_queue_imports_neither_the_triggers_nor_any_step() -> None:
    # When the run queue is imported in a fresh interpreter (as the last step of a run does to release its slot)
    done = subprocess.run(
        [sys.executable, "-c", FRESH_IMPORT], capture_output=True, text=True, check=True, cwd=ROOT, timeout=60
    )
    loaded = set(done.stdout.split())
    # Then neither the upload triggers nor any step module came with it
    assert "hookforge.runqueue" in loaded
    assert "hookforge.triggers" not in loaded
    assert not {m for m in loaded if m == "hookforge.steps" or m.startswith("hookforge.steps.")}


def _repo(aws: dict[str, Any]) -> RunsRepo:
    return RunsRepo(boto3.resource("dynamodb"), aws["RUNS_TABLE"])


def test_a_trigger_claim_is_written_once_and_refused_the_second_time(aws) -> None:  # type: ignore[no-untyped-def]
    repo = _repo(aws)
    # Given a first delivery that claims an execution name
    assert repo.claim_trigger("s3-abc", "briefs/a.json") is True
    assert repo.trigger_state("s3-abc") == "starting"
    # When a second delivery claims the same name / Then it is refused and the first claim is untouched
    assert repo.claim_trigger("s3-abc", "briefs/other.json") is False
    item = boto3.resource("dynamodb").Table(aws["RUNS_TABLE"]).get_item(Key={"pk": "TRIGGER#s3-abc", "sk": "TRIGGER"})
    assert item["Item"] == {"pk": "TRIGGER#s3-abc", "sk": "TRIGGER", "brief_key": "briefs/a.json", "state": "starting"}
    # And its state moves on when the run starts; an unknown name has no state
    repo.set_trigger_state("s3-abc", "started")
    assert repo.trigger_state("s3-abc") == "started"
    assert repo.trigger_state("s3-never") is None


def test_the_queue_is_read_oldest_first_and_each_entry_is_taken_once(aws) -> None:  # type: ignore[no-untyped-def]
    repo = _repo(aws)
    for at, name in ((30.0, "third"), (10.0, "first"), (20.0, "second")):
        repo.enqueue(name, f"batches/{name}.json", queued_at=at)
    oldest = repo.queued(limit=2)
    assert oldest == [
        QueuedRun(position="0000000010.000000#first", name="first", brief_key="batches/first.json"),
        QueuedRun(position="0000000020.000000#second", name="second", brief_key="batches/second.json"),
    ]
    assert repo.dequeue(oldest[0]) is True
    assert repo.dequeue(oldest[0]) is False  # a second ending run cannot start it again
    assert [q.name for q in repo.queued(limit=10)] == ["second", "third"]


def test_a_video_claim_is_written_once_and_keeps_its_stored_attribute_names(aws) -> None:  # type: ignore[no-untyped-def]
    repo = _repo(aws)
    claim = VideoClaim(
        attempt=0, provider="runway", provider_index=0, state="CREATING", deadline=1_700_003_600.5, ratio="9:16"
    )
    assert repo.claim_video("run-1", claim) is True
    assert repo.claim_video("run-1", claim.model_copy(update={"provider": "kenburns"})) is False
    raw = repo.get_child("run-1", "VIDEO#0")
    assert raw is not None
    assert {k for k in raw if k not in ("pk", "sk")} == {
        "attempt", "provider", "provider_index", "state", "resubmits", "fallbacks", "deadline", "ratio"
    }  # fmt: skip
    assert repo.video_claim("run-1", 0) == claim
    # Only a NOT_CREATED attempt may be taken over
    assert repo.reclaim_video("run-1", claim) is False
    repo.put_video_claim("run-1", claim.model_copy(update={"state": "NOT_CREATED", "error": "ProviderThrottled: 429"}))
    assert repo.reclaim_video("run-1", claim) is True
    assert repo.video_claim("run-1", 0) == claim


def test_video_claims_written_as_plain_items_still_read_in_attempt_order(aws) -> None:  # type: ignore[no-untyped-def]
    repo = _repo(aws)
    for attempt in (10, 2):
        repo.put_child(
            "run-2",
            f"VIDEO#{attempt}",
            {"attempt": attempt, "provider": "runway", "provider_index": 0, "state": "CREATING", "outcome": "x"},
        )
    claims = repo.video_claims("run-2")
    assert [c.attempt for c in claims] == [2, 10] and claims[0].outcome == "x" and claims[0].fallbacks == []


def test_threads_querying_through_one_table_each_get_their_own_runs_children(aws) -> None:  # type: ignore[no-untyped-def]
    # Given one repo (one boto3 Table, as the local engine's parallel Map iterations and the service's concurrent
    # runs share it) holding the children of four runs
    repo = _repo(aws)
    runs = [f"run-{n}" for n in range(4)]
    for run_id in runs:
        for n in range(3):
            repo.put_child(run_id, f"CAND#{n}", {"run": run_id, "n": n})
        repo.enqueue(run_id, f"batches/{run_id}.json", queued_at=float(len(run_id)))
    # When four threads query them at once, the interpreter switching threads as often as it can
    errors: list[BaseException] = []
    wrong: list[tuple[str, Any]] = []

    def query(run_id: str) -> None:
        try:
            for _ in range(60):
                got = [(c["run"], c["n"]) for c in repo.children(run_id, "CAND#")]
                if got != [(run_id, n) for n in range(3)]:
                    wrong.append((run_id, got))
                if len(repo.queued(limit=10)) != 4:
                    wrong.append((run_id, "queue"))
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=query, args=(run_id,)) for run_id in runs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    # Then every query is answered with its own run's children: none is refused, none gets another's
    assert errors == [] and wrong == []
