"""Runtime configuration, parsed once from the environment (fail fast, with a clear message)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from hookforge.errors import ConfigError

#: provider keys read from the environment locally (in AWS they live in Secrets Manager, see `deps.Secrets`)
API_KEY_VARS = (
    "RUNWAYML_API_SECRET",
    "OPENAI_API_KEY",
    "STABILITY_API_KEY",
    "CIVITAI_API_KEY",
    "META_ACCESS_TOKEN",
    "TIKTOK_ACCESS_TOKEN",
)


class Settings(BaseModel):
    """Every setting hookforge reads from its environment, parsed once and frozen; template.yaml sets them in
    Globals, the local engine in its own environment. A test changes them with `model_copy(update=...)`."""

    model_config = ConfigDict(frozen=True)

    artifacts_bucket: str = "hookforge-local-artifacts"
    runs_table: str = "hookforge-local-runs"
    metrics_table: str = "hookforge-local-metrics"
    region: str = "us-east-1"
    sender_email: str = "hookforge@example.com"
    approval_base_url: str = "http://127.0.0.1:8765"
    approval_secret_name: str = "hookforge/approval-signing-key"
    #: "local" when the local engine runs the handlers in-process (only `deps.Deps` asks)
    stage: str = "aws"
    #: hook-rate target (fraction), 0.30 by default
    hook_rate_target: float = Field(default=0.30, gt=0, lt=1)
    #: per platform / placement targets, e.g. "meta:feed=0.23,meta:reels=0.30,tiktok=0.28" (`metrics.compare`)
    hook_rate_targets: str = ""
    #: the pipeline StartRun starts (set by template.yaml; the local engine sets its own)
    state_machine_arn: str = ""
    #: who hears about uploads that could not start a run
    notify_email: str = ""
    #: runs going at once; uploads beyond it wait in a queue (providers' rate tiers)
    max_active_runs: int = 10
    #: the approval signing key itself, or a file holding it (else the local home's key, else Secrets Manager)
    approval_secret: SecretStr | None = None
    approval_secret_file: str = ""
    #: the local engine's state folder
    home: str = ".hookforge"
    #: provider keys from the environment (names in API_KEY_VARS), never logged
    api_keys: dict[str, SecretStr] = Field(default_factory=dict, repr=False)
    #: provider model choices when the brief names none
    openai_image_model: str = ""
    openai_image_quality: str = ""
    stability_image_model: str = "core"
    nova_canvas_quality: str = "standard"
    #: Bedrock model ids (empty: `providers.bedrock_models` defaults; Nova Canvas/Reel are past end of life)
    bedrock_image_model: str = ""
    bedrock_video_model: str = ""
    #: the checkout holding template.yaml (the local engine finds it from the package otherwise)
    project_root: str = ""
    #: the largest ad-platform report ReportImport reads from the bucket (bytes); a larger one gets an import
    #: report saying so, unread
    report_max_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    #: ad accounts `metrics sync` reads (empty = that platform is not synced); tokens are secrets, not settings
    meta_ad_account_id: str = ""
    tiktok_advertiser_id: str = ""
    #: API hosts (configuration so tests and rehearsals point them at a local stand-in)
    meta_graph_url: str = "https://graph.facebook.com"
    tiktok_api_url: str = "https://business-api.tiktok.com"
    #: days `metrics sync` re-reads each time (the platforms restate recent days)
    metrics_sync_days: int = Field(default=7, ge=1, le=400)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
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
            "hook_rate_targets": env.get("HOOK_RATE_TARGETS"),
            "state_machine_arn": env.get("STATE_MACHINE_ARN"),
            "notify_email": env.get("NOTIFY_EMAIL"),
            "max_active_runs": env.get("MAX_ACTIVE_RUNS"),
            "approval_secret": env.get("HOOKFORGE_APPROVAL_SECRET"),
            "approval_secret_file": env.get("HOOKFORGE_APPROVAL_SECRET_FILE"),
            "home": env.get("HOOKFORGE_HOME"),
            "api_keys": {name: env[name] for name in API_KEY_VARS if env.get(name)},
            "openai_image_model": env.get("OPENAI_IMAGE_MODEL"),
            "openai_image_quality": env.get("OPENAI_IMAGE_QUALITY"),
            "stability_image_model": env.get("STABILITY_IMAGE_MODEL"),
            "nova_canvas_quality": env.get("NOVA_CANVAS_QUALITY"),
            "bedrock_image_model": env.get("BEDROCK_IMAGE_MODEL"),
            "bedrock_video_model": env.get("BEDROCK_VIDEO_MODEL"),
            "project_root": env.get("HOOKFORGE_PROJECT_ROOT"),
            "report_max_bytes": env.get("REPORT_MAX_BYTES"),
            "meta_ad_account_id": env.get("META_AD_ACCOUNT_ID"),
            "tiktok_advertiser_id": env.get("TIKTOK_ADVERTISER_ID"),
            "meta_graph_url": env.get("META_GRAPH_URL"),
            "tiktok_api_url": env.get("TIKTOK_API_URL"),
            "metrics_sync_days": env.get("METRICS_SYNC_DAYS"),
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
