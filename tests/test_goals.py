"""The plan's goals (issue 25 items 1 and 3): target-year goals on the path from the plan's 基期值,
baselines and 属性 stated per indicator, the plan's words beside its figures. Every expected
figure is computed by hand in the comments from the rows the test writes."""

from __future__ import annotations

import json
from datetime import date

import pytest

from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import compute, make_window
from ipdemo.errors import PlanError
from ipdemo.plan.model import load_plan
from ipdemo.render.docx_text import next_steps

from .goals_plan import progress_of, write_project

SUM = {"ledger": "records", "date": "on", "aggregate": "sum", "field": "amount"}
# 质押融资登记金额 (亿元): 2021 1500, 2022 1700 (all by 05-01), 2023 8539.9, 2024 none, 2025 3000.
PLEDGES = [
    ("2021-03-01", 700),
    ("2021-10-01", 800),
    ("2022-02-01", 500),
    ("2022-05-01", 1200),
    ("2023-07-01", 8539.9),
    ("2025-11-01", 3000),
]


def pledge(**keys) -> dict:
    """A yearly flow whose target (3200 亿元) is the value of 2025, from a 2020 baseline of 1000."""
    return {
        "id": "pledge",
        "name": "知识产权质押融资登记金额",
        "plan_text": "知识产权质押融资登记金额达到3200亿元",
        "kind": "annual",
        "unit": "亿元",
        "target": 3200,
        "measure": SUM,
        **keys,
    }


TARGET_YEAR = {"due": "2025-12-31", "baseline": {"value": 1000, "year": 2020}}


@pytest.fixture
def plan_at(tmp_path):
    """targets.yaml with these indicators and the pledge rows (or others)."""

    def make(*indicators, rows=PLEDGES, **top):
        return write_project(tmp_path / "p", list(indicators), rows, **top)

    return make


def test_an_annual_target_judged_every_year_calls_the_early_years_behind(plan_at):
    """Today's reading of a yearly flow without `due`: each year against the 2025 value."""
    path = plan_at(pledge())
    assert progress_of(path, "2022-12-31", "pledge").status == "behind"  # 1500 and 1700 < 3200


def test_a_year_ahead_of_the_target_year_value_is_achieved_early_not_behind(plan_at):
    path = plan_at(pledge(**TARGET_YEAR))
    got = progress_of(path, "2023-12-31", "pledge")
    assert got.status == "achieved"  # 提前实现: 8539.9 ≥ 3200 in 2023
    assert got.percent == 266.9  # 8539.9 / 3200 = 266.87 %
    assert got.target == 3200 and got.target_year == 2025


def test_earlier_years_are_judged_on_the_linear_path_from_the_baseline(plan_at):
    path = plan_at(pledge(**TARGET_YEAR))
    # Path 1000 (2020) → 3200 (2025): 1440, 1880, 2320, 2760 for 2021..2024.
    first = progress_of(path, "2021-12-31", "pledge")
    assert [y.target for y in first.years] == [1440]
    assert first.status == "on_track"  # 1500 / 1440 = 1.04
    second = progress_of(path, "2022-12-31", "pledge")
    assert [y.target for y in second.years] == [1440, 1880]
    assert second.years[-1].status == "at_risk" and second.status == "at_risk"  # 1700 / 1880 = 0.904
    mid = progress_of(path, "2022-06-30", "pledge")
    assert mid.expected == 932.27  # 1880 × 181 / 365
    assert mid.status == "on_track"  # 1700 already


def test_a_compound_path_grows_at_one_rate(plan_at):
    path = plan_at(pledge(**TARGET_YEAR, path="compound"))
    got = progress_of(path, "2022-12-31", "pledge")
    # 1000 × 3.2^(2/5) = 1592.43: 1700 is ahead of it.
    assert got.years[-1].target == pytest.approx(1592.43, abs=0.01)
    assert got.status == "on_track" and got.path == "compound"


def test_the_target_year_itself_is_judged_against_the_target(plan_at):
    path = plan_at(pledge(**TARGET_YEAR))
    got = progress_of(path, "2025-12-31", "pledge")
    assert got.years[-1].target == 3200 and got.years[-1].actual == 3000
    assert got.status == "behind"  # 2025 is over: 3000 < 3200


def test_without_a_baseline_earlier_years_have_no_status_of_their_own(plan_at):
    path = plan_at(pledge(due="2025-12-31"))
    got = progress_of(path, "2022-12-31", "pledge")
    assert [y.target for y in got.years] == [None, None] and got.status is None
    assert progress_of(path, "2023-12-31", "pledge").status == "achieved"


# --- a level from the plan's 基期值 -----------------------------------------------------------------

# 12 records before the plan (the data's level on 2020-12-31), 3 more by 2023-06-30: level 15.
LEVEL_ROWS = [(f"2020-{m:02d}-01", 1) for m in range(1, 13)] + [
    ("2021-05-01", 1),
    ("2022-05-01", 1),
    ("2023-05-01", 1),
]


def level(**keys) -> dict:
    return {
        "id": "stock",
        "name": "有效注册商标",
        "kind": "stock",
        "unit": "件",
        "target": 20,
        "measure": {"ledger": "records", "date": "on"},
        **keys,
    }


def test_a_level_without_a_baseline_starts_from_the_data(plan_at):
    got = progress_of(plan_at(level(), rows=LEVEL_ROWS), "2023-06-30", "stock")
    assert got.baseline == 12 and got.baseline_year is None
    assert got.percent == 75.0  # 15 / 20
    assert got.expected == 16  # 12 + 8 × 911 / 1826 = 15.99


def test_a_stated_baseline_starts_the_path_and_the_percent(plan_at):
    got = progress_of(plan_at(level(baseline={"value": 10, "year": 2020}), rows=LEVEL_ROWS), "2023-06-30", "stock")
    assert got.baseline == 10 and got.baseline_year == 2020  # the plan's 10, not the data's 12
    assert got.percent == 50.0  # (15 − 10) / (20 − 10)
    assert got.expected == 15  # 10 + 10 × 911 / 1826 = 14.99 (2020-12-31 → 2023-06-30 of → 2025-12-31)
    assert got.status == "on_track"


def test_a_stated_baseline_with_a_compound_path(plan_at):
    keys = {"baseline": {"value": 10, "year": 2020}, "path": "compound"}
    got = progress_of(plan_at(level(**keys), rows=LEVEL_ROWS), "2023-06-30", "stock")
    assert got.expected == 14  # 10 × 2^(911/1826) = 14.13


def test_an_area_keeps_its_own_level_as_baseline(plan_at):
    got = progress_of(
        plan_at(level(baseline={"value": 10, "year": 2020}), rows=LEVEL_ROWS), "2023-06-30", "stock", "甲省"
    )
    assert got.baseline == 12 and got.baseline_year is None  # the stated 基期值 is the whole's


# --- the keys are checked -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "keys, code",
    [
        ({"path": "compound"}, "plan_path_needs_baseline"),
        ({"baseline": {"value": 0, "year": 2020}, "path": "compound", "due": "2025-12-31"}, "plan_compound_positive"),
        ({"baseline": {"value": 1000, "year": 2021}, "due": "2021-12-31"}, "plan_baseline_year"),
        ({"baseline": {"value": 1000, "year": 2022}}, "plan_baseline_year"),
        ({"path": "linear", "baseline": {"value": 1000, "year": 2020}}, "plan_goal_key_kind"),  # annual without due
        ({"baseline": 6.3}, "plan_wrong_type"),
        ({"baseline": {"value": 6.3}}, "plan_missing_key"),
        ({"binding": "约束"}, "plan_wrong_type"),
        ({"pace": "quarterly"}, "plan_wrong_type"),
    ],
)
def test_goal_keys_are_checked(plan_at, keys, code):
    with pytest.raises(PlanError) as caught:
        load_plan(plan_at(pledge(**keys)))
    assert code in [p.code for p in caught.value.problems]


def test_goal_keys_on_a_kind_they_mean_nothing_for_are_refused(plan_at):
    milestone = {
        "id": "office",
        "name": "设立办公室",
        "kind": "milestone",
        "unit": "件",
        "due": "2022-12-31",
        "baseline": {"value": 1, "year": 2020},
        "measure": {"ledger": "records", "date": "on"},
    }
    with pytest.raises(PlanError) as caught:
        load_plan(plan_at(milestone, level(pace="seasonal")))
    found = {(p.code, p.params.get("key")) for p in caught.value.problems}
    assert found == {("plan_goal_key_kind", "baseline"), ("plan_goal_key_kind", "pace")}


def test_validate_names_the_line_and_exits_1(plan_at, invoke):
    path = plan_at(pledge(path="compound"))
    result = invoke(["validate", "--targets", str(path)])
    assert result.exit_code == 1
    said = result.stdout + result.stderr
    assert "pledge" in said and "baseline" in said and "Traceback" not in said
    assert "targets.yaml" in said


# --- shown beside the target --------------------------------------------------------------------


def test_report_shows_baseline_binding_and_the_plan_words(plan_at, invoke):
    path = plan_at(pledge(**TARGET_YEAR, binding="expected"))
    result = invoke(["report", "--format", "markdown", "--as-of", "2023-12-31"], cwd=path.parent)
    assert result.exit_code == 0, result.stderr
    header, _, row = result.stdout.splitlines()[2:5]
    cells = [c.strip() for c in row.split("|")]
    columns = [c.strip() for c in header.split("|")]
    assert columns[3:6] == ["属性", "基期值", "目标"]
    assert cells[3:6] == ["预期性", "1,000（2020年）", "3,200 亿元（2025年）"]
    assert "知识产权质押融资登记金额达到3200亿元" in row and "已完成" in row


def test_report_english_and_json_and_csv_carry_the_goal(plan_at, invoke):
    path = plan_at(pledge(**TARGET_YEAR, binding="binding", path="compound"))
    english = invoke(["report", "--format", "markdown", "--as-of", "2023-12-31", "--lang", "en"], cwd=path.parent)
    assert "binding" in english.stdout and "1,000 (2020)" in english.stdout and "3,200 亿元 in 2025" in english.stdout
    data = json.loads(invoke(["report", "--format", "json", "--as-of", "2023-12-31"], cwd=path.parent).stdout)
    item = data["indicators"][0]
    assert (item["baseline"], item["baseline_year"], item["binding"], item["path"], item["target_year"]) == (
        1000,
        2020,
        "binding",
        "compound",
        2025,
    )
    assert "pledge" not in data["baseline"]["levels"]  # a yearly flow's 基期值 is no level on the start
    csv_text = invoke(["report", "--format", "csv", "--as-of", "2023-12-31"], cwd=path.parent).stdout
    header, row = csv_text.splitlines()[:2]
    assert dict(zip(header.split(","), row.split(",")))["baseline_year"] == "2020"


def test_no_goal_columns_when_the_plan_states_none(plan_at, invoke):
    path = plan_at({**pledge(), "plan_text": ""})
    result = invoke(["report", "--format", "markdown", "--as-of", "2023-12-31"], cwd=path.parent)
    assert "基期值" not in result.stdout and "属性" not in result.stdout and "规划表述" not in result.stdout


def test_the_indicator_list_shows_a_target_year_goal_as_that_years_value(plan_at, invoke):
    path = plan_at(pledge(**TARGET_YEAR), {**pledge(), "id": "yearly"})
    result = invoke(["indicators", "--format", "markdown"], cwd=path.parent)
    assert result.exit_code == 0, result.stderr
    rows = {line.split("|")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("| ")}
    assert "3,200 亿元（2025年）" in rows["pledge"] and "3,200 亿元 / 年" in rows["yearly"]


def test_a_trend_rises_from_the_stated_baseline(plan_at):
    trend = {**level(), "kind": "trend", "direction": "rising", "target": None}
    trend.pop("target")
    assert progress_of(plan_at(trend, rows=LEVEL_ROWS), "2023-06-30", "stock").status == "on_track"  # 15 > 12
    stated = {**trend, "baseline": {"value": 20, "year": 2020}}
    got = progress_of(plan_at(stated, rows=LEVEL_ROWS), "2023-06-30", "stock")
    assert got.baseline == 20 and got.status == "at_risk"  # 15 < the plan's 20


def test_the_docx_does_not_call_a_step_on_the_path_overdue(plan_at):
    """At 2022-12-31 the 2022 figure (1700) is short of its path figure (1880) and at risk; the
    target year is 2025, so the 自查报告's next steps list it with what it lacks, not as
    '2022年12月31日到期的以下指标尚未完成'."""
    path = plan_at(pledge(**TARGET_YEAR))
    plan = load_plan(path)
    progress = compute(plan, load_dataset(plan), make_window(plan, None, date(2022, 12, 31)))
    text = "".join(str(step) for step in next_steps(progress, {}, "zh"))
    assert "知识产权质押融资登记金额" in text
    assert "到期" not in text and "逾期" not in text


def test_the_workbook_shows_binding_and_baseline_beside_the_target(plan_at, invoke, tmp_path):
    """Issue 25 item 3: 属性 and 基期值 in every format; the workbook's progress sheet too."""
    from openpyxl import load_workbook

    path = plan_at(pledge(**TARGET_YEAR, binding="expected"))
    out = tmp_path / "进度.xlsx"
    result = invoke(["report", "--format", "xlsx", "--output", str(out), "--as-of", "2023-12-31"], cwd=path.parent)
    assert result.exit_code == 0, result.stderr
    sheet = load_workbook(out).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if "目标" in r)
    values = dict(zip(header, rows[rows.index(header) + 1]))
    assert header.index("属性") < header.index("基期值") < header.index("目标")
    assert (values["属性"], values["基期值"], values["目标"]) == ("预期性", "1,000（2020年）", 3200)


def test_the_docx_target_states_the_target_year_baseline_and_binding(plan_at):
    """The 自查报告's 表1 target cell: the target-year value, then what the plan states beside it."""
    from ipdemo.render.docx_text import target_text

    path = plan_at(pledge(**TARGET_YEAR, binding="expected"))
    plan = load_plan(path)
    item = compute(plan, load_dataset(plan), make_window(plan, None, date(2023, 12, 31))).indicators[0]
    assert (
        target_text(plan, item, "zh") == "3,200.00亿元（2025年）（基期值1,000.00亿元，2020年；预期性）"
    )  # 亿元: two decimals
    assert target_text(plan, item, "en") == "3,200.00 亿元 in 2025 (baseline 1,000.00 亿元 in 2020; expected)"
