"""Read ledger CSVs into string tables that remember each row's line in the file.

Fast path: pyarrow's multi-threaded CSV reader, every column as text, kept as an Arrow table
(pandas is imported only by the code that wants a DataFrame). A file with ragged rows (wrong
field count) is re-read with the csv module, which knows physical line numbers, so every
problem can still name its line. Writing lives in store.py.

A big ledger (STREAM_MIN_BYTES and up) is read in pieces instead (`read_pieces`,
`parse_piece`): each piece ends after a newline, is parsed alone and checked alone, so neither
the file's bytes nor its whole table are ever held at once, and a ledger up to
MAX_STREAMED_BYTES can be read (whole reads stop at MAX_LEDGER_BYTES). Pieces are cut after a
newline outside quoted values (data/records.py), so values quoted as CSV writers quote them (a
comma, a doubled quote, a newline inside) take that way too. A quote out of place or left open,
a lone carriage return, a ragged row, bytes that are not UTF-8 or a header problem raise
NeedsWholeRead, and the caller reads the file whole, where every such case is handled and
worded. A piece's records and lines are those the whole read gives for the same bytes
(tests/test_cold_stream.py).

`find_records` reads a ledger without holding it: the records with given keys and where they
lie, for a file known (by its journal stamp) to be one ipdemo wrote, or verified on the way;
None for anything unusual, and the caller reads the file whole. Its records end where
data/records.py says (a quoted value may hold a newline), as the pieces' do.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipdemo.data import arrays, key_index, records
from ipdemo.data.capped import MAX_FIELD_CHARS, MAX_LINE_BYTES, FileTooLarge, Limits, read_capped
from ipdemo.errors import LedgerError, Problem
from ipdemo.i18n import in_both

if TYPE_CHECKING:
    import pandas as pd

BOM = b"\xef\xbb\xbf"

BLOCK_SIZE = 1 << 23  # CSV parse blocks: 8 MB parsed faster than 16 (benchmarks), and batches stay large
MAX_LEDGER_BYTES = 1 << 30  # read whole: a 1M-row patents ledger is ~200 MB (~5M rows to the cap)
MAX_STREAMED_BYTES = 8 << 30  # read piece by piece (~40M patent rows): the cap of any ledger
STREAM_MIN_BYTES = 1 << 26  # ledgers from this size up are read piece by piece
STREAM_PIECE = 1 << 22  # bytes read per piece (4 MiB, cut after its last newline): at 1M rows 8 MiB
# costs as much time and more memory (peak 280-290 MB at 4 MiB, 316-346 at 8)…
BIG_LEDGER_BYTES = 1 << 29  # …but from 512 MiB (~2.5M patent rows) pieces twice as big (piece_bytes)
LEDGER_LIMITS = Limits(MAX_LEDGER_BYTES, MAX_LINE_BYTES)  # a FIFO or /dev/zero stops here too


@dataclass
class Table:
    """A CSV read as text: header as in the file, one string column each, editor line per row."""

    path: Path
    header: list[str]
    arrow: pa.Table
    lines: np.ndarray
    problems: list[Problem] = field(default_factory=list)

    @cached_property
    def frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame of str columns (for import's merge)."""
        return self.arrow.to_pandas()

    @property
    def display(self) -> str:
        return display_path(self.path)


def display_path(path: Path) -> str:
    """The path as the user would type it: relative to the current folder when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") or rel == "." else rel


def read_table(path: Path, data: bytes | None = None) -> Table:
    """Read a UTF-8 CSV (BOM optional). Raises LedgerError if it is not UTF-8 or unreadable."""
    if data is None:
        data = read_ledger_bytes(path)
    start = len(BOM) if data.startswith(BOM) else 0  # offsets, not slices: no copy of a big file
    shown = display_path(path)
    if start and data.startswith(BOM, start):  # one problem, not "required field empty" on every row
        raise LedgerError("ledger_double_bom", path=shown)
    if not data[start : start + 65536].strip() and not data[start:].strip():
        return Table(path, [], pa.table({}), np.array([], dtype=np.int64), [Problem(shown, 1, None, "empty_file")])
    end_of_header = data.find(b"\n", start)
    try:
        text_head = data[start : end_of_header if end_of_header >= 0 else len(data)].decode("utf-8")
        names, problems = _dedupe(next(csv.reader([text_head.rstrip("\r")]), []), shown)
        arrow, lines, problems_rows = _parse(data, start, names, shown)
    except UnicodeDecodeError:
        raise not_utf8(path, data) from None
    except csv.Error as exc:  # a carriage return inside the header line
        raise LedgerError("ledger_bad_csv", path=shown, line=1, reason=str(exc)) from None
    arrow, lines = _without_blank_lines(arrow, lines)
    return Table(path, names, arrow, lines, problems + problems_rows)


def _parse(data: bytes, start: int, names: list[str], shown: str) -> tuple[pa.Table, np.ndarray, list[Problem]]:
    """The records after the header, and each one's line. Both readers check UTF-8: pyarrow in
    every string column, the exact one (for ragged files) by decoding."""
    body = memoryview(data)[start:]
    quoted = data.find(b'"', start) >= 0  # without any quote, no newline sits inside a value: faster parse
    arrow, lines, ragged = _read_fast(body, names, quoted)
    if ragged:
        return _read_exact(bytes(body), names, shown)
    if quoted and records.newlines(data, start) - (1 if data.endswith(b"\n") else 0) != len(arrow):
        # Quoted newlines inside values: count them to keep editor line numbers exact.
        lines = _lines_with_newlines(arrow)
    return arrow, lines, []


def _without_blank_lines(arrow: pa.Table, lines: np.ndarray) -> tuple[pa.Table, np.ndarray]:
    """Blank lines are not records. A blank line has an empty first field: look closer only there."""
    if not (arrow.num_columns and arrow.num_rows):
        return arrow, lines
    blank = _empty(arrow.column(0))
    if blank.any():
        for column in arrow.columns[1:]:
            blank &= _empty(column)
        if blank.any():
            arrow, lines = arrow.filter(arrays.bools(~blank)), lines[~blank]
    return arrow, lines


def read_ledger_bytes(path: Path) -> bytes:
    """A ledger's bytes under LEDGER_LIMITS; LedgerError when a cap is passed or the file is unreadable."""
    try:
        return read_capped(path, LEDGER_LIMITS)
    except FileTooLarge as exc:
        raise too_large(path, exc) from None
    except OSError as exc:
        raise LedgerError("ledger_unreadable", path=display_path(path), reason=exc.strerror or str(exc)) from None


def too_large(path: Path, exc: FileTooLarge) -> LedgerError:
    limit = f"{exc.limit / (1 << 20):,.0f} MiB"
    if exc.line is None:
        return LedgerError("ledger_too_large", path=display_path(path), limit=limit)
    return LedgerError("ledger_line_too_long", path=display_path(path), line=exc.line, limit=limit)


def _empty(column: pa.ChunkedArray) -> np.ndarray:
    return arrays.lengths(column) == 0


SHOWN_LINES = 5  # lines named when a few of a UTF-8 ledger are not


def not_utf8(path: Path, data: bytes) -> LedgerError:
    """The error for a ledger that is not UTF-8: the lines, when most of it is UTF-8 and only a few
    lines are not (pasted from an old export); else the encoding it looks like, or binary data."""
    from charset_normalizer import from_bytes  # only needed on this error path

    bad = _lines_not_utf8(data)
    if bad is not None:
        more = "…" if len(bad) > SHOWN_LINES else ""
        zh, en = (
            "、".join(str(n) for n in bad[:SHOWN_LINES]) + more,
            ", ".join(str(n) for n in bad[:SHOWN_LINES]) + more,
        )
        return LedgerError(
            "ledger_lines_not_utf8", path=display_path(path), lines=in_both(zh, en), count=len(bad), first_line=bad[0]
        )
    best = from_bytes(data[:200_000]).best()
    if best is None:  # no text encoding fits
        return LedgerError("ledger_binary", path=display_path(path))
    return LedgerError("ledger_not_utf8", path=display_path(path), encoding=best.encoding.upper())


def _lines_not_utf8(data: bytes) -> list[int] | None:
    """The line numbers (1-based) that are not UTF-8, when fewer than half of the lines holding
    non-ASCII text are (the file is UTF-8 but for them); None otherwise."""
    bad: list[int] = []
    wide = 0
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        wide += 1
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
    return bad if bad and len(bad) * 2 < wide else None


def _dedupe(header: list[str], shown: str) -> tuple[list[str], list[Problem]]:
    names: list[str] = []
    problems: list[Problem] = []
    for raw in header:
        name = raw.strip()
        if name in names:
            problems.append(Problem(shown, 1, name, "duplicate_column", params={"column": name}))
            n = 2
            while f"{name}#{n}" in names:
                n += 1
            name = f"{name}#{n}"
        names.append(name)
    return names, problems


def _read_csv(body: bytes | memoryview, names: list[str], quoted: bool, skip: int, threads: bool = True) -> pa.Table:
    """Every column as text, empty values as '' (never null): the one way ledgers are parsed."""
    import pyarrow.csv as pacsv

    return pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(body)),
        read_options=pacsv.ReadOptions(skip_rows=skip, column_names=names, block_size=BLOCK_SIZE, use_threads=threads),
        parse_options=pacsv.ParseOptions(newlines_in_values=quoted, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _read_fast(body: bytes | memoryview, names: list[str], quoted: bool = True) -> tuple[pa.Table, np.ndarray, bool]:
    try:
        table = _read_csv(body, names, quoted, skip=1)
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            raise UnicodeDecodeError("utf-8", b"", 0, 1, str(exc)) from None
        # A ragged row, or anything else pyarrow cannot parse: let the exact reader say where.
        return _string_table(names, []), np.array([], dtype=np.int64), True
    return table, np.arange(2, table.num_rows + 2, dtype=np.int64), False


def _string_table(names: list[str], rows: list[list[str]]) -> pa.Table:
    return pa.table({n: pa.array([r[i] for r in rows], type=pa.string()) for i, n in enumerate(names)})


def _lines_with_newlines(table: pa.Table) -> np.ndarray:
    extra = np.zeros(table.num_rows, dtype=np.int64)
    for column in table.columns:
        extra += arrays.to_numpy(pc.count_substring(column, "\n")).astype(np.int64)
    before = np.concatenate([[0], np.cumsum(extra)[:-1]]) if len(extra) else extra
    return np.arange(2, table.num_rows + 2, dtype=np.int64) + before


def _read_exact(body: bytes, names: list[str], shown: str) -> tuple[pa.Table, np.ndarray, list[Problem]]:
    """Slow path for malformed files: csv module, physical line numbers, ragged rows reported."""
    csv.field_size_limit(MAX_FIELD_CHARS)  # process-wide: the same limit as imports, whoever ran first
    reader = csv.reader(io.StringIO(body.decode("utf-8"), newline=""))
    try:
        return _exact_records(reader, names, shown)
    except csv.Error as exc:
        if str(exc).startswith("field larger than field limit"):
            raise LedgerError(
                "ledger_field_too_large", path=shown, line=reader.line_num, limit=f"{MAX_FIELD_CHARS:,}"
            ) from None
        raise LedgerError("ledger_bad_csv", path=shown, line=reader.line_num, reason=str(exc)) from None


def _exact_records(reader, names: list[str], shown: str) -> tuple[pa.Table, np.ndarray, list[Problem]]:
    next(reader, None)
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    start = reader.line_num + 1
    for record in reader:
        if not record:
            start = reader.line_num + 1
            continue
        if len(record) != len(names):
            problems.append(
                Problem(shown, start, None, "ragged_row", params={"found": len(record), "expected": len(names)})
            )
        else:
            rows.append(record)
            lines.append(start)
        start = reader.line_num + 1
    return _string_table(names, rows), np.array(lines, dtype=np.int64), problems


# --- reading a big ledger piece by piece -------------------------------------------------------


class NeedsWholeRead(Exception):
    """The ledger is not one plain record a line: read it whole (module docstring)."""


@dataclass
class Pieces:
    """A ledger being read piece by piece: its header, and what was read so far (all of it
    hashed, in order, unless the caller knows the hash: `digest` None)."""

    header: list[str]
    size: int  # bytes read, header included
    newlines: int  # newlines in them (the last line number of what was read, less one)
    digest: hashlib._Hash | None = field(repr=False)
    stamp: tuple = ()  # the file's fingerprint, the same before and after the read (set by the caller)


def read_header(fh, digest: hashlib._Hash | None) -> Pieces:
    """The header of a ledger opened for a piecewise read (hashed into `digest`, when one is
    given). NeedsWholeRead unless it is one plain line of distinct, unquoted names."""
    head = fh.readline(MAX_LINE_BYTES)
    if digest is not None:
        digest.update(head)
    text = head[len(BOM) :] if head.startswith(BOM) else head
    if not text.endswith(b"\n") or b'"' in text or b"\r" in text[:-2] or not text.strip() or text.startswith(BOM):
        raise NeedsWholeRead
    try:
        names, problems = _dedupe(next(csv.reader([text.decode("utf-8").rstrip("\r\n")]), []), "")
    except UnicodeDecodeError:
        raise NeedsWholeRead from None
    if problems:
        raise NeedsWholeRead
    return Pieces(names, len(head), 1, digest)


def piece_bytes(size: int) -> int:
    """Bytes read per piece of a ledger of `size` bytes. A big ledger's pieces are twice as big: each
    piece costs the checks' Python work once, whatever its rows, and at 4M rows (807 MB) 8 MiB
    pieces took a cold report from 2.5-2.8 s to 2.3-2.5 s (10M: 6.4-7.8 -> 5.5-5.6 s) in the same
    peak memory; 16 MiB gained nothing more. A small one keeps 4 MiB, where the memory is the
    limit (docs/scale.md, round 8)."""
    return 2 * STREAM_PIECE if size >= BIG_LEDGER_BYTES else STREAM_PIECE


def read_pieces(fh, read: Pieces, piece: int | None = None) -> Iterator[Piece]:
    """The rest of the file in pieces (of `piece` bytes, else piece_bytes of the file's size), each
    cut after its last newline (the last piece may lack one); `read` counts and hashes them on the
    way. A piece is read whole and its cut-off tail read again with the next one: no bytes are
    copied."""
    piece = piece or piece_bytes(os.fstat(fh.fileno()).st_size)
    at = fh.tell()
    while chunk := fh.read(piece):
        cut = records.records_end(chunk) if len(chunk) == piece else len(chunk)
        if not cut:
            if piece >= MAX_LINE_BYTES:
                raise NeedsWholeRead  # the whole read words the long line
            piece *= 2  # one line longer than a piece: read more at once
            fh.seek(at)
            continue
        if read.digest is not None:
            read.digest.update(memoryview(chunk)[:cut])
        read.size += cut
        newlines = records.newlines(chunk, 0, cut)
        yield Piece(chunk, cut, read.newlines + 1, newlines)
        read.newlines += newlines
        at += cut
        if cut < len(chunk):
            fh.seek(at)


@dataclass(frozen=True)
class Piece:
    """Records of a ledger: the first `end` bytes of `data`, the first of them on `first_line`."""

    data: bytes
    end: int
    first_line: int
    newlines: int  # in those bytes


def parse_piece(piece: Piece, names: list[str]) -> tuple[pa.Table, np.ndarray]:
    """A piece's records (blank ones left out) and their lines: what the whole read gives for
    them. NeedsWholeRead when the piece is not records the pieces can judge alone: quotes only
    as CSV writes them (`_record_starts`), no lone carriage return, no ragged row, UTF-8."""
    data, end = piece.data, piece.end
    if data.find(b"\r", 0, end) >= 0 and data.count(b"\r", 0, end) != data.count(b"\r\n", 0, end):
        raise NeedsWholeRead  # a lone carriage return ends a record without a newline
    quoted = data.find(b'"', 0, end) >= 0
    try:
        arrow = _read_csv(memoryview(data)[:end], names, quoted=quoted, skip=0, threads=False)
    except pa.ArrowInvalid:
        raise NeedsWholeRead from None  # a ragged row, or not UTF-8
    if quoted:
        starts = _record_starts(np.frombuffer(data, dtype=np.uint8, count=end))
    else:
        starts = np.arange(piece.newlines + (0 if data[end - 1 : end] == b"\n" else 1), dtype=np.int64)
    if arrow.num_rows != len(starts):
        raise NeedsWholeRead
    return _without_blank_lines(arrow, piece.first_line + starts)


def _record_starts(arr: np.ndarray) -> np.ndarray:
    """The line (0 for the first) on which each record of `arr` starts (records.ending);
    NeedsWholeRead unless every quote is where CSV puts one."""
    found = records.ending(arr)
    if found is None:
        raise NeedsWholeRead  # a stray quote or a value left open: the whole read judges it
    starts = np.concatenate([[0], np.flatnonzero(found[1]) + 1]).astype(np.int64)
    return starts if len(arr) and arr[-1] != 10 else starts[:-1]


@dataclass
class Hashed:
    """A file hashed piece by piece: its size, sha256 and newlines; the sha256 of its first
    `split` bytes (when it has more: `head`) and the newlines after them."""

    size: int = 0
    head: str | None = None
    sha256: str = ""
    newlines: int = 0
    newlines_after: int = 0


def hash_file(
    path: Path, split: int, piece: int | None = None, starts: LineStarts | None = None, hashed: bool = True
) -> Hashed:
    """The file's Hashed, read in pieces (none is held after it is hashed); with `starts`, where
    its lines start is noted on the way. Not `hashed`: only its size and newlines (no sha256)."""
    piece = piece or STREAM_PIECE
    digest, out = hashlib.sha256() if hashed else None, Hashed()
    with open(path, "rb") as fh:
        while chunk := fh.read(min(piece, split - out.size) if out.size < split else piece):
            if digest is not None:
                if out.size == split > 0 and out.head is None:  # the first bytes past `split`
                    out.head = digest.hexdigest()
                digest.update(chunk)
            newlines = records.newlines(chunk)
            if starts is not None:
                starts.feed(chunk, out.size, out.newlines, newlines)
            out.newlines += newlines
            out.newlines_after += newlines if out.size >= split else 0
            out.size += len(chunk)
    out.sha256 = digest.hexdigest() if digest is not None else ""
    return out


class LineStarts:
    """Where given lines of a file start (line 1 at byte 0), noted from the file's bytes as they
    are read in any pieces: line n starts after the (n-1)-th newline. Only a piece holding one of
    those newlines is searched (numpy); the others are only counted."""

    def __init__(self, lines: np.ndarray):
        self.lines = np.asarray(lines, dtype=np.int64)  # sorted, 1-based
        self.at = np.full(len(self.lines), -1, dtype=np.int64)  # -1: not (yet) found
        self.at[self.lines == 1] = 0

    def feed(self, chunk: bytes, offset: int, before: int, newlines: int) -> None:
        """`chunk` starts at byte `offset`, after `before` newlines, and holds `newlines`."""
        first, last = np.searchsorted(self.lines - 1, [before + 1, before + newlines + 1])
        if first == last:
            return
        ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
        self.at[first:last] = offset + ends[self.lines[first:last] - 2 - before] + 1


def too_large_to_read(path: Path, size: int, always_whole: bool = False) -> LedgerError:
    """A ledger over MAX_STREAMED_BYTES, or over MAX_LEDGER_BYTES and one the pieces cannot
    judge: for what it holds, or (`always_whole`) for what the plan asks of it (`identify`
    compares every record with every other), which no edit of its lines changes."""
    if size > MAX_STREAMED_BYTES:
        code, limit = "ledger_over_any_cap", MAX_STREAMED_BYTES
    else:
        code, limit = ("ledger_too_large_identify" if always_whole else "ledger_too_large_whole"), MAX_LEDGER_BYTES
    shown = f"{size / (1 << 20):,.1f} MiB"
    return LedgerError(code, path=display_path(path), size=shown, limit=f"{limit / (1 << 20):,.0f} MiB")


# --- finding records by key, without holding the file -----------------------------------------

SCAN_BLOCK = 1 << 22  # newlines are counted 4 MiB at a time (cache-sized): memory stays flat


@dataclass
class Found:
    """The records of a ledger whose key is among the wanted ones: their values, and where each
    lies in the file ([start, end), its newline included)."""

    header: list[str]
    rows: list[list[str]]
    spans: list[tuple[int, int]]
    size: int  # the file's size when read
    ends_with_newline: bool
    numbers: list[int] = field(default_factory=list)  # each record's row (0: the first after the header)
    index: key_index.KeyIndex | None = None  # the file's key index, loaded or built by the scan
    sha256: str = ""  # the file's hash, when the scan verified it (find_records' `verify`)


class _NotLines(Exception):
    """The file is not as ipdemo writes a ledger: read it whole instead."""


def find_records(
    path: Path,
    key: list[str],
    wanted: set[tuple[str, ...]],
    index_folder: Path | None = None,
    sha256: str = "",
    verify: bool = False,
) -> Found | None:
    """The records of `path` whose key holds one of `wanted`, without holding the file.

    With a key index of this content (key_index.load: `sha256` is the file's verified hash) only
    the proposed lines are read. Else, a key in the leading columns: one scan of the file, which
    builds the index (Found.index). Else two passes: pyarrow streams the key columns and says
    which rows hold a wanted key; then the newlines are counted block by block (numpy) to find
    those rows' lines, which the csv module parses. None — read the file whole — when the file
    is not records as ipdemo writes them (a stray quote in a value over several lines, a blank
    line, a carriage return, a ragged or undecodable line) or a wanted key is stored twice. A
    record is a line, or several when a quoted value holds a newline (records.ends); the key
    in other than the leading columns is found by counting records: newlines, or, when a value
    holds one, the newlines outside quoted values (`_locate_records`). The caller
    has proved the file unchanged since it was read whole (store.verified_sha256); or asks to
    `verify` it: then every record is proved whole, with the header's field count, the
    file valid UTF-8 and no key stored twice, its sha256 computed on the way (Found.sha256), and
    anything else gives None."""
    try:
        with open(path, "rb") as fh:
            head = fh.readline(MAX_LINE_BYTES)
            found = Found(_header_of(head, key), [], [], os.fstat(fh.fileno()).st_size, True)
            if verify and not _streamable(fh):
                return None  # the whole read says why (not a file, over the cap)
            leading = found.header[: len(key)] == key
            index = key_index.load(index_folder, path, sha256, found.size, found.header, len(key)) if leading else None
            if index is not None and not verify:
                _from_index(fh, index, key, wanted, found)
            elif leading:
                _Prefixes(fh, len(head), key, wanted, found, head if verify else None).scan()
            elif verify:
                return None
            else:
                over_lines = _records_as_csv_writes_them(fh, len(head))
                rows = _rows_holding(path, found.header, key, wanted, over_lines)
                (_locate_records if over_lines else _locate)(fh, len(head), rows, found)
                _holding_wanted(found, key, wanted)
    except (OSError, ValueError, csv.Error, pa.ArrowException, _NotLines):
        return None  # UnicodeDecodeError is a ValueError
    return found


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


class _Prefixes:
    """A key in the leading columns: a record holds a wanted key when it starts with the key's
    bytes and a comma. One pass over the file, block by block (cut where a record ends): where its
    records end (records.ends), then per wanted key length a fingerprint of each record's first
    bytes (numpy); records whose fingerprint is wanted, and records with a quote, are parsed (csv
    module) and compared exactly. ("Line" below is a record's bytes, over one line or several.)"""

    def __init__(
        self, fh, offset: int, key: list[str], wanted: set[tuple[str, ...]], found: Found, head: bytes | None = None
    ):
        prefixes = [",".join(k).encode("utf-8") for k in wanted]
        if any(c in p for p in prefixes for c in b'"\r\n') or any("," in v for k in wanted for v in k):
            raise _NotLines  # a key that would be quoted: its line does not start with its bytes
        self.fh, self.offset, self.width, self.found = fh, offset, len(key), found
        self.wanted = wanted
        self.seen: set[tuple[str, ...]] = set()
        self.row = 0  # rows before the block
        self.fps: list[np.ndarray] | None = []  # the index being built (None: the file is not indexable)
        self.lengths: list[np.ndarray] = []
        self.digest = None if head is None else hashlib.sha256(head)  # verifying: every line checked
        self.stray = True  # the block may hold a quote not where CSV puts one (then lines are parsed twice)
        self.targets = {
            n: np.unique(_prefix_fingerprints(*_laid_out([p for p in prefixes if len(p) == n]), n))
            for n in {len(p) for p in prefixes}
        }

    def scan(self) -> None:
        from concurrent.futures import Future, ThreadPoolExecutor

        self.fh.seek(self.offset)
        carry, at = b"", self.offset
        with ThreadPoolExecutor(1) as hasher:  # verifying: the hash on the other core (hashlib lets the GIL go)
            hashed: Future | None = None
            for chunk in iter(lambda: self.fh.read(SCAN_BLOCK), b""):
                if self.digest is not None:
                    if hashed is not None:
                        hashed.result()  # in order, and at most two blocks held
                    hashed = hasher.submit(self.digest.update, chunk)
                block = carry + chunk
                cut = records.records_end(block)
                if not cut and len(block) > MAX_LINE_BYTES:
                    raise _NotLines
                carry = block[cut:]
                if cut:
                    self._block(block[:cut], at, cut)
                    at += cut
            if hashed is not None:
                hashed.result()
        if carry:
            self.found.ends_with_newline = False
            self._block(carry + b"\n", at, len(carry))
        if self.fps is not None:
            fp = np.concatenate(self.fps) if self.fps else np.array([], dtype=np.uint64)
            lengths = np.concatenate(self.lengths) if self.lengths else np.array([], dtype=np.uint32)
            self.found.index = key_index.KeyIndex(fp, lengths, self.offset, self.found.header, self.width)
        if self.digest is not None:
            self._verified()

    def _verified(self) -> None:
        """Verifying: no key twice (two equal fingerprints send the file to the whole read, which
        says which key), and the hash of what was read."""
        index = self.found.index
        if index is None:
            raise _NotLines
        ordered = np.sort(index.fp)  # (a sort: numpy's hashing unique is several times slower here)
        if (ordered[1:] == ordered[:-1]).any():
            raise _NotLines
        if self.fh.tell() != self.found.size:
            raise _NotLines  # it grew while it was read
        self.found.sha256 = self.digest.hexdigest() if self.digest is not None else ""

    def _block(self, block: bytes, at: int, size: int) -> None:
        if block.find(b"\r") >= 0:
            raise _NotLines
        arr = np.frombuffer(block, dtype=np.uint8)
        ends = records.ends(arr)  # a record may hold newlines inside a quoted value
        if ends is None:
            raise _NotLines  # a stray quote: the whole read judges it
        starts = np.concatenate([[0], ends[:-1] + 1])
        blank = starts >= ends  # not a record to the whole read: the rows after it are numbered without it
        if blank.any():
            self.fps = None  # nor an entry of the index
        if (arr[starts[~blank]] == 44).any():
            raise _NotLines  # an empty first field: maybe a row of empty values, which the whole read leaves out
        hit = np.zeros(len(starts), dtype=bool)
        for n, targets in self.targets.items():
            room = np.flatnonzero(starts + n < ends)
            room = room[arr[starts[room] + n] == 44]  # a comma right after the n bytes
            hit[room[np.isin(_prefix_fingerprints(arr, starts[room], n), targets)]] = True
        if block.find(b'"') >= 0:  # a line with a quote may hide its key: parsed exactly
            hit[np.unique(np.searchsorted(ends, np.flatnonzero(arr == 34)))] = True
            self.stray = records.ending(arr) is None
        self._index(arr, starts, ends, size)
        if self.digest is not None:
            _check_lines(block, arr, starts, ends, len(self.found.header))
        before = np.cumsum(~blank) - 1  # each record's number in the block
        for i in np.flatnonzero(hit):
            self._line(
                block[starts[i] : ends[i]],
                at + int(starts[i]),
                at + min(int(ends[i]) + 1, size),
                self.row + int(before[i]),
            )
        self.row += int((~blank).sum())

    def _index(self, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray, size: int) -> None:
        if self.fps is None:
            return
        try:
            self.fps.append(key_index.line_keys(arr, starts, ends, self.width, len(self.found.header)))
        except key_index.NotIndexable:
            self.fps = None
            return
        self.lengths.append((np.minimum(ends + 1, size) - starts).astype(np.uint32))

    def _line(self, line: bytes, start: int, end: int, row: int = -1) -> None:
        text = line.decode("utf-8")
        if text.count('"') % 2:  # a value that goes on on the next line
            raise _NotLines
        record = next(csv.reader([text]), [])
        if not any(record):
            raise _NotLines  # a row of empty values ("",""): the whole read leaves it out, and numbers on without it
        if self.stray and '"' in text and _left_open(text, record):
            raise _NotLines  # a stray quote fooled the count: the whole read reads on past this newline
        if self.digest is not None and len(record) != len(self.found.header):
            raise _NotLines  # verifying: a ragged line
        key = tuple(record[: self.width])
        if key not in self.wanted:
            return
        if key in self.seen or len(record) != len(self.found.header):
            raise _NotLines  # a key twice, a ragged line: the whole read says so
        self.seen.add(key)
        self.found.rows.append(record)
        self.found.spans.append((start, end))
        self.found.numbers.append(int(row))


def _left_open(text: str, record: list[str]) -> bool:
    """Whether the record's last value is a quoted one still open where its bytes end: then a
    reader of the whole file takes the newline after it, and the lines after, into that value
    (a stray quote before it made the quotes' count even, so records.ends took the line as whole)."""
    return list(csv.reader(io.StringIO(text + "\n", newline=""))) != [record]


def _streamable(fh) -> bool:
    """A regular file within the cap of a ledger read in pieces (a FIFO or a device is not)."""
    st = os.fstat(fh.fileno())
    return stat.S_ISREG(st.st_mode) and st.st_size <= MAX_STREAMED_BYTES


def _check_lines(block: bytes, arr: np.ndarray, starts: np.ndarray, ends: np.ndarray, columns: int) -> None:
    """Verifying a block of whole lines: valid UTF-8, no blank line, and every line without a
    quote holds the header's number of fields (lines with one are parsed, by _line)."""
    if not arrays.valid_utf8(block):
        raise _NotLines  # the whole read says where and what it looks like
    if (starts >= ends).any() or (ends - starts).max(initial=0) > MAX_LINE_BYTES:
        raise _NotLines  # a blank line, a line over the cap
    commas = np.flatnonzero(arr == 44)
    counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
    if block.find(b'"') >= 0:
        quotes = np.flatnonzero(arr == 34)
        plain = np.searchsorted(quotes, ends) == np.searchsorted(quotes, starts)
        counts = counts[plain]
    if (counts != columns - 1).any():
        raise _NotLines


def _from_index(fh, index: key_index.KeyIndex, key: list[str], wanted: set[tuple[str, ...]], found: Found) -> None:
    """The wanted records by the index: the proposed lines read and compared exactly (as the scan's)."""
    lines = _Prefixes(fh, index.first, key, wanted, found)  # refuses keys that would be quoted
    rows = index.rows_with(np.unique(key_index.key_fingerprints([",".join(k).encode("utf-8") for k in wanted])))
    starts, lengths = index.starts(rows), index.lengths[rows].astype(np.int64)
    found.ends_with_newline = _ends_with_newline(fh, found.size)
    last = len(index.lengths) - 1
    for row, start, length in zip(rows.tolist(), starts.tolist(), lengths.tolist()):
        fh.seek(start)
        line = fh.read(length)
        if row < last or found.ends_with_newline:
            if not line.endswith(b"\n"):
                raise _NotLines  # the index does not describe this file
            line = line[:-1]
        if b"\r" in line:
            raise _NotLines
        lines._line(line, start, start + length, row)  # a newline only inside a quoted value
    found.index = index


def _laid_out(prefixes: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Byte strings of one length in one buffer, and where each starts."""
    n = len(prefixes[0]) if prefixes else 0
    return np.frombuffer(b"".join(prefixes) or b"\0", dtype=np.uint8), np.arange(len(prefixes), dtype=np.int64) * n


def _prefix_fingerprints(arr: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """The first and last (up to) 8 of the n bytes at each start, mixed into 64 bits."""
    width = min(n, 8)
    step = np.arange(width, dtype=np.int64)
    head = np.zeros((len(starts), 8), dtype=np.uint8)
    tail = np.zeros((len(starts), 8), dtype=np.uint8)
    head[:, :width] = arr[starts[:, None] + step]
    tail[:, :width] = arr[starts[:, None] + (n - width) + step]
    first, last = head.view(np.uint64).ravel(), tail.view(np.uint64).ravel()
    return first * _MIX[0] ^ last * _MIX[1]


def _header_of(head: bytes, key: list[str]) -> list[str]:
    text = head[len(BOM) :] if head.startswith(BOM) else head
    if not text.endswith(b"\n") or b"\r" in text:
        raise _NotLines
    header, problems = _dedupe(next(csv.reader([text[:-1].decode("utf-8")]), []), "")
    if problems or any(k not in header for k in key):
        raise _NotLines
    return header


def _rows_holding(
    path: Path, header: list[str], key: list[str], wanted: set[tuple[str, ...]], over_lines: bool = False
) -> np.ndarray:
    """The rows (0 = the first after the header) holding a wanted key, in file order; `over_lines`:
    a quoted value may hold a newline (else such a value is a ragged row, an error)."""
    import pyarrow.csv as pacsv

    value_set = pa.array(sorted(arrays.KEY_JOIN.join(k) for k in wanted), type=pa.string())
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(skip_rows=1, column_names=header, block_size=BLOCK_SIZE),
        # a blank line: a ragged row, an error (_records_as_csv_writes_them refused it already)
        parse_options=pacsv.ParseOptions(newlines_in_values=over_lines, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            include_columns=key,
            column_types={k: pa.string() for k in key},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    rows, keys, seen = [], [], 0
    for batch in reader:
        joined = batch.column(0) if len(key) == 1 else pc.binary_join_element_wise(*batch.columns, arrays.KEY_JOIN)
        hit = arrays.to_numpy(pc.is_in(joined, value_set=value_set)).astype(bool)
        rows.append(np.flatnonzero(hit) + seen)
        keys += joined.filter(arrays.bools(hit)).to_pylist()
        seen += batch.num_rows
    if len(set(keys)) != len(keys):
        raise _NotLines  # a key twice: the whole read says so
    return np.concatenate(rows) if rows else np.array([], dtype=np.int64)


def _records_as_csv_writes_them(fh, offset: int) -> bool:
    """Whether a quoted value holds a newline (a record over several lines) in the records from
    `offset`; _NotLines unless every quote is where CSV puts one (records.ending) and no line is
    blank: _rows_holding and the locating count records, which a stray quote (taken by readers as
    opening a value or not) or a blank line (a row to pyarrow, none to the whole read) would set
    apart from the records the whole read sees. Blocks without a quote pass at memchr speed."""
    fh.seek(offset)
    carry, over_lines = b"", False
    for chunk in iter(lambda: fh.read(SCAN_BLOCK), b""):
        block = carry + chunk
        cut = records.records_end(block)
        over_lines |= _judged(block[:cut])
        carry = block[cut:]
        if len(carry) > MAX_LINE_BYTES:
            raise _NotLines  # the whole read words the long line
    return _judged(carry + b"\n" if carry else carry) or over_lines


def _judged(block: bytes) -> bool:
    """Whether a quoted value in `block` (records, each with its newline) holds a newline;
    _NotLines for a stray quote, a blank line or a carriage return (a lone one ends a row to
    pyarrow and none to the count; as the leading-key scan, such a file is read whole)."""
    if block.find(b"\r") >= 0:
        raise _NotLines
    if block.find(b'"') < 0:
        if block.startswith(b",") or block.find(b"\n,") >= 0:
            raise _NotLines  # an empty first field: maybe a row of empty values
        if block.startswith(b"\n") or block.find(b"\n\n") >= 0:
            raise _NotLines  # a blank line
        return False
    arr = np.frombuffer(block, dtype=np.uint8)
    found = records.ending(arr)
    if found is None:
        raise _NotLines  # a stray quote, or a value left open
    newlines, ends_record = found
    ends = newlines[ends_record]
    if len(ends) and (ends[0] == 0 or (np.diff(ends) == 1).any()):
        raise _NotLines  # a blank line between records (one inside a quoted value is its text)
    starts = np.concatenate([[0], ends + 1])
    starts = starts[starts < len(arr)]
    if (arr[starts] == 44).any():  # only where a record starts: a value's line may start with one
        raise _NotLines  # an empty first field: maybe a row of empty values
    starts = starts[starts + 2 < len(arr)]
    if ((arr[starts] == 34) & (arr[starts + 1] == 34) & ((arr[starts + 2] == 44) | (arr[starts + 2] == 10))).any():
        raise _NotLines  # an empty quoted first field: maybe a row of empty values ("","")
    return not bool(ends_record.all())


def _holding_wanted(found: Found, key: list[str], wanted: set[tuple[str, ...]]) -> None:
    """_NotLines unless each located line holds a wanted key, each a different one: a line count
    gone astray sends the file to the whole read, never another record to the splice."""
    at = [found.header.index(k) for k in key]
    keys = [tuple(row[i] for i in at) for row in found.rows]
    if any(k not in wanted for k in keys) or len(set(keys)) != len(keys):
        raise _NotLines


def _take_rows(fh, found: Found, rows: np.ndarray, nxt: int, seen: int, last: int, ends: np.ndarray) -> int:
    """Take the wanted rows from rows[nxt] on that end at `ends` (the next records' last bytes,
    `seen` records before them, the one before ending at `last`); the index of the next row left."""
    while nxt < len(rows) and rows[nxt] < seen + len(ends):
        k = int(rows[nxt]) - seen
        _take_line(fh, found, (int(ends[k - 1]) if k else last) + 1, int(ends[k]) + 1, int(rows[nxt]))
        nxt += 1
    return nxt


def _all_reached(fh, rows: np.ndarray, found: Found) -> None:
    if len(found.rows) != len(rows):
        raise _NotLines  # a row the count never reached: missed, it would be added a second time
    found.ends_with_newline = _ends_with_newline(fh, found.size)


def _locate(fh, offset: int, rows: np.ndarray, found: Found) -> None:
    """The lines of `rows` (one record a line from `offset`), found by counting newlines: row r
    ends at the r-th newline after the header."""
    fh.seek(offset)
    seen, last, at, nxt = 0, offset - 1, offset, 0  # newlines so far, the last one, where the block starts
    while nxt < len(rows):
        block = fh.read(SCAN_BLOCK)
        if not block:  # the last line may lack its newline
            if int(rows[nxt]) != seen or at == last + 1:
                raise _NotLines
            _take_line(fh, found, last + 1, at, int(rows[nxt]))
            break
        count = records.newlines(block)
        if rows[nxt] >= seen + count:
            seen, at = seen + count, at + len(block)
            last = at - len(block) + block.rfind(b"\n") if block.rfind(b"\n") >= 0 else last
            continue
        ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10) + at
        nxt = _take_rows(fh, found, rows, nxt, seen, last, ends)
        seen, last, at = seen + len(ends), int(ends[-1]) if len(ends) else last, at + len(block)
    _all_reached(fh, rows, found)


def _locate_records(fh, offset: int, rows: np.ndarray, found: Found) -> None:
    """_locate for records that may span lines (checked by _records_as_csv_writes_them): row r
    ends at the r-th newline outside quoted values, counted block by block, each block cut after
    its last record (records.records_end)."""
    fh.seek(offset)
    seen, last, at, nxt, carry = 0, offset - 1, offset, 0, b""  # records so far, the last one's end, where carry starts
    while nxt < len(rows):
        chunk = fh.read(SCAN_BLOCK)
        block = carry + chunk
        if not chunk:  # the last record may lack its newline
            if int(rows[nxt]) != seen or not block:
                raise _NotLines
            _take_line(fh, found, last + 1, at + len(block), int(rows[nxt]))
            break
        cut = records.records_end(block)
        if len(block) - cut > MAX_LINE_BYTES:
            raise _NotLines
        carry = block[cut:]
        if not cut:
            continue
        ends = records.ends(np.frombuffer(block, dtype=np.uint8, count=cut))
        if ends is None:
            raise _NotLines
        ends = ends + at
        nxt = _take_rows(fh, found, rows, nxt, seen, last, ends)
        seen, last, at = seen + len(ends), int(ends[-1]) if len(ends) else last, at + cut
    _all_reached(fh, rows, found)


def _take_line(fh, found: Found, start: int, end: int, row: int) -> None:
    back = fh.tell()  # the scan reads on from there
    fh.seek(start)
    line = fh.read(end - start).removesuffix(b"\n")
    fh.seek(back)
    if b"\r" in line:
        raise _NotLines
    record = next(csv.reader([line.decode("utf-8")]), [])
    if len(record) != len(found.header) or not any(record):
        raise _NotLines  # ragged, or a row of empty values (which the whole read leaves out)
    found.rows.append(record)
    found.spans.append((start, end))
    found.numbers.append(row)


def _ends_with_newline(fh, size: int) -> bool:
    fh.seek(max(size - 1, 0))
    return fh.read(1) in (b"\n", b"")
