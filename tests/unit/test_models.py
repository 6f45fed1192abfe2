from __future__ import annotations

import pytest

from hookforge.errors import BriefInvalid
from hookforge.models import Brief
from hookforge.steps.validate_brief import parse_brief


def test_brief_defaults_are_offline_and_valid_when_only_name_given() -> None:
    brief = Brief(name="spring-sale")
    assert brief.images.provider == "placeholder"
    assert brief.video.providers == ["kenburns"]
    assert brief.effects.aspects == ["9:16"]
    assert brief.selection.timeout_seconds == 72 * 3600


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "the brief is empty"),
        (b'{"name": ', "not valid JSON"),
        (b"[1, 2]", "must be an object"),
        (b'{"idea": "x"}', "field 'name' is required"),
        (b'{"name": "ok", "images": {"provider": "dalle9"}}', "unknown image provider 'dalle9'"),
        (b'{"name": "ok", "images": {"count": "four"}}', "field 'images.count'"),
        (b'{"name": "ok", "colour": "red"}', "field 'colour' is not a brief field"),
        (b'{"name": "ok", "uploads": ["../../etc/passwd"]}', "not a safe relative object key"),
        (b'{"name": "ok", "selection": {"reviewers": ["not-an-email"]}}', "is not an email address"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_parse_brief_names_the_problem_when_brief_is_malformed(raw: bytes, expected: str) -> None:
    with pytest.raises(BriefInvalid) as info:
        parse_brief(raw, source="briefs/x.json")
    assert expected in str(info.value)
    assert str(info.value).startswith("briefs/x.json")


def test_parse_brief_reads_yaml_when_file_is_yaml() -> None:
    brief = parse_brief(b"name: yaml-brief\neffects:\n  aspects: ['1:1', '9:16', '1:1']\n", source="b.yaml")
    assert brief.name == "yaml-brief"
    assert brief.effects.aspects == ["1:1", "9:16"]


def test_brief_with_uploads_uses_the_upload_provider() -> None:
    brief = Brief(name="mj", uploads=["a.png"])
    assert brief.images.provider == "upload"
    assert brief.brings_images
