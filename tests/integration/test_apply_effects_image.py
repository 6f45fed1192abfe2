"""The ApplyEffects container image, staged without a Docker engine and run.

`stage_image` follows functions/apply_effects/Dockerfile instruction by instruction into a directory that
stands for the image's root: every COPY lands where the image has it, ENV is applied with the image's
absolute paths mapped into that directory, the build-time check RUNs as written (cwd = the base image's
WORKDIR), and an instruction it does not know fails the test, so the Dockerfile cannot drift from what
is checked here. Two things come from this machine instead of the image: the base image's Python
(the test's interpreter; `pip install -r requirements.txt` is checked against what is installed here)
and the ffmpeg build stage (the same imageio-ffmpeg wheel, whose version must equal the Dockerfile's pin).
Then the handler runs from the staged task root on moto: download to /tmp, render, upload, /tmp cleaned.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import imageio_ffmpeg
import pytest
from packaging.requirements import Requirement

from tests.conftest import AWS_TEST_ENV, write_clip

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "functions" / "apply_effects" / "Dockerfile"
#: facts of public.ecr.aws/lambda/python:3.12 that the Dockerfile relies on
BASE_ENV = {"LAMBDA_TASK_ROOT": "/var/task"}
BASE_WORKDIR = "/var/task"


@dataclass
class StagedImage:
    root: Path
    python: Path
    env: dict[str, str] = field(default_factory=dict)  # ENV, with image paths mapped into `root`
    cmd: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # the RUN lines executed against the staged root

    def path(self, image_path: str) -> Path:
        return self.root / image_path.lstrip("/")

    def map(self, value: str) -> str:
        """An image path (/var/task..., /opt/...) as its place under the staged root; other values as they are."""
        return str(self.path(value)) if value.startswith(("/var/task", "/opt/")) else value


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def _expand(value: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables[m.group(1) or m.group(2)], value)


def _run_env(image: StagedImage) -> dict[str, str]:
    """The environment of a process in the image: its ENV, and `python` first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOOKFORGE_", "FONTCONFIG_", "PYTHON"))}
    env.update(image.env)
    env["PATH"] = f"{image.python.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _image_python(bin_dir: Path) -> Path:
    """`python` as in the image: this interpreter with the requirements importable (the image installs them
    into the task root) but not this checkout's editable hookforge: `-S` skips the .pth files that add it."""
    site_packages = next(p for p in sys.path if p.endswith("site-packages") and Path(p, "pydantic").is_dir())
    bin_dir.mkdir(parents=True)
    wrapper = bin_dir / "python"
    python = shlex.quote(sys.executable)
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH={shlex.quote(site_packages)} exec {python} -S "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


def stage_image(root: Path, tmp: Path) -> StagedImage:
    stages: list[tuple[str, list[tuple[str, str]]]] = []
    args: dict[str, str] = {}
    for keyword, rest in _instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            parts = rest.split()
            assert parts[0] == "public.ecr.aws/lambda/python:3.12", f"unexpected base image {parts[0]}"
            stages.append((parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else "", []))
        elif keyword == "ARG":
            name, _, default = rest.partition("=")
            args[name] = default
        else:
            stages[-1][1].append((keyword, rest))
    named = {name for name, _ in stages if name}
    assert named == {"ffmpeg"}, f"the stager knows the ffmpeg build stage only, the Dockerfile has {named}"
    # the ffmpeg stage installs imageio-ffmpeg at the pinned version: the wheel installed here must match
    assert imageio_ffmpeg.__version__ == args["IMAGEIO_FFMPEG_VERSION"], (
        f"tests render with imageio-ffmpeg {imageio_ffmpeg.__version__}, the image ships "
        f"{args['IMAGEIO_FFMPEG_VERSION']}: keep pyproject.toml and the Dockerfile pins equal"
    )

    image = StagedImage(root=root, python=_image_python(tmp / "bin"))
    variables = dict(BASE_ENV)
    image.env.update({k: image.map(v) for k, v in BASE_ENV.items()})
    for keyword, rest in stages[-1][1]:
        if keyword == "COPY":
            parts = shlex.split(_expand(rest, variables))
            if parts[0].startswith("--from="):
                assert parts[1:] == ["/opt/ffmpeg", "/opt/bin/ffmpeg"], parts
                dest = image.path(parts[2])
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(imageio_ffmpeg.get_ffmpeg_exe(), dest)
                continue
            src, dest = ROOT / parts[0], image.path(parts[1])
            assert src.exists(), f"COPY {parts[0]}: not in the build context"
            if src.is_dir():
                shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)
        elif keyword == "ENV":
            for assignment in shlex.split(rest):
                name, _, value = assignment.partition("=")
                variables[name] = value
                image.env[name] = image.map(value)
        elif keyword == "RUN":
            command = _expand(rest, variables)
            if m := re.match(r"pip install --no-cache-dir -r (\S+) --target \"?/var/task\"?", command):
                _check_requirements_installed(image.path(m.group(1)))
            else:
                image.checks.append(command)
        elif keyword == "CMD":
            image.cmd = json.loads(rest)
        else:
            raise AssertionError(f"the stager does not know {keyword} {rest}")
    # fontconfig reads absolute paths from the file itself: map the copied fonts.conf like ENV
    conf = Path(image.env["FONTCONFIG_FILE"])
    conf.write_text(
        conf.read_text()
        .replace("/tmp/fontconfig-cache", str(tmp / "fontconfig-cache"))
        .replace("/var/task", str(image.path("/var/task")))
    )
    return image


def _check_requirements_installed(requirements: Path) -> None:
    """What the image's `pip install -r` would fetch is installed here at versions the file allows."""
    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        version = metadata.version(req.name)
        assert req.specifier.contains(version, prereleases=True), f"{req.name} {version} does not satisfy {line}"


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> StagedImage:
    tmp = tmp_path_factory.mktemp("image")
    return stage_image(tmp / "root", tmp)


def test_the_image_has_the_handler_ffmpeg_font_and_fonts_conf_where_its_env_says(image: StagedImage) -> None:
    # Given the staged image
    task = image.path("/var/task")
    # Then the handler, package, font and ffmpeg are where the image's CMD and ENV point
    assert image.cmd == ["app.lambda_handler"] and (task / "app.py").is_file()
    assert (task / "hookforge" / "assets" / "fonts" / "DejaVuSans-Bold.ttf").is_file()
    assert Path(image.env["HOOKFORGE_FFMPEG"]) == image.path("/opt/bin/ffmpeg")
    assert os.access(image.env["HOOKFORGE_FFMPEG"], os.X_OK)
    assert f"<dir>{task}/hookforge/assets/fonts</dir>" in Path(image.env["FONTCONFIG_FILE"]).read_text()


def test_the_build_time_check_passes_in_the_staged_image_and_fails_without_ffmpeg(image: StagedImage) -> None:
    # Given the Dockerfile's own RUN check (handler import, ffmpeg filters/encoders, font)
    assert image.checks, "the Dockerfile should check the image at build time"
    cwd = image.path(BASE_WORKDIR)
    # When it runs in the staged image
    for command in image.checks:
        proc = subprocess.run(
            ["/bin/sh", "-c", command], cwd=cwd, env=_run_env(image), capture_output=True, timeout=120
        )
        # Then it passes, checking the staged binary
        assert proc.returncode == 0, proc.stderr.decode()[-800:]
        assert image.env["HOOKFORGE_FFMPEG"] in proc.stdout.decode()
    # and with an ffmpeg that lacks what the presets need, the same check fails the build, naming it
    broken = {**_run_env(image), "HOOKFORGE_FFMPEG": "/bin/true"}
    proc = subprocess.run(["/bin/sh", "-c", image.checks[-1]], cwd=cwd, env=broken, capture_output=True, timeout=120)
    assert proc.returncode != 0 and "missing: filter split" in proc.stderr.decode()


DRIVER = textwrap.dedent(
    """
    import json, os, sys, tempfile
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])  # as the Lambda runtime does
    sys.path.append(os.environ["HOOKFORGE_CHECKOUT"])  # only for tests.conftest (moto resources)
    from moto import mock_aws
    import app, hookforge
    from hookforge.media import ffmpeg_exe, probe
    from tests.conftest import FakeContext, create_resources

    event = json.loads(sys.stdin.read())
    with mock_aws():
        create_resources(os.environ["ARTIFACTS_BUCKET"], runs_table=os.environ["RUNS_TABLE"])
        from hookforge.deps import Deps
        deps = Deps.current()
        deps.runs.start(event["run_id"], brief_key="briefs/image.json")
        with open(os.environ["CLIP"], "rb") as f:
            deps.store.put_bytes(event["video"]["raw_key"], f.read(), content_type="video/mp4")
        result = app.lambda_handler(event, FakeContext())
        sizes = {}
        for aspect, key in result["outputs"].items():
            local = os.path.join(os.environ["OUT"], aspect.replace(":", "x") + ".mp4")
            info = probe(deps.store.download_file(key, local))
            sizes[aspect] = [info.width, info.height, info.codec]
    print(json.dumps({
        "result": result, "sizes": sizes, "hookforge": hookforge.__file__, "app": app.__file__,
        "ffmpeg": ffmpeg_exe(), "tmp_left": os.listdir(tempfile.gettempdir()),
    }))
    """
)


def test_the_handler_renders_from_the_staged_image_and_leaves_tmp_clean(image: StagedImage, tmp_path: Path) -> None:
    # Given a raw clip, an empty /tmp for the function and the ApplyEffects event
    clip = write_clip(tmp_path / "raw.mp4", seconds=1.5, pattern="testsrc2")
    lambda_tmp, out = tmp_path / "lambda-tmp", tmp_path / "out"
    lambda_tmp.mkdir()
    out.mkdir()
    event = {
        "run_id": "run-image-1",
        "brief": {
            "name": "image-test",
            "effects": {"preset": "punchy", "aspects": ["9:16", "1:1"], "text": "50% off: 'today' \\ %{pts}",
                        "overrides": {"output": {"x264_preset": "ultrafast"}}},
        },
        "video": {"provider": "kenburns", "task_id": "kb:x", "ratio": "9:16", "duration": 2, "status": "SUCCEEDED",
                  "submitted_at": 0, "deadline": 600, "raw_key": "runs/run-image-1/raw.mp4"},
    }  # fmt: skip
    env = {
        **_run_env(image), **AWS_TEST_ENV, "POWERTOOLS_LOG_LEVEL": "WARNING",
        "HOOKFORGE_CHECKOUT": str(ROOT), "CLIP": str(clip), "OUT": str(out), "TMPDIR": str(lambda_tmp),
    }  # fmt: skip
    # When the image's handler runs from its task root
    proc = subprocess.run(
        [str(image.python), "-c", DRIVER], input=json.dumps(event).encode(), cwd=image.path(BASE_WORKDIR),
        env=env, capture_output=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()[-1500:]
    report = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    # Then the code and ffmpeg that ran are the image's, not this checkout's
    task = str(image.path("/var/task"))
    assert report["app"].startswith(task) and report["hookforge"].startswith(task)
    assert report["ffmpeg"] == image.env["HOOKFORGE_FFMPEG"]
    # and every aspect was rendered at its size and uploaded, with poster and preview
    assert report["sizes"] == {"9:16": [1080, 1920, "h264"], "1:1": [1080, 1080, "h264"]}
    assert report["result"]["poster_key"] == "runs/run-image-1/poster.jpg"
    assert report["result"]["preview_key"] == "runs/run-image-1/preview.gif"
    # and the function's /tmp is left as it was found
    assert report["tmp_left"] == []
