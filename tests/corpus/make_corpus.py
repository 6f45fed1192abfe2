"""Regenerate the bad-input corpus: `python tests/corpus/make_corpus.py` (the files are committed).

Every file here is malformed, hostile or empty on purpose; tests/unit/test_corpus.py feeds each one to
the entry point that receives it in production and expects a named error with a useful message.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from PIL import Image

from hookforge.media import run_ffmpeg
from hookforge.providers.placeholder import render_placeholder

HERE = Path(__file__).parent


def write(rel: str, data: bytes | str) -> None:
    path = HERE / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def briefs() -> None:
    write("briefs/empty.json", b"")
    write("briefs/whitespace.json", b"  \n\t ")
    write("briefs/truncated.json", '{"name": "spring", "images": {"count": 4')
    write("briefs/array.json", "[1, 2, 3]")
    write("briefs/string.json", '"just a string"')
    write("briefs/null.json", "null")
    write("briefs/missing-name.json", json.dumps({"idea": "no name"}))
    write("briefs/wrong-types.json", json.dumps({"name": "x", "images": {"count": "four"}, "video": {"duration": []}}))
    write("briefs/unknown-provider.json", json.dumps({"name": "x", "images": {"provider": "midjourney"}}))
    write("briefs/unknown-field.json", json.dumps({"name": "x", "colour": "red"}))
    write("briefs/traversal-upload.json", json.dumps({"name": "x", "uploads": ["../../../etc/passwd"]}))
    write("briefs/absolute-upload.json", json.dumps({"name": "x", "uploads": ["/etc/shadow"]}))
    write("briefs/huge-field.json", json.dumps({"name": "x", "idea": "A" * 100_000}))
    write("briefs/control-chars.json", json.dumps({"name": "x\u0000\u001b[31m", "idea": "ok"}))
    write("briefs/html-name.json", json.dumps({"name": "<script>alert(1)</script>"}))
    write("briefs/oversize.json", json.dumps({"name": "x", "tags": ["t" * 1000] * 300}))
    write("briefs/not-utf8.json", b'{"name": "\xff\xfe"}')
    write("briefs/bad-email.json", json.dumps({"name": "x", "owner": "x@y.z>\r\nBcc: everyone@example.com"}))
    write("briefs/bad-yaml.yaml", "name: [unclosed\nidea: x")
    write(
        "briefs/yaml-aliases.yaml", "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nname: *b\n"
    )
    write("briefs/negative-count.json", json.dumps({"name": "x", "images": {"count": -3}}))
    write("briefs/bad-aspect.json", json.dumps({"name": "x", "effects": {"aspects": ["3:2"]}}))


def images() -> None:
    good = render_placeholder("corpus", 320, 320, seed=1)
    write("images/empty.png", b"")
    write("images/truncated.png", good[: len(good) // 3])
    write("images/text-named-png.png", "this is not an image")
    write("images/html-named-jpg.jpg", "<html><body>hello</body></html>")
    gif = io.BytesIO()
    Image.new("RGB", (300, 300), "red").save(gif, format="GIF")
    write("images/animated.gif", gif.getvalue())
    tiny = io.BytesIO()
    Image.new("RGB", (16, 16), "blue").save(tiny, format="PNG")
    write("images/tiny.png", tiny.getvalue())
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")
    write("images/decompression-bomb.png", bomb.getvalue())


def videos() -> None:
    write("videos/empty.mp4", b"")
    write("videos/text-named-mp4.mp4", "not a video")
    clip = HERE / "videos" / ".whole.mp4"
    clip.parent.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=160x90:rate=30:duration=2",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(clip),
        ]
    )
    data = clip.read_bytes()
    write("videos/truncated.mp4", data[: len(data) // 2])
    clip.unlink()
    run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=2",
            "-c:a",
            "aac",
            str(HERE / "videos" / "audio-only.m4a"),
        ]
    )
    run_ffmpeg(
        [
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=gray:size=64x36:rate=1:duration=120",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-pix_fmt",
            "yuv420p",
            str(HERE / "videos" / "over-long-120s.mp4"),
        ]
    )


META_HEADER = "Reporting starts,Reporting ends,Ad name,Impressions,3-second video plays,ThruPlays,Amount spent (USD)"


def reports() -> None:
    write("reports/empty.csv", b"")
    write("reports/binary.csv", bytes(range(256)) * 8)
    write("reports/not-utf8.csv", "Ad name,Impressions\nCaf\xe9 | hk-1,100\n".encode("latin-1"))
    write("reports/html-named-csv.csv", "<html><body><table><tr><td>1</td></tr></table></body></html>")
    write("reports/no-known-columns.csv", "foo,bar,baz\n1,2,3\n")
    rows = [
        "2026-11-01,2026-11-01,unknown | hk-doesnotexist,100,30,5,1.00",
        "2026-11-01,2026-11-01,spring | hk-corpus0001,-100,30,5,1.00",
        "2026-11-01,2026-11-01,spring | hk-corpus0001,100,300,5,1.00",
        "yesterday,yesterday,spring | hk-corpus0001,100,30,5,1.00",
        "2026-11-01,2026-11-01,spring | hk-corpus0001,abc,30,5,1.00",
        '2026-11-01,2026-11-01,=HYPERLINK("http://evil"),100,30,5,1.00',
        "2026-11-01,2026-11-01,spring | hk-corpus0001,100",
    ]
    write("reports/every-bad-row.csv", "\n".join([META_HEADER, *rows]) + "\n")
    write("reports/huge-cell.csv", META_HEADER + "\n2026-11-01,2026-11-01," + "A" * 200_000 + ",1,1,1,1\n")


def http_bodies() -> None:
    write("http/approval-empty.form", b"")
    write("http/approval-garbage.form", bytes(range(256)))
    write("http/approval-no-token.form", "action=pick&index=1&motion_prompt=push+in")
    write("http/approval-json.form", json.dumps({"action": "pick", "index": 1}))
    write("http/approval-huge.form", "action=pick&index=1&motion_prompt=" + "x" * 300_000)
    write("http/approval-bad-index.form", "action=pick&index=abc&form_token=forged")
    write("http/metrics-empty.json", b"")
    write("http/metrics-not-json.json", "platform=meta&rows=1")
    write("http/metrics-deep-nesting.json", "[" * 100_000 + "]" * 100_000)
    write("http/metrics-wrong-types.json", json.dumps({"platform": "meta", "rows": [{"hook_id": 7, "date": []}]}))
    write(
        "http/metrics-huge-number.json",
        json.dumps(
            {
                "platform": "meta",
                "rows": [{"hook_id": "hk-corpus0001", "date": "2026-11-01", "impressions": 10**400, "plays_3s": 1}],
            }
        ).replace("1" + "0" * 400, "1e400"),
    )
    write(
        "http/metrics-nan.json",
        '{"platform": "meta", "rows": [{"hook_id": "hk-corpus0001", "date": "2026-11-01", '
        '"impressions": NaN, "plays_3s": 1}]}',
    )


if __name__ == "__main__":
    briefs()
    images()
    videos()
    reports()
    http_bodies()
