"""Incoming values into their stored spelling, before they are checked and stored.

What a field type's values look like once normalised (full-width digits, CN prefixes, date
spellings, units) is the type's own rule: field_types.py names its normaliser (checks/field_checks.py).
This module applies it to an incoming column and adds the import's part: the spellings of enum
values and towns mapped to their canonical values, distinct value by distinct value.

Nothing here raises on bad input: what cannot be normalised is left for validation to report with
its line. Values that are ambiguous (day-first dates like 01/06/2021) are flagged, not guessed.

Invariant: a type's normaliser is a function of each value alone (its result and its ambiguous
flag depend on nothing else in the column), so the import runs it on a column's distinct values;
tests/test_xlsx_speed_normalise.py holds every type the plan uses to it. A normaliser that looked
across rows would have to be run on the whole column instead.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ipdemo.checks.field_types import FIELD_TYPES, FieldContext
from ipdemo.plan.model import FieldSpec, Plan

SEPARATORS = r"[;；,，|/、]"  # between the parts of a value that lists several states or events


def normalise_field(
    plan: Plan, spec: FieldSpec, values: pd.Series, factor: float = 1.0
) -> tuple[pd.Series, np.ndarray]:
    """(normalised values, ambiguous mask) for one incoming column. factor: what a plain number
    of the column is worth in the field's unit (its header names another unit).

    A type's normaliser is a function of each value alone, so it runs on the distinct values (a
    date, town or type column of 100k rows has a few thousand) and each row takes its value's
    result; a column of distinct values (a key) is normalised as it is."""
    field = FieldContext(plan, spec, unit_factor=factor)
    ftype = FIELD_TYPES[spec.type]
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    distinct = values if len(uniques) == len(values) else pd.Series(uniques, dtype=values.dtype)
    out = ftype.normalise(distinct, field)
    normalised = out.values if ftype.spellings is None else mapping(out.values, ftype.spellings(field))
    ambiguous = out.ambiguous if out.ambiguous is not None else np.zeros(len(distinct), dtype=bool)
    if distinct is values:
        return normalised, ambiguous
    each = normalised.take(codes)
    each.index = values.index
    return each, np.asarray(ambiguous, dtype=bool)[codes]


def mapping(values: pd.Series, table: dict[str, str]) -> pd.Series:
    """Replace known spellings (case- and width-insensitive keys) by their canonical value.

    A value listing several states or events ('公开;实质审查;授权;未缴年费专利权终止', as patent
    exports write a legal history) takes the last part that is known: the current one.
    Works on the distinct values (an enum or town column has a handful)."""
    codes, uniques = pd.factorize(values)
    out = np.empty(len(uniques), dtype=object)
    for i, value in enumerate(uniques):
        key = "".join(str(value).split()).casefold()
        found = table.get(key)
        if found is None and re.search(SEPARATORS, key):
            found = _last_known(key, table)
        out[i] = value if found is None else found
    result = out[codes] if len(codes) else np.array([], dtype=object)
    return pd.Series(result, index=values.index, dtype="str")


def _last_known(text: str, table: dict[str, str]) -> str | None:
    known = [table[part] for part in re.split(SEPARATORS, text) if part in table]
    return known[-1] if known else None
