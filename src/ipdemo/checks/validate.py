"""Check ledgers against their schema in targets.yaml. Returns data, never prints.

`check_frame` works on any string table (Arrow) or frame (pandas) with canonical columns, so
import uses the same rules on incoming rows that validate uses on stored ones. It runs in two
passes, both driven by the field types' table (field_types.py):

- the screen (`screen_rows`): each field's byte kernel (screen.py) clears the values certainly
  clean, from their raw bytes. A type without a kernel clears nothing.
- the worded checks (rules.py), only on the rows the screen could not clear.

The screen's promise (tests/test_screen.py): a row it clears has no problem the worded checks
would find, so `check_frame` finds exactly what `check_every_row` finds. A clean ledger is
therefore checked without pandas ever being imported.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Union

import numpy as np
import pyarrow as pa

from ipdemo.checks import cross_rules
from ipdemo.checks import screen as screening
from ipdemo.checks.field_types import FIELD_TYPES, FieldContext, FieldType
from ipdemo.data import arrays
from ipdemo.data.ledger import Table, display_path, read_table
from ipdemo.errors import LedgerError, Problem
from ipdemo.plan.model import LedgerSpec, Plan

if TYPE_CHECKING:
    import pandas as pd

PARALLEL_ROWS = 200_000  # below this, threads cost more than they save
Rows = Union[pa.Table, "pd.DataFrame"]


@dataclass
class LedgerCheck:
    """One ledger read and checked: its rows, their problems, and which rows are invalid."""

    name: str
    table: Table
    problems: list[Problem]
    invalid: np.ndarray  # True where a row has at least one error
    screen_cleared_all: bool = True  # the screen cleared every row: no value has edge spaces to strip
    # Date field → day number per row where the screen read a clean date, screen.NO_DAY elsewhere:
    # the dates of the valid rows need not be parsed a second time (valid_days).
    days: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def valid_rows(self) -> pa.Table:
        """The rows without errors; values stripped as the checks strip them before judging."""
        import pyarrow.compute as pc

        rows = self.table.arrow
        if self.invalid.any():  # filtering copies every column: only when something goes
            rows = rows.filter(arrays.bools(~self.invalid))
        if not self.screen_cleared_all:
            for i, name in enumerate(rows.column_names):
                if screening.Column(rows.column(i)).untrimmed().any():
                    rows = rows.set_column(i, name, pc.utf8_trim_whitespace(rows.column(i)))
        return rows

    @property
    def valid_days(self) -> dict[str, np.ndarray]:
        """`days`, for the rows of valid_rows."""
        if not self.invalid.any():
            return self.days
        keep = ~self.invalid
        return {name: days[keep] for name, days in self.days.items()}


def check_ledger_file(plan: Plan, name: str, data: bytes | None = None) -> LedgerCheck:
    path = plan.ledger_path(name)
    spec = plan.ledgers[name]
    if data is None and not path.exists():
        empty = Table(path, list(spec.fields), _empty_table(spec), np.array([], dtype=np.int64))
        problem = Problem(display_path(path), None, None, "ledger_missing", params={"path": display_path(path)})
        return LedgerCheck(name, empty, [problem], np.zeros(0, dtype=bool))
    try:
        table = read_table(path, data=data)
    except LedgerError as exc:
        line = exc.params.get("first_line", 1)  # a few lines not UTF-8: the first of them
        problem = Problem(display_path(path), line, None, exc.code, params=exc.params)
        empty = Table(path, list(spec.fields), _empty_table(spec), np.array([], dtype=np.int64))
        return LedgerCheck(name, empty, [problem], np.zeros(0, dtype=bool))
    return check_table(plan, name, table)


@dataclass(frozen=True)
class PieceCheck:
    """One piece of a ledger read piece by piece (ledger.read_pieces), checked alone: every
    check but duplicate keys, which needs every row (`keys_distinct` on the gathered `keys`)."""

    valid_rows: pa.Table  # as LedgerCheck.valid_rows
    valid_days: dict[str, np.ndarray]  # as LedgerCheck.valid_days
    problems: list[Problem]
    invalid_lines: np.ndarray
    invalid_rows: pa.Table  # the rows left out, as read
    keys: list[pa.ChunkedArray]  # the key columns of every row, as read
    key_codes: np.ndarray | None  # a one-field key's codes (FieldType.key_codes), when every value has one


def plain_header(spec: LedgerSpec, header: list[str]) -> bool:
    """The header names exactly the ledger's fields: check_table finds no header problem."""
    return len(header) == len(spec.fields) and set(header) == set(spec.fields)


def check_piece(plan: Plan, name: str, table: Table, today: date) -> PieceCheck:
    """A piece of a ledger with a plain header, checked as check_table checks those rows, but for
    duplicate keys (the caller tests `keys_distinct` on every piece's keys) and for probable
    duplicates (ledgers with `identify` are not read piece by piece)."""
    spec = plan.ledgers[name]
    rows = screen_row_local(plan, spec, table.arrow, today)
    verdict = Screening(rows.suspects, keys_distinct=True, days=rows.days)
    problems, invalid = _worded(plan, spec, table.arrow, table.lines, table.display, verdict)
    check = LedgerCheck(name, table, problems, invalid, not rows.suspects.any(), rows.days)
    return PieceCheck(
        check.valid_rows,
        check.valid_days,
        problems,
        table.lines[invalid],
        table.arrow.filter(arrays.bools(invalid)),
        [table.arrow.column(k) for k in spec.key],
        _piece_codes(spec, table.arrow),
    )


def _piece_codes(spec: LedgerSpec, arrow: pa.Table) -> np.ndarray | None:
    """The key's codes, computed with the piece (on its core): each value's code is its own, so
    the pieces' codes together are the ledger's."""
    ftype = FIELD_TYPES.get(spec.fields[spec.key[0]].type) if len(spec.key) == 1 else None
    coder = ftype.key_codes if ftype is not None else None
    return coder(screening.Column(arrow.column(spec.key[0]))) if coder is not None else None


def keys_distinct(plan: Plan, name: str, keys: list[list[pa.ChunkedArray]], codes: list[np.ndarray | None]) -> bool:
    """No key twice among the pieces' keys (and codes: PieceCheck), none empty or untrimmed
    (screen_rows' key test)."""
    if codes and all(c is not None for c in codes):  # every value coded: none empty or padded
        ordered = np.sort(np.concatenate([c for c in codes if c is not None]))
        return not bool((ordered[1:] == ordered[:-1]).any())
    spec = plan.ledgers[name]
    parts = [
        pa.chunked_array([c for piece in keys for c in piece[i].chunks], pa.string()) for i in range(len(spec.key))
    ]
    return _all_distinct([KeyPart(part, FIELD_TYPES.get(spec.fields[k].type)) for k, part in zip(spec.key, parts)])


def _empty_table(spec: LedgerSpec) -> pa.Table:
    return pa.table({c: arrays.strings([]) for c in spec.fields})


def check_table(plan: Plan, name: str, table: Table) -> LedgerCheck:
    spec = plan.ledgers[name]
    shown = table.display
    problems = list(table.problems)
    if table.header:
        for column in table.header:
            if column not in spec.fields:
                problems.append(Problem(shown, 1, column, "unknown_column", "warning", {"column": column}))
        for fname, fspec in spec.fields.items():
            if fname not in table.header:
                problems.append(
                    Problem(
                        shown,
                        1,
                        fname,
                        "missing_column",
                        "error" if fspec.required is True or fname in spec.key else "warning",
                        {"column": fname, "expected": ", ".join(spec.fields)},
                    )
                )
    arrow = table.arrow
    for fname in spec.fields:
        if fname not in arrow.column_names:
            arrow = arrow.append_column(fname, arrays.strings([""] * arrow.num_rows))
    screened = screen_rows(plan, spec, arrow)
    row_problems, invalid = check_frame(plan, name, arrow, table.lines, shown, screened=screened)
    problems += row_problems + _probable_duplicates(spec, arrow, table.lines, shown)
    if any(p.code == "missing_column" and p.severity == "error" for p in problems):
        invalid[:] = True
    return LedgerCheck(
        name,
        Table(table.path, table.header, arrow, table.lines, table.problems),
        problems,
        invalid,
        screen_cleared_all=not screened.suspects.any(),
        days=screened.days,
    )


def _probable_duplicates(spec: LedgerSpec, arrow: pa.Table, lines: np.ndarray, shown: str) -> list[Problem]:
    """One record stored twice under two keys (a loan from the district's sheet and the bank's
    statement before they were linked): a warning naming both lines."""
    from ipdemo.checks import identity

    if not identity.applies(spec) or not arrow.num_rows:
        return []
    wanted = {spec.key[0], *(f for fields in spec.identify for f in fields)}
    columns = {f: arrow.column(f).to_pylist() for f in wanted if f in arrow.column_names}
    return [
        Problem(
            shown,
            int(lines[other]),
            spec.key[0],
            "probable_duplicate",
            "warning",
            {"other_line": int(lines[first]), "fields": "、".join(fields)},
        )
        for first, other, fields in identity.probable_duplicates(spec, columns)
    ]


# --- the screen ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Screening:
    """The screen's verdict on a table."""

    suspects: np.ndarray  # True for the rows the worded checks must see
    keys_distinct: bool  # no key twice and none empty or untrimmed: no duplicate-key check needed
    # Date field → day number per row where its kernel read a clean date, screen.NO_DAY elsewhere.
    days: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True)
class RowScreen:
    """The row-local part of the screen's verdict, for a table or one batch of it."""

    suspects: np.ndarray
    days: dict[str, np.ndarray]  # as Screening.days


def screen_rows(plan: Plan, spec: LedgerSpec, frame: Rows) -> Screening:
    """The suspect rows (and the dates read on the way), and whether the keys are certainly
    distinct, side by side: the key test (a sort of integer codes, or an Arrow hash pass) would
    otherwise wait for the screen."""
    present = _columns(frame)
    keys = [KeyPart(_column(frame, k), FIELD_TYPES.get(spec.fields[k].type)) for k in spec.key if k in present]
    if len(frame) < PARALLEL_ROWS:
        rows = screen_row_local(plan, spec, frame)
        return Screening(rows.suspects, _all_distinct(keys), rows.days)
    with ThreadPoolExecutor(1) as pool:
        distinct = pool.submit(_all_distinct, keys)
        rows = screen_row_local(plan, spec, frame)
        return Screening(rows.suspects, distinct.result(), rows.days)


def suspect_rows(plan: Plan, spec: LedgerSpec, frame: Rows, today: date | None = None) -> np.ndarray:
    """True for every row the worded checks must look at (all but the certainly clean)."""
    return screen_row_local(plan, spec, frame, today).suspects


def screen_row_local(plan: Plan, spec: LedgerSpec, frame: Rows, today: date | None = None) -> RowScreen:
    """The suspect rows, and the dates the kernels read on the way.

    Duplicate keys are not row-local and are not screened here. Every other check is, so an
    Arrow table is screened batch by batch as the CSV reader made it: no column is copied into
    one piece, and a big ledger's batches share the cores (numpy releases the GIL)."""
    today = today or date.today()
    if not isinstance(frame, pa.Table):
        return _suspect_batch(plan, spec, frame, today)
    batches = frame.to_batches()
    workers = min(len(batches), os.cpu_count() or 1) if frame.num_rows >= PARALLEL_ROWS else 1
    if workers > 1:
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda batch: _suspect_batch(plan, spec, batch, today), batches))
    else:
        parts = [_suspect_batch(plan, spec, batch, today) for batch in batches]
    if not parts:
        return RowScreen(np.zeros(0, dtype=bool), {})
    return RowScreen(
        np.concatenate([part.suspects for part in parts]),
        {name: np.concatenate([part.days[name] for part in parts]) for name in parts[0].days},
    )


def _suspect_batch(plan: Plan, spec: LedgerSpec, frame: pa.RecordBatch | pd.DataFrame, today: date) -> RowScreen:
    present = set(frame.schema.names if isinstance(frame, pa.RecordBatch) else frame.columns)
    suspect = np.zeros(len(frame), dtype=bool)
    columns: dict[str, screening.Column] = {}
    screened: dict[str, screening.Screened] = {}
    for name, fspec in spec.fields.items():
        needed = fspec.required or name in spec.key
        if name not in present:
            suspect[:] |= needed
            continue
        col = columns[name] = screening.Column(_column(frame, name))
        ftype = FIELD_TYPES.get(fspec.type)
        suspect |= col.null if ftype is not None and ftype.screen_rejects_edges else col.null | col.untrimmed()
        if needed:
            suspect |= col.empty
        screened[name] = _screen_field(col, FieldContext(plan, fspec, today))
        suspect |= ~col.empty & ~screened[name].clean
    days = {name: verdict.days for name, verdict in screened.items() if verdict.days is not None}
    return RowScreen(suspect | _cross_suspects(spec, columns, screened, len(frame)), days)


def _screen_field(col: screening.Column, field: FieldContext) -> screening.Screened:
    """The field type's kernel. Safe by default: a type without a kernel (or without an entry in
    FIELD_TYPES) clears nothing, and its values all go to the worded checks."""
    ftype = FIELD_TYPES.get(field.spec.type)
    if ftype is None or ftype.screen is None:
        return screening.Screened(np.zeros(col.n, dtype=bool))
    screened = ftype.screen(col, field)
    if ftype.identifier:  # what Excel made of a long number (2.02321E+11) is worded, never cleared
        screened = replace(screened, clean=screened.clean & ~_maybe_scientific(col))
    return screened


def _maybe_scientific(col: screening.Column) -> np.ndarray:
    """Values made only of digits, '.', '+' and an E or e, starting with a digit: every row
    rules.EXCEL_SCIENTIFIC may match (a credit code with other letters is not one of them)."""
    data = col.data
    letter = (data == ord("E")) | (data == ord("e"))
    if not letter.any():  # the usual identifier column (CNIPA numbers): one pass, nothing to see
        return np.zeros(col.n, dtype=bool)
    number = ((data >= ord("0")) & (data <= ord("9"))) | (data == ord(".")) | (data == ord("+")) | letter
    digit_first = np.zeros(col.n, dtype=bool)
    filled = np.flatnonzero(col.length > 0)
    first = col.byte(0, filled)
    digit_first[filled] = (first >= ord("0")) & (first <= ord("9"))
    return digit_first & col.rows_with(letter) & ~col.rows_with(~number)


def _cross_suspects(
    spec: LedgerSpec, columns: dict[str, screening.Column], screened: dict[str, screening.Screened], n: int
) -> np.ndarray:
    """Rows a cross-field check may flag, as each rule's entry in cross_rules.CROSS_RULES screens
    them. A rule without a screen, or whose kernels did not give what it reads (a date check on a
    field without parsed days), leaves every row to the worded check."""
    suspect = np.zeros(n, dtype=bool)
    for check in spec.checks:
        if check.field not in columns or check.other not in columns:
            continue
        pair = cross_rules.ScreenPair(screened[check.field], screened[check.other], columns[check.other])
        suspect |= cross_rules.rule_named(check).suspects(pair, n)
    return suspect


# --- the worded checks ---------------------------------------------------------------------------


def check_frame(
    plan: Plan, name: str, frame: Rows, lines: np.ndarray, shown: str, screened: Screening | None = None
) -> tuple[list[Problem], np.ndarray]:
    """Every field, cross-field and key check on a table of canonical string columns: the screen
    first (or its verdict, `screened`, when the caller has it already), then the worded checks on
    the rows it could not clear. Returns (problems, True where a row has an error)."""
    spec = plan.ledgers[name]
    return _worded(plan, spec, frame, lines, shown, screened or screen_rows(plan, spec, frame))


def check_every_row(
    plan: Plan, name: str, frame: Rows, lines: np.ndarray, shown: str
) -> tuple[list[Problem], np.ndarray]:
    """check_frame without the screen: every row through the worded checks. Tests compare the
    two to hold the screen to its promise."""
    nothing_cleared = Screening(np.ones(len(frame), dtype=bool), keys_distinct=False)
    return _worded(plan, plan.ledgers[name], frame, lines, shown, nothing_cleared)


def _worded(
    plan: Plan, spec: LedgerSpec, frame: Rows, lines: np.ndarray, shown: str, screened: Screening
) -> tuple[list[Problem], np.ndarray]:
    invalid = np.zeros(len(frame), dtype=bool)
    problems: list[Problem] = []
    rows = np.flatnonzero(screened.suspects)
    if len(rows):
        from ipdemo.checks import rules

        problems, invalid[rows] = rules.row_checks(plan, spec, _pandas(frame, rows), lines[rows], shown)
    if not screened.keys_distinct:
        from ipdemo.checks import rules

        keys = [k for k in spec.key if k in _columns(frame)]
        stripped = {k: _pandas(frame, None)[k].str.strip() for k in keys}
        problems += rules.duplicate_keys(spec, stripped, lines, shown, invalid)
    problems.sort(key=lambda p: p.line or 0)
    return problems, invalid


def _columns(frame: Rows) -> list[str]:
    return frame.column_names if isinstance(frame, pa.Table) else list(frame.columns)


def _column(frame: Rows | pa.RecordBatch, name: str):
    return frame.column(name) if isinstance(frame, (pa.Table, pa.RecordBatch)) else frame[name]


def _pandas(frame: Rows, rows: np.ndarray | None) -> pd.DataFrame:
    """The given rows (all when None) as a pandas frame of str columns."""
    if isinstance(frame, pa.Table):
        part = frame if rows is None or len(rows) == frame.num_rows else frame.take(pa.array(rows))
        return part.to_pandas()
    return frame if rows is None or len(rows) == len(frame) else frame.iloc[rows]


@dataclass(frozen=True)
class KeyPart:
    """One column of a ledger's key, and its field type (None: a type the table does not know)."""

    values: pa.ChunkedArray | pa.Array | pd.Series
    ftype: FieldType | None


def _key_codes(key: list[KeyPart], parts: list[screening.Column]) -> np.ndarray | None:
    """The whole key of each row as one int64, one to one, when every part's type codes every one
    of its values (FieldType.key_codes) and the codes fit in 62 bits together; else None."""
    total: np.ndarray | None = None
    bound = 1
    for part, col in zip(key, parts, strict=True):
        coder = part.ftype.key_codes if part.ftype is not None else None
        coded = coder(col) if coder is not None else None
        if coded is None:
            return None
        limit = int(coded.max()) + 1 if len(coded) else 1
        if bound * limit >= 2**62:  # Python integers: the test itself cannot overflow
            return None
        total = coded if total is None else total * limit + coded
        bound *= limit
    return total


def _all_distinct(key: list[KeyPart]) -> bool:
    """No key twice, and no key part empty or with edge spaces (else rules.duplicate_keys looks
    closer). A key whose parts' types code their values as integers (CNIPA and trademark numbers,
    Nice classes) is sorted as numbers; any other goes through Arrow's hash unique (faster than
    pandas and than Arrow's count_distinct)."""
    import pyarrow.compute as pc

    parts = [screening.Column(part.values) for part in key]
    coded = _key_codes(key, parts)
    if coded is not None:  # every part coded: no value empty or padded
        ordered = np.sort(coded)
        return not bool((ordered[1:] == ordered[:-1]).any())
    if not parts or any((p.empty | p.null | p.untrimmed()).any() for p in parts):
        return False
    # Composite keys joined by a unit separator: a value containing it could only make two keys
    # look alike, which sends the check to the exact path, never past a real duplicate.
    joined = (
        parts[0].array
        if len(parts) == 1
        else pc.binary_join_element_wise(
            *[p.array.cast(pa.large_string()) for p in parts], arrays.string(arrays.KEY_JOIN, pa.large_string())
        )
    )
    return len(pc.unique(joined)) == parts[0].n


# --- what `ipdemo validate` checks ---------------------------------------------------------------

LedgerProblems = Callable[[Plan], list[Problem]]  # plan → the problems of every ledger, in plan order


@dataclass
class Validation:
    """The result of validating a project: every problem, and the files that were checked."""

    problems: list[Problem]
    files: list[str]  # targets.yaml, then every ledger (as display_path shows them)

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    def as_dict(self, lang: str = "zh") -> dict:
        """What `ipdemo validate --format json` prints."""
        errors = [p.as_dict(lang) for p in self.problems if p.severity == "error"]
        warnings = [p.as_dict(lang) for p in self.problems if p.severity == "warning"]
        return {"valid": not errors, "errors": errors, "warnings": warnings}


def validate_project(
    targets: Path, ledger_problems: LedgerProblems | None = None, guarded: Iterable[Path] = ()
) -> Validation:
    """The validate command's rule set: the plan, every ledger, every evidence path. A plan that
    cannot be read at all raises PlanError; a plan with problems is the result, ledgers unchecked.

    ledger_problems: how the ledgers are checked (the command line passes the engine's cached
    loader; by default every ledger is checked now, with the same result). guarded: folders no
    evidence path may point into (the cache)."""
    from ipdemo.checks.evidence import evidence_problems
    from ipdemo.errors import PlanError
    from ipdemo.plan.model import load_plan

    try:
        plan = load_plan(targets)
    except PlanError as exc:
        if not exc.problems:
            raise
        return Validation(exc.problems, [str(targets)])
    problems = (ledger_problems or every_ledger_problems)(plan)
    # evidence files the archive will not hold: missing, or refused (outside the evidence folders)
    problems = problems + evidence_problems(plan, list(plan.ledgers), guarded)
    files = [display_path(plan.source)] + [display_path(plan.ledger_path(n)) for n in plan.ledgers]
    return Validation(problems, files)


def every_ledger_problems(plan: Plan) -> list[Problem]:
    """Every ledger checked now (no cache): their problems in plan order."""
    refused = data_dir_problem(plan)
    if refused is not None:
        return [refused]
    return [p for name in plan.ledgers for p in check_ledger_file(plan, name).problems]


def data_dir_problem(plan: Plan) -> Problem | None:
    """The data folder is a file: no ledger can be read from it."""
    if plan.data_dir.exists() and not plan.data_dir.is_dir():
        shown = display_path(plan.data_dir)
        return Problem(shown, None, None, "data_dir_not_folder", params={"path": shown})
    return None
