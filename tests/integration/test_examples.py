"""Every example brief is valid, and the CLI turns a bad one into one clear line and exit code 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hookforge.steps.validate_brief import parse_brief

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.*"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_briefs_are_valid(path: Path) -> None:
    assert parse_brief(path.read_bytes(), source=path.name).name


def test_cli_reports_a_malformed_brief_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "ok", "images": {"count": "four"}')
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "hookforge.cli",
            "run",
            str(bad),
            "--pick",
            "1",
            "--home",
            str(tmp_path / "home"),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1
    assert "BriefInvalid" in output and "not valid JSON" in output
    assert f"{bad}: not valid JSON" in output  # the user's own file, on one line
    assert "Traceback" not in output
    # the brief is checked before anything is submitted: no run folder is left behind
    assert not list((tmp_path / "out").glob("run-*"))
