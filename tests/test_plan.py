"""targets.yaml: the shipped plan is complete and every kind of plan mistake is caught with its line."""

from pathlib import Path

import pytest

from ipdemo.errors import PlanError
from ipdemo.plan.model import load_plan

from .conftest import ROOT

PLAN_IDS = [
    "patent_applications",
    "patent_grants",
    "software_copyrights",
    "trademark_applications",
    "standardization_enterprises",
    "strategy_enterprises",
    "patent_databases",
    "pledge_loans",
    "industrialization_projects",
    "plaza_promotions",
    "trained_professionals",
    "industry_reports",
    "provincial_hv_centers",
    "local_hv_centers",
    "ip_insurance",
    "agency_branches",
    "credit_risk_product",
    "leading_group",
    "plan_submitted",
    "self_inspection",
    "town_ip_staff",
    "invention_density",
]
SHIPPED = (ROOT / "targets.yaml").read_text(encoding="utf-8")


def test_shipped_plan_has_every_spec_target():
    plan = load_plan(ROOT / "targets.yaml")
    assert [i.id for i in plan.indicators] == PLAN_IDS
    assert (plan.plan.start.isoformat(), plan.plan.end.isoformat()) == ("2021-06-01", "2023-12-31")
    assert [(p.start.isoformat(), p.end.isoformat()) for p in plan.phases] == [
        ("2021-06-01", "2021-12-31"),
        ("2022-01-01", "2023-09-30"),
        ("2023-10-01", "2023-12-31"),
    ]
    assert len(plan.towns) == 8 and plan.plan.population == 1545023
    assert set(plan.ledgers) == {
        "patents",
        "software_copyrights",
        "trademarks",
        "enterprise_programs",
        "pledge_loans",
        "industrialization_projects",
        "events",
        "trainees",
        "insurance_policies",
        "outputs",
        "task_progress",
        "organisations",
    }
    assert plan.placement.register_ledger == "organisations" and plan.ledgers["trademarks"].key == [
        "application_no",
        "nice_class",
    ]
    targets = {i.id: i.target for i in plan.indicators}
    assert targets["patent_applications"] == 30000 and targets["pledge_loans"] == 5
    assert plan.indicator("pledge_loans").unit == "亿元"
    loans = plan.indicator("industry_reports")
    assert (loans.min, loans.max) == (2, 4)
    # The plan gives no town allocations, so none are invented.
    assert all(not i.allocations.towns for i in plan.indicators)


@pytest.mark.parametrize(
    "spelling, canonical",
    [
        ("黎里镇", "汾湖高新区（黎里镇）"),
        ("汾湖高新区", "汾湖高新区（黎里镇）"),
        ("汾湖高新区(黎里镇)", "汾湖高新区（黎里镇）"),
        ("盛泽", "吴江高新区（盛泽镇）"),
        ("吴江经济技术开发区", "吴江开发区"),
        ("太湖新城", "东太湖度假区（太湖新城）"),
        ("松陵街道", "东太湖度假区（太湖新城）"),
        ("同里镇", "吴江开发区"),
        (" 平 望 ", "平望镇"),
        ("某某镇", None),
    ],
)
def test_town_aliases(spelling, canonical):
    plan = load_plan(ROOT / "targets.yaml")
    assert plan.town_index.canonical(spelling) == canonical


def load_edited(tmp_path: Path, old: str, new: str, count: int = 1) -> list:
    assert old in SHIPPED, old
    path = tmp_path / "targets.yaml"
    path.write_text(SHIPPED.replace(old, new, count), encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    return info.value.problems


def line_of(text: str) -> int:
    return SHIPPED.index(text) and SHIPPED[: SHIPPED.index(text)].count("\n") + 1


def test_overlapping_phases(tmp_path):
    problems = load_edited(
        tmp_path,
        "{id: 2, name: 组织实施, name_en: implementation, start: 2022-01-01",
        "{id: 2, name: 组织实施, name_en: implementation, start: 2021-12-01",
    )
    assert [p.code for p in problems] == ["phase_gap"]
    assert problems[0].line == line_of("{id: 2, name: 组织实施")


def test_gap_between_phases(tmp_path):
    problems = load_edited(tmp_path, "start: 2023-10-01", "start: 2023-10-05")
    assert [p.code for p in problems] == ["phase_gap"]


def test_phases_must_cover_period(tmp_path):
    problems = load_edited(tmp_path, "end: 2023-12-31}", "end: 2023-11-30}")
    assert "phase_bounds" in [p.code for p in problems]


def test_unknown_ledger_names_line(tmp_path):
    problems = load_edited(
        tmp_path, "measure: {ledger: trademarks, date: filed_on}", "measure: {ledger: trademark, date: filed_on}"
    )
    assert [p.code for p in problems] == ["unknown_ledger"]
    assert problems[0].line == line_of("measure: {ledger: trademarks, date: filed_on}")
    assert "trademarks" in problems[0].message("en")


def test_unknown_field(tmp_path):
    problems = load_edited(
        tmp_path, "measure: {ledger: trademarks, date: filed_on}", "measure: {ledger: trademarks, date: filing_date}"
    )
    assert [p.code for p in problems] == ["unknown_field"]


def test_date_field_must_be_a_date(tmp_path):
    problems = load_edited(
        tmp_path, "measure: {ledger: trademarks, date: filed_on}", "measure: {ledger: trademarks, date: mark}"
    )
    assert [p.code for p in problems] == ["field_type"]


def test_duplicate_indicator_id(tmp_path):
    problems = load_edited(tmp_path, "- id: patent_grants", "- id: patent_applications")
    assert [p.code for p in problems] == ["duplicate_id"]


def test_units_must_convert(tmp_path):
    problems = load_edited(tmp_path, "    unit: 亿元\n", "    unit: 件\n")
    assert [p.code for p in problems] == ["unit_mismatch"]


def test_unknown_unit(tmp_path):
    problems = load_edited(tmp_path, "    unit: 亿元\n", "    unit: 美元\n")
    assert "unknown_unit" in [p.code for p in problems]


def test_allocations_may_not_exceed_target(tmp_path):
    problems = load_edited(
        tmp_path, "    target: 40\n", "    target: 40\n    allocations: {towns: {平望镇: 30, 七都镇: 20}}\n"
    )
    assert [p.code for p in problems] == ["allocation_exceeds"]


def test_allocations_within_target_load(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(
        SHIPPED.replace(
            "    target: 40\n", "    target: 40\n    allocations: {towns: {平望镇: 10, 七都镇: 5}, years: {2022: 20}}\n"
        ),
        encoding="utf-8",
    )
    plan = load_plan(path)
    assert plan.indicator("industrialization_projects").allocations.towns == {"平望镇": 10, "七都镇": 5}


def test_allocation_to_unknown_town(tmp_path):
    problems = load_edited(tmp_path, "    target: 40\n", "    target: 40\n    allocations: {towns: {某镇: 1}}\n")
    assert [p.code for p in problems] == ["allocation_unknown_town"]


def test_enum_filter_value_must_exist(tmp_path):
    problems = load_edited(tmp_path, "where: {program: strategy_plan}", "where: {program: strategy}")
    assert [p.code for p in problems] == ["enum_value_unknown"]


def test_unknown_key_is_reported_with_line(tmp_path):
    problems = load_edited(tmp_path, "    target: 30000\n", "    taregt: 30000\n")
    codes = [p.code for p in problems]
    assert codes and set(codes) == {"plan_unknown_key"}
    assert any("taregt" in (p.field or "") and p.line == line_of("    target: 30000\n") for p in problems)


def test_yaml_syntax_error_names_line(tmp_path):
    problems = load_edited(tmp_path, "  start: 2021-06-01\n", "  start: [2021-06-01\n")
    assert problems[0].code == "yaml_syntax" and problems[0].line is not None


def test_python_tag_is_refused(tmp_path):
    problems = load_edited(tmp_path, "  region: 吴江区\n", "  region: !!python/object/apply:os.system ['echo hi']\n")
    assert problems[0].code == "yaml_tag"
    assert problems[0].line == line_of("  region: 吴江区\n")


def test_billion_laughs_is_refused(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for n in range(1, 9):
        prev = chr(ord("a") + n - 1)
        cur = chr(ord("a") + n)
        refs = ", ".join([f"*{prev}"] * 10)
        bomb += f"{cur}: &{cur} [{refs}]\n"
    path = tmp_path / "targets.yaml"
    path.write_text(bomb, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert info.value.problems[0].code == "yaml_too_big"


def test_duplicate_yaml_key(tmp_path):
    problems = load_edited(tmp_path, "  outputs:\n    name: 工作成果", "  patents:\n    name: 工作成果")
    assert problems[0].code == "yaml_duplicate_key" and problems[0].message("en") == "duplicate key 'patents'"
    assert problems[0].message("zh") == "重复的键 'patents'"  # one language a line, never "x / 中文"


def test_missing_plan_file(tmp_path):
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path / "nope.yaml")
    assert info.value.code == "plan_missing"


def test_unreadable_plan_files_have_their_own_codes(tmp_path):
    """Issue 16: not ledger_unreadable (a plan is no ledger), and one language a line."""
    path = tmp_path / "targets.yaml"
    path.write_bytes(bytes(range(256)))
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert info.value.code == "plan_not_utf8" and info.value.problems[0].code == "plan_not_utf8"
    assert info.value.render("en") == f"{path} is not UTF-8. Save it as UTF-8 in an editor"
    assert info.value.render("zh").startswith(f"{path} 不是 UTF-8 编码")
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path)  # a folder: the OS refuses to read it
    assert info.value.code == "plan_unreadable"


def test_schema_problems_are_worded_in_one_language(tmp_path):
    """pydantic's English never stands inside a Chinese line, nor Chinese inside an English one."""
    wrong = load_edited(tmp_path, "    target: 30000\n", "    target: lots\n")[0]
    assert wrong.code == "plan_wrong_type"
    assert wrong.message("zh").endswith("应为数字，而不是 'lots'") and "valid" not in wrong.message("zh")
    assert wrong.message("en").endswith("should be a valid number, not 'lots'")
    bound = load_edited(tmp_path, "    target: 30000\n", "    target: -5\n")[0]
    assert bound.message("zh").endswith("应大于或等于 0（现为 -5）")
    assert bound.message("en").endswith("must be greater than or equal to 0 (it is -5)")
    kind = load_edited(
        tmp_path, "累计申请专利30000件\n    kind: cumulative\n", "累计申请专利30000件\n    kind: often\n"
    )[0]
    assert "以下之一：" in kind.message("zh") and "one of" in kind.message("en")


def test_kind_needs_its_fields(tmp_path):
    problems = load_edited(tmp_path, "    min: 2\n    max: 4\n", "    min: 2\n")
    assert problems and "needs max" in problems[0].message("en")


def test_placement_mistakes_are_caught_with_their_line(tmp_path):
    text = SHIPPED.replace("  register: organisations", "  register: enterprises")
    text = text.replace("places: [平望镇, 梅堰, 平望]", "places: [平望镇, 梅堰, 平望, 盛泽镇]")
    text = text.replace(
        "place: {address: applicant_address, organisation: applicant}\n    # Exports",
        "place: {address: applicant_adress, organisation: applicant}\n    # Exports",
    )
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    codes = {(p.code, p.field) for p in caught.value.problems}
    assert ("unknown_ledger", "register") in codes  # no such ledger
    assert ("alias_clash", "places") in codes  # 盛泽镇 would place in two towns
    assert ("unknown_field", "place") in codes  # the misspelt address field
    assert all(p.line for p in caught.value.problems)


# --- any plan: units that can apply, town names, phases optional, errors in the user's words ------

OTHER = ROOT / "tests" / "fixtures" / "other_plan" / "targets.yaml"
OTHER_TEXT = OTHER.read_text(encoding="utf-8")


def other_problems(tmp_path: Path, old: str, new: str) -> list:
    assert old in OTHER_TEXT, old
    path = tmp_path / "targets.yaml"
    path.write_text(OTHER_TEXT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    return info.value.problems


def test_a_plan_without_phases_loads():
    plan = load_plan(OTHER)
    assert plan.phases == [] and plan.plan.population == {2023: 20000, 2024: 20000, 2025: 25000}
    assert [t.name for t in plan.towns if t.nominal] == ["金门县"]


@pytest.mark.parametrize(
    "old, new, code",
    [
        # a money unit on a count of records
        ("    unit: 万件\n    target: 0.05\n", "    unit: 万元\n    target: 0.05\n", "plan_unit_not_count"),
        # a density unit without per_population
        ("    unit: 件\n    target: 4\n", "    unit: 件/万人\n    target: 4\n", "plan_density_needs_population"),
        # per_population in a count unit
        ("    unit: 件/万人\n    target: 2\n", "    unit: 件\n    target: 2\n", "plan_population_needs_density"),
        # a summed amount of money in a count unit (as before: the field's unit cannot convert)
        ("    unit: 亿元\n    target: 0.01\n", "    unit: 件\n    target: 0.01\n", "unit_mismatch"),
    ],
)
def test_a_unit_that_cannot_apply_is_a_plan_error(tmp_path, old, new, code):
    problems = other_problems(tmp_path, old, new)
    assert code in [p.code for p in problems]
    found = next(p for p in problems if p.code == code)
    assert found.line is not None and found.message("zh") != found.message("en")


@pytest.mark.parametrize("spelling, closest", [("东城", "东城区"), ("东成区", "东城区")])
def test_town_names_in_where_are_checked(tmp_path, spelling, closest):
    problems = other_problems(
        tmp_path,
        "measure: {ledger: geographical_indications, date: approved_on}",
        f"measure: {{ledger: geographical_indications, date: approved_on, where: {{town: {spelling}}}}}",
    )
    assert [p.code for p in problems] == ["plan_town_name"]
    assert problems[0].params["closest"] == closest and closest in problems[0].message("zh")
    assert (
        problems[0].line == OTHER_TEXT[: OTHER_TEXT.index("measure: {ledger: geographical_indications")].count("\n") + 1
    )


def test_milestone_towns_are_checked_and_only_for_per_town(tmp_path):
    problems = other_problems(tmp_path, "towns: [东城区, 西城区]", "towns: [东城区, 西成区]")
    assert [(p.code, p.params["closest"]) for p in problems] == [("plan_town_name", "西城区")]
    problems = other_problems(
        tmp_path,
        "    target: 2\n    measure: {ledger: geographical_indications",
        "    target: 2\n    towns: [东城区]\n    measure: {ledger: geographical_indications",
    )
    assert [p.code for p in problems] == ["plan_towns_per_town"]


def test_until_on_a_flow_is_a_plan_error(tmp_path):
    problems = other_problems(
        tmp_path,
        "      - {ledger: trademarks, date: filed_on}",
        "      - {ledger: trademarks, date: filed_on, until: expires_on}",
    )
    assert [p.code for p in problems] == ["plan_until_flow"]


PYDANTIC_ENGLISH = ("Input should", "Field required", "Value error", "Extra inputs", "String should")


@pytest.mark.parametrize(
    "old, new, code, zh, en",
    [
        ("  start: 2021-06-01\n", "", "plan_missing_key", "plan.start：缺少必填项", "plan.start: field required"),
        ("    target: 30000\n", "    target: lots\n", "plan_wrong_type", "应为数字", "should be a valid number"),
        ("    target: 30000\n", "    target: -5\n", "plan_bound", "应大于或等于 0", "greater than or equal to 0"),
        ("    target: 30000\n", "    taregt: 30000\n", "plan_unknown_key", "未知的键", "unknown key"),
        (
            "    kind: cumulative\n    unit: 件\n    target: 30000\n",
            "    kind: cumulativ\n    unit: 件\n    target: 30000\n",
            "plan_wrong_type",
            "应为以下之一",
            "should be one of",
        ),
        ("    min: 2\n    max: 4\n", "    min: 2\n", "plan_kind_needs", "需要 max", "needs max"),
        ("  population: 1545023", "  population: {2020: 0}", "plan_population", "人口应大于 0", "greater than 0"),
    ],
)
def test_plan_errors_are_worded_in_the_users_language(tmp_path, invoke, old, new, code, zh, en):
    problems = load_edited(tmp_path, old, new)
    assert problems[0].code == code
    assert zh in problems[0].message("zh") and en in problems[0].message("en")
    result = invoke(["validate"], cwd=tmp_path)
    assert result.exit_code == 1 and zh in result.stdout + result.stderr
    assert not any(words in result.stdout + result.stderr for words in PYDANTIC_ENGLISH), result.stdout


def test_docs_targets_md_names_every_key_and_its_example_loads(tmp_path):
    """docs/targets.md is enough to write a plan: every key of every model is in it, and its
    complete example loads and reports."""
    import re

    from pydantic import BaseModel

    from ipdemo.plan import model

    doc = (ROOT / "docs" / "targets.md").read_text(encoding="utf-8")
    models = [
        m for m in vars(model).values() if isinstance(m, type) and issubclass(m, BaseModel) and m is not BaseModel
    ]
    keys = {f.alias or name for m in models for name, f in m.model_fields.items() if name != "source"}
    missing = sorted(k for k in keys if not re.search(rf"`{k}`|\b{k}:", doc))
    assert not missing, missing
    for kind in ("cumulative", "annual", "range", "milestone", "trend", "stock"):
        assert f"`{kind}`" in doc
    example = doc.split("## A complete small plan")[1].split("```yaml\n")[1].split("```")[0]
    (tmp_path / "targets.yaml").write_text(example, encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "applications.csv").write_text(
        "application_no,town,filed_on\n202510000001.4,城东街道,2025-03-01\n", encoding="utf-8"
    )
    plan = load_plan(tmp_path / "targets.yaml")
    assert plan.words("zh").area == "街道" and plan.phases == []
    from datetime import date

    from ipdemo.engine.dataset import load_dataset
    from ipdemo.engine.progress import compute, make_window

    data = load_dataset(plan)
    assert data.problems == []
    got = {i.id: i for i in compute(plan, data, make_window(plan, None, date(2025, 6, 30))).indicators}
    assert got["applications"].actual == 1 and got["applications_per_10k"].actual == 0.2


@pytest.mark.parametrize("file", ["journal.jsonl", ".ipdemo.lock", "patents.xlsx", "patents"])
def test_a_ledger_file_that_is_not_a_csv_is_refused(tmp_path, file):
    """`file: journal.jsonl` made every import replace the journal with a ledger (found by the
    review of round 9): a ledger's file is a CSV, and the plan says so with its line."""
    problems = load_edited(tmp_path, "  patents:\n", f"  patents:\n    file: {file}\n")
    assert [p.code for p in problems] == ["ledger_file_not_csv"]
    assert problems[0].line == line_of("  patents:\n") + 1 and file in problems[0].message("zh")


@pytest.mark.parametrize("file", ["trademarks.csv", "./sub/../trademarks.csv"])
def test_two_ledgers_naming_one_file_are_refused(tmp_path, file):
    problems = load_edited(tmp_path, "  patents:\n", f"  patents:\n    file: {file}\n")
    assert [p.code for p in problems] == ["ledger_file_twice"]
    assert "trademarks" in problems[0].message("en") and "patents" in problems[0].message("en")
