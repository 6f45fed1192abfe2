"""The deployable artifacts, checked without Docker: `sam build` of the layer and every zip function (Python 3.12),
then two checks on what was built.

1. The built layer plus the largest built function stay under Lambda's 250 MB unzipped limit.
2. Each built function imports its handler from the built artifacts alone: a fresh Python 3.12 without its own
   site-packages, with only the function's folder, the layer's `python/` and the AWS SDK the Lambda runtime
   provides on the path.

The container-image function (ApplyEffects) needs Docker to build; it is left out of the build, said so, and stays
covered by its staged tests. Usage: python .ci/package_check.py [--sam PATH] [--keep DIR]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
#: modules handlers load only on some paths (Meta's SDK, the Runway SDK, Pillow, numpy, httpx, openpyxl)
LAZY = ("facebook_business.api", "facebook_business.exceptions", "runwayml", "PIL.Image", "numpy", "httpx", "openpyxl")
#: what the function's handler module needs in its environment to import (never secrets: names and a region)
IMPORT_ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_SERVICE_NAME": "hookforge",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


class _Loader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags (!Ref, !GetAtt, !Sub ...) as plain values."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _any_tag)


def _say(message: str) -> None:
    print(f"package-check: {message}", flush=True)  # noqa: T201 - a CI script reports on stdout


def _python312() -> str:
    """A real Python 3.12 interpreter (sam's builder and the import check need the runtime's version)."""
    candidates = [os.environ.get("HOOKFORGE_PYTHON312", ""), shutil.which("python3.12") or ""]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")), reverse=True)
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True)
        except OSError:
            continue
        if out.returncode == 0 and out.stdout.strip() == b"(3, 12)":
            return str(Path(candidate).resolve())
    raise SystemExit("package-check: no Python 3.12 found (set HOOKFORGE_PYTHON312 to one)")


def _zip_template(build: Path) -> tuple[Path, dict[str, str], list[str]]:
    """A copy of template.yaml without the image functions: (its path, each zip function's handler, image ids)."""
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    resources = template["Resources"]
    images = [
        rid
        for rid, res in resources.items()
        if res.get("Type") == "AWS::Serverless::Function" and res.get("Properties", {}).get("PackageType") == "Image"
    ]
    functions = {
        rid: res["Properties"].get("Handler", "app.lambda_handler")
        for rid, res in resources.items()
        if res.get("Type") == "AWS::Serverless::Function" and rid not in images
    }
    # the rest of the template refers to the image function; its entry stays, as a plain stub sam does not build
    text = (ROOT / "template.yaml").read_text()
    lines = text.splitlines()
    out, skipping = [], False
    for line in lines:
        bare = line.strip()
        if line.startswith("  ") and not line.startswith("   ") and bare.endswith(":") and bare[:-1] in images:
            skipping = True
            out += [line, "    Type: AWS::CloudFormation::WaitConditionHandle"]
            continue
        if skipping and line.startswith("  ") and not line.startswith("   ") and bare:
            skipping = False
        if not skipping:
            out.append(line)
    path = build / "template.yaml"
    path.write_text("\n".join(out) + "\n")
    return path, functions, images


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _runtime_sdk(python: str, into: Path) -> None:
    """boto3 as the Lambda runtime provides it (the layer does not ship the SDK)."""
    quiet = ["-q", "--disable-pip-version-check", "--root-user-action=ignore"]
    cmd = [python, "-m", "pip", "install", *quiet, "--target", str(into), "boto3"]
    subprocess.run(cmd, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sam", default=str(ROOT / ".venv-tools" / "bin" / "sam"))
    parser.add_argument("--keep", help="build here and keep it (default: a temporary directory)")
    args = parser.parse_args()
    python = _python312()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hookforge-package-") as tmp_name:
        work = Path(args.keep) if args.keep else Path(tmp_name)
        work.mkdir(parents=True, exist_ok=True)
        template, functions, images = _zip_template(work)
        for rid in images:
            _say(f"{rid} is a container image: not built here (sam needs Docker for it); its staged tests cover it")
        env = {**os.environ, "PATH": f"{Path(python).parent}{os.pathsep}{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0"}
        build = work / "build"
        cmd = [args.sam, "build", "--template-file", str(template), "--base-dir", str(ROOT), "--build-dir", str(build)]
        _say(f"sam build of the layer and {len(functions)} zip functions with {python}")
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            _say("sam build failed:\n" + proc.stdout[-3000:] + proc.stderr[-3000:])
            return 1
        layers = [p for p in build.iterdir() if p.is_dir() and (p / "python").is_dir()]
        if len(layers) != 1:
            _say(f"expected one built layer with a python/ folder, found {[p.name for p in layers]}")
            return 1
        layer = layers[0]
        sizes = {rid: _size(build / rid) for rid in functions}
        largest = max(sizes, key=lambda rid: sizes[rid])
        total = _size(layer) + sizes[largest]
        mib = 1024 * 1024
        _say(
            f"layer {_size(layer) / mib:.1f} MB + largest function {largest} {sizes[largest] / mib:.2f} MB = "
            f"{total / mib:.1f} MB unzipped (limit {LAMBDA_UNZIPPED_LIMIT / mib:.0f} MB)"
        )
        failures = []
        if total >= LAMBDA_UNZIPPED_LIMIT:
            failures.append("the layer plus the largest function exceed Lambda's 250 MB unzipped limit")
        sdk = work / "runtime-sdk"
        _runtime_sdk(python, sdk)
        clean_env = {"PATH": env["PATH"], **IMPORT_ENV}
        for rid, handler in functions.items():
            module, _, attr = handler.rpartition(".")
            paths = [str(build / rid), str(layer / "python"), str(sdk)]
            code = (
                f"import sys; sys.path[:0] = {paths!r}; import importlib; "
                f"m = importlib.import_module({module!r}); assert callable(getattr(m, {attr!r}))"
            )
            # -I: no PYTHONPATH, no user site; -S: not even the interpreter's own site-packages
            run = subprocess.run([python, "-I", "-S", "-c", code], env=clean_env, capture_output=True, text=True)
            if run.returncode != 0:
                failures.append(f"{rid}: importing {module}.{attr} from the build failed:\n{run.stderr[-1500:]}")
        # what handlers import lazily (only on some paths) must load from the layer too, or it fails at run time
        lazy = [str(layer / "python"), str(sdk)]
        code = f"import sys; sys.path[:0] = {lazy!r}; import importlib; [importlib.import_module(m) for m in {LAZY!r}]"
        run = subprocess.run([python, "-I", "-S", "-c", code], env=clean_env, capture_output=True, text=True)
        if run.returncode != 0:
            failures.append(f"the lazily loaded modules failed to import from the layer:\n{run.stderr[-1500:]}")
        else:
            _say(f"lazily loaded {', '.join(LAZY)} import from the layer alone")
        _say(f"{len(functions)} handlers imported from the built artifacts alone" if not failures else "FAILED")
        for failure in failures:
            _say(failure)
        _say(f"done in {time.perf_counter() - started:.0f}s")
        return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
