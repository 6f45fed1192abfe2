"""The ApplyEffects container image: what the Dockerfile copies exists, and its fonts.conf finds the font."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

from hookforge.media import FONT_PATH, ffmpeg_exe

ROOT = Path(__file__).resolve().parents[2]
FUNCTION = ROOT / "functions" / "apply_effects"


class _Loader(yaml.SafeLoader):
    """Reads template.yaml with its CloudFormation tags (!Ref, !GetAtt, ...) as plain values."""


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def test_every_file_the_dockerfile_copies_is_in_the_build_context() -> None:
    # Given the Dockerfile and the template's build context
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=_Loader)
    meta = template["Resources"]["ApplyEffectsFunction"]["Metadata"]
    context = ROOT / meta["DockerContext"]
    dockerfile = context / meta["Dockerfile"]
    # When its COPY sources (not the ones from a build stage) are read
    sources = [
        src
        for line in dockerfile.read_text().splitlines()
        if (m := re.match(r"COPY\s+(?!--from)(\S+)\s+\S+", line.strip()))
        for src in [m.group(1)]
    ]
    # Then each exists, and the image starts the handler that the package ships the font for
    assert sources and all((context / src).exists() for src in sources), sources
    assert 'CMD ["app.lambda_handler"]' in dockerfile.read_text()
    assert FONT_PATH.relative_to(ROOT / "layers" / "hookforge").as_posix().startswith("hookforge/assets/fonts/")


def test_fonts_conf_lets_libass_find_the_shipped_font(tmp_path: Path) -> None:
    # Given the container's fonts.conf with its font directory mapped to this checkout (as /var/task is in the image)
    conf = (FUNCTION / "fonts.conf").read_text()
    assert "<dir>/var/task/hookforge/assets/fonts</dir>" in conf
    local = tmp_path / "fonts.conf"
    local.write_text(
        conf.replace("/var/task/hookforge/assets/fonts", str(FONT_PATH.parent)).replace(
            "/tmp/fontconfig-cache", str(tmp_path / "cache")
        )
    )
    ass = tmp_path / "c.ass"
    ass.write_text(
        "[Script Info]\nScriptType: v4.00+\nPlayResX: 160\nPlayResY: 90\n\n[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, Bold\nStyle: Default,DejaVu Sans,20,-1\n\n[Events]\n"
        "Format: Layer, Start, End, Style, Text\nDialogue: 0,0:00:00.00,0:00:01.00,Default,hello\n"
    )
    # When libass renders a caption with no fontsdir, fontconfig configured only by that file
    env = {**os.environ, "FONTCONFIG_FILE": str(local), "FONTCONFIG_PATH": str(tmp_path)}
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-v", "verbose", "-f", "lavfi", "-i", "color=black:size=160x90:duration=0.2",
         "-vf", f"ass={ass}", "-f", "null", "-"],
        capture_output=True, env=env, timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    log = proc.stderr.decode("utf-8", "replace")
    # Then the font it selects is the shipped DejaVu Sans Bold
    assert proc.returncode == 0, log[-500:]
    assert re.search(r"fontselect: \(DejaVu Sans, 700, 0\) -> .*DejaVuSans-Bold\.ttf", log), log[-800:]
