"""Reading an export as a header and rows of text: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030) or .xlsx.

The kind of file is told by its first bytes, not its name (uploads are named by their senders): an
.xlsx file is a ZIP archive, an Excel 97-2003 .xls file an OLE2 compound file (refused with a clear
error), anything else is CSV. A CSV file is decoded as a whole with the named encoding, or else
strictly as UTF-8 (a BOM is dropped) and then as GB18030, the superset of GBK that Chinese platforms'
"ANSI" exports are written in; a file that is neither is refused rather than read with replacement
characters. An .xlsx file is streamed by openpyxl in read-only mode; the first row of the named (or
first) sheet is the header. Cells become the text a CSV export of the same sheet would hold, except
that date cells become ISO 8601 text, which the date reader takes without a format.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NamedTuple

from ecogrid.core.errors import InvalidInput

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0"


class Table(NamedTuple):
    header: list[str]
    rows: list[list[str]]  # every row as wide as the header (short rows padded with "")
    numbers: list[int]  # of each row in the file as a spreadsheet shows it (the header is row 1)
    kind: str  # "csv" or "xlsx"
    encoding: str | None  # of a CSV file


def read_table(source: Path | bytes, *, encoding: str | None = None, sheet: str | None = None) -> Table:
    data = Path(source).read_bytes() if isinstance(source, Path) else source
    if data.startswith(_ZIP):
        return read_xlsx(data, sheet=sheet)
    if data.startswith(_OLE2):
        raise InvalidInput("Excel 97-2003 (.xls) files are not read: save the sheet as .xlsx or CSV", field="file")
    return read_csv(data, encoding=encoding)


def decode(data: bytes, *, encoding: str | None = None) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in."""
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"the file is not valid {encoding} (byte {exc.start}): name its encoding",
                               field="encoding") from None
        # A UTF-8 BOM read as part of the first header would make that column unknown.
        return text.removeprefix("\ufeff"), encoding
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        raise InvalidInput("the file is neither UTF-8 nor GBK/GB18030: name its encoding (--encoding)",
                           field="encoding") from None


def read_csv(data: bytes, *, encoding: str | None = None) -> Table:
    text, used = decode(data, encoding=encoding)
    first_line = text[:text.find("\n")] if "\n" in text else text
    # Some platforms export tab-separated text under a .csv name.
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None) or []
    return Table(header, *_rectangular(reader, len(header)), "csv", used)


def read_xlsx(data: bytes, *, sheet: str | None = None) -> Table:
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException: a damaged or foreign file
        raise InvalidInput(f"the file is not a readable .xlsx workbook ({exc})", field="file") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InvalidInput(f"no sheet {sheet!r} in the workbook (sheets: {', '.join(book.sheetnames)})",
                               field="sheet")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [_cell(v) for v in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        records = ([_cell(v) for v in r] for r in rows)
        return Table(header, *_rectangular(records, len(header)), "xlsx", None)
    finally:
        book.close()


def _rectangular(records: Any, width: int) -> tuple[list[list[str]], list[int]]:
    """Blank records dropped, short ones padded with "" (as csv.DictReader does), and the number of
    each record kept (the header is 1)."""
    out, numbers = [], []
    for number, r in enumerate(records, start=2):
        if not any(r):
            continue
        if len(r) < width:
            r = r + [""] * (width - len(r))
        out.append(r)
        numbers.append(number)
    return out, numbers


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # a phone number or work-order number typed as a number
    return str(value)
