"""Run every benchmark module (bench_*.py) in name order; each prints its own ratio lines."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import time

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # the ratios are the output; step logs would bury them
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")

import benchmarks  # noqa: E402 - after the logging environment is set


def main() -> int:
    names = sorted(m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name.startswith("bench_"))
    only = set(sys.argv[1:])
    for name in names:
        if only and name not in only:
            continue
        started = time.perf_counter()
        print(f"== {name}", flush=True)  # noqa: T201 - benchmark output is the product here
        importlib.import_module(f"benchmarks.{name}").main()
        print(f"   ({time.perf_counter() - started:.1f}s)", flush=True)  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
