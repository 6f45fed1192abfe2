"""The local engine's names and environment: what its handlers see, and what its clients point boto3 at.

Kept apart from the engine so a client command (`runs`, `metrics report`, ...) can reach the local service
without importing the engine or moto.
"""

from __future__ import annotations

from pathlib import Path

REGION = "us-east-1"
ACCOUNT = "123456789012"
BUCKET = "hookforge-local-artifacts"
LOCAL_NAMES = {
    "ArtifactsBucket": BUCKET,
    "RunsTable": "hookforge-local-runs",
    "MetricsTable": "hookforge-local-metrics",
}
STATE_MACHINE = "HookPipelineStateMachine"
STATE_MACHINE_NAME = "hookforge-hook-pipeline"
STATE_MACHINE_ARN = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STATE_MACHINE_NAME}"
#: the signing key file inside a home (`deps.local_key` creates it)
KEY_FILE = "approval-secret"


def local_environment(home: Path) -> dict[str, str]:
    """The environment the local engine's handlers run in (as template.yaml's Globals set it in AWS), and that a
    client of the local service builds its settings from. Fake credentials: nothing local can reach a real
    account, whatever the shell has set."""
    return {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "ARTIFACTS_BUCKET": BUCKET,
        "RUNS_TABLE": LOCAL_NAMES["RunsTable"],
        "METRICS_TABLE": LOCAL_NAMES["MetricsTable"],
        "STATE_MACHINE_ARN": STATE_MACHINE_ARN,
        "HOOKFORGE_STAGE": "local",
        "HOOKFORGE_HOME": str(home),
        "HOOKFORGE_APPROVAL_SECRET_FILE": str(home / KEY_FILE),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "hookforge",
        "POWERTOOLS_METRICS_NAMESPACE": "Hookforge",
    }
