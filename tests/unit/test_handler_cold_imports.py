"""A handler's cold import loads only what every invocation needs (issue 18: every Lambda step pays it).

Checked as behaviour, never as time: each handler is imported in a fresh interpreter and the modules it
loaded are listed. With tracing off, Powertools' Tracer and the X-Ray SDK stay out; with tracing on (in AWS,
`Tracing: Active`) the handler is still wrapped by the real Tracer. The garbage collector does not walk the import
(`hookforge.coldstart`): its passes are counted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookforge.local import template as tpl

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = tpl.load_template(ROOT / "template.yaml")
#: every zip handler of the template (the image function ApplyEffects starts its container once per render)
ZIP_HANDLERS = sorted(
    spec.module
    for logical_id, spec in tpl.functions(TEMPLATE).items()
    if TEMPLATE["Resources"][logical_id]["Properties"].get("PackageType") != "Image"
)
#: what only some paths of a step need: the HTTP client (providers that call out, a clip's download), Pillow
#: (checking or drawing images), the Runway SDK, numpy (the image function's focus finder) and Meta's SDK (loaded
#: when a Meta reader or launcher is made: a TikTok-only sync never needs it)
LAZY = ("httpx", "PIL", "runwayml", "numpy", "facebook_business")
#: handlers whose every invocation needs one of them, so their import may load it
NEEDED_AT_IMPORT = {
    "functions.metrics_sync.app": {"httpx"},  # every sync calls Meta or TikTok
    "functions.request_selection.app": {"PIL"},  # every selection draws the contact sheet
}

#: imports the handler; lists the modules loaded and the source file of every layer of its decorators
_PROBE = """
import json, sys
import {module} as handler
layer, files = handler.lambda_handler, []
while layer is not None:
    files.append(layer.__code__.co_filename)
    layer = getattr(layer, "__wrapped__", None)
print(json.dumps({{"modules": sorted(sys.modules), "decorators": files}}))
"""
TRACER_SOURCE = str(Path("aws_lambda_powertools", "tracing", "tracer.py"))


def _run_fresh(code: str, **env: str) -> dict[str, Any]:
    """Run `code` in a fresh interpreter with tracing settings from `env` only; its last line is JSON."""
    environ = {k: v for k, v in os.environ.items() if k not in ("POWERTOOLS_TRACE_DISABLED", "LAMBDA_TASK_ROOT")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
        env={**environ, "AWS_DEFAULT_REGION": "us-east-1", **env},
    )
    return json.loads(done.stdout.splitlines()[-1])


def _loaded(modules: list[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def test_the_template_has_zip_handlers_to_check() -> None:
    assert "functions.notify_done.app" in ZIP_HANDLERS
    assert "functions.apply_effects.app" not in ZIP_HANDLERS


@pytest.mark.parametrize("module", ZIP_HANDLERS)
def test_handler_import_loads_neither_xray_nor_what_only_some_paths_need_when_tracing_is_off(module: str) -> None:
    # When the handler is imported in a fresh interpreter with tracing off (as the bench and the local engine do)
    result = _run_fresh(_PROBE.format(module=module), POWERTOOLS_TRACE_DISABLED="true")
    # Then the X-Ray SDK was not loaded and no Tracer wraps the handler
    assert not _loaded(result["modules"], "aws_xray_sdk")
    assert not [f for f in result["decorators"] if f.endswith(TRACER_SOURCE)]
    # And neither was any module only some invocations need
    allowed = NEEDED_AT_IMPORT.get(module, set())
    assert [p for p in LAZY if p not in allowed and _loaded(result["modules"], p)] == []


#: imports the handler counting the garbage collector's passes, per generation, while it is imported
_GC_PROBE = """
import gc, json
passes = [0, 0, 0]
def count(phase, info):
    if phase == "start":
        passes[info["generation"]] += 1
gc.callbacks.append(count)
import {module}
print(json.dumps({{"passes": passes, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}}))
"""
#: every handler of the template, the image function's included
HANDLERS = sorted(spec.module for spec in tpl.functions(TEMPLATE).values())


@pytest.mark.parametrize("module", HANDLERS)
def test_handler_import_is_not_walked_by_the_garbage_collector(module: str) -> None:
    # When the handler is imported in a fresh interpreter
    result = _run_fresh(_GC_PROBE.format(module=module), POWERTOOLS_TRACE_DISABLED="true")
    # Then the collector made no pass over what the import made (without the pause: ~95 passes over the youngest
    # objects, ~8 over the middle generation, at times one over everything; the few young passes left come before
    # the pause, while the hookforge package and its errors are imported), and after the import it is on again with
    # what the import made frozen
    young, middle, old = result["passes"]
    assert young <= 5 and middle == 0 and old == 0, result["passes"]
    assert result["enabled"] is True and result["frozen"] > 10_000


def test_the_collector_resumes_after_a_failed_import_and_a_nested_pause_leaves_it_off() -> None:
    import gc

    from hookforge.coldstart import collector_paused

    assert gc.isenabled()
    with pytest.raises(ImportError), collector_paused():
        assert not gc.isenabled()
        import hookforge.no_such_module  # noqa: F401 - the import that fails
    assert gc.isenabled()
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()  # the inner pause found it off and left it off
    assert gc.isenabled()


def test_handler_is_traced_by_powertools_when_tracing_is_on() -> None:
    # When a handler is imported the way Lambda imports it with `Tracing: Active`
    result = _run_fresh(_PROBE.format(module="functions.notify_done.app"), LAMBDA_TASK_ROOT="/var/task")
    # Then Powertools' Tracer was built on the X-Ray SDK and wraps the handler
    assert _loaded(result["modules"], "aws_xray_sdk.core")
    assert [f for f in result["decorators"] if f.endswith(TRACER_SOURCE)]


_TRACER_PROBE = """
import json, sys
from hookforge.observability import tracer

def handler(event, context):
    return {"echo": event}

traced = tracer.capture_lambda_handler(handler)
with_options = tracer.capture_lambda_handler(capture_response=False)(handler)
method = tracer.capture_method(handler)
print(json.dumps({
    "enabled": tracer.enabled,
    "untouched": [traced is handler, with_options is handler, method is handler],
    "wraps": [getattr(f, "__wrapped__", None) is handler for f in (traced, with_options, method)],
    "answers": [traced(1, None), with_options(2, None), method(3, None)],
    "xray": "aws_xray_sdk" in sys.modules,
}))
"""


@pytest.mark.parametrize(
    "env",
    [{"POWERTOOLS_TRACE_DISABLED": "true", "LAMBDA_TASK_ROOT": "/var/task"}, {}],
    ids=["disabled-by-env", "outside-lambda"],
)
def test_tracer_decorators_hand_the_function_back_when_tracing_is_off(env: dict[str, str]) -> None:
    # When the decorators are applied where Powertools would not trace
    result = _run_fresh(_TRACER_PROBE, **env)
    # Then they return the function itself, which answers as before, and X-Ray is never imported
    assert result["enabled"] is False
    assert result["untouched"] == [True, True, True]
    assert result["answers"] == [{"echo": 1}, {"echo": 2}, {"echo": 3}]
    assert result["xray"] is False


def test_tracer_decorators_are_powertools_own_when_tracing_is_on() -> None:
    # When the decorators are applied inside Lambda with tracing not disabled
    result = _run_fresh(_TRACER_PROBE, LAMBDA_TASK_ROOT="/var/task")
    # Then each one is Powertools' wrapper around the function, which still answers
    assert result["enabled"] is True
    assert result["untouched"] == [False, False, False]
    assert result["wraps"] == [True, True, True]
    assert result["answers"] == [{"echo": 1}, {"echo": 2}, {"echo": 3}]
    assert result["xray"] is True


def test_steps_outside_metrics_load_no_metrics_store_or_report() -> None:
    # When StartRun is imported (its S3 trigger needs one constant of the metrics import)
    result = _run_fresh(_PROBE.format(module="functions.start_run.app"), POWERTOOLS_TRACE_DISABLED="true")
    # Then the metrics package gave that constant without loading its store, report or statistics
    assert "hookforge.metrics.ingest" in result["modules"]
    assert [m for m in ("hookforge.metrics.store", "hookforge.metrics.report") if m in result["modules"]] == []
