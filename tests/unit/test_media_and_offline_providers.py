from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from hookforge.errors import ImageInvalid, VideoInvalid
from hookforge.media import MediaError, check_image, check_renderer, ffmpeg_exe, frame_at, probe, run_ffmpeg
from hookforge.providers.catalog import CatalogSource
from hookforge.providers.kenburns import kenburns_filter, motion_for, render_kenburns
from hookforge.providers.placeholder import render_placeholder


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("kb")
    still = d / "still.png"
    still.write_bytes(render_placeholder("a glowing orb", 320, 320, seed=7))
    return render_kenburns(still, d / "clip.mp4", ratio="1:1", duration=2, prompt="slow push-in")


def test_kenburns_renders_a_real_clip_that_moves(clip: Path) -> None:
    info = probe(clip)
    assert (info.codec, info.width, info.height, info.fps, info.frames) == ("h264", 960, 960, 30.0, 60)
    first, last = frame_at(clip, 0.0, size=(96, 96)), frame_at(clip, 1.9, size=(96, 96))
    diff = sum(abs(a - b) for a, b in zip(first.tobytes(), last.tobytes(), strict=True)) / (96 * 96 * 3)
    assert diff > 1.5


def test_kenburns_makes_from_one_decode_of_the_still_the_clip_a_looped_image_input_makes(
    clip: Path, tmp_path: Path
) -> None:
    # Given the still the module's clip was made from, and that clip made in the classic way: the image input
    # looped for the clip's length, so ffmpeg decodes and scales it again for every frame
    still = tmp_path / "still.png"
    still.write_bytes(render_placeholder("a glowing orb", 320, 320, seed=7))
    move = kenburns_filter(960, 960, 60, "slow push-in").replace(",loop=loop=59:size=1,setpts=N/(30*TB)", "")
    looped = tmp_path / "looped.mp4"
    run_ffmpeg(["-y", "-loop", "1", "-framerate", "30", "-t", "2", "-i", str(still), "-vf", move, "-frames:v", "60",
                "-r", "30", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
                "-movflags", "+faststart", str(looped)])  # fmt: skip

    def frames(path: Path) -> list[str]:
        shown = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-i", str(path), "-f", "framemd5", "-"], capture_output=True, text=True
        ).stdout
        return [line for line in shown.splitlines() if line and not line.startswith("#")]

    # Then render_kenburns, which decodes and scales the still once, made the same 60 frames at the same times
    assert "loop=loop=59:size=1" in kenburns_filter(960, 960, 60, "slow push-in")
    assert len(frames(clip)) == 60 and frames(clip) == frames(looped)
    # and its first frame is the whole still (a push-in starts from the full picture)
    first = frame_at(clip, 0.0, size=(96, 96)).convert("RGB")
    expected = Image.open(still).convert("RGB").resize((96, 96), Image.Resampling.LANCZOS)
    diff = sum(abs(a - b) for a, b in zip(first.tobytes(), expected.tobytes(), strict=True)) / (96 * 96 * 3)
    assert diff < 4


def test_kenburns_reads_direction_from_the_motion_prompt() -> None:
    assert motion_for("pull out to reveal the city")[:2] == (0.14, 0.0)
    assert motion_for("push in")[:2] == (0.0, 0.14)
    assert motion_for("pan right slowly")[2] > 0


def test_probe_rejects_a_truncated_video(clip: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(VideoInvalid, match="cut.mp4"):
        probe(cut)


@pytest.mark.parametrize(("content", "message"), [(b"", "empty"), (b"not a video at all", "not a readable video")])
def test_probe_rejects_empty_and_non_video_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.mp4"
    path.write_bytes(content)
    with pytest.raises(VideoInvalid, match=message):
        probe(path)


def test_check_image_accepts_png_and_reports_size() -> None:
    info = check_image(render_placeholder("x", 300, 260, seed=1))
    assert (info.format, info.width, info.height, info.mime) == ("PNG", 300, 260, "image/png")


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 300)).save(out, format="GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"0" * 100, "does not decode"),
        (render_placeholder("x", 300, 300, seed=1)[:2000], "does not decode"),
        (render_placeholder("x", 120, 300, seed=1), "at least 256"),
        (_gif(), "unsupported image format GIF"),
    ],
)
def test_check_image_rejects_bad_images_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ImageInvalid, match=message):
        check_image(data)


def test_placeholder_is_deterministic_and_labelled() -> None:
    a = render_placeholder("neon shoe", 400, 300, seed=5, index=2)
    assert a == render_placeholder("neon shoe", 400, 300, seed=5, index=2)
    assert a != render_placeholder("neon shoe", 400, 300, seed=6, index=2)


def test_catalog_ranks_tag_matches_first() -> None:
    ideas = CatalogSource().search("coffee morning", limit=3)
    assert "coffee" in ideas[0].text
    assert all(i.source == "catalog" and i.url and i.url.startswith("catalog:") for i in ideas)


def test_renderer_check_passes_with_the_shipped_ffmpeg() -> None:
    assert check_renderer().startswith(ffmpeg_exe())


def test_renderer_check_names_the_filter_an_ffmpeg_lacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an ffmpeg whose filter list is the real one without xfade
    import subprocess

    real = subprocess.run([ffmpeg_exe(), "-hide_banner", "-filters"], capture_output=True, check=True).stdout.decode()
    listing = tmp_path / "filters.txt"
    listing.write_text("\n".join(line for line in real.splitlines() if " xfade " not in line))
    fake = tmp_path / "ffmpeg"
    fake.write_text(f'#!/bin/sh\ncase "$2" in -filters) cat {listing} ;; *) exec {ffmpeg_exe()} "$@" ;; esac\n')
    fake.chmod(0o755)
    monkeypatch.setenv("HOOKFORGE_FFMPEG", str(fake))
    # When the renderer is checked, Then the error names exactly what is missing and what to do
    with pytest.raises(MediaError, match=r"missing: filter xfade\. Use a full static build"):
        check_renderer()
