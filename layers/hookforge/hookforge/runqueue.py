"""The run queue: every pipeline execution starts here, once, and never more than `max_active_runs` at a time.

S3 and EventBridge deliver at least once, so a run is started under a deterministic execution name and a
*claim* on that name (a `TRIGGER#<name>` item, see `hookforge.runs`) tells a duplicate delivery apart from
a first one. While `max_active_runs` executions are running, a new run waits in the `QUEUE` instead, so a
batch never outruns the providers' rate tiers; every run that ends releases its slot (`release_slot`, called
from the last step of both the success and the failure path), which starts the oldest waiting run.

This module sits below the steps and the upload triggers (both call it); it imports neither, so a step can
release its slot without loading the trigger code.
"""

from __future__ import annotations

import json
import time
from typing import Literal

from botocore.exceptions import ClientError

from hookforge.deps import Deps
from hookforge.observability import logger

Outcome = Literal["started", "queued", "duplicate"]


def start_execution(deps: Deps, name: str, brief_key: str) -> Outcome:
    """Start (or queue) the pipeline under a deterministic name, once.

    A conditional write claims the name first (Step Functions answers a same-name start of a *running*
    execution with success, so the claim is what tells a duplicate delivery apart). A claim left at
    "starting" by a crash is completed by the next delivery: StartExecution is idempotent by name.
    While `max_active_runs` runs are going, the name is queued instead; every run that ends starts the
    oldest queued one (`start_next_queued`), so a batch never outruns the providers' rate tiers.
    """
    runs = deps.runs
    if not runs.claim_trigger(name, brief_key):
        if runs.trigger_state(name) in ("started", "queued"):
            logger.info("duplicate delivery ignored", extra={"execution": name, "brief_key": brief_key})
            return "duplicate"
    if active_runs(deps) >= deps.settings.max_active_runs:
        runs.enqueue(name, brief_key, queued_at=time.time())
        runs.set_trigger_state(name, "queued")
        logger.info("run queued", extra={"execution": name, "brief_key": brief_key})
        return "queued"
    _start(deps, name, brief_key)
    return "started"


def _start(deps: Deps, name: str, brief_key: str) -> None:
    try:
        deps.client("stepfunctions").start_execution(
            stateMachineArn=deps.settings.state_machine_arn, name=name, input=json.dumps({"brief_key": brief_key})
        )
    except ClientError as e:
        if e.response["Error"]["Code"] != "ExecutionAlreadyExists":
            raise
        logger.info("execution already exists", extra={"execution": name})
    deps.runs.set_trigger_state(name, "started")
    logger.info("run started", extra={"execution": name, "brief_key": brief_key})


def active_runs(deps: Deps) -> int:
    """How many pipeline executions are running now (counting stops once the limit is reached)."""
    count = 0
    paginator = deps.client("stepfunctions").get_paginator("list_executions")
    for page in paginator.paginate(stateMachineArn=deps.settings.state_machine_arn, statusFilter="RUNNING"):
        count += len(page["executions"])
        if count >= deps.settings.max_active_runs:
            break
    return count


def start_next_queued(deps: Deps, *, ending: int = 0) -> list[str]:
    """Start the oldest queued runs while there is room. `ending`: runs that are finishing but still counted."""
    if not deps.settings.state_machine_arn:
        return []
    runs = deps.runs
    room = deps.settings.max_active_runs - (active_runs(deps) - ending)
    started: list[str] = []
    if room <= 0:
        return started
    for queued in runs.queued(limit=room):
        # the conditional delete makes each queued run start once, however many runs end at once
        if not runs.dequeue(queued):
            continue
        _start(deps, queued.name, queued.brief_key)
        started.append(queued.name)
    return started


def release_slot(deps: Deps) -> None:
    """A run ended: start what waits in the queue. Never fails the run that is ending."""
    try:
        start_next_queued(deps, ending=1)  # the calling run is in its last step, so it still counts as running
    except Exception:  # noqa: BLE001 - the next run to end (or the next upload) tries again
        logger.exception("could not start the next queued run")


__all__ = ["Outcome", "active_runs", "release_slot", "start_execution", "start_next_queued"]
