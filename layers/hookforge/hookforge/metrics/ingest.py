"""Ad-platform numbers in, validated day rows out: Meta Ads Manager and TikTok Ads Manager CSV exports
(mapped by their real column headers), a generic CSV, and the JSON batch of `POST /metrics`.

Every input goes through one path: `read_csv` / `parse_json` turn it into `DayRow`s plus `BadRow`s (line
number and reason), then the store takes the good rows, adding unknown hooks to the bad rows. Nothing is
dropped silently: every data line ends up imported, unchanged (already known) or bad.

A CSV report of any size is read as a stream: rows go to the store as they are parsed (it sums them per
day on disk, `hookforge.metrics.spool`), the bad rows are counted and the first `BAD_ROWS_KEPT` listed, so
an import's memory does not grow with the file.
"""

from __future__ import annotations

import csv
import heapq
import io
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import IO, Any, TextIO

from hookforge.errors import ReportInvalid
from hookforge.metrics.model import DEFINITIONS, HOOK_ID_RE, PLATFORMS, DayRow
from hookforge.metrics.workbook import SAVE_AS_CSV, ZIP_MAGIC, is_workbook, workbook_text

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
#: an import report lists this many bad rows (the lowest line numbers) and counts all of them
BAD_ROWS_KEPT = 1000
#: distinct ads without a hook id remembered per import (to count them; a few are named in the report)
NOT_HOOK_ADS_KEPT = 100_000
#: a bad row's reason may quote a cell: it is cut to this many characters
REASON_MAX_CHARS = 400
#: no ad-platform export has a line this long (the csv module refuses cells over 128 KiB on its own)
LINE_MAX_CHARS = 1 << 20
#: a JSON report is read whole: `POST /metrics`' 10 000 rows fit many times over
JSON_MAX_BYTES = 16 << 20


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass(frozen=True)
class NotAHookRow(BadRow):
    """A row of an ordinary ad (no hook id in its name): not imported, not an error either; counted."""

    ad_name: str = ""


class NotAHook(ValueError):
    def __init__(self, ad_name: str) -> None:
        super().__init__(f"not a hookforge hook: ad name {ad_name!r} names no hook id")
        self.ad_name = ad_name


class BadRows:
    """The bad rows of one import, in bounded memory: the first `keep` by line number, each reason cut to
    `REASON_MAX_CHARS`, and the count of all of them."""

    def __init__(self, keep: int = BAD_ROWS_KEPT) -> None:
        self.keep = keep
        self.count = 0
        # (-line, -arrival, reason): the heap's top is the highest line kept, the first to give way
        self._heap: list[tuple[int, int, str]] = []

    def add(self, line: int, reason: str) -> None:
        self.count += 1
        if len(reason) > REASON_MAX_CHARS:
            reason = reason[: REASON_MAX_CHARS - 1] + "…"
        item = (-line, -self.count, reason)
        if len(self._heap) < self.keep:
            heapq.heappush(self._heap, item)
        elif item > self._heap[0]:
            heapq.heapreplace(self._heap, item)

    def rows(self) -> list[BadRow]:
        """The kept bad rows, by line number (rows of one line in the order they were found)."""
        return [BadRow(-line, reason) for line, _, reason in sorted(self._heap, reverse=True)]


@dataclass
class Tally:
    """The running account of one import. The store adds to it as it writes, so an import that stops half-way
    still reports how far it got."""

    lines: int = 0
    written: int = 0
    unchanged: int = 0
    bad: BadRows = field(default_factory=BadRows)
    hooks: set[str] = field(default_factory=set)
    #: rows of ordinary ads of the account (no hook id in the name): counted and summarized, never bad rows
    not_hook_rows: int = 0
    not_hook_ads: set[str] = field(default_factory=set)

    def not_a_hook(self, ad_name: str) -> None:
        self.not_hook_rows += 1
        if len(self.not_hook_ads) < NOT_HOOK_ADS_KEPT:
            self.not_hook_ads.add(ad_name)


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
    #: how many bad rows there were; `bad` lists the first BAD_ROWS_KEPT of them
    bad_rows: int = 0
    #: why the file as a whole was not imported (empty when it was)
    error: str = ""
    #: rows (and distinct ads, a few named) of ads that carry no hook id: the account's other ads
    not_hook_rows: int = 0
    not_hook_ads: int = 0
    not_hook_examples: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.bad_rows = max(self.bad_rows, len(self.bad))

    @classmethod
    def of(cls, tally: Tally, *, source: str, platform: str, started_at: float, requests: int) -> ImportReport:
        return cls(
            source=source,
            platform=platform,
            lines=tally.lines,
            imported=tally.written,
            unchanged=tally.unchanged,
            bad=tally.bad.rows(),
            bad_rows=tally.bad.count,
            hooks=sorted(tally.hooks),
            started_at=started_at,
            finished_at=time.time(),
            requests=requests,
            not_hook_rows=tally.not_hook_rows,
            not_hook_ads=len(tally.not_hook_ads),
            not_hook_examples=sorted(tally.not_hook_ads)[:3],
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
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


#: the column that gives each export away
_SIGNATURE = {"meta": "3-second video plays", "tiktok": "2-second video views"}


def detect_platform(header: Iterable[str]) -> str:
    """Guess the export from its header: Meta and TikTok name their video columns differently."""
    names = {_norm(h) for h in header if h}
    if "3-second video plays" in names and "ad name" in names:
        return "meta"
    if "2-second video views" in names and "ad name" in names:
        return "tiktok"
    return "generic"


def _number(raw: Any, column: str, *, integer: bool) -> float:
    if type(raw) is str and len(raw) <= 15 and raw.isascii() and raw.isdigit():
        return int(raw)  # the common cell, a plain count: what the checks below would make of it, sooner
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
    day = _day(str(raw).strip())
    if day is None:
        raise ValueError(f"unparsable date in {column!r}: {raw!r} (use YYYY-MM-DD)")
    return day


@lru_cache(maxsize=4096)
def _day(text: str) -> str | None:
    """A report repeats a few hundred days over its rows: each is parsed once."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None


def _hook_id(record: Mapping[str, Any], cols: dict[str, str]) -> tuple[str, str]:
    """(hook_id, ad_name) from a hook id column, or from the ad name that embeds it."""
    ad_name = record.get(cols["ad_name"]) if "ad_name" in cols else ""
    explicit = record.get(cols["hook_id"]) if "hook_id" in cols else ""
    if isinstance(ad_name, str | None) and isinstance(explicit, str | None):
        return _hook_of_cells(ad_name, explicit)
    return _hook_of(ad_name, explicit)


def _hook_of(ad_cell: Any, explicit_cell: Any) -> tuple[str, str]:
    ad_name = str(ad_cell or "").strip()
    explicit = str(explicit_cell or "").strip()
    if explicit:
        if not HOOK_ID_RE.fullmatch(explicit):
            raise ValueError(f"hook_id {explicit!r} is not a hook id (like 'hk-1a2b3c4d5e')")
        return explicit.lower(), ad_name
    found = {m.lower() for m in HOOK_ID_RE.findall(ad_name)}
    if not found and ad_name:
        raise NotAHook(ad_name)
    if not found:
        raise ValueError("unknown hook: the row has neither a hook_id nor an ad name")
    if len(found) > 1:
        raise ValueError(f"unknown hook: ad name {ad_name!r} names several hook ids ({', '.join(sorted(found))})")
    return found.pop(), ad_name


#: a report repeats a few ads over its rows: each ad name is read once (a bad one raises every time, uncached)
_hook_of_cells = lru_cache(maxsize=4096)(_hook_of)


def _lacking(platform: str, cols: dict[str, str]) -> str | None:
    """Why no row of a file whose header resolved to `cols` can be read (a column it lacks), or None."""
    missing = [c for c in _REQUIRED if c not in cols and not (c == "day" and "starts" in cols)]
    if "ad_name" not in cols and "hook_id" not in cols:
        missing.append("ad_name" if platform == "generic" else COLUMNS[platform]["ad_name"][0])
    if not missing:
        return None
    names = [COLUMNS[platform][m][0] if m in COLUMNS[platform] else m for m in missing]
    return f"missing column {', '.join(repr(n) for n in names)}"


def _row(platform: str, record: Mapping[str, Any], cols: dict[str, str], line: int) -> DayRow:
    """One day row of a record whose header has every column a row needs (see `_lacking`)."""
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


def _classify(
    platform: str, header: list[str], records: Iterator[tuple[int, Mapping[str, Any]]]
) -> Iterator[DayRow | BadRow]:
    cols = _resolve(platform, header)
    lacking = _lacking(platform, cols)  # the header's: the same for every row
    for line, record in records:
        if "__error__" in record:
            yield BadRow(line, f"malformed CSV line: {record['__error__']}")
            continue
        if lacking is not None:
            yield BadRow(line, lacking)
            continue
        try:
            yield _row(platform, record, cols, line)
        except NotAHook as e:
            yield NotAHookRow(line, str(e), e.ad_name)
        except ValueError as e:
            yield BadRow(line, str(e))


def _records(platform: str, header: list[str], records: Iterator[tuple[int, Mapping[str, Any]]]) -> Parsed:
    parsed = Parsed()
    for item in _classify(platform, header, records):
        parsed.lines += 1
        (parsed.bad if isinstance(item, BadRow) else parsed.rows).append(item)  # type: ignore[arg-type]
    return parsed


def _lines(stream: TextIO) -> Iterator[str]:
    """The stream's lines, refusing one so long that holding it would be the problem."""
    number = 0
    while line := stream.readline(LINE_MAX_CHARS):
        number += 1
        if len(line) == LINE_MAX_CHARS and not line.endswith(("\n", "\r")):
            raise ReportInvalid(
                f"line {number} is longer than {LINE_MAX_CHARS // 1024} KiB: not an ad-platform CSV export"
            )
        yield line.lstrip("\ufeff") if number == 1 else line


def parse_csv(text: str, platform: str | None = None) -> tuple[str, Parsed]:
    """Parse a CSV export held in memory; `platform` None detects Meta/TikTok from the header. -> (platform, rows)."""
    platform, items = read_csv(io.StringIO(text), platform)
    parsed = Parsed()
    for item in items:
        parsed.lines += 1
        (parsed.bad if isinstance(item, BadRow) else parsed.rows).append(item)  # type: ignore[arg-type]
    return platform, parsed


def read_csv(stream: TextIO, platform: str | None = None) -> tuple[str, Iterator[DayRow | BadRow]]:
    """Read a CSV export's header now and its rows as they are consumed, one `DayRow` or `BadRow` per data line.

    `platform` None detects Meta/TikTok from the header. Open files with `newline=""`. A file whose header
    hookforge cannot use raises ReportInvalid here; a file without data rows, once its rows are consumed.
    """
    if platform is not None and platform not in PLATFORMS:
        raise ReportInvalid(f"unknown platform {platform!r}; choose one of: {', '.join(PLATFORMS)}")
    reader = csv.reader(_lines(stream))
    try:
        header = next(reader)
    except StopIteration:
        raise ReportInvalid("the file is empty: expected a CSV header line") from None
    except csv.Error as e:
        raise ReportInvalid(f"not a CSV file: {e}") from e
    header = [h.strip() for h in header]
    if header and header[0].startswith(ZIP_MAGIC):
        raise ReportInvalid(f"this is an Excel workbook (.xlsx), not a CSV file: {SAVE_AS_CSV}")
    looks = detect_platform(header)
    if platform not in (None, "generic", looks) and looks != "generic":
        raise ReportInvalid(
            f"the file was given as a {platform} report, but its header is a {looks} export's (it has "
            f"{_SIGNATURE[looks]!r}); import it as {looks} (--platform {looks}, or under reports/{looks}/)"
        )
    detected = platform or looks
    if not set(_resolve(detected, header)) & {"ad_name", "hook_id", "impressions", "plays"}:
        shown = ", ".join(repr(h[:30]) for h in header[:4]) + (", ..." if len(header) > 4 else "")
        raise ReportInvalid(
            f"none of the columns hookforge reads are in the header ({shown}); export the report from "
            f"{'Meta Ads Manager or TikTok Ads' if detected == 'generic' else detected} as CSV with ad name, "
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

    def items() -> Iterator[DayRow | BadRow]:
        lines = 0
        for item in _classify(detected, header, records()):
            lines += 1
            yield item
        if lines == 0:
            raise ReportInvalid("the file has a header but no data rows; export at least one day")

    return detected, items()


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


def _good_rows(items: Iterable[DayRow | BadRow], tally: Tally) -> Iterator[DayRow]:
    """Count each line and set the bad ones aside as they stream by; the good ones go on to the store."""
    for item in items:
        tally.lines += 1
        if isinstance(item, NotAHookRow):
            tally.not_a_hook(item.ad_name)
        elif isinstance(item, BadRow):
            tally.bad.add(item.line, item.reason)
        else:
            yield item


def _import(
    store: Any, platform: str, items: Iterable[DayRow | BadRow], *, source: str, tally: Tally | None
) -> ImportReport:
    tally = Tally() if tally is None else tally
    started, before = time.time(), store.requests
    store.apply(_good_rows(items, tally), tally=tally)
    requests = store.requests - before
    return ImportReport.of(tally, source=source, platform=platform, started_at=started, requests=requests)


def import_parsed(
    store: Any, platform: str, parsed: Parsed, *, source: str, tally: Tally | None = None
) -> ImportReport:
    """Write the good rows (set per day) and return the full account of the import."""
    items: list[DayRow | BadRow] = sorted([*parsed.rows, *parsed.bad], key=lambda item: item.line)
    return _import(store, platform, items, source=source, tally=tally)


def import_csv(
    store: Any,
    text: str | TextIO,
    *,
    platform: str | None = None,
    source: str = "upload",
    tally: Tally | None = None,
) -> ImportReport:
    """Import a CSV export, held in memory or streamed from a text file opened with `newline=""`.

    Pass a `tally` to see how far an import got when it raises.
    """
    platform, items = read_csv(io.StringIO(text) if isinstance(text, str) else text, platform)
    return _import(store, platform, items, source=source, tally=tally)


def import_json(store: Any, body: Any, *, source: str = "api", tally: Tally | None = None) -> ImportReport:
    platform, parsed = parse_json(body)
    return import_parsed(store, platform, parsed, source=source, tally=tally)


#: the import report of `reports/x.csv` is `reports/x.csv.import.json`
IMPORT_REPORT_SUFFIX = ".import.json"


def platform_from_key(key: str) -> str | None:
    """`reports/<platform>/...` names the format; anything else is detected from the header."""
    parts = key.split("/")
    return parts[1] if len(parts) > 2 and parts[1] in PLATFORMS else None


def import_file(
    store: Any,
    open_file: Callable[[], tuple[IO[bytes], int]],
    *,
    source: str,
    platform: str | None,
    save: Callable[[ImportReport], object],
    max_bytes: int | None = None,
) -> ImportReport:
    """Import one report file (`open_file` -> its bytes as a stream, and its size) and `save` its import report,
    whatever happens: imported, too big, unreadable, or stopped half-way (then with the counts so far, and the
    error raised again so the caller's retry and dead-letter nets still see it).
    """
    tally, started, before = Tally(), time.time(), store.requests
    detected, error = platform or "generic", ""
    try:
        body, size = open_file()
        with closing(body):
            if max_bytes is not None and size > max_bytes:
                error = (
                    f"the file is {size:,} bytes, over the {max_bytes:,}-byte limit of one report; "
                    "export fewer days or ads per file"
                )
            elif source.lower().endswith(".json"):
                raw = body.read(JSON_MAX_BYTES + 1)
                if len(raw) > JSON_MAX_BYTES:
                    error = f"a JSON report holds at most {JSON_MAX_BYTES:,} bytes; send larger reports as CSV"
                else:
                    body_json = json.loads(raw.decode("utf-8-sig"))
                    detected = str(body_json.get("platform", "generic")) if isinstance(body_json, dict) else detected
                    import_json(store, body_json, source=source, tally=tally)
            else:
                text = workbook_text(body) if is_workbook(source) else io.TextIOWrapper(body, "utf-8-sig", newline="")
                detected, items = read_csv(text, platform)
                store.apply(_good_rows(items, tally), tally=tally)
    except (UnicodeDecodeError, ValueError, RecursionError) as e:  # ReportInvalid, JSONDecodeError: ValueErrors
        error = f"the file cannot be read: {e}"
    except BaseException as e:
        done = tally.written + tally.unchanged
        error = f"the import stopped after {done:,} of its rows were stored: {type(e).__name__}: {e}"
        raise
    finally:
        if error:
            tally.bad.add(0, error)
        report = ImportReport.of(
            tally,
            source=source,
            platform=detected if detected in PLATFORMS else "generic",
            started_at=started,
            requests=store.requests - before,
        )
        report.error = error
        save(report)
    return report


def import_object(artifacts: Any, store: Any, key: str, *, max_bytes: int | None = None) -> tuple[str, ImportReport]:
    """Import one report object from the bucket, streamed, and store its import report beside it in every outcome.

    A file over `max_bytes` is not read; one that cannot be read as a whole gets the reason on line 0.
    """
    report_key = key + IMPORT_REPORT_SUFFIX
    report = import_file(
        store,
        lambda: artifacts.open(key),
        source=key,
        platform=platform_from_key(key),
        save=lambda r: artifacts.put_json(report_key, r.to_dict()),
        max_bytes=max_bytes,
    )
    return report_key, report
