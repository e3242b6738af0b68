"""Every normalisation rule for incoming values: the field types' (checks/field_checks.py) as the import
applies them."""

import pandas as pd
import pytest

from ipdemo.checks import field_checks
from ipdemo.checks.field_types import FIELD_TYPES
from ipdemo.ingest import normalize
from ipdemo.plan.model import FieldSpec, load_plan

from .conftest import ROOT

PLAN = load_plan(ROOT / "targets.yaml")
S = lambda *values: pd.Series(list(values), dtype="str")  # noqa: E731


def test_nfkc_full_width_and_invisible_spaces():
    out = field_checks.nfkc(
        S("２０２１１０１８２６１６．５", "\u00a0盛泽\u200b ", "（黎里镇）", "\ufeffＡＢＣ", " a\u3000b ")
    )
    assert out.tolist() == ["202110182616.5", "盛泽", "(黎里镇)", "ABC", "a b"]


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("CN202110182616.5", "202110182616.5"),
        ("ZL202110182616.5", "202110182616.5"),
        ("cn 2021 1018 2616.5", "202110182616.5"),
        ("2021101826165", "202110182616.5"),
        ("201830072131x", "201830072131.X"),
        ("95115608X", "95115608.X"),
        ("202110182616.5", "202110182616.5"),
    ],
)
def test_cnipa_numbers(raw, clean):
    assert field_checks.cnipa(field_checks.nfkc(S(raw))).tolist() == [clean]


@pytest.mark.parametrize(
    "raw, iso",
    [
        ("2021-06-01", "2021-06-01"),
        ("2021/6/1", "2021-06-01"),
        ("2021.6.1", "2021-06-01"),
        ("2021.06.01", "2021-06-01"),
        ("2021年6月1日", "2021-06-01"),
        ("20210601", "2021-06-01"),
        ("2021-06-01 00:00:00", "2021-06-01"),
        ("2021-06-01T08:30", "2021-06-01"),
        ("44348", "2021-06-01"),
        ("2021 年 6 月 1 日", "2021-06-01"),
    ],
)
def test_date_spellings(raw, iso):
    out, ambiguous = field_checks.dates(S(raw))
    assert out.tolist() == [iso] and not ambiguous.any()


@pytest.mark.parametrize("raw", ["01/06/2021", "6/1/2021", "1.6.21", "06-01-2021"])
def test_day_first_dates_are_ambiguous(raw):
    _, ambiguous = field_checks.dates(S(raw))
    assert ambiguous.tolist() == [True]


def test_bad_dates_are_left_for_validation():
    out, ambiguous = field_checks.dates(S("2021-02-30", "soon", ""))
    assert out.tolist() == ["2021-02-30", "soon", ""] and not ambiguous.any()


def test_enum_labels():
    spec = PLAN.ledgers["patents"].fields["type"]
    out = normalize.normalise_field(PLAN, spec, S("发明", "实用新型", "外观设计", "Invention", "发明专利", "其他"))[0]
    assert out.tolist() == ["invention", "utility_model", "design", "invention", "invention", "其他"]
    level = PLAN.ledgers["outputs"].fields["level"]
    assert normalize.normalise_field(PLAN, level, S("省级", "市级", "区级"))[0].tolist() == [
        "province",
        "city",
        "district",
    ]


def test_town_aliases():
    spec = PLAN.ledgers["patents"].fields["town"]
    out = normalize.normalise_field(
        PLAN, spec, S("盛泽", "汾湖高新区(黎里镇)", "吴江经济技术开发区", "太湖新城", "松陵街道", "某镇")
    )[0]
    assert out.tolist() == [
        "吴江高新区（盛泽镇）",
        "汾湖高新区（黎里镇）",
        "吴江开发区",
        "东太湖度假区（太湖新城）",
        "东太湖度假区（太湖新城）",
        "某镇",
    ]


def test_amounts_with_separators_and_units():
    spec = PLAN.ledgers["pledge_loans"].fields["amount"]  # stored in 万元
    out = normalize.normalise_field(PLAN, spec, S("1,000", "500万元", "3,000,000元", "12.5", "500万", "１２０", "abc"))[
        0
    ]
    assert out.tolist() == ["1000", "500", "300", "12.5", "500", "120", "abc"]


def test_amount_header_in_yuan_converts():
    spec = PLAN.ledgers["pledge_loans"].fields["amount"]
    out = normalize.normalise_field(PLAN, spec, S("5,000,000", "12345"), factor=1e-4)[0]
    assert out.tolist() == ["500", "1.2345"]


def test_nice_class_spellings():
    spec = PLAN.ledgers["trademarks"].fields["nice_class"]
    assert normalize.normalise_field(PLAN, spec, S("第9类", "09", "9.0", "45", "第 35 类"))[0].tolist() == [
        "9",
        "9",
        "9",
        "45",
        "35",
    ]


def test_codes_upper_and_compact():
    spec = PLAN.ledgers["pledge_loans"].fields["credit_code"]
    assert normalize.normalise_field(PLAN, spec, S("91320509ma1mk3yw4p", "9132 0509 6829 7578 74"))[0].tolist() == [
        "91320509MA1MK3YW4P",
        "913205096829757874",
    ]
    sr = PLAN.ledgers["software_copyrights"].fields["registration_no"]
    assert normalize.normalise_field(PLAN, sr, S("2021sr0805085"))[0].tolist() == ["2021SR0805085"]
    tm = PLAN.ledgers["trademarks"].fields["application_no"]
    assert normalize.normalise_field(PLAN, tm, S("56781234.0", "g1234567", "12345678a"))[0].tolist() == [
        "56781234",
        "G1234567",
        "12345678A",
    ]


def test_integer_counts():
    spec = PLAN.ledgers["events"].fields["participants"]
    assert normalize.normalise_field(PLAN, spec, S("1,200", "300.0", "８０"))[0].tolist() == ["1200", "300", "80"]


def test_normalising_twice_changes_nothing():
    for ledger in PLAN.ledgers.values():
        for spec in ledger.fields.values():
            raw = S("CN２０２１１０１８２６１６５", "2021/6/1", "盛泽", "发明", "1,000元", "第9类", " x ")
            once = normalize.normalise_field(PLAN, spec, raw)[0]
            assert normalize.normalise_field(PLAN, spec, once)[0].tolist() == once.tolist()


def test_every_type_normalises_and_flags_nothing_but_dates():
    raw = S(" CN２０２１１０１８２６１６５ ", "01/06/2021", "盛泽", "1,000元", "")
    for kind in FIELD_TYPES:
        spec = FieldSpec(type=kind, values={"invention": ["发明"]} if kind in ("enum", "task") else None)
        out, ambiguous = normalize.normalise_field(PLAN, spec, raw)
        assert len(out) == len(raw) and out.iloc[-1] == "" and not out.str.startswith(" ").any(), kind
        assert ambiguous.tolist() == [False, kind == "date", False, False, False], kind
