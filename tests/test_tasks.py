"""The plan's qualitative tasks: targets.yaml `tasks`, the task_progress ledger, tasks.py, and
every place they show (report JSON / markdown / table / HTML / XLSX, summary, 自查报告, archive).

Expectations are hand-computed from the plan text (tests/fixtures/plan/, the published notice,
quoted in targets.yaml) and from small ledgers."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections import Counter
from datetime import date

import pytest

from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import IndicatorProgress, compute, make_window
from ipdemo.engine.tasks import Entry, ordered, state
from ipdemo.errors import PlanError
from ipdemo.plan.model import load_plan
from ipdemo.render import report

from .conftest import FIXTURES, ROOT, VALID_ROWS, make_project

SHIPPED = (ROOT / "targets.yaml").read_text(encoding="utf-8")
PLAN_TEXT = FIXTURES / "plan" / "吴江区知识产权强省建设区域示范创建工作计划.txt"

# Counted by hand in the plan text: the numbered items (一是, 二是 …) of each section; a section
# without numbered items is one task. 三: 4+5+3+4+4+2 = 22, 四: 4+2 = 6, 五: 1+1+3+2+2 = 9, and
# two steps of 六、工作步骤 (编印计划 in 第一阶段, 自查 in 第三阶段).
ITEMS = {
    "三（一）": 4,
    "三（二）": 5,
    "三（三）": 3,
    "三（四）": 4,
    "三（五）": 4,
    "三（六）": 2,
    "四（一）": 4,
    "四（二）": 2,
    "五（一）": 1,
    "五（二）": 1,
    "五（三）": 3,
    "五（四）": 2,
    "五（五）": 2,
    "六、第一阶段": 1,
    "六、第三阶段": 1,
}


def task_row(task: str, day: str, status: str, done: str = "", evidence: str = "", town: str = "") -> dict:
    return {"task": task, "reported_on": day, "status": status, "done": done, "evidence": evidence, "town": town}


@pytest.fixture(scope="module")
def plan():
    return load_plan(ROOT / "targets.yaml")


# --- targets.yaml ---------------------------------------------------------------------------


def test_every_item_of_the_plan_is_a_task(plan):
    assert len(plan.tasks) == 39 == sum(ITEMS.values())
    assert sum(t.ref.startswith("三") for t in plan.tasks) == 22
    assert sum(t.ref.startswith("四") for t in plan.tasks) == 6
    assert sum(t.ref.startswith("五") for t in plan.tasks) == 9
    sections = Counter(t.ref[:4] if t.ref[0] in "三四五" else t.ref for t in plan.tasks)
    assert sections == Counter(ITEMS)
    ordinals = "一二三四五"
    for prefix, count in ITEMS.items():
        refs = [t.ref for t in plan.tasks if t.ref.startswith(prefix)]
        expected = [prefix + f"{ordinals[n]}是" for n in range(count)] if count > 1 or prefix[0] in "三四" else [prefix]
        assert refs == expected, prefix


def test_texts_are_the_plans_words(plan):
    by_id = {t.id: t for t in plan.tasks}
    assert by_id["t3_1_2"].text == "各区镇配齐知识产权管理人员，制定各级别知识产权工作政策措施推动协调工作。"
    assert by_id["t4_1_2"].text == "开展知识产权密集型产业培育工作，形成2-4个主导领域产业分析报告。"
    assert by_id["t3_5_2"].text.startswith(
        "强化知识产权金融服务，继续深入推进知识产权许可、质押、融资、保险等金融工作。"
        "力争完成吴江区首个“企业信贷风险补偿型金融产品”"
    )
    assert by_id["t5_1"].text.endswith(
        "领导小组下设办公室，办公室设在区市场监管局。"
        "领导小组负责组织实施全区知识产权强省建设区域示范相关工作，协调解决重大问题。"
    )
    assert by_id["t6_3"].text.startswith("区知识产权局对照《吴江区江苏知识产权强省建设区域示范工作计划》开展自查")
    assert by_id["t3_1_2"].section == "三、重点任务（一）强化知识产权工作管理"
    assert by_id["t5_2"].section == "五、保障措施（二）强化督查考核"
    assert by_id["t3_1_1"].title == "推进知识产权综合管理改革试点"  # the first clause
    text = PLAN_TEXT.read_text(encoding="utf-8")  # every text verbatim, without its 一是
    for task in plan.tasks:
        assert task.text in text, task.id
        assert task.text[1] != "是", task.id  # the item, not its 一是


def test_ids_unique_leads_phases_and_links(plan):
    ids = [t.id for t in plan.tasks]
    assert len(ids) == len(set(ids)) and all(i.startswith("t") for i in ids)
    by_id = {t.id: t for t in plan.tasks}
    # 牵头单位 only where the plan names one
    assert {t.id: t.lead for t in plan.tasks if t.lead} == {
        "t5_1": "领导小组办公室（区市场监管局）",
        "t5_2": "领导小组办公室（区市场监管局）",
        "t6_3": "区知识产权局",
    }
    assert {t.id: t.due_phase for t in plan.tasks if t.due_phase != 3} == {
        "t5_1": 1,
        "t6_1": 1,
        "t3_4_4": 2,
        "t3_5_1": 2,
        "t4_1_2": 2,
    }
    assert plan.due_of(by_id["t5_1"]) == date(2021, 12, 31) and plan.due_of(by_id["t3_5_1"]) == date(2023, 9, 30)
    assert by_id["t5_1"].indicators == ["leading_group"]
    assert by_id["t3_1_2"].indicators == ["town_ip_staff"]
    assert by_id["t3_5_2"].indicators == ["credit_risk_product", "ip_insurance", "pledge_loans"]
    assert by_id["t4_1_2"].indicators == ["industry_reports"]
    assert by_id["t6_3"].indicators == ["self_inspection"]
    known = {i.id for i in plan.indicators}
    assert all(set(t.indicators) <= known for t in plan.tasks)


def test_task_field_is_an_enum_of_the_ids(plan):
    assert plan.task_fields == [("task_progress", "task")]
    spec = plan.ledgers["task_progress"].fields["task"]
    assert spec.type == "enum" and list(spec.values) == [t.id for t in plan.tasks]
    assert spec.values["t3_1_2"] == ["三（一）二是"]
    assert plan.ledgers["task_progress"].fields["status"].values["not_started"][0] == "未开始"


@pytest.mark.parametrize(
    "old, new, code, words",
    [
        ("  - id: t3_1_3\n", "  - id: t3_1_2\n", "duplicate_id", "'t3_1_2'"),
        (
            "    indicators: [town_ip_staff]\n",
            "    indicators: [town_ip_staf]\n",
            "plan_task_indicator",
            "town_ip_staff",
        ),
        ("    due_phase: 1\n", "    due_phase: 4\n", "plan_task_phase", "1, 2, 3"),
    ],
)
def test_task_mistakes_are_plan_errors(tmp_path, old, new, code, words):
    (tmp_path / "targets.yaml").write_text(SHIPPED.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path / "targets.yaml")
    problem = next(p for p in info.value.problems if p.code == code)
    assert words in problem.message("zh") and words in problem.message("en") and problem.line


def test_a_task_field_needs_tasks(tmp_path):
    text = SHIPPED.split("\ntasks:\n")[0] + "\n"
    (tmp_path / "targets.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path / "targets.yaml")
    assert info.value.problems[0].code == "plan_task_field_no_tasks"


def test_a_plan_without_tasks_still_works(invoke, tmp_path):
    other = shutil.copytree(FIXTURES / "other_plan", tmp_path / "other")
    plan = load_plan(other / "targets.yaml")
    assert plan.tasks == [] and plan.task_fields == []
    result = invoke(["report", "--as-of", "2026-06-30", "--format", "json"], cwd=other)
    assert result.exit_code == 0 and json.loads(result.stdout)["tasks"] == []
    assert "重点任务" not in invoke(["report", "--as-of", "2026-06-30"], cwd=other).stdout


# --- the ledger: validate and import --------------------------------------------------------


def test_validate_rejects_an_unknown_task_id_with_its_line(invoke, tmp_path):
    root = make_project(
        tmp_path / "p",
        {"task_progress": [task_row("t3_1_2", "2021-11-30", "done"), task_row("t3_1_9", "2022-01-05", "in_progress")]},
    )
    result = invoke(["validate"], cwd=root)
    assert result.exit_code == 1
    line = next(x for x in result.stdout.splitlines() if "task_progress.csv" in x)
    assert line.startswith("data/task_progress.csv:3: 任务编号:") and "'t3_1_9'" in line
    closest = line.split("：")[-1].split(", ")
    assert len(closest) == 4 and all(c.startswith("t3_1_") for c in closest[:3]) and closest[3] == "… (+36)"
    english = invoke(["validate", "--format", "json", "--lang", "en"], cwd=root)
    errors = json.loads(english.stdout)["errors"]
    assert [(e["line"], e["field"], e["code"]) for e in errors] == [(3, "task", "bad_enum")]


def test_import_a_sheet_with_chinese_headers(invoke, tmp_path):
    root = make_project(tmp_path / "p")
    sheet = tmp_path / "任务进展.csv"
    sheet.write_text(
        "任务编号,日期,进展状态,工作进展,佐证材料\n"
        "三（一）二是,2021/11/30,已完成,各区镇配齐知识产权管理人员,人员名单\n"
        "T5_2,2022年3月1日,推进中,开展季度督查,督查通报\n",
        encoding="utf-8",
    )
    result = invoke(["import", str(sheet)], cwd=root)
    assert result.exit_code == 0, result.stderr
    rows = (root / "data" / "task_progress.csv").read_text(encoding="utf-8-sig").splitlines()
    assert rows == [
        "task,reported_on,status,done,evidence,town",
        "t3_1_2,2021-11-30,done,各区镇配齐知识产权管理人员,人员名单,",
        "t5_2,2022-03-01,in_progress,开展季度督查,督查通报,",
    ]
    bad = tmp_path / "错误.csv"
    bad.write_text("任务编号,日期,进展状态,工作进展\nt9_9,2022-03-02,推进中,x\n", encoding="utf-8")
    refused = invoke(["import", str(bad)], cwd=root)
    assert refused.exit_code == 1 and "错误.csv:2: 任务编号" in refused.stderr and "'t9_9'" in refused.stderr


# --- the engine, by hand --------------------------------------------------------------------


def test_latest_status_done_on_and_reopening(plan):
    task = plan.task("t3_1_1")  # due by the plan end
    entries = [
        Entry("t3_1_1", date(2022, 5, 1), "done", "b"),
        Entry("t3_1_1", date(2022, 1, 10), "in_progress", "a"),
        Entry("t3_1_1", date(2022, 8, 1), "done", "c"),
    ]
    assert state(plan, task, entries, date(2021, 12, 1)).status == "not_started"  # nothing dated yet
    early = state(plan, task, entries, date(2022, 3, 1))
    assert (early.status, early.latest, early.updated_on, early.entries) == ("in_progress", "a", date(2022, 1, 10), 1)
    done = state(plan, task, entries, date(2022, 9, 30))
    assert (done.status, done.done_on, done.latest, done.source) == ("done", date(2022, 5, 1), "c", "entries")
    reopened = state(plan, task, [*entries, Entry("t3_1_1", date(2022, 9, 1), "in_progress", "d")], date(2022, 9, 30))
    assert (reopened.status, reopened.done_on, reopened.latest) == ("in_progress", None, "d")
    again = [*entries, Entry("t3_1_1", date(2022, 9, 1), "in_progress"), Entry("t3_1_1", date(2022, 9, 20), "done")]
    assert state(plan, task, again, date(2022, 9, 30)).done_on == date(2022, 9, 20)


def test_overdue_after_the_due_phase_ends_and_late(plan):
    task = plan.task("t6_1")  # 编印计划: phase 1, due 2021-12-31
    going = [Entry("t6_1", date(2021, 9, 1), "in_progress")]
    assert not state(plan, task, going, date(2021, 12, 31)).overdue  # the last day is not after it
    assert state(plan, task, going, date(2022, 1, 1)).overdue
    assert state(plan, task, [], date(2022, 1, 1)).overdue  # never reported: not started, overdue
    late = state(plan, task, [*going, Entry("t6_1", date(2022, 2, 1), "done")], date(2022, 6, 30))
    assert (late.status, late.overdue, late.late) == ("done", False, True)
    final = state(plan, plan.task("t3_1_3"), [], date(2023, 12, 31))  # due by the plan end: never overdue
    assert not final.overdue and final.status == "not_started"


def milestone(ident: str, done_on: date | None, status: str) -> IndicatorProgress:
    return IndicatorProgress(
        ident, ident, "", "milestone", "个", "", target=1, actual=1 if done_on else 0, status=status, done_on=done_on
    )


def test_linked_indicators_give_an_unreported_task_its_status(plan):
    task = plan.task("t3_5_2")  # ↔ credit_risk_product, ip_insurance, pledge_loans
    end = date(2023, 6, 30)
    product = milestone("credit_risk_product", date(2022, 9, 28), "achieved")
    insurance = IndicatorProgress(
        "ip_insurance", "保险", "", "annual", "单", "", target=10, actual=4, status="on_track"
    )
    loans = IndicatorProgress("pledge_loans", "贷款", "", "cumulative", "亿元", "", target=5, actual=0, status="behind")
    some = state(plan, task, [], end, {i.id: i for i in (product, insurance, loans)})
    assert (some.status, some.source, [d["id"] for d in some.derived]) == (
        "in_progress",
        "indicators",
        ["credit_risk_product", "ip_insurance", "pledge_loans"],
    )
    nothing = [
        milestone("credit_risk_product", None, "on_track"),
        IndicatorProgress("ip_insurance", "保险", "", "annual", "单", "", target=10, actual=0, status="behind"),
        IndicatorProgress("pledge_loans", "贷款", "", "cumulative", "亿元", "", target=5, actual=0, status="behind"),
    ]
    assert state(plan, task, [], end, {i.id: i for i in nothing}).status == "not_started"
    group = state(
        plan, plan.task("t5_1"), [], end, {"leading_group": milestone("leading_group", date(2021, 6, 25), "achieved")}
    )
    assert (group.status, group.done_on, group.overdue) == ("done", date(2021, 6, 25), False)
    # entries win over the indicators
    told = state(
        plan,
        plan.task("t5_1"),
        [Entry("t5_1", date(2021, 6, 1), "in_progress")],
        end,
        {"leading_group": milestone("leading_group", date(2021, 6, 25), "achieved")},
    )
    assert (told.status, told.source, told.overdue) == ("in_progress", "entries", True)


def test_linked_derivation_from_the_ledgers(tmp_path):
    rows = {k: [v] for k, v in VALID_ROWS.items() if k not in ("task_progress",)}  # leading_group 2021-06-25
    root = make_project(tmp_path / "p", rows)
    plan = load_plan(root / "targets.yaml")
    progress = compute(plan, load_dataset(plan), make_window(plan, None, date(2022, 6, 30)))
    by_id = {t.id: t for t in progress.tasks}
    assert (by_id["t5_1"].status, by_id["t5_1"].source, by_id["t5_1"].done_on) == (
        "done",
        "indicators",
        date(2021, 6, 25),
    )
    assert by_id["t3_5_2"].status == "in_progress"  # a 500 万元 loan counted, the targets not met
    assert by_id["t6_3"].status == "not_started" and by_id["t6_1"].overdue  # no plan_submitted record
    assert by_id["t3_1_1"].source == "none"


def test_order_is_overdue_first_then_by_status(plan):
    end = date(2022, 6, 30)
    items = [
        state(plan, plan.task("t3_1_1"), [Entry("t3_1_1", date(2022, 1, 1), "done")], end),
        state(plan, plan.task("t3_1_2"), [Entry("t3_1_2", date(2022, 1, 1), "in_progress")], end),
        state(plan, plan.task("t3_1_3"), [], end),
        state(plan, plan.task("t6_1"), [Entry("t6_1", date(2021, 7, 1), "in_progress")], end),
        state(plan, plan.task("t5_1"), [], end),
    ]
    assert [t.id for t in ordered(plan, items)] == ["t5_1", "t6_1", "t3_1_3", "t3_1_2", "t3_1_1"]


# --- where they show ------------------------------------------------------------------------


def shipped_progress(shipped, as_of: str = "2023-12-31"):
    plan = load_plan(shipped / "targets.yaml")
    data = load_dataset(plan, sorted({name for ind in plan.indicators for name in ind.ledgers}))  # as `report` loads
    return plan, data, compute(plan, data, make_window(plan, None, date.fromisoformat(as_of)))


def test_shipped_story(shipped):
    plan, data, progress = shipped_progress(shipped)
    assert "task_progress" in data.tables and data.tables["task_progress"].num_rows == 11
    by_id = {t.id: t for t in progress.tasks}
    overdue = [t.id for t in progress.tasks if t.overdue]
    assert overdue == ["t3_5_1"] and progress.tasks[0].id == "t3_5_1"  # the information platform
    assert by_id["t3_5_1"].status == "in_progress" and by_id["t3_5_1"].updated_on == date(2023, 6, 15)
    assert {t.id for t in progress.tasks if t.source == "entries" and t.status == "done"} == {
        "t3_1_1",
        "t3_4_4",
        "t3_6_1",
    }
    assert by_id["t3_1_2"].status == "done" and by_id["t3_1_2"].source == "indicators"  # town_ip_staff, 桃源镇 late
    assert by_id["t6_3"].status == "in_progress"  # 自查 begun; the milestone is still missed
    assert {t.status for t in progress.tasks} == {"done", "in_progress", "not_started"}


def test_report_json_lists_tasks_overdue_first(invoke, shipped):
    result = invoke(["report", "--as-of", "2023-12-31", "--format", "json"], cwd=shipped)
    assert result.exit_code == 0, result.stderr
    tasks = json.loads(result.stdout)["tasks"]
    assert len(tasks) == 39 and tasks[0]["id"] == "t3_5_1" and tasks[0]["overdue"] is True
    assert tasks[0]["due"] == "2023-09-30" and tasks[0]["latest"] == "平台升级改造完成招标，系统开发中"
    rank = {"not_started": 0, "in_progress": 1, "done": 2}
    keys = [(not t["overdue"], rank[t["status"]]) for t in tasks]
    assert keys == sorted(keys)
    phase2 = json.loads(invoke(["report", "--phase", "2", "--format", "json"], cwd=shipped).stdout)["tasks"]
    assert not any(t["overdue"] for t in phase2)  # on 2023-09-30 the platform is not late yet
    town = json.loads(invoke(["report", "--town", "盛泽", "--format", "json"], cwd=shipped).stdout)
    assert town["tasks"] is None  # the district's tasks


def test_report_markdown_table_html_xlsx_show_tasks(invoke, shipped):
    plan, data, progress = shipped_progress(shipped)
    markdown = report.tasks_markdown(progress, "zh")
    lines = [line for line in markdown.splitlines() if line.startswith("| t")]
    assert "## 重点任务推进情况（逾期在前）" in markdown and "逾期1项" in markdown
    assert lines[0].startswith("| t3_5_1 ") and "推进中（逾期）" in lines[0]
    assert "五（一）" in markdown and "据指标：成立示范工作领导小组 已完成（2021年6月25日）" in markdown
    english = report.tasks_markdown(progress, "en")
    assert (
        "in progress (overdue)" in english and "from indicators: Leading group set up achieved (2021-06-25)" in english
    )
    table = invoke(["report", "--as-of", "2023-12-31"], cwd=shipped).stdout
    tasks = table[table.index("重点任务推进情况") :]
    assert tasks.index("推进中（逾期）") < tasks.index("未开始") < tasks.index("推进中 ") < tasks.index("已完成 ")
    from ipdemo.render.html import html_page

    sections = report.task_sections(progress, "zh")
    assert sections[0].classes[0] == "behind" and sections[0].classes[-1] == "achieved"  # overdue red, done green
    html = html_page("t", "m", sections, "zh")
    assert "<h2>重点任务推进情况（逾期在前）</h2>" in html and html.index("推进中（逾期）") < html.index("未开始")
    from openpyxl import load_workbook

    from ipdemo.render.formats import FORMATS, ReportView

    book = load_workbook(io.BytesIO(FORMATS["xlsx"].write(ReportView(plan, data, progress, "zh"))))
    rows = list(book["重点任务"].iter_rows(values_only=True))
    assert rows[1][:2] == ("条目", "任务") and rows[1][-1] == "编号"  # the id last (hidden)
    assert rows[2][-1] == "t3_5_1" and "推进中（逾期）" in rows[2]  # overdue first


def test_summary_shows_the_weeks_task_updates(invoke, shipped):
    week = invoke(["summary", "--as-of", "2023-06-18"], cwd=shipped).stdout
    section = week.split("## 本周任务进展")[1].split("## ")[0]
    assert "三（五）一是" in section and "平台升级改造完成招标，系统开发中" in section and "推进中" in section
    assert "t3_5_1" not in section  # the plan's item, not the task's id (issue 24 item 4)
    assert "三（四）四是" not in section  # t3_4_4, reported on 2023-08-25
    quiet = invoke(["summary", "--as-of", "2023-07-09"], cwd=shipped).stdout
    assert quiet.split("## 本周任务进展")[1].split("## ")[0].strip() == "无"
    english = invoke(["summary", "--as-of", "2023-08-27", "--format", "text", "--lang", "en"], cwd=shipped).stdout
    assert "Task progress this week" in english and "认定首批区级知识产权密集型培育企业" in english


def test_docx_lists_the_tasks(shipped):
    import docx  # a dependency of ipdemo: never skipped

    from ipdemo.render.docx import report_docx

    plan, data, progress = shipped_progress(shipped)
    document = docx.Document(io.BytesIO(report_docx(plan, data, progress, "zh", charts=False)))
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["序号", "任务"])
    rows = [[c.text.replace("\u2060", "") for c in r.cells] for r in table.rows[1:]]  # joiners keep dates whole
    assert len(rows) == 39
    assert rows[0][1:4] == ["三（五）一是 完善吴江区现有知识产权信息公共服务平台", "—", "推进中（逾期）"]
    assert rows[0][4] == "平台升级改造完成招标，系统开发中（2023年6月15日）"  # no ISO dates in Chinese
    assert any(
        r[1].startswith("五（一）") and r[2] == "领导小组办公室（区市场监管局）" and r[3] == "已完成" for r in rows
    )
    text = "\n".join(p.text.replace("\u2060", "") for p in document.paragraphs)
    assert "39项重点任务中，已完成12项，推进中6项，未开始21项，其中逾期1项。" in text
    assert (
        "部分重点任务尚未完成" in text
        and "39项重点任务中尚有27项未完成（推进中6项，未开始21项）" in text
        and "三（五）一是“完善吴江区现有知识产权信息公共服务平台”要求于2023年9月30日前完成" in text
    )
    town = compute(plan, data, make_window(plan, None, date(2023, 12, 31)), "七都镇")
    paragraphs = [
        p.text for p in docx.Document(io.BytesIO(report_docx(plan, data, town, "zh", charts=False))).paragraphs
    ]
    assert "重点任务、特色任务和保障措施按全区跟踪，推进情况见全区自查报告。" in paragraphs


def test_archive_files_task_evidence_by_task(invoke, tmp_path):
    root = make_project(
        tmp_path / "p",
        {
            "task_progress": [
                task_row("t3_5_1", "2022-05-20", "in_progress", "论证", "佐证材料/平台方案.pdf"),
                task_row("t5_1", "2021-06-25", "done", "成立", "吴政办〔2021〕67号"),
            ]
        },
    )
    (root / "佐证材料").mkdir()
    (root / "佐证材料" / "平台方案.pdf").write_bytes(b"%PDF-1.4 plan\n")
    out = tmp_path / "a.zip"
    assert invoke(["archive", str(out), "--as-of", "2023-12-31"], cwd=root).exit_code == 0
    with zipfile.ZipFile(out) as zf:
        assert zf.read("佐证材料/三（五）一是/佐证材料/平台方案.pdf") == b"%PDF-1.4 plan\n"
        manifest = zf.read("manifest.csv").decode("utf-8-sig")
    assert "task_progress,t3_5_1|2022-05-20,t3_5_1,佐证材料/平台方案.pdf,file," in manifest
    assert "task_progress,t5_1|2021-06-25,t5_1,吴政办〔2021〕67号,reference" in manifest


def test_ledger_rows_of_the_sample_are_valid(shipped):
    plan = load_plan(shipped / "targets.yaml")
    data = load_dataset(plan, ["task_progress"])
    assert data.problems == [] and data.tables["task_progress"].num_rows == 11
