"""Imports a new user gets wrong: another platform's export than `--platform` says, an Excel workbook."""

from __future__ import annotations

import io
from datetime import date
from typing import IO

import openpyxl
import pytest

from hookforge.errors import ReportInvalid
from hookforge.metrics.ingest import ImportReport, import_csv, import_file
from hookforge.metrics.store import MetricsStore
from tests.unit.metrics.support import fixture_text


def _workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _import(store: MetricsStore, data: bytes, name: str, platform: str | None = None) -> ImportReport:
    saved: list[ImportReport] = []

    def open_file() -> tuple[IO[bytes], int]:
        return io.BytesIO(data), len(data)

    return import_file(store, open_file, source=name, platform=platform, save=saved.append)


def test_a_tiktok_export_imported_as_meta_says_which_platform_it_looks_like(store: MetricsStore) -> None:
    with pytest.raises(ReportInvalid) as caught:
        import_csv(store, fixture_text("tiktok_daily.csv"), platform="meta")
    message = str(caught.value)
    assert "given as a meta report" in message and "tiktok export" in message and "--platform tiktok" in message
    report = _import(store, fixture_text("tiktok_daily.csv").encode(), "tiktok.csv", platform="meta")
    assert report.imported == 0 and "tiktok export" in report.error
    # the same file without --platform, or as generic, still imports
    assert import_csv(store, fixture_text("tiktok_daily.csv")).imported > 0


def test_an_xlsx_export_is_read_from_its_first_sheet(store: MetricsStore) -> None:
    data = _workbook(
        [
            ["Ad name", "Day", "Impressions", "3-second video plays", "ThruPlays", "Amount spent (EUR)"],
            ["launch | hk-1a2b3c4d5e", date(2026, 11, 1), 3000, 1050, 300, 30.5],
            ["launch | hk-1a2b3c4d5e", "2026-11-02", 2000.0, 500, 100, 20],
        ]
    )
    report = _import(store, data, "Ads-Manager-export.xlsx")
    assert report.error == "" and report.platform == "meta"
    assert (report.imported, report.bad_rows) == (2, 0)
    days = store.days("hk-1a2b3c4d5e", "meta")
    assert [(d["day"], d["impressions"], d["plays"]) for d in days] == [
        ("2026-11-01", 3000, 1050),
        ("2026-11-02", 2000, 500),
    ]


def test_a_workbook_that_cannot_be_opened_or_is_named_csv_is_refused_with_save_it_as_csv(store: MetricsStore) -> None:
    fake = b"PK\x03\x04" + b"not really a zip\n"
    report = _import(store, fake, "report.xlsx")
    assert "save it as CSV" in report.error and report.imported == 0
    with pytest.raises(ReportInvalid, match="Excel workbook .* save it as CSV"):
        import_csv(store, "PK\x03\x04junk,more\nrow,1\n")
