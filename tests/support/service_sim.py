"""Stand-in paid providers inside the local service, for the service tests (`HOOKFORGE_SERVICE_PRELOAD`).

`install(engine)` gives the service's handlers a simulated Runway (tests/support/runway_sim.py) on the engine's
clock (`HOOKFORGE_SIM_HOLD`: a file whose existence keeps every task RUNNING), and writes what the stand-ins were
asked to do to `<home>/sim-counts.json` several times a second: the simulated Runway's creates and polls, and
every handler the engine really invoked (a resumed run's replayed steps are not invocations). A killed service's
counts stay in the file; the next service starts at zero.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from hookforge.deps import Deps
from hookforge.providers.base import ProviderContext
from tests.support.runway_sim import SimulatedRunway

COUNTS_FILE = "sim-counts.json"


def install(engine: Any) -> None:
    clip = Path(os.environ["HOOKFORGE_SIM_CLIP"]).read_bytes()
    sim = SimulatedRunway(clock=engine.clock, video=clip, task_seconds=20, pending_seconds=1)
    hold = os.environ.get("HOOKFORGE_SIM_HOLD")
    if hold:  # while this file exists, a finished task still answers RUNNING: a test decides when the clip is in
        describe = sim.describe

        def held(task: Any) -> dict[str, Any]:
            answer = describe(task)
            if answer["status"] == "SUCCEEDED" and Path(hold).exists():
                return {"id": answer["id"], "createdAt": answer["createdAt"], "status": "RUNNING"}
            return answer

        sim.describe = held  # type: ignore[method-assign]
    deps = Deps.current()
    deps.provider_ctx = ProviderContext(
        settings=deps.settings,
        store=deps.store,
        http=httpx.Client(transport=sim.transport()),
        secret=lambda env, name: sim.api_key,
        sleep=lambda seconds: None,
        client_factory=deps.client,
    )

    def dump() -> None:
        target = engine.home / COUNTS_FILE
        while True:
            invoked: dict[str, int] = {}
            for logical_id, _ in list(engine.invocations):
                invoked[logical_id] = invoked.get(logical_id, 0) + 1
            counts = {"pid": os.getpid(), "creates": sim.creates, "polls": sim.polls, "invoked": invoked}
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps(counts))
            os.replace(tmp, target)
            time.sleep(0.1)

    threading.Thread(target=dump, name="sim-counts", daemon=True).start()


def counts(home: Path) -> dict[str, Any]:
    return dict(json.loads((home / COUNTS_FILE).read_text()))
