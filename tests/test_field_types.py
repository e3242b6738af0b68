"""The field types' table (checks/field_types.py): complete, worded, and safe for a new type.

A type the plan allows has an entry; a type whose entry has no screen kernel is never cleared
by the screen, so its invalid values still reach the worded checks (slow, never wrong).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import get_args

import numpy as np
import pandas as pd
import pytest

from ipdemo.checks import field_checks
from ipdemo.checks.field_types import FIELD_TYPES, FieldType
from ipdemo.checks.validate import check_every_row, check_frame, suspect_rows
from ipdemo.i18n import MESSAGES
from ipdemo.plan.model import FieldTypeName, load_plan

from .conftest import ROOT, VALID_ROWS

PLAN = load_plan(ROOT / "targets.yaml")


def test_every_type_the_plan_allows_has_one_entry():
    assert set(FIELD_TYPES) == set(get_args(FieldTypeName))
    assert all(ftype.name == kind for kind, ftype in FIELD_TYPES.items())


def test_every_message_an_entry_names_is_worded():
    for ftype in FIELD_TYPES.values():
        codes = [*ftype.messages, ftype.empty_code, *(["excel_scientific"] if ftype.identifier else [])]
        assert all(code in MESSAGES for code in codes), ftype.name


def test_the_table_is_read_without_pandas():
    """The screen reads the table on clean data, which must not load pandas (test_startup.py)."""
    probe = "import sys, ipdemo.checks.validate, ipdemo.checks.field_types; print('pandas' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr[-2000:]


def frame(ledger: str, field: str, values: list[str]) -> pd.DataFrame:
    """Valid rows of a ledger, each with its own key, differing in one field."""
    rows = [{**VALID_ROWS[ledger], field: v} for v in values]
    return pd.DataFrame(rows, dtype="str")


def lines_of(rows: pd.DataFrame) -> np.ndarray:
    return np.arange(2, len(rows) + 2)


def test_a_type_without_a_screen_clears_nothing(monkeypatch):
    codes = ["91320509MA1MK3YW4P", "913205096829757874", "9132050", "91320509MA1MK3YW4I", ""]
    rows = frame("enterprise_programs", "credit_code", codes)
    spec = PLAN.ledgers["enterprise_programs"]
    with_kernel = suspect_rows(PLAN, spec, rows)

    monkeypatch.setitem(FIELD_TYPES, "uscc", dataclasses.replace(FIELD_TYPES["uscc"], screen=None))
    without = suspect_rows(PLAN, spec, rows)
    # The kernel cleared the valid codes; without it every non-empty code is suspect (the empty
    # one is too: the field is required).
    assert not with_kernel[0] and not with_kernel[1]
    assert without.all()
    problems, invalid = check_frame(PLAN, "enterprise_programs", rows, lines_of(rows), "x.csv")
    assert (problems, invalid.tolist()) == _as_lists(
        check_every_row(PLAN, "enterprise_programs", rows, lines_of(rows), "x.csv")
    )
    worded = {(p.line, p.code) for p in problems if p.field == "credit_code"}
    assert worded == {(4, "bad_uscc"), (5, "bad_uscc"), (6, "required")}


def _as_lists(found):
    problems, invalid = found
    return problems, invalid.tolist()


def _isbn(values: pd.Series, field) -> list[field_checks.Finding]:
    """A type added without a screen kernel: 13 digits."""
    return [field_checks.Finding(~values.str.fullmatch(r"[0-9]{13}").to_numpy(dtype=bool), "bad_number")]


@pytest.fixture
def isbn_events(monkeypatch):
    """The events ledger with `participants` of a new type, registered without a screen kernel."""
    monkeypatch.setitem(
        FIELD_TYPES,
        "isbn",
        FieldType("isbn", normalise=field_checks.normalise_nfkc, check=_isbn, messages=("bad_number",)),
    )
    spec = PLAN.ledgers["events"]
    retyped = spec.fields["participants"].model_copy(update={"type": "isbn"})
    monkeypatch.setitem(
        PLAN.ledgers, "events", spec.model_copy(update={"fields": {**spec.fields, "participants": retyped}})
    )


def test_a_new_type_without_a_screen_is_worded_by_its_own_check(isbn_events):
    rows = frame("events", "participants", ["9787111213826", "300", "", "97871112138x6"])
    rows["event_id"] = [f"HD-{i}" for i in range(len(rows))]
    spec = PLAN.ledgers["events"]
    # Every row with a value is suspect, valid or not; the row without one is cleared.
    assert suspect_rows(PLAN, spec, rows).tolist() == [True, True, False, True]
    problems, invalid = check_frame(PLAN, "events", rows, lines_of(rows), "x.csv")
    assert [(p.line, p.field, p.code) for p in problems] == [
        (3, "participants", "bad_number"),
        (5, "participants", "bad_number"),
    ]
    assert invalid.tolist() == [False, True, False, True]
    assert (problems, invalid.tolist()) == _as_lists(check_every_row(PLAN, "events", rows, lines_of(rows), "x.csv"))


def test_a_type_without_an_entry_is_not_cleared_either(isbn_events, monkeypatch):
    monkeypatch.delitem(FIELD_TYPES, "isbn")
    rows = frame("events", "participants", ["9787111213826", ""])
    rows["event_id"] = ["HD-1", "HD-2"]
    assert suspect_rows(PLAN, PLAN.ledgers["events"], rows).tolist() == [True, False]


@pytest.mark.parametrize(
    "ledger, field",
    [
        ("pledge_loans", "contract_no"),
        ("pledge_loans", "pledge_no"),
        ("events", "event_id"),
        ("patents", "application_no"),
        ("trademarks", "application_no"),
        ("pledge_loans", "credit_code"),
    ],
)
def test_an_identifier_excel_turned_into_a_number_is_never_cleared(ledger, field):
    """`2.02321E+11` is what Excel shows for a long number: the screen leaves it to the worded check,
    which names Excel's damage, whatever the identifier's kernel would say of its shape."""
    values = ["2.02321E+11", "2.02321e+11", "3E+17", "ZL-E2021"]
    rows = frame(ledger, field, values)
    problems, invalid = check_frame(PLAN, ledger, rows, lines_of(rows), "x.csv")
    damaged = {p.line for p in problems if p.field == field and p.code == "excel_scientific"}
    assert damaged == {2, 3, 4}
    assert (problems, invalid.tolist()) == _as_lists(check_every_row(PLAN, ledger, rows, lines_of(rows), "x.csv"))


EDGE_SPACES = [" ", "\t", "\u3000", "\xa0", "\u2028", "\ufeff", "\x1f"]


def _valid_examples() -> dict[str, list[tuple[str, str, str]]]:
    """(ledger, field, valid value) per field type, from the shipped plan's valid rows."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for ledger, spec in PLAN.ledgers.items():
        for name, fspec in spec.fields.items():
            value = VALID_ROWS.get(ledger, {}).get(name, "")
            if value:
                found.setdefault(fspec.type, []).append((ledger, name, value))
    return found


def test_a_type_that_skips_the_edge_pass_never_clears_a_value_with_an_edge_space():
    """The screen skips its edge-whitespace pass for these types: their kernels must leave such a
    value suspect (else it would be stored untrimmed and fall out of the counts)."""
    examples = _valid_examples()
    marked = [name for name, ftype in FIELD_TYPES.items() if ftype.screen_rejects_edges]
    covered = [t for t in marked if t in examples]
    assert {"date", "town", "enum", "cnipa_application_no", "uscc"} <= set(covered)
    for kind in covered:
        for ledger, field, value in examples[kind][:2]:
            padded = [value] + [e + value for e in EDGE_SPACES] + [value + e for e in EDGE_SPACES]
            rows = frame(ledger, field, padded)
            suspect = suspect_rows(PLAN, PLAN.ledgers[ledger], rows)
            assert not suspect[0], (kind, field, value)
            assert suspect[1:].all(), (kind, field, [v for v, s in zip(padded, suspect) if not s])


def test_the_edge_test_can_fail(monkeypatch):
    """Marking title, a free-text type (whose kernel only looks for control characters), lets ' title' through."""
    monkeypatch.setitem(FIELD_TYPES, "title", dataclasses.replace(FIELD_TYPES["title"], screen_rejects_edges=True))
    rows = frame("patents", "title", [" 一种装置"])
    assert not suspect_rows(PLAN, PLAN.ledgers["patents"], rows)[0]
