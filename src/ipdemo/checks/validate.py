"""Check ledgers against their schema in targets.yaml. Returns data, never prints.

`check_frame` works on any string table (Arrow) or frame (pandas) with canonical columns, so
import uses the same rules on incoming rows that validate uses on stored ones. The screen
clears the rows that certainly pass from their raw bytes; rules.py words the problems of the
rest. A clean ledger is therefore checked without pandas ever being imported.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

import numpy as np
import pyarrow as pa

from ipdemo.checks import screen as screening
from ipdemo.data import arrays
from ipdemo.data.ledger import Table, display_path, read_table
from ipdemo.errors import LedgerError, Problem
from ipdemo.plan.model import LedgerSpec, Plan

if TYPE_CHECKING:
    import pandas as pd

Rows = Union[pa.Table, "pd.DataFrame"]


@dataclass
class LedgerCheck:
    """One ledger read and checked: its rows, their problems, and which rows are invalid."""

    name: str
    table: Table
    problems: list[Problem]
    invalid: np.ndarray  # True where a row has at least one error
    tidy: bool = True  # no value has edge spaces (the screen cleared every row)

    @property
    def valid_rows(self) -> pa.Table:
        """The rows without errors; values stripped as the checks strip them before judging."""
        import pyarrow.compute as pc

        rows = self.table.arrow
        if self.invalid.any():  # filtering copies every column: only when something goes
            rows = rows.filter(arrays.bools(~self.invalid))
        if not self.tidy:
            for i, name in enumerate(rows.column_names):
                if screening.Column(rows.column(i)).untrimmed().any():
                    rows = rows.set_column(i, name, pc.utf8_trim_whitespace(rows.column(i)))
        return rows


def check_ledger_file(plan: Plan, name: str, data: bytes | None = None) -> LedgerCheck:
    path = plan.ledger_path(name)
    spec = plan.ledgers[name]
    if data is None and not path.exists():
        empty = Table(path, list(spec.fields), _empty_table(spec), np.array([], dtype=np.int64))
        problem = Problem(display_path(path), None, None, "ledger_missing",
                          params={"path": display_path(path)})
        return LedgerCheck(name, empty, [problem], np.zeros(0, dtype=bool))
    try:
        table = read_table(path, data=data)
    except LedgerError as exc:
        problem = Problem(display_path(path), 1, None, exc.code, params=exc.params)
        empty = Table(path, list(spec.fields), _empty_table(spec), np.array([], dtype=np.int64))
        return LedgerCheck(name, empty, [problem], np.zeros(0, dtype=bool))
    return check_table(plan, name, table)


def _empty_table(spec: LedgerSpec) -> pa.Table:
    return pa.table({c: arrays.strings([]) for c in spec.fields})


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
                                        "error" if fspec.required is True or fname in spec.key else "warning",
                                        {"column": fname, "expected": ", ".join(spec.fields)}))
    arrow = table.arrow
    for fname in spec.fields:
        if fname not in arrow.column_names:
            arrow = arrow.append_column(fname, arrays.strings([""] * arrow.num_rows))
    screened = screen_rows(plan, spec, arrow)
    suspects = screened[0]
    row_problems, invalid = check_frame(plan, name, arrow, table.lines, shown, screened=screened)
    problems += row_problems + _probable_duplicates(spec, arrow, table.lines, shown)
    if any(p.code == "missing_column" and p.severity == "error" for p in problems):
        invalid[:] = True
    return LedgerCheck(name, Table(table.path, table.header, arrow, table.lines, table.problems),
                       problems, invalid, tidy=not suspects.any())


def _probable_duplicates(spec: LedgerSpec, arrow: pa.Table, lines: np.ndarray, shown: str) -> list[Problem]:
    """One record stored twice under two keys (a loan from the district's sheet and the bank's
    statement before they were linked): a warning naming both lines."""
    from ipdemo.checks import identity

    if not identity.applies(spec) or not arrow.num_rows:
        return []
    wanted = {spec.key[0], *(f for fields in spec.identify for f in fields)}
    columns = {f: arrow.column(f).to_pylist() for f in wanted if f in arrow.column_names}
    return [Problem(shown, int(lines[other]), spec.key[0], "probable_duplicate", "warning",
                    {"other_line": int(lines[first]), "fields": "、".join(fields)})
            for first, other, fields in identity.probable_duplicates(spec, columns)]


def screen_rows(plan: Plan, spec: LedgerSpec, frame: Rows) -> tuple[np.ndarray, bool]:
    """(rows the full checks must see, whether the keys are certainly distinct), side by side:
    the key test is one Arrow hash pass that would otherwise wait for the screen."""
    keys = [_column(frame, k) for k in spec.key if k in _columns(frame)]
    if len(frame) < screening.PARALLEL_ROWS:
        return screening.suspect_rows(plan, spec, frame), _all_distinct(keys)
    with ThreadPoolExecutor(1) as pool:
        distinct = pool.submit(_all_distinct, keys)
        return screening.suspect_rows(plan, spec, frame), distinct.result()


def check_frame(plan: Plan, name: str, frame: Rows, lines: np.ndarray, shown: str,
                screen: bool = True, screened: tuple[np.ndarray, bool] | None = None
                ) -> tuple[list[Problem], np.ndarray]:
    """Every field, cross-field and key check on a table of canonical string columns.

    screened: screen_rows' verdict, when the caller has it already. screen=False checks every
    row the slow way (tests compare the two)."""
    spec = plan.ledgers[name]
    n = len(frame)
    invalid = np.zeros(n, dtype=bool)
    problems: list[Problem] = []
    if screened is None:
        screened = screen_rows(plan, spec, frame) if screen else (np.ones(n, dtype=bool), False)
    suspects, distinct = screened
    rows = np.flatnonzero(suspects)
    if len(rows):
        from ipdemo.checks import rules

        problems, invalid[rows] = rules.row_checks(plan, spec, _pandas(frame, rows), lines[rows], shown)
    if not distinct:
        from ipdemo.checks import rules

        keys = [k for k in spec.key if k in _columns(frame)]
        stripped = {k: _pandas(frame, None)[k].str.strip() for k in keys}
        problems += rules.duplicate_keys(spec, stripped, lines, shown, invalid)
    problems.sort(key=lambda p: (p.line or 0))
    return problems, invalid


def _columns(frame: Rows) -> list[str]:
    return frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)


def _column(frame: Rows, name: str):
    return frame.column(name) if isinstance(frame, pa.Table) else frame[name]


def _pandas(frame: Rows, rows: np.ndarray | None) -> pd.DataFrame:
    """The given rows (all when None) as a pandas frame of str columns."""
    if isinstance(frame, pa.Table):
        part = frame if rows is None or len(rows) == frame.num_rows else frame.take(pa.array(rows))
        return part.to_pandas()
    return frame if rows is None or len(rows) == len(frame) else frame.iloc[rows]


def _all_distinct(columns: list) -> bool:
    """No key twice, and no key part empty or with edge spaces (else rules.duplicate_keys looks
    closer). Arrow's hash unique: faster than pandas (and than Arrow's count_distinct)."""
    import pyarrow.compute as pc

    parts = [screening.Column(c) for c in columns]
    if not parts or any((p.empty | p.null | p.untrimmed()).any() for p in parts):
        return False
    # Composite keys joined by a unit separator: a value containing it could only make two keys
    # look alike, which sends the check to the exact path, never past a real duplicate.
    joined = parts[0].array if len(parts) == 1 else \
        pc.binary_join_element_wise(*[p.array.cast(pa.large_string()) for p in parts],
                                    arrays.string("\x1f", pa.large_string()))
    return len(pc.unique(joined)) == parts[0].n
