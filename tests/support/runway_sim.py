"""A simulated Runway API on `httpx.MockTransport`, for tests, the polling benchmark and offline rehearsals.

It lives with the tests, not in the Lambda layer, and reads the models, ratios, durations and options it
accepts from the provider's own roster (`hookforge.providers.runway_models`, itself read from the installed SDK),
so the two cannot drift. Its answers carry `estimatedCost` while a task is unfinished and `cost` once it ends
(unless `report_costs` is False: an answer without them must read as well).

It speaks the documented shapes (`POST /v1/image_to_video` -> `{id}`, `GET /v1/tasks/{id}` with
status/progress/output/failure/failureCode, `DELETE /v1/tasks/{id}`, `POST /v1/uploads`) and runs
each task on a timeline read from an injected clock: PENDING, then THROTTLED, then RUNNING with linear
progress, then its scripted outcome. It counts every create and poll so callers can assert that a task
was created exactly once. It never touches the network; it is not Runway and says so in its output URLs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from hookforge.providers.runway_models import DEFAULT_MODEL, MODELS, PROMPT_LIMIT

API = "https://api.dev.runwayml.com"
OUTPUT_HOST = "https://runway-sim.invalid"
UPLOAD_URL = "https://runway-sim-uploads.invalid/"
RATIOS = frozenset(ratio for spec in MODELS.values() for ratio in spec.ratios)


@dataclass
class SimTask:
    id: str
    created_at: float
    body: dict[str, Any]
    outcome: str
    cancelled: bool = False

    @property
    def credits(self) -> float:
        spec = MODELS.get(self.body.get("model", ""), MODELS[DEFAULT_MODEL])
        return spec.credits(int(self.body.get("duration", 5)), audio=bool(self.body.get("audio")))


@dataclass
class SimulatedRunway:
    """Runway on a clock. Outcomes are consumed one per created task: "SUCCEEDED", "CANCELLED" or
    "FAILED:<failureCode>"; `create_errors` are HTTP statuses answered (task not created) before a create
    succeeds; `lost_creates` creates make the task and then lose the answer (a read timeout)."""

    clock: Callable[[], float]
    video: bytes = b""
    task_seconds: float = 60.0
    pending_seconds: float = 2.0
    throttled_seconds: float = 0.0
    outcomes: list[str] = field(default_factory=list)
    create_errors: list[int] = field(default_factory=list)
    poll_errors: list[int] = field(default_factory=list)
    lost_creates: int = 0
    truncate_output: bool = False
    #: False hides `progress` while RUNNING (how a provider without progress looks to the poller)
    report_progress: bool = True
    api_key: str = "key_simulated"
    #: False leaves `estimatedCost` and `cost` out of every answer (an older answer shape)
    report_costs: bool = True
    #: a clip with sound is served for tasks created with `audio: true` (else `video`)
    video_with_audio: bytes = b""
    tasks: dict[str, SimTask] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)
    #: (clock time, status) of every answered poll
    answers: list[tuple[float, str]] = field(default_factory=list)
    uploads: int = 0

    # ------------------------------------------------------------------------------ counters
    @property
    def creates(self) -> int:
        return len(self.tasks)

    @property
    def polls(self) -> int:
        return sum(1 for method, path in self.log if method == "GET" and path.startswith("/v1/tasks/"))

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # ------------------------------------------------------------------------------ handler
    def handle(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        path = request.url.path
        self.log.append((request.method, path))
        if url.startswith(OUTPUT_HOST):
            return self._output(path)
        if url.startswith(UPLOAD_URL):
            self.uploads += 1
            return httpx.Response(204)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Invalid API key")
        if request.headers.get("x-runway-version") != "2024-11-06":
            return _error(400, "Missing or unsupported X-Runway-Version header")
        if request.method == "POST" and path == "/v1/image_to_video":
            return self._create(request)
        if request.method == "POST" and path == "/v1/uploads":
            return httpx.Response(
                200,
                json={
                    "uploadUrl": UPLOAD_URL,
                    "fields": {"key": "uploads/still.jpg", "policy": "sim"},
                    "runwayUri": "runway://uploads/still.jpg",
                },
            )
        if path.startswith("/v1/tasks/"):
            task = self.tasks.get(path.rsplit("/", 1)[-1])
            if task is None:
                return _error(404, "Task not found")
            if request.method == "DELETE":
                task.cancelled = True
                return httpx.Response(204)
            if self.poll_errors:
                return _error(self.poll_errors.pop(0), "simulated poll failure")
            described = self.describe(task)
            self.answers.append((self.clock(), described["status"]))
            if not self.report_costs:
                described = {k: v for k, v in described.items() if k not in ("cost", "estimatedCost")}
            return httpx.Response(200, json=described)
        return _error(404, f"no route {request.method} {path}")

    def _create(self, request: httpx.Request) -> httpx.Response:
        if self.create_errors:
            status = self.create_errors.pop(0)
            return _error(status, "You have exceeded the daily task limit" if status == 429 else "Upstream error")
        body = json.loads(request.content)
        problem = _invalid(body)
        if problem:
            return _error(400, problem)
        task_id = f"sim-{len(self.tasks) + 1:04d}-0000-4000-8000-000000000000"
        outcome = self.outcomes.pop(0) if self.outcomes else "SUCCEEDED"
        self.tasks[task_id] = SimTask(id=task_id, created_at=self.clock(), body=body, outcome=outcome)
        if self.lost_creates:
            self.lost_creates -= 1
            raise httpx.ReadTimeout("simulated: the task was created, the answer was lost", request=request)
        return httpx.Response(200, json={"id": task_id})

    def finished_at(self, task: SimTask) -> float:
        """The clock time at which `task` reaches its outcome."""
        return task.created_at + self.task_seconds

    def describe(self, task: SimTask) -> dict[str, Any]:
        """The documented GET /v1/tasks/{id} body for `task` at the clock's current time."""
        elapsed = self.clock() - task.created_at
        base: dict[str, Any] = {
            "id": task.id,
            "createdAt": datetime.fromtimestamp(task.created_at, UTC).isoformat().replace("+00:00", "Z"),
        }
        estimated = {"estimatedCost": {"credits": task.credits}}
        start = self.throttled_seconds + self.pending_seconds
        if task.cancelled:
            return {**base, "status": "CANCELLED", "cost": {"credits": 0}}
        if elapsed < self.pending_seconds:
            return {**base, **estimated, "status": "PENDING"}
        if elapsed < start:
            return {**base, **estimated, "status": "THROTTLED"}
        if elapsed < self.task_seconds:
            progress = round((elapsed - start) / max(self.task_seconds - start, 1e-6), 2)
            running = {**base, **estimated, "status": "RUNNING"}
            return {**running, "progress": min(progress, 0.99)} if self.report_progress else running
        if task.outcome == "CANCELLED":
            return {**base, "status": "CANCELLED", "cost": {"credits": 0}}
        if task.outcome.startswith("FAILED"):
            code = task.outcome.partition(":")[2] or "INTERNAL"
            reason = (
                "The prompt text did not pass our content moderation." if code.startswith("SAFETY") else "Try again."
            )
            return {**base, "status": "FAILED", "failure": reason, "failureCode": code, "cost": {"credits": 0}}
        return {
            **base,
            "status": "SUCCEEDED",
            "output": [f"{OUTPUT_HOST}/{task.id}.mp4"],
            "cost": {"credits": task.credits},
        }

    def _output(self, path: str) -> httpx.Response:
        task = self.tasks.get(path.strip("/").removesuffix(".mp4"))
        video = (
            self.video_with_audio
            if task is not None and task.body.get("audio") and self.video_with_audio
            else self.video
        )
        data = video[: len(video) // 2] if self.truncate_output else video
        return httpx.Response(200, content=data, headers={"content-type": "video/mp4"})


def _invalid(body: dict[str, Any]) -> str | None:
    """Runway's 400 message for a body the model does not accept (checked against the roster), else None."""
    spec = MODELS.get(body.get("model"))
    if spec is None:
        return f"Invalid model {body.get('model')!r}"
    if spec.ratios and body.get("ratio") not in spec.ratios:
        return f"Invalid ratio {body.get('ratio')!r}"
    if not spec.ratios and "ratio" in body:
        return f"{spec.name} takes no ratio: it follows the first frame"
    image = str(body.get("promptImage", ""))
    if not image.startswith(("data:image/", "runway://", "https://")):
        return "promptImage must be an HTTPS URL, a data URI or a runway:// URI"
    if int(body.get("duration", 5)) not in spec.durations:
        return f"duration must be one of {', '.join(str(d) for d in spec.durations)}"
    if "audio" in body and not spec.audio:
        return f"{spec.name} does not accept audio"
    if spec.prompt_required and not body.get("promptText"):
        return "promptText is required"
    if len(str(body.get("promptText", "")).encode("utf-16-le")) // 2 > PROMPT_LIMIT:
        return f"promptText must be at most {PROMPT_LIMIT} characters"
    return None


def _error(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": message})
