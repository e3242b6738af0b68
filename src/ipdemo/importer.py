"""Import an export into a ledger: map headers, normalise, merge by key, check, write safely.

The order matters for safety and for correct checks:
1. read and normalise the source (outside the lock: slow, touches nothing);
2. under the data-folder lock, re-read the ledger and merge: an incoming empty value never
   blanks a stored one, so a file that only carries (application_no, granted_on) can update;
3. check the *merged* rows with the same rules as `validate` (a row is judged as it would be
   stored), naming the source row as the user's spreadsheet numbers it;
4. any invalid row: nothing is written (or, with skip_invalid, the good rows are and the bad ones
   go to a reject file); else journal first, then replace the ledger atomically.
"""

from __future__ import annotations

import csv
import io
import os
from contextlib import nullcontext
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from . import normalize as N
from .errors import InputFileError, LedgerError, Problem, RowsRejected, UsageError
from .ledger import BOM, display_path, read_table
from .plan import LedgerSpec, Plan
from .sources import Source, read_source
from .store import append_journal, atomic_write_bytes, data_lock, sha256_bytes
from .validate import check_frame

KEY_SEP = "\x1f"
UNIT_IN_HEADER = re.compile(r"^(.*?)[（(]\s*([^（）()]+?)\s*[）)]$")


@dataclass
class Change:
    key: str
    field: str
    old: str
    new: str


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

    def as_dict(self, lang: str = "zh") -> dict:
        return {"ledger": self.ledger, "source": self.source, "sha256": self.sha256, "encoding": self.encoding,
                "sheet": self.sheet, "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "dry_run": self.dry_run, "written": self.written,
                "reject_file": self.reject_file,
                "errors": [p.as_dict(lang) for p in self.errors],
                "warnings": [p.as_dict(lang) for p in self.warnings],
                "changes": [c.__dict__ for c in self.changes]}


# --- header mapping ------------------------------------------------------------------------

def header_key(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def header_table(plan: Plan, spec: LedgerSpec) -> dict[str, str]:
    """Every accepted spelling of a header → canonical field name."""
    table: dict[str, str] = {}
    for name, f in spec.fields.items():
        for spelling in [name, f.label or "", *f.aliases]:
            if spelling:
                table.setdefault(header_key(spelling), name)
    return table


def split_unit(plan: Plan, header: str) -> tuple[str, str | None]:
    """'金额（万元）' → ('金额', '万元') when the bracket holds a known unit."""
    match = UNIT_IN_HEADER.match(unicodedata.normalize("NFKC", header).strip())
    if match and match.group(2) in plan.units:
        return match.group(1), match.group(2)
    return header, None


def map_headers(plan: Plan, spec: LedgerSpec, header: list[str], source: str = "", strict: bool = True
                ) -> dict[str, tuple[int, str | None]]:
    """canonical field → (source column index, unit written in the header)."""
    table = header_table(plan, spec)
    found: dict[str, tuple[int, str | None]] = {}
    for index, cell in enumerate(header):
        name, unit = table.get(header_key(cell)), None
        if name is None:
            base, unit = split_unit(plan, cell)
            name = table.get(header_key(base))
        if name is not None and name in found and strict:
            # Two columns for one field (申请号 twice, or 申请号 and 专利号): which is right is a guess.
            raise InputFileError("duplicate_mapping", path=source, field=name, first=header[found[name][0]],
                                 second=cell)
        if name is not None and name not in found:
            found[name] = (index, unit)
    return found


def guess_ledger(plan: Plan, header: list[str], filename: str) -> str:
    """The ledger whose headers the file carries best, its key included; file name breaks ties."""
    scored = []
    for name, spec in plan.ledgers.items():
        mapped = map_headers(plan, spec, header, strict=False)  # a doubled column is reported later
        if not all(k in mapped for k in spec.key):
            continue
        named = name in filename.lower() or spec.name in filename
        scored.append((len(mapped) / len(spec.fields), named, name))
    if not scored:
        raise InputFileError("ledger_unknown", path=filename, known=", ".join(plan.ledgers))
    scored.sort(reverse=True)
    if len(scored) > 1 and scored[0][:2] == scored[1][:2]:
        tied = [s[2] for s in scored if s[:2] == scored[0][:2]]
        raise InputFileError("ledger_ambiguous", path=filename, candidates=", ".join(tied))
    return scored[0][2]


def header_score(plan: Plan, ledger: str | None) -> Callable[[list[str]], int]:
    tables = [header_table(plan, plan.ledgers[ledger])] if ledger else \
        [header_table(plan, spec) for spec in plan.ledgers.values()]
    def score(cells: list[str]) -> int:
        return max(sum(1 for c in cells if c and (header_key(c) in t or header_key(split_unit(plan, c)[0]) in t))
                   for t in tables)
    return score


# --- normalising ---------------------------------------------------------------------------

def incoming_frame(plan: Plan, ledger: str, source: Source) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Canonical, normalised text columns (unmapped fields empty), plus errors and warnings."""
    spec = plan.ledgers[ledger]
    shown = source.display
    mapping = map_headers(plan, spec, source.header, shown)
    missing_keys = [k for k in spec.key if k not in mapping]
    if missing_keys:
        raise InputFileError("missing_key_column", path=shown, ledger=ledger, columns=", ".join(missing_keys),
                             accepted=_accepted(spec, missing_keys[0]))
    used = {index for index, _ in mapping.values()}
    warnings = [Problem(shown, source.header_row, h, "unmapped_column", "warning", {"column": h})
                for i, h in enumerate(source.header) if i not in used and h]
    errors: list[Problem] = list(source.problems)
    columns = {}
    n = len(source.frame)
    for name, f in spec.fields.items():
        if name not in mapping:
            columns[name] = pd.Series([""] * n, dtype="str")
            continue
        index, unit = mapping[name]
        factor = 1.0
        if unit and f.unit and unit != f.unit:
            factor = plan.units[unit].factor / plan.units[f.unit].factor
        values, ambiguous = N.normalise_field(plan, f, source.frame[str(index)].reset_index(drop=True), factor)
        columns[name] = values
        for i in np.flatnonzero(ambiguous):
            errors.append(Problem(shown, int(source.rows[i]), name, "ambiguous_date", params={"value": values.iloc[i]}))
    return pd.DataFrame(columns), errors, warnings


def _accepted(spec: LedgerSpec, name: str) -> str:
    f = spec.fields[name]
    return "、".join([name, *([f.label] if f.label else []), *f.aliases])


# --- merging -------------------------------------------------------------------------------

def keys_of(frame: pd.DataFrame, key: list[str]) -> pd.Series:
    out = frame[key[0]].astype("str")
    for k in key[1:]:
        out = out + KEY_SEP + frame[k].astype("str")
    return out


def merge(stored: pd.DataFrame, incoming: pd.DataFrame, spec: LedgerSpec
          ) -> tuple[pd.DataFrame, np.ndarray]:
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


def apply(stored: pd.DataFrame, merged: pd.DataFrame, where: np.ndarray, spec: LedgerSpec, order: list[str]
          ) -> tuple[pd.DataFrame, list[Change], list[str], int]:
    """The new ledger (row order kept, new rows appended), the changes, the new keys, unchanged count."""
    table = stored.reindex(columns=order, fill_value="")
    changes: list[Change] = []
    matched = np.flatnonzero(where >= 0)
    keys = keys_of(merged, spec.key).to_numpy(dtype=object)
    changed_rows = np.zeros(len(merged), dtype=bool)
    for name in spec.fields:
        new = merged[name].to_numpy(dtype=object)[matched]
        old = _take(table[name], where[matched])
        diff = new != old
        if not diff.any():
            continue
        for j in np.flatnonzero(diff):
            changes.append(Change(keys[matched[j]].replace(KEY_SEP, "/"), name, old[j], new[j]))
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
    return table, changes, [keys[i].replace(KEY_SEP, "/") for i in fresh], unchanged


def serialise(table: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, LF, minimal quoting (as Python's csv module): what Excel opens and git
    diffs well. Arrow kernels do the work; only columns holding a quote, comma or newline are
    quoted value by value."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(list(table.columns))
    head = BOM + header.getvalue().encode("utf-8")
    if not len(table):
        return head
    columns, quoting = [], False
    for name in table.columns:
        values = pc.fill_null(pa.array(table[name], type=pa.string()), "")
        special = pc.match_substring_regex(values, r'[",\r\n]')
        if pc.any(special).as_py():
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(values, '"', '""'), '"', "")
            values, quoting = pc.if_else(special, quoted, values), True
        columns.append(values)
    if not quoting:  # the common case: Arrow's multi-threaded writer, nothing to quote
        out = io.BytesIO()
        arrow = pa.table(columns, names=[f"c{i}" for i in range(len(columns))])
        pacsv.write_csv(arrow, out, pacsv.WriteOptions(include_header=False, quoting_style="none"))
        return head + out.getvalue()
    lines = pc.binary_join_element_wise(*columns, ",") if len(columns) > 1 else columns[0]
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "\n")
    return head + joined.cast(pa.binary())[0].as_py() + b"\n"


# --- the whole import ----------------------------------------------------------------------

def import_file(plan: Plan, path: Path, ledger: str | None = None, sheet: str | None = None,
                encoding: str | None = None, dry_run: bool = False, skip_invalid: bool = False,
                lock_timeout: float | None = None) -> ImportResult:
    if ledger is not None and ledger not in plan.ledgers:
        raise UsageError("unknown_ledger_option", ledger=ledger, known=", ".join(plan.ledgers))
    source = read_source(path, header_score(plan, ledger), sheet, encoding)
    name = ledger or guess_ledger(plan, source.header, path.name)
    spec = plan.ledgers[name]
    incoming, errors, warnings = incoming_frame(plan, name, source)
    result = ImportResult(name, source.display, sha256_bytes(source.data), source.encoding, source.sheet,
                          warnings=warnings, dry_run=dry_run)
    ledger_path = plan.ledger_path(name)
    if lock_timeout is None:
        lock_timeout = float(os.environ.get("IPDEMO_LOCK_TIMEOUT", "60"))
    # A dry run only reads, so it takes no lock and creates no lock file.
    with (nullcontext() if dry_run else data_lock(plan.data_dir, lock_timeout)):
        stored, order = _stored(plan, name, ledger_path)
        merged, where = merge(stored, incoming, spec)
        problems, invalid = check_frame(plan, name, merged, source.rows, source.display)
        errors += [p for p in problems if p.severity == "error"]
        result.warnings += [p for p in problems if p.severity == "warning"]
        bad_lines = {p.line for p in errors}
        invalid |= np.isin(source.rows, list(bad_lines))
        result.errors = sorted(errors, key=lambda p: p.line or 0)
        result.rejected = int(invalid.sum()) + sum(1 for p in source.problems)
        if result.errors and not skip_invalid:
            raise RowsRejected("rows_rejected", problems=result.errors, count=result.rejected,
                               path=source.display, ledger=name)
        keep = ~invalid
        table, changes, new_keys, unchanged = apply(stored, merged[keep].reset_index(drop=True),
                                                    where[keep], spec, order)
        result.added, result.updated = len(new_keys), len({c.key for c in changes})
        result.unchanged, result.changes, result.new_keys = unchanged, changes, new_keys
        if dry_run:
            return result
        if result.errors:
            result.reject_file = _write_rejects(source, invalid, result.errors)
        before = ledger_path.read_bytes() if ledger_path.exists() else b""
        data = serialise(table) if (result.added or result.updated or not before) else before
        append_journal(plan.data_dir, {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "event": "import",
            "ledger": name, "source": path.name, "source_sha256": result.sha256,
            "before_sha256": sha256_bytes(before) if before else None, "after_sha256": sha256_bytes(data),
            "added": result.added, "updated": result.updated, "unchanged": result.unchanged,
            "rejected": result.rejected, "new_keys": new_keys[:1000], "new_keys_total": len(new_keys),
            "changes": [c.__dict__ for c in changes]})
        if data != before:
            atomic_write_bytes(ledger_path, data)
            result.written = True
    return result


def _stored(plan: Plan, name: str, path: Path) -> tuple[pd.DataFrame, list[str]]:
    spec = plan.ledgers[name]
    if not path.exists():
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in spec.fields}), list(spec.fields)
    table = read_table(path)
    frame = table.frame
    order = list(table.header) + [f for f in spec.fields if f not in table.header]
    for f in spec.fields:
        if f not in frame.columns:
            frame[f] = pd.Series([""] * len(frame), dtype="str")
    if not pd.Index(keys_of(frame, spec.key)).is_unique:
        raise LedgerError("ledger_duplicate_keys", path=display_path(path))
    return frame, order


def _write_rejects(source: Source, invalid: np.ndarray, errors: list[Problem]) -> str:
    """Bad rows, as they came, beside the source, with the row number and the reasons."""
    reasons: dict[int, list[str]] = {}
    for p in errors:
        reasons.setdefault(p.line or 0, []).append(f"{p.field or ''}: {p.message('zh')} / {p.message('en')}")
    rows = np.flatnonzero(invalid)
    frame = source.frame.iloc[rows].copy()
    frame.columns = source.header[: len(frame.columns)]
    frame.insert(0, "row", source.rows[rows])
    frame["reason"] = ["; ".join(reasons.get(int(n), [])) for n in source.rows[rows]]
    ragged = [p for p in source.problems if p.line not in set(source.rows[rows].tolist())]
    if ragged:
        extra = pd.DataFrame({"row": [p.line for p in ragged], "reason": [p.message("zh") for p in ragged]})
        frame = pd.concat([frame, extra], ignore_index=True).fillna("")
    target = source.path.with_name(source.path.stem + ".rejected.csv")
    atomic_write_bytes(target, serialise(frame.astype("str")))
    return display_path(target)
