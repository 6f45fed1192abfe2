"""Commands that do not run the pipeline start without the engine; `--version`; help without `<bool>`."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from importlib.metadata import version

import pytest
import typer
from typer.testing import CliRunner

from hookforge.cli import _LAZY_COMMANDS, app

#: what a command that does not run the pipeline must not import (moto and the engine take seconds to load)
HEAVY = ("moto", "boto3", "hookforge.local.engine", "hookforge.metrics.store")

_PROBE = """
import contextlib, io, json, sys
from hookforge.cli import main
sys.argv = ["hookforge", *json.loads(sys.argv[1])]
out, code = io.StringIO(), None
with contextlib.redirect_stdout(out):
    try:
        main()
    except SystemExit as e:
        code = e.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _run_in_fresh_process(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("args", "expected"),
    [(("presets",), "punchy"), (("--help",), "Usage: hookforge"), (("--version",), "hookforge ")],
)
def test_quick_command_imports_neither_moto_nor_boto3_nor_engine_when_run(args: tuple[str, ...], expected: str) -> None:
    # When a command that does not run the pipeline runs in a fresh interpreter
    result = _run_in_fresh_process(*args)
    # Then it did its job and none of the heavy modules was imported
    assert result["code"] in (0, None)
    assert expected in str(result["out"])
    modules = result["modules"]
    assert isinstance(modules, list)
    loaded = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert loaded == []


def test_version_prints_the_installed_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"hookforge {version('hookforge')}\n"


def _help_pages() -> list[list[str]]:
    pages: list[list[str]] = [["--help"]]
    root = typer.main.get_command(app)
    for name in root.list_commands(typer.Context(root)):  # type: ignore[attr-defined]
        pages.append([name, "--help"])
    for sub in ("import", "report"):
        pages.append(["metrics", sub, "--help"])
    return pages


@pytest.mark.parametrize("args", _help_pages(), ids=lambda args: " ".join(args))
def test_help_prints_no_type_after_on_off_flags(args: list[str]) -> None:
    result = CliRunner().invoke(app, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "--help" in result.stdout
    assert "<bool>" not in result.stdout
    assert "--help  " in result.stdout or "--help\n" in result.stdout  # the flag stands alone


def test_run_help_lists_its_flags_without_a_type() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "120"})
    open_line = next(line for line in result.stdout.splitlines() if line.strip().startswith("--open"))
    assert open_line.split()[1] == "Open"  # the help text follows the flag directly


@pytest.mark.parametrize("name", list(_LAZY_COMMANDS))
def test_lazy_command_summary_matches_the_command_help_when_loaded(name: str) -> None:
    # Given the root group, which lists lazy commands by a summary written beside their target
    root = typer.main.get_command(app)
    # When the real command is built (its module imported)
    command = root.load(name)  # type: ignore[attr-defined]
    # Then the summary shown in `hookforge --help` is the first paragraph of the real command's help
    first = inspect.cleandoc(command.help or "").split("\n\n")[0].replace("\n", " ")
    assert first == _LAZY_COMMANDS[name].summary


def test_lazy_command_runs_when_invoked() -> None:
    result = CliRunner().invoke(app, ["metrics", "report", "--help"])
    assert result.exit_code == 0 and "Usage: hookforge metrics report" in result.stdout


def test_misspelt_lazy_command_gets_a_suggestion() -> None:
    result = CliRunner().invoke(app, ["dashbord"])
    assert result.exit_code == 2
    assert "No such command 'dashbord'. Did you mean 'dashboard'?" in result.output
