"""Logger and Tracer built once; every module logs through `logger` (service: hookforge)."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Tracer

os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "hookforge")
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "Hookforge")

logger = Logger()
tracer = Tracer()
