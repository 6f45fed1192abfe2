"""Runtime configuration, parsed once from the environment (fail fast, with a clear message)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field, ValidationError

from hookforge.errors import ConfigError


class Settings(BaseModel):
    """Settings every handler shares; template.yaml sets them in Globals."""

    artifacts_bucket: str = "hookforge-local-artifacts"
    runs_table: str = "hookforge-local-runs"
    metrics_table: str = "hookforge-local-metrics"
    region: str = "us-east-1"
    sender_email: str = "hookforge@example.com"
    approval_base_url: str = "http://127.0.0.1:8765"
    approval_secret_name: str = "hookforge/approval-signing-key"
    #: "local" when the local engine runs the handlers in-process
    stage: str = "aws"
    #: hook-rate target (fraction), 0.30 by default
    hook_rate_target: float = Field(default=0.30, gt=0, lt=1)
    #: the pipeline StartRun starts (set by template.yaml; the local engine sets its own)
    state_machine_arn: str = ""
    #: who hears about uploads that could not start a run
    notify_email: str = ""
    #: runs going at once; uploads beyond it wait in a queue (providers' rate tiers)
    max_active_runs: int = 10

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        values = {
            "artifacts_bucket": env.get("ARTIFACTS_BUCKET"),
            "runs_table": env.get("RUNS_TABLE"),
            "metrics_table": env.get("METRICS_TABLE"),
            "region": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            "sender_email": env.get("SENDER_EMAIL"),
            "approval_base_url": env.get("APPROVAL_BASE_URL"),
            "approval_secret_name": env.get("APPROVAL_SECRET_NAME"),
            "stage": env.get("HOOKFORGE_STAGE"),
            "hook_rate_target": env.get("HOOK_RATE_TARGET"),
            "state_machine_arn": env.get("STATE_MACHINE_ARN"),
            "notify_email": env.get("NOTIFY_EMAIL"),
            "max_active_runs": env.get("MAX_ACTIVE_RUNS"),
        }
        try:
            return cls.model_validate({k: v for k, v in values.items() if v not in (None, "")})
        except ValidationError as e:
            raise ConfigError(f"invalid hookforge environment: {e.errors()[0]['msg']}") from e

    @property
    def is_local(self) -> bool:
        return self.stage == "local"


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The process-wide settings (the local engine clears this cache when it sets the environment)."""
    return Settings.from_env()
