"""Cross-field rules: one table, one entry per rule a ledger's `checks:` may name in targets.yaml.

An entry holds everything about its rule: the worded check (the rows that break it, on stripped
pandas columns, and the parameters of their message), the message code and which of the two
fields it names, the fast screen (the rows the rule may flag, from what the field kernels read),
and what an import fills from it when a file leaves the second field empty.

Invariants (tests/test_cross_rules.py):
- every rule the plan allows (plan/model.py CheckRule) has an entry, and no entry exists without
  a check: CrossRule refuses to be built without one;
- a rule without a screen, or whose screen lacks what it reads (a kernel that parsed no days),
  marks every row suspect: the worded check then sees every row (slow, never wrong);
- a rule the table does not know is a plan error (`rule_named`), never a row let through.

pandas is never imported here at module level: the screen reads this table on clean ledgers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Literal

import numpy as np

from ipdemo.checks import field_checks
from ipdemo.checks import screen as screening
from ipdemo.checks.codes import CNIPA_TYPE_DIGITS
from ipdemo.errors import PlanError
from ipdemo.i18n import day_words, in_both
from ipdemo.plan.model import CheckSpec, LedgerSpec

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Pair:
    """What a worded check reads: the rule as the plan states it, and the two stripped columns."""

    spec: LedgerSpec
    check: CheckSpec
    first: pd.Series  # check.field
    second: pd.Series  # check.other


@dataclass(frozen=True)
class Broken:
    """The rows that break a rule, and the message parameters of row i (a position in the frame)."""

    mask: np.ndarray
    params: Callable[[int], dict]


@dataclass(frozen=True)
class ScreenPair:
    """What a screen reads: the two fields' kernel verdicts and the second field's raw column."""

    first: screening.Screened
    second: screening.Screened
    second_column: screening.Column


@dataclass(frozen=True)
class CrossRule:
    """One cross-field rule. `screen` returns the rows the rule may flag, or None when the kernels
    did not give what it reads; a rule without one leaves every row to `check`."""

    code: str  # the message (i18n.MESSAGES), always an error
    names: Literal["field", "other"]  # the field the message is attached to
    check: Callable[[Pair], Broken]
    screen: Callable[[ScreenPair], np.ndarray | None] | None = None
    # An import fills the second field where a file leaves it empty: first column → filled values.
    fill: Callable[[pd.Series], pd.Series] | None = None

    def __post_init__(self) -> None:
        if not callable(self.check):
            raise TypeError(f"cross-field rule {self.code!r} has no check")

    def field_of(self, check: CheckSpec) -> str:
        return check.field if self.names == "field" else check.other

    def suspects(self, pair: ScreenPair | None, n: int) -> np.ndarray:
        """Rows the worded check must see: all of them when there is nothing to screen with."""
        found = None if self.screen is None or pair is None else self.screen(pair)
        return np.ones(n, dtype=bool) if found is None else found


# --- not_before: a date not before another (granted after filed) ---------------------------------


def _not_before(pair: Pair) -> Broken:
    a, b = pair.first, pair.second
    mask = (field_checks.parse_iso_dates(a) < field_checks.parse_iso_dates(b)).to_numpy(dtype=bool)
    check, fields = pair.check, pair.spec.fields
    field, other = (in_both(fields[name].label or name, name) for name in (check.field, check.other))
    return Broken(
        mask,
        lambda i: {"field": field, "value": day_words(a.iloc[i]), "other": other, "other_value": day_words(b.iloc[i])},
    )


def _screen_not_before(pair: ScreenPair) -> np.ndarray | None:
    first, second = pair.first.days, pair.second.days
    if first is None or second is None:
        return None
    return (first < second) & (first != screening.NO_DAY) & (second != screening.NO_DAY)


# --- cnipa_type: the patent type a CNIPA number's type digit implies -----------------------------


def _cnipa_type(pair: Pair) -> Broken:
    a, b = pair.first, pair.second
    digit = field_checks.cnipa_type_digit(a)
    implied = digit.map(CNIPA_TYPE_DIGITS)
    # A stated type that is none of the types a digit implies is the enum check's to word.
    stated = b.isin(list(dict.fromkeys(CNIPA_TYPE_DIGITS.values())))
    mask = (implied.notna() & stated & (implied != b)).to_numpy(dtype=bool)
    words = _type_words(pair.spec, pair.check.other)
    return Broken(
        mask,
        lambda i: {
            "value": a.iloc[i],
            "digit": digit.iloc[i],
            "number_type": implied.iloc[i],
            "number_label": words.get(implied.iloc[i], implied.iloc[i]),
            "type": b.iloc[i],
            "type_label": words.get(b.iloc[i], b.iloc[i]),
        },
    )


def _type_words(spec: LedgerSpec, field: str) -> dict[str, str]:
    """Canonical enum value → the plan's first label for it (invention → 发明): what a Chinese
    message calls the value (the English one names the canonical value)."""
    values = spec.fields[field].values or {}
    return {value: labels[0] for value, labels in values.items() if labels}


def _screen_cnipa_type(pair: ScreenPair) -> np.ndarray | None:
    digits = pair.first.type_digits
    if digits is None:
        return None
    return screening.type_mismatch(digits, pair.second_column)


def type_from_number(numbers: pd.Series) -> pd.Series:
    """The patent type that a CNIPA number's type digit implies ('' when it implies none).

    Normalised numbers only: YYYYTNNNNNNN.C (digit 5) or the pre-2003 YYTNNNNN.C (digit 3)."""
    digit = numbers.str.extract(r"^(?:[0-9]{4}([0-9])[0-9]{7}|[0-9]{2}([0-9])[0-9]{5})\.[0-9X]$")
    found = digit[0].fillna(digit[1]).fillna("")
    return found.map(CNIPA_TYPE_DIGITS).fillna("").astype("str")


CROSS_RULES: dict[str, CrossRule] = {
    "not_before": CrossRule("not_before", "field", _not_before, _screen_not_before),
    "cnipa_type": CrossRule("cnipa_type_mismatch", "other", _cnipa_type, _screen_cnipa_type, fill=type_from_number),
}


def rule_named(check: CheckSpec) -> CrossRule:
    """The table's entry for a plan's check; a rule it does not know is a plan error."""
    rule = CROSS_RULES.get(check.rule)
    if rule is None:
        raise PlanError("plan_unknown_rule", rule=check.rule, field=check.field, known=", ".join(CROSS_RULES))
    return rule
