"""The statistic kind (engine/statistics.py) and the area rules of issue 25 item 4, on the
national-style fixture (tests/fixtures/national_plan) and small variations of it. Figures are
worked out by hand from the fixture's rows; the comments say which."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import YearResult, compute, make_window
from ipdemo.engine.statistics import completion, plan_baseline, statistic_ledgers
from ipdemo.engine.summary import build, parse_week
from ipdemo.errors import PlanError
from ipdemo.i18n import message
from ipdemo.plan.kinds import kind_spec
from ipdemo.plan.model import load_plan
from ipdemo.render.grid import Exact, cell_text

from .conftest import FIXTURES

NATIONAL = FIXTURES / "national_plan"


@pytest.fixture(scope="module")
def national():
    plan = load_plan(NATIONAL / "targets.yaml")
    return plan, load_dataset(plan)


def variant(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the national plan with one piece of its YAML replaced."""
    root = tmp_path / "plan"
    shutil.copytree(NATIONAL, root)
    path = root / "targets.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def plan_codes(path: Path) -> list[str]:
    try:
        load_plan(path)
    except PlanError as exc:
        return [p.code for p in exc.problems]
    return []


def test_the_statistic_kind_is_a_published_figure_and_claims_no_sharing_burn_up_or_pace():
    spec = kind_spec("statistic")
    assert spec.published and spec.needs == ("target",)
    assert not (spec.amount or spec.shares_by_area or spec.burns_up or spec.headline or spec.pace_to_due)


# --- the plan's checks -------------------------------------------------------------------------

ROYALTIES_MEASURE = "date: published_on, period: year}\n  - id: patent_intensive_share"


def test_a_statistic_needs_its_publication_date_and_period(tmp_path):
    path = variant(tmp_path, ROYALTIES_MEASURE, "date: published_on}\n  - id: patent_intensive_share")
    assert plan_codes(path) == ["plan_statistic_needs"]


def test_period_and_denominator_belong_to_statistics_only(tmp_path):
    old = "measure: {ledger: overseas_grants, date: granted_on}"
    path = variant(tmp_path, old, "measure: {ledger: overseas_grants, date: granted_on, period: granted_on}")
    assert plan_codes(path) == ["plan_statistic_only"]


def test_per_population_on_a_statistic_is_refused_not_ignored(tmp_path, invoke):
    """It was silently ignored: the report showed the published figure as if it were per person."""
    per_person = ROYALTIES_MEASURE.replace("period: year}", "period: year, per_population: 10000}")
    path = variant(tmp_path, ROYALTIES_MEASURE, per_person)
    assert plan_codes(path) == ["plan_statistic_per_population"]  # the one error, not its unit too
    result = invoke(["validate", "--targets", str(path)], cwd=path.parent)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    said = result.stdout + result.stderr
    assert "per_population" in said and "denominator" in said and "royalties" in said, said


def test_the_period_is_a_year_field(tmp_path):
    path = variant(
        tmp_path, ROYALTIES_MEASURE, "date: published_on, period: published_on}\n  - id: patent_intensive_share"
    )
    assert plan_codes(path) == ["field_type"]


def test_a_ratio_needs_a_ratio_unit_and_sides_of_one_dimension(tmp_path):
    path = variant(tmp_path, 'unit: "%"\n    target: 13', "unit: 亿元\n    target: 13")
    assert plan_codes(path) == ["plan_ratio_unit"]
    mixed = variant(tmp_path / "b", "gdp: {type: decimal, unit: 亿元,", "gdp: {type: decimal,")
    assert "plan_ratio_units" in plan_codes(mixed)


def test_per_area_targets_of_a_density_are_not_summed(tmp_path):
    """12 件/万人 in 北京 and 12 in 广东 are 12 each, not 24 against the national 12."""
    old = "    target: 12\n    measure: {ledger: patents"
    new = "    target: 12\n    allocations: {towns: {北京市: 12, 广东省: 12}}\n    measure: {ledger: patents"
    assert plan_codes(variant(tmp_path, old, new)) == []


def test_per_area_targets_of_an_amount_are_summed_in_the_plans_words(tmp_path):
    path = variant(
        tmp_path,
        "    kind: annual\n    unit: 亿元\n    target: 3200\n",
        "    kind: cumulative\n    unit: 亿元\n    target: 3200\n"
        "    allocations: {towns: {北京市: 2000, 广东省: 2000}}\n",
    )
    with pytest.raises(PlanError) as raised:
        load_plan(path)
    problem = raised.value.problems[0]
    assert problem.code == "allocation_exceeds"
    zh = message(problem.code, "zh", **problem.params)
    en = message(problem.code, "en", **problem.params)
    assert "省（区、市）分解合计 4000 超过全国目标 3200" in zh and "区镇" not in zh and "全区" not in zh
    assert "by province" in en and "country target" in en


# --- figures -----------------------------------------------------------------------------------


def test_completion_runs_from_the_plans_baseline_when_it_states_one():
    """满意度 81.4 against 82 from a 2020 baseline of 80.05: (81.4 − 80.05) / (82 − 80.05) = 69.2 %,
    not 81.4 / 82 = 99.3 %."""
    assert completion(81.4, 82, 80.05) == 69.2
    assert completion(81.4, 82, None) == 99.3
    assert completion(80.05, 82, 80.05) == 0


def test_a_baseline_gives_a_path_to_the_target_year(national, tmp_path):
    """With `baseline: {value: 80.05, year: 2020}` (the plan's 2020 figure) the 2023 figure 81.4 is
    judged against the line 80.05 → 82 (2020 → 2025): expected in 2023 80.05 + 1.95 × 3/5 = 81.22;
    progress 1.35 of the 1.17 due: on track; 完成率 (81.4 − 80.05) / (82 − 80.05) = 69.2 %."""
    plan, data = national
    ind = plan.indicator("protection_satisfaction")
    assert plan_baseline(plan, ind) == (None, 2020)
    path = variant(
        tmp_path,
        "    unit: 分\n    target: 82\n",
        "    unit: 分\n    target: 82\n    baseline: {value: 80.05, year: 2020}\n",
    )
    plan2 = load_plan(path)
    assert plan_baseline(plan2, plan2.indicator("protection_satisfaction")) == (80.05, 2020)
    got = next(
        i
        for i in compute(plan2, load_dataset(plan2), make_window(plan2, as_of=date(2024, 9, 30))).indicators
        if i.id == ind.id
    )
    assert (got.percent, got.expected, got.status, got.baseline) == (69.2, 81.22, "on_track", 80.05)


def test_without_a_baseline_no_pace_is_judged_before_the_target_year(national):
    plan, data = national
    got = {i.id: i for i in compute(plan, data, make_window(plan, as_of=date(2024, 9, 30))).indicators}
    assert got["protection_satisfaction"].status is None  # 81.4 < 82, 2023 < 2025, no baseline
    assert got["patent_intensive_share"].status is None


def test_a_figure_for_the_target_year_that_misses_is_behind(tmp_path):
    """royalties target 4000 (above every figure); with `due: 2023-12-31` the 2023 figure (3765.2,
    published 2024-04-18) is the target year's: behind."""
    path = variant(tmp_path, "    target: 3500\n", "    target: 4000\n    due: 2023-12-31\n")
    plan = load_plan(path)
    got = next(
        i
        for i in compute(plan, load_dataset(plan), make_window(plan, as_of=date(2024, 9, 30))).indicators
        if i.id == "royalties"
    )
    assert (got.actual, got.period, got.status) == (3765.2, 2023, "behind")


def test_a_ratio_over_a_zero_denominator_is_no_figure(tmp_path):
    root = variant(tmp_path, "plan:\n", "plan:\n").parent  # the plan as it is
    csv = root / "data" / "court_cases.csv"
    csv.write_text(csv.read_text(encoding="utf-8-sig").replace(",176400,200000", ",0,0"), encoding="utf-8-sig")
    plan = load_plan(root / "targets.yaml")
    got = next(
        i
        for i in compute(plan, load_dataset(plan), make_window(plan, as_of=date(2024, 9, 30))).indicators
        if i.id == "court_settlement_rate"
    )
    assert (got.actual, got.period, got.percent, got.status) == (None, 2023, None, None)


# --- the weekly summary -----------------------------------------------------------------------


def test_statistics_ledgers_are_publications_not_new_records(national):
    """Week 2024-W16 (04-15..04-21): the 2023 royalties figure (3765.2) is published on 04-18,
    replacing 2022's 3872.5; no record of any other ledger is dated in it."""
    plan, data = national
    assert statistic_ledgers(plan) == {"statistics", "gdp_shares", "court_cases"}
    summary = build(plan, data, parse_week("2024-W16"))
    assert not set(summary.records) & {"statistics", "gdp_shares", "court_cases"}
    assert summary.published == {"court_cases": 0, "gdp_shares": 0, "statistics": 1}
    moved = next(m for m in summary.movements if m.indicator.id == "royalties")
    assert (moved.before, moved.indicator.actual, moved.period_before) == (3872.5, 3765.2, 2022)
    assert moved.newly_published and moved.delta == round(3765.2 - 3872.5, 6)
    quiet = next(m for m in summary.movements if m.indicator.id == "protection_satisfaction")
    assert not quiet.newly_published


# --- how figures are shown --------------------------------------------------------------------


def test_a_small_figure_never_prints_as_zero():
    assert cell_text(0.0036) == "0.0036"  # 36 件 in 万件
    assert cell_text(0.0019) == "0.0019"
    assert cell_text(0.05) == "0.05" and cell_text(12.5) == "12.5" and cell_text(3098.00001) == "3,098"
    assert cell_text(Exact(0.6847)) == "0.6847"  # a rate in 万件, whole records: as JSON has it


def test_annual_chart_captions_are_formatted_not_raw_sums(national):
    from ipdemo.render.charts import annual_charts

    plan, _ = national
    item = SimpleNamespace(
        id="pledge_financing",
        name="质押融资",
        name_en="",
        unit="亿元",
        spec=kind_spec("annual"),
        years=[YearResult(2023, date(2023, 1, 1), date(2023, 12, 31), 3200, 3098.00001, 96.8, "behind")],
    )
    caption = annual_charts(SimpleNamespace(indicators=[item], plan=plan), "zh")[0]["caption"]
    assert caption == "2023年3,098/3,200" and not re.search(r"\d\.\d{3,}", caption)


def test_a_record_ledger_without_areas_gives_none_per_area_and_no_area_chart(tmp_path):
    """overseas_grants counted as a cumulative total (5 + 7 + 36 + 12 = 60 grants in 2021..2024):
    with its town field the provinces share it (a chart); without it no province has a figure
    (None, never 0) and there is nothing to chart."""
    from ipdemo.engine.progress import by_town
    from ipdemo.render.charts import shares_model

    kind = ("    kind: annual\n    unit: 万件\n", "    kind: cumulative\n    unit: 万件\n")
    field = "      town: {type: town, required: true, label: 省（区、市）}\n      granted_on"

    def breakdown(path: Path) -> tuple[dict, object]:
        plan = load_plan(path)
        data = load_dataset(plan)
        assert data.problems == []
        rows = by_town(plan, data, make_window(plan, as_of=date(2024, 9, 30)))
        return {r["id"]: r for r in rows}["overseas_grants"], shares_model(plan, rows)

    with_areas, chart = breakdown(variant(tmp_path / "a", *kind))
    assert with_areas["whole"] == 0.006 and with_areas["areas"]["广东省"] == 0.0039  # 3 + 4 + 20 + 12
    assert chart is not None and [r["id"] for r in chart.rows] == ["overseas_grants"]
    path = variant(tmp_path / "b", *kind)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(field, "      granted_on", 1), encoding="utf-8")
    grants = path.parent / "data" / "overseas_grants.csv"
    lines = grants.read_text(encoding="utf-8-sig").splitlines()
    grants.write_text("\n".join(",".join(x.split(",")[::2]) for x in lines) + "\n", encoding="utf-8-sig")
    without, chart = breakdown(path)
    assert without["whole"] == 0.006 and set(without["areas"].values()) == {None}
    assert chart is None
