"""The checks that word the messages: every field, cross-field and key rule, on pandas.

validate.check_frame runs these only on the rows the screen (screen.py) could not clear, so
their cost is paid for problems, not for clean rows.
"""

from __future__ import annotations

import difflib
from typing import Callable

import numpy as np
import pandas as pd

from ipdemo.checks import fields
from ipdemo.checks.codes import CNIPA_TYPE_DIGITS
from ipdemo.errors import Problem
from ipdemo.plan.model import FieldSpec, LedgerSpec, Plan


def row_checks(plan: Plan, spec: LedgerSpec, frame: pd.DataFrame, lines: np.ndarray, shown: str
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
    dates = {f: fields.parse_iso_dates(stripped[f]) for f, fs in spec.fields.items() if fs.type == "date"}
    for fname, fspec in spec.fields.items():
        values = stripped[fname]
        empty = (values == "").to_numpy(dtype=bool)
        if fspec.required is True or fname in spec.key:
            emit(empty, fname, "required", "error", lambda i: {})
        elif fspec.required == "warning":
            emit(empty, fname, "town_unassigned" if fspec.type == "town" else "empty_field", "warning",
                 lambda i: {})
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
    "cnipa_application_no": fields.check_cnipa,
    "uscc": fields.check_uscc,
    "software_copyright_no": fields.check_software_no,
    "trademark_no": fields.check_trademark_no,
    "nice_class": fields.check_nice_class,
    "integer": fields.check_integer,
    "decimal": fields.check_decimal,
}


# Identifiers that Excel turns into numbers when a CSV is opened and saved again: 202321000001
# becomes 2.02321E+11 and the digits after the sixth are gone for good.
IDENTIFIER_TYPES = {"cnipa_application_no", "uscc", "software_copyright_no", "trademark_no", "id"}
EXCEL_SCIENTIFIC = r"^[0-9](?:\.[0-9]+)?E\+?[0-9]+$"


def _findings(plan: Plan, fspec: FieldSpec, values: pd.Series, parsed: pd.Series | None = None) -> list[fields.Finding]:
    found = _type_findings(plan, fspec, values, parsed)
    if fspec.type not in IDENTIFIER_TYPES:
        return found
    damaged = values.str.match(EXCEL_SCIENTIFIC, case=False).to_numpy(dtype=bool)
    if not damaged.any():
        return found
    # Excel's damage is the one problem worth naming: the shape error would only confuse.
    rest = [fields.Finding(f.mask & ~damaged, f.code, f.severity, f.extra) for f in found]
    return [fields.Finding(damaged, "excel_scientific"), *rest]


def _type_findings(plan: Plan, fspec: FieldSpec, values: pd.Series, parsed: pd.Series | None = None
                   ) -> list[fields.Finding]:
    kind = fspec.type
    if kind in CHECKS:
        return CHECKS[kind](values)
    if kind == "date":
        return fields.check_date(values, plan.dates.earliest, plan.dates.latest, parsed, future_ok=fspec.future)
    if kind == "enum":
        return fields.check_enum(values, list(fspec.values or {}))
    if kind == "town":
        return _check_town(plan, values)
    return fields.check_text(values)  # text, id


def _params(plan: Plan, fspec: FieldSpec, column: pd.Series, finding: fields.Finding,
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
            allowed = list(fspec.values or {})
            if len(allowed) > 12:  # a long list (task ids): the closest few, then how many more
                close = difflib.get_close_matches(str(value), allowed, n=3, cutoff=0.0)
                allowed = [*close, f"… (+{len(fspec.values or {}) - len(close)})"]
            out["allowed"] = ", ".join(allowed)
        elif finding.code == "date_out_of_range":
            out.update(earliest=plan.dates.earliest, latest=plan.dates.latest)
        elif finding.code == "unknown_town":
            out["suggestions"] = "、".join(index.suggest(value))
        return out

    return params


def _check_town(plan: Plan, values: pd.Series) -> list[fields.Finding]:
    """Canonical names pass; an alias is an error naming the canonical name; else unknown."""
    index = plan.town_index
    canonical = values.isin(index.names).to_numpy(dtype=bool)
    resolved = pd.Series(index=values.index, dtype=object)
    if not canonical.all():  # look up only the few non-canonical spellings
        odd = values[~canonical]
        resolved[~canonical] = odd.map({v: index.canonical(v) for v in odd.unique()}).to_numpy(dtype=object)
    alias = ~canonical & resolved.notna().to_numpy(dtype=bool)
    return [fields.Finding(alias, "town_alias", extra={"canonical": resolved}),
            fields.Finding(~canonical & ~alias, "unknown_town")]


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
            digit = fields.cnipa_type_digit(a)
            implied = digit.map(CNIPA_TYPE_DIGITS)
            mask = (implied.notna() & (b != "") & (implied != b)).to_numpy(dtype=bool)
            for i in np.flatnonzero(mask):
                invalid[i] = True
                problems.append(Problem(shown, int(lines[i]), check.other, "cnipa_type_mismatch", "error", {
                    "value": a.iloc[i], "digit": digit.iloc[i], "number_type": implied.iloc[i],
                    "type": b.iloc[i]}))
    return problems


def duplicate_keys(spec: LedgerSpec, values: dict[str, pd.Series], lines: np.ndarray, shown: str,
                    invalid: np.ndarray) -> list[Problem]:
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
