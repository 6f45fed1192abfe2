"""GenerateCandidates fan-out: Map wall time for N candidates with a simulated 1 s provider ÷ one call's latency.

Runs the real state machine on the local engine with a test image provider that sleeps LATENCY seconds per
call (as a remote API would), reads the Map state's entered/exited timestamps from the execution history,
and divides by the measured latency of a single provider call. Goal: <= 1.3 for N = 4 (MaxConcurrency 4).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from hookforge import registry
from hookforge.approval.records import Decision
from hookforge.local import LocalEngine
from hookforge.providers.base import GeneratedImage, ImageRequest
from hookforge.providers.placeholder import PlaceholderImages

ROOT = Path(__file__).resolve().parents[1]
LATENCY = 1.0
N = 4
GOAL = 1.3
REPEATS = 3


class SlowImages(PlaceholderImages):
    """A placeholder still after LATENCY seconds of 'network' time; records each call's duration."""

    name = "slow-bench"
    durations: ClassVar[list[float]] = []

    def generate(self, request: ImageRequest) -> GeneratedImage:
        started = time.perf_counter()
        time.sleep(LATENCY)
        image = super().generate(request)
        type(self).durations.append(time.perf_counter() - started)
        return image


def _reject(engine: Any, record: Any) -> Decision:
    return Decision(action="reject", decided_by="bench")  # the Map is what we measure; stop after it


def map_seconds(engine: LocalEngine, count: int) -> float:
    brief = {
        "name": "bench-fanout",
        "prompt": "benchmark still",
        "images": {"provider": "slow-bench", "count": count, "size": "256x256"},
        "selection": {"timeout_hours": 1, "max_rounds": 0},
    }
    result = engine.run(json.dumps(brief).encode(), chooser=_reject)
    events = engine.deps.client("stepfunctions").get_execution_history(executionArn=result.execution_arn)["events"]
    entered = next(e["timestamp"] for e in events if e["type"] == "MapStateEntered")
    exited = next(e["timestamp"] for e in events if e["type"] == "MapStateExited")
    return float((exited - entered).total_seconds())


def main() -> None:
    registry.IMAGE_GENERATORS["slow-bench"] = "benchmarks.bench_fanout:SlowImages"
    try:
        with tempfile.TemporaryDirectory() as home, LocalEngine(Path(home), root=ROOT, time_scale=0.01) as engine:
            map_seconds(engine, 1)  # warm-up: handler imports and first clients are not the Map's cost
            SlowImages.durations.clear()
            one = map_seconds(engine, 1)
            # the machine is shared: the median of a few runs, not one lucky or unlucky sample
            fan = statistics.median(map_seconds(engine, N) for _ in range(REPEATS))
            single_call = statistics.median(SlowImages.durations)
    finally:
        registry.IMAGE_GENERATORS.pop("slow-bench", None)
    ratio = fan / single_call
    verdict = "ok" if ratio <= GOAL else f"above the {GOAL} goal"
    print(  # noqa: T201 - benchmark output is the product here
        f"   Map fan-out N={N}: {fan:.2f} s ÷ single call {single_call:.2f} s = {ratio:.2f}x "
        f"(goal <= {GOAL}: {verdict}; N=1 Map {one:.2f} s; median of {REPEATS})"
    )
