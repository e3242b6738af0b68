"""Import exports into a ledger: prepare each file, merge by key, check, write safely.

The order matters for safety and for correct checks:
1. read and prepare every source (incoming.py: map headers, normalise, fold publications, set
   aside other offices and outside-the-district rows, place towns) outside the lock;
2. under the data-folder lock, re-read the ledger and merge: an incoming empty value never
   blanks a stored one, and a value set by a newer export is never replaced by an older one;
3. check the *merged* rows with the same rules as `validate` (a row is judged as it would be
   stored), naming the source row as the user's spreadsheet numbers it;
4. any invalid row: nothing is written (or, with skip_invalid, the good rows are and the bad ones
   go to a reject file); else journal first, then replace the ledger atomically. Organisations
   placed by address or credit code are then added to the enterprise register.

_land runs steps 2-4 for one ledger as named stages: _join, _place, _newer_wins, _check_stage,
_apply_stage, _journal. The counts it reports have one name each (ImportResult.counts), the same
in the JSON and in the journal.

An import costs the rows it brings, not the ledger: a ledger whose size and mtime are the stamp
of its last journal entry is what that import wrote, so _place reads only the records with the
incoming keys (ledger.find_records) and _journal writes only what changed: new rows appended,
changed rows spliced into a copy renamed over the ledger, nothing when nothing changed (Write).
A ledger with any other stamp (edited by hand, never written by ipdemo) is read whole, checked
and, when it changes, written whole, as before.

Files given together for one ledger are joined on its key before the merge (basic information
plus owners; two exports of the same records): where they disagree, the newer export wins.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from ipdemo.checks import identity
from ipdemo.checks.evidence import written_problems
from ipdemo.checks.validate import check_frame
from ipdemo.data import arrays, key_index, store
from ipdemo.data.cache_home import cache_dir
from ipdemo.data.ledger import BOM, Found, display_path, find_records, read_table
from ipdemo.data.store import append_journal, atomic_write_bytes, data_lock, sha256_bytes, verified_sha256
from ipdemo.errors import LedgerError, Problem, RowsRejected, UsageError
from ipdemo.ingest.incoming import (
    HOW,
    LOCATED,
    OWN_COLUMNS,
    REASON,
    REASON_COLUMN,
    ROW_COLUMN,
    Prepared,
    choose_ledger,
    header_key,
    header_score,
    header_table,
    parse_sets,
    prepare,
)
from ipdemo.ingest.provenance import set_on, value_dates
from ipdemo.ingest.sources import Source, read_source
from ipdemo.plan.model import LedgerSpec, Plan

if TYPE_CHECKING:
    from ipdemo.ingest.placement import Placed, Register


@dataclass
class Change:
    key: str
    field: str
    old: str
    new: str


@dataclass
class Kept:
    """An incoming value not applied because a newer export set the stored one."""

    key: str
    field: str
    stored: str
    incoming: str
    stored_on: str  # the export date of the stored value


# The counts (ImportResult.counts) an import's journal entry records, under the same keys as the
# JSON: engine/summary.py and ingest/provenance.py read them back from old entries too.
JOURNAL_COUNTS = ("added", "updated", "unchanged", "rejected", "outside", "other_office", "held")


@dataclass
class ImportResult:
    ledger: str
    source: str
    sha256: str
    encoding: str | None
    sheet: str | None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    new_keys: list[str] = field(default_factory=list)
    reject_file: str | None = None
    dry_run: bool = False
    written: bool = False
    exported_on: str | None = None
    exported_how: str | None = None
    folded_publications: int = 0  # publication rows folded into one record per application
    other_office: int = 0  # another patent office's numbers: skipped
    outside: int = 0  # outside the district: skipped
    held: int = 0  # cannot be placed: written to held_file to complete
    held_file: str | None = None
    suggested: int = 0  # held rows written with a suggested town (建议区镇) for the clerk to confirm
    unassigned: int = 0  # inside the district, town not known: imported with an empty town
    recognised: int = 0  # rows found to be a stored record under another identity (two sources)
    same_record: int = 0  # rows of this import that were one record (a trainee signing twice)
    skipped_rows: list[dict] = field(default_factory=list)  # totals and footers of the sheet
    kept_newer: list[Kept] = field(default_factory=list)
    register_added: int = 0
    register_conflicts: list[dict] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    choices: list[dict] = field(default_factory=list)  # per source: which ledger and why (Choice.as_dict)
    set_over: list[dict] = field(default_factory=list)  # --set values that replaced a column of a file
    unused_columns: list[str] = field(default_factory=list)  # headers the ledger does not read

    @property
    def transfers(self) -> list[Change]:
        return [c for c in self.changes if c.field in self._identity]

    _identity: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """Every count of the import under the one name users read it by: the key of the JSON
        (README documents them) and, for JOURNAL_COUNTS, of the journal entry."""
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "outside": self.outside,
            "other_office": self.other_office,
            "held": self.held,
            "suggested": self.suggested,
            "unassigned": self.unassigned,
            "folded_publications": self.folded_publications,
            "recognised": self.recognised,
            "same_record": self.same_record,
        }

    def as_dict(self, lang: str = "zh", personal: tuple[str, ...] = ()) -> dict:
        def change(c: Change) -> dict:
            hidden = c.field in personal
            return {
                "key": c.key,
                "field": c.field,
                "old": "***" if hidden else c.old,
                "new": "***" if hidden else c.new,
            }

        counts = self.counts()
        journaled = {key: counts.pop(key) for key in JOURNAL_COUNTS}
        return {
            "ledger": self.ledger,
            "source": self.source,
            "sources": self.sources,
            "sha256": self.sha256,
            "encoding": self.encoding,
            "sheet": self.sheet,
            "exported_on": self.exported_on,
            "exported_on_from": self.exported_how,
            **journaled,
            "held_file": self.held_file,
            **counts,
            "skipped_rows": self.skipped_rows,
            "dry_run": self.dry_run,
            "written": self.written,
            "ledger_chosen": self.choices[0] if len(self.choices) == 1 else self.choices,
            "set_over_columns": self.set_over,
            "unused_columns": self.unused_columns,
            "reject_file": self.reject_file,
            "transfers": [change(c) for c in self.transfers],
            "kept_newer": [k.__dict__ for k in self.kept_newer],
            "register": {"added": self.register_added, "conflicts": self.register_conflicts},
            "errors": [p.as_dict(lang) for p in self.errors],
            "warnings": [p.as_dict(lang) for p in self.warnings],
            "changes": [change(c) for c in self.changes],
        }


# --- merging -------------------------------------------------------------------------------


def keys_of(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    out = frame[key[0]].astype("str")
    for k in key[1:]:
        out = out + arrays.KEY_JOIN + frame[k].astype("str")
    return out


def merge(stored: pd.DataFrame, incoming: pd.DataFrame, spec: LedgerSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """Incoming rows as they would be stored (empty incoming → stored value), and the stored row
    each matches (-1 for a new key)."""
    index = pd.Index(keys_of(stored, spec.key))  # unique: _stored refuses a ledger with duplicates
    where = index.get_indexer(keys_of(incoming, spec.key))
    merged = incoming.copy()
    matched = where >= 0
    if matched.any():
        for name in spec.fields:
            if name not in stored.columns:
                continue
            old = _take(stored[name], where[matched])  # only the matched rows leave Arrow
            column = merged[name].to_numpy(dtype=object)
            sub = column[matched]
            empty = sub == ""
            sub[empty] = old[empty]
            column[matched] = sub
            merged[name] = pd.Series(column, dtype="str")
    return merged, where


def _take(column: pd.Series, positions: np.ndarray) -> np.ndarray:
    return column.take(positions).to_numpy(dtype=object)


def apply(
    stored: pd.DataFrame, merged: pd.DataFrame, where: np.ndarray, spec: LedgerSpec, order: list[str]
) -> tuple[pd.DataFrame, list[Change], list[str], int]:
    """The new ledger (row order kept, new rows appended), the changes, the new keys, unchanged count."""
    table = stored.reindex(columns=order, fill_value="")
    changes: list[Change] = []
    matched = np.flatnonzero(where >= 0)
    shown = keys_of(merged, spec.key).str.replace(arrays.KEY_JOIN, "/", regex=False)  # keys as the journal writes them
    keys = shown.take(matched).to_numpy(dtype=object)  # of the matched rows only: a first import has none
    changed_rows = np.zeros(len(merged), dtype=bool)
    for name in spec.fields:
        new = _take(merged[name], matched)  # only the matched rows leave Arrow (none on a first import)
        old = _take(table[name], where[matched])
        diff = new != old
        if not diff.any():
            continue
        for j in np.flatnonzero(diff):
            changes.append(Change(keys[j], name, old[j], new[j]))
        changed_rows[matched[diff]] = True
        column = table[name].to_numpy(dtype=object)  # only columns that really change are copied
        column[where[matched[diff]]] = new[diff]
        table[name] = pd.Series(column, dtype="str", index=table.index)
    fresh = np.flatnonzero(where < 0)
    # A key new to the ledger but repeated in the file is an error caught by the checks, so the
    # fresh rows here are distinct.
    if len(fresh):
        extra = merged.iloc[fresh].reindex(columns=order, fill_value="")
        table = pd.concat([table, extra.astype("str")], ignore_index=True)
    unchanged = len(matched) - int(changed_rows[matched].sum())
    return table, changes, shown.take(fresh).tolist(), unchanged


def serialise(table: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, LF, minimal quoting (as Python's csv module): what Excel opens and git
    diffs well. Arrow kernels do the work; only columns holding a quote, comma or newline are
    quoted value by value."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(list(table.columns))
    head = BOM + header.getvalue().encode("utf-8")
    if not len(table):
        return head
    columns, quoting = _cells(table)
    if not quoting:  # the common case: Arrow's multi-threaded writer, nothing to quote
        out = io.BytesIO()
        out.write(head)  # one buffer: a big ledger is not copied once more to put its header first
        arrow = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
        pacsv.write_csv(arrow, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))
        return out.getvalue()
    return head + _join_lines(_lines(columns)) + b"\n"


def serialise_rows(table: pd.DataFrame) -> list[bytes]:
    """Each row as serialise writes it (its newline included): lines to splice into a ledger or
    append to it."""
    if not len(table):
        return []
    columns, _ = _cells(table)
    return [line.encode("utf-8") + b"\n" for line in _lines(columns).to_pylist()]


def _cells(table: pd.DataFrame) -> tuple[list, bool]:
    """Each column as Arrow text, quoted where a value holds a quote, comma or newline; and
    whether any was."""
    import pyarrow as pa
    import pyarrow.compute as pc

    columns, quoting = [], False
    for name in table.columns:
        values = pc.fill_null(pa.array(table[name], type=pa.string()), "")
        special = pc.match_substring_regex(values, r'[",\r\n]')
        if pc.any(special).as_py():
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
            values, quoting = pc.if_else(special, quoted, values), True
        columns.append(values)
    return columns, quoting


def _lines(columns: list):
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = pc.binary_join_element_wise(*columns, ",") if len(columns) > 1 else columns[0]
    return lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines


def _join_lines(lines) -> bytes:
    import pyarrow as pa
    import pyarrow.compute as pc

    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "\n")
    return joined.cast(pa.binary())[0].as_py()


# --- the whole import ----------------------------------------------------------------------


@dataclass
class Options:
    """What the user asked of one `ipdemo import`."""

    ledger: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    sets: dict[str, str] = field(default_factory=dict)  # --set FIELD=VALUE: a constant column
    exported_on: date | None = None
    dry_run: bool = False
    skip_invalid: bool = False
    lock_timeout: float | None = None
    lang: str = "zh"  # the language of the reasons in the files written beside the import
    guarded: tuple[Path, ...] = ()  # folders evidence is never taken from (the ledger cache)


def import_files(plan: Plan, paths: list[Path], options: Options) -> list[ImportResult]:
    """Every file prepared first (nothing is written if one cannot be read), then one import per
    ledger: files for the same ledger are joined on its key. What `ipdemo import` prints: the
    warnings include the evidence values written that the archive will refuse."""
    if options.ledger is not None and options.ledger not in plan.ledgers:
        raise UsageError("unknown_ledger_option", ledger=options.ledger, known=", ".join(plan.ledgers))
    register = LazyRegister(plan) if plan.placement.register_ledger is not None else None
    groups: dict[str, list[Prepared]] = {}
    for path in paths:
        source = read_source(path, header_score(plan, options.ledger), options.sheet, options.encoding)
        choice = choose_ledger(plan, source.header, path.name, options.sets, options.ledger)
        name = choice.ledger
        sets = parse_sets(plan, name, options.sets)
        lookup = register if name != plan.placement.register_ledger else None
        prepared = prepare(plan, name, source, sets, options.exported_on, lookup)
        prepared.choice = choice
        groups.setdefault(name, []).append(prepared)
    if len(groups) > 1 and not options.dry_run and not options.skip_invalid:
        # Files for several ledgers: all or nothing across them too. Every ledger is checked
        # first (a dry run raises on any invalid row) before the first one is written.
        trial = dataclasses.replace(options, dry_run=True)
        for name, group in groups.items():
            _land(plan, name, group, trial)
    results = [_land(plan, name, group, options) for name, group in groups.items()]
    for result in results:  # the cells are kept as written; evidence the archive will refuse is flagged
        result.warnings += _evidence_warnings(plan, result, options.guarded)
    return results


def _evidence_warnings(plan: Plan, result: ImportResult, guarded: tuple[Path, ...]) -> list[Problem]:
    """Evidence values of the records this import wrote that the archive will not hold (refused
    or missing), as validate words them."""
    if not result.written:
        return []
    return written_problems(plan, result.ledger, [*result.new_keys, *(c.key for c in result.changes)], guarded)


def load_register(plan: Plan):
    """The enterprise register as a lookup, or None when the plan has none."""
    name = plan.placement.register_ledger
    if name is None:
        return None
    from ipdemo.ingest.placement import Register

    stored, _ = _stored(plan, name, plan.ledger_path(name))
    return Register.from_frame(plan, stored)


@dataclass
class LazyRegister:
    """The enterprise register, read from its ledger the first time a row needs it: an export
    whose every row names its town (the weekly one) never reads it (0.1 s of every import)."""

    plan: Plan
    loaded: Register | None = None

    def lookup(self, names: pd.Series, codes: pd.Series | None = None) -> Placed:
        if self.loaded is None:
            self.loaded = load_register(self.plan)
        return self.loaded.lookup(names, codes)


@dataclass
class Joined:
    """The rows of every source for one ledger, one row per key across files."""

    frame: pd.DataFrame
    origin: np.ndarray  # which source each row came from (its first appearance)
    lines: np.ndarray  # that source's row number
    exported: np.ndarray  # ISO export date of the newest source that gave the row
    located: np.ndarray | None = None  # placement note: inside / outside / '' (unknown)
    reasons: np.ndarray | None = None  # why an unknown row could not be placed
    how: np.ndarray | None = None  # where the town came from: town (the file's column), address…

    def subset(self, mask: np.ndarray) -> Joined:
        def part(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[mask]

        return Joined(
            self.frame[mask].reset_index(drop=True),
            self.origin[mask],
            self.lines[mask],
            self.exported[mask],
            part(self.located),
            part(self.reasons),
            part(self.how),
        )


def join_sources(spec: LedgerSpec, group: list[Prepared]) -> Joined:
    """Rows of several files joined on the key: per field the newest export's non-empty value.
    A key repeated inside one file is not joined: the checks report it as a duplicate."""
    joined = _joined(spec, group)
    if LOCATED in joined.frame.columns:
        joined.located = joined.frame.pop(LOCATED).to_numpy(dtype=object)
        joined.reasons = joined.frame.pop(REASON).to_numpy(dtype=object)
        joined.how = joined.frame.pop(HOW).to_numpy(dtype=object)
    return joined


def _joined(spec: LedgerSpec, group: list[Prepared]) -> Joined:
    if len(group) == 1:
        p = group[0]
        return Joined(
            p.frame.copy(),
            np.zeros(len(p.frame), dtype=np.int64),
            p.rows,
            np.full(len(p.frame), p.exported.iso(), dtype=object),
        )
    parts = []
    for i, p in enumerate(group):
        part = p.frame.copy()
        part["__origin"], part["__line"], part["__date"] = i, p.rows, p.exported.iso()
        part["__position"] = np.arange(len(part)) + sum(len(q.frame) for q in group[:i])
        parts.append(part)
    rows = pd.concat(parts, ignore_index=True)
    fields = [c for c in rows.columns if not c.startswith("__") or c in (LOCATED, REASON, HOW)]
    rows[fields] = rows[fields].fillna("")
    rows["__key"] = keys_of(rows, spec.key)
    repeated = rows.duplicated(["__key", "__origin"], keep=False).to_numpy()
    join = rows[~repeated].sort_values("__date", kind="stable")
    grouped = join.replace({f: {"": np.nan} for f in fields}).groupby("__key", sort=False)
    joined = grouped[fields].last()
    joined["__position"] = grouped["__position"].min()
    joined["__date"] = grouped["__date"].max()
    first = join.sort_values("__position").drop_duplicates("__key").set_index("__key")
    joined["__origin"], joined["__line"] = first["__origin"], first["__line"]
    joined = joined.reset_index(drop=True)
    alone = rows[repeated][fields + ["__position", "__date", "__origin", "__line"]]
    out = pd.concat([joined, alone], ignore_index=True).sort_values("__position", kind="stable")
    frame = out[fields].fillna("").astype("str").reset_index(drop=True)
    return Joined(
        frame,
        out["__origin"].to_numpy(dtype=np.int64),
        out["__line"].to_numpy(dtype=np.int64),
        out["__date"].to_numpy(dtype=object),
    )


@dataclass
class Landing:
    """The incoming rows placed against the stored ledger (under the lock): what the later stages
    read. merged: the rows as they would be stored; where: the stored row each matches (-1: new)."""

    stored: pd.DataFrame
    order: list[str]  # the stored column order (new fields after it)
    joined: Joined
    merged: pd.DataFrame
    where: np.ndarray
    unplaced: np.ndarray  # new rows that cannot be placed: held for the clerk
    found: Found | None = None  # stored holds only the records with incoming keys (see _read_stored)
    verified: str | None = None  # the ledger's sha256 when its stamp proves it (store.verified_sha256)
    prefix: store.PrefixHash | None = None  # the ledger's hash under way: the write's before_sha256


@dataclass
class Checked:
    """What the check stage decided: the problems that are errors, the invalid rows, and the
    source rows they came from."""

    errors: list[Problem]
    invalid: np.ndarray
    rejected_lines: set[tuple[str, int]]


@dataclass
class Applied:
    """The ledger as it will be written, the stored values this export confirms, and the held
    rows per source (row numbers and reasons)."""

    table: pd.DataFrame
    confirmed: dict
    held: dict[int, tuple[np.ndarray, list[str]]]


def _land(plan: Plan, name: str, group: list[Prepared], options: Options) -> ImportResult:
    """One ledger's import in stages: join the sources, place them against the stored ledger,
    let newer exports win, check, apply; then (not on a dry run) journal and write."""
    spec = plan.ledgers[name]
    joined, result = _join(spec, name, group, options)
    # A dry run only reads, so it takes no lock and creates no lock file.
    ledgers = [plan.ledger_path(n) for n in plan.ledgers]  # fingerprinted wherever they lie
    with nullcontext() if options.dry_run else data_lock(plan.data_dir, _lock_timeout(options), ledgers):
        lookup = _lookup(plan, spec, name, joined.frame)
        early = None if options.dry_run else _hash_from_now(lookup)
        try:
            landing = _place(plan, spec, name, joined, result, lookup)
        except BaseException:
            if early is not None:
                early.cancel()
            raise
        if not options.dry_run:
            landing.prefix = _prefix_of(lookup.path, landing.found, early)
        try:
            return _landed(plan, name, spec, group, landing, result, options)
        finally:
            if landing.prefix is not None:
                landing.prefix.cancel()


def _landed(
    plan: Plan,
    name: str,
    spec: LedgerSpec,
    group: list[Prepared],
    landing: Landing,
    result: ImportResult,
    options: Options,
) -> ImportResult:
    """Stages 3 to 6, under the lock, once the rows are placed."""
    _newer_wins(plan, name, spec, landing, result)
    checked = _check_stage(plan, name, spec, landing, group, result, options)
    applied = _apply_stage(spec, landing, checked, result)
    teaches = any(p.learn is not None and len(p.learn) for p in group)  # else the register is not even read
    if options.dry_run:
        if teaches:
            _preview_register(plan, group, result, checked.rejected_lines)
        return result
    _journal(plan, name, spec, group, landing, checked, applied, result, options)
    if teaches:
        _update_register(plan, group, result, checked.rejected_lines)
    return result


def _lock_timeout(options: Options) -> float:
    if options.lock_timeout is not None:
        return options.lock_timeout
    return float(os.environ.get("IPDEMO_LOCK_TIMEOUT", "60"))


def _join(spec: LedgerSpec, name: str, group: list[Prepared], options: Options) -> tuple[Joined, ImportResult]:
    """Stage 1: the sources joined on the key, and the result's facts about the sources."""
    first = group[0].source
    joined = join_sources(spec, group)
    result = ImportResult(
        name,
        ", ".join(p.source.display for p in group),
        sha256_bytes(first.data),
        first.encoding,
        first.sheet,
        dry_run=options.dry_run,
        sources=[p.source.display for p in group],
    )
    result._identity = tuple(f for f, fs in spec.fields.items() if fs.identity)
    newest = max(group, key=lambda p: p.exported.day).exported
    result.exported_on, result.exported_how = newest.iso(), newest.how
    result.warnings = [w for p in group for w in p.warnings]
    result.choices = [dict(p.choice.as_dict(), file=p.source.display) for p in group if p.choice is not None]
    result.set_over = [dict(s.as_dict(), file=p.source.display) for p in group for s in p.set_over]
    result.unused_columns = list(dict.fromkeys(h for p in group for h in p.unused))
    for p in group:
        result.folded_publications += p.folded
        result.other_office += p.other_office
        result.skipped_rows += [
            {"file": p.source.display, "row": s.row, "kind": s.kind, "text": s.text} for s in p.source.skipped
        ]
    return joined, result


def _place(plan: Plan, spec: LedgerSpec, name: str, joined: Joined, result: ImportResult, lookup: Lookup) -> Landing:
    """Stage 2: the ledger re-read under the lock, the incoming rows merged into it (stored towns
    and parties kept), rows outside the district set aside and never checked."""
    stored, order, found, verified = _read_stored(plan, spec, name, lookup)
    if identity.applies(spec):
        stored, joined = _recognise(spec, stored, joined, result)
    merged, where = merge(stored, joined.frame, spec)
    keep_stored_towns(stored, merged, where, joined)
    keep_stored_parties(spec, stored, merged, where)
    outside, unplaced = _set_aside(joined, where, result)
    if outside.any():  # outside rows are not the district's: not even checked
        inside = ~outside
        joined, merged, where = joined.subset(inside), merged[inside].reset_index(drop=True), where[inside]
        unplaced = unplaced[inside]
    return Landing(stored, order, joined, merged, where, unplaced, found, verified)


# Records are looked up by key (not the ledger read whole) only in a ledger of at least this many
# bytes per incoming key: a big export into a small ledger (the first import of a workbook into
# an empty one) is read and written whole faster than each key is looked up and each row
# serialised alone (100k rows into an empty ledger: 0.4 s more, measured).
FIND_BYTES_PER_KEY = 100


@dataclass(frozen=True)
class Lookup:
    """How the stored ledger is read, decided once under the lock: its path, the incoming keys
    when their records are looked up (None: read whole) and its sha256 when its stamp proves it."""

    path: Path
    wanted: set[tuple[str, ...]] | None
    verified: str | None


def _lookup(plan: Plan, spec: LedgerSpec, name: str, incoming: pd.DataFrame) -> Lookup:
    path = plan.ledger_path(name)
    verified = verified_sha256(plan.data_dir, name, path) if path.exists() else None
    return Lookup(path, _wanted_keys(spec, incoming, path), verified)


def _read_stored(
    plan: Plan, spec: LedgerSpec, name: str, lookup: Lookup
) -> tuple[pd.DataFrame, list[str], Found | None, str | None]:
    """The stored rows stage 2 needs. A ledger whose size and mtime are the stamp its last journal
    entry gave it is what that import wrote (or read whole): only the records with the incoming
    keys are read (ledger.find_records, by the key index where there is one). Any other ledger —
    edited by hand, copied, checked out, never stamped — is scanned and verified line by line
    (one record a line, the header's field count, UTF-8, no key twice; hashed on the way), and
    read whole and checked (_stored) when it is anything else. Returns the rows, the column
    order, what was found (None: read whole) and the verified sha256."""
    path, verified, found = lookup.path, lookup.verified, None
    if lookup.wanted is not None:
        found = find_records(path, list(spec.key), lookup.wanted, cache_dir(), verified or "", verify=verified is None)
        verified = verified or (found.sha256 if found is not None else None)
    if found is None or any(f not in found.header for f in spec.fields):
        stored, order = _stored(plan, name, path)
        return stored, order, None, verified
    rows = {h: pd.Series([r[i] for r in found.rows], dtype="str") for i, h in enumerate(found.header)}
    return pd.DataFrame(rows), list(found.header), found, verified


def _hash_from_now(lookup: Lookup) -> store.PrefixHash | None:
    """The hash of a stamped ledger whose records will be looked up, started as the lock is taken:
    it runs on the other core while the records are found and checked, and the journal's
    `before_sha256` then waits less for it. Only for a file the lock fingerprinted as it was
    taken (store.fingerprinted; _land names every ledger of the plan to it, wherever it lies): a
    change to it since is refused when the write commits (store._check_unchanged), so the bytes
    hashed from now are the bytes written over."""
    if lookup.wanted is None or lookup.verified is None or not store.fingerprinted(lookup.path):
        return None
    return store.PrefixHash(lookup.path, lookup.path.stat().st_size)


def _prefix_of(path: Path, found: Found | None, early: store.PrefixHash | None) -> store.PrefixHash | None:
    """The hash the write will take its `before_sha256` from: the one started as the lock was
    taken when it hashes the size the records were found in, else one started now (an unstamped
    ledger, verified by the scan that found its records). A stamped ledger whose look-up gave way
    to the whole read keeps the one started at the lock (_write_whole takes it when it hashed the
    size the file has)."""
    if found is None:
        return early
    if early is not None and early.size != found.size:
        early.cancel()
        early = None
    if early is not None or not found.size:
        return early
    return store.PrefixHash(path, found.size)


def _wanted_keys(spec: LedgerSpec, incoming: pd.DataFrame, path: Path) -> set[tuple[str, ...]] | None:
    """The incoming keys when their records are looked up in the stored ledger (ledger.find_records)
    rather than the ledger read whole: None for a ledger that does not exist, one with `identify`,
    an export without the key's fields or a ledger too small for look-ups to pay."""
    if not path.exists() or identity.applies(spec) or not all(k in incoming.columns for k in spec.key):
        return None
    wanted = set(zip(*(incoming[k].astype("str").tolist() for k in spec.key)))
    if not wanted or path.stat().st_size < FIND_BYTES_PER_KEY * len(wanted):
        return None
    return wanted


def _newer_wins(plan: Plan, name: str, spec: LedgerSpec, landing: Landing, result: ImportResult) -> None:
    """Stage 3: a value a newer export set is kept; statuses take the export's date."""
    stored, merged, where, joined = landing.stored, landing.merged, landing.where, landing.joined
    result.kept_newer = newer_wins(plan, name, spec, stored, merged, where, joined.exported)
    date_statuses(spec, stored, joined.frame, merged, where, joined.exported)


def _check_stage(
    plan: Plan,
    name: str,
    spec: LedgerSpec,
    landing: Landing,
    group: list[Prepared],
    result: ImportResult,
    options: Options,
) -> Checked:
    """Stage 4: the merged rows checked as they would be stored; any error refuses the import
    (RowsRejected) unless the user skips invalid rows."""
    joined = landing.joined
    errors: list[Problem] = [e for p in group for e in p.errors]
    problems, invalid = _check(plan, name, landing.merged, joined, group)
    errors += [p for p in problems if p.severity == "error"]
    # An unassigned town is said once in the summary (unassigned), not once per row.
    result.warnings += _once([p for p in problems if p.severity == "warning" and p.code != "town_unassigned"])
    for i, p in enumerate(group):  # rows named by a problem of their own source (ragged, ambiguous date)
        lines = [e.line for e in errors if e.file == p.source.display and e.line is not None]
        if lines:
            invalid |= (joined.origin == i) & np.isin(joined.lines, lines)
    errors = sorted(_once(errors), key=lambda p: (p.file, p.line or 0))
    result.errors = missing_columns_said_once(spec, group, errors)
    result.rejected = source_rows(joined, invalid) + sum(len(p.source.problems) + p.rejected_rows for p in group)
    if result.errors and not options.skip_invalid:
        raise RowsRejected(
            "rows_rejected",
            problems=result.errors,
            count=result.rejected,
            path=result.source,
            ledger=name,
            chosen=result.choices,
        )
    rejected_lines = {(group[o].source.display, int(n)) for o, n in zip(joined.origin[invalid], joined.lines[invalid])}
    return Checked(errors, invalid, rejected_lines)


def _apply_stage(spec: LedgerSpec, landing: Landing, checked: Checked, result: ImportResult) -> Applied:
    """Stage 5: the valid, placed rows applied to the stored ledger; the counts of what changed."""
    merged, where, invalid = landing.merged, landing.where, checked.invalid
    keep = ~invalid & ~landing.unplaced  # held rows were checked (a bad one fails the import) but wait
    # A rejected row is in the reject file only: held are the valid rows that wait for a town.
    held = _held(landing.joined, landing.unplaced & ~invalid, result)
    if "town" in spec.fields:
        result.unassigned = int(((merged["town"] == "").to_numpy(dtype=bool) & keep).sum())
    table, changes, new_keys, unchanged = apply(
        landing.stored, merged[keep].reset_index(drop=True), where[keep], spec, landing.order
    )
    changes = result.changes + changes  # keys linked by _recognise come first
    confirmed = confirmed_values(spec, landing.stored, merged[keep].reset_index(drop=True), where[keep])
    result.added, result.updated = len(new_keys), len({c.key for c in changes})
    result.unchanged, result.changes, result.new_keys = unchanged, changes, new_keys
    return Applied(table, confirmed, held)


def _journal(
    plan: Plan,
    name: str,
    spec: LedgerSpec,
    group: list[Prepared],
    landing: Landing,
    checked: Checked,
    applied: Applied,
    result: ImportResult,
    options: Options,
) -> None:
    """Stage 6: the reject and held files first, then the journal entry, then the ledger,
    atomically (a failure before the last step leaves the ledger as it was)."""
    errors, joined, unplaced, invalid = checked.errors, landing.joined, landing.unplaced, checked.invalid
    ledger_path = plan.ledger_path(name)
    if errors:
        result.reject_file = ", ".join(
            _write_rejects(p.source, errors, options.lang)
            for p in group
            if any(e.file == p.source.display for e in errors)
        )
    # Held rows are written out before the ledger changes: a failure here changes nothing.
    suggest = Suggester(plan) if applied.held else None
    held_files = {
        i: write_held(spec, group[i], lines, reasons, options.lang, suggest)
        for i, (lines, reasons) in applied.held.items()
    }
    result.suggested = suggest.made if suggest is not None else 0
    result.held_file = ", ".join(display_path(path) for path in held_files.values()) or None
    write = _write_plan(ledger_path, list(spec.key), landing, applied, result)
    counts = result.counts()
    try:
        append_journal(
            plan.data_dir,
            {
                "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "event": "import",
                "ledger": name,
                "source": ", ".join(p.source.path.name for p in group),
                "source_sha256": result.sha256,
                "ledger_chosen": result.choices,
                "exported_on": result.exported_on,
                "before_sha256": write.before,
                "after_sha256": write.after,
                "after_stamp": write.stamp,
                "write": write.how,
                **({"appended": write.appended} if write.appended else {}),
                **{key: counts[key] for key in JOURNAL_COUNTS},
                "sources": [_from_project(plan, p.source.path) for p in group],
                "held_keys": {
                    _from_project(plan, path): held_keys(spec, joined.frame[unplaced & ~invalid & (joined.origin == i)])
                    for i, path in held_files.items()
                },
                "new_keys": result.new_keys,
                "new_keys_total": len(result.new_keys),
                "confirmed": applied.confirmed,
                "changes": [c.__dict__ for c in result.changes],
            },
        )
        write.commit()
    finally:
        write.discard()
    if write.index is not None and write.after is not None and write.stamp is not None:
        key_index.save(cache_dir(), ledger_path, write.index, write.after, write.stamp[0])
    result.written = write.how != "none"


@dataclass
class Write:
    """How stage 6 changes the ledger file: what the journal records first (the sha256 before
    and after, the stamp — size and mtime — the file will have, how it is written), then commit.
    how: "none" (nothing changed), "append" (only new rows: added at the end), "splice" (changed
    rows replaced in a copy, renamed over the ledger), "replace" (the whole table serialised)."""

    how: str
    before: str | None
    after: str | None
    stamp: list[int] | None
    commit: Callable[[], None] = lambda: None
    discard: Callable[[], None] = lambda: None
    appended: dict | None = None
    index: key_index.KeyIndex | None = None  # the key index of the content written (saved once it is in place)


def _write_plan(path: Path, key: list[str], landing: Landing, applied: Applied, result: ImportResult) -> Write:
    if landing.found is None:
        return _write_whole(path, key, landing, applied, result)
    table, stored = applied.table, landing.stored
    changed = np.zeros(len(stored), dtype=bool)
    for name in landing.order:
        changed |= table[name].to_numpy(dtype=object)[: len(stored)] != stored[name].to_numpy(dtype=object)
    fresh = serialise_rows(table.iloc[len(stored) :])
    if landing.prefix is not None and not changed.any() and not fresh:
        landing.prefix.cancel()  # nothing is written: no hash needed
    if changed.any():
        return _write_spliced(
            path, landing.found, landing.verified, table.iloc[np.flatnonzero(changed)], fresh, changed, landing.prefix
        )
    if fresh:
        return _write_appended(path, landing.found, landing.verified, fresh, landing.prefix)
    unsaved = landing.found.index if landing.found.index is not None and landing.found.index.stored < 0 else None
    stamp = store.stamp_if_unchanged(path)
    return Write("none", landing.verified, landing.verified, stamp, index=unsaved)


def _write_whole(path: Path, key: list[str], landing: Landing, applied: Applied, result: ImportResult) -> Write:
    """The ledger read whole: written whole when it changes (or is new). Its old bytes are
    hashed as they stream by, not held beside the new ones."""
    size = path.stat().st_size if path.exists() else 0
    before = _before_whole(path, size, landing)
    if before and not (result.added or result.updated):
        return Write("none", before, before, store.stamp_if_unchanged(path))
    data = serialise(applied.table)
    after = sha256_bytes(data)
    if after == before:
        return Write("none", before, before, store.stamp_if_unchanged(path))
    stamp = store.new_stamp(len(data))
    index = _whole_index(data, list(applied.table.columns), key)
    return Write("replace", before, after, stamp, lambda: store.write_stamped(path, data, stamp[1]), index=index)


def _before_whole(path: Path, size: int, landing: Landing) -> str | None:
    """The hash of the bytes a whole write replaces: the hash started as the lock was taken (a
    stamped ledger whose look-up gave way to the whole read), else the stamp's word, else the file
    hashed now; None for an empty or missing ledger."""
    prefix, landing.prefix = landing.prefix, None
    if not size:
        if prefix is not None:
            prefix.cancel()
        return None
    if prefix is not None and prefix.size == size:
        return prefix.with_tail(b"")
    if prefix is not None:
        prefix.cancel()
    return landing.verified or store.sha256_with_tail(path, size, b"")


def _whole_index(data: bytes, header: list[str], key: list[str]) -> key_index.KeyIndex | None:
    """The key index of a ledger written whole: only where the key leads the columns."""
    if not key or header[: len(key)] != key or cache_dir() is None:
        return None
    first = data.find(b"\n") + 1
    return key_index.build(data, first, header, len(key)) if first else None


def _index_after(found: Found, rows: list[int], lines: list[bytes], fresh: list[bytes]) -> key_index.KeyIndex | None:
    """The found index after a write that replaced the lines of `rows` and added `fresh` at the end."""
    if found.index is None:
        return None
    lengths = [len(line) for line in lines]
    if fresh and not found.ends_with_newline and len(found.index.lengths):
        last = len(found.index.lengths) - 1  # its line gets the newline it lacked
        if last not in rows:
            rows, lengths = [*rows, last], [*lengths, int(found.index.lengths[last]) + 1]
    tail = b"".join(fresh)
    arr = np.frombuffer(tail or b"\0", dtype=np.uint8)
    ends = np.cumsum([len(line) for line in fresh], dtype=np.int64) - 1
    starts = ends - np.array([len(line) for line in fresh], dtype=np.int64) + 1
    try:
        fp = key_index.line_keys(arr, starts, ends, found.index.width, len(found.index.header))
    except key_index.NotIndexable:
        return None
    return found.index.changed(np.array(rows, dtype=np.int64), lengths, fp, [len(line) for line in fresh])


def _write_appended(
    path: Path, found: Found, verified: str | None, fresh: list[bytes], prefix: store.PrefixHash | None
) -> Write:
    """Only new rows: they are appended (store.append_bytes); the journal says where the old
    content ends and the new bytes' hash, so a torn append can be told from a complete one."""
    tail = (b"" if found.ends_with_newline else b"\n") + b"".join(fresh)
    after = prefix.with_tail(tail) if prefix is not None else store.sha256_with_tail(path, found.size, tail)
    before = prefix.with_tail(b"") if prefix is not None else verified
    stamp = store.new_stamp(found.size + len(tail))
    appended = {"offset": found.size, "bytes": len(tail), "sha256": sha256_bytes(tail)}
    return Write(
        "append",
        before,
        after,
        stamp,
        lambda: store.append_bytes(path, tail, found.size, stamp[1]),
        appended=appended,
        index=_index_after(found, [], [], fresh) if before == verified else None,
    )


def _write_spliced(
    path: Path,
    found: Found,
    verified: str | None,
    rows: pd.DataFrame,
    fresh: list[bytes],
    changed: np.ndarray,
    prefix: store.PrefixHash | None = None,
) -> Write:
    """Changed rows: a copy of the ledger with their lines replaced (and new rows at the end),
    staged beside it and renamed over it: every other byte is copied as it is, never re-parsed.

    The journal's `before_sha256` is the hash of the bytes the file held (`prefix`, hashed on the
    other core since the lock was taken, or since the records were found), not the one its stamp
    vouched for: a report's cache patch follows the journal's chain of hashes (engine/patch.py),
    and an edit that kept the file's size and mtime must break that chain. Such an edit also means
    the key index described other bytes: it is not carried over (the next import scans)."""
    pieces: list[store.Piece] = []
    at = 0
    lines = serialise_rows(rows)
    for (start, end), line in zip([found.spans[i] for i in np.flatnonzero(changed)], lines):
        pieces += [(at, start), line]
        at = end
    pieces.append((at, found.size))
    if fresh and at < found.size and not found.ends_with_newline:
        pieces.append(b"\n")
    pieces.extend(fresh)
    rows_changed = [found.numbers[i] for i in np.flatnonzero(changed)] if found.index is not None else []
    index = _index_after(found, rows_changed, lines, fresh)  # before the copy: nothing to clean up if it fails
    staged = store.stage(path, pieces)
    try:
        before = prefix.with_tail(b"") if prefix is not None else verified
    except BaseException:
        store.discard(staged)
        raise
    if before != verified:
        index = None
    stamp = store.new_stamp(staged.size)
    return Write(
        "splice",
        before,
        staged.sha256,
        stamp,
        lambda: store.commit(staged, stamp[1]),
        lambda: store.discard(staged),
        index=index,
    )


def missing_columns_said_once(spec: LedgerSpec, group: list[Prepared], errors: list[Problem]) -> list[Problem]:
    """'Required field is empty' on every row of a file that has no such column at all is said
    once, with what to do (add the column, --set, or import it with the file that has it)."""
    out: list[Problem] = []
    counts: dict[tuple[str, str], int] = {}
    for problem in errors:
        source = next((p for p in group if p.source.display == problem.file), None)
        if (
            problem.code == "required"
            and source is not None
            and problem.field is not None
            and problem.field not in source.provided
        ):
            counts[(problem.file, problem.field)] = counts.get((problem.file, problem.field), 0) + 1
            continue
        out.append(problem)
    for (file, fname), count in counts.items():
        source = next(p for p in group if p.source.display == file)
        label = spec.fields[fname].label or fname
        out.insert(
            0,
            Problem(
                file,
                source.source.header_row,
                fname,
                "required_column_missing",
                params={"label": label, "field": fname, "count": count},
            ),
        )
    return out


def _recognise(
    spec: LedgerSpec, stored: pd.DataFrame, joined: Joined, result: ImportResult
) -> tuple[pd.DataFrame, Joined]:
    """Rows without their key, or under another source's key: see identity.py."""
    linked = identity.link(spec, stored, joined.frame)
    kept = joined.subset(np.isin(np.arange(len(joined.frame)), linked.first))
    kept.frame = linked.incoming
    key = spec.key[0]
    result.changes = [Change(r.new, key, r.old, r.new) for r in linked.renamed]
    result.recognised, result.same_record = linked.recognised, linked.folded
    return linked.stored, kept


def confirmed_values(
    spec: LedgerSpec, stored: pd.DataFrame, merged: pd.DataFrame, where: np.ndarray
) -> dict[str, list[str]]:
    """Keys whose status or owner this export says again, unchanged, per field: the journal
    dates them by this export, so an older export cannot roll back what a newer one confirmed.
    (Only these fields: a full list for every field would make the journal as big as the data.)"""
    tracked = [f for f in spec.fields if f in spec.status_dates or spec.fields[f].identity]
    matched = np.flatnonzero(where >= 0)
    out: dict[str, list[str]] = {}
    if not tracked or not len(matched):
        return out
    keys = keys_of(merged, spec.key).str.replace(arrays.KEY_JOIN, "/").to_numpy(dtype=object)
    for fname in tracked:
        if fname not in stored.columns:
            continue
        new = merged[fname].to_numpy(dtype=object)[matched]
        old = _take(stored[fname], where[matched])
        same = matched[(new == old) & (new != "")]
        if len(same):
            out[fname] = keys[same].tolist()
    return out


def keep_stored_towns(stored: pd.DataFrame, merged: pd.DataFrame, where: np.ndarray, joined: Joined) -> None:
    """A key the ledger holds keeps its stored town: a town worked out from an address or the
    register only fills an empty one; only the file's own town column may change it."""
    if joined.how is None or "town" not in stored.columns:
        return
    derived = np.flatnonzero((where >= 0) & (joined.how != "town"))
    if not len(derived):
        return
    old = _take(stored["town"], where[derived])
    column = merged["town"].to_numpy(dtype=object)
    column[derived[old != ""]] = old[old != ""]
    merged["town"] = pd.Series(column, dtype="str")


def keep_stored_parties(spec: LedgerSpec, stored: pd.DataFrame, merged: pd.DataFrame, where: np.ndarray) -> None:
    """A list of applicants/owners that names the same parties as the stored one, only with other
    separators, spacing or width ('A; B' → 'A；B'), is no change and no transfer: the stored
    value stays as it was written."""
    from ipdemo.ingest.placement import same_parties

    matched = np.flatnonzero(where >= 0)
    if not len(matched):
        return
    for fname, fs in spec.fields.items():
        if not fs.identity or fname not in stored.columns:
            continue
        old = _take(stored[fname], where[matched])
        new = merged[fname].to_numpy(dtype=object)[matched]
        differs = np.flatnonzero(new != old)
        if not len(differs):
            continue
        same = differs[same_parties(old[differs], new[differs])]
        if len(same):
            column = merged[fname].to_numpy(dtype=object)
            column[matched[same]] = old[same]
            merged[fname] = pd.Series(column, dtype="str")


def _set_aside(joined: Joined, where: np.ndarray, result: ImportResult) -> tuple[np.ndarray, np.ndarray]:
    """New keys placed outside the district are counted and skipped; new keys that cannot be
    placed wait (see _held). A key the ledger holds keeps its town. Returns the outside rows and
    the unplaced rows."""
    if joined.located is None or joined.reasons is None:  # set together by the placement step
        none = np.zeros(len(where), dtype=bool)
        return none, none
    new = where < 0
    outside = new & (joined.located == "outside")
    unknown = new & (joined.located == "")
    result.outside = source_rows(joined, outside)
    return outside, unknown


def _held(joined: Joined, held: np.ndarray, result: ImportResult) -> dict[int, tuple[np.ndarray, list[str]]]:
    """The held rows per source (row numbers and reasons), counted in result.held."""
    result.held = source_rows(joined, held)
    out: dict[int, tuple[np.ndarray, list[str]]] = {}
    if joined.reasons is None:
        return out
    for origin in np.unique(joined.origin[held]):
        rows = held & (joined.origin == origin)
        out[int(origin)] = (joined.lines[rows], list(joined.reasons[rows]))
    return out


def source_rows(joined: Joined, mask: np.ndarray) -> int:
    """How many rows of the sources the masked records come from: a row that lists several
    classes (一标多类) is several records but one row of the file."""
    if not mask.any():
        return 0
    return len(set(zip(joined.origin[mask].tolist(), joined.lines[mask].tolist())))


def _once(problems: list[Problem]) -> list[Problem]:
    """Each problem once: the records of one source row (一标多类) share its row's problems."""
    seen: dict[tuple, Problem] = {}
    for p in problems:
        seen.setdefault((p.file, p.line, p.field, p.code, p.severity, repr(sorted(p.params.items()))), p)
    return list(seen.values())


def _check(
    plan: Plan, name: str, merged: pd.DataFrame, joined: Joined, group: list[Prepared]
) -> tuple[list[Problem], np.ndarray]:
    """The checks, source by source, so each problem names its own file and row."""
    if len(group) == 1:
        return check_frame(plan, name, merged, joined.lines, group[0].source.display)
    problems: list[Problem] = []
    invalid = np.zeros(len(merged), dtype=bool)
    for i, p in enumerate(group):
        rows = np.flatnonzero(joined.origin == i)
        found, bad = check_frame(
            plan, name, merged.iloc[rows].reset_index(drop=True), joined.lines[rows], p.source.display
        )
        problems += found
        invalid[rows] = bad
    return problems, invalid


def newer_wins(
    plan: Plan,
    name: str,
    spec: LedgerSpec,
    stored: pd.DataFrame,
    merged: pd.DataFrame,
    where: np.ndarray,
    exported: np.ndarray,
) -> list[Kept]:
    """Put back every stored value that a newer export set than the one now incoming."""
    matched = np.flatnonzero(where >= 0)
    if not len(matched):
        return []
    diffs: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = []
    for fname in spec.fields:
        if fname in spec.key or fname not in stored.columns:
            continue
        new = merged[fname].to_numpy(dtype=object)[matched]
        old = _take(stored[fname], where[matched])
        rows = np.flatnonzero((new != old) & (old != ""))  # filling a blank never rolls anything back
        if len(rows):
            diffs.append((fname, matched[rows], old[rows], new[rows]))
    if not diffs:
        return []
    keys = keys_of(merged, spec.key).str.replace(arrays.KEY_JOIN, "/").to_numpy(dtype=object)
    dates = value_dates(plan.data_dir, name, {keys[i] for _, rows, _, _ in diffs for i in rows})
    kept: list[Kept] = []
    for fname, rows, old, new in diffs:
        column = merged[fname].to_numpy(dtype=object)
        for i, before, after in zip(rows, old, new):
            stored_on = set_on(dates, keys[i], fname)
            if stored_on and stored_on > exported[i]:
                column[i] = before
                kept.append(Kept(keys[i], fname, before, after, stored_on))
        merged[fname] = pd.Series(column, dtype="str")
    return kept


def date_statuses(
    spec: LedgerSpec,
    stored: pd.DataFrame,
    incoming: pd.DataFrame,
    merged: pd.DataFrame,
    where: np.ndarray,
    exported: np.ndarray,
) -> None:
    """A status that appears or changes is dated by the export that says it, unless the export
    dates it itself; an unchanged status keeps the date it first became known."""
    for status, dated in spec.status_dates.items():
        if status not in merged.columns or dated not in merged.columns:
            continue
        previous = np.full(len(merged), "", dtype=object)
        matched = where >= 0
        if matched.any() and status in stored.columns:
            previous[matched] = _take(stored[status], where[matched])
        now = merged[status].to_numpy(dtype=object)
        fresh = (now != "") & (now != previous) & (incoming[dated] == "").to_numpy(dtype=bool)
        if fresh.any():
            column = merged[dated].to_numpy(dtype=object)
            column[fresh] = exported[fresh]
            merged[dated] = pd.Series(column, dtype="str")


# --- the register, held rows, rejects ------------------------------------------------------


def _learned(group: list[Prepared], register, rejected: set[tuple[str, int]]):
    """What the register would learn from this import's rows placed by address or credit code
    (rows rejected as invalid teach it nothing)."""
    frames = []
    for p in group:
        if p.learn is None or not len(p.learn):
            continue
        fine = [(p.source.display, int(n)) not in rejected for n in p.learn["__line"]]
        frames.append(
            p.learn[fine].drop(columns="__line").assign(evidence=p.source.path.name, seen_on=p.exported.iso())
        )
    frames = [f for f in frames if len(f)]
    if register is None or not frames:
        return None
    from ipdemo.ingest.placement import Placed

    rows = pd.concat(frames, ignore_index=True)
    placed = Placed(
        located=rows["located"].to_numpy(dtype=object),
        town=rows["town"],
        how=np.full(len(rows), "address", dtype=object),
    )
    return register.learn(
        rows["name"],
        rows["credit_code"],
        rows["address"],
        placed,
        evidence=", ".join(dict.fromkeys(rows["evidence"])),
        seen_on=max(rows["seen_on"]),
    )


def _conflicts(learned) -> list[dict]:
    return [c.__dict__ if hasattr(c, "__dict__") else dict(c) for c in learned.conflicts]


def _preview_register(plan: Plan, group: list[Prepared], result: ImportResult, rejected: set) -> None:
    learned = _learned(group, load_register(plan), rejected)
    if learned is not None:
        result.register_added = len(learned.entries)
        result.register_conflicts = _conflicts(learned)


def _update_register(plan: Plan, group: list[Prepared], result: ImportResult, rejected: set) -> None:
    """New organisations join the register (under the same lock); conflicts are only reported."""
    name = plan.placement.register_ledger
    if name is None or result.ledger == name:
        return
    learned = _learned(group, load_register(plan), rejected)
    if learned is None:
        return
    result.register_conflicts = _conflicts(learned)
    if not len(learned.entries):
        return
    path = plan.ledger_path(name)
    stored, order = _stored(plan, name, path)
    entries = learned.entries.reindex(columns=list(plan.ledgers[name].fields), fill_value="").astype("str")
    table = pd.concat(
        [stored.reindex(columns=order, fill_value=""), entries.reindex(columns=order, fill_value="")], ignore_index=True
    )
    before = path.read_bytes() if path.exists() else b""
    data = serialise(table)
    counts = ImportResult(name, result.source, "", None, None, added=len(entries)).counts()
    append_journal(
        plan.data_dir,
        {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "event": "import",
            "ledger": name,
            "source": result.source,
            "exported_on": result.exported_on,
            "before_sha256": sha256_bytes(before) if before else None,
            "after_sha256": sha256_bytes(data),
            **{key: counts[key] for key in JOURNAL_COUNTS},
            "new_keys": entries["name"].tolist(),
            "new_keys_total": len(entries),
            "changes": [],
        },
    )
    atomic_write_bytes(path, data)
    result.register_added = len(entries)


def _stored(plan: Plan, name: str, path: Path) -> tuple[pd.DataFrame, list[str]]:
    spec = plan.ledgers[name]
    if not path.exists():
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in spec.fields}), list(spec.fields)
    table = read_table(path)
    dropped = [p for p in table.problems if p.code == "ragged_row"]
    if dropped:  # the read left these rows out: rewriting the ledger would lose them
        first = dropped[0]
        raise LedgerError(
            "ledger_ragged_rows", path=display_path(path), line=first.line, count=len(dropped), problem=first.message()
        )
    frame = table.frame
    order = list(table.header) + [f for f in spec.fields if f not in table.header]
    for f in spec.fields:
        if f not in frame.columns:
            frame[f] = pd.Series([""] * len(frame), dtype="str")
    if not pd.Index(keys_of(frame, spec.key)).is_unique:
        raise LedgerError("ledger_duplicate_keys", path=display_path(path))
    return frame, order


def _source_rows(source: Source, numbers: np.ndarray) -> pd.DataFrame:
    """The source's rows with these row numbers, as they came, under unique header names, with
    their row number first (ipdemo's own columns from an earlier round are dropped)."""
    picked = np.isin(source.rows, numbers)
    frame = source.frame[picked].copy()
    names = _column_names(source.header[: len(frame.columns)])
    frame.columns = names
    frame = frame.drop(columns=[c for c in names if c in OWN_COLUMNS])
    frame.insert(0, ROW_COLUMN, source.rows[picked])
    return frame.reset_index(drop=True)


def _column_names(header: list[str]) -> list[str]:
    """Unique names for the columns of a file written beside a source: the header, 列N where blank."""
    names: list[str] = []
    for i, h in enumerate(header):
        label = h or f"列{i + 1}"
        names.append(label if label not in names else f"{label}_{i + 1}")
    return names


def _beside(source: Source, suffix: str, data: bytes) -> Path:
    """A file beside the source for the user to work on: never over one that holds something
    else (a copy the user completed): then the next free name."""
    target = source.path.with_name(source.path.stem + suffix)
    n = 1
    while target.exists() and target.read_bytes() != data:
        n += 1
        target = source.path.with_name(f"{source.path.stem}{suffix[:-4]}-{n}.csv")
    if not target.exists():
        atomic_write_bytes(target, data)
    return target


def _from_project(plan: Plan, path: Path) -> str:
    """A file's path as the journal records it: relative to the project folder (targets.yaml's),
    so that the record survives the folder being moved."""
    return os.path.relpath(path.resolve(), plan.source.parent.resolve())


def held_keys(spec: LedgerSpec, frame: pd.DataFrame) -> list[str]:
    """The keys of the rows held in one file, as the journal records them (under the file's
    path from the project folder): `ipdemo summary` counts those still waiting (engine.summary.waiting_rows)."""
    return keys_of(frame, spec.key).str.replace(arrays.KEY_JOIN, "/").tolist() if len(frame) else []


class Suggester:
    """Town suggestions for held rows (placement.suggest_towns): the register, and the towns the
    ledgers already give each firm (read once, only when some row is held)."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.register = load_register(plan)
        self._known: dict[str, set[str]] | None = None
        self.made = 0  # rows given a suggestion

    def known(self) -> dict[str, set[str]]:
        from ipdemo.ingest.placement import firm_towns

        if self._known is None:
            self._known = {}
            for name, spec in self.plan.ledgers.items():
                organisation = spec.place.organisation if spec.place is not None else None
                if organisation is None or "town" not in spec.fields or not self.plan.ledger_path(name).exists():
                    continue
                stored, _ = _stored(self.plan, name, self.plan.ledger_path(name))
                for key, towns in firm_towns(stored[organisation], stored["town"]).items():
                    self._known.setdefault(key, set()).update(towns)
        return self._known

    def columns(
        self, spec: LedgerSpec, prepared: Prepared, lines: np.ndarray, lang: str
    ) -> tuple[list[str], list[str]]:
        """Per held line: the suggested town ('' when none) and where it came from."""
        from ipdemo.i18n import message
        from ipdemo.ingest.placement import suggest_towns

        organisation = spec.place.organisation if spec.place is not None else None
        if organisation is None:
            return [""] * len(lines), [""] * len(lines)
        # The records of one row (一标多类) share its number: look each line up at its first record.
        first = np.flatnonzero(~pd.Index(prepared.rows).duplicated())
        at = pd.Index(np.asarray(prepared.rows)[first]).get_indexer(lines)
        names = prepared.frame[organisation].to_numpy(dtype=object)
        picked = pd.Series([names[first[i]] if i >= 0 else "" for i in at], dtype=object)
        found = suggest_towns(self.plan, picked, self.register, self.known())
        towns = [s.town if s is not None else "" for s in found]
        self.made += sum(1 for s in found if s is not None)
        basis = [message(f"suggested_by_{s.basis}", lang, name=s.detail) if s is not None else "" for s in found]
        return towns, basis


def write_held(
    spec: LedgerSpec,
    prepared: Prepared,
    lines: np.ndarray,
    why: list[str],
    lang: str = "zh",
    suggest: Suggester | None = None,
) -> Path:
    """Rows that cannot be placed, as they came, beside the source, with a town column to fill,
    the reason, and the best suggestion (建议区镇 + 建议依据, never imported): the clerk confirms a
    suggestion by copying it into the town column, completes the rest and imports the file again."""
    from ipdemo.i18n import message
    from ipdemo.ingest.placement import BASIS_COLUMN, SUGGESTED_COLUMN

    source = prepared.source
    frame = _source_rows(source, lines)
    reasons = dict(zip(lines.tolist(), why))
    # The user fills the file's own town column when it has one (区镇 is an alias): a second
    # column for the same field could not be imported back.
    if not any(header_table(spec).get(header_key(c), ("",))[0] == "town" for c in frame.columns):
        frame[spec.fields["town"].label or "town"] = ""
    frame[REASON_COLUMN] = [message(f"held_{reasons[int(n)]}", lang) for n in frame[ROW_COLUMN]]
    if suggest is not None:
        ordered = frame[ROW_COLUMN].to_numpy(dtype=np.int64)
        frame[SUGGESTED_COLUMN], frame[BASIS_COLUMN] = suggest.columns(spec, prepared, ordered, lang)
    return _beside(source, ".unplaced.csv", serialise(frame.astype("str")))


def _write_rejects(source: Source, errors: list[Problem], lang: str) -> str:
    """Bad rows, as they came, beside the source, with the row number and the reasons (in the
    command's language; the column names stay, so the file can be imported back)."""
    reasons: dict[int, list[str]] = {}
    for p in errors:
        if p.file == source.display:
            reasons.setdefault(p.line or 0, []).append(f"{p.field or ''}: {p.message(lang)}")
    frame = _source_rows(source, np.array(sorted(reasons), dtype=np.int64))
    frame[REASON_COLUMN] = ["; ".join(reasons.get(int(n), [])) for n in frame[ROW_COLUMN]]
    ragged = [p for p in source.problems if p.line not in set(frame[ROW_COLUMN].tolist())]
    if ragged:  # a row longer than the header: its cells under the header's names, then 列N
        width = max([len(source.header), *(len(source.ragged.get(p.line or 0, [])) for p in ragged)])
        names = _column_names(source.header + [""] * (width - len(source.header)))
        extra = pd.DataFrame(
            [
                {
                    **{n: v for n, v in zip(names, source.ragged.get(p.line or 0, [])) if n not in OWN_COLUMNS},
                    ROW_COLUMN: p.line,
                    REASON_COLUMN: p.message(lang),
                }
                for p in ragged
            ]
        )
        frame = pd.concat([frame, extra], ignore_index=True).fillna("")
        frame = frame[[c for c in frame.columns if c != REASON_COLUMN] + [REASON_COLUMN]]
    return display_path(_beside(source, ".rejected.csv", serialise(frame.astype("str"))))
