"""The ASL is linted on its own: placeholders, graph, cfn-lint's ASL rule and statelint."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hookforge.local import template as tpl

ROOT = Path(__file__).resolve().parents[2]
ASL_PATH = ROOT / "statemachine" / "hook_pipeline.asl.json"


def _asl() -> dict[str, Any]:
    return json.loads(ASL_PATH.read_text())


def _substituted() -> dict[str, Any]:
    text = ASL_PATH.read_text()
    machine = tpl.state_machines(tpl.load_template(ROOT / "template.yaml"))["HookPipelineStateMachine"]
    for name in machine["substitutions"]:
        text = text.replace("${" + name + "}", f"arn:aws:lambda:us-east-1:123456789012:function:{name}")
    return json.loads(text)


def _walk(states: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(name, state, sibling states) for every state, including those inside Map item processors."""
    out = []
    for name, state in states.items():
        out.append((name, state, states))
        if "ItemProcessor" in state:
            out.extend(_walk(state["ItemProcessor"]["States"]))
    return out


def _targets(state: dict[str, Any]) -> list[str]:
    targets = [state["Next"]] if "Next" in state else []
    targets += [c["Next"] for c in state.get("Choices", [])]
    targets += [state["Default"]] if "Default" in state else []
    targets += [c["Next"] for c in state.get("Catch", [])]
    return targets


def tool(name: str) -> str:
    own = ":".join(str(ROOT / venv / "bin") for venv in (".venv-tools", ".venv-checkov"))
    found = shutil.which(name) or shutil.which(name, path=own)
    if not found:
        pytest.fail(f"{name} is not installed: run `make tools` (make test does it)")
    return found


def test_every_placeholder_has_a_substitution() -> None:
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    machine = tpl.state_machines(tpl.load_template(ROOT / "template.yaml"))["HookPipelineStateMachine"]
    assert placeholders, "the ASL should reference its functions through placeholders"
    assert placeholders == set(machine["substitutions"])


def test_every_next_exists_and_every_state_is_reachable() -> None:
    def check(block: dict[str, Any]) -> None:
        states = block["States"]
        reachable, todo = set(), [block["StartAt"]]
        while todo:
            name = todo.pop()
            assert name in states, f"transition to missing state {name!r}"
            if name in reachable:
                continue
            reachable.add(name)
            todo.extend(_targets(states[name]))
        assert reachable == set(states), f"unreachable: {set(states) - reachable}"
        for state in states.values():
            if "ItemProcessor" in state:
                check(state["ItemProcessor"])

    check(_asl())


def test_every_task_catches_into_the_failure_recorder() -> None:
    tasks = [(n, s) for n, s, _ in _walk(_asl()["States"]) if s["Type"] == "Task" and n != "RecordFailure"]
    assert len(tasks) >= 8
    for name, state in tasks:
        catches = [c for c in state.get("Catch", []) if "States.ALL" in c["ErrorEquals"]]
        assert catches, f"{name} has no catch-all"


def test_asl_uses_jsonpath_only() -> None:
    text = ASL_PATH.read_text()
    assert "JSONata" not in text and '"Assign"' not in text and "states:startExecution" not in text


def test_substituted_definition_passes_cfn_lint_asl_rule(tmp_path: Path) -> None:
    wrapper = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"RoleArn": "arn:aws:iam::123456789012:role/x", "Definition": _substituted()},
            }
        },
    }
    path = tmp_path / "wrapped.yaml"
    path.write_text(yaml.safe_dump(wrapper))
    proc = subprocess.run([tool("cfn-lint"), str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_substituted_definition_passes_statelint(tmp_path: Path) -> None:
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(_substituted()))
    proc = subprocess.run([tool("statelint"), str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_statelint_would_catch_a_dangling_next(tmp_path: Path) -> None:
    broken = _substituted()
    broken["States"]["ValidateBrief"]["Next"] = "NoSuchState"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    proc = subprocess.run([tool("statelint"), str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode != 0
