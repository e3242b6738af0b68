"""The progress engine against hand-computed expectations on small ledgers."""

import json
import math
import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest

from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import by_period, by_phase, by_town, compute, make_window
from ipdemo.errors import UsageError
from ipdemo.plan.model import load_plan, unit_scale

from .conftest import FIXTURES, VALID_ROWS, make_project
from .helpers import ROWS, patent

TOTAL_DAYS = 944  # 2021-06-01 .. 2023-12-31 inclusive


def loaded(tmp_path_factory, name: str, rows: dict):
    """A project with these ledger rows: (its folder, the plan, the checked dataset)."""
    return loaded_at(tmp_path_factory.mktemp(name) / "p", rows)


def loaded_at(root, rows: dict):
    """loaded(), in a folder of the caller's."""
    make_project(root, rows)
    plan = load_plan(root / "targets.yaml")
    return root, plan, load_dataset(plan)


@pytest.fixture(scope="module")
def plan_and_data(tmp_path_factory):
    _, plan, data = loaded(tmp_path_factory, "engine", ROWS)
    return plan, data


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
    # Counts are whole records: expected rounded (12552.97 → 12553), the weekly rate rounded up.
    assert r.expected == 12553 == round(30000 * 395 / TOTAL_DAYS)
    assert r.percent == 0.0033  # 1 of 30,000 is 0.00333 %: two significant digits, never 0
    assert r.status == "behind"
    weeks_left = (date(2023, 12, 31) - date(2022, 6, 30)).days / 7
    assert r.needed_per_week == 383 == math.ceil((30000 - 1) / weeks_left)  # 382.5…


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
        make_window(plan, 3, date(2023, 9, 1))  # before the phase's start
    baseline = make_window(plan, None, date(2021, 5, 31))  # before the plan: the baseline view
    assert baseline.baseline and baseline.end == date(2021, 5, 31)
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
    spaced = {
        **patent("202110000001", "2021-06-01"),
        "town": " 平望镇",
        "filed_on": "2021-06-01 ",
        "type": "invention ",
    }
    root = make_project(tmp_path / "p", {"patents": [spaced, patent("202110000009", "2021-07-01")]})
    plan = load_plan(root / "targets.yaml")
    data = load_dataset(plan)
    assert data.invalid_count == 0
    progress = compute(plan, data, make_window(plan))
    assert progress.indicators[0].actual == 2
    assert compute(plan, data, make_window(plan), town="平望镇").indicators[0].actual == 1


# --- a second, different plan, by YAML alone ------------------------------------------------
# tests/fixtures/other_plan: 2024-01-01 .. 2026-12-31 (1096 days), no phases, counties, a nominal
# county, a population per year (2023, 2024: 20000; 2025 on: 25000). Every figure below is
# worked out by hand from its CSVs (the comments say which rows).

OTHER = FIXTURES / "other_plan"
MID = date(2026, 6, 30)  # 912 of 1096 days elapsed
MID_SHARE = 912 / 1096


@pytest.fixture(scope="module")
def other():
    plan = load_plan(OTHER / "targets.yaml")
    return plan, load_dataset(plan)


def other_result(other, ident, as_of=MID, town=None):
    return result(other, ident, as_of=as_of, town=town)


def test_other_plan_validates_clean_without_phases(other):
    plan, data = other
    assert data.problems == [] and data.invalid_count == 0
    assert plan.phases == [] and plan.reported_towns == ["东城区", "西城区", "南山县"]
    assert plan.words("zh").area == "县（市、区）" and plan.words("en").areas == "counties"


def test_other_plan_count_in_wan_jian(other):
    """400 registrations in the period (10 in 2023 do not count) → 0.04 万件, not 400 万件."""
    r = other_result(other, "copyright_registrations")
    assert (r.unit, r.actual, r.target, r.percent) == ("万件", 0.04, 0.05, 80.0)
    assert r.expected == 0.0416  # 0.05 × 912/1096 = 0.041606 万件: 416 whole records
    assert r.status == "on_track"  # 0.04 / 0.041606 = 0.96
    assert r.needed_per_week == 0.0004  # 100 records over 26.3 weeks: 3.8 → 4 a week
    plan, _ = other
    ind = plan.indicator("copyright_registrations")
    assert 820100 * unit_scale(plan, ind, ind.measures[0]) == pytest.approx(82.01)


def test_stock_in_wan_jian_scales_like_a_count(tmp_path):
    """One rule for every kind: a stock of records in 万件 counts in 万 too."""
    root = copy_other(
        tmp_path, lambda text: text.replace("    unit: 件\n    target: 4\n", "    unit: 万件\n    target: 0.0004\n")
    )
    plan = load_plan(root / "targets.yaml")
    r = result((plan, load_dataset(plan)), "trademark_stock", as_of=MID)
    assert (r.actual, r.baseline, r.target) == (0.0003, 0.0001, 0.0004)


def test_other_plan_stock_with_expiry(other):
    # Valid on a date: registered by then, not expired. 70000000 (2023) is the baseline;
    # 70000001 and 70000004 register in 2024; 70000002 is valid 2025-02-01 .. 2025-07-31.
    assert other_result(other, "trademark_stock", as_of=date(2025, 6, 30)).status == "achieved"  # 4 of 4
    r = other_result(other, "trademark_stock")
    assert (r.actual, r.baseline, r.percent) == (3, 1, 75.0)
    assert r.expected == 3  # 1 + 3 × 912/1096 = 3.50 → 3 whole records (rounded half up: 3.496)
    assert r.status == "at_risk" and r.needed_per_week == 1  # 3 / 3.496 = 0.86; 1 more in 26 weeks


def test_other_plan_ratio_uses_the_population_of_each_year(other):
    # Valid high-value inventions: 1 in 2023 (baseline, ÷ 20000), 2 at the end of 2024 (÷ 20000),
    # 3 at the end of 2025 (one lapsed 2025-03-01; ÷ 25000), 4 by mid-2026 (÷ 25000, the latest figure).
    values = [
        other_result(other, "hv_invention_density", as_of=d).actual
        for d in (date(2024, 12, 31), date(2025, 12, 31), MID)
    ]
    assert values == [1.0, 1.2, 1.6]
    r = other_result(other, "hv_invention_density")
    assert r.baseline == 0.5 and r.percent == 80.0 and r.status == "on_track"
    assert r.expected == 1.75  # 0.5 + 1.5 × 912/1096 = 1.748
    east = other_result(other, "hv_invention_density", town="东城区")
    assert east.actual == round(2 / 12000 * 10000, 6) and east.share is None
    assert other_result(other, "hv_invention_density", as_of=date(2024, 12, 31), town="西城区").actual == 0
    assert other_result(other, "hv_invention_density", as_of=date(2025, 12, 31), town="西城区").actual == 1.0
    assert other_result(other, "hv_invention_density", town="南山县").actual is None  # no population


def test_more_than_at_equality_is_not_achieved(other):
    """突破 2: 5 valid / 25000 × 10000 = 2.0 on 2026-10-31 equals the target, which is not passing it."""
    r = other_result(other, "hv_invention_density", as_of=date(2026, 10, 31))
    assert (r.actual, r.percent) == (2.0, 100.0)
    assert r.status == "on_track"  # not achieved; ahead of 0.5 + 1.5 × 1035/1096 = 1.92
    assert r.needed_per_week == 0.05  # one more record (0.4 per 10,000) in 61 days: 0.046 → 0.05
    assert other_result(other, "hv_invention_density", as_of=date(2026, 12, 31)).status == "behind"
    loans = other_result(other, "pledge_loans", as_of=date(2025, 12, 31))  # 40 + 60 万元 = 0.01 亿元
    assert (loans.actual, loans.percent) == (0.01, 100.0) and loans.status != "achieved"
    assert loans.needed_per_week > 0
    assert other_result(other, "pledge_loans").status == "achieved"  # 0.014 亿元 by mid-2026


def test_stock_of_distinct_organisations_alive_on_the_date(other):
    # A: certified 2021, renewed 2024-11-01 (one firm, two certificates); B: 2022, revoked
    # 2025-03-15; C: 2024-08-01; D: 2025-09-01; E: 2020 (never ended).
    levels = [
        other_result(other, "high_tech_enterprises", as_of=d).actual
        for d in (date(2024, 10, 31), date(2024, 11, 1), date(2025, 6, 30), MID)
    ]
    assert levels == [4, 4, 3, 4]  # A, B, C, E; A once on the renewal day; B revoked; + D
    r = other_result(other, "high_tech_enterprises")
    assert r.baseline == 3  # A, B, E were alive the day before the plan started
    assert r.expected == 5 and r.status == "at_risk"  # 3 + 2 × 912/1096 = 4.66; 4 / 4.66 = 0.86
    assert other_result(other, "high_tech_enterprises", town="东城区").actual == 3  # A, C, E


def test_other_plan_total_over_two_ledgers_and_allocations(other):
    r = other_result(other, "ip_applications")
    assert r.actual == 8 and r.status == "achieved"  # 5 patents + 3 trademarks filed in the period
    east = other_result(other, "ip_applications", town="东城区")
    west = other_result(other, "ip_applications", town="西城区")
    assert (east.actual, east.target, east.percent, east.status) == (3, 5, 60.0, "at_risk")
    assert (west.actual, west.target, west.status) == (2, 3, "at_risk")


def test_other_plan_distinct_counts_each_key_once(other):
    assert other_result(other, "member_enterprises", as_of=date(2025, 12, 31)).actual == 2


def test_milestone_before_the_plan_reads_done(other):
    r = other_result(other, "leading_group")
    assert r.done_on == date(2023, 11, 20) and r.done_before_start and r.status == "achieved"
    assert r.actual == 1 and not r.late


def test_per_town_milestone_limited_to_named_towns(other):
    at_due = other_result(other, "ip_offices", as_of=date(2024, 12, 31))
    assert (at_due.target, at_due.actual, at_due.towns_missing) == (2, 1, ["西城区"])  # 南山县 is not asked
    assert at_due.status == "behind"
    r = other_result(other, "ip_offices")
    assert (r.actual, r.status, r.late) == (2, "achieved", True)
    assert other_result(other, "ip_offices", town="南山县").target is None
    plans = other_result(other, "county_plans")  # every county but the nominal 金门县
    assert (plans.target, plans.actual, plans.done_on) == (3, 3, date(2025, 6, 1))


def test_baseline_view_before_the_plan(other):
    plan, data = other
    window = make_window(plan, None, date(2023, 12, 31))
    got = {i.id: i for i in compute(plan, data, window).indicators}
    assert (got["trademark_stock"].actual, got["high_tech_enterprises"].actual) == (1, 3)
    assert got["hv_invention_density"].actual == 0.5
    assert got["copyright_registrations"].actual == 0 and got["ip_applications"].actual == 0  # flows: 0
    assert all(i.status is None for i in got.values())
    assert got["leading_group"].actual == 1 and got["leading_group"].done_before_start
    levels = compute(plan, data, window).as_dict()["baseline"]
    assert levels == {
        "on": "2023-12-31",
        "levels": {"trademark_stock": 1, "hv_invention_density": 0.5, "high_tech_enterprises": 3},
    }


def test_nominal_county_only_in_breakdowns_with_records(other, tmp_path):
    plan, data = other
    rows = by_town(plan, data, make_window(plan, None, MID))
    assert list(rows[0]["towns"]) == ["东城区", "西城区", "南山县"]
    gi = next(r for r in rows if r["id"] == "gi_products")
    assert sum(gi["towns"].values()) == gi["district"] == 2
    root = copy_other(tmp_path)
    path = root / "data" / "geographical_indications.csv"
    path.write_text(path.read_text(encoding="utf-8-sig") + "G3,高粱,金门县,2025-06-01\n", encoding="utf-8-sig")
    plan = load_plan(root / "targets.yaml")
    rows = by_town(plan, load_dataset(plan), make_window(plan, None, MID))
    assert list(rows[0]["towns"]) == ["东城区", "西城区", "南山县", "金门县"]
    assert next(r for r in rows if r["id"] == "gi_products")["towns"]["金门县"] == 1


def test_no_phases_is_a_usage_error(other):
    plan, data = other
    with pytest.raises(UsageError) as caught:
        make_window(plan, 1)
    assert caught.value.code == "no_phases"
    with pytest.raises(UsageError):
        by_phase(plan, data, make_window(plan, None, MID))


def copy_other(tmp_path, edit=None):
    root = tmp_path / "other"
    shutil.copytree(OTHER, root)
    if edit is not None:
        path = root / "targets.yaml"
        path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    return root


# --- per-town milestones by phase and by year (the Wujiang plan) -----------------------------

STAFF = {
    "outputs": [
        *[
            {**VALID_ROWS["outputs"], "output_id": f"S{i}", "kind": "town_ip_staff", "town": town, "achieved_on": day}
            for i, (town, day) in enumerate(
                [
                    ("吴江开发区", "2021-07-01"),
                    ("汾湖高新区（黎里镇）", "2021-08-01"),
                    ("吴江高新区（盛泽镇）", "2021-09-01"),
                    ("东太湖度假区（太湖新城）", "2021-10-01"),
                    ("平望镇", "2021-11-01"),
                    ("七都镇", "2021-12-01"),
                    ("平望镇", "2022-02-01"),  # a second record for a town already done: still 1 town
                    ("震泽镇", "2022-03-01"),
                    ("桃源镇", "2022-04-01"),
                ]
            )
        ],
        {**VALID_ROWS["outputs"], "output_id": "L1", "kind": "leading_group", "achieved_on": "2022-01-15"},
    ]
}


@pytest.fixture(scope="module")
def staff(tmp_path_factory):
    _, plan, data = loaded(tmp_path_factory, "staff", STAFF)
    return plan, data


def test_per_town_milestone_by_phase_counts_towns_done(staff):
    plan, data = staff
    rows = {r["id"]: r for r in by_phase(plan, data, make_window(plan))}
    assert [(p["increment"], p["total"]) for p in rows["town_ip_staff"]["phases"]] == [(6, 6), (2, 8), (0, 8)]
    assert result(staff, "town_ip_staff", phase=2).actual == 8  # as the main report says
    assert [p["total"] for p in rows["leading_group"]["phases"]] == [0, 1, 1]


def test_per_town_milestone_by_year_counts_towns_not_records(staff):
    plan, data = staff
    rows = {r["id"]: r for r in by_period(plan, data, make_window(plan), "year")}
    series = rows["town_ip_staff"]["series"]
    assert [(s["increment"], s["total"]) for s in series] == [(6, 6), (2, 8), (0, 8)]  # records: 6, 3, 0


# --- until_where: a lapse known on status_on ends a patent ------------------------------------


def density(count: int) -> float:
    return round(count / 1545023 * 10000, 6)


def status_patent(body, granted, status, status_on, filed="2021-01-04"):
    return {**patent(body, filed, granted), "legal_status": status, "status_on": status_on}


LAPSES = {
    "patents": [
        status_patent("202110000011", "2022-01-10", "lapsed", "2023-03-01"),  # counted 2022-01-10 .. 2023-02-28
        status_patent("202110000012", "2021-12-01", "valid", "2021-12-01"),  # a valid status never ends it
        status_patent("202110000013", "", "refused", "2022-06-01"),  # never granted: never counted
        status_patent("202110000014", "2021-03-01", "abandoned", "2020-12-01"),  # ended before the grant: never
        status_patent("202110000015", "2021-05-01", "expired", "2024-01-05"),  # ends after the window
    ]
}


@pytest.fixture(scope="module")
def lapses(tmp_path_factory):
    _, plan, data = loaded(tmp_path_factory, "lapses", LAPSES)
    return plan, data


def test_lapsed_invention_counts_until_its_status_date(lapses):
    assert result(lapses, "invention_density", as_of=date(2023, 2, 28)).actual == density(3)
    assert result(lapses, "invention_density", as_of=date(2023, 3, 1)).actual == density(2)


def test_valid_status_refused_and_ended_before_grant(lapses):
    r = result(lapses, "invention_density")
    # The plan start baseline: the 2021-05-01 grant only (2021-03-01 was abandoned before its grant).
    assert r.baseline == density(1)
    # 2021: + the valid 2021-12-01 grant; 2022: + the 2022-01-10 grant; 2023: it lapsed on 03-01.
    assert [y.actual for y in r.years] == [density(2), density(3), density(2)]
    assert r.actual == density(2)  # 2021-12-01 (valid) and 2021-05-01 (expires 2024): the refusal never


def test_until_without_until_where_ends_every_dated_row(tmp_path):
    """Today's behaviour of `until` alone: any status date ends the record, the valid one too."""
    root = make_project(tmp_path / "p", LAPSES)
    yaml_path = root / "targets.yaml"
    text = yaml_path.read_text(encoding="utf-8")
    cut = "      until_where: {legal_status: [ended, lapsed, expired, abandoned, invalidated]}\n"
    assert cut in text
    yaml_path.write_text(text.replace(cut, ""), encoding="utf-8")
    plan = load_plan(yaml_path)
    r = result((plan, load_dataset(plan)), "invention_density")
    assert r.actual == density(1)  # only the 2021-05-01 grant: its status date lies after the window


def test_shipped_density_leaves_out_known_lapses(shipped):
    """Cross-check on the shipped data, computed from the CSV independently of the engine."""
    frame = pd.read_csv(shipped / "data" / "patents.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    inventions = frame[(frame["type"] == "invention") & (frame["granted_on"] != "")]
    end = "2023-12-31"
    ended = inventions["legal_status"].isin(["ended", "lapsed", "expired", "abandoned", "invalidated"]) & (
        inventions["status_on"] <= end
    )
    granted = inventions["granted_on"] <= end
    assert (granted & ended).sum() > 0  # the sample has lapses by the plan end
    plan = load_plan(shipped / "targets.yaml")
    r = result((plan, load_dataset(plan, ["patents"])), "invention_density", as_of=date(2023, 12, 31))
    assert r.actual == density(int((granted & ~ended).sum()))


# --- 未划分区镇: records inside the district whose town is not yet known ------------------------


def tm(number, town, nice="9", filed="2022-01-01"):
    return {**VALID_ROWS["trademarks"], "application_no": number, "town": town, "nice_class": nice, "filed_on": filed}


UNPLACED = {
    "patents": [
        patent("202110000021", "2021-07-01", "2022-07-01"),  # 吴江开发区
        patent("202110000022", "2021-08-01", "2022-08-01", town=""),  # unassigned
        patent("202220000023", "2022-02-01", town="", kind="utility_model"),  # unassigned
        patent("202230000024", "2022-03-01", town="七都镇", kind="design"),
    ],
    "trademarks": [tm("56780001", ""), tm("56780002", "平望镇"), tm("56780002", "", nice="25")],
    "software_copyrights": [{**VALID_ROWS["software_copyrights"], "town": ""}],
    "events": [{**VALID_ROWS["events"], "event_id": "E1"}],
    "outputs": [{**VALID_ROWS["outputs"], "output_id": "O1"}],  # district-level: no town by design
}


@pytest.fixture(scope="module")
def unplaced(tmp_path_factory):
    return loaded(tmp_path_factory, "unplaced", UNPLACED)


def test_unassigned_rows_count_in_the_district_and_their_own_column(unplaced):
    _, plan, data = unplaced
    assert data.invalid_count == 0
    rows = {r["id"]: r for r in by_town(plan, data, make_window(plan))}
    expected = {
        "patent_applications": (4, 2),
        "patent_grants": (2, 1),
        "trademark_applications": (3, 2),
        "software_copyrights": (1, 1),
    }
    for ident, (district, unassigned) in expected.items():
        row = rows[ident]
        assert (row["district"], row["unassigned"]) == (district, unassigned), ident
        assert sum(row["towns"].values()) + row["unassigned"] == row["district"], ident
    assert (
        rows["patent_applications"]["towns"]["吴江开发区"] == 1 and rows["patent_applications"]["towns"]["七都镇"] == 1
    )
    # Ledgers whose town is required, or empty by design (district-level outputs): no such column.
    assert rows["plaza_promotions"]["unassigned"] is None and rows["leading_group"]["unassigned"] is None
    assert rows["invention_density"]["unassigned"] is None  # per population: a place without one
    assert rows["patent_applications"]["allocations"] is None


def test_cumulative_counts_add_up_on_shipped_data(shipped):
    plan = load_plan(shipped / "targets.yaml")
    data = load_dataset(plan, sorted({name for ind in plan.indicators for name in ind.ledgers}))
    for row in by_town(plan, data, make_window(plan, 2)):
        if row["kind"] == "cumulative" and row["unassigned"] is not None:
            assert sum(row["towns"].values()) + row["unassigned"] == pytest.approx(row["district"]), row["id"]
            assert row["unassigned"] == 0  # the shipped data places every record


def test_one_town_report_ignores_unassigned_rows(unplaced):
    _, plan, data = unplaced
    town = {i.id: i for i in compute(plan, data, make_window(plan), "吴江开发区").indicators}
    assert town["patent_applications"].actual == 1 and town["patent_applications"].share == 25.0
    assert town["trademark_applications"].actual == 0


@pytest.mark.parametrize("fmt", ["markdown", "csv", "json", "html", "table"])
def test_unassigned_column_in_every_format(invoke, unplaced, fmt):
    root = unplaced[0]
    zh = invoke(["report", "--by", "town", "--format", fmt], cwd=root)
    en = invoke(["report", "--by", "town", "--format", fmt, "--lang", "en"], cwd=root)
    assert zh.exit_code == 0 and en.exit_code == 0, zh.stderr
    if fmt == "json":
        row = next(r for r in json.loads(zh.stdout)["breakdown"] if r["id"] == "patent_applications")
        assert row["unassigned"] == 2 and "" not in row["towns"]
    elif fmt == "csv":
        header, *lines = zh.stdout.splitlines()
        assert header.endswith(",桃源镇,unassigned")
        assert next(row for row in lines if row.startswith("patent_applications,")).endswith(",0,2")
    else:
        assert "未划分区镇" in zh.stdout and "Town unassigned" in en.stdout


def test_unassigned_column_in_xlsx(invoke, unplaced, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "towns.xlsx"
    assert invoke(["report", "--by", "town", "--format", "xlsx", "--output", str(out)], cwd=unplaced[0]).exit_code == 0
    sheet = load_workbook(out)["按区镇"]
    header = [c.value for c in sheet[2]]
    assert header[-3:] == ["桃源镇", "未划分区镇", "编号"]  # the id last (hidden)
    row = next([c.value for c in r] for r in sheet.iter_rows(min_row=3) if r[-1].value == "patent_applications")
    assert row[-2] == 2


def test_no_unassigned_column_when_every_record_is_placed(invoke, shipped):
    text = invoke(["report", "--by", "town", "--format", "markdown"], cwd=shipped).stdout
    assert "未划分区镇" not in text and "桃源镇" in text


# --- the shipped sample: the enterprise register and addresses ---------------------------------


def test_sample_addresses_agree_with_towns(shipped):
    plan = load_plan(shipped / "targets.yaml")
    register = pd.read_csv(
        shipped / "data" / "organisations.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    assert (register["located"] == "inside").all() and register["name"].is_unique
    places = [(place, town.name) for town in plan.towns for place in town.places]

    def town_of(address: str) -> str:
        rest = address.split("吴江区", 1)[1]
        return min((rest.find(p), -len(p), t) for p, t in places if p in rest)[2]

    assert [town_of(a) for a in register["address"]] == list(register["town"])
    patents = pd.read_csv(shipped / "data" / "patents.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    address = dict(zip(register["name"], register["address"]))
    assert (patents["applicant_address"] == patents["applicant"].map(address)).all()


@pytest.mark.parametrize("span", [1, 30, 1000, 65535, 70000])
def test_the_fast_day_order_is_the_stable_order(span):
    """_day_order takes a 16-bit radix sort over spans below 65,536 days: the very order of a
    stable argsort of the days, ties kept in row order."""
    from ipdemo.engine.progress import _day_order

    rng = np.random.default_rng(span)
    days = (18000 + rng.integers(0, span, 50_000)).astype(np.float64)
    assert np.array_equal(_day_order(days), np.argsort(days, kind="stable"))


def test_one_facts_per_indicator_is_shared_by_the_report_and_its_breakdown(plan_and_data):
    from ipdemo.engine import progress

    plan, data = plan_and_data
    window = make_window(plan, None, None)
    compute(plan, data, window)
    built = dict(data.derived["facts"])
    by_town(plan, data, window)
    assert data.derived["facts"] == built and all(data.derived["facts"][k] is built[k] for k in built)
    first = plan.indicators[0]
    assert progress.facts_of(data, first) is next(facts for (ident, _), facts in built.items() if ident == first.id)


def test_a_ledger_loaded_on_demand_keeps_the_facts_of_indicators_that_do_not_read_it(tmp_path):
    """As the report command loads: the indicators' ledgers first; the task-progress ledger when
    the tasks need it, in the middle of compute. The breakdown after it builds no facts again."""
    from ipdemo.engine import progress

    _, plan, _ = loaded_at(tmp_path / "p", ROWS)
    data = load_dataset(plan, sorted({name for ind in plan.indicators for name in ind.ledgers}))
    assert "task_progress" not in data.tables
    window = make_window(plan, None, None)
    compute(plan, data, window)
    assert "task_progress" in data.tables  # loaded by the tasks, after some facts were built
    built = {id(facts) for facts in data.derived["facts"].values()}
    by_town(plan, data, window)
    assert {id(progress.facts_of(data, ind)) for ind in plan.indicators} == built


def test_a_report_takes_the_dates_the_screen_read(plan_and_data):
    """Not a vacuous fast path: the dataset keeps the screen's dates for the engine to reuse."""
    _, data = plan_and_data
    assert {"filed_on", "granted_on"} <= set(data.screened_days["patents"])


def test_a_ledger_added_again_replaces_what_was_worked_out_from_the_old_copy(tmp_path):
    """Dataset.add drops the day numbers, town codes and indicator facts of the copy it replaces."""
    from ipdemo.engine.dataset import CheckedLedger, checked_ledger
    from ipdemo.engine.progress import facts_of

    rows = {
        "patents": [
            patent("202110000001", "2021-06-01"),
            patent("202110000009", "2021-07-01"),
            {**patent("202110000010", "2021-07-02"), "title": ""},
        ]
    }
    _, plan, data = loaded_at(tmp_path / "p", rows)
    assert len(data.problems) == 1
    assert len(data.days("patents", "filed_on")) == 2 and len(data.town_codes("patents")) == 2
    before = facts_of(data, plan.indicators[0])
    checked = checked_ledger(plan, "patents")
    data.add(
        "patents",
        CheckedLedger(
            checked.rows.slice(0, 1), checked.problems, [], {name: days[:1] for name, days in checked.days.items()}
        ),
    )
    assert len(data.days("patents", "filed_on")) == 1 and len(data.town_codes("patents")) == 1
    assert len(data.problems) == 1  # the new copy's problem, not the old one's as well
    assert facts_of(data, plan.indicators[0]) is not before
    assert sum(1 for ident, _ in data.derived["facts"] if ident == plan.indicators[0].id) == 1  # the old ones go
    assert compute(plan, data, make_window(plan)).indicators[0].actual == 1
