"""`pace: seasonal` (issue 25 item 6): each month's expected share from the ledger's own full
years before the plan start. The weights and shares below are computed by hand.

Records before the plan (2021-01-01):
  2019: Jan 1, Jun 1, Dec 2 → shares Jan 0.25, Jun 0.25, Dec 0.50
  2020: Jan 1,        Dec 3 → shares Jan 0.25, Jun 0,    Dec 0.75
  mean weights: Jan 0.25, Jun 0.125, Dec 0.625 (the other months 0)
A calendar year's expected share: by 01-31 0.25; by 06-15 0.25 + 0.125 × 15/30 = 0.3125; by
06-30 0.375; by 11-30 still 0.375; by 12-31 1.
"""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest

from ipdemo.engine.pace import EPOCH, Pace, choose, linear_share, month_weights

from .goals_plan import progress_of, write_project

HISTORY = [
    ("2019-01-10", 1),
    ("2019-06-10", 1),
    ("2019-12-05", 1),
    ("2019-12-20", 1),
    ("2020-01-15", 1),
    ("2020-12-01", 1),
    ("2020-12-02", 1),
    ("2020-12-03", 1),
]
WEIGHTS = [0.25, 0, 0, 0, 0, 0.125, 0, 0, 0, 0, 0, 0.625]


def days(rows) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.array([float((date.fromisoformat(on) - EPOCH).days) for on, _ in rows]),
        np.array([float(v) for _, v in rows]),
    )


def test_month_weights_are_the_mean_share_of_each_month_over_the_full_years():
    years, weights = month_weights(*days(HISTORY), date(2021, 1, 1))
    assert years == [2019, 2020]
    assert weights == pytest.approx(WEIGHTS)


def test_amounts_weigh_by_their_sum():
    rows = [("2020-01-05", 30), ("2020-07-01", 10), ("2020-12-31", 60)]
    years, weights = month_weights(*days(rows), date(2021, 6, 1))
    assert years == [2020] and weights[0] == pytest.approx(0.3) and weights[11] == pytest.approx(0.6)


def test_a_year_whose_records_begin_after_january_is_not_a_full_year():
    rows = [("2019-03-01", 1), ("2019-12-01", 1)] + HISTORY[4:]
    years, weights = month_weights(*days(rows), date(2021, 1, 1))
    assert years == [2020]  # 2019 starts in March: not learnt from
    assert weights[0] == pytest.approx(0.25) and weights[11] == pytest.approx(0.75)


def test_the_year_the_plan_starts_in_is_not_learnt_from():
    rows = HISTORY + [("2021-03-01", 5)]  # records in 2021 before a plan that starts 2021-06-01
    years, _ = month_weights(*days(rows), date(2021, 6, 1))
    assert years == [2019, 2020]


def test_shares_of_a_calendar_year():
    pace = Pace("seasonal", "seasonal", (2019, 2020), tuple(WEIGHTS))
    year = (date(2021, 1, 1), date(2021, 12, 31))
    assert pace.share(*year, date(2021, 1, 31)) == pytest.approx(0.25)
    assert pace.share(*year, date(2021, 6, 15)) == pytest.approx(0.3125)
    assert pace.share(*year, date(2021, 11, 30)) == pytest.approx(0.375)
    assert pace.share(*year, date(2021, 12, 31)) == pytest.approx(1.0)


def test_less_than_one_full_year_falls_back_to_linear():
    pace = choose("seasonal", *days([("2020-02-01", 1), ("2020-12-01", 1)]), date(2021, 1, 1))
    assert (pace.name, pace.asked, pace.years) == ("linear", "seasonal", ())
    span = (date(2021, 1, 1), date(2021, 12, 31))
    assert pace.share(*span, date(2021, 6, 30)) == linear_share(*span, date(2021, 6, 30)) == 181 / 365


def cumulative(**keys) -> dict:
    return {
        "id": "filings",
        "name": "专利申请量",
        "kind": "cumulative",
        "unit": "件",
        "target": 80,
        "measure": {"ledger": "records", "date": "on"},
        **keys,
    }


# 29 filings in the plan by 2021-06-30 (one plan year 2021: the plan below ends 2021-12-31).
SPRING = HISTORY + [("2021-03-01", 1)] * 29


@pytest.fixture
def one_year(tmp_path):
    def make(indicator, rows=SPRING, **top):
        return write_project(tmp_path / "p", [indicator], rows, **top)

    return make


def one_year_plan(path):
    """Cut the helper's five-year plan to 2021."""
    text = path.read_text(encoding="utf-8").replace("end: '2025-12-31'", "end: '2021-12-31'")
    path.write_text(text, encoding="utf-8")
    return path


def test_a_straight_line_calls_the_spring_behind(one_year):
    got = progress_of(one_year_plan(one_year(cumulative())), "2021-06-30", "filings")
    assert got.expected == 40  # 80 × 181 / 365 = 39.67
    assert got.status == "behind"  # 29 / 40 = 0.725
    assert got.projection == 58  # 29 × 365 / 181 = 58.48: the year's end at the spring's rate
    assert got.pace == "linear" and got.pace_asked == "linear"


def test_the_season_expects_what_the_past_years_did(one_year):
    got = progress_of(one_year_plan(one_year(cumulative(pace="seasonal"))), "2021-06-30", "filings")
    assert got.expected == 30  # 80 × 0.375
    assert got.status == "on_track"  # 29 / 30 = 0.967
    assert got.projection == 77  # 29 / 0.375 = 77.3: the year's end as the past years went
    assert (got.pace, got.pace_years) == ("seasonal", [2019, 2020])


def test_the_plan_wide_default_applies_to_flows(one_year):
    got = progress_of(one_year_plan(one_year(cumulative(), pace="seasonal")), "2021-06-30", "filings")
    assert got.expected == 30 and got.pace == "seasonal"


def test_an_indicator_may_keep_the_straight_line_under_a_seasonal_plan(one_year):
    got = progress_of(one_year_plan(one_year(cumulative(pace="linear"), pace="seasonal")), "2021-06-30", "filings")
    assert got.expected == 40 and got.pace == "linear"


def test_a_yearly_flow_follows_the_season_within_each_year(tmp_path):
    indicator = {**cumulative(pace="seasonal"), "kind": "annual"}
    path = write_project(tmp_path / "p", [indicator], SPRING)
    got = progress_of(path, "2021-06-15", "filings")
    assert got.expected == 25  # 80 × 0.3125


def test_the_report_says_which_pace_it_used(one_year, invoke):
    path = one_year_plan(one_year(cumulative(pace="seasonal")))
    table = invoke(["report", "--format", "markdown", "--as-of", "2021-06-30"], cwd=path.parent)
    assert table.exit_code == 0, table.stderr
    assert "按季节进度（2019—2020年各月占比）" in table.stdout
    english = invoke(["report", "--format", "markdown", "--as-of", "2021-06-30", "--lang", "en"], cwd=path.parent)
    assert "seasonal pace (months' shares in 2019–2020)" in english.stdout
    data = json.loads(invoke(["report", "--format", "json", "--as-of", "2021-06-30"], cwd=path.parent).stdout)
    assert (data["indicators"][0]["pace"], data["indicators"][0]["pace_years"]) == ("seasonal", [2019, 2020])


def test_the_report_says_when_the_season_could_not_be_learnt(one_year, invoke):
    path = one_year_plan(one_year(cumulative(pace="seasonal"), rows=[("2021-03-01", 1)]))
    result = invoke(["report", "--format", "markdown", "--as-of", "2021-06-30"], cwd=path.parent)
    assert "计划开始前不足一整年数据，按线性进度" in result.stdout
    data = json.loads(invoke(["report", "--format", "json", "--as-of", "2021-06-30"], cwd=path.parent).stdout)
    assert (data["indicators"][0]["pace"], data["indicators"][0]["pace_asked"]) == ("linear", "seasonal")
