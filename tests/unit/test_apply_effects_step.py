"""The ApplyEffects step and handler on moto: download the clip, render, upload hooks, poster, preview."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from hookforge.deps import Deps
from hookforge.errors import VideoInvalid
from hookforge.media import probe
from hookforge.models import ApplyEffectsInput, Brief, VideoJob
from hookforge.steps import apply_effects
from tests.conftest import write_clip

pytestmark = pytest.mark.slow
RUN_ID = "run-fx-1"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return write_clip(tmp_path_factory.mktemp("src") / "raw.mp4", seconds=1.5, pattern="testsrc2").read_bytes()


@pytest.fixture
def deps(aws: dict[str, Any]) -> Deps:
    """moto-backed deps (tests/conftest.py) with one run started."""
    d: Deps = aws["deps"]
    d.runs.start(RUN_ID, brief_key="briefs/fx.json")
    return d


def _event(effects: dict[str, Any], raw_key: str | None) -> ApplyEffectsInput:
    now = time.time()
    brief = Brief.model_validate({"name": "fx-test", "effects": effects})
    video = VideoJob(
        provider="kenburns", task_id="kb:x", ratio="9:16", duration=2, status="SUCCEEDED",
        submitted_at=now, deadline=now + 600, raw_key=raw_key,
    )  # fmt: skip
    return ApplyEffectsInput(run_id=RUN_ID, brief=brief, video=video)


def test_step_renders_every_requested_aspect_and_uploads_them(
    deps: Deps, clip: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the raw clip in the bucket and a brief asking for two aspects, text and an override
    raw_key = deps.store.put_bytes(f"runs/{RUN_ID}/raw.mp4", clip, content_type="video/mp4")
    effects = {
        "preset": "cinematic",
        "aspects": ["9:16", "1:1"],
        "text": "Don't: scroll \\ %{pts}",
        "overrides": {"output": {"x264_preset": "ultrafast"}, "grain": None},
    }
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the step's /tmp, watched alone
    # When the step runs
    render = apply_effects.run(_event(effects, raw_key), deps)
    # Then each aspect, the poster and the preview are in the run's folder, with content types
    assert render.outputs == {"9:16": f"runs/{RUN_ID}/hooks/9x16.mp4", "1:1": f"runs/{RUN_ID}/hooks/1x1.mp4"}
    assert render.poster_key == f"runs/{RUN_ID}/poster.jpg" and render.preview_key == f"runs/{RUN_ID}/preview.gif"
    assert deps.store.head(render.preview_key)["ContentType"] == "image/gif"
    assert deps.store.head(render.poster_key)["ContentType"] == "image/jpeg"
    info = probe(deps.store.download_file(render.outputs["1:1"], tmp_path / "1x1.mp4"))
    assert (info.width, info.height, info.codec) == (1080, 1080, "h264")
    assert info.duration == pytest.approx(render.duration, abs=0.1)
    # and the run records its outputs, and /tmp is left clean
    assert deps.runs.get(RUN_ID)["outputs"] == render.outputs
    assert not list(tmp_path.glob("hookforge-fx-*"))


def test_step_rejects_a_corrupt_clip_with_video_invalid(deps: Deps) -> None:
    # Given a clip that is not a video
    raw_key = deps.store.put_bytes(f"runs/{RUN_ID}/raw.mp4", b"\x00\x00\x00\x18ftypmp42" + b"junk" * 50)
    # When/Then the step raises the named error the state machine catches
    with pytest.raises(VideoInvalid):
        apply_effects.run(_event({"preset": "clean"}, raw_key), deps)


def test_step_without_a_clip_key_is_video_invalid(deps: Deps) -> None:
    with pytest.raises(VideoInvalid, match="raw_key"):
        apply_effects.run(_event({"preset": "clean"}, None), deps)


def test_handler_returns_the_render_as_json(deps: Deps, clip: bytes, lambda_context: Any) -> None:
    # Given the handler, whose Deps.current() is the moto-backed deps
    from functions.apply_effects import app

    raw_key = deps.store.put_bytes(f"runs/{RUN_ID}/raw.mp4", clip, content_type="video/mp4")
    event = _event(
        {"preset": "clean", "aspects": ["4:5"], "overrides": {"output": {"x264_preset": "ultrafast"}}}, raw_key
    )

    # When invoked with the state machine's JSON
    out = app.lambda_handler(event.model_dump(mode="json"), lambda_context)
    # Then it returns the HookRender as plain JSON
    assert out["preset"] == "clean" and out["outputs"] == {"4:5": f"runs/{RUN_ID}/hooks/4x5.mp4"}
    assert isinstance(out["duration"], float)
