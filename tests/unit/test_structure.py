"""The renovation's floors, checked from the code itself: no import cycle in `hookforge`, no stage or environment
question in the steps and `approval/`, and every error name the state machine catches is a class of ours."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from hookforge import errors

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "hookforge" / "hookforge"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(tree: ast.Module, modules: set[str]) -> set[str]:
    """Every hookforge module a module imports, wherever the import stands (module level, inside a function, under
    TYPE_CHECKING): a lazy import still ties the two modules together."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            # `from package import module` depends on that module; anything else on the module named
            found.update(submodules if len(submodules) == len(node.names) else {node.module, *submodules})
    return found & modules


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(files)
    return {name: _imports(ast.parse(path.read_text()), modules) - {name} for name, path in files.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    seen: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def walk(node: str) -> None:
        seen.add(node)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_stack:
                found.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in seen:
                walk(nxt)
        stack.pop()
        on_stack.discard(node)

    for node in sorted(graph):
        if node not in seen:
            walk(node)
    return found


def test_hookforge_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "hookforge.deps" in graph and graph["hookforge.steps.apply_effects"]  # the walk sees the package
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]


@pytest.mark.parametrize("folder", ["steps", "approval"])
def test_steps_and_approval_never_ask_the_stage_or_the_environment(folder: str) -> None:
    asks = re.compile(r"is_local|\.stage\b|HOOKFORGE_STAGE|os\.environ|os\.getenv|getenv\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for path in sorted((PACKAGE / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if asks.search(line)
    ]
    assert offenders == []


def test_only_deps_and_config_ask_where_hookforge_runs() -> None:
    asks = re.compile(r"is_local|settings\.stage\b|HOOKFORGE_STAGE")
    where = {
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if asks.search(path.read_text())
    }
    # the local engine sets HOOKFORGE_STAGE for the handlers it runs, as Lambda's environment would
    # (local/environment.py holds that environment, for the engine and for the local service's clients)
    assert where <= {"deps.py", "config.py", "local/engine.py", "local/environment.py"}, where


def test_every_error_the_state_machine_names_is_a_hookforge_error() -> None:
    definition = json.loads((ROOT / "statemachine" / "hook_pipeline.asl.json").read_text())
    names: set[str] = set()

    def collect(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "ErrorEquals":
                    names.update(value)
                else:
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(definition)
    ours = {n for n in names if not n.startswith(("States.", "Lambda.", "Sandbox."))}
    assert ours, "the state machine retries or catches errors of its own"
    missing = {n for n in ours if not isinstance(getattr(errors, n, None), type)}
    assert missing == set()
    assert all(issubclass(getattr(errors, n), errors.HookforgeError) for n in ours)
