"""The ledgers a computation needs, read once, checked, invalid rows set aside.

Invariants: tables hold valid rows only, values stripped as the checks strip them; a town value
in them is a canonical town name or empty. Town codes (`town_codes`) say which: a town's index in
the plan's list, UNASSIGNED_CODE for an empty town in a ledger whose town is `required: warning`
(inside the district, town not yet known: 未划分区镇), NO_TOWN_CODE for a record that has no town by
design (a district-level output, a ledger without a town field).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipdemo.checks import identity
from ipdemo.checks.screen import day_numbers, screened_day_numbers
from ipdemo.checks.validate import (
    LedgerCheck,
    PieceCheck,
    check_ledger_file,
    check_piece,
    data_dir_problem,
    keys_distinct,
    plain_header,
)
from ipdemo.data import arrays, ledger, records
from ipdemo.data.store import append_mark, backup_path, fingerprint, read_committed, vouched_sha256
from ipdemo.engine import cache, patch
from ipdemo.errors import Problem
from ipdemo.plan.model import LedgerSpec, Plan

# Day numbers as the engine holds them: whole numbers below 2**24 (year 47,900), which 32-bit
# floats hold exactly, with NaN for no date: half the memory of 64-bit ones (4M rows: 16 MB a column).
DAY_TYPE = np.float32
UNASSIGNED_CODE = -1  # town code: inside the district, town not yet known (未划分区镇)
NO_TOWN_CODE = -2  # town code: no town by design (district-level record, ledger without towns)


@dataclass
class Dataset:
    plan: Plan
    tables: dict[str, pa.Table] = field(default_factory=dict)  # valid rows only, string columns
    invalid: dict[str, list[int]] = field(default_factory=dict)  # ledger -> lines left out
    found: list[Problem] = field(default_factory=list)  # problems of ledgers checked just now
    stored: list[cache.StoredProblems] = field(default_factory=list)  # cached ones, read on demand

    _memo: dict = field(default_factory=dict, repr=False)
    _making: dict = field(default_factory=dict, repr=False)  # memo key -> the lock of whoever computes it
    derived: dict = field(default_factory=dict, repr=False)  # engine results kept with the data (progress.facts_of)
    versions: dict[str, int] = field(
        default_factory=dict, repr=False
    )  # ledger → times added: derived results name theirs
    added: dict[str, CheckedLedger] = field(default_factory=dict, repr=False)  # ledger → what add() took in

    def add(self, ledger: str, checked: CheckedLedger) -> None:
        """Take in one checked ledger: its valid rows, the lines left out, its problems. An earlier
        copy of it goes with what was worked out from it (its problems, day numbers, town codes),
        and engine results that name its version are not used again."""
        earlier = self.added.get(ledger)
        if earlier is not None:
            self._drop_problems(earlier)
        self.added[ledger] = checked
        self.tables[ledger], self.invalid[ledger] = checked.rows, checked.invalid_lines
        self.versions[ledger] = self.versions.get(ledger, 0) + 1
        for key in [k for k in self._memo if isinstance(k, tuple) and len(k) > 1 and k[1] == ledger]:
            del self._memo[key]
        if isinstance(checked.problems, cache.StoredProblems):
            self.stored.append(checked.problems)
        else:
            self.found += checked.problems
        self._memo.pop("problems", None)

    def _once(self, key: tuple, make: Callable[[], Any]) -> Any:
        """The value memoised under `key`, made once even when two threads ask for it together
        (progress.py builds two indicators' facts at a time, and both may need one column). An
        array made here is read-only: every indicator that reads it shares it."""
        found = self._memo.get(key)
        if found is not None:
            return found
        with self._making.setdefault(key, threading.Lock()):
            found = self._memo.get(key)
            if found is None:
                found = make()
                if isinstance(found, np.ndarray):
                    found.flags.writeable = False
                self._memo[key] = found
        return found

    def _drop_problems(self, checked: CheckedLedger) -> None:
        if isinstance(checked.problems, cache.StoredProblems):
            self.stored = [s for s in self.stored if s is not checked.problems]
        else:
            gone = {id(p) for p in checked.problems}
            self.found = [p for p in self.found if id(p) not in gone]

    @property
    def screened_days(self) -> dict[str, dict[str, np.ndarray]]:
        """Ledger → date field → day number of each valid row as the screen read it (see `days`)."""
        return {ledger: checked.days for ledger, checked in self.added.items() if checked.days}

    @property
    def problems(self) -> list[Problem]:
        """Every problem, in plan order of the ledgers (cached ones read now, once)."""
        if "problems" not in self._memo:
            self._memo["problems"] = self.found + [p for s in self.stored for p in s.load()]
        return self._memo["problems"]

    def file_problems(self) -> list[Problem]:
        """Errors on no row or on the header (a missing or unreadable ledger): what a report
        must say without reading a million row warnings."""
        found = self.found + [p for s in self.stored for p in s.load(file_level=True)]
        return [p for p in found if p.severity == "error" and (p.line is None or p.line <= 1)]

    def has(self, ledger: str, name: str) -> bool:
        table = self.tables.get(ledger)
        return table is not None and name in table.column_names

    def rows(self, ledger: str) -> int:
        table = self.tables.get(ledger)
        return 0 if table is None else table.num_rows

    def strings(self, ledger: str, name: str) -> pa.ChunkedArray:
        """A ledger column as Arrow strings ('' where the ledger lacks the column); a cached
        dictionary-encoded one decoded once."""
        if not self.has(ledger, name):
            return pa.chunked_array([arrays.strings([""] * self.rows(ledger))])
        column = self.tables[ledger].column(name)
        if not arrays.is_dictionary(column):
            return column
        return self._once(("plain", ledger, name), lambda: arrays.decoded(column))

    def holds(self, ledger: str, name: str, allowed: list[str]) -> np.ndarray:
        """True where the column holds one of `allowed` ('' where the ledger lacks the column);
        a cached dictionary-encoded column is tested once per distinct value, not decoded."""
        if not self.has(ledger, name):
            return np.full(self.rows(ledger), "" in allowed)
        column = self.tables[ledger].column(name)
        if column.null_count:
            column = self.strings(ledger, name)
        value_type = column.type.value_type if arrays.is_dictionary(column) else column.type
        wanted = arrays.strings(allowed, value_type)
        return arrays.per_value(column, lambda values: arrays.to_numpy(pc.is_in(values, value_set=wanted), null=False))

    def column(self, ledger: str, name: str) -> np.ndarray:
        """A ledger column as an object array ('' where the ledger lacks it), computed once."""
        return self._once(("text", ledger, name), lambda: np.array(self.strings(ledger, name).to_pylist(), object))

    def town_codes(self, ledger: str) -> np.ndarray:
        """Each row's town as its index in the plan's town list, computed once; an empty town is
        UNASSIGNED_CODE where the ledger allows it (`unassignable`), else NO_TOWN_CODE.

        Small integers compare far faster than a million Python strings."""
        return self._once(("towns", ledger), lambda: self._town_codes_of(ledger))

    def _town_codes_of(self, ledger: str) -> np.ndarray:
        if not self.has(ledger, "town"):
            return np.full(self.rows(ledger), NO_TOWN_CODE, dtype=np.int32)
        empty = UNASSIGNED_CODE if self.unassignable(ledger) else NO_TOWN_CODE
        towns = self.tables[ledger].column("town")
        return arrays.per_value(towns, lambda values: self._town_codes(values, empty))

    def _town_codes(self, towns: pa.Array | pa.ChunkedArray, empty: int) -> np.ndarray:
        codes = pc.index_in(towns, value_set=arrays.strings(self.plan.town_index.names, towns.type))
        return arrays.to_numpy(codes, null=empty).astype(np.int32)

    def unassignable(self, ledger: str) -> bool:
        """True when an empty town in this ledger means 'inside, town not yet known' (未划分区镇):
        its town field says `required: warning`. Elsewhere an empty town is no town at all."""
        spec = self.plan.ledgers[ledger].fields.get("town")
        return spec is not None and spec.type == "town" and spec.required == "warning"

    def days(self, ledger: str, name: str) -> np.ndarray:
        """A date column as day numbers since 1970 (DAY_TYPE; NaN when empty), parsed once.

        Rows here passed validation, so dates are ISO already: read straight from the bytes, or,
        where the screen read them on the way in, from its day numbers."""
        return self._once(("days", ledger, name), lambda: self._days_of(ledger, name))

    def _days_of(self, ledger: str, name: str) -> np.ndarray:
        checked = self.added.get(ledger)
        screened = checked.days.get(name) if checked is not None else None
        if not self.has(ledger, name):
            return np.full(self.rows(ledger), np.nan, DAY_TYPE)
        if screened is not None:
            return screened_day_numbers(screened, self.strings(ledger, name)).astype(DAY_TYPE)
        # A cached dictionary column: each distinct date is read once.
        return arrays.per_value(self.tables[ledger].column(name), lambda values: day_numbers(values).astype(DAY_TYPE))

    def rows_by(self, ledger: str, end: date) -> int:
        """Valid rows that existed by `end`: the earliest of a row's dates is on or before it.
        A row with no date at all (a register entry) is counted: nothing says it came later."""
        dated = [name for name, spec in self.plan.ledgers[ledger].fields.items() if spec.type == "date"]
        if not dated or self.rows(ledger) == 0:
            return self.rows(ledger)
        with np.errstate(invalid="ignore"):
            earliest = np.fmin.reduce([self.days(ledger, name) for name in dated])
        limit = end.toordinal() - date(1970, 1, 1).toordinal()
        return int(np.count_nonzero(np.isnan(earliest) | (earliest <= limit)))

    @property
    def invalid_count(self) -> int:
        return sum(len(v) for v in self.invalid.values())

    def where_invalid(self, limit: int = 3) -> str:
        """'data/patents.csv 第 12、40 行' style summary of the rows left out."""
        parts = []
        for name, lines in self.invalid.items():
            if lines:
                shown = ", ".join(str(n) for n in lines[:limit]) + (" …" if len(lines) > limit else "")
                parts.append(f"{self.plan.ledger_path(name).name}: {shown}")
        return "; ".join(parts)


def load_dataset(plan: Plan, ledgers: list[str] | None = None) -> Dataset:
    """Every (or the named) ledger, checked; from the cache when the content is unchanged."""
    names = ledgers if ledgers is not None else list(plan.ledgers)
    data = Dataset(plan)
    refused = data_dir_problem(plan)  # data_dir: targets.yaml
    if refused is not None:
        from ipdemo.checks.validate import _empty_table

        data.found.append(refused)
        for name in names:
            data.tables[name], data.invalid[name] = _empty_table(plan.ledgers[name]), []
        return data
    # Ledgers are independent, and the work (Arrow parsing, numpy over whole columns) runs
    # outside the GIL: check them side by side, then gather in plan order.
    with ThreadPoolExecutor(max_workers=min(len(names), os.cpu_count() or 1) or 1) as pool:
        results = list(pool.map(lambda name: checked_ledger(plan, name), names))
    for name, checked in zip(names, results, strict=True):
        data.add(name, checked)
    return data


@dataclass(frozen=True)
class CheckedLedger:
    """One ledger, checked now or taken from the cache."""

    rows: pa.Table  # the valid rows
    problems: list[Problem] | cache.StoredProblems  # from the cache: where to read them
    invalid_lines: list[int]  # lines of the rows left out
    days: dict[str, np.ndarray] = field(default_factory=dict)  # Dataset.screened_days (not cached)


def checked_ledger(plan: Plan, name: str) -> CheckedLedger:
    """The ledger's valid rows and its problems: from the cache when its content is unchanged
    (proved by its stamp, else by its hash), by checking only the tail when rows were appended
    to a cached ledger, else checked now."""
    path = plan.ledger_path(name)
    folder = cache.cache_dir()
    if folder is None:
        streamed = _streamed_now(plan, name, path)
        return streamed if streamed is not None else _checked_whole(plan, name, path)
    where = cache.slot(folder, plan, name, path)
    hit = cache.trusted(where, _stamp(path))
    if hit is not None:
        return _from(hit)
    verified_at = time.time_ns()
    if cache.read_meta(where) is not None:  # a big ledger's entry matched or extended without holding it
        known = _known_by_hash(plan, name, where, verified_at)
        if known is not None:
            return known
    streamed = _streamed_stored(plan, name, where, verified_at)
    if streamed is not None:
        return streamed
    before = _stamp(path)
    content = _content(path)
    if content is None:  # missing, unreadable or too large: check_ledger_file reports it
        return _checked_whole(plan, name, path)
    stamp = before if before is not None and _stamp(path) == before else None
    return _cached(plan, name, where, content, stamp, verified_at)


def _content(path: Path) -> bytes | None:
    try:
        return read_committed(path)  # never a half-written hard-linked ledger
    except OSError:
        return None


def _stamp(path: Path) -> tuple | None:
    """The ledger's fingerprint, or None when it cannot vouch for the content (absent, or
    written in place under its rollback copy right now)."""
    stamp = fingerprint(path)
    if stamp is None or backup_path(Path(os.path.realpath(path))).exists():
        return None
    return stamp


def _checked_whole(plan: Plan, name: str, path: Path) -> CheckedLedger:
    """The ledger read whole and checked now; one over the whole read's cap gets the cap that
    applies to it."""
    size = _size(path)
    if size > ledger.MAX_LEDGER_BYTES:
        error = ledger.too_large_to_read(path, size, identity.applies(plan.ledgers[name]))
        problem = Problem(ledger.display_path(path), 1, None, error.code, params=error.params)
        return CheckedLedger(_empty_rows(plan, name), [problem], [])
    return _checked_now(plan, name, _content(path))


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _empty_rows(plan: Plan, name: str) -> pa.Table:
    from ipdemo.checks.validate import _empty_table

    return _empty_table(plan.ledgers[name])


# --- a big ledger, piece by piece ----------------------------------------------------------

STREAM_WORKERS = 2  # pieces parsed and checked side by side
MAX_TAIL_BYTES = 1 << 26  # an appended tail longer than this is not read alone: the ledger is checked again
AHEAD = 3  # pieces read and not yet gathered, at most: what bounds the memory of a cold check


@dataclass
class Gathered:
    """What a piecewise check keeps of its pieces, in file order. The valid rows go to `rows`
    (a cache entry being written, batch by batch) or, without one, are kept here."""

    rows: cache.EntryWriter | None
    kept: list[pa.Table] = field(default_factory=list)
    days: list[dict[str, np.ndarray]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    invalid_lines: list[int] = field(default_factory=list)
    invalid_rows: list[pa.Table] = field(default_factory=list)
    keys: list[list[pa.ChunkedArray]] = field(default_factory=list)
    key_codes: list[np.ndarray | None] = field(default_factory=list)

    def add(self, piece: PieceCheck) -> None:
        if self.rows is not None:
            self.rows.write(piece.valid_rows)
        else:
            self.kept.append(piece.valid_rows)
            self.days.append(piece.valid_days)
        self.problems += piece.problems
        self.invalid_lines += [int(n) for n in piece.invalid_lines]
        self.invalid_rows.append(piece.invalid_rows)
        self.keys.append(piece.keys)
        self.key_codes.append(piece.key_codes)

    def checked(self) -> CheckedLedger:
        """The result held in memory (no entry written). A piece of blank rows only has no rows
        to screen, hence no dates: it adds none."""
        parts = [d for d in self.days if d]
        days = {name: np.concatenate([d[name] for d in parts]) for name in (parts[0] if parts else {})}
        return CheckedLedger(pa.concat_tables(self.kept), self.problems, self.invalid_lines, days)


def _read_streamed(plan: Plan, name: str, path: Path, gathered: Gathered, hashed: bool) -> ledger.Pieces | None:
    """The ledger checked piece by piece into `gathered` when it is big, records as CSV writes
    them, with a plain header, distinct keys, no `identify` and no write under way, and did not
    change while read: what was read (size, newlines, the stamp before and after, and when
    `hashed` its sha256); else None, and the caller reads it whole (data/ledger.py). The result
    is what the whole read and check_table give (tests/test_cold_stream.py)."""
    before = _stamp(path)
    if (
        before is None
        or not ledger.STREAM_MIN_BYTES <= before[2] <= ledger.MAX_STREAMED_BYTES
        or identity.applies(plan.ledgers[name])
        or append_mark(Path(os.path.realpath(path))).exists()
    ):
        return None
    try:
        read = _checked_pieces(plan, name, path, gathered, hashed)
    except (ledger.NeedsWholeRead, OSError):
        return None
    finally:
        # The pieces' memory, freed by other threads than the ones that took it, stays with the
        # allocator (~200 MB at 1M rows) unless handed back now, before the report counts.
        pa.default_memory_pool().release_unused()
    if not gathered.keys or _stamp(path) != before or read.size != before[2]:
        return None
    if not keys_distinct(plan, name, gathered.keys, gathered.key_codes):
        return None
    read.stamp = before
    return read


def _checked_pieces(plan: Plan, name: str, path: Path, gathered: Gathered, hashed: bool) -> ledger.Pieces:
    """Every piece of the ledger checked (check_piece) and gathered in file order; while two
    are checked on the two cores, the next is read (and hashed)."""
    today = date.today()
    with open(path, "rb") as fh, ThreadPoolExecutor(STREAM_WORKERS) as pool:
        read = ledger.read_header(fh, hashlib.sha256() if hashed else None)
        if not plain_header(plan.ledgers[name], read.header):
            raise ledger.NeedsWholeRead
        pending: deque[Future[PieceCheck]] = deque()
        try:
            for piece in ledger.read_pieces(fh, read):
                pending.append(pool.submit(_check_piece, plan, name, path, read.header, piece, today))
                while len(pending) >= AHEAD:
                    gathered.add(pending.popleft().result())
            while pending:
                gathered.add(pending.popleft().result())
        finally:
            for future in pending:
                future.cancel()
    return read


def _check_piece(plan: Plan, name: str, path: Path, header: list[str], piece: ledger.Piece, today: date) -> PieceCheck:
    arrow, lines = ledger.parse_piece(piece, header)
    return check_piece(plan, name, ledger.Table(path, header, arrow, lines), today)


def _known_by_hash(plan: Plan, name: str, where: cache.Slot, verified_at: int) -> CheckedLedger | None:
    """A big ledger's entry, when its bytes (hashed piece by piece, never held) are those the
    entry covers, or those and an appended tail (read alone, and checked as _cached checks it),
    or those with records an import spliced (the entry patched); None when none of these: the
    ledger is checked again. A ledger whose stamp is its last import's (store.vouched_sha256,
    asked before and after the read) is read for its lines only: its hash is the journal's, and
    the journal says whether the entry's bytes still lead it (`_journals_word`)."""
    path = where.source
    before = _stamp(path)
    if before is None or before[2] < ledger.STREAM_MIN_BYTES or append_mark(Path(os.path.realpath(path))).exists():
        return None
    previous = cache.load(where)
    seen = previous.covered.size if previous is not None else 0
    chain = patch.journal_chain(plan.data_dir, name, previous.covered.sha256) if previous is not None else None
    changed = patch.target(plan, name, previous, chain) if previous is not None else None
    starts = ledger.LineStarts(changed.lines()) if changed is not None else None
    known = vouched_sha256(plan.data_dir, name, path)
    try:
        hashed = ledger.hash_file(path, seen, starts=starts, hashed=known is None)
        if known is not None:
            _journals_word(hashed, known, chain, previous)
        appended = previous if previous is not None and hashed.head == previous.covered.sha256 else None
        parts = _tail_parts(path, seen, hashed.size) if appended is not None else None
        spliced = _spliced_parts(path, changed, starts, hashed) if appended is None else None
    except OSError:
        return None
    if _stamp(path) != before or hashed.size != before[2]:
        return None
    if known is not None and vouched_sha256(plan.data_dir, name, path) != known:
        return None  # an import while it was read
    lines = appended.covered.lines + hashed.newlines_after if appended is not None else hashed.newlines
    covered = cache.Covered(hashed.size, hashed.sha256, lines, list(before), verified_at)
    hit = cache.lookup(where, covered)
    if hit is not None:
        return _from(hit)
    if previous is not None and changed is not None and spliced is not None:
        return _patched(plan, name, where, covered, previous, changed, spliced)
    if appended is None or parts is None:
        return None
    return _extended(plan, name, where, parts, covered, appended)


def _journals_word(hashed: ledger.Hashed, known: str, chain: patch.Chain | None, previous: cache.Entry | None) -> None:
    """hash_file's hashes of a ledger it did not hash, from the journal: the whole file's is the
    vouched one; the entry's bytes lead the file (`head`) when the journal's `chain` links the
    entry's content to it by appends only (an append keeps every byte before it)."""
    hashed.sha256 = known
    if previous is None or hashed.size <= previous.covered.size:
        return
    if chain is not None and chain.after == known and chain.appended_only():
        hashed.head = previous.covered.sha256


def _spliced_parts(
    path: Path, changed: patch.Target | None, starts: ledger.LineStarts | None, hashed: ledger.Hashed
) -> Spliced | None:
    """The header, the changed records' lines and the rows after the entry's (read alone), when
    the ledger's hash is the one the journal's chain ends on and every line was found."""
    if changed is None or starts is None or hashed.sha256 != changed.after or (starts.at < 0).any():
        return None
    with open(path, "rb") as fh:

        def line_at(start: int) -> bytes:
            fh.seek(start)
            return fh.readline(ledger.MAX_LINE_BYTES)

        def rest_from(start: int) -> bytes:
            fh.seek(start)
            return fh.read(hashed.size - start)

        return _spliced(starts.at.tolist(), hashed.size, line_at, rest_from)


def _spliced_in(content: bytes, changed: patch.Target) -> Spliced | None:
    """_spliced_parts for a ledger held in memory."""
    starts = ledger.LineStarts(changed.lines())
    starts.feed(content, 0, 0, records.newlines(content))
    if (starts.at < 0).any():
        return None

    def line_at(start: int) -> bytes:
        return content[start : content.find(b"\n", start) + 1]

    return _spliced(starts.at.tolist(), len(content), line_at, lambda start: content[start:])


def _spliced(
    at: list[int], size: int, line_at: Callable[[int], bytes], rest_from: Callable[[int], bytes]
) -> Spliced | None:
    """The Spliced of a ledger of `size` bytes whose changed lines start at `at` (the last: where
    the rows after the entry's start), read by `line_at` and `rest_from`; None when those rows
    are too many to be worth checking alone."""
    if size - at[-1] > MAX_TAIL_BYTES:
        return None
    return Spliced(line_at(0), [line_at(start) for start in at[:-1]], rest_from(at[-1]))


def _tail_parts(path: Path, start: int, size: int) -> tuple[bytes, bytes, bytes] | None:
    """(the header line, the byte before `start`, the bytes from `start`) for _extended; None when
    the tail is too long to be worth checking alone."""
    if size - start > MAX_TAIL_BYTES:
        return None
    with open(path, "rb") as fh:
        header = fh.readline(ledger.MAX_LINE_BYTES)
        fh.seek(start - 1)
        return header, fh.read(1), fh.read(size - start)


def _streamed_now(plan: Plan, name: str, path: Path) -> CheckedLedger | None:
    gathered = Gathered(None)
    return gathered.checked() if _read_streamed(plan, name, path, gathered, hashed=False) is not None else None


def _streamed_stored(plan: Plan, name: str, where: cache.Slot, verified_at: int) -> CheckedLedger | None:
    """The ledger checked piece by piece, its valid rows written to a new entry as they come;
    the rows handed on are the entry's, memory-mapped (a report touches only the columns it
    counts). None when the ledger must be read whole.

    The entry names the content by its sha256. A ledger whose stamp is its last import's (and
    no write under way: store.vouched_sha256), before and after the read, is not hashed: its
    hash is the journal's, the trust the import places in the stamp (docs/reliability.md)."""
    known = vouched_sha256(plan.data_dir, name, where.source)
    writer = cache.EntryWriter(where)
    gathered = Gathered(writer)
    read = _read_streamed(plan, name, where.source, gathered, hashed=known is None)
    if read is None:
        writer.abort()
        return None
    if read.digest is None and vouched_sha256(plan.data_dir, name, where.source) != known:
        writer.abort()  # an import between the journal's word and the read: what was read is right, its hash unknown
        return _streamed_now(plan, name, where.source)
    sha256 = read.digest.hexdigest() if read.digest is not None else str(known)
    covered = cache.Covered(read.size, sha256, read.newlines, list(read.stamp), verified_at)
    invalid = pa.concat_tables(gathered.invalid_rows)
    keys = _keys(plan.ledgers[name], invalid)
    entry = writer.finish(covered, gathered.problems, gathered.invalid_lines, keys, True)
    if entry is None:  # a cache that cannot be written: the ledger is checked as without one
        return _streamed_now(plan, name, where.source)
    return CheckedLedger(entry.rows, gathered.problems, gathered.invalid_lines)


def _from(entry: cache.Entry) -> CheckedLedger:
    return CheckedLedger(entry.rows, entry.problems, entry.invalid_lines)


def _checked_now(plan: Plan, name: str, content: bytes | None) -> CheckedLedger:
    return _checked(check_ledger_file(plan, name, content))


def _checked(check: LedgerCheck) -> CheckedLedger:
    return CheckedLedger(
        check.valid_rows, check.problems, [int(n) for n in check.table.lines[check.invalid]], check.valid_days
    )


def _cached(
    plan: Plan, name: str, where: cache.Slot, content: bytes, stamp: tuple | None, verified_at: int
) -> CheckedLedger:
    """The entry for this content; else the previous entry extended by an appended tail; else
    the ledger checked now and stored."""
    previous = cache.load(where)
    seen = previous.covered.size if previous is not None else 0
    head, digest = _digests(content, seen)
    appended = previous if previous is not None and head == previous.covered.sha256 else None
    lines = appended.covered.lines + records.newlines(content, seen) if appended else records.newlines(content)
    covered = cache.Covered(len(content), digest, lines, None if stamp is None else list(stamp), verified_at)
    hit = cache.lookup(where, covered)
    if hit is not None:
        return _from(hit)
    if appended is not None:
        end = appended.covered.size
        header = content[: content.find(b"\n") + 1]
        extended = _extended(plan, name, where, (header, content[end - 1 : end], content[end:]), covered, appended)
        if extended is not None:
            return extended
    changed = None
    if previous is not None and appended is None:
        changed = patch.target(plan, name, previous, patch.journal_chain(plan.data_dir, name, previous.covered.sha256))
    if previous is not None and changed is not None and changed.after == digest:
        spliced = _spliced_in(content, changed)
        result = _patched(plan, name, where, covered, previous, changed, spliced) if spliced is not None else None
        if result is not None:
            return result
    check = check_ledger_file(plan, name, content)
    result = _checked(check)
    keys = _keys(plan.ledgers[name], check.table.arrow.filter(arrays.bools(check.invalid)))
    cache.store(where, covered, result.rows, check.problems, result.invalid_lines, keys, not check.table.problems)
    return result


def _digests(content: bytes, size: int) -> tuple[str | None, str]:
    """(sha256 of the first `size` bytes, when there are more; sha256 of all), in one pass."""
    view = memoryview(content)
    digest = hashlib.sha256(view[:size] if 0 < size < len(content) else b"")
    head = digest.hexdigest() if 0 < size < len(content) else None
    digest.update(view[size:] if head is not None else view)
    return head, digest.hexdigest()


MAX_INVALID_KEYS = 10_000  # an entry records the keys of at most this many rows left out


def _keys(spec: LedgerSpec, rows: pa.Table) -> list[str] | None:
    """The keys of `rows` as duplicate_keys compares them (stripped, parts joined), non-empty only;
    None when there are too many to record."""
    if rows.num_rows > MAX_INVALID_KEYS:
        return None
    return _key_array(spec, rows).to_pylist()


def _key_array(spec: LedgerSpec, rows: pa.Table) -> pa.ChunkedArray:
    parts = [pc.utf8_trim_whitespace(arrays.decoded(rows.column(k))) for k in spec.key if k in rows.column_names]
    if len(parts) != len(spec.key) or not rows.num_rows:
        return pa.chunked_array([], type=pa.string())
    keep = pc.and_(*[pc.not_equal(p, "") for p in parts]) if len(parts) > 1 else pc.not_equal(parts[0], "")
    joined = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, arrays.KEY_JOIN)
    return pc.filter(joined, keep)


def _stored_keys(spec: LedgerSpec, rows: pa.Table) -> pa.ChunkedArray:
    """The keys of stored valid rows: already stripped, and a key part left empty matches no key
    of `_key_array` (whose parts are all non-empty), so no pass to strip or filter them."""
    parts = [arrays.decoded(rows.column(k)) for k in spec.key if k in rows.column_names]
    if len(parts) != len(spec.key) or not rows.num_rows:
        return pa.chunked_array([], type=pa.string())
    return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, arrays.KEY_JOIN)


def _extended(
    plan: Plan,
    name: str,
    where: cache.Slot,
    parts: tuple[bytes, bytes, bytes],
    covered: cache.Covered,
    old: cache.Entry,
) -> CheckedLedger | None:
    """The cached entry extended by the rows appended after it, checked alone, when that gives
    what checking the whole ledger would; else None. The tail alone cannot see a duplicate key
    across it and the rows before (any shared key: None), nor a probable duplicate (ledgers with
    `identify` are checked whole), nor a header problem (the entry must have none), nor a ragged
    row (the whole ledger then goes to the exact reader, whose limits differ: neither part may
    have one)."""
    spec = plan.ledgers[name]
    if not old.extendable or identity.applies(spec) or old.invalid_keys is None:
        return None
    header, last, tail = parts  # the header line, the byte before the tail, the tail
    if last != b"\n":
        return None
    if old.problems.load(file_level=True):
        return None
    check = check_ledger_file(plan, name, header + tail)
    if check.table.problems or any(p.line is None or p.line <= 1 for p in check.problems):
        return None
    tail_keys = _key_array(spec, check.table.arrow)
    seen = pa.chunked_array([*_stored_keys(spec, old.rows).chunks, arrays.strings(old.invalid_keys)], type=pa.string())
    if len(tail_keys) and pc.any(pc.is_in(seen, value_set=pc.unique(tail_keys))).as_py():
        return None
    shift = old.covered.lines - 1  # tail line n (the header being line 1) is ledger line n + shift
    problems = [_moved(p, shift) for p in check.problems]
    invalid = [int(n) + shift for n in check.table.lines[check.invalid]]
    keys = _keys(spec, check.table.arrow.filter(arrays.bools(check.invalid)))
    stored = cache.store(where, covered, check.valid_rows, problems, invalid, keys, True, after=old)
    return _from(stored) if stored is not None else None


def _moved(problem: Problem, shift: int) -> Problem:
    """A tail problem with its line numbers (its own, and another row's it names) in the ledger."""
    params = dict(problem.params)
    if isinstance(params.get("other_line"), int):
        params["other_line"] += shift
    return replace(problem, line=None if problem.line is None else problem.line + shift, params=params)


# --- a cached ledger whose records an import changed in place (a splice) -------------------------


@dataclass(frozen=True)
class Spliced:
    """What a patch reads of the ledger now: its header line, the changed records' lines (in file
    order, each with its newline) and every byte after the records the entry covers."""

    header: bytes
    lines: list[bytes]
    tail: bytes


def _patched(
    plan: Plan,
    name: str,
    where: cache.Slot,
    covered: cache.Covered,
    old: cache.Entry,
    changed: patch.Target,
    spliced: Spliced,
) -> CheckedLedger | None:
    """The entry patched: the changed records' lines and the appended rows checked together,
    exactly as the whole ledger's check checks them (check_ledger_file on those lines under the
    header), their problems and lines put where they are in the ledger; None when anything says
    they were not found as the journal says, or need the whole ledger (a key found twice)."""
    spec = plan.ledgers[name]
    k = len(spliced.lines)
    body = b"".join(spliced.lines) + spliced.tail
    if b"\r" in body or not all(line.endswith(b"\n") for line in spliced.lines) or not body.endswith(b"\n"):
        return None
    check = check_ledger_file(plan, name, spliced.header + body)
    records = covered.lines - 1  # one record a line, each ended by its newline
    rows = check.table.arrow.num_rows
    if rows != k + records - changed.records or not _lines_as_read(check, rows):
        return None
    if patch.shown_keys(spec, check.table.arrow.slice(0, k)).to_pylist() != changed.keys:
        return None  # not the records the journal names
    tail = check.table.arrow.slice(k)
    if not _tail_keys_new(spec, old, tail) or not changed.later <= set(patch.shown_keys(spec, tail).to_pylist()):
        return None  # a changed key neither in the entry nor in the rows after it
    real = np.concatenate([changed.rows + 2, np.arange(changed.records + 2, records + 2, dtype=np.int64)])
    entry = cache.patch(where, covered, old, _change(spec, old, changed, check, real))
    return _from(entry) if entry is not None else None


def _lines_as_read(check: LedgerCheck, rows: int) -> bool:
    """One record a line, no problem of the file or header, none naming another row (a key twice)."""
    if check.table.problems or not np.array_equal(check.table.lines, np.arange(2, rows + 2)):
        return False
    return not any(p.line is None or p.line <= 1 or "other_line" in p.params for p in check.problems)


def _tail_keys_new(spec: LedgerSpec, old: cache.Entry, tail: pa.Table) -> bool:
    """No appended row repeats a key of the entry's rows, valid or left out."""
    tail_keys = _key_array(spec, tail)
    if not len(tail_keys):
        return True
    seen = pa.chunked_array([*_stored_keys(spec, old.rows).chunks, arrays.strings(old.invalid_keys or [])], pa.string())
    return not pc.any(pc.is_in(seen, value_set=pc.unique(tail_keys))).as_py()


def _change(
    spec: LedgerSpec, old: cache.Entry, changed: patch.Target, check: LedgerCheck, real: np.ndarray
) -> cache.Patch:
    """The patch for the cache: rows checked again (the first len(changed.keys) of `check`, then
    the appended ones), where they go among the entry's rows, their problems at their lines."""
    k = len(changed.keys)
    valid = ~check.invalid
    index = np.cumsum(valid) - 1  # each checked row's place among the patch's valid rows
    order = np.arange(old.rows.num_rows, dtype=np.int64)
    order[changed.positions] = -1 - index[:k]
    order = np.delete(order, changed.positions[check.invalid[:k]])
    order = np.concatenate([order, -1 - index[k:][valid[k:]]])
    problems = [replace(p, line=int(real[p.line - 2])) for p in check.problems if p.line is not None]
    invalid_lines = sorted(old.invalid_lines + real[check.invalid].tolist())
    keys = _keys(spec, check.table.arrow.filter(arrays.bools(check.invalid)))
    invalid_keys = None if keys is None or old.invalid_keys is None else old.invalid_keys + keys
    if invalid_keys is not None and len(invalid_keys) > MAX_INVALID_KEYS:
        invalid_keys = None
    lines = (changed.rows + 2).tolist()
    return cache.Patch(check.valid_rows, order, problems, lines, invalid_lines, invalid_keys)
