"""Brief errors point at the user's file: its path, the field path, the line and the closest valid field or value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions.validate_brief import app as validate_brief
from hookforge.brief_check import MAX_BRIEF_BYTES, MAX_NESTING_DEPTH, check_brief_file, field_path, json_lines
from hookforge.errors import BriefInvalid

TYPO_JSON = """{
  "name": "typo-nested",
  "effects": {
    "preset": "punchy",
    "aspekts": ["9:16"]
  }
}
"""


def _error(path: Path) -> str:
    with pytest.raises(BriefInvalid) as info:
        check_brief_file(path)
    return str(info.value)


def test_check_brief_file_names_file_line_field_and_suggestion_when_json_key_is_misspelt(tmp_path: Path) -> None:
    # Given a JSON brief with a one-letter typo in a nested key
    brief = tmp_path / "typo.json"
    brief.write_text(TYPO_JSON)
    # When it is checked
    message = _error(brief)
    # Then the message names the user's file, the line of the key, its field path and the right spelling
    assert message.startswith(f"{brief}, line 5: ")
    assert "field 'effects.aspekts' is not a brief field (did you mean 'aspects'?)" in message


def test_check_brief_file_points_at_list_item_when_yaml_value_is_misspelt(tmp_path: Path) -> None:
    brief = tmp_path / "b.yaml"
    brief.write_text('name: y\neffects:\n  aspects:\n    - "9:16"\n    - "4:3"\n')
    message = _error(brief)
    assert message.startswith(f"{brief}, line 5: field 'effects.aspects[1]': ")
    assert "(did you mean '4:5'?)" in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("preset", "punchie", "unknown effects preset 'punchie' (did you mean 'punchy'?)"),
        ("placements", ["reels", "tiktk"], "unknown placement 'tiktk' (did you mean 'tiktok'?)"),
        ("audio", "non", "(did you mean 'none'?)"),
    ],
)
def test_check_brief_file_suggests_the_closest_value_when_an_effects_value_is_unknown(
    tmp_path: Path, field: str, value: object, expected: str
) -> None:
    brief = tmp_path / "b.json"
    brief.write_text(json.dumps({"name": "x", "effects": {field: value}}, indent=2))
    message = _error(brief)
    assert message.startswith(f"{brief}, line 4: field 'effects.{field}'")  # line 4: the key inside effects
    assert expected in message


def test_check_brief_file_suggests_providers_when_provider_is_misspelt(tmp_path: Path) -> None:
    brief = tmp_path / "b.json"
    brief.write_text('{"name": "x",\n "images": {"provider": "placeholdr"},\n "video": {"providers": ["kenburn"]}}')
    message = _error(brief)
    assert "line 2: field 'images.provider': unknown image provider 'placeholdr' (did you mean 'placeholder'?)" in (
        message
    )
    assert "line 3: field 'video.providers': unknown video provider 'kenburn' (did you mean 'kenburns'?)" in message


def test_check_brief_file_lists_problems_in_file_order(tmp_path: Path) -> None:
    brief = tmp_path / "b.json"
    brief.write_text('{\n "video": {"ratio": "9x16"},\n "effects": {"aspekts": []},\n "name": "x"\n}')
    message = _error(brief)
    assert message.index("line 2: field 'video.ratio'") < message.index("line 3: field 'effects.aspekts'")


def test_check_brief_file_says_how_to_quote_when_yaml_reads_a_ratio_as_a_number(tmp_path: Path) -> None:
    brief = tmp_path / "b.yml"
    brief.write_text("name: y\nvideo:\n  ratio: 9:16\n")
    message = _error(brief)
    assert "line 3: field 'video.ratio'" in message and "got the number 556" in message


def test_check_brief_file_names_the_object_line_when_a_required_field_is_missing(tmp_path: Path) -> None:
    brief = tmp_path / "b.json"
    brief.write_text('\n\n{"idea": "no name"}')
    assert _error(brief) == f"{brief}, line 3: field 'name' is required"


def test_check_brief_file_says_check_the_spelling_when_nothing_is_close(tmp_path: Path) -> None:
    brief = tmp_path / "b.json"
    brief.write_text('{"name": "x", "zzzzzz": 1}')
    assert "field 'zzzzzz' is not a brief field (check the spelling)" in _error(brief)


def test_check_brief_file_names_the_file_when_json_or_yaml_is_malformed(tmp_path: Path) -> None:
    broken_json = tmp_path / "b.json"
    broken_json.write_text('{"name": "x",\n "idea": }')
    assert _error(broken_json).startswith(f"{broken_json}: not valid JSON: Expecting value at line 2")
    broken_yaml = tmp_path / "b.yaml"
    broken_yaml.write_text("name: x\neffects: [\n")
    message = _error(broken_yaml)
    assert message.startswith(f"{broken_yaml}: not valid YAML") and "at line 3" in message


def test_check_brief_file_keeps_the_limits_when_brief_is_too_big_deep_or_missing(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_text('{"name": "x", "idea": "' + "a" * MAX_BRIEF_BYTES + '"}')
    assert f"the limit is {MAX_BRIEF_BYTES}" in _error(big)
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: x\ntags: " + "[" * (MAX_NESTING_DEPTH + 5) + "]" * (MAX_NESTING_DEPTH + 5) + "\n")
    assert "nested more than" in _error(deep)
    assert _error(tmp_path / "absent.json").startswith(f"{tmp_path / 'absent.json'}: cannot read the brief")


def test_check_brief_file_accepts_a_valid_brief_when_yaml_uses_aliases(tmp_path: Path) -> None:
    brief = tmp_path / "ok.yaml"
    brief.write_text("name: ok\ntags: &t [a, b]\neffects:\n  aspects: ['9:16', '1:1']\nrecursive: &r [*r]\n")
    # the self-referencing alias is walked once (no endless loop) and reported as an unknown field at its line
    assert _error(brief) == f"{brief}, line 5: field 'recursive' is not a brief field (check the spelling)"
    brief.write_text("name: ok\ntags: &t [a, b]\neffects:\n  aspects: ['9:16', '1:1']\n")
    check_brief_file(brief)


def test_json_lines_places_keys_and_items_when_strings_hold_brackets() -> None:
    text = '{"a": "[{,:}]",\n "b": [1,\n  {"c": "x\\"y"}],\n "d": {}}'
    lines = json_lines(text)
    assert lines[()] == 1 and lines[("a",)] == 1 and lines[("b",)] == 2
    assert lines[("b", 0)] == 2 and lines[("b", 1)] == 3 and lines[("b", 1, "c")] == 3 and lines[("d",)] == 4


def test_field_path_writes_list_indices_in_brackets() -> None:
    assert field_path(("effects", "aspects", 1)) == "effects.aspects[1]"
    assert field_path(("uploads", 0)) == "uploads[0]" and field_path(()) == "brief"


def test_validate_brief_names_the_key_field_line_and_suggestion_when_field_is_misspelt(
    aws: dict[str, Any], lambda_context: Any
) -> None:
    # Given the bucket's copy of a brief with a typo (ValidateBrief cannot know the user's file)
    aws["deps"].store.put_bytes("briefs/20261201-typo.json", TYPO_JSON.encode())
    # When the handler validates it
    with pytest.raises(BriefInvalid) as info:
        validate_brief.lambda_handler({"run_id": "run-typo", "brief_key": "briefs/20261201-typo.json"}, lambda_context)
    # Then its message names the key, the line, the field path and the suggestion
    assert str(info.value).startswith("briefs/20261201-typo.json, line 5: field 'effects.aspekts' is not a brief field")
    assert "(did you mean 'aspects'?)" in str(info.value)


def test_check_brief_file_refuses_a_length_the_preset_cannot_render(tmp_path: Path) -> None:
    # Given a loop (at most 6 s) asked to last 8 s
    brief = tmp_path / "loop.json"
    brief.write_text('{\n "name": "x",\n "video": {"duration": 8},\n "effects": {"preset": "loop"}\n}')
    # Then the brief is refused at video.duration's line, instead of a 6 s hook with a note after the video was paid
    message = _error(brief)
    assert message.startswith(f"{brief}, line 3: field 'video.duration': video.duration is 8s but the 'loop' preset")
    # And a brief that raises the preset's limit gets its length
    brief.write_text(
        json.dumps(
            {
                "name": "x",
                "video": {"duration": 8},
                "effects": {"preset": "loop", "overrides": {"output": {"max_duration": 8}}},
            }
        )
    )
    check_brief_file(brief)
