"""Reading a brief (JSON or YAML) into a `Brief`, with errors that point at the file: the field path, the line
and the closest valid field or value.

`parse_brief` is the one reader of briefs: ValidateBrief uses it on the bucket's copy (its errors name the object
key), the CLI's `check_brief_file` on the user's own file before anything is submitted (its errors name that file,
so nothing is left behind for a typo). Both share the size, encoding and nesting limits below, checked before any
parser runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from hookforge.errors import BriefInvalid
from hookforge.models import Brief
from hookforge.suggest import closest

MAX_BRIEF_BYTES = 256 * 1024
#: deepest nesting of objects/lists a brief (or a manifest line) may have: a brief needs 4, and 5 000 levels would
#: otherwise end in a RecursionError inside the JSON decoder or the YAML composer
MAX_NESTING_DEPTH = 64
#: the errors one message lists (a brief with twenty typos gets the first few, then a count)
MAX_ERRORS_LISTED = 5

#: a location inside a brief: keys and list indices, as pydantic reports them (`("effects", "aspects", 1)`)
Loc = tuple[str | int, ...]

_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_JSON_BRACKET = re.compile(r"[\[\]{}]")
#: JSON's tokens: a string, a structural character, or a bare literal (number, true, false, null, NaN)
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}:,]|[^\s\[\]{}:,"]+', re.S)
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
#: a check across fields (a model validator of the whole brief) names the field it is about first: "video.duration ..."
_NAMED_FIELD = re.compile(r"([a-z_]+(?:\.[a-z_]+)+) ")


def json_depth_problem(text: str) -> str | None:
    """A cheap scan before `json.loads`: counts `[`/`{` nesting outside strings; a message when it is too deep."""
    depth = 0
    for m in _JSON_BRACKET.finditer(_JSON_STRING.sub('""', text)):
        if m[0] in "[{":
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                return f"nested more than {MAX_NESTING_DEPTH} levels deep (the depth limit is {MAX_NESTING_DEPTH})"
        else:
            depth -= 1
    return None


class _TooDeep(Exception):
    pass


class _BoundedSafeLoader(yaml.SafeLoader):
    """yaml.SafeLoader whose (recursive) composer stops at MAX_NESTING_DEPTH, flow or block nesting alike."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth >= MAX_NESTING_DEPTH:
            raise _TooDeep
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _too_deep(source: str) -> BriefInvalid:
    return BriefInvalid(
        f"{source}: the brief is nested more than {MAX_NESTING_DEPTH} levels deep "
        f"(the depth limit is {MAX_NESTING_DEPTH})"
    )


def load_yaml_bounded(text: str, *, source: str) -> Any:
    """`yaml.safe_load`, refusing nesting deeper than MAX_NESTING_DEPTH with BriefInvalid (before any recursion
    limit is reached)."""
    return _load_yaml(text, source=source)[0]


def _load_yaml(text: str, *, source: str) -> tuple[Any, dict[Loc, int]]:
    """The YAML document and the line of every key and list item in it (from the composed nodes' marks)."""
    loader = _BoundedSafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _TooDeep:
        raise _too_deep(source) from None
    finally:
        loader.dispose()
    lines: dict[Loc, int] = {}
    if node is not None:
        _yaml_lines(node, (), lines, set())
    return data, lines


def _yaml_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int], seen: set[int]) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if id(node) in seen:  # an alias of a node already walked (possibly itself: `&a [*a]`)
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                lines[(*loc, key.value)] = key.start_mark.line + 1  # the last of duplicate keys wins, as in the data
                _yaml_lines(value, (*loc, key.value), lines, seen)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _yaml_lines(item, (*loc, index), lines, seen)


def json_lines(text: str) -> dict[Loc, int]:
    """The line of every key and list item of a JSON document that `json.loads` accepted (nesting already bounded).

    A structural scan over the tokens: a key's line is where the key is written, an item's where it starts.
    """
    starts = [m.end() for m in re.finditer("\n", text)]
    lines: dict[Loc, int] = {}
    # each open container: [loc, is_object, the current key or index, expecting a key]
    stack: list[list[Any]] = []
    line = 1
    cursor = 0
    for m in _JSON_TOKEN.finditer(text):
        while cursor < len(starts) and starts[cursor] <= m.start():
            cursor += 1
            line += 1
        token = m[0]
        top = stack[-1] if stack else None
        if token in ",:":
            if top is not None and token == ",":
                if top[1]:
                    top[3] = True
                else:
                    top[2] += 1
            continue
        if token in "]}":
            stack.pop()
            continue
        if top is not None and top[1] and top[3]:
            key = json.loads(token)
            top[2], top[3] = key, False
            lines[(*top[0], key)] = line
            continue
        loc: Loc = () if top is None else (*top[0], top[2])
        lines.setdefault(loc, line)
        if token == "{":
            stack.append([loc, True, None, True])
        elif token == "[":
            stack.append([loc, False, 0, False])
    return lines


def parse_brief(raw: bytes, *, source: str) -> Brief:
    """Bytes of a JSON or YAML brief -> Brief, or one BriefInvalid naming `source`, each problem's line and field
    path, and the closest valid field or value."""
    if not raw.strip():
        raise BriefInvalid(f"{source}: the brief is empty")
    if len(raw) > MAX_BRIEF_BYTES:
        raise BriefInvalid(f"{source}: the brief is {len(raw)} bytes; the limit is {MAX_BRIEF_BYTES}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BriefInvalid(f"{source}: the brief is not UTF-8 text") from e
    data: Any
    if source.endswith((".yaml", ".yml")):
        try:
            data, lines = _load_yaml(text, source=source)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
            raise BriefInvalid(f"{source}: not valid YAML ({str(e).splitlines()[0]}{at})") from e
    else:
        problem = json_depth_problem(text)
        if problem is not None:
            raise BriefInvalid(f"{source}: the brief is {problem}")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise BriefInvalid(f"{source}: not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from e
        lines = json_lines(text)
    if not isinstance(data, dict):
        raise BriefInvalid(f"{source}: the brief must be an object with at least a 'name'")
    try:
        return Brief.model_validate(data)
    except ValidationError as e:
        problems = describe_validation_error(e, line_of=_line_finder(lines))
        raise BriefInvalid(f"{source}{', ' if problems.startswith('line ') else ': '}{problems}") from e


def load_brief_file(path: Path) -> Brief:
    """The user's brief file as a Brief; BriefInvalid naming `path` as given, the line and the field otherwise."""
    source = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BRIEF_BYTES:
            raise BriefInvalid(f"{source}: the brief is {size} bytes; the limit is {MAX_BRIEF_BYTES}")
        raw = path.read_bytes()
    except OSError as e:
        raise BriefInvalid(f"{source}: cannot read the brief ({e.strerror or e})") from e
    return parse_brief(raw, source=source)


def check_brief_file(path: Path) -> None:
    """Validate the user's brief file before anything is submitted (a bad brief leaves no run behind).

    Raises BriefInvalid whose message names `path`, the line and field path of each problem
    (`examples/b.json, line 7: field 'effects.aspects[1]': ...`) and the closest valid field or value.
    """
    load_brief_file(path)


# ------------------------------------------------------------------------------------------ messages
def field_path(loc: Loc) -> str:
    """`("effects", "aspects", 1)` -> `effects.aspects[1]`; the empty location is the brief itself."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "brief"


def _line_finder(lines: dict[Loc, int]) -> Callable[[Loc], int | None]:
    def line_of(loc: Loc) -> int | None:
        # a missing field has no line of its own: its object's line (the longest known prefix) is shown
        for end in range(len(loc), -1, -1):
            if loc[:end] in lines:
                return lines[loc[:end]]
        return None

    return line_of


def _model_at(loc: Loc) -> type[BaseModel] | None:
    """The brief model (Brief, EffectsSpec, ...) that holds the fields at `loc` (list indices skipped)."""
    model: type[BaseModel] = Brief
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        inner = _model_in(field.annotation) if field is not None else None
        if inner is None:
            return None
        model = inner
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _suggestion(err: Any) -> str | None:
    loc: Loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden" and loc:
        model = _model_at(loc[:-1])
        return closest(loc[-1], list(model.model_fields)) if model is not None else None
    if err["type"] == "literal_error" and isinstance(err.get("input"), str):
        # pydantic's ctx lists the allowed literals quoted: "'9:16', '1:1', '4:5' or '16:9'"
        return closest(err["input"], _QUOTED.findall(str((err.get("ctx") or {}).get("expected", ""))))
    return None


def describe_validation_error(e: ValidationError, *, line_of: Callable[[Loc], int | None] | None = None) -> str:
    """Pydantic's errors as 'field a.b[1]: reason' phrases a marketer can act on, each with its line (when
    `line_of` knows it) and the closest valid field or value."""
    parts = []
    errors = e.errors()
    for err in errors:
        named = _NAMED_FIELD.match(err["msg"].removeprefix("Value error, ")) if not err["loc"] else None
        if named is not None:
            err["loc"] = tuple(named.group(1).split("."))
    located = [(line_of(tuple(err["loc"])) if line_of is not None else None, err) for err in errors]
    # in the order of the file, as an editor shows them
    located.sort(key=lambda pair: pair[0] or 0)
    for line, err in located[:MAX_ERRORS_LISTED]:
        where = field_path(tuple(err["loc"]))
        near = _suggestion(err)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            part = f"field '{where}' is required"
        elif err["type"] == "extra_forbidden":
            advice = f"did you mean '{near}'?" if near else "check the spelling"
            part = f"field '{where}' is not a brief field ({advice})"
        else:
            part = f"field '{where}': {msg}" + (f" (did you mean '{near}'?)" if near else "")
            if err["type"] == "literal_error" and isinstance(err.get("input"), int) and ":" in msg:
                # YAML 1.1 reads an unquoted 9:16 as the sexagesimal number 556
                part += f' (got the number {err["input"]}: quote ratios in YAML, e.g. "9:16")'
        parts.append(f"line {line}: {part}" if line is not None else part)
    more = f" (and {len(errors) - MAX_ERRORS_LISTED} more)" if len(errors) > MAX_ERRORS_LISTED else ""
    return "; ".join(parts) + more
