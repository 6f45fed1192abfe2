"""Runway's catalogue stands on its own, and the simulated Runway stays out of the Lambda layer.

`models.py` validates a brief's Runway settings with `resolve`; when that lived in `providers/runway.py`
(which imports `providers/base`, which imports `models`) the three formed an import cycle. The catalogue
now lives in `providers/runway_models.py`, which must never import `providers/base` or `models` again.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "hookforge" / "hookforge"
CATALOGUE = PACKAGE / "providers" / "runway_models.py"

# The package `__init__`s re-export `hookforge.models.Brief` and `hookforge.providers.base`, so a plain import
# of any hookforge module loads both. To see what the catalogue itself pulls in, this fresh interpreter
# registers the two packages without running their `__init__`s, then imports the catalogue.
ISOLATED_IMPORT = f"""
import importlib.machinery, importlib.util, sys
for name, path in (("hookforge", {str(PACKAGE)!r}), ("hookforge.providers", {str(PACKAGE / "providers")!r})):
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [path]
    sys.modules[name] = importlib.util.module_from_spec(spec)
import hookforge.providers.runway_models as catalogue
catalogue.resolve(None, "9:16", 5)
print(" ".join(sorted(m for m in sys.modules if m.startswith("hookforge"))))
"""


def test_the_runway_catalogue_imports_neither_providers_base_nor_models():
    # When the catalogue is imported (and used) in a fresh interpreter
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED_IMPORT], capture_output=True, text=True, check=True, cwd=ROOT, timeout=60
    )
    loaded = set(done.stdout.split())
    # Then neither side of the old cycle was loaded
    assert "hookforge.providers.runway_models" in loaded
    assert "hookforge.providers.base" not in loaded
    assert "hookforge.models" not in loaded


def test_the_runway_catalogue_names_no_hookforge_module_but_errors():
    # Also lazily: no import anywhere in the module (a function-level import would bring the cycle back)
    tree = ast.parse(CATALOGUE.read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {m for m in imported if m and m.startswith("hookforge")} == {"hookforge.errors"}


def test_the_simulated_runway_is_not_shipped_in_the_layer():
    assert not (PACKAGE / "providers" / "runway_sim.py").exists()
    assert (ROOT / "tests" / "support" / "runway_sim.py").exists()
