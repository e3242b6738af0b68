"""Read an export as it comes and hand the importer its data rows as text.

Formats are recognised by content (readers.sniff), not by the file name: CSV in UTF-8 (BOM or
not), UTF-16 or GBK/GB18030 with any common delimiter; XLSX/XLSM, BIFF .xls and ODS workbooks
(python-calamine); HTML tables saved as .xls by web systems. A text file named .xls is read as
CSV (web systems do that too); a text file named .xlsx/.ods is refused as a contradiction.

Government spreadsheets are taken as they circulate: the header is the row among the first
HEADER_SEARCH_ROWS that best matches known header names (`score`), stacked with a group row above
or a sub-header row below when together they name more known columns (序号 and 备注 merged down
two rows, 贷款信息 spanning 金额 / 日期 below it: one header, in xlsx, xls, HTML and CSV alike);
rows above it are title lines (kept in `title_lines`, a `单位：万元` among them gives `unit`, else
a note line below the header does: 注：金额单位：万元);
blank spacer rows are dropped; total rows (合计 / 小计 / 总计 / 累计 / 共计 in the first or second
cell, or the first non-empty one), note and source lines (数据来源：… 统计时间：… 注：… 备注：…) and
footer lines (填表人：… 审核人：… 联系电话：…) — a label at the start of the first non-empty cell,
in any column, and little else in the row — plus the sparse lines that follow a note or footer are
not data and are listed in `skipped` (note and footer lines above the header too, unless they
give the unit).

Invariants: `frame` has one text column per header cell ("0", "1", …); `rows[i]` is the row
number of frame row i as the spreadsheet (or CSV record count) numbers it; every failure is an
InputFileError / UsageError naming the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ipdemo.data.capped import MAX_FIELD_CHARS, FileTooLarge, Limits, read_capped
from ipdemo.data.ledger import display_path
from ipdemo.errors import InputFileError, Problem, UsageError
from ipdemo.ingest.readers import (
    HEADER_SEARCH_ROWS,
    MAX_CELLS,
    MAX_COLUMNS,
    MAX_ROWS,
    WORKBOOK_SUFFIXES,
    Grid,
    broken_zip,
    cell_text,
    decode_text,
    input_limits,
    mib,
    read_html,
    read_workbook,
    sniff,
)

__all__ = ["Source", "SkippedRow", "read_source", "read_input", "decode", "HEADER_SEARCH_ROWS", "MAX_COLUMNS"]


@dataclass
class SkippedRow:
    """A row below the header that is not a record."""

    row: int  # spreadsheet row number
    kind: str  # "total" | "note" | "footer"
    text: str  # the row's non-empty cells, joined by a space


@dataclass
class Source:
    path: Path
    data: bytes
    encoding: str | None  # None for workbooks
    sheet: str | None
    header: list[str]
    frame: pd.DataFrame  # columns "0", "1", … as text, one per header cell
    rows: np.ndarray  # spreadsheet row number of each record
    header_row: int
    problems: list  # ragged rows
    title_lines: list[str] = field(default_factory=list)  # non-empty rows above the header, as text
    unit: str | None = None  # "万元" from a `单位：万元` title line, else from a note line
    skipped: list[SkippedRow] = field(default_factory=list)  # total rows, note and footer lines
    format: str = "csv"  # "csv" | "xlsx" | "xls" | "ods" | "html"
    ragged: dict[int, list[str]] = field(default_factory=dict)  # the cells of each ragged row (problems)

    @property
    def display(self) -> str:
        return display_path(self.path)


def read_source(
    path: Path, score: Callable[[list[str]], int], sheet: str | None = None, encoding: str | None = None
) -> Source:
    """`score(cells)` says how header-like a row is (known header names it contains)."""
    data = read_input(path, encoding)
    with _gc_paused():
        return _build(path, data, _grid(path, data, score, sheet, encoding), score)


def _grid(path: Path, data: bytes, score: Callable[[list[str]], int], sheet: str | None, encoding: str | None) -> Grid:
    shown = display_path(path)
    kind = sniff(data)
    if kind in ("xlsx", "xls", "ods"):
        return read_workbook(kind, data, shown, sheet, score)
    if kind == "html":
        if sheet is not None:
            raise UsageError("sheet_for_html", path=shown)
        return read_html(data, shown, encoding, score)
    if kind in ("xlsb", "xml2003"):
        raise InputFileError(
            "unsupported_format", path=shown, format={"xlsb": ".xlsb", "xml2003": "XML Spreadsheet 2003"}[kind]
        )
    if kind == "broken_zip":
        raise broken_zip(data, shown, ValueError("not a zip file"))
    if kind == "zip":
        raise InputFileError("zip_not_workbook", path=shown)
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        raise InputFileError("workbook_is_text", path=shown)
    if sheet is not None:
        raise UsageError("sheet_for_csv", path=shown)
    text, used = decode(path, data, encoding)
    return Grid(_csv_records(text, path), 1, None, used, "csv")


def read_input(path: Path, encoding: str | None = None) -> bytes:
    """The file's bytes, read piece by piece under the input caps (readers.input_limits): a file,
    pipe or device over the total, or a text line over MAX_LINE_BYTES, stops at the cap with a
    message naming it; a text file with NUL bytes (/dev/zero) as soon as its first 64 KiB are in."""
    shown = display_path(path)

    def limits(head: bytes) -> Limits:
        found = input_limits(head)
        if found.run is not None and _binary(head, encoding):
            raise InputFileError("binary_file", path=shown)
        return found

    try:
        return read_capped(path, limits)
    except FileTooLarge as exc:
        if exc.line is None:
            raise InputFileError("input_too_large", path=shown, limit=mib(exc.limit)) from None
        raise InputFileError("line_too_long", path=shown, line=exc.line, limit=mib(exc.limit)) from None
    except OSError as exc:
        raise InputFileError("file_unreadable", path=shown, reason=exc.strerror or str(exc)) from None


def _binary(data: bytes, encoding: str | None) -> bool:
    """NUL bytes in the first 64 KiB of a text file without a BOM or an --encoding: not text."""
    bom = data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"))
    return not encoding and not bom and b"\x00" in data[:65536]


def decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    """Text and the encoding used: BOMs first, then strict UTF-8, then GB18030 (a GBK superset)."""
    shown = display_path(path)
    if _binary(data, encoding):
        raise InputFileError("binary_file", path=shown)
    found = decode_text(data, shown, encoding, ["utf-8", "gb18030"])
    if found is not None:
        return found
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    guess = best.encoding if best is not None else "binary"
    raise InputFileError("undecodable", path=shown, guess=guess)


BATCH = 4096  # records parsed between two checks of the limits


DELIMITERS = ",\t;|"


def _delimiter(sample: str) -> str:
    """The delimiter of the first of the first 20 lines that has one: a title line above the
    header (吴江区2023年10月专利授权清单, written without a trailing tab) decides nothing."""
    for line in sample.split("\n", 20)[:20]:
        if not any(d in line for d in DELIMITERS):
            continue
        try:
            return csv.Sniffer().sniff(line, delimiters=DELIMITERS).delimiter
        except csv.Error:
            continue
    return ","


def _csv_records(text: str, path: Path) -> list[list[str]]:
    """The records, parsed in batches: a field over MAX_FIELD_CHARS, a record over MAX_COLUMNS
    fields or more than MAX_CELLS cells in all stop the parse there (a line of commas would
    otherwise become millions of cells before anything looked at them)."""
    delimiter = _delimiter(text[:20_000])
    csv.field_size_limit(MAX_FIELD_CHARS)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    cells = 0
    try:
        while batch := list(islice(reader, BATCH)):
            if max(map(len, batch)) > MAX_COLUMNS:
                wide = len(records) + next(i for i, r in enumerate(batch) if len(r) > MAX_COLUMNS)
                raise InputFileError(
                    "too_many_columns", path=display_path(path), line=_line_of(text, delimiter, wide), limit=MAX_COLUMNS
                )
            cells += sum(map(len, batch))
            records += batch
            if cells > MAX_CELLS or len(records) > MAX_ROWS:
                raise InputFileError(
                    "too_many_cells",
                    path=display_path(path),
                    line=reader.line_num,
                    rows=f"{len(records):,}",
                    limit=f"{MAX_CELLS:,}",
                    row_limit=f"{MAX_ROWS:,}",
                )
    except csv.Error as exc:  # a field over the limit, a NUL in a quoted field
        if str(exc).startswith("field larger than field limit"):
            raise InputFileError(
                "field_too_large", path=display_path(path), line=reader.line_num, limit=f"{MAX_FIELD_CHARS:,}"
            ) from None
        raise InputFileError("bad_csv", path=display_path(path), line=reader.line_num, reason=str(exc)) from None
    return records


def _line_of(text: str, delimiter: str, index: int) -> int:
    """The line on which record `index` (0-based) starts (only for a message: parses again)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for _ in islice(reader, index):
        pass
    return reader.line_num + 1


# --- what is not a record --------------------------------------------------------------------

_TOTAL = re.compile(
    r"(?:全区|全市|全县|全镇|全部|本页|本表|本期|本月|本季度?|本年|全年|各区镇)?"
    r"(?:合计|小计|总计|累计|共计)(?:[:：].*|[（(].*)?"
)
# A line's label, at the start of a cell (spaces removed), by kind: a note or a source says where
# the figures come from or how they were counted; a footer is who filled, checked and signed.
# Short words (注, 说明, 电话) only with a colon after them (注意力 is a trademark, 说明书 a title).
_LABELS = {
    "note": re.compile(
        r"(?:(?:数据|资料|信息)来源|统计(?:时间|日期|口径|范围|期间|区间|截止)|数据截[至止]|截[至止]20\d\d|"
        r"填表说明|(?:金额|计量)?单位[:：]|(?:备注|附注|注释|注|说明|来源)[0-9一二三四五六七八九十]{0,2}[:：、.．])"
    ),
    "footer": re.compile(
        r"(?:填表|填报|审核|审批|复核|联系电话|联系方式|联系人|电话[:：]|日期[:：]|签字|签名|签章|盖章|"
        r"[（(]盖章|负责人|单位负责人|统计负责人|部门负责人|分管领导|主管领导|制表|经办人|报送单位|报送日期)"
    ),
}
# The first characters of the words above and of _TOTAL: a row starting otherwise is a record.
_MARK_INITIALS = frozenset("全本各合小总累共填审复联电日签盖（(负单统部分主制经报备附注说数资信截来金计")
_MARK_OR_SPACE = _MARK_INITIALS | frozenset(" \t\r\n\u3000\xa0\ufeff")
# `单位：万元`, also after `填报单位：XX` on the same line; 填报单位 / 工作单位 … are not units.
_UNIT = re.compile(
    r"(?<![填报制表作属用送])单位\s*[:：]\s*((?:人民币)?(?:十|百|千|万|十万|百万|千万|亿)?"
    r"(?:元|美元|港元|欧元)(?:人民币)?|人次|件|个|项|家|人|户|次|亩|吨|%|‰)(?![\w])"
)
TAIL_CELLS = 2  # after a footer line, a line with at most this many cells is footer too (a date, 盖章)


def _squeezed(cell: str) -> str:
    return "".join(cell.split())


def _text(value: object) -> str:
    return value if value.__class__ is str else cell_text(value)


def _filled(value: object) -> bool:
    if value.__class__ is str:
        return bool(value) and not value.isspace()
    return value is not None


def _first_filled(record: list) -> object | None:
    for cell in record:
        if _filled(cell):
            return cell
    return None


def _may_be_marked(record: list, first: object) -> bool:
    """Cheap pre-test: could `_row_kind` find a total, a note or a footer marker in this row?"""
    for cell in (first, record[0], record[1] if len(record) > 1 else ""):
        if cell.__class__ is str and cell.lstrip()[:1] in _MARK_INITIALS:
            return True
    return False


def _label(cell: object) -> str | None:
    """The kind of label ("note", "footer") a cell starts with, else None."""
    text = _squeezed(_text(cell))
    if not text or text[0] not in _MARK_INITIALS:
        return None
    for kind, pattern in _LABELS.items():
        if pattern.match(text):
            return kind
    return None


def _row_kind(record: list, first: object) -> str | None:
    """ "total", "note", "footer" or None (a record); `first` is the first non-empty cell.

    A note or footer starts with its label, anywhere in the row (merged across it or not), and
    holds little else: at most TAIL_CELLS other cells, or no more than it has labelled cells
    (填报人： 王五 审核人： 赵六). A record whose first text starts like a label (截至2023年的…)
    still has its number, date and name beside it."""
    candidates = {_squeezed(_text(c)) for c in (first, record[0], record[1] if len(record) > 1 else "")}
    if any(c and _TOTAL.fullmatch(c) for c in candidates):
        return "total"
    kind = _label(first)
    if kind is None:
        return None
    filled = [c for c in record if _filled(c)]
    labelled = sum(1 for c in filled if _label(c) is not None)
    return kind if len(filled) - labelled <= max(TAIL_CELLS, labelled) else None


def find_unit(lines: list[str]) -> str | None:
    """The unit a title line declares (`单位：万元`, `金额单位:元`), else None."""
    for line in lines:
        match = _UNIT.search(line)
        if match:
            return match.group(1)
    return None


def _joined(record: list) -> str:
    return " ".join(_text(c).strip() for c in record if _filled(c))


# --- the source ------------------------------------------------------------------------------


@contextmanager
def _gc_paused():
    """Reading allocates millions of small acyclic objects; the cyclic collector would walk them
    again and again (it doubles the cost of building the rows). Nothing here creates cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(path: Path, data: bytes, grid: Grid, score: Callable[[list[str]], int]) -> Source:
    shown = display_path(path)
    records = grid.rows
    if len(records) > MAX_ROWS:
        raise InputFileError("too_many_rows", path=shown, limit=f"{MAX_ROWS:,}")
    head = {
        i: [_text(c) for c in r] for i, r in enumerate(records[:HEADER_SEARCH_ROWS]) if _first_filled(r) is not None
    }
    if not head:
        raise InputFileError("empty_input", path=shown)
    best = max(head, key=lambda i: (score(head[i]), -i))
    if score(head[best]) == 0:
        best = min(head)
    top, bottom, header = _header_rows(head, best, score)
    header = [c.strip() for c in header]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    titles, noted = [], []
    for index in range(top):
        first = _first_filled(records[index])
        if first is not None:
            titles.append(_joined(records[index]))
            kind = _row_kind(records[index], first) if _may_be_marked(records[index], first) else None
            if kind in ("note", "footer") and find_unit(titles[-1:]) is None:  # a unit line is read, not skipped
                noted.append(SkippedRow(grid.first_row + index, kind, titles[-1]))
    body = _Body(shown, width, grid.first_row + bottom + 1, skipped=noted)
    body.extend(records[bottom + 1 :])
    notes = [s.text for s in body.skipped if s.kind == "note"]  # 注：金额单位：万元 under the data
    return Source(
        path,
        data,
        grid.encoding,
        grid.sheet,
        header,
        body.frame(),
        np.array(body.numbers, dtype=np.int64),
        grid.first_row + top,
        body.problems,
        titles,
        find_unit(titles) or find_unit(notes),
        body.skipped,
        grid.format,
        body.ragged,
    )


HEADER_ROWS = 3  # a header spans at most this many rows: a group row, the header, a sub-header row


def _header_rows(
    head: dict[int, list[str]], best: int, score: Callable[[list[str]], int]
) -> tuple[int, int, list[str]]:
    """(first row index, last row index, header): the best-scoring row, stacked with the row
    above (a group row: 贷款信息 over 金额 and 日期, 序号 merged down) or below (the sub-header
    row) while the stacked header names more known columns than either row alone. A record is
    never stacked: its values would replace the header's names and score less."""
    top = bottom = best
    header = head[best]
    while bottom - top + 1 < HEADER_ROWS:
        if top - 1 in head and (stacked := _stacked(head[top - 1], header, score)) is not None:
            top, header = top - 1, stacked
        elif bottom + 1 in head and (stacked := _stacked(header, head[bottom + 1], score)) is not None:
            bottom, header = bottom + 1, stacked
        else:
            break
    return top, bottom, header


def _stacked(upper: list[str], lower: list[str], score: Callable[[list[str]], int]) -> list[str] | None:
    """One header from two rows, or None when together they are no better a header.

    Column by column: a lower cell names its column, an upper cell over an empty lower one was
    merged down (序号). A group label (the upper cell over a filled lower one, and the empty upper
    cells right of it that a merge or colspan left) is put before the lower name when the two
    together are a known header (申请人 over 名称 → 申请人名称), else dropped (贷款信息 over 金额)."""
    stacked, group = [], ""
    for index in range(max(len(upper), len(lower))):
        above = upper[index].strip() if index < len(upper) else ""
        below = lower[index].strip() if index < len(lower) else ""
        if above:
            group = above if below else ""
        elif not below:
            group = ""
        if not below:
            stacked.append(above)
            continue
        label = above or group
        named = label + below
        stacked.append(named if label and label != below and score([named]) > 0 else below)
    return stacked if score(stacked) > max(score(upper), score(lower)) else None


@dataclass
class _Body:
    """The rows below the header, sorted into records, skipped rows and ragged rows."""

    shown: str
    width: int
    first_number: int  # row number of the first row below the header
    numbers: list[int] = field(default_factory=list)
    kept: list[list] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    ragged: dict[int, list[str]] = field(default_factory=dict)  # row number → its cells, of a ragged row
    tail: str | None = None  # "note" | "footer" after such a line: sparse lines that follow belong to it

    def extend(self, records: list[list]) -> None:
        """Every row below the header, in order: a record as wide as the header that starts with
        a plain value (most rows) is kept here, without a call to `add` for each."""
        width, kept, numbers, first = self.width, self.kept, self.numbers, self.first_number
        for offset, record in enumerate(records):
            if self.tail is None and len(record) == width and _plain(record):
                kept.append(record)
                numbers.append(first + offset)
            else:
                self.add(offset, record)

    def add(self, offset: int, record: list) -> None:
        if self.tail is None and len(record) == self.width and _plain(record):
            self.kept.append(record)
            self.numbers.append(self.first_number + offset)
            return
        first = _first_filled(record)
        if first is None:
            return  # a blank spacer row
        number = self.first_number + offset
        kind = _row_kind(record, first) if _may_be_marked(record, first) else None
        if (
            kind is None
            and self.tail is not None
            and self.width > TAIL_CELLS + 1
            and sum(1 for c in record if _filled(c)) <= TAIL_CELLS
        ):
            kind = self.tail
        self.tail = kind if kind in ("note", "footer") else None
        if kind is not None:
            self.skipped.append(SkippedRow(number, kind, _joined(record)))
        elif len(record) > self.width and any(_filled(c) for c in record[self.width :]):
            self.problems.append(
                Problem(self.shown, number, None, "ragged_row", params={"found": len(record), "expected": self.width})
            )
            self.ragged[number] = [_text(c) for c in record]
        else:
            self.kept.append(record if len(record) >= self.width else record + [""] * (self.width - len(record)))
            self.numbers.append(number)

    def frame(self) -> pd.DataFrame:
        """One text column per header cell; cells beyond the header (all blank) are dropped."""
        columns = list(zip(*self.kept))[: self.width] if self.kept else [()] * self.width
        return pd.DataFrame({str(i): text_column(column) for i, column in enumerate(columns)})


def _plain(record: list) -> bool:
    """The common case, decided cheaply: the row starts with a value that is neither blank nor
    possibly a total or footer marker, and its second cell cannot be a total either."""
    head = record[0]
    if head.__class__ is str and (not head or head[0] in _MARK_OR_SPACE):
        return False
    if head is None or len(record) < 2:
        return head is not None
    second = record[1]
    return second.__class__ is not str or not second or second[0] not in _MARK_OR_SPACE


def text_column(column: tuple | list) -> pd.Series:
    """A column of cells as text, each cell as `cell_text` shows it, built by Arrow from the
    Python values (no str call per cell)."""
    return pd.Series(pd.array(_arrow_texts(column), dtype="str"))


def _arrow_texts(column: tuple | list):
    """Text as it is (the usual column: tried first, no look at each value's type; cells are
    never bytes, which Arrow would take as text: calamine, csv and lxml give str); date cells,
    the usual other column, formatted by Arrow's ISO cast; any other mix cell by cell."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        texts = pa.array(column, type=pa.large_string())
        if not texts.null_count:  # None is an empty cell: ""
            return texts
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        pass
    kinds = set(map(type, column))
    if kinds == {dt.date}:
        return pa.array(column, type=pa.date32()).cast(pa.large_string())
    if kinds <= {str, dt.date}:  # dt.date exactly: a datetime cell may carry a time of day
        dates = pa.array([None if v.__class__ is str else v for v in column], type=pa.date32())
        words = pa.array([v if v.__class__ is str else None for v in column], type=pa.large_string())
        return pc.coalesce(words, dates.cast(pa.large_string()))
    return pa.array([v if v.__class__ is str else cell_text(v) for v in column], type=pa.large_string())
