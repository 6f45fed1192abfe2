"""Excel exports (.xlsx) of Ads Manager: the first sheet read with openpyxl and handed to the CSV reader as text.

A workbook is a zip file, so it has to be read as a whole (random access): at most `WORKBOOK_MAX_BYTES`. Without
openpyxl (or for a workbook it cannot open) the answer is a `ReportInvalid` that says to save it as CSV.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import IO, Any

from hookforge.errors import ReportInvalid

#: a zip file's first bytes (every .xlsx starts with them)
ZIP_MAGIC = "PK\x03\x04"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
WORKBOOK_MAX_BYTES = 50 * 1024 * 1024
SAVE_AS_CSV = "save it as CSV (Excel: File > Save As > CSV UTF-8) or export the report as CSV, and import that"


def is_workbook(name: str) -> bool:
    return name.lower().endswith(WORKBOOK_SUFFIXES)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def workbook_text(body: IO[bytes]) -> io.StringIO:
    """The first sheet of an .xlsx as CSV text (the shape `read_csv` reads)."""
    data = body.read(WORKBOOK_MAX_BYTES + 1)
    if len(data) > WORKBOOK_MAX_BYTES:
        raise ReportInvalid(f"the workbook is over {WORKBOOK_MAX_BYTES // 2**20} MB; {SAVE_AS_CSV}")
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - openpyxl is a runtime dependency
        raise ReportInvalid(f"this is an Excel workbook and openpyxl is not installed: {SAVE_AS_CSV}") from None
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # noqa: BLE001 - any reason a workbook cannot be opened gets the same advice
        raise ReportInvalid(f"the workbook cannot be opened ({type(e).__name__}): {SAVE_AS_CSV}") from None
    try:
        if not book.worksheets:
            raise ReportInvalid(f"the workbook has no sheet: {SAVE_AS_CSV}")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in book.worksheets[0].iter_rows(values_only=True):
            writer.writerow([_cell(v) for v in row])
    finally:
        book.close()
    out.seek(0)
    return out
