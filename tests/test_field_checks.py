"""Domain checks against real identifiers and broken ones, and that every check is vectorised."""

import gc
import re
import sys

import pandas as pd
import pytest

from ipdemo.checks import field_checks
from ipdemo.checks.field_types import FIELD_TYPES, FieldContext
from ipdemo.plan.model import FieldSpec, load_plan

from .conftest import ROOT

PLAN = load_plan(ROOT / "targets.yaml")  # dates 1985-04-01 .. 2099-12-31
FIELD = FieldContext(PLAN, FieldSpec(type="text"))  # for the checks that read nothing of their field


def flagged(findings, code):
    return next(f for f in findings if f.code == code).mask.tolist()


@pytest.mark.parametrize("number", ["201710601862.3", "202110182616.5", "201830072131.X", "95115608.X"])
def test_real_cnipa_numbers_pass(number):
    findings = field_checks.check_cnipa(pd.Series([number]), FIELD)
    assert not any(f.mask.any() for f in findings)


@pytest.mark.parametrize(
    "number, code",
    [
        ("202110182616.4", "cnipa_check"),  # wrong check digit
        ("201830072131.0", "cnipa_check"),  # X expected
        ("95115608.1", "cnipa_check"),  # old form, wrong check
        ("2021101826165", "bad_cnipa_no"),  # missing dot (import adds it; a ledger must have it)
        ("CN202110182616.5", "bad_cnipa_no"),  # prefix not allowed in a ledger
        ("202140182616.5", "bad_cnipa_no"),  # type digit 4 does not exist
        ("20211018261.5", "bad_cnipa_no"),  # too short
        ("202110182616.x", "bad_cnipa_no"),  # lower-case x
    ],
)
def test_broken_cnipa_numbers_fail(number, code):
    assert flagged(field_checks.check_cnipa(pd.Series([number]), FIELD), code) == [True]


def test_cnipa_expected_check_char_is_reported():
    findings = field_checks.check_cnipa(pd.Series(["202110182616.4"]), FIELD)
    assert next(f for f in findings if f.code == "cnipa_check").extra["expected"].tolist() == ["5"]


def test_cnipa_type_digit_new_old_and_pct():
    digits = field_checks.cnipa_type_digit(pd.Series(["202110182616.5", "95115608.X", "201880000001.1", "junk"]))
    assert digits.tolist()[:3] == ["1", "1", "8"]
    assert pd.isna(digits.iloc[3])


@pytest.mark.parametrize("code", ["91320509MA1MK3YW4P", "913205096829757874"])
def test_real_credit_codes_pass(code):
    assert not any(f.mask.any() for f in field_checks.check_uscc(pd.Series([code]), FIELD))


def test_credit_code_shape_is_error_check_char_is_warning():
    findings = field_checks.check_uscc(
        pd.Series(["91320509MA1MK3YW4Q", "9132050", "91320509MA1MK3YW4I", "91320509ma1mk3yw4p"]), FIELD
    )
    shape = next(f for f in findings if f.code == "bad_uscc")
    check = next(f for f in findings if f.code == "uscc_check")
    assert shape.mask.tolist() == [False, True, True, True]
    assert check.mask.tolist() == [True, False, False, False]
    assert check.severity == "warning" and shape.severity == "error"
    assert check.extra["expected"].iloc[0] == "P"


def test_credit_code_with_letters_in_first_eight_is_accepted():
    # python-stdnum rejects these; GB 32100 allows letters in the registration-authority part.
    body = "Y1320509MA1MK3YW4"
    code = body + field_checks.uscc_check_char(pd.Series([body]))[0]
    assert not any(f.mask.any() for f in field_checks.check_uscc(pd.Series([code]), FIELD))


@pytest.mark.parametrize(
    "number, ok",
    [
        ("2017SR676720", True),
        ("2021SR0805085", True),
        ("2021SR080508", False),  # 6 digits after 2019
        ("2017SR0676720", False),  # 7 digits before 2019
        ("SR0805085", False),
        ("2021sr0805085", False),
    ],
)
def test_software_copyright_numbers(number, ok):
    assert field_checks.check_software_no(pd.Series([number]), FIELD)[0].mask.tolist() == [not ok]


@pytest.mark.parametrize(
    "number, ok",
    [("12345678", True), ("12345678A", True), ("G1234567", True), ("A123", False), ("12-345", False), ("", False)],
)
def test_trademark_numbers(number, ok):
    assert field_checks.check_trademark_no(pd.Series([number]), FIELD)[0].mask.tolist() == [not ok]


def test_nice_class_bounds():
    assert field_checks.check_nice_class(pd.Series(["1", "45", "0", "46", "9.0", "x"]), FIELD)[0].mask.tolist() == [
        False,
        False,
        True,
        True,
        True,
        True,
    ]


def test_dates_strict_impossible_range_and_future():
    values = pd.Series(["2021-06-01", "2021-02-30", "2021/6/1", "1900-01-01", "2098-01-01"])
    findings = field_checks.check_date(values, FieldContext(PLAN, FieldSpec(type="date")))
    assert flagged(findings, "bad_date") == [False, True, True, False, False]
    assert flagged(findings, "date_out_of_range") == [False, False, False, True, False]
    assert flagged(findings, "date_in_future") == [False, False, False, False, True]


def test_decimals():
    findings = field_checks.check_decimal(pd.Series(["12.5", "-3", "1,000", "abc", "0"]), FIELD)
    assert flagged(findings, "bad_number") == [False, False, True, True, False]
    assert flagged(findings, "negative") == [False, True, False, False, False]


def test_control_characters_in_text():
    assert field_checks.check_text(pd.Series(["ok", "bad\x00nul", "tab\tok"]), FIELD)[0].mask.tolist() == [
        False,
        True,
        False,
    ]


# A valid and an invalid value of every field type (the spec gives an enum its values).
EXAMPLES = {
    "text": ("一种光纤预制棒的制备方法", "bad\x00nul"),
    "id": ("HD-001", "2.02321E+11"),
    "title": ("一种光纤预制棒的制备方法", "题" * 201),
    "name": ("吴江恒通光电科技有限公司", "吴江\ufffe公司"),
    "address": ("江苏省苏州市吴江区长安路88号", "长安路\uffff88号"),
    "remark": ("已完成调研", "bad\x00nul"),
    "date": ("2021-06-10", "2021-02-30"),
    "town": ("平望镇", "盛泽"),
    "enum": ("invention", "发明"),
    "task": ("invention", "t9"),
    "integer": ("300", "many"),
    "decimal": ("12.5", "-3"),
    "nice_class": ("9", "46"),
    "cnipa_application_no": ("202110182616.5", "202110182616.4"),
    "uscc": ("91320509MA1MK3YW4P", "91320509MA1MK3YW4Q"),
    "software_copyright_no": ("2021SR0805085", "2021SR080508"),
    "trademark_no": ("56781234", "A12"),
}


def context(kind: str) -> FieldContext:
    values = {"invention": ["发明专利"], "design": []} if kind in ("enum", "task") else None
    return FieldContext(PLAN, FieldSpec(type=kind, values=values))


def python_calls(check, values: pd.Series, field: FieldContext) -> int:
    """How many Python functions, and C functions called from Python, one check makes: a check
    that touches values one at a time makes more the more rows it gets."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event in ("call", "c_call")

    # The garbage collector runs finalizers and weakref callbacks of earlier tests' objects at
    # whatever allocation trips it, inside the counted window: the count would then depend on the
    # suite's history (the full suite once counted 4 more calls at 20k rows). Collect first and
    # keep it off while counting, so only the check's own calls are counted.
    gc.collect()
    gc.disable()
    sys.setprofile(count)
    try:
        check(values, field)
    finally:
        sys.setprofile(None)
        gc.enable()
    return calls


def calls_at(check, kind: str, rows: int) -> int:
    good, bad = EXAMPLES[kind]
    values = pd.Series([good] * rows + [bad] * 3, dtype="str")  # a few failures: their cost is per failure
    return python_calls(check, values, context(kind))


def test_every_type_has_examples():
    assert set(EXAMPLES) == set(FIELD_TYPES)


@pytest.mark.parametrize("kind", list(FIELD_TYPES))
def test_vectorised_checks_are_column_operations_at_scale(kind):
    """Not a timing: a check's Python calls do not grow with the rows (20k rows cost what 200 do)."""
    check = FIELD_TYPES[kind].check
    calls_at(check, kind, 200)  # first calls import and cache: not counted
    assert calls_at(check, kind, 20_000) <= calls_at(check, kind, 200), kind
    good, _ = EXAMPLES[kind]
    findings = check(pd.Series([good] * 20_000, dtype="str"), context(kind))
    assert sum(int(f.mask.sum()) for f in findings) == 0  # and right at that size


def test_the_call_count_sees_a_check_that_goes_value_by_value():
    """The test above can fail for its reason: the same shape check, one value at a time."""

    def per_value(values, field):
        return [
            field_checks.Finding(
                ~values.map(lambda v: bool(re.match(field_checks.TRADEMARK_NO, v))).to_numpy(bool), "x"
            )
        ]

    assert calls_at(per_value, "trademark_no", 2_000) > calls_at(per_value, "trademark_no", 200) + 1_000
