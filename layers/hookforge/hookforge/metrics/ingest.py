"""Ad-platform numbers in, validated day rows out: Meta Ads Manager and TikTok Ads Manager CSV exports
(mapped by their real column headers), a generic CSV, and the JSON batch of `POST /metrics`.

Every input goes through one path: `parse_*` turns it into `DayRow`s plus `BadRow`s (line number and
reason), then `import_rows` hands the good rows to the store, which adds unknown hooks to the bad rows.
Nothing is dropped silently: every data line ends up imported, unchanged (already known) or bad.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from hookforge.errors import ReportInvalid
from hookforge.metrics.model import DEFINITIONS, HOOK_ID_RE, PLATFORMS, DayRow

# canonical field -> accepted column headers (compared case-insensitively, whitespace collapsed)
_META_COLUMNS: dict[str, tuple[str, ...]] = {
    "day": ("Day",),
    "starts": ("Reporting starts",),
    "ends": ("Reporting ends",),
    "ad_name": ("Ad name",),
    "impressions": ("Impressions",),
    "plays": ("3-second video plays",),
    "holds": ("ThruPlays",),
    "clicks": ("Link clicks", "Clicks (all)"),
    "spend": ("Amount spent (USD)",),
}
_TIKTOK_COLUMNS: dict[str, tuple[str, ...]] = {
    "day": ("Date", "By Day", "Day"),
    "ad_name": ("Ad name",),
    "impressions": ("Impression", "Impressions"),
    "plays": ("2-second video views",),
    "holds": ("6-second video views",),
    "clicks": ("Clicks", "Clicks (destination)"),
    "spend": ("Cost", "Total cost"),
}
_GENERIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "hook_id": ("hook_id",),
    "day": ("date", "day"),
    "ad_name": ("ad_name", "ad name"),
    "impressions": ("impressions",),
    "plays": ("plays_3s", "plays", "3-second video plays", "views_2s", "2-second video views"),
    "holds": ("thruplays", "holds", "ThruPlays", "views_6s", "6-second video views"),
    "clicks": ("clicks",),
    "spend": ("spend", "cost"),
}
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "meta": _META_COLUMNS,
    "tiktok": _TIKTOK_COLUMNS,
    "generic": _GENERIC_COLUMNS,
}
#: Meta names the spend column after the account currency: "Amount spent (EUR)", ...
_META_SPEND = re.compile(r"^amount spent \([a-z]{3}\)$")
_REQUIRED = ("day", "impressions", "plays")
_NUMBERS = ("impressions", "plays", "holds", "clicks", "spend")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class Parsed:
    rows: list[DayRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)
    lines: int = 0


@dataclass
class ImportReport:
    """What one import did; stored next to the report file and returned by `POST /metrics`."""

    source: str
    platform: str
    lines: int
    imported: int
    unchanged: int
    bad: list[BadRow]
    hooks: list[str]
    started_at: float
    finished_at: float
    requests: int = 0

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["bad_rows"] = len(self.bad)
        out["definitions"] = asdict(DEFINITIONS[self.platform])
        return out


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").strip().split()).lower()


def _resolve(platform: str, header: Iterable[str]) -> dict[str, str]:
    """canonical field -> the header actually present."""
    present = {_norm(h): h for h in header if h is not None}
    found: dict[str, str] = {}
    for canon, names in COLUMNS[platform].items():
        for name in names:
            if _norm(name) in present:
                found[canon] = present[_norm(name)]
                break
    if platform == "meta" and "spend" not in found:
        for norm, original in present.items():
            if _META_SPEND.match(norm):
                found["spend"] = original
                break
    return found


def detect_platform(header: Iterable[str]) -> str:
    """Guess the export from its header: Meta and TikTok name their video columns differently."""
    names = {_norm(h) for h in header if h}
    if "3-second video plays" in names and "ad name" in names:
        return "meta"
    if "2-second video views" in names and "ad name" in names:
        return "tiktok"
    return "generic"


def _number(raw: Any, column: str, *, integer: bool) -> float:
    if raw is None:
        raise ValueError(f"missing column {column!r}")
    if isinstance(raw, bool):
        raise ValueError(f"{column} is not a number: {raw!r}")
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        text = str(raw).strip().replace(",", "").replace("\u00a0", "")
        if text in ("", "-", "--"):  # the platforms leave zero cells empty
            return 0
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{column} is not a number: {raw!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{column} is not a number: {raw!r}")
    if value < 0:
        raise ValueError(f"negative {column}: {raw!r}")
    if integer:
        if value != int(value):
            raise ValueError(f"{column} is not a whole number: {raw!r}")
        return int(value)
    return round(value, 6)


def parse_day(raw: Any, column: str = "date") -> str:
    if raw is None:
        raise ValueError(f"missing column {column!r}")
    if isinstance(raw, date):
        return raw.isoformat()[:10]
    text = str(raw).strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise ValueError(f"unparsable date in {column!r}: {raw!r} (use YYYY-MM-DD)")


def _hook_id(record: Mapping[str, Any], cols: dict[str, str]) -> tuple[str, str]:
    """(hook_id, ad_name) from a hook id column, or from the ad name that embeds it."""
    ad_name = str(record.get(cols["ad_name"]) or "").strip() if "ad_name" in cols else ""
    explicit = str(record.get(cols["hook_id"]) or "").strip() if "hook_id" in cols else ""
    if explicit:
        if not HOOK_ID_RE.fullmatch(explicit):
            raise ValueError(f"hook_id {explicit!r} is not a hook id (like 'hk-1a2b3c4d5e')")
        return explicit.lower(), ad_name
    found = {m.lower() for m in HOOK_ID_RE.findall(ad_name)}
    if not found:
        raise ValueError(
            f"unknown hook: ad name {ad_name!r} names no hook id; embed one, e.g. 'summer | hk-1a2b3c4d5e'"
            if ad_name
            else "unknown hook: the row has neither a hook_id nor an ad name"
        )
    if len(found) > 1:
        raise ValueError(f"unknown hook: ad name {ad_name!r} names several hook ids ({', '.join(sorted(found))})")
    return found.pop(), ad_name


def _row(platform: str, record: Mapping[str, Any], cols: dict[str, str], line: int) -> DayRow:
    missing = [c for c in _REQUIRED if c not in cols and not (c == "day" and "starts" in cols)]
    if "ad_name" not in cols and "hook_id" not in cols:
        missing.append("ad_name" if platform == "generic" else COLUMNS[platform]["ad_name"][0])
    if missing:
        names = [COLUMNS[platform][m][0] if m in COLUMNS[platform] else m for m in missing]
        raise ValueError(f"missing column {', '.join(repr(n) for n in names)}")
    hook_id, ad_name = _hook_id(record, cols)
    if "day" in cols:
        day = parse_day(record.get(cols["day"]), cols["day"])
    else:
        day = parse_day(record.get(cols["starts"]), cols["starts"])
        if "ends" in cols and record.get(cols["ends"]) not in (None, ""):
            ends = parse_day(record.get(cols["ends"]), cols["ends"])
            if ends != day:
                raise ValueError(
                    f"row covers {day}..{ends}, not one day: export with Breakdown > By time > Day "
                    "(reports are stored per day)"
                )
    values: dict[str, float] = {}
    for name in _NUMBERS:
        if name in cols:
            values[name] = _number(record.get(cols[name]), cols[name], integer=name != "spend")
        else:
            values[name] = 0
    if values["plays"] > values["impressions"]:
        raise ValueError(
            f"{cols['plays']} ({int(values['plays'])}) exceed {cols['impressions']} ({int(values['impressions'])})"
        )
    if "holds" in cols and values["holds"] > values["plays"]:
        raise ValueError(f"{cols['holds']} ({int(values['holds'])}) exceed {cols['plays']} ({int(values['plays'])})")
    return DayRow(
        hook_id=hook_id,
        platform=platform,
        day=day,
        ad_name=ad_name,
        impressions=int(values["impressions"]),
        plays=int(values["plays"]),
        holds=int(values["holds"]),
        clicks=int(values["clicks"]),
        spend=float(values["spend"]),
        line=line,
    )


def _records(platform: str, header: list[str], records: Iterator[tuple[int, Mapping[str, Any]]]) -> Parsed:
    cols = _resolve(platform, header)
    parsed = Parsed()
    for line, record in records:
        parsed.lines += 1
        if "__error__" in record:
            parsed.bad.append(BadRow(line, f"malformed CSV line: {record['__error__']}"))
            continue
        try:
            parsed.rows.append(_row(platform, record, cols, line))
        except ValueError as e:
            parsed.bad.append(BadRow(line, str(e)))
    return parsed


def parse_csv(text: str, platform: str | None = None) -> tuple[str, Parsed]:
    """Parse a CSV export; `platform` None detects Meta/TikTok from the header. -> (platform, rows)."""
    if platform is not None and platform not in PLATFORMS:
        raise ReportInvalid(f"unknown platform {platform!r}; choose one of: {', '.join(PLATFORMS)}")
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise ReportInvalid("the file is empty: expected a CSV header line") from None
    except csv.Error as e:
        raise ReportInvalid(f"not a CSV file: {e}") from e
    header = [h.strip() for h in header]
    platform = platform or detect_platform(header)
    if not set(_resolve(platform, header)) & {"ad_name", "hook_id", "impressions", "plays"}:
        shown = ", ".join(repr(h[:30]) for h in header[:4]) + (", ..." if len(header) > 4 else "")
        raise ReportInvalid(
            f"none of the columns hookforge reads are in the header ({shown}); export the report from "
            f"{'Meta Ads Manager or TikTok Ads' if platform == 'generic' else platform} as CSV with ad name, "
            "impressions and video plays per day"
        )

    def records() -> Iterator[tuple[int, Mapping[str, Any]]]:
        while True:
            first = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                yield reader.line_num, {"__error__": str(e)}
                continue
            if reader.line_num > first and any("\n" in c for c in cells):
                # ad-platform exports never break a cell across lines: this is an unterminated quote that
                # swallowed the lines after it, each of which would otherwise vanish without a word
                yield first, {
                    "__error__": f"an unterminated quote on line {first} swallowed lines {first + 1}-"
                    f"{reader.line_num}; close the quote and import the file again"
                }
                continue
            if not any(c.strip() for c in cells):
                continue  # blank line: no data to lose
            # a short row leaves its last columns missing (None), a reason the row reports
            yield reader.line_num, {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header)}

    parsed = _records(platform, header, records())
    if parsed.lines == 0:
        raise ReportInvalid("the file has a header but no data rows; export at least one day")
    return platform, parsed


def parse_json(body: Any) -> tuple[str, Parsed]:
    """Parse the `POST /metrics` body: {"platform": "meta|tiktok|generic", "rows": [{...}, ...]}.

    Row fields: hook_id or ad_name, date, impressions, plays_3s (TikTok: views_2s), thruplays
    (TikTok: views_6s), clicks, spend. Line numbers are 1-based row positions.
    """
    if not isinstance(body, dict):
        raise ReportInvalid('the body must be a JSON object: {"platform": "meta", "rows": [...]}')
    platform = body.get("platform", "generic")
    if platform not in PLATFORMS:
        raise ReportInvalid(f"unknown platform {platform!r}; choose one of: {', '.join(PLATFORMS)}")
    rows = body.get("rows")
    if not isinstance(rows, list) or not rows:
        raise ReportInvalid('"rows" must be a non-empty list of objects')
    if len(rows) > 10_000:
        raise ReportInvalid(f"at most 10000 rows per request, got {len(rows)}; split the batch")
    header: list[str] = sorted({k for r in rows if isinstance(r, dict) for k in r})
    parsed = Parsed()
    good: list[tuple[int, Mapping[str, Any]]] = []
    cols = _resolve("generic", header)
    # a JSON row may leave out optional counts (ThruPlays, clicks, spend): they are zero, not missing
    optional = {cols[c]: 0 for c in ("holds", "clicks", "spend") if c in cols}
    for i, r in enumerate(rows, start=1):
        if isinstance(r, dict):
            good.append((i, {**optional, **r}))
        else:
            parsed.lines += 1
            parsed.bad.append(BadRow(i, f"row is not an object: {type(r).__name__}"))
    # JSON rows use the generic names whatever the platform
    cols_parsed = _records("generic", header, iter(good))
    for row in cols_parsed.rows:
        row.platform = platform
    parsed.rows = cols_parsed.rows
    parsed.bad = sorted(parsed.bad + cols_parsed.bad, key=lambda b: b.line)
    parsed.lines += cols_parsed.lines
    return platform, parsed


def import_parsed(store: Any, platform: str, parsed: Parsed, *, source: str) -> ImportReport:
    """Write the good rows (set per day) and return the full account of the import."""
    started = time.time()
    before = store.requests
    result = store.apply(parsed.rows)
    bad = sorted(parsed.bad + result.bad, key=lambda b: b.line)
    return ImportReport(
        source=source,
        platform=platform,
        lines=parsed.lines,
        imported=result.written,
        unchanged=result.unchanged,
        bad=bad,
        hooks=sorted(result.hooks),
        started_at=started,
        finished_at=time.time(),
        requests=store.requests - before,
    )


def import_csv(store: Any, text: str, *, platform: str | None = None, source: str = "upload") -> ImportReport:
    platform, parsed = parse_csv(text, platform)
    return import_parsed(store, platform, parsed, source=source)


def import_json(store: Any, body: Any, *, source: str = "api") -> ImportReport:
    platform, parsed = parse_json(body)
    return import_parsed(store, platform, parsed, source=source)


#: the import report of `reports/x.csv` is `reports/x.csv.import.json`
IMPORT_REPORT_SUFFIX = ".import.json"


def platform_from_key(key: str) -> str | None:
    """`reports/<platform>/...` names the format; anything else is detected from the header."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[1] in PLATFORMS else None


def import_object(artifacts: Any, store: Any, key: str) -> tuple[str, ImportReport]:
    """Import one report object from the bucket and store its import report beside it.

    A file that cannot be read as a whole still gets an import report (with the reason on line 0),
    so a dropped file never disappears without an answer.
    """
    raw = artifacts.get_bytes(key)
    started = time.time()
    try:
        text = raw.decode("utf-8-sig")
        if key.lower().endswith(".json"):
            report = import_json(store, json.loads(text), source=key)
        else:
            report = import_csv(store, text, platform=platform_from_key(key), source=key)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # ReportInvalid, JSONDecodeError: ValueErrors
        report = ImportReport(
            source=key,
            platform=platform_from_key(key) or "generic",
            lines=0,
            imported=0,
            unchanged=0,
            bad=[BadRow(0, f"the file cannot be read: {e}")],
            hooks=[],
            started_at=started,
            finished_at=time.time(),
        )
    report_key = key + IMPORT_REPORT_SUFFIX
    artifacts.put_json(report_key, report.to_dict())
    return report_key, report
