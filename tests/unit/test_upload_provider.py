"""The `upload` provider treats user images as untrusted: validated, size-limited, normalised."""

from __future__ import annotations

import io
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws
from PIL import Image

from hookforge.config import Settings
from hookforge.errors import ConfigError, ImageInvalid
from hookforge.providers.base import ImageRequest, ProviderContext
from hookforge.providers.upload import UploadedImages
from hookforge.storage import ArtifactStore


@pytest.fixture
def store() -> Iterator[ArtifactStore]:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="uploads-test")
        yield ArtifactStore(s3, "uploads-test")


def encoded(img: Image.Image, fmt: str = "PNG", **save: object) -> bytes:
    out = io.BytesIO()
    img.save(out, format=fmt, **save)
    return out.getvalue()


def generate(store: ArtifactStore, key: str, **kwargs: int) -> bytes:
    provider = UploadedImages(ProviderContext(settings=Settings(), store=store), **kwargs)
    request = ImageRequest(run_id="r", index=0, prompt="", width=1024, height=1024, upload_key=key)
    return provider.generate(request).data


def test_generate_flattens_transparency_on_white_rgb_png(store: ArtifactStore) -> None:
    img = Image.new("RGBA", (400, 300), (255, 0, 0, 0))
    img.paste((0, 0, 255, 255), (0, 0, 200, 300))
    store.put_bytes("uploads/b/mj.png", encoded(img))
    with Image.open(io.BytesIO(generate(store, "uploads/b/mj.png"))) as out:
        assert (out.format, out.mode, out.size) == ("PNG", "RGB", (400, 300))
        assert out.getpixel((100, 150)) == (0, 0, 255)
        assert out.getpixel((300, 150)) == (255, 255, 255)


def test_generate_applies_exif_orientation_and_caps_longest_side(store: ArtifactStore) -> None:
    img = Image.new("RGB", (3000, 1000), (90, 90, 90))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    store.put_bytes("uploads/b/phone.jpg", encoded(img, "JPEG", exif=exif.tobytes()))
    with Image.open(io.BytesIO(generate(store, "uploads/b/phone.jpg"))) as out:
        assert out.size == (683, 2048)


def test_generate_refuses_key_outside_uploads(store: ArtifactStore) -> None:
    store.put_bytes("runs/other/secret.png", encoded(Image.new("RGB", (300, 300))))
    with pytest.raises(ImageInvalid, match="not under uploads/"):
        generate(store, "runs/other/secret.png")


def test_generate_refuses_missing_object(store: ArtifactStore) -> None:
    with pytest.raises(ImageInvalid, match="does not exist"):
        generate(store, "uploads/b/nope.png")


def test_generate_refuses_object_over_size_limit_before_reading(store: ArtifactStore) -> None:
    store.put_bytes("uploads/b/big.png", encoded(Image.new("RGB", (300, 300))))
    with pytest.raises(ImageInvalid, match="the limit is"):
        generate(store, "uploads/b/big.png", max_bytes=100)


def test_generate_refuses_decompression_bomb(store: ArtifactStore) -> None:
    store.put_bytes("uploads/b/bomb.png", encoded(Image.new("1", (9000, 9000))))
    with pytest.raises(ImageInvalid, match="claims 9000x9000 pixels"):
        generate(store, "uploads/b/bomb.png")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"<html>not an image</html>", "does not decode"),
        (encoded(Image.new("RGB", (300, 300)))[:200], "does not decode"),
        (encoded(Image.new("RGB", (300, 300)), "BMP"), "unsupported image format BMP"),
        (encoded(Image.new("RGB", (100, 100))), "at least 256"),
    ],
)
def test_generate_refuses_corrupt_or_unsupported_images(store: ArtifactStore, data: bytes, match: str) -> None:
    store.put_bytes("uploads/b/bad", data)
    with pytest.raises(ImageInvalid, match=match):
        generate(store, "uploads/b/bad")


def test_generate_requires_upload_key(store: ArtifactStore) -> None:
    with pytest.raises(ConfigError, match="uploads/<brief>/"):
        generate(store, "")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not an image at all", "does not decode: it is not a PNG, JPEG or WebP file"),
        (encoded(Image.new("RGB", (9000, 8000))), "claims 9000x8000 pixels"),
        (encoded(Image.new("RGB", (300, 300), (9, 90, 200)))[:-40], "does not decode"),
    ],
)
def test_hookforge_upload_refuses_a_file_as_the_provider_would(tmp_path, content: bytes, reason: str) -> None:  # type: ignore[no-untyped-def]
    from hookforge.local.staging import check_upload

    # Given a user's file that is not a usable image
    path = tmp_path / "frame.png"
    path.write_bytes(content)
    # When `hookforge upload` checks it / Then the provider's own check refuses it, naming the file
    with pytest.raises(ImageInvalid) as refused:
        check_upload(path)
    assert str(path) in str(refused.value) and "nothing was uploaded" in str(refused.value)
    assert reason in str(refused.value)


def test_hookforge_upload_keeps_a_good_image_byte_for_byte(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hookforge.local.staging import check_upload

    data = encoded(Image.new("RGB", (512, 300), (200, 30, 40)), "JPEG")
    path = tmp_path / "mj.jpg"
    path.write_bytes(data)
    assert check_upload(path) == data


def test_an_undecodable_upload_is_named_without_pillows_buffer_address(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hookforge.local.staging import check_upload

    path = tmp_path / "notes.png"
    path.write_bytes(b"plain text, not pixels")
    with pytest.raises(ImageInvalid) as refused:
        check_upload(path)
    assert "BytesIO" not in str(refused.value) and " at 0x" not in str(refused.value)
