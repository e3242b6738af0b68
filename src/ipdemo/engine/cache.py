"""A cache of checked ledgers, so a report does not parse and validate unchanged CSVs again.

Never stale by construction: an entry names the ledger's *content* (sha256 of its bytes), the
ledger's schema and the town list from targets.yaml, the date bounds, today's date (the 'date in
the future' error depends on it) and the ipdemo version. Anything that could change the result
changes the key.

What an entry is (one per ledger file, `<prefix>-…` in the cache folder):
- a small JSON (`<prefix>-entry.json`, written last, atomically: it alone makes an entry): the
  key, the ledger bytes it covers (size, sha256, newline count), the lines left out, the problem
  count, the file's stamp when its content was last verified, and the segments;
- segments: Arrow IPC files of the valid rows (`<prefix>-<tag>.arrow`) and of their problems as
  columns (`<prefix>-<tag>.problems.arrow`; a million warnings cost a few column buffers, read
  only when someone asks for them). The first segment covers the ledger as it was checked; an
  appended tail of the CSV (an import that only brings new rows) adds one segment instead of
  rewriting the entry (engine/dataset.py decides when a tail may be checked alone). Records an
  import changed in place (a splice) are checked again and stored as one more segment too: the
  JSON's `layout` then lists the entry's rows as runs of the segments' rows (slices, in file
  order: nothing rewritten), and `dropped` the lines whose problems an earlier segment no longer
  gives (engine/patch.py says which records changed). Past MAX_SEGMENTS (or MAX_RUNS runs) the
  entry is written again in one piece.
- Columns with few distinct values are dictionary-encoded (those whose field type repeats:
  dates, towns, kinds, classes — FieldType.repeats —, and any whose first rows repeat); the
  rest stay plain and uncompressed, so a memory-mapped entry costs only the columns a report
  reads. An entry is never larger than the CSV bytes it covers: a segment that would be is
  written zstd-compressed instead (read whole, slower; it happens on ledgers of long unique texts).

The stamp (device, inode, size, mtime, ctime) spares hashing the ledger on every report: when
the file's stamp equals the one recorded at the last verified read, and that read happened more
than RACY_NS after the file's ctime (so a write in the same clock tick could not hide; git's
"racily clean" rule), the content is taken as unchanged. Any write changes ctime (a user cannot
set it), a replacement changes the inode; a ledger written under its rollback copy is never
trusted by stamp. The trade-off: a file changed behind the kernel's back (a network share whose
server clock runs behind) could be missed; IPDEMO_NO_CACHE=1 turns the cache off for such folders.

A damaged entry (unreadable, not Arrow, JSON that parses but lacks keys or has the wrong shapes,
unknown problem codes) is ignored and rebuilt. An entry is never more readable than its ledger
(personal data stays as private as the ledger). Location: $IPDEMO_CACHE_DIR, else
$XDG_CACHE_HOME/ipdemo, else ~/.cache/ipdemo. IPDEMO_NO_CACHE=1 turns it off. A cache that
cannot be written is silently skipped.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipdemo import __version__
from ipdemo.checks.field_types import FIELD_TYPES
from ipdemo.data import arrays
from ipdemo.data.cache_home import cache_dir  # noqa: F401  (engine.cache.cache_dir: where entries go)
from ipdemo.data.ledger import display_path
from ipdemo.errors import Problem
from ipdemo.i18n import MESSAGES
from ipdemo.plan.model import Plan

# Bumped whenever what an entry holds changes meaning (2: Arrow tables, valid values stripped;
# 3: problems as an Arrow table; 4: segments, dictionary-encoded columns, the stamp).
FORMAT = 4
PROBLEM_COLUMNS = ("file", "line", "field", "code", "severity", "params")
MAX_SEGMENTS = 8  # an entry of more tails than this is written again in one piece
RACY_NS = 2_000_000_000  # a stamp is trusted only if verified this long after the file's last change
SAMPLE_ROWS = 4096  # a column is dictionary-encoded when its first rows repeat values…
SAMPLE_SHARE = 8  # …at most one distinct value in this many
# EntryWriter writes batches of at least this many rows: a cold read's piece (4 MiB, ~20k patent
# rows) goes alone; smaller ones are gathered. Gathering 64k rows joined (copied) ~3 pieces and held
# ~25 MB more at 1M rows (cold peak 335 -> 310 MB) for no speed; the entry is as big (+37 KB).
WRITE_ROWS = 1 << 14


class StoredProblems:
    """A cache entry's problems, read from their Arrow files only when asked for. A patched
    entry (`dropped`: per file, the lines a later segment checked again) leaves those lines'
    problems out of the earlier files and gives the rest in line order, as a check gives them."""

    def __init__(self, paths: list[Path], dropped: list[np.ndarray] | None = None):
        self.paths = paths
        self.dropped = dropped

    def _table(self) -> pa.Table:
        tables = []
        for i, path in enumerate(self.paths):
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
            if self.dropped is not None and len(self.dropped[i]):
                gone = np.isin(arrays.to_numpy(table.column("line")), self.dropped[i])
                table = table.filter(arrays.bools(~gone))
            tables.append(table)
        table = pa.concat_tables(tables)
        if self.dropped is None:
            return table
        order = np.argsort(np.maximum(arrays.to_numpy(table.column("line")), 0), kind="stable")
        return table.take(arrays.indices(order))

    def load(self, file_level: bool = False) -> list[Problem]:
        """Every problem, or (file_level) only those on no row or on the header line."""
        table = self._table()
        if file_level:
            table = table.filter(arrays.bools(arrays.to_numpy(table.column("line")) <= 1))
        columns = {name: table.column(name).to_pylist() for name in PROBLEM_COLUMNS}
        return [
            Problem(f, None if ln < 0 else ln, fd or None, c, sv, json.loads(pm) if pm else {})
            for f, ln, fd, c, sv, pm in zip(*(columns[n] for n in PROBLEM_COLUMNS), strict=True)
        ]


def problems_table(problems: list[Problem]) -> pa.Table:
    """Problems as columns (no line: -1; no field: ''); repeated texts dictionary-encoded.
    Built from buffers (arrays.py): building Arrow arrays from Python objects loads pandas."""

    def text(values: list) -> pa.Array:
        return arrays.strings(values).dictionary_encode()

    lines = np.array([-1 if p.line is None else p.line for p in problems], dtype=np.int64)
    return pa.table(
        {
            "file": text([p.file for p in problems]),
            "line": pa.Array.from_buffers(pa.int64(), len(lines), [None, pa.py_buffer(lines)]),
            "field": text([p.field or "" for p in problems]),
            "code": text([p.code for p in problems]),
            "severity": text([p.severity for p in problems]),
            "params": arrays.strings(
                [json.dumps(p.params, ensure_ascii=False, default=str) if p.params else "" for p in problems]
            ),
        }
    )


@dataclass(frozen=True)
class Slot:
    """Where one ledger file's entry lives, and what its content is checked against."""

    folder: Path
    prefix: str  # from the ledger's resolved path: one entry per ledger file
    schema: str  # digest of everything but the content (plan, towns, dates, today, version)
    source: Path  # the ledger (entries copy its permissions)
    repeating: frozenset[str] = frozenset()  # fields whose type repeats (FieldType.repeats): encoded

    @property
    def meta(self) -> Path:
        return self.folder / f"{self.prefix}-entry.json"

    def segment(self, tag: str, problems: bool = False) -> Path:
        return self.folder / f"{self.prefix}-{tag}{'.problems' if problems else ''}.arrow"


def slot(folder: Path, plan: Plan, name: str, path: Path) -> Slot:
    schema = {
        "version": __version__,
        "format": FORMAT,
        "today": date.today().isoformat(),
        "ledger": plan.ledgers[name].model_dump(mode="json"),
        "towns": [t.model_dump(mode="json") for t in plan.towns],
        "dates": plan.dates.model_dump(mode="json"),
        "display": display_path(path),  # cached problems name the file as the user sees it
    }
    prefix = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    digest = hashlib.sha256(json.dumps(schema, sort_keys=True).encode()).hexdigest()[:32]
    return Slot(folder, prefix, digest, path, _repeating(plan, name))


def _repeating(plan: Plan, name: str) -> frozenset[str]:
    """The ledger's fields whose type says its values repeat (an unknown type: not)."""
    fields = plan.ledgers[name].fields.items()
    return frozenset(n for n, spec in fields if spec.type in FIELD_TYPES and FIELD_TYPES[spec.type].repeats)


def entry_key(plan: Plan, name: str, path: Path, content: bytes) -> tuple[str, str]:
    """(prefix for this ledger file, full key for this content and schema)."""
    where = slot(Path("."), plan, name, path)
    return where.prefix, f"{where.prefix}-{where.schema}-{hashlib.sha256(content).hexdigest()[:32]}"


@dataclass(frozen=True)
class Covered:
    """The ledger bytes an entry stands for."""

    size: int
    sha256: str
    lines: int  # newlines in those bytes: the last line number of the covered part
    stamp: list | None  # the file's fingerprint when those bytes were read (None: not trusted)
    verified_at: int  # time.time_ns() just before they were read


@dataclass(frozen=True)
class Entry:
    """A cached ledger check: the valid rows, where the problems are, the lines left out."""

    rows: pa.Table
    problems: StoredProblems
    invalid_lines: list[int]
    covered: Covered
    invalid_keys: list[str] | None  # the keys of the rows left out (None: not recorded)
    segments: list[str]
    problem_count: int
    extendable: bool  # read by the fast CSV reader (no ragged row): a tail may be checked alone
    layout: np.ndarray  # `rows` as runs of the segments' rows: (segment index, first row, rows) each
    patched: bool = False  # rows were checked again in place (a splice): `layout` and `dropped` say how
    dropped: dict[str, list[int]] = field(default_factory=dict)  # segment → its lines checked again later


def read_meta(where: Slot) -> dict | None:
    """The entry's JSON when it is of this format and schema (else None: absent, damaged, stale)."""
    try:
        meta = json.loads(where.meta.read_text(encoding="utf-8"))
        if meta["format"] != FORMAT or meta["schema"] != where.schema:
            return None
        Covered(**meta["covered"])
        return meta
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def trusted(where: Slot, stamp: tuple | None) -> Entry | None:
    """The entry, without reading the ledger, when the ledger's stamp proves it unchanged since
    the entry's content was verified (module docstring)."""
    meta = read_meta(where)
    if meta is None or stamp is None:
        return None
    covered = Covered(**meta["covered"])
    if _racy(covered) or list(stamp) != covered.stamp:
        return None
    return load(where, meta)


def _racy(covered: Covered) -> bool:
    """Whether its stamp cannot vouch for its bytes: none, or the file last changed within
    RACY_NS of their verification (a write in the same clock tick could hide)."""
    return covered.stamp is None or covered.stamp[4] >= covered.verified_at - RACY_NS


def lookup(where: Slot, covered: Covered) -> Entry | None:
    """The entry for exactly these bytes. Its stamp is renewed when the file's changed (touched),
    or when it was verified too soon after the file's last change to be trusted and is now not:
    a report run right after an import (cron) would otherwise leave an entry whose stamp no later
    report trusts, and each would read the ledger again."""
    meta = read_meta(where)
    if meta is None or meta["covered"]["sha256"] != covered.sha256 or meta["covered"]["size"] != covered.size:
        return None
    entry = load(where, meta)
    if entry is None or covered.stamp is None:
        return entry
    if covered.stamp != entry.covered.stamp or (_racy(entry.covered) and not _racy(covered)):
        _write_meta(where, {**meta, "covered": covered.__dict__}, _entry_mode(where.source), [])
    return entry


def load(where: Slot, meta: dict | None = None) -> Entry | None:
    """The entry, or None when it is absent or damaged in any way: it is then rebuilt."""
    meta = meta if meta is not None else read_meta(where)
    if meta is None:
        return None
    try:
        segments = [str(tag) for tag in meta["segments"]]
        tables = [_read(where.segment(tag)) for tag in segments]
        layout = _layout(meta.get("layout"), tables)
        dropped = _dropped(meta.get("dropped"), segments)
        rows = _laid_out(tables, layout) if "layout" in meta else pa.concat_tables(tables)
        problems = [_read(where.segment(tag, problems=True)) for tag in segments]
        invalid = [int(n) for n in meta["invalid_lines"]]
        keys = meta["invalid_keys"]
        extendable = meta["extendable"]
        if (
            not segments
            or any(tuple(p.schema.names) != PROBLEM_COLUMNS or not _known(p) for p in problems)
            or type(meta["problems"]) is not int
            or meta["problems"] != sum(p.num_rows for p in problems)
            or not (keys is None or all(type(k) is str for k in keys))
            or type(extendable) is not bool
        ):
            return None
        covered = Covered(**meta["covered"])
    except (OSError, ValueError, TypeError, KeyError, AttributeError, pa.ArrowException):
        return None
    paths = [where.segment(tag, problems=True) for tag in segments]
    patched = "layout" in meta
    stored = StoredProblems(paths, [np.array(dropped.get(t, []), np.int64) for t in segments] if patched else None)
    return Entry(rows, stored, invalid, covered, keys, segments, meta["problems"], extendable, layout, patched, dropped)


def _layout(raw: object, tables: list[pa.Table]) -> np.ndarray:
    """A patched entry's runs, checked against its segments (ValueError when they do not fit);
    else one run per segment."""
    if raw is None:
        return np.array([[i, 0, t.num_rows] for i, t in enumerate(tables)], dtype=np.int64).reshape(-1, 3)
    runs = np.array(raw, dtype=np.int64).reshape(-1, 3)
    sizes = np.array([t.num_rows for t in tables], dtype=np.int64)
    seg, first, count = runs.T
    if ((seg < 0) | (seg >= len(tables)) | (first < 0) | (count <= 0)).any():
        raise ValueError("a run outside the segments")
    if (first + count > sizes[seg]).any():
        raise ValueError("a run outside the segments")
    return runs


def _dropped(raw: object, segments: list[str]) -> dict[str, list[int]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not set(raw) <= set(segments):
        raise ValueError("dropped lines of unknown segments")
    if any(not isinstance(v, list) or any(type(n) is not int for n in v) for v in raw.values()):
        raise ValueError("dropped lines that are not line numbers")
    return {str(k): list(v) for k, v in raw.items()}


def _laid_out(tables: list[pa.Table], layout: np.ndarray) -> pa.Table:
    """The rows the runs name, in order (slices: nothing is copied; data/arrays.py reads a column
    of many slices a few large pieces at a time)."""
    parts = [tables[s].slice(first, count) for s, first, count in layout.tolist()]
    return pa.concat_tables(parts) if parts else tables[0].slice(0, 0)


def _read(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:  # memory-mapped: a column costs memory when read
        return pa.ipc.open_file(source).read_all()


def _known(problems: pa.Table) -> bool:
    """Every code has a message and every severity is one of the two (else the entry is from
    something else: rebuild it)."""
    codes = set(problems.column("code").unique().to_pylist()) if problems.num_rows else set()
    severities = set(problems.column("severity").unique().to_pylist()) if problems.num_rows else set()
    return codes <= set(MESSAGES) and severities <= {"error", "warning"}


# --- writing ------------------------------------------------------------------------------


def encoded(table: pa.Table, like: pa.Schema | None = None, repeating: frozenset[str] = frozenset()) -> pa.Table:
    """The table with its repetitive columns dictionary-encoded: those `like` encodes, or, without
    `like`, the `repeating` ones (their field type says so) and those whose first SAMPLE_ROWS
    values repeat enough (one distinct in SAMPLE_SHARE)."""
    columns = []
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_dictionary(column.type):
            wanted = True  # encoded already (a patched entry written again)
        elif like is not None:
            wanted = pa.types.is_dictionary(like.field(name).type)
        elif name in repeating:
            wanted = True  # a sample says little of dates: sorted by one, another looks unique
        else:
            head = column.slice(0, SAMPLE_ROWS)
            wanted = len(head) >= 64 and pc.count_distinct(head).as_py() * SAMPLE_SHARE <= len(head)
        columns.append(column.dictionary_encode() if wanted and not pa.types.is_dictionary(column.type) else column)
    return pa.table(columns, names=table.column_names)


def store(
    where: Slot,
    covered: Covered,
    table: pa.Table,
    problems: list[Problem],
    invalid_lines: list[int],
    invalid_keys: list[str] | None,
    extendable: bool,
    after: Entry | None = None,
) -> Entry | None:
    """Write an entry (atomically: segments first, the JSON that names them last), or with
    `after` extend that entry by a segment for an appended tail (`table`, `problems` are the
    tail's; `covered` the whole ledger's). Files are never more readable than the ledger; temp
    files and unreferenced segments are removed. Returns the entry now stored (None if not)."""
    if after is not None and len(after.segments) >= MAX_SEGMENTS:
        # one IPC file holds one dictionary per column: the segments' own ones are unified
        table = pa.concat_tables([after.rows, encoded(table, after.rows.schema)]).unify_dictionaries()
        problems = after.problems.load() + problems
        invalid_lines, invalid_keys = after.invalid_lines + invalid_lines, _joined(after.invalid_keys, invalid_keys)
        after = None
    mode = _entry_mode(where.source)
    written: list[Path] = []
    try:
        where.folder.mkdir(parents=True, exist_ok=True)
        _remove_orphans(where)
        tag = f"{time.time_ns():x}{os.urandom(2).hex()}"
        rows = encoded(table, after.rows.schema if after is not None else None, where.repeating)
        budget = covered.size - (after.covered.size if after is not None else 0)  # the CSV bytes it stands for
        _write_segment(where, tag, rows, problems_table(problems), budget, mode, written)
        segments = [*(after.segments if after is not None else []), tag]
        meta = _meta(
            where,
            covered,
            segments,
            (after.invalid_lines if after is not None else []) + invalid_lines,
            _joined(after.invalid_keys, invalid_keys) if after is not None else invalid_keys,
            len(problems) + (after.problem_count if after is not None else 0),
            extendable,
        )
        if after is not None and after.patched:  # a tail after a patched entry: one more run
            tail = [[len(after.segments), 0, rows.num_rows]] if rows.num_rows else []
            meta.update(layout=after.layout.tolist() + tail, dropped=after.dropped)
        _write_meta(where, meta, mode, written)
    except (OSError, ValueError, pa.ArrowException):
        for path in written:  # a cache is an optimisation: never an error, and never litter
            _remove(path)
        return None
    _sweep(where, segments)
    return load(where)


def _meta(
    where: Slot,
    covered: Covered,
    segments: list[str],
    invalid_lines: list[int],
    invalid_keys: list[str] | None,
    problems: int,
    extendable: bool,
) -> dict:
    """The entry's JSON (read_meta, load)."""
    return {
        "format": FORMAT,
        "schema": where.schema,
        "covered": covered.__dict__,
        "segments": segments,
        "invalid_lines": invalid_lines,
        "invalid_keys": invalid_keys,
        "problems": problems,
        "extendable": extendable,
    }


MAX_RUNS = 1 << 14  # a patched entry of more runs than this is written again in one piece


@dataclass(frozen=True)
class Patch:
    """What a splice changed in an entry's ledger, checked (engine/dataset.py `_patched`): the
    valid rows checked again or appended, in file order (`rows`), and where the entry's rows go.
    `order` lists the new rows: an old row by its position in the entry's rows (≥ 0), a patch
    row k as -1 - k. `lines` are the lines checked again: their old problems no longer hold."""

    rows: pa.Table
    order: np.ndarray
    problems: list[Problem]
    lines: list[int]
    invalid_lines: list[int]  # every line left out, the entry's and the patch's
    invalid_keys: list[str] | None


def patch(where: Slot, covered: Covered, old: Entry, change: Patch) -> Entry | None:
    """The entry patched: one more segment holding the rows checked again, the entry's rows laid
    out around them as runs (slices of the segments: nothing rewritten), the replaced lines'
    problems dropped from the earlier segments. Past MAX_SEGMENTS or MAX_RUNS the entry is
    written again in one piece. None when it could not be stored."""
    runs = _runs(old.layout, change.order, len(old.segments))
    if len(old.segments) >= MAX_SEGMENTS or len(runs) > MAX_RUNS:
        return _rewritten(where, covered, old, change)
    dropped = {tag: sorted(set(old.dropped.get(tag, [])) | set(change.lines)) for tag in old.segments}
    layout = runs.tolist()
    return _stored_segment(where, covered, old, change, {"layout": layout, "dropped": dropped})


def _runs(layout: np.ndarray, order: np.ndarray, segment: int) -> np.ndarray:
    """`order` (Patch.order) as runs of segment rows: old rows through the entry's own runs
    (`layout`), patch rows in the new segment. A run goes on while the next row is the next old
    row of the same old run, or the next patch row; only the runs' first rows are looked up
    (nothing the size of the ledger but a few masks)."""
    if not len(order):
        return np.zeros((0, 3), dtype=np.int64)
    ends = np.cumsum(layout[:, 2])  # where each old run ends among the old rows
    begins = np.zeros((int(ends[-1]) if len(ends) else 0) + 1, dtype=bool)  # an old run starts at this old row
    begins[(ends - layout[:, 2])[layout[:, 2] > 0]] = True
    prev, cur = order[:-1], order[1:]
    old_on = (prev >= 0) & (cur == prev + 1) & ~begins[np.maximum(cur, 0)]
    new_on = (prev < 0) & (cur == prev - 1)
    starts = np.flatnonzero(np.concatenate([[True], ~(old_on | new_on)]))
    counts = np.diff(np.append(starts, len(order)))
    first = order[starts]
    run = np.searchsorted(ends, np.maximum(first, 0), side="right")
    run = np.minimum(run, max(len(layout) - 1, 0))
    is_old = first >= 0
    seg = np.where(is_old, layout[run, 0] if len(layout) else 0, segment)
    row = np.where(is_old, (layout[run, 1] + first - (ends[run] - layout[run, 2])) if len(layout) else 0, -1 - first)
    return np.stack([seg, row, counts], axis=1).astype(np.int64)


def _rewritten(where: Slot, covered: Covered, old: Entry, change: Patch) -> Entry | None:
    """The patched rows written as a new entry of one segment."""
    both = pa.concat_tables(
        [old.rows, encoded(change.rows, old.rows.schema)]
    ).unify_dictionaries()  # one file: one dictionary
    rows = both.take(arrays.indices(np.where(change.order >= 0, change.order, old.rows.num_rows - 1 - change.order)))
    gone = set(change.lines)
    kept = [p for p in old.problems.load() if p.line not in gone]
    problems = sorted(kept + change.problems, key=lambda p: p.line or 0)
    return store(where, covered, rows, problems, change.invalid_lines, change.invalid_keys, old.extendable)


def _stored_segment(where: Slot, covered: Covered, old: Entry, change: Patch, laid: dict) -> Entry | None:
    """The patch's segment written beside the entry's, then the JSON naming them all."""
    mode = _entry_mode(where.source)
    written: list[Path] = []
    tag = f"{time.time_ns():x}{os.urandom(2).hex()}"
    segments = [*old.segments, tag]
    try:
        rows = encoded(change.rows, old.rows.schema)
        _write_segment(where, tag, rows, problems_table(change.problems), covered.size, mode, written)
        problems = old.problem_count + len(change.problems)  # in the files, dropped ones included
        meta = _meta(where, covered, segments, change.invalid_lines, change.invalid_keys, problems, old.extendable)
        meta.update(laid)
        _write_meta(where, meta, mode, written)
    except (OSError, ValueError, pa.ArrowException):
        for path in written:
            _remove(path)
        return None
    _sweep(where, segments)
    return load(where)


class EntryWriter:
    """A new entry of one segment, its rows written batch by batch as they are checked (a cold
    check of a big ledger never holds its whole table), then `finish`ed like `store` writes one:
    the JSON last, atomically. Columns are encoded as `encoded` encodes the first rows given;
    a dictionary column's batches share one growing dictionary (IPC dictionary deltas), so the
    file holds each distinct value once. Until `finish` nothing is visible: `abort` (or a
    failure) removes what was written."""

    def __init__(self, where: Slot):
        self.where = where
        self.mode = _entry_mode(where.source)
        self.tag = f"{time.time_ns():x}{os.urandom(2).hex()}"
        self.written: list[Path] = []
        self.writer: pa.ipc.RecordBatchFileWriter | None = None
        self.sink: pa.OSFile | None = None
        self.dictionaries: dict[str, pa.Array] = {}
        self.schema: pa.Schema | None = None
        self.failed = False
        self.empty: pa.Table | None = None
        self.buffered: list[pa.Table] = []

    def write(self, table: pa.Table) -> None:
        """Append rows (a cache is an optimisation: a failure only makes `finish` give None).
        They are written in batches of at least WRITE_ROWS (but the last): a batch costs its
        metadata and its dictionaries' new values, whatever its size."""
        if self.failed or not table.num_rows:
            self.empty = table if self.empty is None else self.empty  # the columns of an entry of no rows
            return
        self.buffered.append(table)
        if sum(t.num_rows for t in self.buffered) >= WRITE_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.failed or not self.buffered:
            return
        table, self.buffered = pa.concat_tables(self.buffered).combine_chunks(), []
        try:
            if self.writer is None:
                self._open(table)
            assert self.writer is not None
            for batch in table.to_batches():
                self.writer.write_batch(self._encoded(batch))
        except (OSError, ValueError, pa.ArrowException):
            self.failed = True

    def _open(self, table: pa.Table) -> None:
        self.where.folder.mkdir(parents=True, exist_ok=True)
        _remove_orphans(self.where)
        self.schema = encoded(table.slice(0, SAMPLE_ROWS), repeating=self.where.repeating).schema
        self.dictionaries = {f.name: arrays.strings([]) for f in self.schema if pa.types.is_dictionary(f.type)}
        path = self.where.segment(self.tag)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(3).hex()}.tmp")
        self.written.append(tmp)
        _create(tmp, self.mode, self.where.source)
        self.sink = _sink(tmp)
        options = pa.ipc.IpcWriteOptions(emit_dictionary_deltas=True)
        self.writer = pa.ipc.new_file(self.sink, self.schema, options=options)

    def _encoded(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        assert self.schema is not None
        columns = [self._column(name, batch.column(name)) for name in self.schema.names]
        return pa.record_batch(columns, schema=self.schema)

    def _column(self, name: str, values: pa.Array) -> pa.Array:
        """The values as stored: plain, or as indices into the column's dictionary, which grows
        by the values not seen before (in order of appearance)."""
        known = self.dictionaries.get(name)
        if known is None:
            return values
        here = values.dictionary_encode()  # one hash pass over the batch; then only its few values
        where = pc.index_in(here.dictionary, value_set=known)
        if where.null_count:
            known = self.dictionaries[name] = pa.concat_arrays([known, here.dictionary.filter(pc.is_null(where))])
            where = pc.index_in(here.dictionary, value_set=known)
        return pa.DictionaryArray.from_arrays(pc.take(where, here.indices), known)

    def finish(
        self,
        covered: Covered,
        problems: list[Problem],
        invalid_lines: list[int],
        invalid_keys: list[str] | None,
        extendable: bool,
    ) -> Entry | None:
        """The entry, stored (None if it could not be)."""
        self._flush()
        try:
            if self.writer is None and self.empty is not None and not self.failed:
                self._open(self.empty)  # every row was set aside
            if self.failed or self.writer is None or self.sink is None:
                raise ValueError("nothing written")
            self.writer.close()
            self.sink.close()
            rows = self.where.segment(self.tag)
            os.replace(self.written[-1], rows)
            self.written.append(rows)
            self._fit(rows, problems, covered.size)
            meta = _meta(self.where, covered, [self.tag], invalid_lines, invalid_keys, len(problems), extendable)
            _write_meta(self.where, meta, self.mode, self.written)
        except (OSError, ValueError, pa.ArrowException):
            self.abort()
            return None
        _sweep(self.where, [self.tag])
        return load(self.where)

    def _fit(self, rows: Path, problems: list[Problem], budget: int) -> None:
        """The problems' file beside the rows; both zstd-compressed when they outgrow the CSV
        bytes they stand for (as _write_segment does)."""
        where, table = self.where, problems_table(problems)
        size = rows.stat().st_size + _write_arrow(
            where, where.segment(self.tag, True), table, None, self.mode, self.written
        )
        if size > budget:
            _write_arrow(where, rows, _read(rows), "zstd", self.mode, self.written)
            _write_arrow(where, where.segment(self.tag, True), table, "zstd", self.mode, self.written)

    def abort(self) -> None:
        """Nothing of the entry left behind."""
        for closing in (self.writer, self.sink):
            try:
                if closing is not None:
                    closing.close()
            except (OSError, ValueError, pa.ArrowException):
                pass
        for path in self.written:
            _remove(path)


def _joined(first: list[str] | None, second: list[str] | None) -> list[str] | None:
    return None if first is None or second is None else first + second


def _write_segment(
    where: Slot, tag: str, rows: pa.Table, problems: pa.Table, budget: int, mode: int, written: list[Path]
) -> None:
    """The segment's two files; zstd-compressed when plain they would outgrow the CSV bytes they stand for."""
    for compression in (None, "zstd"):
        sizes = [
            _write_arrow(where, where.segment(tag, p), content, compression, mode, written)
            for p, content in ((False, rows), (True, problems))
        ]
        if sum(sizes) <= budget:
            return


def _write_arrow(
    where: Slot, path: Path, table: pa.Table, compression: str | None, mode: int, written: list[Path]
) -> int:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(3).hex()}.tmp")
    written.append(tmp)
    _create(tmp, mode, where.source)
    options = pa.ipc.IpcWriteOptions(compression=compression, emit_dictionary_deltas=True)
    with _sink(tmp) as sink, pa.ipc.new_file(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    os.replace(tmp, path)
    written.append(path)
    return path.stat().st_size


def _write_meta(where: Slot, meta: dict, mode: int, written: list[Path]) -> None:
    tmp = where.folder / f".{where.meta.name}.{os.getpid()}.{os.urandom(3).hex()}.json.tmp"
    written.append(tmp)
    try:
        _create(tmp, mode, where.source)
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(meta, ensure_ascii=False, default=str))
        os.replace(tmp, where.meta)
    except OSError:
        _remove(tmp)
        if written == [tmp]:  # renewing a stamp: nothing else to undo, and never an error
            return
        raise


def _sweep(where: Slot, segments: list[str]) -> None:
    """Drop what the entry no longer names: superseded segments and entries of an older format."""
    keep = {where.meta.name} | {where.segment(t, p).name for t in segments for p in (False, True)}
    for old in where.folder.glob(f"{where.prefix}-*"):
        if old.name not in keep:
            _remove(old)


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _entry_mode(source: Path | None) -> int:
    """The ledger's read/write bits (never execute, never more than the ledger allows)."""
    if source is None:
        return 0o600
    try:
        return stat.S_IMODE(os.stat(source).st_mode) & 0o666 | 0o600
    except OSError:
        return 0o600


def _create(path: Path, mode: int, source: Path | None) -> None:
    """An empty file with at most `mode` (and the umask); group bits only when it has the
    ledger's group (else they would open it to another group)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        st = os.fstat(fd)
        if hasattr(os, "fchmod") and (source is None or st.st_gid != _gid(source)):
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & ~0o070)
    finally:
        os.close(fd)


ORPHAN_AGE_NS = 600 * 10**9  # a temp file unchanged this long was left by a killed run


def _remove_orphans(where: Slot) -> None:
    """The temp files of this entry that a killed run left: those unchanged for ORPHAN_AGE_NS.
    Another report writing the same entry now (two cron jobs, two users) keeps its own: it
    writes as it reads, so its file keeps changing. Before, each run removed every one, and two
    cold reports at once could take each other's entry away (each report stayed right)."""
    now = time.time_ns()
    for orphan in where.folder.glob(f".{where.prefix}-*.tmp"):
        try:
            left = now - orphan.stat().st_mtime_ns > ORPHAN_AGE_NS
        except OSError:
            continue  # gone meanwhile: its run finished it
        if left:
            _remove(orphan)


def _sink(path: Path) -> pa.OSFile:
    """The empty file `_create` made, opened to write without truncating it. On ext4 a file
    truncated and then written is flushed to disk when closed (auto_da_alloc: the guard for
    programs that rewrite a file in place), and a cold report waited for that flush, ~0.2 s per
    500 MB of entry. The cache is never made durable (no fsync): the flush bought no promise, and
    an entry a crash cut short is unreadable, hence rebuilt (`load`)."""
    return pa.OSFile(str(path), "a")


def _gid(path: Path) -> int | None:
    try:
        return os.stat(path).st_gid
    except OSError:
        return None
