"""The checks that word the messages: every field, cross-field and key rule, on pandas.

validate.check_frame runs these only on the rows the screen could not clear, so their cost is
paid for problems, not for clean rows. A field's own checks, and the parameters of their
messages, are its type's (field_types.py); what is here applies to every type: required values,
Excel's damage to identifiers, the value every message names, cross-field checks, duplicate keys.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Callable

import numpy as np
import pandas as pd

from ipdemo.checks import cross_rules, field_checks
from ipdemo.checks.field_types import FIELD_TYPES, FieldContext, FieldType
from ipdemo.errors import Problem
from ipdemo.plan.model import LedgerSpec, Plan

# Identifiers that Excel turns into numbers when a CSV is opened and saved again: 202321000001
# becomes 2.02321E+11 and the digits after the sixth are gone for good.
EXCEL_SCIENTIFIC = r"^[0-9](?:\.[0-9]+)?E\+?[0-9]+$"

Params = Callable[[int], dict]  # row (a position in the frame) → its message parameters


@dataclass
class _Found:
    """The problems found so far, and the rows their errors make invalid."""

    shown: str
    lines: np.ndarray
    invalid: np.ndarray
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def emit(self, mask: np.ndarray, fname: str, code: str, severity: str, params: Params) -> None:
        rows = np.flatnonzero(mask)
        if severity == "error":
            self.invalid[rows] = True
        self.problems.extend(
            Problem(self.shown, int(self.lines[i]), fname, code, severity, params(int(i))) for i in rows
        )


def row_checks(
    plan: Plan, spec: LedgerSpec, frame: pd.DataFrame, lines: np.ndarray, shown: str
) -> tuple[list[Problem], np.ndarray]:
    """The field and cross-field checks of every row given, worded for the user."""
    found = _Found(shown, lines, np.zeros(len(frame), dtype=bool))
    stripped = {f: frame[f].str.strip() for f in spec.fields if f in frame.columns}
    today = date.today()
    for fname, fspec in spec.fields.items():
        required = fspec.required is True or fname in spec.key
        _field_checks(found, FieldContext(plan, fspec, today), fname, required, frame[fname], stripped[fname])
    found.problems += _cross_checks(spec, stripped, lines, shown, found.invalid)
    return found.problems, found.invalid


def _field_checks(
    found: _Found, field: FieldContext, fname: str, required: bool, column: pd.Series, values: pd.Series
) -> None:
    """One field's checks: empty values, then its type's checks on the rest (values: stripped)."""
    ftype = FIELD_TYPES[field.spec.type]
    empty = (values == "").to_numpy(dtype=bool)
    if required:
        found.emit(empty, fname, "required", "error", _no_params)
    elif field.spec.required == "warning":
        found.emit(empty, fname, ftype.empty_code, "warning", _no_params)
    present = ~empty
    if not present.any():
        return
    positions = np.flatnonzero(present)
    for finding in _findings(ftype, field, values[present]):
        if not finding.mask.any():
            continue
        full = np.zeros(len(values), dtype=bool)
        full[positions[finding.mask]] = True
        found.emit(full, fname, finding.code, finding.severity, _params(ftype, field, column, finding, positions))


def _no_params(row: int) -> dict:
    return {}


def _findings(ftype: FieldType, field: FieldContext, values: pd.Series) -> list[field_checks.Finding]:
    """The type's findings; of an identifier Excel has damaged, that damage alone."""
    found = ftype.check(values, field)
    if not ftype.identifier:
        return found
    damaged = values.str.match(EXCEL_SCIENTIFIC, case=False).to_numpy(dtype=bool)
    if not damaged.any():
        return found
    # Excel's damage is the one problem worth naming: the shape error would only confuse.
    rest = [field_checks.Finding(f.mask & ~damaged, f.code, f.severity, f.extra) for f in found]
    return [field_checks.Finding(damaged, "excel_scientific"), *rest]


def _params(
    ftype: FieldType, field: FieldContext, column: pd.Series, finding: field_checks.Finding, positions: np.ndarray
) -> Params:
    """Message parameters for row i (a position in the whole frame)."""
    where = {int(p): k for k, p in enumerate(positions)}

    def params(i: int) -> dict:
        # Personal fields (trainee names) never appear in messages: the line says where to look.
        value = "***" if field.spec.personal else column.iloc[i]
        out: dict = {"value": value}
        for key, series in finding.extra.items():
            out[key] = series.iloc[where[i]]
        if ftype.params is not None:
            out.update(ftype.params(finding.code, value, field))
        return out

    return params


def _cross_checks(
    spec: LedgerSpec, values: dict[str, pd.Series], lines: np.ndarray, shown: str, invalid: np.ndarray
) -> list[Problem]:
    """The plan's cross-field checks, each worded by its entry in cross_rules.CROSS_RULES."""
    problems: list[Problem] = []
    for check in spec.checks:
        a, b = values.get(check.field), values.get(check.other)
        if a is None or b is None:
            continue
        rule = cross_rules.rule_named(check)
        broken = rule.check(cross_rules.Pair(spec, check, a, b))
        fname = rule.field_of(check)
        for i in np.flatnonzero(broken.mask):
            invalid[i] = True
            problems.append(Problem(shown, int(lines[i]), fname, rule.code, "error", broken.params(int(i))))
    return problems


def duplicate_keys(
    spec: LedgerSpec, values: dict[str, pd.Series], lines: np.ndarray, shown: str, invalid: np.ndarray
) -> list[Problem]:
    keys = pd.DataFrame({k: values[k] for k in spec.key})
    dup = keys.duplicated(keep=False).to_numpy(dtype=bool) & (keys != "").all(axis=1).to_numpy()
    if not dup.any():
        return []
    groups: dict[tuple, list[int]] = {}
    for row in np.flatnonzero(dup):
        groups.setdefault(tuple(keys.iloc[row]), []).append(int(row))
    problems = []
    for key, rows in groups.items():
        for i in rows:
            other = next(j for j in rows if j != i)
            invalid[i] = True
            problems.append(
                Problem(
                    shown,
                    int(lines[i]),
                    spec.key[0],
                    "duplicate_key",
                    "error",
                    {"key": "/".join(key), "other_line": int(lines[other])},
                )
            )
    return problems
