"""template.yaml passes `sam validate` (with and without --lint) and cfn-lint, and declares the design."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hookforge.local import template as tpl
from tests.unit.test_statemachine import tool

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}


def test_sam_validate_passes() -> None:
    for extra in ([], ["--lint"]):
        proc = subprocess.run(
            [tool("sam"), "validate", "--template-file", "template.yaml", *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=ENV,
            check=False,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "is a valid SAM Template" in proc.stdout + proc.stderr


def test_cfn_lint_passes() -> None:
    proc = subprocess.run([tool("cfn-lint"), "template.yaml"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_template_declares_every_step_function_and_routes_to_existing_handlers() -> None:
    template = tpl.load_template(ROOT / "template.yaml")
    functions = tpl.functions(template)
    for step in (
        "ValidateBrief",
        "FetchInspiration",
        "GenerateImage",
        "RequestSelection",
        "SubmitVideo",
        "PollVideo",
        "ApplyEffects",
        "RegisterHook",
        "NotifyDone",
        "LaunchHook",
        "RecordFailure",
        "ApprovalApi",
    ):
        spec = functions[f"{step}Function"]
        path = ROOT / Path(*spec.module.split(".")).with_suffix(".py")
        assert path.exists(), f"{step}: {path} missing"
    resources = template["Resources"]
    assert resources["ApplyEffectsFunction"]["Properties"]["PackageType"] == "Image"
    assert resources["HookPipelineStateMachine"]["Properties"]["Type"] == "STANDARD"
    bucket = resources["ArtifactsBucket"]["Properties"]
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    layer = resources["HookforgeLayer"]
    assert layer["Metadata"]["BuildMethod"] == "python3.12"


def test_no_function_policy_grants_full_access() -> None:
    text = (ROOT / "template.yaml").read_text()
    assert "FullAccess" not in text
    assert 'Action: "*"' not in text and "Action: '*'" not in text


def test_layer_requirements_are_runtime_only() -> None:
    reqs = (ROOT / "layers" / "hookforge" / "requirements.txt").read_text().lower()
    for dev_only in ("moto", "pytest", "respx", "playwright", "cfn-lint"):
        assert dev_only not in reqs
