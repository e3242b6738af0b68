"""Per-format readers: turn the bytes of a workbook or web-page export into a grid of cells.

The format is decided by content, never by the file name: a zip holding `xl/workbook.xml` is
XLSX/XLSM, a zip with the OpenDocument mimetype is ODS, the OLE2 magic is BIFF `.xls`, leading
`<html` / `<!DOCTYPE` / `<table` / `<meta` markup is an HTML table saved under a spreadsheet name
(what web systems' "导出Excel" buttons produce); anything else is text for the CSV reader.

Invariants:
- every cell is shown as text (cell_text): dates as ISO (`2023-05-06`, with the time when there is one),
  whole numbers as their digits (a 12-digit application number stored as a number is `202310182616`,
  never `2.02321E+11`), text verbatim; a grid row is numbered as the spreadsheet numbers it;
- workbooks are read by python-calamine (Rust; ~10x openpyxl), which reads the cells actually
  present: an xlsx `<dimension>` tag is never trusted;
- no file makes us allocate without bound: zip members are checked (declared sizes, ratio, CRC)
  and a sheet's used area is measured from its XML *before* calamine builds its dense grid,
  because calamine sizes that grid from the first to the last used cell and aborts the whole
  process (not an exception) when the allocation fails;
- XML with a DTD is refused (no entity expansion); HTML entities from an internal DTD subset are
  never expanded by lxml's HTML parser;
- every failure is an InputFileError naming the file.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass
from itertools import chain
from typing import Callable, Iterator

from ipdemo.data.capped import MAX_FIELD_CHARS, MAX_LINE_BYTES, Limits, long_run
from ipdemo.errors import InputFileError

HEADER_SEARCH_ROWS = 15

# --- limits (a hostile or broken file gets a clear message instead of exhausting memory) -------
MAX_ROWS = 2_000_000  # twice Excel's 1,048,576 rows: anything bigger is not an export
MAX_COLUMNS = 1000  # exports have tens of columns; 1000 already means something is wrong
MAX_CELLS = 15_000_000  # calamine's dense grid costs 32 bytes a cell (480 MB here) before the
# Python text copy; Excel's 1,048,576 rows x 14 columns or 100k x 150 fit
ODS_REPEATED_ROWS = 10_000  # a value repeated down more rows than this is measured as a full-width block
MAX_UNZIPPED = 1 << 30  # declared size of all members of a workbook: a full 1M-row sheet is
# ~600 MB of XML; more than 1 GiB is a zip bomb, not an export
MAX_RATIO = 250  # deflate tops out near 1000:1 on repeated bytes; sheet XML is 10-30:1
RATIO_FLOOR = 16 << 20  # the ratio is only judged for members bigger than this
MAX_HTML_BYTES = 256 << 20  # lxml needs ~10x the page in memory; a 100k-row page is ~40 MB
SCAN_CHUNK = 16 << 20  # sheet XML is measured in pieces of this size, never held whole
MAX_INPUT_BYTES = 1 << 30  # a file given to import, read piece by piece (a pipe, /dev/zero or a growing
# file stops here): a 1M-row xlsx is ~80 MB, a 2M-row CSV (MAX_ROWS) ~500 MB
MAX_XML_TEXT = 8 << 20  # bytes of one text in a workbook's XML (a cell, an attribute): a cell of
# MAX_FIELD_CHARS characters fits even escaped (&quot; is 6 bytes a character)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".ods")  # names a text file never legitimately has


@dataclass
class Grid:
    """The cells of one sheet or table, top row first."""

    rows: list[list]  # cell values: text, or calamine's float / date / datetime / bool (see cell_text)
    first_row: int  # spreadsheet row number of rows[0]
    sheet: str | None  # sheet name (workbooks), None for HTML
    encoding: str | None  # the charset an HTML page was decoded with; None for workbooks
    format: str  # "xlsx" | "xls" | "ods" | "html"


# --- sniffing ------------------------------------------------------------------------------


def sniff(data: bytes) -> str:
    """ "xlsx", "ods", "xlsb", "zip" (not a workbook), "xls", "html", "xml2003" or "text"."""
    if data.startswith(ZIP_MAGIC):
        return _zip_kind(data)
    if data.startswith(OLE_MAGIC):
        return "xls"
    head = _text_head(data)
    if head.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in head and "<html" not in head:
            return "xml2003"
        if re.match(r"<(?:html|!doctype|table|meta|head|body|title|style|!--|\?xml)", head) and re.search(
            r"<(?:html|table|body|meta)\b", head
        ):
            return "html"
    return "text"


def input_limits(head: bytes) -> Limits:
    """The caps for a file given to import, from its first bytes: a workbook MAX_INPUT_BYTES; a web
    page MAX_HTML_BYTES; text also MAX_LINE_BYTES a line (in a workbook newlines mean nothing, and a
    web page is often one long line)."""
    if head.startswith((*ZIP_MAGIC, OLE_MAGIC)):
        return Limits(MAX_INPUT_BYTES)
    if sniff(head) == "text":
        return Limits(MAX_INPUT_BYTES, MAX_LINE_BYTES)
    return Limits(MAX_HTML_BYTES)


def _text_head(data: bytes) -> str:
    """The first ~2 KB as lowercase text, BOM and leading whitespace dropped."""
    raw = data[:4096]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16", errors="ignore")
    else:
        text = raw.decode("utf-8", errors="ignore").lstrip("\ufeff")
    return text.lstrip()[:2048].lower()


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return "xlsx"
            if "xl/workbook.bin" in names:
                return "xlsb"
            if "mimetype" in names:
                with archive.open("mimetype") as member:
                    if member.read(100).strip() == ODS_MIMETYPE:
                        return "ods"
    except _ZIP_ERRORS:
        return "broken_zip"
    return "zip"


# --- cells ---------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """A calamine cell value as the text a user sees."""
    if value is None:
        return ""
    if value.__class__ is str:
        return value
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


# --- workbooks (python-calamine) -----------------------------------------------------------


def read_workbook(kind: str, data: bytes, shown: str, sheet: str | None, score: Callable[[list[str]], int]) -> Grid:
    """The chosen sheet of an xlsx/xlsm, xls or ods workbook (`kind` from `sniff`)."""
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    if kind in ("xlsx", "ods"):
        check_zip(data, shown)
        if kind == "xlsx":
            check_xlsx_extent(data, shown)
        else:
            check_ods_extent(data, shown)
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        try:
            return _pick_sheet(book, kind, shown, sheet, score)
        finally:
            book.close()
    except InputFileError:
        raise
    except PasswordError:
        raise InputFileError("workbook_encrypted", path=shown) from None
    except CalamineError as exc:
        raise _broken(kind, data, shown, exc) from None
    except (ValueError, OSError, EOFError, KeyError, IndexError) as exc:
        raise _broken(kind, data, shown, exc) from None
    except BaseException as exc:  # pyo3 turns a Rust panic into PanicException, a BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)):
            raise
        raise _broken(kind, data, shown, exc) from None


def _broken(kind: str, data: bytes, shown: str, exc: BaseException) -> InputFileError:
    if kind == "xls" and "EncryptedPackage".encode("utf-16-le") in data[: 1 << 20]:
        return InputFileError("workbook_encrypted", path=shown)  # an encrypted xlsx is an OLE2 file
    reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return InputFileError("bad_xlsx", path=shown, reason=reason)


def _pick_sheet(book, kind: str, shown: str, sheet: str | None, score: Callable[[list[str]], int]) -> Grid:
    if sheet is not None:
        if sheet not in book.sheet_names:
            raise InputFileError("unknown_sheet", path=shown, sheet=sheet, known="、".join(book.sheet_names))
        return _grid(book.get_sheet_by_name(sheet), kind, shown)
    # The first visible worksheet with a recognisable header (a cover or notes sheet is skipped).
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    names = [
        m.name
        for m in book.sheets_metadata
        if m.typ == SheetTypeEnum.WorkSheet and m.visible == SheetVisibleEnum.Visible
    ] or list(book.sheet_names)
    if not names:
        raise InputFileError("empty_input", path=shown)
    first = None
    for name in names:
        candidate = book.get_sheet_by_name(name)
        _check_sheet(candidate, shown)
        head = candidate.to_python(nrows=HEADER_SEARCH_ROWS)
        if max((score([cell_text(v) for v in row]) for row in head), default=0) > 0:
            return _grid(candidate, kind, shown)
        first = first or candidate
    return _grid(first, kind, shown)


def _grid(sheet, kind: str, shown: str) -> Grid:
    _check_sheet(sheet, shown)
    start = sheet.start
    return Grid(sheet.to_python(), (start[0] + 1) if start else 1, sheet.name, None, kind)


def _check_sheet(sheet, shown: str) -> None:
    """The limits, on a sheet calamine has loaded (xls and ods: their own formats bound the grid)."""
    wide_row = None
    if sheet.width > MAX_COLUMNS and sheet.height * sheet.width <= MAX_CELLS:
        wide_row = next(
            sheet.start[0] + i + 1
            for i, row in enumerate(sheet.iter_rows())
            if any(cell_text(v) for v in row[MAX_COLUMNS:])
        )
    _check_area(sheet.height, sheet.width, shown, wide_row)


def _check_area(height: int, width: int, shown: str, wide_row: int | None = None) -> None:
    """Refuse a grid over the limits; `wide_row` is a row with a cell beyond MAX_COLUMNS."""
    if width > MAX_COLUMNS and wide_row is not None:
        raise InputFileError("too_many_columns", path=shown, line=wide_row, limit=MAX_COLUMNS)
    if height > MAX_ROWS:
        raise InputFileError("too_many_rows", path=shown, limit=f"{MAX_ROWS:,}")
    if height * width > MAX_CELLS or width > MAX_COLUMNS:
        raise InputFileError(
            "sheet_too_large", path=shown, rows=f"{height:,}", columns=f"{width:,}", limit=f"{MAX_CELLS:,}"
        )


# --- zip members ---------------------------------------------------------------------------


def check_zip(data: bytes, shown: str) -> None:
    """Refuse a workbook whose members would decompress to too much, before anything reads them."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except _ZIP_ERRORS as exc:
        raise broken_zip(data, shown, exc) from None
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED:
        raise InputFileError("workbook_too_large", path=shown, size=mib(total), limit=mib(MAX_UNZIPPED))
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise InputFileError(
                "workbook_bomb",
                path=shown,
                member=info.filename,
                size=mib(info.file_size),
                ratio=info.file_size // max(info.compress_size, 1),
            )


def broken_zip(data: bytes, shown: str, exc: BaseException) -> InputFileError:
    if b"PK\x05\x06" not in data[-(1 << 16) - 22 :]:  # no end-of-central-directory record
        return InputFileError("workbook_truncated", path=shown)
    return InputFileError("bad_xlsx", path=shown, reason=str(exc)[:200] or type(exc).__name__)


def mib(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MiB"


_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError)


def _members(data: bytes, shown: str, wanted: Callable[[str], bool] = lambda name: True) -> Iterator[tuple[str, bytes]]:
    """(member name, piece) for the wanted members, decompressed piecewise, each piece cut after a
    '>' so that no tag straddles two pieces. zipfile stops at the declared size and checks the
    CRC, so a member that lies about its size fails here rather than inside calamine."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir() or not wanted(info.filename):
                    continue
                with archive.open(info) as member:
                    carry = b""
                    while block := member.read(SCAN_CHUNK):
                        block = carry + block
                        cut = block.rfind(b">") + 1 or len(block)
                        carry = block[cut:]
                        yield info.filename, block[:cut]
                    if carry:
                        yield info.filename, carry
    except _ZIP_ERRORS as exc:
        raise broken_zip(data, shown, exc) from None


_RELATIONSHIP = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship\s([^>]*)>")
_ATTRIBUTE = re.compile(rb'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_SHEET_TYPE = re.compile(rb"/(?:worksheet|macrosheet|dialogsheet|chartsheet|xlMacrosheet|xlIntlMacrosheet)$")
_STRINGS_TYPE = re.compile(rb"/sharedStrings$")
MAX_RELS_BYTES = 4 << 20  # the workbook's relationships: a line per sheet


def _sheet_members(data: bytes, shown: str) -> Callable[[str], bool]:
    """Which members calamine may read as sheets: the workbook's relationships say; when they
    cannot be followed exactly (missing, odd paths), every member counts."""

    def everything(name: str) -> bool:
        return True

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            with archive.open(_named(archive, WORKBOOK_RELS)) as member:
                rels = member.read(MAX_RELS_BYTES)
    except KeyError:
        return everything
    except _ZIP_ERRORS as exc:
        raise broken_zip(data, shown, exc) from None
    _refuse_dtd(rels, shown)
    sheets = set()
    for match in _RELATIONSHIP.finditer(rels):
        attributes = {key: a or b for key, a, b in _ATTRIBUTE.findall(match.group(1))}
        if _STRINGS_TYPE.search(attributes.get(b"Type", b"")) and not _is_shared_strings(
            _member_path(attributes.get(b"Target", b""))
        ):
            # calamine reads xl/sharedStrings.xml whatever the relationships say: strings kept
            # elsewhere would be read as none, or a decoy's be read instead of what Excel shows
            raise InputFileError("workbook_strings_elsewhere", path=shown)
        if not _SHEET_TYPE.search(attributes.get(b"Type", b"")):
            continue
        path = _member_path(attributes.get(b"Target", b""))
        if path not in names:
            return everything
        sheets.add(path)
    return sheets.__contains__ if sheets else everything


WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"


def _named(archive: zipfile.ZipFile, wanted: str) -> str:
    """The member called `wanted` as calamine (and Excel: OPC part names ignore case) finds it:
    any case, \\ or /; `wanted` itself (a KeyError when opened) when there is none."""
    return next((n for n in archive.namelist() if n.replace("\\", "/").lower() == wanted.lower()), wanted)


def _member_path(target: bytes) -> str:
    """The zip member a relationship of the workbook points at."""
    text = target.decode("utf-8", errors="replace")
    return posixpath.normpath(text[1:] if text.startswith("/") else "xl/" + text)


def _xml_member(name: str) -> bool:
    """Members calamine parses besides the sheets (workbook, relationships, strings, styles)."""
    return name.endswith((".xml", ".rels"))


# --- the used area of xlsx sheets, measured from the XML ----------------------------------

# Cell references: `<c r="AB12" …>`. Only cells with content count: calamine skips `<c … />`
# and `<c …></c>` (openpyxl writes a formatted empty cell so).
_CELL_START = rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?(?<=\s)r\s*=\s*["\']'
_REF_CELL = re.compile(_CELL_START + rb'[A-Za-z]+\d+["\']')
_REF_FILLED = re.compile(_CELL_START + rb'([A-Za-z]+)(\d+)["\'][^>]*(?<!/)>(?!</(?:[A-Za-z_][\w.-]*:)?c>)')
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s/>]")
_ROW_NUMBER = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\br\s*=\s*["\'](\d+)')
_QUICK_ODD_CELL = re.compile(rb'<c(?! r="[A-Z]{1,3}\d{1,6}"|[a-z])')
_QUICK_PREFIXED = re.compile(rb":c[\s>/]")
_QUICK_LETTERS = re.compile(rb'<c r="([A-Z]{1,3})')
_QUICK_SIX_DIGITS = re.compile(rb'<c r="[A-Z]{1,3}\d{6}"')
_QUICK_NARROW = re.compile(rb'<c(?! r="[A-O]\d{1,6}"|[a-z])')  # odd, or a column past O (15)
NARROW_COLUMNS = 15  # columns x 999,999 rows still within MAX_CELLS: the row count does not matter
_ODD_REF = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?(?<=\s)r\s*+=\s*+(?!["\'][A-Za-z]{1,8}\d{1,12}["\'])')


@dataclass
class Extent:
    """What calamine would span: the highest row and column that may hold a value."""

    rows: int = 0
    columns: int = 0
    wide_row: int | None = None  # the row of the rightmost cell
    # cells without an r attribute (calamine places them in sequence):
    row_tags: int = 0  # <row> elements seen
    highest_row_attr: int = 0  # highest <row r="…">
    widest: int = 0  # most such cells in one row
    open_row_cells: int = 0  # cells in the row still open at the end of a piece

    def area(self) -> tuple[int, int]:
        if not self.widest:
            return self.rows, self.columns
        return max(self.rows, self.highest_row_attr + self.row_tags), self.columns + self.widest

    def check(self, shown: str) -> None:
        _check_area(*self.area(), shown, self.wide_row)


def check_xlsx_extent(data: bytes, shown: str) -> None:
    """Refuse an xlsx whose sheets would make calamine allocate a giant grid, and XML with a DTD.

    The sheets are the members the workbook's relationships name. A quick bound first: columns
    from the letters of every reference, rows from the number of digits (no 6-digit reference:
    below row 100,000; no 7-digit one: below 1,000,000). When that bound is too big, an exact
    pass counts only cells with content, so a format on XFD1048576 (`<c r="XFD1048576" s="1"/>`)
    costs nothing and is accepted, while a value there is refused.

    In the same pass over the XML: a text over MAX_XML_TEXT (one huge cell) and a shared-string
    reference that is not an index into the shared strings (calamine reads `abc` or 10^30 as
    string 0: the wrong text, silently) are refused, naming the sheet and the cell.
    """
    texts = _TextRuns(shown)
    sheets = _sheet_members(data, shown)
    references = _SharedReferences(data, shown, _shared_string_count(data, shown, texts))
    quick = _QuickExtent()

    def parsed(name: str) -> bool:  # the members calamine parses besides the shared strings
        return _xml_member(name) and not _is_shared_strings(name)

    # One decompression of each member for every test (the sheets are most of the bytes).
    for name, chunk in _members(data, shown, lambda name: parsed(name) or sheets(name)):
        if b"!" in chunk:
            _refuse_dtd(chunk, shown)
        if parsed(name):
            texts.check(name, chunk)
            if sheets(name):
                references.check(name, chunk)
        if sheets(name):
            quick.add(chunk)
    bound = quick.extent()
    if bound is not None and bound.columns <= MAX_COLUMNS and bound.rows * bound.columns <= MAX_CELLS:
        return
    _exact_extent(data, shown, sheets).check(shown)


@dataclass
class _QuickExtent:
    """A cheap upper bound, piece by piece, or None when only the exact pass can tell.

    It holds when every cell tag is written `<c r="AB123"` (1-3 capitals, at most 6 digits), as
    Excel, WPS, LibreOffice and openpyxl write it; any other `<c…` tag that is not another element
    (`<cols>`, `<cfRule>` …: a lowercase letter follows) and any prefixed `<x:c` go to the exact
    pass. Each test is one pass over the bytes: together ~25% of calamine's own read.
    """

    columns: int = 0
    six_digits: bool = False
    unknown: bool = False  # a piece was not looked at for 6-digit rows
    odd: bool = False  # a cell tag the quick patterns do not cover

    def add(self, chunk: bytes) -> None:
        if self.odd:
            return
        widest = _widest_bound(chunk)
        if widest is None:
            self.odd = True
            return
        if not widest:
            return
        self.columns = max(self.columns, widest)
        if self.columns * 999_999 > MAX_CELLS:  # only then does "below row 100,000" matter
            self.six_digits = self.six_digits or _QUICK_SIX_DIGITS.search(chunk) is not None
        else:
            self.unknown = True

    def extent(self) -> Extent | None:
        if self.odd:
            return None
        return Extent(rows=999_999 if self.six_digits or self.unknown else 99_999, columns=self.columns)


def _widest_bound(chunk: bytes) -> int | None:
    """The widest column of a piece's cells (0: no cell), or None when a cell tag is not in the
    quick form. When no cell is past column O, NARROW_COLUMNS: a bound is all `extent` needs (at
    most 15 columns x 999,999 rows is within MAX_CELLS), and one search says so without a
    findall over every cell."""
    if _QUICK_PREFIXED.search(chunk):
        return None
    if _QUICK_NARROW.search(chunk) is None:
        return NARROW_COLUMNS if _QUICK_LETTERS.search(chunk) else 0
    if _QUICK_ODD_CELL.search(chunk):
        return None
    return max((column_number(x) for x in set(_QUICK_LETTERS.findall(chunk))), default=0)


def _exact_extent(data: bytes, shown: str, sheets: Callable[[str], bool]) -> Extent:
    total = Extent()
    for _, chunk in _members(data, shown, sheets):
        _refuse_dtd(chunk, shown)
        for letters, digits in _REF_FILLED.findall(chunk):
            row = int(digits) if len(digits) < 12 else 10**12
            total.rows = max(total.rows, row)
            if column_number(letters) > total.columns:
                total.columns, total.wide_row = column_number(letters), row
        if _ODD_REF.search(chunk):
            raise InputFileError("workbook_bad_cells", path=shown)
        cells = len(_REF_CELL.findall(chunk))
        if len(_CELL_TAG.findall(chunk)) > cells or total.open_row_cells:
            _refless_extent(chunk, total)
    return total


def _refless_extent(chunk: bytes, total: Extent) -> None:
    """Bound cells without an r attribute: calamine puts them on their row (the row's r, else the
    row after the previous one), one column after the previous cell."""
    pieces = _ROW_TAG.split(chunk)
    total.row_tags += len(pieces) - 1
    total.highest_row_attr = max(
        [total.highest_row_attr, *(int(n) if len(n) < 12 else 10**12 for n in _ROW_NUMBER.findall(chunk))]
    )
    counts = [len(_CELL_TAG.findall(p)) for p in pieces]
    counts[0] += total.open_row_cells  # the row left open by the previous piece
    total.open_row_cells = counts[-1]
    if max(counts) > total.widest:
        total.widest = max(counts)
        total.wide_row = total.row_tags - (len(pieces) - 1) + counts.index(total.widest)  # when rows have no r


def _refuse_dtd(chunk: bytes, shown: str) -> None:
    if b"<!DOCTYPE" in chunk or b"<!ENTITY" in chunk:
        raise InputFileError("workbook_dtd", path=shown)


def column_number(letters: bytes) -> int:
    """b"A" → 1, b"Z" → 26, b"AA" → 27, b"XFD" → 16384 (case-insensitive, as calamine reads it)."""
    number = 0
    for byte in letters.upper()[:8]:
        number = number * 26 + byte - 64
    return number if len(letters) <= 8 else 10**12


# --- texts and shared strings (xlsx) ------------------------------------------------------

SHARED_STRINGS = "xl/sharedstrings.xml"  # where calamine reads them: this name, any case, \\ or /
_PREFIX = rb"(?:[A-Za-z_][\w.-]*:)?"
_SI = re.compile(rb"<" + _PREFIX + rb"si[\s/>]")  # <si/> is a string too (an empty one)
_SHEET_TAG = re.compile(rb"<" + _PREFIX + rb"sheet\s([^>]*)>")


@dataclass
class _TextRuns:
    """Refuses a text over MAX_XML_TEXT: bytes between two '<' (a cell's value, an attribute), member by member."""

    shown: str
    member: str | None = None
    run: int = 0

    def check(self, member: str, chunk: bytes) -> None:
        if member != self.member:
            self.member, self.run = member, 0
        self.run, over = long_run(chunk, self.run, MAX_XML_TEXT, b"<")
        if over is not None:
            raise InputFileError("workbook_text_too_large", path=self.shown, limit=mib(MAX_XML_TEXT))


def _is_shared_strings(name: str) -> bool:
    return name.replace("\\", "/").lower() == SHARED_STRINGS


def _shared_string_count(data: bytes, shown: str, texts: _TextRuns) -> int:
    """How many strings the shared-string table holds (0 without one; the fewest if several claim the name)."""
    counts: dict[str, int] = {}
    for name, chunk in _members(data, shown, _is_shared_strings):
        if b"!" in chunk:
            _refuse_dtd(chunk, shown)
        texts.check(name, chunk)
        found = len(_SI.findall(chunk)) if b":si" in chunk else chunk.count(b"<si")  # no other element starts so
        counts[name] = counts.get(name, 0) + found
    return min(counts.values(), default=0)


_CELL_OPEN = re.compile(rb"<" + _PREFIX + rb"c[\s/>]")
_SHARED_OPEN = re.compile(rb"<" + _PREFIX + rb'c\s([^>]*?\bt\s*=\s*["\']s["\'][^>]*?)(?<!/)>')
_CELL_END = re.compile(rb"</" + _PREFIX + rb"c>|<" + _PREFIX + rb"c\s[^>]*/>")
_SINGLE_QUOTED_S = re.compile(rb"'s'")  # a regular expression finds these faster than `in` does
_COLON_C = re.compile(rb":c")
MAX_SHARED_CELL = 1 << 20  # a shared-string cell holds an index (and at most a formula): more is not a cell


@dataclass
class _SharedReferences:
    """Finds, piece by piece, a `t="s"` cell whose <v> is not an index into the shared strings.

    Two patterns: `quick` is anchored on the literal `"s"` and passes the layout Excel, WPS,
    LibreOffice and openpyxl write (`t="s"><v>12</v></c>`, the type the last attribute); every
    other cell it stops at is judged by `general` (any attribute order, spaces, prefixes, leading
    zeros, several <v>). A piece with `'s'` in it (single quotes) is searched with `general`
    alone. A cell cut by the end of a piece is carried into the next one, so no cell escapes."""

    data: bytes
    shown: str
    count: int
    member: str | None = None
    carry: bytes = b""

    def __post_init__(self) -> None:
        self.general = _bad_reference(self.count)
        self.quick = re.compile(rb'"s"(?!><v>(?:' + _below(self.count) + rb")</v></c>)")

    def check(self, member: str, chunk: bytes) -> None:
        if member != self.member:
            self.member, self.carry = member, b""
        text = self.carry + chunk if self.carry else chunk
        start = _last_cell_start(text)
        shared = _SHARED_OPEN.match(text, start) is not None
        done = start if shared and not _CELL_END.search(text, start) else len(text)
        self.carry = text[done:]
        opened = _SHARED_OPEN.match(text, done)
        if opened and len(self.carry) > MAX_SHARED_CELL:  # a shared-string cell longer than any: damaged
            raise _bad_shared_string(self.data, self.shown, member, opened, self.count)
        found = self._search(text, done)
        if found:
            raise _bad_shared_string(self.data, self.shown, member, found, self.count)

    def _search(self, text: bytes, end: int) -> re.Match | None:
        if b"'" in text and _SINGLE_QUOTED_S.search(text):
            return self.general.search(text, 0, end)
        position = 0
        while hit := self.quick.search(text, position, end):
            found = self.general.match(text, text.rfind(b"<", 0, hit.start()), end)
            if found:
                return found
            position = hit.end() + 1
        return None


def _last_cell_start(text: bytes) -> int:
    """Where the last cell tag in `text` starts (len(text) when there is none)."""
    if _COLON_C.search(text):  # a prefixed cell (<x:c …>) somewhere: the regular expression, once over the piece
        starts = [match.start() for match in _CELL_OPEN.finditer(text)]
        return starts[-1] if starts else len(text)
    position = len(text)
    while (position := text.rfind(b"<c", 0, position)) >= 0:
        if text[position + 2 : position + 3] in (b" ", b"\t", b"\n", b"\r", b">", b"/"):
            return position
    return len(text)


def _bad_reference(count: int) -> re.Pattern[bytes]:
    """A `t="s"` cell with a <v> that is not an index below `count` (leading zeros allowed, as calamine
    reads them; an empty <v> is an empty cell). One search per piece, no Python work per cell."""
    valid = rb"(?:0*(?:" + _below(count) + rb"))?</" + _PREFIX + rb"v>"
    return re.compile(
        _SHARED_OPEN.pattern + rb"(?:[^<]|<(?!/" + _PREFIX + rb"c>))*?"
        rb"<" + _PREFIX + rb"v(?:\s[^>]*?)?(?<!/)>(?!" + valid + rb")"
    )


def _below(count: int) -> bytes:
    """A regular expression for the numbers 0 .. count - 1, written without leading zeros."""
    if count <= 0:
        return rb"(?!)"
    digits = str(count)
    parts = [rb"0"] + ([rb"[1-9]\d{0,%d}" % (len(digits) - 2)] if len(digits) > 1 else [])
    for i, digit in enumerate(digits):  # same length: a smaller digit after an equal prefix
        low = 1 if i == 0 else 0
        if int(digit) > low:
            parts.append(digits[:i].encode() + rb"[%d-%d]\d{%d}" % (low, int(digit) - 1, len(digits) - i - 1))
    return b"|".join(parts)


def _bad_shared_string(data: bytes, shown: str, member: str, found: re.Match, count: int) -> InputFileError:
    cell = re.search(rb'\br\s*=\s*["\']([^"\']{1,20})["\']', found.group(1))
    end = found.string.find(b"<", found.end(), found.end() + 200)
    value = found.string[found.end() : end if end >= 0 else found.end() + 40]
    return InputFileError(
        "workbook_bad_shared_string",
        path=shown,
        sheet=_sheet_name(data, member),
        cell=cell.group(1).decode("ascii", errors="replace") if cell else "?",
        value=repr(value.decode("utf-8", errors="replace")[:40]),
        count=f"{count:,}",
    )


def _sheet_name(data: bytes, member: str) -> str:
    """The name the workbook gives the sheet stored in `member` (the member's own name when it cannot tell)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            with archive.open(_named(archive, "xl/workbook.xml")) as book_member:
                book = book_member.read(MAX_RELS_BYTES)
            with archive.open(_named(archive, WORKBOOK_RELS)) as rels_member:
                rels = rels_member.read(MAX_RELS_BYTES)
    except (KeyError, *_ZIP_ERRORS):
        return member
    ids = set()
    for match in _RELATIONSHIP.finditer(rels):
        attributes = {key: a or b for key, a, b in _ATTRIBUTE.findall(match.group(1))}
        if _member_path(attributes.get(b"Target", b"")) == member:
            ids.add(attributes.get(b"Id"))
    for match in _SHEET_TAG.finditer(book):
        attributes = {key: a or b for key, a, b in _ATTRIBUTE.findall(match.group(1))}
        if any(key.endswith(b":id") and value in ids for key, value in attributes.items()):
            return html.unescape(attributes.get(b"name", b"").decode("utf-8", errors="replace")) or member
    return member


# --- ODS: repeated rows and columns ---------------------------------------------------------

_ODS_ROW_REPEAT = re.compile(rb'<table:table-row\b[^>]*?number-rows-repeated\s*=\s*["\'](\d+)')
_ODS_REPEAT = re.compile(rb'number-(rows|columns)-repeated\s*=\s*["\'](\d+)')
_ODS_ROW = re.compile(rb'<table:table-row\b[^>]*?number-rows-repeated\s*=\s*["\'](\d+)["\'][^>]*?(/?)>')
_ODS_CELL = re.compile(
    rb'<table:(?:covered-)?table-cell\b[^>]*?number-columns-repeated\s*=\s*["\'](\d+)'
    rb'["\'][^>]*?(/?)>'
)


def check_ods_extent(data: bytes, shown: str) -> None:
    """Refuse repeated rows or cells that carry a value over more than the limits allow.

    LibreOffice writes a sheet's trailing blank area as one row repeated a million times holding
    one empty cell repeated 1024 times; calamine skips those. A value repeated over a million rows
    is what it would really expand (calamine itself stops at 100M cells, 3.2 GB: too late for us).
    """
    rows_before = 0  # rows of the current table in the previous pieces
    texts = _TextRuns(shown)
    for name, chunk in _members(data, shown, _xml_member):
        _refuse_dtd(chunk, shown)
        texts.check(name, chunk)
        repeated = _ODS_REPEAT.search(chunk) is not None
        for match in _ODS_CELL.finditer(chunk) if repeated else ():
            if int(match.group(1)) > MAX_COLUMNS and _ods_has_value(chunk, match, b"table-cell"):
                _check_area(1, int(match.group(1)), shown, _ods_row_at(chunk, match.start(), rows_before))
        for match in _ODS_ROW.finditer(chunk) if repeated else ():
            if int(match.group(1)) > ODS_REPEATED_ROWS and _ods_has_value(chunk, match, b"table-row"):
                _check_area(int(match.group(1)), _ods_row_width(chunk, match), shown)
        rows_before = _ods_row_at(chunk, len(chunk), rows_before)


def _ods_row_at(chunk: bytes, position: int, rows_before: int) -> int:
    """The row number (in its table) of the row open at `position`."""
    table = chunk.rfind(b"<table:table ", 0, position)
    if table >= 0:
        return _ods_rows(chunk[table:position])
    return rows_before + _ods_rows(chunk[:position])


def _ods_rows(xml: bytes) -> int:
    """Rows started in `xml`, repeated rows counted as often as they repeat."""
    repeats = [int(n) for n in _ODS_ROW_REPEAT.findall(xml)]
    return xml.count(b"<table:table-row") + sum(repeats) - len(repeats)


def _ods_body(chunk: bytes, match: re.Match, element: bytes) -> bytes:
    if match.group(2):  # self-closing: nothing inside
        return match.group(0)
    end = chunk.find(b"</table:" + element, match.end())
    return chunk[match.start() : end if end >= 0 else len(chunk)]


def _ods_has_value(chunk: bytes, match: re.Match, element: bytes) -> bool:
    body = _ods_body(chunk, match, element)
    return b"value-type" in body or b"<text:p" in body


def _ods_row_width(chunk: bytes, match: re.Match) -> int:
    """Cells in a row: each <table:table-cell> once, or as often as it says it is repeated."""
    body = _ods_body(chunk, match, b"table-row")
    repeats = [int(n) for n in re.findall(rb'number-columns-repeated\s*=\s*["\'](\d+)', body)]
    return body.count(b"<table:table-cell") + body.count(b"<table:covered-table-cell") + sum(repeats) - len(repeats)


# --- HTML tables ---------------------------------------------------------------------------

_CHARSET = re.compile(rb'<meta[^>]+?charset\s*=\s*["\']?\s*([A-Za-z0-9_.:-]+)', re.IGNORECASE)
_GB_NAMES = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "ms936", "euc-cn", "csgb2312", "gb18030"}


def decode_html(data: bytes, shown: str, encoding: str | None) -> tuple[str, str]:
    """The page as text and the charset used: --encoding, a BOM, the declared charset (GB2312 and
    GBK read as their superset GB18030), UTF-8, then GB18030."""
    declared = _declared_charset(data)
    found = decode_text(data, shown, encoding, [c for c in dict.fromkeys([declared, "utf-8", "gb18030"]) if c])
    if found is None:
        raise InputFileError("undecodable", path=shown, guess=declared or "utf-8")
    return found


def decode_text(data: bytes, shown: str, encoding: str | None, candidates: list[str]) -> tuple[str, str] | None:
    """(text, encoding): the one asked for (an error if it fails), else a BOM's, else the first
    of `candidates` that decodes; None when none does."""
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise InputFileError("bad_encoding", path=shown, encoding=encoding, reason=str(exc)[:120]) from None
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    for name in candidates:
        try:
            return data.decode(name), name
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def _declared_charset(data: bytes) -> str | None:
    match = _CHARSET.search(data[:8192])
    if not match:
        return None
    name = match.group(1).decode("ascii", errors="ignore").lower()
    return "gb18030" if name in _GB_NAMES else name


def read_html(data: bytes, shown: str, encoding: str | None, score: Callable[[list[str]], int]) -> Grid:
    """The export's table from a web page: the best-scoring header, else the table with most rows.

    lxml's HTML parser (libxml2; lxml.etree's, without lxml.html's per-element class lookup, which
    doubles the time on a 100k-row page) never fetches anything and never expands DTD entities.
    """
    from lxml import etree

    if len(data) > MAX_HTML_BYTES:
        raise InputFileError("html_too_large", path=shown, size=mib(len(data)), limit=mib(MAX_HTML_BYTES))
    text, used = decode_html(data, shown, encoding)
    parser = etree.HTMLParser(encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True)
    try:
        document = etree.fromstring(text.encode("utf-8", errors="replace"), parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        document = None
    if document is None:
        raise InputFileError("html_no_table", path=shown)
    for br in document.iter("br"):
        br.tail = " " + (br.tail or "")
    tables = [rows for rows in (_table_rows(t, shown) for t in document.iter("table")) if rows]
    if not tables:
        raise InputFileError("html_no_table", path=shown)
    best = max(tables, key=lambda rows: (_header_score(rows, score), len(rows)))
    _check_cell_lengths(best, shown)
    return Grid(best, 1, None, used, "html")


def _check_cell_lengths(rows: list[list[str]], shown: str) -> None:
    """Refuse a cell over MAX_FIELD_CHARS (the page as a whole is bounded by MAX_HTML_BYTES)."""
    if max(map(len, chain.from_iterable(rows)), default=0) > MAX_FIELD_CHARS:
        number = next(i for i, row in enumerate(rows, start=1) if max(map(len, row), default=0) > MAX_FIELD_CHARS)
        raise InputFileError("html_text_too_large", path=shown, line=number, limit=f"{MAX_FIELD_CHARS:,}")


def _header_score(rows: list[list[str]], score: Callable[[list[str]], int]) -> int:
    return max((score(row) for row in rows[:HEADER_SEARCH_ROWS]), default=0)


def _table_rows(table, shown: str) -> list[list[str]]:
    """The rows of one table (not of tables nested in it), spans expanded so columns line up:
    a colspan leaves the cells it covers blank (as a merged spreadsheet cell does), a rowspan
    repeats its text down (a town or group written once for several rows). Text is the cell's
    text with runs of whitespace (and `<br>`) as one space."""
    trs = table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")
    if len(trs) > MAX_ROWS:
        raise InputFileError("too_many_rows", path=shown, limit=f"{MAX_ROWS:,}")
    pending: dict[int, tuple[int, str]] = {}  # column → (rows still covered, text)
    rows, cells_total = [], 0
    for index, tr in enumerate(trs):
        row: list[str] = []
        for td in tr.iterchildren("td", "th"):
            if pending:
                _fill_pending(row, pending)
            text = " ".join("".join(td.itertext()).split())
            across, down = td.get("colspan"), td.get("rowspan")
            if across is None and down is None:
                row.append(text)
                continue
            _place_spanned(
                row,
                pending,
                text,
                max(1, _span(across, MAX_COLUMNS)),
                _span(down, len(trs) - index) or len(trs) - index,
            )  # rowspan=0: to the end
            if len(row) > MAX_COLUMNS:
                raise InputFileError("too_many_columns", path=shown, line=index + 1, limit=MAX_COLUMNS)
        if pending:
            _fill_pending(row, pending, to_end=True)
        cells_total += len(row)
        if cells_total > MAX_CELLS:
            raise InputFileError(
                "sheet_too_large", path=shown, rows=f"{len(trs):,}", columns=f"{len(row):,}", limit=f"{MAX_CELLS:,}"
            )
        rows.append(row)
    return rows


def _place_spanned(row: list[str], pending: dict[int, tuple[int, str]], text: str, across: int, down: int) -> None:
    for offset in range(across):
        value = text if offset == 0 else ""
        if down > 1:
            pending[len(row)] = (down - 1, value)
        row.append(value)


def _fill_pending(row: list[str], pending: dict[int, tuple[int, str]], to_end: bool = False) -> None:
    """Put the rowspans coming down from above into `row` at its current end (or all of them)."""
    while len(row) in pending or (to_end and pending and max(pending) >= len(row)):
        column = len(row)
        if column not in pending:
            row.append("")
            continue
        left, text = pending[column]
        row.append(text)
        if left > 1:
            pending[column] = (left - 1, text)
        else:
            del pending[column]


def _span(value: str | None, cap: int) -> int:
    """A colspan/rowspan as a number within 0..cap (1 when absent or not a number)."""
    try:
        number = int((value or "1").strip())
    except ValueError:
        return 1
    return max(0, min(number, cap))
