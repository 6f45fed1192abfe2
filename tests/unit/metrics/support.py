"""Shared constants and helpers of the metrics tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "metrics"
#: the root conftest's `aws` fixture creates this table from template.yaml (with its GSI)
TABLE = "hf-test-metrics"
HOOKS = ("hk-1a2b3c4d5e", "hk-9f8e7d6c5b", "hk-00aa11bb22")


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")
