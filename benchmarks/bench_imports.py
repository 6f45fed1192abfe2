"""Cold import time of each zip handler ÷ `import boto3` alone, measured side by side in fresh interpreters."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

from hookforge.local import template as tpl

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 3
#: issue 18: every handler's cold import within 2.5x `import boto3` (tracing off, as the local engine runs them)
GOAL = 2.5


def _cold_import(module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {"POWERTOOLS_TRACE_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    template = tpl.load_template(ROOT / "template.yaml")
    zip_functions = {
        logical_id: spec
        for logical_id, spec in tpl.functions(template).items()
        if template["Resources"][logical_id]["Properties"].get("PackageType") != "Image"
    }
    # interleave baseline and handler runs so machine noise hits both alike
    for logical_id, spec in sorted(zip_functions.items()):
        base, handler = [], []
        for _ in range(REPEATS):
            base.append(_cold_import("boto3"))
            handler.append(_cold_import(spec.module))
        b, h = statistics.median(base), statistics.median(handler)
        verdict = "ok" if h / b <= GOAL else "over"
        print(  # noqa: T201
            f"   {logical_id:<28} cold import {h * 1000:7.1f} ms ÷ import boto3 {b * 1000:6.1f} ms = {h / b:5.2f}x"
            f"  (goal ≤ {GOAL}: {verdict})"
        )
