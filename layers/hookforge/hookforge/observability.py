"""Logger and Tracer built once; every module logs through `logger` (service: hookforge)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "hookforge")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Hookforge")

logger = Logger()


def __getattr__(name: str) -> Tracer:
    """`tracer`, built on first use: building it loads the X-Ray SDK and botocore (about a second), which the
    handlers need and the CLI's quick commands (`presets`, `effects`) do not."""
    if name != "tracer":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    tracer = globals()["tracer"] = Tracer()
    return tracer
