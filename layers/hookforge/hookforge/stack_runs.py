"""`hookforge runs|approve|resume --stack NAME`: the same commands against a deployed stack.

In AWS nothing needs a service: Step Functions keeps every execution and its history, the runs table keeps the
run records and approvals, and Step Functions' own redrive continues a failed execution from the state that
failed (its completed states are not run again). The stack's outputs name the state machine, the runs table and
the approval page's base URL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from hookforge.errors import ConfigError, RunNotFound, RunNotResumable, RunNotWaiting


@dataclass
class StackRuns:
    stack: str
    #: a boto3 session (default: the environment's credentials and region)
    session: Any = None
    overrides: dict[str, Any] = field(default_factory=dict)

    def _session(self) -> Any:
        if self.session is None:
            from hookforge.sessions import boto_session

            self.session = boto_session()
        return self.session

    def client(self, service: str) -> Any:
        if service not in self.overrides:
            self.overrides[service] = self._session().client(service)
        return self.overrides[service]

    def outputs(self) -> dict[str, str]:
        from botocore.exceptions import ClientError

        try:
            stacks = self.client("cloudformation").describe_stacks(StackName=self.stack)["Stacks"]
        except ClientError as e:
            raise ConfigError(
                f"stack {self.stack!r} cannot be read ({e.response['Error']['Code']})",
                hint="check the stack name, the region (AWS_REGION) and your credentials",
            ) from None
        return {o["OutputKey"]: o["OutputValue"] for o in (stacks[0].get("Outputs") or [])} if stacks else {}

    @property
    def deps(self) -> Any:
        if "deps" not in self.overrides:
            from hookforge.config import Settings
            from hookforge.deps import Deps

            out = self.outputs()
            missing = [k for k in ("HookPipelineStateMachineArn", "RunsTableName") if k not in out]
            if missing:
                raise ConfigError(f"stack {self.stack!r} has no output {missing[0]}: is it a hookforge stack?")
            settings = Settings(
                state_machine_arn=out["HookPipelineStateMachineArn"],
                runs_table=out["RunsTableName"],
                artifacts_bucket=out.get("ArtifactsBucketName", ""),
                metrics_table=out.get("MetricsTableName", ""),
                approval_base_url=out.get("ApprovalApiUrl", ""),
                region=self._session().region_name or "us-east-1",
            )
            self.overrides["deps"] = Deps(settings=settings, session=self._session(), overrides=self.overrides)
        return self.overrides["deps"]

    def execution_arn(self, run_id: str) -> str:
        arn = str(self.deps.settings.state_machine_arn)
        return f"{arn.replace(':stateMachine:', ':execution:')}:{run_id}"

    # ------------------------------------------------------------------------------ the commands
    def list(self, *, limit: int) -> list[dict[str, Any]]:
        from hookforge.runs import run_cost
        from hookforge.steps.register_hook import hook_id_for

        deps = self.deps
        sfn = self.client("stepfunctions")
        executions: list[dict[str, Any]] = []
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=deps.settings.state_machine_arn):
            executions.extend(page["executions"])
            if len(executions) >= limit:
                break
        rows = []
        now = time.time()
        for execution in executions[:limit]:
            run_id = execution["name"]
            run = deps.runs.get(run_id) or {}
            state = str(run.get("status") or execution["status"])
            if execution["status"] in ("FAILED", "TIMED_OUT", "ABORTED") and state != "FAILED":
                state = execution["status"]
            started = execution.get("startDate")
            rows.append(
                {
                    "run_id": run_id,
                    "state": state,
                    "step": run.get("failed_state") or run.get("step") or "",
                    "age_seconds": int(now - started.timestamp()) if started is not None else 0,
                    "hook_id": run.get("hook_id") or (hook_id_for(run_id) if state != "FAILED" else ""),
                    "brief": run.get("brief_name") or "",
                    "cost_usd": run_cost(run, {}),
                    "redrivable": _redrivable(execution, now),
                }
            )
        return rows

    def resume(self, run_id: str) -> str:
        """Redrive the run's execution from the state that failed (Step Functions' own resume)."""
        from botocore.exceptions import ClientError

        sfn = self.client("stepfunctions")
        arn = self.execution_arn(run_id)
        try:
            sfn.redrive_execution(executionArn=arn)
        except ClientError as e:
            code = e.response["Error"]["Code"]
            if code == "ExecutionDoesNotExist":
                raise RunNotFound(f"no run {run_id!r} in stack {self.stack}") from None
            if code in ("ExecutionNotRedrivable", "ExecutionLimitExceeded"):
                reason = e.response["Error"].get("Message", "")
                raise RunNotResumable(f"run {run_id} cannot be redriven: {reason}") from None
            raise
        return arn

    def pending(self, run_id: str) -> Any:
        deps = self.deps
        run = deps.runs.get(run_id)
        if run is None:
            raise RunNotFound(f"no run {run_id!r} in stack {self.stack}")
        record = deps.approvals.pending_for_run(run_id)
        if record is None:
            raise RunNotWaiting(f"run {run_id} is not waiting for a pick (state: {run.get('status')})")
        return record


#: Step Functions redrives a failed, timed-out or aborted Standard execution within 14 days of its end
REDRIVE_WINDOW = 14 * 24 * 3600


def _redrivable(execution: dict[str, Any], now: float) -> bool:
    if execution.get("status") not in ("FAILED", "TIMED_OUT", "ABORTED"):
        return False
    ended = execution.get("stopDate") or execution.get("startDate")
    return ended is None or now - ended.timestamp() < REDRIVE_WINDOW
