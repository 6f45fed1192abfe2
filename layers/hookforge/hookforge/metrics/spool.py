"""Day rows summed per key on disk, so an import of any size holds one batch of rows in memory.

A report may list one ad's day several times (breakdowns by placement, age, ...), anywhere in the file, and
those rows add up to the one figure that is *set*. Summing them needs every row of the key first; a temporary
SQLite file (the standard library's, in the temp folder: `/tmp` on Lambda) does it with a page cache of a few
megabytes whatever the file size, and hands the sums back in key order, one hook x platform after the other.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import fields
from pathlib import Path
from types import TracebackType
from typing import Any

from hookforge.metrics.model import DayRow

#: SQLite's page cache (KiB): what the spool may hold in memory
_CACHE_KIB = 4096
#: summed per key; every other field of a row (hook, platform, day, ad name, ...) is the key's first row's
_SUMS = ("impressions", "plays", "holds", "clicks", "spend")
_FIRST = tuple(f.name for f in fields(DayRow) if f.name not in (*_SUMS, "line"))
_NAMES = (*_FIRST, *_SUMS, "line")
_UPSERT = (
    f"INSERT INTO day (pk, sk, {', '.join(_NAMES)}, lines) VALUES ({', '.join('?' * (len(_NAMES) + 3))}) "
    "ON CONFLICT (pk, sk) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in (*_SUMS, "lines"))
)
#: where the sums start in a row's parameters (pk, sk, *_FIRST, *_SUMS, line, lines)
_AT = 2 + len(_FIRST)


class DaySpool:
    """Add day rows in batches, then read them back summed per key, in key order (hook, platform, day, ad).

    The first row of a key gives its ad name (and every other field that is not a count) and its line.
    """

    def __init__(self, *, directory: str | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="hookforge-import-", dir=directory)
        self._db = sqlite3.connect(Path(self._dir.name) / "days.sqlite")
        for pragma in ("journal_mode = OFF", "synchronous = OFF", f"cache_size = -{_CACHE_KIB}", "temp_store = FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute(
            f"CREATE TABLE day (pk, sk, {', '.join(_NAMES)}, lines, PRIMARY KEY (pk, sk)) WITHOUT ROWID"
        )

    def add(self, rows: Iterable[DayRow]) -> None:
        """Add a batch of rows: summed per key in memory first (a batch often holds several segments of one
        day), then into the file."""
        merged: dict[tuple[str, str], list[Any]] = {}
        for r in rows:
            # spend in millionths (imports round it to 6 places): integer sums stay exact
            micros = round(r.spend * 1_000_000)
            params = merged.get(key := r.key)
            if params is None:
                first = (getattr(r, f) for f in _FIRST)
                merged[key] = [*key, *first, r.impressions, r.plays, r.holds, r.clicks, micros, r.line, 1]
                continue
            params[_AT] += r.impressions
            params[_AT + 1] += r.plays
            params[_AT + 2] += r.holds
            params[_AT + 3] += r.clicks
            params[_AT + 4] += micros
            params[-1] += 1
        self._db.executemany(_UPSERT, merged.values())

    def rows(self) -> Iterator[tuple[DayRow, int]]:
        """Every key's summed row and how many report lines it sums, in key order."""
        self._db.commit()
        cursor = self._db.execute(f"SELECT {', '.join(_NAMES)}, lines FROM day ORDER BY pk, sk")
        while batch := cursor.fetchmany(500):
            for values in batch:
                row = DayRow(**dict(zip(_NAMES, values[:-1], strict=True)))
                row.spend = row.spend / 1_000_000
                yield row, values[-1]

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()

    def __enter__(self) -> DaySpool:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
