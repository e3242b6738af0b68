"""Check ledgers against their schema in targets.yaml. Returns data, never prints.

`check_frame` works on any string frame with canonical columns, so import uses the same rules
on incoming rows that validate uses on stored ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from . import fields as F
from . import screen as S
from .errors import LedgerError, Problem
from .ledger import Table, display_path, read_table
from .plan import FieldSpec, LedgerSpec, Plan


@dataclass
class LedgerCheck:
    """One ledger read and checked: its rows, their problems, and which rows are invalid."""

    name: str
    table: Table
    problems: list[Problem]
    invalid: np.ndarray  # True where a row has at least one error

    @property
    def frame(self) -> pd.DataFrame:
        return self.table.frame

    @property
    def valid_frame(self) -> pd.DataFrame:
        return self.table.frame[~self.invalid]


def check_ledger_file(plan: Plan, name: str, data: bytes | None = None) -> LedgerCheck:
    path = plan.ledger_path(name)
    spec = plan.ledgers[name]
    if data is None and not path.exists():
        empty = Table(path, list(spec.fields), _empty_frame(spec), np.array([], dtype=np.int64))
        problem = Problem(display_path(path), None, None, "ledger_missing",
                          params={"path": display_path(path)})
        return LedgerCheck(name, empty, [problem], np.zeros(0, dtype=bool))
    try:
        table = read_table(path, data=data)
    except LedgerError as exc:
        problem = Problem(display_path(path), 1, None, exc.code, params=exc.params)
        empty = Table(path, list(spec.fields), _empty_frame(spec), np.array([], dtype=np.int64))
        return LedgerCheck(name, empty, [problem], np.zeros(0, dtype=bool))
    return check_table(plan, name, table)


def _empty_frame(spec: LedgerSpec) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype="str") for c in spec.fields})


def check_table(plan: Plan, name: str, table: Table) -> LedgerCheck:
    spec = plan.ledgers[name]
    shown = table.display
    problems = list(table.problems)
    if table.header:
        for column in table.header:
            if column not in spec.fields:
                problems.append(Problem(shown, 1, column, "unknown_column", "warning",
                                        {"column": column}))
        for fname, fspec in spec.fields.items():
            if fname not in table.header:
                problems.append(Problem(shown, 1, fname, "missing_column",
                                        "error" if fspec.required or fname in spec.key else "warning",
                                        {"column": fname, "expected": ", ".join(spec.fields)}))
    frame = table.frame
    for fname in spec.fields:
        if fname not in frame.columns:
            frame = frame.assign(**{fname: pd.Series([""] * len(frame), dtype="str", index=frame.index)})
    row_problems, invalid = check_frame(plan, name, frame, table.lines, shown)
    problems += row_problems
    if any(p.code == "missing_column" and p.severity == "error" for p in problems):
        invalid[:] = True
    return LedgerCheck(name, Table(table.path, table.header, frame, table.lines, table.problems),
                       problems, invalid)


def check_frame(plan: Plan, name: str, frame: pd.DataFrame, lines: np.ndarray, shown: str,
                screen: bool = True) -> tuple[list[Problem], np.ndarray]:
    """Every field, cross-field and key check on a frame of canonical string columns.

    The screen clears the rows that certainly pass, from their raw bytes; the checks that word
    the messages then run on the rest only. screen=False checks every row the slow way (tests
    compare the two)."""
    spec = plan.ledgers[name]
    n = len(frame)
    invalid = np.zeros(n, dtype=bool)
    problems: list[Problem] = []
    rows = np.flatnonzero(S.suspect_rows(plan, spec, frame)) if screen else np.arange(n)
    if len(rows):
        part = frame if len(rows) == n else frame.iloc[rows]
        problems, invalid[rows] = _row_checks(plan, spec, part, lines[rows], shown)
    keys = {k: _stripped(frame[k]) for k in spec.key if k in frame.columns}
    problems += _duplicate_keys(spec, keys, lines, shown, invalid)
    problems.sort(key=lambda p: (p.line or 0))
    return problems, invalid


def _stripped(values: pd.Series) -> pd.Series:
    """values.str.strip(), skipped when no value has an edge to strip (the common case)."""
    return values.str.strip() if S.Column(values).untrimmed().any() else values


def _row_checks(plan: Plan, spec: LedgerSpec, frame: pd.DataFrame, lines: np.ndarray, shown: str
                ) -> tuple[list[Problem], np.ndarray]:
    """The field and cross-field checks of every row given, worded for the user."""
    n = len(frame)
    invalid = np.zeros(n, dtype=bool)
    problems: list[Problem] = []

    def emit(mask: np.ndarray, fname: str | None, code: str, severity: str,
             params: Callable[[int], dict]) -> None:
        rows = np.flatnonzero(mask)
        if severity == "error":
            invalid[rows] = True
        problems.extend(Problem(shown, int(lines[i]), fname, code, severity, params(i)) for i in rows)

    stripped = {f: frame[f].str.strip() for f in spec.fields if f in frame.columns}
    # Each date column is parsed once, for its own check and the cross-field checks.
    dates = {f: F.parse_iso_dates(stripped[f]) for f, fs in spec.fields.items() if fs.type == "date"}
    for fname, fspec in spec.fields.items():
        values = stripped[fname]
        empty = (values == "").to_numpy(dtype=bool)
        if fspec.required or fname in spec.key:
            emit(empty, fname, "required", "error", lambda i: {})
        present = ~empty
        if not present.any():
            continue
        sub = values[present]
        positions = np.flatnonzero(present)
        for finding in _findings(plan, fspec, sub, dates[fname][present] if fname in dates else None):
            if not finding.mask.any():
                continue
            full = np.zeros(n, dtype=bool)
            full[positions[finding.mask]] = True
            emit(full, fname, finding.code, finding.severity,
                 _params(plan, fspec, frame[fname], finding, positions))
    problems += _cross_checks(plan, spec, stripped, dates, lines, shown, invalid)
    return problems, invalid


# Field type → its vectorised checks (each takes the non-empty values of one column).
CHECKS = {
    "cnipa_application_no": F.check_cnipa,
    "uscc": F.check_uscc,
    "software_copyright_no": F.check_software_no,
    "trademark_no": F.check_trademark_no,
    "nice_class": F.check_nice_class,
    "integer": F.check_integer,
    "decimal": F.check_decimal,
}


def _findings(plan: Plan, fspec: FieldSpec, values: pd.Series, parsed: pd.Series | None = None) -> list[F.Finding]:
    kind = fspec.type
    if kind in CHECKS:
        return CHECKS[kind](values)
    if kind == "date":
        return F.check_date(values, plan.dates.earliest, plan.dates.latest, parsed)
    if kind == "enum":
        return F.check_enum(values, list(fspec.values or {}))
    if kind == "town":
        return _check_town(plan, values)
    return F.check_text(values)  # text, id


def _params(plan: Plan, fspec: FieldSpec, column: pd.Series, finding: F.Finding,
            positions: np.ndarray) -> Callable[[int], dict]:
    """Message parameters for row i (a position in the whole frame)."""
    where = {int(p): k for k, p in enumerate(positions)}
    index = plan.town_index

    def params(i: int) -> dict:
        # Personal fields (trainee names) never appear in messages: the line says where to look.
        value = "***" if fspec.personal else column.iloc[i]
        out: dict = {"value": value}
        for key, series in finding.extra.items():
            out[key] = series.iloc[where[i]]
        if finding.code == "bad_enum":
            out["allowed"] = ", ".join(fspec.values or {})
        elif finding.code == "date_out_of_range":
            out.update(earliest=plan.dates.earliest, latest=plan.dates.latest)
        elif finding.code == "unknown_town":
            out["suggestions"] = "、".join(index.suggest(value))
        return out

    return params


def _check_town(plan: Plan, values: pd.Series) -> list[F.Finding]:
    """Canonical names pass; an alias is an error naming the canonical name; else unknown."""
    index = plan.town_index
    canonical = values.isin(index.names).to_numpy(dtype=bool)
    resolved = pd.Series(index=values.index, dtype=object)
    if not canonical.all():  # look up only the few non-canonical spellings
        odd = values[~canonical]
        resolved[~canonical] = odd.map({v: index.canonical(v) for v in odd.unique()}).to_numpy(dtype=object)
    alias = ~canonical & resolved.notna().to_numpy(dtype=bool)
    return [F.Finding(alias, "town_alias", extra={"canonical": resolved}),
            F.Finding(~canonical & ~alias, "unknown_town")]


def _cross_checks(plan: Plan, spec: LedgerSpec, values: dict[str, pd.Series], dates: dict[str, pd.Series],
                  lines: np.ndarray, shown: str, invalid: np.ndarray) -> list[Problem]:
    problems: list[Problem] = []
    for check in spec.checks:
        a, b = values.get(check.field), values.get(check.other)
        if a is None or b is None:
            continue
        if check.rule == "not_before":
            first, second = dates[check.field], dates[check.other]
            mask = (first < second).to_numpy(dtype=bool)
            for i in np.flatnonzero(mask):
                invalid[i] = True
                problems.append(Problem(shown, int(lines[i]), check.field, "not_before", "error", {
                    "field": check.field, "value": a.iloc[i], "other": check.other,
                    "other_value": b.iloc[i]}))
        elif check.rule == "cnipa_type":
            digit = F.cnipa_type_digit(a)
            implied = digit.map(F.CNIPA_TYPE_DIGITS)
            mask = (implied.notna() & (b != "") & (implied != b)).to_numpy(dtype=bool)
            for i in np.flatnonzero(mask):
                invalid[i] = True
                problems.append(Problem(shown, int(lines[i]), check.other, "cnipa_type_mismatch", "error", {
                    "value": a.iloc[i], "digit": digit.iloc[i], "number_type": implied.iloc[i],
                    "type": b.iloc[i]}))
    return problems


def _duplicate_keys(spec: LedgerSpec, values: dict[str, pd.Series], lines: np.ndarray, shown: str,
                    invalid: np.ndarray) -> list[Problem]:
    if len(spec.key) == 1 and _all_distinct(values[spec.key[0]]):
        return []
    keys = pd.DataFrame({k: values[k] for k in spec.key})
    dup = keys.duplicated(keep=False).to_numpy(dtype=bool) & (keys != "").all(axis=1).to_numpy()
    if not dup.any():
        return []
    groups: dict[tuple, list[int]] = {}
    for i in np.flatnonzero(dup):
        groups.setdefault(tuple(keys.iloc[i]), []).append(i)
    problems = []
    for key, rows in groups.items():
        for i in rows:
            other = next(j for j in rows if j != i)
            invalid[i] = True
            problems.append(Problem(shown, int(lines[i]), spec.key[0], "duplicate_key", "error", {
                "key": "/".join(key), "other_line": int(lines[other])}))
    return problems


def _all_distinct(values: pd.Series) -> bool:
    """Arrow's hash unique: faster than pandas (and than Arrow's count_distinct) on 1M keys."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return len(pc.unique(pa.array(values, from_pandas=True))) == len(values)
