"""An incoming column is normalised on its distinct values (issue 26 item 4): every field type
gives each row what normalising the whole column did (the values, their dtype and index, and the
ambiguous-date mask), spellings mapped, repeats and a non-default index included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ipdemo.checks.field_types import FIELD_TYPES, FieldContext
from ipdemo.ingest import normalize
from ipdemo.plan.model import FieldSpec, load_plan

from .conftest import ROOT

PLAN = load_plan(ROOT / "targets.yaml")
SPELLINGS = [
    "",
    "  ",
    "2021-06-01",
    "2021/6/1",
    "2021年6月1日",
    "20210601",
    "01/06/2021",
    "45123",
    "2022-01-01 10:30:00",
    "２０２１－０６－０１",
    " CN 202110182616.5 ",
    "ZL2021101826165",
    "201830072131x",
    "9;35;42",
    "第9类",
    "09",
    "1,234.50",
    "500万元",
    "3000000元",
    "12.0",
    "盛泽",
    " 平望镇 ",
    "\u00a0盛泽\u200b",
    "发明",
    "invention",
    "实用新型",
    "公开;实质审查;授权",
    "91320509MA1MK3YW4P",
    "9132-0509 ma1mk3yw4p",
    "一种装置（外观）",
    "吴江某某科技有限公司",
]


def fields() -> list[tuple[str, FieldSpec]]:
    """One field of each type the shipped plan uses, with a unit when one has it."""
    seen: dict[str, FieldSpec] = {}
    for spec in PLAN.ledgers.values():
        for f in spec.fields.values():
            if f.type not in seen or (f.unit and not seen[f.type].unit):
                seen[f.type] = f
    return sorted(seen.items())


def whole_column(spec: FieldSpec, values: pd.Series, factor: float) -> tuple[pd.Series, np.ndarray]:
    """What normalise_field did before it worked on distinct values: the type's normaliser on
    every row, then the spellings mapped."""
    field = FieldContext(PLAN, spec, unit_factor=factor)
    ftype = FIELD_TYPES[spec.type]
    out = ftype.normalise(values, field)
    normalised = out.values if ftype.spellings is None else normalize.mapping(out.values, ftype.spellings(field))
    ambiguous = out.ambiguous if out.ambiguous is not None else np.zeros(len(values), dtype=bool)
    return normalised, np.asarray(ambiguous, dtype=bool)


def test_every_type_the_plan_uses_is_covered():
    assert len(fields()) >= 8


@pytest.mark.parametrize("name, spec", fields(), ids=[t for t, _ in fields()])
@pytest.mark.parametrize("factor", [1.0, 1e-4])
def test_distinct_values_give_what_the_whole_column_gave(name, spec, factor):
    rng = np.random.default_rng(26)
    repeated = [SPELLINGS[i] for i in rng.integers(0, len(SPELLINGS), 400)]
    values = pd.Series(repeated, dtype="str", index=np.arange(1000, 1400))
    got, ambiguous = normalize.normalise_field(PLAN, spec, values, factor)
    want, want_ambiguous = whole_column(spec, values, factor)
    assert got.tolist() == want.tolist()
    assert got.index.equals(values.index) and got.dtype == want.dtype
    assert ambiguous.tolist() == want_ambiguous.tolist()


@pytest.mark.parametrize("name, spec", fields(), ids=[t for t, _ in fields()])
def test_a_column_of_distinct_values_and_an_empty_one(name, spec):
    for values in (pd.Series(SPELLINGS, dtype="str"), pd.Series([], dtype="str")):
        got, ambiguous = normalize.normalise_field(PLAN, spec, values)
        want, want_ambiguous = whole_column(spec, values, 1.0)
        assert got.tolist() == want.tolist() and ambiguous.tolist() == want_ambiguous.tolist()
