"""The local engine's run journal: what each run's tasks returned, so a run interrupted by a killed service or a
reboot resumes from its last completed step without paying for any step twice.

One JSON line per event in `<home>/journal/<run_id>.jsonl` (owner-only, appended and flushed at once):
- `start`: the execution's input (the brief key), written when the run starts;
- `task`: a Lambda task that succeeded: its function, the digest of its input, and its output;
- `answer`: how a `.waitForTaskToken` task was answered (a pick, a regenerate, a reject).

Resuming runs the same state machine from its start again under the same name; each task whose (function,
input digest) was recorded returns its recorded output, in order of occurrence (a poll repeated with the same
input gets its recorded answers one after another), so the execution walks the same path to where it stopped and
only the steps that never finished run for real. Task tokens are not stored (a resumed waiting task gets a new
one; its recorded answer is replayed onto the new token).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: keys left out of a task's input digest (they differ between the interrupted and the resumed execution)
_VOLATILE = ("task_token",)
_PRIVATE_FILE = 0o600


def digest(function: str, event: dict[str, Any]) -> str:
    stable = {k: v for k, v in event.items() if k not in _VOLATILE}
    canonical = json.dumps(stable, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{function}\n{canonical}".encode()).hexdigest()


@dataclass
class Replay:
    """A resumed run's recorded outcomes, consumed in order per (function, input digest)."""

    tasks: dict[str, list[Any]] = field(default_factory=dict)
    answers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)

    def next_task(self, key: str) -> tuple[bool, Any]:
        queue = self.tasks.get(key)
        if not queue:
            return False, None
        return True, queue.pop(0)

    def next_answer(self, key: str) -> dict[str, Any] | None:
        queue = self.answers.get(key)
        return queue.pop(0) if queue else None

    @property
    def pending(self) -> int:
        return sum(len(q) for q in self.tasks.values()) + sum(len(q) for q in self.answers.values())


class Journal:
    """Appends and reads the per-run journals of one home."""

    def __init__(self, home: Path) -> None:
        self.folder = home / "journal"
        self._lock = threading.Lock()

    def path(self, run_id: str) -> Path:
        safe = "".join(c for c in run_id if c.isalnum() or c in "-_")[:120]
        return self.folder / f"{safe}.jsonl"

    def _append(self, run_id: str, entry: dict[str, Any]) -> None:
        line = (json.dumps(entry, separators=(",", ":"), default=str) + "\n").encode("utf-8")
        with self._lock:
            self.folder.mkdir(mode=0o700, exist_ok=True)
            fd = os.open(self.path(run_id), os.O_WRONLY | os.O_CREAT | os.O_APPEND, _PRIVATE_FILE)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def started(self, run_id: str, execution_input: dict[str, Any]) -> None:
        self._append(run_id, {"kind": "start", "input": execution_input})

    def task(self, run_id: str, function: str, event: dict[str, Any], output: Any) -> None:
        self._append(run_id, {"kind": "task", "function": function, "key": digest(function, event), "output": output})

    def answer(self, run_id: str, function: str, event: dict[str, Any], answer: dict[str, Any]) -> None:
        self._append(run_id, {"kind": "answer", "function": function, "key": digest(function, event), **answer})

    def entries(self, run_id: str) -> list[dict[str, Any]]:
        path = self.path(run_id)
        if not path.is_file():
            return []
        entries = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                break  # a line cut short by the kill: everything before it holds
        return entries

    def start_input(self, run_id: str) -> dict[str, Any] | None:
        for entry in self.entries(run_id):
            if entry.get("kind") == "start":
                return dict(entry["input"])
        return None

    def replay(self, run_id: str) -> Replay:
        tasks: dict[str, list[Any]] = defaultdict(list)
        answers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for entry in self.entries(run_id):
            if entry.get("kind") == "task":
                tasks[entry["key"]].append(entry["output"])
            elif entry.get("kind") == "answer":
                answers[entry["key"]].append(entry)
        return Replay(tasks=dict(tasks), answers=dict(answers))
