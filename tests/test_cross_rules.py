"""The cross-field rules' table (checks/cross_rules.py): complete, worded, and safe for a new rule.

Every rule the plan allows has one entry with a check; a rule without a screen leaves every row
to the worded check, so check_frame still finds what check_every_row finds; a rule the table
does not know is a plan error, both when targets.yaml names it and when a plan reaches the checks.
"""

from __future__ import annotations

from typing import get_args

import numpy as np
import pandas as pd
import pytest

from ipdemo.checks import cross_rules, field_checks
from ipdemo.checks.cross_rules import CROSS_RULES, Broken, CrossRule, Pair
from ipdemo.checks.validate import check_every_row, check_frame, suspect_rows
from ipdemo.errors import PlanError
from ipdemo.i18n import MESSAGES
from ipdemo.plan.model import CheckRule, CheckSpec, load_plan

from .conftest import ROOT, VALID_ROWS

PLAN = load_plan(ROOT / "targets.yaml")


def test_every_rule_the_plan_allows_has_one_entry_and_its_message():
    assert set(CROSS_RULES) == set(get_args(CheckRule))
    assert all(rule.code in MESSAGES and callable(rule.check) for rule in CROSS_RULES.values())


def test_a_rule_without_a_check_cannot_be_built():
    with pytest.raises(TypeError):
        CrossRule("not_before", "field")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="has no check"):
        CrossRule("not_before", "field", None)  # type: ignore[arg-type]


def _not_after(pair: Pair) -> Broken:
    """A rule added without a screen: the first date not after the second."""
    late = (field_checks.parse_iso_dates(pair.first) > field_checks.parse_iso_dates(pair.second)).to_numpy(dtype=bool)
    return Broken(
        late,
        lambda i: {
            "field": pair.check.field,
            "value": pair.first.iloc[i],
            "other": pair.check.other,
            "other_value": pair.second.iloc[i],
        },
    )


@pytest.fixture
def with_rule(monkeypatch):
    """The patents ledger with one more rule, `not_after` (filed before the legal status's date),
    whose entry has no screen."""
    monkeypatch.setitem(CROSS_RULES, "not_after", CrossRule("not_before", "field", _not_after))
    spec = PLAN.ledgers["patents"]
    extra = CheckSpec.model_construct(rule="not_after", field="filed_on", other="status_on")
    monkeypatch.setitem(PLAN.ledgers, "patents", spec.model_copy(update={"checks": [*spec.checks, extra]}))


def _rows(status: list[str]) -> pd.DataFrame:
    rows = pd.DataFrame([{**VALID_ROWS["patents"], "status_on": day} for day in status], dtype="str")
    # Distinct valid numbers (check characters computed), one per row.
    bodies = pd.Series([f"20211018261{i}" for i in range(len(rows))], dtype="str")
    rows["application_no"] = bodies + "." + pd.Series(field_checks.cnipa_check_char(bodies, 12), dtype="str")
    return rows


def test_a_new_rule_without_a_screen_is_checked_on_otherwise_clean_rows(with_rule):
    rows = _rows(["2023-01-01", "2021-01-01", "2021-06-10"])  # filed 2021-06-10: row 2 is filed after
    lines = np.arange(2, len(rows) + 2)
    assert suspect_rows(PLAN, PLAN.ledgers["patents"], rows).all()
    problems, invalid = check_frame(PLAN, "patents", rows, lines, "x.csv")
    assert [(p.line, p.field, p.code) for p in problems] == [(3, "filed_on", "not_before")]
    assert invalid.tolist() == [False, True, False]
    full, full_invalid = check_every_row(PLAN, "patents", rows, lines, "x.csv")
    assert (problems, invalid.tolist()) == (full, full_invalid.tolist())


def test_the_shipped_rules_still_clear_clean_rows():
    """The table's screens clear what the kernels read: clean rows are not suspects."""
    rows = _rows(["", "2023-01-01"])
    assert not suspect_rows(PLAN, PLAN.ledgers["patents"], rows).any()


def test_a_rule_the_table_does_not_know_is_a_plan_error(monkeypatch):
    spec = PLAN.ledgers["patents"]
    unknown = CheckSpec.model_construct(rule="later_than", field="filed_on", other="granted_on")
    monkeypatch.setitem(PLAN.ledgers, "patents", spec.model_copy(update={"checks": [unknown]}))
    rows = _rows([""])
    for run in (check_frame, check_every_row):
        with pytest.raises(PlanError) as raised:
            run(PLAN, "patents", rows, np.array([2]), "x.csv")
        assert raised.value.code == "plan_unknown_rule"
        assert "later_than" in raised.value.render("en")
    with pytest.raises(PlanError):
        cross_rules.rule_named(unknown)


def test_targets_yaml_naming_an_unknown_rule_is_refused(tmp_path):
    text = (ROOT / "targets.yaml").read_text(encoding="utf-8")
    old = "{rule: not_before, field: granted_on, other: filed_on}"
    assert old in text
    (tmp_path / "targets.yaml").write_text(text.replace(old, old.replace("not_before", "later_than")), encoding="utf-8")
    with pytest.raises(PlanError):
        load_plan(tmp_path / "targets.yaml")
