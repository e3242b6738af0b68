"""Read an export as it comes: CSV in UTF-8 (BOM or not), UTF-16 or GBK/GB18030, any common
delimiter, or XLSX; find the header row under any title rows; number rows as a spreadsheet does.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .errors import InputFileError, UsageError
from .ledger import display_path

HEADER_SEARCH_ROWS = 15


@dataclass
class Source:
    path: Path
    data: bytes
    encoding: str | None  # None for xlsx
    sheet: str | None
    header: list[str]
    frame: pd.DataFrame  # columns "0", "1", … as text, one per header cell
    rows: np.ndarray  # spreadsheet row number of each record
    header_row: int
    problems: list  # ragged rows

    @property
    def display(self) -> str:
        return display_path(self.path)


def read_source(path: Path, score: Callable[[list[str]], int], sheet: str | None = None,
                encoding: str | None = None) -> Source:
    """`score(cells)` says how header-like a row is (known header names it contains)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputFileError("ledger_unreadable", path=display_path(path), reason=exc.strerror) from None
    if path.suffix.lower() in (".xlsx", ".xlsm") or data[:4] == b"PK\x03\x04":
        records, sheet_name = _xlsx_records(path, data, sheet, score)
        return _build(path, data, None, sheet_name, records, score)
    if sheet is not None:
        raise UsageError("sheet_for_csv", path=display_path(path))
    text, used = decode(path, data, encoding)
    return _build(path, data, used, None, _csv_records(text, path), score)


def decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    """Text and the encoding used: BOMs first, then strict UTF-8, then GB18030 (a GBK superset)."""
    shown = display_path(path)
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputFileError("bad_encoding", path=shown, encoding=encoding, reason=str(exc)[:120]) from None
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        if b"\x00" in data[:65536]:
            raise InputFileError("binary_file", path=shown)
        candidates = ["utf-8", "gb18030"]
    for name in candidates:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    guess = best.encoding if best is not None else "binary"
    raise InputFileError("undecodable", path=shown, guess=guess)


FIELD_LIMIT = 64 * 1024 * 1024  # one cell may be large (a pasted document), not unbounded


def _csv_records(text: str, path: Path) -> list[list[str]]:
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 20)[0] if sample else ",", delimiters=",\t;|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    _check_width(text, delimiter, path)
    csv.field_size_limit(FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return list(reader)
    except csv.Error as exc:  # e.g. a field over the limit, a NUL in a quoted field
        raise InputFileError("bad_csv", path=display_path(path), line=reader.line_num, reason=str(exc)) from None


MAX_COLUMNS = 1000


def _check_width(text: str, delimiter: str, path: Path) -> None:
    """Refuse a line with absurdly many fields before the parser turns it into millions of cells."""
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > 8 * MAX_COLUMNS and line.count(delimiter) >= MAX_COLUMNS:
            raise InputFileError("too_many_columns", path=display_path(path), line=number, limit=MAX_COLUMNS)


def _xlsx_records(path: Path, data: bytes, sheet: str | None, score: Callable[[list[str]], int]
                  ) -> tuple[list[list[str]], str]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputFileError("bad_xlsx", path=display_path(path), reason=str(exc)[:200]) from None
    try:
        if sheet is None:
            # The first sheet with a recognisable header (a cover or notes sheet is skipped).
            ws = next((w for w in book.worksheets if _sheet_score(w, score) > 0), book.worksheets[0])
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise InputFileError("unknown_sheet", path=display_path(path), sheet=sheet,
                                 known="、".join(book.sheetnames))
        records = [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        return records, ws.title
    finally:
        book.close()


def _sheet_score(ws, score: Callable[[list[str]], int]) -> int:
    rows = ws.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)
    return max((score([_cell(v) for v in row]) for row in rows), default=0)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def _build(path: Path, data: bytes, encoding: str | None, sheet: str | None, records: list[list[str]],
           score: Callable[[list[str]], int]) -> Source:
    from .errors import Problem

    shown = display_path(path)
    head = [(i, r) for i, r in enumerate(records[:HEADER_SEARCH_ROWS]) if any(c.strip() for c in r)]
    if not head:
        raise InputFileError("empty_input", path=shown)
    best_index, best_row = max(head, key=lambda item: (score(item[1]), -item[0]))
    if score(best_row) == 0:
        best_index, best_row = head[0]
    header = [c.strip() for c in best_row]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    body = records[best_index + 1:]
    numbers, cells, problems = [], [], []
    for offset, record in enumerate(body):
        row_number = best_index + 2 + offset
        if not any(c.strip() for c in record):
            continue
        if len(record) > width and any(c.strip() for c in record[width:]):
            problems.append(Problem(shown, row_number, None, "ragged_row",
                                    params={"found": len(record), "expected": width}))
            continue
        cells.append((record + [""] * width)[:width])
        numbers.append(row_number)
    columns = [str(i) for i in range(width)]
    frame = pd.DataFrame(cells, columns=columns, dtype="str") if cells else \
        pd.DataFrame({c: pd.Series([], dtype="str") for c in columns})
    return Source(path, data, encoding, sheet, header, frame, np.array(numbers, dtype=np.int64), best_index + 1,
                  problems)
