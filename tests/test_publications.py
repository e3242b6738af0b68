"""Publications and export dates: kind codes, other offices, the type digit, folding A+B rows,
and the date an export speaks for. Hand-computed cases."""

from __future__ import annotations

from datetime import date

import pandas as pd

from ipdemo.ingest import publications
from ipdemo.ingest.provenance import date_in_text, export_date


def S(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype="str")


def test_grant_kind_codes():
    numbers = S(
        "CN113000148B",
        "CN113000148A",
        "CN215000001U",
        "CN306000001S",
        "CN1234567C",
        "CN2345678Y",
        "CN3456789D",
        "cn 113000148 b",
        "CN113000148A8",
        "",
        "113000148B",
        "WO2022123456A1",
    )
    assert publications.grant_mask(numbers).tolist() == [
        True,
        False,
        True,
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        True,
        False,
    ]


def test_other_offices():
    numbers = S(
        "WO2022123456",
        "PCT/CN2022/123456",
        "US18/123,456",
        "EP3912345",
        "JP2022-123456",
        "CN202110182616.5",
        "ZL202110182616.5",
        "202110182616.5",
        "",
        "2.02321E+11",
    )
    assert publications.other_office_mask(numbers).tolist() == [
        True,
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        False,
        False,
    ]


def test_type_from_number():
    numbers = S(
        "202110182616.5",
        "202120182616.X",
        "202130182616.1",
        "202180182616.2",
        "202190182616.3",
        "00123456.7",
        "02212345.X",
        "junk",
        "",
    )
    assert publications.type_from_number(numbers).tolist() == [
        "invention",
        "utility_model",
        "design",
        "invention",
        "utility_model",
        "invention",
        "utility_model",
        "",
        "",
    ]


def test_fold_keeps_latest_values_and_the_grant_date():
    A, B = "202110000001.1", "202120000002.2"
    frame = pd.DataFrame(
        {
            "application_no": [A, B, A],
            "title": ["old title", "b", ""],
            "applicant": ["甲", "乙", "丙"],
            "granted_on": ["", "", ""],
        },
        dtype="str",
    )
    numbers = S("CN1000001A", "CN2000001U", "CN1000001B")
    dates = S("2021-10-01", "2022-01-05", "2022-09-09")
    folded = publications.fold_publications(frame, ["application_no"], numbers, dates, "granted_on")
    assert folded.folded == 1 and folded.first.tolist() == [0, 1]
    rows = folded.frame.to_dict("records")
    # A: the B row is newer (its applicant), the A row fills the title the B row left empty.
    assert rows[0] == {"application_no": A, "title": "old title", "applicant": "丙", "granted_on": "2022-09-09"}
    assert rows[1] == {"application_no": B, "title": "b", "applicant": "乙", "granted_on": "2022-01-05"}


def test_rows_without_a_usable_number_never_fold():
    """Empty or Excel-mangled numbers say nothing about the application: each row stays alone."""
    frame = pd.DataFrame(
        {"application_no": ["2.02321E+11", "2.02321E+11", "", ""], "granted_on": [""] * 4}, dtype="str"
    )
    numbers = S("CN1000001U", "CN1000002U", "CN1000003U", "CN1000004U")
    folded = publications.fold_publications(frame, ["application_no"], numbers, S(*["2022-01-01"] * 4), "granted_on")
    assert folded.folded == 0 and len(folded.frame) == 4


def test_a_stated_grant_date_wins_over_the_publication():
    frame = pd.DataFrame({"application_no": ["202110000001.1"], "granted_on": ["2022-09-01"]}, dtype="str")
    folded = publications.fold_publications(frame, ["application_no"], S("CN1000001B"), S("2022-09-09"), "granted_on")
    assert folded.frame["granted_on"].tolist() == ["2022-09-01"]


def test_dates_in_names_and_titles():
    assert date_in_text("专利导出_20231015.xlsx") == date(2023, 10, 15)
    assert date_in_text("incoPat导出_2023-06-30") == date(2023, 6, 30)
    assert date_in_text("导出日期：2023年9月1日") == date(2023, 9, 1)
    assert date_in_text("统计表（2023年第三季度）") == date(2023, 9, 30)  # a period: its last day
    assert date_in_text("申请号202310000001") is None  # digits inside a longer number are no date
    assert date_in_text("x_20231345") is None  # not a real date


def test_export_date_precedence():
    dated = [S("2023-01-01", "2023-05-06", ""), S("2022-12-31")]
    assert export_date("a.csv", [], dated, option=date(2024, 1, 1)).how == "option"
    assert export_date("a_20230901.csv", [], dated).day == date(2023, 9, 1)
    assert export_date("a.csv", ["导出日期：2023-08-08"], dated).day == date(2023, 8, 8)
    found = export_date("a.csv", ["吴江区专利统计表"], dated)
    assert (found.day, found.how) == (date(2023, 5, 6), "latest_in_file")
    assert export_date("a.csv", [], [S("")], today=date(2024, 2, 2)).day == date(2024, 2, 2)
