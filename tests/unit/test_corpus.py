"""The bad-input corpus (tests/corpus/): every item gets a named error with a message, never a crash."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from functions.start_run import app as start_run
from functions.validate_brief import app as validate_brief
from hookforge.errors import BriefInvalid, HookforgeError, ImageInvalid, VideoInvalid
from hookforge.media import check_image, probe
from hookforge.steps.validate_brief import parse_brief

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
BRIEFS = sorted((CORPUS / "briefs").iterdir())
IMAGES = sorted((CORPUS / "images").iterdir())
VIDEOS = sorted(p for p in (CORPUS / "videos").iterdir() if not p.name.startswith("over-long"))
ALL_VIDEOS = sorted((CORPUS / "videos").iterdir())


@pytest.mark.parametrize("path", BRIEFS, ids=[p.name for p in BRIEFS])
def test_bad_brief_is_rejected_with_a_named_error(path: Path) -> None:
    with pytest.raises(BriefInvalid) as info:
        parse_brief(path.read_bytes(), source=path.name)
    message = str(info.value)
    assert message.startswith(path.name) and len(message) > len(path.name) + 10
    assert not any(ord(c) < 32 and c not in "\n\t" for c in message), "raw control characters reach the terminal"


@pytest.mark.parametrize("path", BRIEFS, ids=[p.name for p in BRIEFS])
def test_bad_brief_through_the_handlers_fails_named_and_starts_nothing(aws, lambda_context, path: Path) -> None:  # type: ignore[no-untyped-def]
    key = f"briefs/{path.name}"
    boto3.client("s3").put_object(Bucket=aws["bucket"], Key=key, Body=path.read_bytes())
    with pytest.raises(BriefInvalid):
        validate_brief.lambda_handler({"run_id": "run-corpus", "brief_key": key}, lambda_context)
    head = boto3.client("s3").head_object(Bucket=aws["bucket"], Key=key)
    event = {
        "detail": {
            "bucket": {"name": aws["bucket"]},
            "object": {"key": key, "size": head["ContentLength"], "etag": head["ETag"].strip('"')},
        }
    }
    result = start_run.lambda_handler(event, lambda_context)
    assert result["outcome"] == "rejected" and result["executions"] == []
    error = json.loads(boto3.client("s3").get_object(Bucket=aws["bucket"], Key=f"{key}.error.json")["Body"].read())
    assert error["error"] == "BriefInvalid" and error["message"]


@pytest.mark.parametrize("path", IMAGES, ids=[p.name for p in IMAGES])
def test_bad_image_is_rejected_with_a_named_error(path: Path) -> None:
    with pytest.raises(ImageInvalid) as info:
        check_image(path.read_bytes())
    assert len(str(info.value)) > 15


@pytest.mark.parametrize("path", IMAGES, ids=[p.name for p in IMAGES])
def test_bad_uploaded_image_fails_the_upload_provider_named(aws, path: Path) -> None:  # type: ignore[no-untyped-def]
    from hookforge.providers.base import ImageRequest
    from hookforge.providers.upload import UploadedImages

    key = f"uploads/corpus/{path.name}"
    aws["deps"].store.put_bytes(key, path.read_bytes())
    provider = UploadedImages(aws["deps"].provider_ctx)
    request = ImageRequest(run_id="r", index=0, prompt="", width=0, height=0, upload_key=key)
    with pytest.raises(ImageInvalid, match="uploads/corpus/"):
        provider.generate(request)


@pytest.mark.parametrize("path", VIDEOS, ids=[p.name for p in VIDEOS])
def test_bad_video_is_rejected_with_a_named_error(path: Path) -> None:
    with pytest.raises(VideoInvalid) as info:
        probe(path)
    assert path.name in str(info.value)


@pytest.mark.parametrize("path", ALL_VIDEOS, ids=[p.name for p in ALL_VIDEOS])
def test_bad_video_handed_to_the_effects_engine_is_refused_before_rendering(path: Path, tmp_path: Path) -> None:
    from hookforge.effects import render

    with pytest.raises(VideoInvalid) as info:
        render(path, tmp_path / "out", preset="clean", aspects=["9:16"])
    assert path.name in str(info.value) or "long" in str(info.value)
    assert list(tmp_path.rglob("*.mp4")) == []  # nothing half-rendered is left behind


def test_every_corpus_error_is_a_hookforge_error() -> None:
    for error in (BriefInvalid, ImageInvalid, VideoInvalid):
        assert issubclass(error, HookforgeError)
