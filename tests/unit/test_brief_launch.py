"""The brief's opt-in `launch` block: a valid one is kept as written, a bad one is refused against the user's file
(path, line, field) before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hookforge.brief_check import check_brief_file, load_brief_file
from hookforge.errors import BriefInvalid
from hookforge.models import Brief


def _json(tmp_path: Path, launch: Any, **extra: Any) -> Path:
    path = tmp_path / "brief.json"
    path.write_text(json.dumps({"name": "summer-sale", **extra, "launch": launch}, indent=2))
    return path


def _refusal(path: Path) -> str:
    with pytest.raises(BriefInvalid) as info:
        check_brief_file(path)
    return str(info.value)


def test_brief_keeps_its_launch_block_when_it_is_valid(tmp_path: Path) -> None:
    # Given a brief that asks for its hook to be launched on Meta
    launch = {
        "meta": {
            "adset_id": "23850000000000001",
            "page_id": "100000000000001",
            "message": "Summer is here",
            "link": "https://example.com/summer",
        }
    }
    # When it is read
    brief = load_brief_file(_json(tmp_path, launch, effects={"aspects": ["9:16", "4:5"]}))
    # Then the block is kept as written (the state machine's Choice reads it from the dumped brief)
    assert brief.launch is not None and brief.model_dump(mode="json")["launch"] == launch


def test_brief_without_launch_dumps_a_null_launch() -> None:
    # the state machine's Choice tests IsPresent and IsNull: a brief without the block carries `launch: null`
    assert Brief.model_validate({"name": "plain"}).model_dump(mode="json")["launch"] is None


def test_launch_page_is_optional_when_the_ad_set_promotes_one(tmp_path: Path) -> None:
    brief = load_brief_file(_json(tmp_path, {"meta": {"adset_id": "1"}}))
    assert brief.launch is not None and brief.launch.meta.page_id is None


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (
            {"adset_id": 23850000000000001},
            "line 5: field 'launch.meta.adset_id': give the ad set id as a string of digits in quotes",
        ),
        ({"adset_id": "act_12"}, "line 5: field 'launch.meta.adset_id': 'act_12' is not a Meta ad set id"),
        (
            {"adset_id": "1", "page_id": "my-page"},
            "line 6: field 'launch.meta.page_id': 'my-page' is not a Meta Page id",
        ),
        (
            {"adset_id": "1", "link": "http://example.com"},
            "line 6: field 'launch.meta.link': 'http://example.com' is not",
        ),
        ({"adset": "1"}, "line 5: field 'launch.meta.adset' is not a brief field (did you mean 'adset_id'?)"),
        ({"adset_id": "1", "status": "ACTIVE"}, "line 6: field 'launch.meta.status' is not a brief field"),
    ],
)
def test_bad_launch_field_is_named_with_file_and_line_when_the_brief_is_checked(
    tmp_path: Path, meta: dict[str, Any], expected: str
) -> None:
    # Given a brief whose launch block has one wrong field
    path = _json(tmp_path, {"meta": meta})
    # When it is checked before anything is submitted
    message = _refusal(path)
    # Then the message names the user's file, the line and the field path
    assert message.startswith(f"{path}, ") and expected in message


def test_launch_without_meta_is_refused_with_what_to_write(tmp_path: Path) -> None:
    message = _refusal(_json(tmp_path, {}))
    assert "line 3: field 'launch.meta' is required" in message


def test_tiktok_launch_is_refused_with_the_manual_route_when_asked_for(tmp_path: Path) -> None:
    message = _refusal(_json(tmp_path, {"tiktok": {"advertiser_id": "7"}}))
    assert "field 'launch'" in message and "audited app" in message and "TikTok Ads Manager" in message


def test_launch_is_refused_when_no_rendered_aspect_fits_a_meta_placement(tmp_path: Path) -> None:
    # Given a brief that renders 16:9 only and asks for a launch
    path = _json(tmp_path, {"meta": {"adset_id": "1"}}, effects={"aspects": ["16:9"]})
    # Then it fails before the render, pointing at the launch block and saying which aspects to add
    message = _refusal(path)
    assert "field 'launch.meta': launch.meta needs a 9:16, 4:5 or 1:1 hook" in message
    assert 'add "9:16" (Stories and Reels) and "4:5" (Feed) to effects.aspects' in message


def test_yaml_launch_ids_written_as_numbers_are_refused_with_quotes_advice(tmp_path: Path) -> None:
    path = tmp_path / "brief.yaml"
    path.write_text("name: summer-sale\nlaunch:\n  meta:\n    adset_id: '1'\n    page_id: 100000000000001\n")
    message = _refusal(path)
    assert message.startswith(f"{path}, line 5: field 'launch.meta.page_id': give the Page id as a string of digits")
