"""The progress engine against hand-computed expectations on small ledgers."""

from datetime import date

import pandas as pd
import pytest

from ipdemo.dataset import load_dataset
from ipdemo.errors import UsageError
from ipdemo.fields import cnipa_check_char
from ipdemo.plan import load_plan
from ipdemo.progress import compute, make_window

from .conftest import FIXTURES, VALID_ROWS, make_project

TOTAL_DAYS = 944  # 2021-06-01 .. 2023-12-31 inclusive


def cn(body: str) -> str:
    return body + "." + cnipa_check_char(pd.Series([body]), 12)[0]


def patent(body, filed, granted="", town="吴江开发区", kind="invention"):
    return {**VALID_ROWS["patents"], "application_no": cn(body), "filed_on": filed, "granted_on": granted,
            "town": town, "type": kind}


ROWS = {
    "patents": [
        patent("202110000001", "2021-06-01", "2022-01-01"),                        # first day of the plan
        patent("202110000002", "2021-05-31", "2021-12-31"),                        # filed before; granted on phase-1 end
        patent("201910000003", "2019-03-01", "2022-06-01"),                        # a 2019 application granted in 2022
        patent("202320000004", "2023-12-31", kind="utility_model"),                # last day of the plan
        patent("202420000005", "2024-02-29", kind="utility_model"),                # leap day outside the period
        patent("202320000006", "2023-09-30", town="七都镇", kind="utility_model"),  # phase-2 end
    ],
    "pledge_loans": [
        {**VALID_ROWS["pledge_loans"], "contract_no": "L1", "amount": "25000", "issued_on": "2021-07-01"},
        {**VALID_ROWS["pledge_loans"], "contract_no": "L2", "amount": "30000.5", "issued_on": "2023-01-01"},
    ],
    "events": [{**VALID_ROWS["events"], "event_id": f"E{i}", "held_on": d, "kind": k} for i, (d, k) in enumerate([
        ("2021-06-18", "plaza_promotion"), ("2021-09-15", "plaza_promotion"), ("2021-11-20", "plaza_promotion"),
        ("2022-03-15", "plaza_promotion"), ("2022-04-26", "plaza_promotion"), ("2022-08-16", "plaza_promotion"),
        ("2022-10-01", "publicity"),
        ("2023-03-15", "plaza_promotion"), ("2023-04-26", "plaza_promotion"), ("2023-06-01", "plaza_promotion"),
        ("2023-10-20", "plaza_promotion")])],
    "outputs": [
        {**VALID_ROWS["outputs"], "output_id": "O1", "kind": "leading_group", "achieved_on": "2022-01-15"},  # late
        {**VALID_ROWS["outputs"], "output_id": "O2", "kind": "town_ip_staff", "town": "平望镇", "achieved_on": "2021-10-01"},
        {**VALID_ROWS["outputs"], "output_id": "O3", "kind": "town_ip_staff", "town": "七都镇", "achieved_on": "2021-11-01"},
        *[{**VALID_ROWS["outputs"], "output_id": f"R{i}", "kind": "industry_report", "achieved_on": "2022-05-01"}
          for i in range(5)],
    ],
    "trainees": [],
}


@pytest.fixture(scope="module")
def plan_and_data(tmp_path_factory):
    root = make_project(tmp_path_factory.mktemp("engine") / "p", ROWS)
    plan = load_plan(root / "targets.yaml")
    return plan, load_dataset(plan)


def result(plan_and_data, ident, phase=None, as_of=None, town=None):
    plan, data = plan_and_data
    progress = compute(plan, data, make_window(plan, phase, as_of), town)
    return next(i for i in progress.indicators if i.id == ident)


def test_applications_count_inclusive_window_bounds(plan_and_data):
    assert result(plan_and_data, "patent_applications").actual == 3  # 06-01, 09-30, 12-31; not 05-31 nor 2024
    assert result(plan_and_data, "patent_applications", phase=1).actual == 1
    assert result(plan_and_data, "patent_applications", phase=2).actual == 2
    assert result(plan_and_data, "patent_applications", as_of=date(2023, 9, 29)).actual == 1


def test_phase_increment(plan_and_data):
    assert result(plan_and_data, "patent_applications", phase=2).phase_increment == 1
    assert result(plan_and_data, "patent_applications", phase=3).phase_increment == 1
    assert result(plan_and_data, "patent_grants", phase=1).phase_increment == 1


def test_grants_count_by_grant_date_even_if_filed_before(plan_and_data):
    assert result(plan_and_data, "patent_grants").actual == 3
    assert result(plan_and_data, "patent_grants", phase=1).actual == 1  # granted on 2021-12-31, the phase end


def test_expected_is_target_times_elapsed_days(plan_and_data):
    r = result(plan_and_data, "patent_applications", as_of=date(2022, 6, 30))
    assert r.expected == round(30000 * 395 / TOTAL_DAYS, 2)
    assert r.percent == round(100 * 1 / 30000, 1)
    assert r.status == "behind"
    weeks_left = (date(2023, 12, 31) - date(2022, 6, 30)).days / 7
    assert r.needed_per_week == round((30000 - 1) / weeks_left, 2)


def test_unit_conversion_wan_to_yi(plan_and_data):
    r = result(plan_and_data, "pledge_loans")
    assert r.unit == "亿元" and r.actual == 5.50005 and r.target == 5
    assert r.status == "achieved" and r.percent == 110.0


def test_annual_targets_year_by_year_with_prorated_first_year(plan_and_data):
    r = result(plan_and_data, "plaza_promotions")
    years = [(y.year, y.target, y.actual, y.status) for y in r.years]
    # 2021 covers 214 of 365 days: ceil(4 × 214 / 365) = 3.
    assert years == [(2021, 3, 3, "achieved"), (2022, 4, 3, "behind"), (2023, 4, 4, "achieved")]
    assert r.status == "behind"  # one year missed stays missed


def test_milestone_done_late(plan_and_data):
    end = result(plan_and_data, "leading_group")
    assert end.done_on == date(2022, 1, 15) and end.late and end.status == "achieved"
    at_due = result(plan_and_data, "leading_group", phase=1)
    assert at_due.actual == 0 and at_due.status == "behind"


def test_milestone_not_yet_due_is_on_track(plan_and_data):
    r = result(plan_and_data, "self_inspection", phase=2)
    assert r.actual == 0 and r.status == "on_track"
    assert result(plan_and_data, "self_inspection").status == "behind"


def test_per_town_milestone_counts_towns(plan_and_data):
    r = result(plan_and_data, "town_ip_staff")
    assert (r.target, r.actual) == (8, 2)
    assert r.towns_done == ["平望镇", "七都镇"] and len(r.towns_missing) == 6
    assert r.status == "behind"


def test_range_above_max_is_shown_not_an_error(plan_and_data):
    r = result(plan_and_data, "industry_reports")
    assert (r.min, r.max, r.actual) == (2, 4, 5)
    assert r.status == "achieved" and r.above_max


def test_empty_ledger(plan_and_data):
    r = result(plan_and_data, "trained_professionals")
    assert r.actual == 0 and r.status == "behind" and r.percent == 0


def test_town_with_no_rows_and_share(plan_and_data):
    r = result(plan_and_data, "patent_applications", town="桃源镇")
    assert r.actual == 0 and r.target is None and r.status is None and r.share == 0
    q = result(plan_and_data, "patent_applications", town="七都镇")
    assert q.actual == 1 and q.share == round(100 / 3, 1)


def test_trend_invention_density(plan_and_data):
    r = result(plan_and_data, "invention_density")
    # Valid inventions granted by the end: 3 (one granted 2021-12-31 counts into the stock).
    assert r.actual == round(3 / 1545023 * 10000, 6)
    assert r.baseline == 0 and r.status == "achieved"


def test_window_errors(plan_and_data):
    plan, _ = plan_and_data
    with pytest.raises(UsageError):
        make_window(plan, 4)
    with pytest.raises(UsageError):
        make_window(plan, None, date(2021, 5, 31))
    assert make_window(plan, None, None, today=date(2026, 11, 25)).end == date(2023, 12, 31)
    assert make_window(plan, 3, date(2023, 11, 1)).end == date(2023, 11, 1)


def test_invalid_rows_are_left_out(tmp_path):
    rows = {"patents": [patent("202110000001", "2021-06-01"), {**patent("202110000009", "2021-07-01"), "title": ""}]}
    root = make_project(tmp_path / "p", rows)
    plan = load_plan(root / "targets.yaml")
    data = load_dataset(plan)
    assert data.invalid_count == 1 and "patents.csv: 3" in data.where_invalid()
    progress = compute(plan, data, make_window(plan))
    assert progress.indicators[0].actual == 1


def test_valid_rows_with_edge_spaces_count_like_their_stripped_selves(tmp_path):
    """The checks strip values before judging them, so the counts must strip them too."""
    spaced = {**patent("202110000001", "2021-06-01"), "town": " 平望镇", "filed_on": "2021-06-01 ", "type": "invention "}
    root = make_project(tmp_path / "p", {"patents": [spaced, patent("202110000009", "2021-07-01")]})
    plan = load_plan(root / "targets.yaml")
    data = load_dataset(plan)
    assert data.invalid_count == 0
    progress = compute(plan, data, make_window(plan))
    assert progress.indicators[0].actual == 2
    assert compute(plan, data, make_window(plan), town="平望镇").indicators[0].actual == 1


# --- a second, different plan, by YAML alone ------------------------------------------------

@pytest.fixture(scope="module")
def other():
    plan = load_plan(FIXTURES / "other_plan" / "targets.yaml")
    return plan, load_dataset(plan)


def test_other_plan_validates_clean(other):
    _, data = other
    assert data.problems == [] and data.invalid_count == 0


def test_other_plan_stock_with_expiry(other):
    plan, data = other
    end = {i.id: i for i in compute(plan, data, make_window(plan)).indicators}
    assert end["trademark_stock"].actual == 3 and end["trademark_stock"].status == "behind"
    early = {i.id: i for i in compute(plan, data, make_window(plan, 1)).indicators}
    assert early["trademark_stock"].actual == 1
    assert early["trademark_stock"].expected == round(1 + 4 * 182 / 731, 2)


def test_other_plan_ratio_more_than(other):
    plan, data = other
    r = {i.id: i for i in compute(plan, data, make_window(plan)).indicators}["hv_invention_density"]
    assert r.actual == 1.5 and r.status == "behind"  # 3 valid high-value inventions / 20000 × 10000
    town = {i.id: i for i in compute(plan, data, make_window(plan), "东城区").indicators}["hv_invention_density"]
    assert town.actual == round(2 / 12000 * 10000, 6) and town.share is None


def test_other_plan_total_over_two_ledgers_and_allocations(other):
    plan, data = other
    r = {i.id: i for i in compute(plan, data, make_window(plan)).indicators}["ip_applications"]
    assert r.actual == 7 and r.target == 8
    east = {i.id: i for i in compute(plan, data, make_window(plan), "东城区").indicators}["ip_applications"]
    west = {i.id: i for i in compute(plan, data, make_window(plan), "西城区").indicators}["ip_applications"]
    assert (east.actual, east.target, east.percent, east.status) == (4, 5, 80.0, "behind")
    assert (west.actual, west.target, west.status) == (3, 3, "achieved")


def test_other_plan_distinct_counts_each_key_once(other):
    plan, data = other
    end = {i.id: i for i in compute(plan, data, make_window(plan, 2)).indicators}["member_enterprises"]
    assert end.actual == 2 and end.phase_increment == 1


def test_other_plan_extra_ledger(other):
    plan, data = other
    r = {i.id: i for i in compute(plan, data, make_window(plan)).indicators}["gi_products"]
    assert r.actual == 2 and r.status == "achieved"
