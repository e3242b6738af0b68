"""tests/fixtures/national_plan: a national-style plan (《"十四五"国家知识产权保护和运用规划》-like) by
YAML alone — 8 indicators, 31 provinces without targets of their own, no phases, two ratios of GDP,
a survey score, a court rate of two counts, yearly flows, one level per 10,000 residents.

Every expected figure below is worked out by hand from the fixture's CSV rows (the comments say
which rows), never from the code. Population 40,000 (北京市 10,000; other provinces none).
Plan 2021-01-01 .. 2025-12-31 (1826 days); the main date is 2024-09-30 (1369 days elapsed).
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import by_period, by_town, compute, make_window
from ipdemo.plan.model import load_plan

from .conftest import FIXTURES

NATIONAL = FIXTURES / "national_plan"
AS_OF = date(2024, 9, 30)
PROVINCES = 31
# Words of the Wujiang plan (and the default area words) that must not appear for this plan.
WUJIANG_WORDS = ("吴江", "区镇", "全区", "《计划》")


@pytest.fixture(scope="module")
def national():
    plan = load_plan(NATIONAL / "targets.yaml")
    return plan, load_dataset(plan)


def figures(national, as_of=AS_OF, town=None) -> dict:
    plan, data = national
    return {i.id: i for i in compute(plan, data, make_window(plan, as_of=as_of), town).indicators}


@pytest.fixture
def project(tmp_path):
    """A copy of the fixture to run the command line in (the CLI writes nothing, but a cache)."""
    root = tmp_path / "national"
    shutil.copytree(NATIONAL, root)
    return root


def test_the_plan_loads_clean_with_31_provinces_no_phases_and_its_own_words(national):
    plan, data = national
    assert data.problems == [] and data.invalid_count == 0
    assert plan.phases == [] and len(plan.reported_towns) == PROVINCES
    assert len(plan.indicators) == 8 and all(not i.allocations.towns for i in plan.indicators)
    assert plan.words("zh").area == "省（区、市）" and plan.words("zh").whole == "全国"


def test_level_per_10000_residents(national):
    """patents.csv: 25 high-value inventions granted 2020-06-01 (北京 10, 广东 10, 江苏 5); HV01, HV02
    lapse 2023-01-01; 2022-03-01: 北京 3 + 广东 5; 2023-05-01: 广东 6 + 上海 4; HV44 after the date;
    N01 (not high-value) and U01 (utility model) never count. 25 + 8 + 10 − 2 = 41 of 40,000."""
    got = figures(national)["hv_invention_density"]
    assert got.baseline == 25 / 40000 * 10000 == 6.25
    assert got.actual == 41 / 40000 * 10000 == 10.25
    # expected: 6.25 + (12 − 6.25) × 1369/1826 = 10.5609… → 10.56; 10.25 / 10.56 ≥ 0.95
    assert got.expected == 10.56 and got.status == "on_track"
    beijing = figures(national, town="北京市")["hv_invention_density"]
    assert beijing.actual == (10 + 3 - 2) / 10000 * 10000 == 11  # 北京 has a population
    assert figures(national, town="广东省")["hv_invention_density"].actual is None  # 广东 has none


def test_yearly_flow_in_wan_jian_keeps_its_small_figures(national):
    """overseas_grants.csv: 2020: 3 (before the plan), 2021: 5, 2022: 7, 2023: 36, 2024: 12 (广东)."""
    got = figures(national)["overseas_grants"]
    assert [(y.year, y.actual) for y in got.years] == [(2021, 0.0005), (2022, 0.0007), (2023, 0.0036), (2024, 0.0012)]
    # 2024: (9 − 0.0012) 万件 over 92 days (13.14 weeks) = 0.68469… 万件 a week → 6847 whole records
    assert got.needed_per_week == 0.6847
    assert got.percent == 0.013  # 0.0012 / 9 = 0.0133 %: two significant digits, never 0


def test_yearly_sum_in_yi_yuan(national):
    """pledges.csv (万元): 2021 8,000,000 + 12,000,000; 2022 25,000,000; 2023 12,345,678.9 +
    18,634,321.1; 2024 35,000,000 → 2,000 / 2,500 / 3,098 / 3,500 亿元."""
    got = figures(national)["pledge_financing"]
    assert [(y.year, y.actual) for y in got.years] == [(2021, 2000), (2022, 2500), (2023, 3098), (2024, 3500)]


def test_published_figures_on_the_date(national):
    """statistics.csv, gdp_shares.csv, court_cases.csv: the latest year published by 2024-09-30."""
    got = figures(national)
    royalties = got["royalties"]  # 2023: 3765.2 published 2024-04-18 (the revision comes 2024-10-20)
    assert (royalties.actual, royalties.period, royalties.published_on) == (3765.2, 2023, date(2024, 4, 18))
    assert royalties.percent == round(100 * 3765.2 / 3500, 1) == 107.6 and royalties.status == "achieved"
    assert royalties.needed_per_week is None and royalties.expected is None
    share = got["patent_intensive_share"]  # 2022: 15,500 / 125,000 亿元 (published 2023-12-28)
    assert (share.actual, share.period) == (12.4, 2022)
    assert (got["copyright_share"].actual, got["copyright_share"].period) == (7.4, 2022)  # 9,250 / 125,000
    assert (got["protection_satisfaction"].actual, got["protection_satisfaction"].period) == (81.4, 2023)
    court = got["court_settlement_rate"]  # national row of 2023: 176,400 / 200,000
    assert (court.actual, court.period) == (88.2, 2023) and court.status == "achieved"


def test_no_figure_published_yet_is_no_figure_not_zero(national):
    """On 2021-03-31 no royalties figure is published (2020's comes on 2021-04-20); the 2020
    satisfaction score (2021-01-20) and court rate (2021-03-15) are."""
    got = figures(national, as_of=date(2021, 3, 31))
    assert got["royalties"].actual is None and got["royalties"].period is None
    assert got["royalties"].status is None and got["royalties"].percent is None
    assert (got["protection_satisfaction"].actual, got["protection_satisfaction"].period) == (80.05, 2020)
    assert (got["court_settlement_rate"].actual, got["court_settlement_rate"].period) == (85.6, 2020)


def test_a_revision_replaces_the_first_release(national):
    """royalties 2023: 3765.2 (2024-04-18), revised to 3777.7 (2024-10-20)."""
    assert figures(national, as_of=date(2024, 10, 19))["royalties"].actual == 3765.2
    assert figures(national, as_of=date(2024, 10, 20))["royalties"].actual == 3777.7


def test_by_year_shows_each_years_figure_never_a_running_total(national):
    plan, data = national
    rows = {r["id"]: r for r in by_period(plan, data, make_window(plan, as_of=AS_OF), "year")}
    royalties = [(s["period"], s["total"], s["increment"]) for s in rows["royalties"]["series"]]
    assert royalties == [("2021", 3783.1, None), ("2022", 3872.5, None), ("2023", 3765.2, None), ("2024", None, None)]
    court = [s["total"] for s in rows["court_settlement_rate"]["series"]]
    assert court == [86.8, 85.5, 88.2, None]  # 86,800/100,000; 171,000/200,000; 176,400/200,000
    grants = [s["increment"] for s in rows["overseas_grants"]["series"]]
    assert grants == [0.0005, 0.0007, 0.0036, 0.0012]


def test_by_area_national_only_figures_are_none_and_area_rows_their_own(national):
    plan, data = national
    rows = {r["id"]: r for r in by_town(plan, data, make_window(plan, as_of=AS_OF))}
    for ident in ("royalties", "patent_intensive_share", "copyright_share", "protection_satisfaction"):
        assert rows[ident]["whole"] is not None
        assert set(rows[ident]["areas"].values()) == {None}, ident  # no per-province data: not 0
    court = rows["court_settlement_rate"]
    assert court["whole"] == 88.2  # the national row, not the provinces pooled (202,400/230,000 = 88.0)
    assert court["areas"]["北京市"] == 90 and court["areas"]["广东省"] == 85  # 9,000/10,000; 17,000/20,000
    assert court["areas"]["上海市"] is None
    grants = rows["overseas_grants"]  # 2024 so far: 12 in 广东
    assert grants["areas"]["广东省"] == 0.0012 and grants["areas"]["上海市"] == 0
    assert rows["pledge_financing"]["areas"]["江苏省"] == 3500
    assert rows["royalties"]["district"] == rows["royalties"]["whole"]  # the old key, kept as an alias


def test_cli_report_table_markdown_json_and_by_area_in_the_plans_words(invoke, project):
    for args in (
        ["report", "--as-of", "2024-09-30"],
        ["report", "--as-of", "2024-09-30", "--format", "markdown"],
        ["report", "--as-of", "2024-09-30", "--by", "area"],
        ["report", "--as-of", "2024-09-30", "--by", "area", "--format", "markdown"],
        ["report", "--as-of", "2024-09-30", "--by", "year", "--format", "markdown"],
    ):
        result = invoke(args, cwd=project)
        assert result.exit_code == 0, (args, result.stderr)
        assert not [w for w in WUJIANG_WORDS if w in result.stdout + result.stderr], args
    md = invoke(["report", "--as-of", "2024-09-30", "--format", "markdown"], cwd=project).stdout
    line = next(x for x in md.splitlines() if "| overseas_grants" in x)
    assert "0.0012" in line and "0.6847" in line  # as JSON has them, not 0 or 0.68
    royalties = next(x for x in md.splitlines() if "| royalties" in x)
    assert "3,765.2" in royalties and "2023年" in royalties
    early = invoke(["report", "--as-of", "2021-03-31", "--format", "markdown"], cwd=project).stdout
    assert "尚未公布" in next(x for x in early.splitlines() if "| royalties" in x)
    by_area = invoke(["report", "--as-of", "2024-09-30", "--by", "area", "--format", "markdown"], cwd=project).stdout
    assert "按省（区、市）" in by_area and "全国" in by_area
    english = invoke(["report", "--as-of", "2021-03-31", "--format", "markdown", "--lang", "en"], cwd=project).stdout
    assert "not yet published" in english


def test_cli_json_has_none_for_provinces_without_data(invoke, project):
    result = invoke(["report", "--as-of", "2024-09-30", "--by", "area", "--format", "json"], cwd=project)
    data = json.loads(result.stdout)
    assert data["by"] == "area"
    royalties = next(r for r in data["breakdown"] if r["id"] == "royalties")
    assert royalties["areas"]["北京市"] is None and royalties["whole"] == 3765.2
    indicator = next(i for i in data["indicators"] if i["id"] == "royalties")
    assert (indicator["period"], indicator["published_on"]) == (2023, "2024-04-18")


def test_cli_validate_is_clean(invoke, project):
    result = invoke(["validate"], cwd=project)
    assert result.exit_code == 0, result.stdout + result.stderr


def test_an_area_without_data_is_no_figure_not_not_yet_published(national, invoke, project):
    """--town 上海市: royalties are national only; no court release covers 上海 (北京, 广东 only)."""
    shanghai = figures(national, town="上海市")
    assert shanghai["royalties"].actual is None and shanghai["royalties"].no_area_data
    assert shanghai["court_settlement_rate"].actual is None and shanghai["court_settlement_rate"].no_area_data
    beijing = figures(national, town="北京市")["court_settlement_rate"]
    assert (beijing.actual, beijing.period, beijing.no_area_data) == (90, 2023, False)
    md = invoke(["report", "--as-of", "2024-09-30", "--town", "上海", "--format", "markdown"], cwd=project).stdout
    assert "尚未公布" not in md


def test_an_unknown_area_is_named_in_the_plans_words(invoke, project):
    result = invoke(["report", "--town", "南京"], cwd=project)
    assert result.exit_code == 2 and "未知省（区、市） '南京'" in result.stderr and "区镇" not in result.stderr
    english = invoke(["report", "--town", "南京", "--lang", "en"], cwd=project)
    assert "unknown province '南京'" in english.stderr


def test_ledger_problems_name_areas_in_the_plans_words_also_from_the_cache(invoke, project):
    grants = project / "data" / "overseas_grants.csv"
    grants.write_text(grants.read_text(encoding="utf-8-sig") + "X1,南京,2024-01-01\nX2,广东,2024-01-02\n", "utf-8-sig")
    for lang, unknown, alias in (
        ("zh", "未知省（区、市） '南京'", "省（区、市）应写规范名称 '广东省'"),
        ("en", "unknown province '南京'", "write the canonical province name '广东省'"),
        ("en", "unknown province '南京'", "write the canonical province name '广东省'"),  # cached now
        ("zh", "未知省（区、市） '南京'", "省（区、市）应写规范名称 '广东省'"),
    ):
        result = invoke(["validate", "--lang", lang], cwd=project)
        assert result.exit_code == 1 and unknown in result.stdout and alias in result.stdout, result.stdout
        assert "区镇" not in result.stdout and "unknown town" not in result.stdout


def test_the_area_breakdown_csv_names_the_whole_column_whole_not_district(invoke, project):
    result = invoke(["report", "--as-of", "2024-09-30", "--by", "area", "--format", "csv"], cwd=project)
    header, *rows = result.stdout.splitlines()
    assert header.startswith("id,name,unit,whole,北京市,") and "district" not in header
    royalties = next(r for r in rows if r.startswith("royalties,"))
    assert royalties.split(",")[3:6] == ["3765.2", "", ""]  # the whole, then 北京市 and 天津市 empty (no data)
