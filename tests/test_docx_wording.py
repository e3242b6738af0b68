"""What the 自查报告 says (issue 24 item 2, issue 25 item 5), read back with python-docx.

The office forwards it unedited, so: next steps grouped by cause and numbered, never 已逾期 on the
due date itself, 滞后 and 有风险 apart, task counts equal to the task table, no zero counts, a pace
that makes sense for a gap of 2, one number format per unit, and the plan's own words (short
name, office, recipients, acceptance, no phase sentence without phases) from targets.yaml.
"""

from __future__ import annotations

import io
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

docx = pytest.importorskip("docx")

from ipdemo.engine.dataset import load_dataset  # noqa: E402
from ipdemo.engine.progress import compute, make_window  # noqa: E402
from ipdemo.plan.model import load_plan, short_name_of  # noqa: E402
from ipdemo.render import docx as docx_render  # noqa: E402
from ipdemo.render import docx_text  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


def engine_at(targets: Path, as_of: date):
    plan = load_plan(targets)
    data = load_dataset(plan, sorted({name for ind in plan.indicators for name in ind.ledgers}))
    return plan, data, compute(plan, data, make_window(plan, None, as_of))


def document_of(plan, data, progress, lang="zh"):
    return docx.Document(io.BytesIO(docx_render.report_docx(plan, data, progress, lang, charts=False)))


def plain(text: str) -> str:
    return text.replace("\u2060", "")


def sections(document) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for p in document.paragraphs:
        if p.style is not None and p.style.name == "Heading 1":
            current = plain(p.text)
            out[current] = []
        elif current is not None and p.text.strip():
            out[current].append(plain(p.text))
    return out


@pytest.fixture(scope="module")
def autumn(shipped):
    """2023-09-30: thirteen weeks before the plan end; some indicators behind, some at risk."""
    plan, data, progress = engine_at(shipped / "targets.yaml", date(2023, 9, 30))
    return plan, data, progress, document_of(plan, data, progress)


@pytest.fixture(scope="module")
def final(shipped):
    """2023-12-31: the plan end, the due date of most targets."""
    plan, data, progress = engine_at(shipped / "targets.yaml", date(2023, 12, 31))
    return plan, data, progress, document_of(plan, data, progress)


# --- 六、下一步工作 ------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["autumn", "final"])
def test_next_steps_are_numbered_groups_without_a_repeated_sentence(which, request):
    plan, data, progress, document = request.getfixturevalue(which)
    steps, signature = sections(document)["六、下一步工作"][:-2], sections(document)["六、下一步工作"][-2:]
    assert signature == ["吴江区知识产权局", docx_text.day(progress.window.end, "zh").replace("\u2060", "")]
    numbers = [int(m.group(1)) for line in steps if (m := re.match(r"(\d+)\.", line))]
    assert numbers == list(range(1, len(steps) + 1)) and len(steps) >= 2  # every paragraph numbered 1. 2. 3.
    said = [s for line in steps for s in re.split(r"[。；]", re.sub(r"^\d+\.", "", line)) if s]
    assert len(said) == len(set(said)), [s for s in said if said.count(s) > 1]
    assert steps[-1].endswith("收集整理各项工作佐证材料并归档，全面总结工作成效。")
    assert "做好知识产权强省建设示范检查验收准备工作" in steps[-1]  # acceptance: targets.yaml


def test_nothing_is_past_due_on_its_due_date(final):
    """At 2023-12-31 the targets due that day are due today, not 已逾期 / 已过要求完成时间 (the
    report said so seven times)."""
    plan, data, progress, document = final
    steps = "".join(sections(document)["六、下一步工作"])
    assert "2023年12月31日前应完成" not in steps and "已过要求完成时间" not in steps
    assert "2023年12月31日到期的以下指标尚未完成：" in steps
    for i in progress.indicators:
        if i.status in ("behind", "at_risk") and not i.spec.directional:
            assert i.name in steps
    # the one task really past due (2023-09-30) is said to be
    assert "三（五）一是“完善吴江区现有知识产权信息公共服务平台”已超过要求完成时间" in steps


def test_a_small_gap_reads_as_a_deadline_not_one_a_week(autumn):
    """Gap 2 in 13 weeks: "须在13周内完成", never "每周需完成1家"."""
    plan, data, progress, document = autumn
    steps = "".join(sections(document)["六、下一步工作"])
    assert "大型知识产权广场宣传距目标尚差2次，须在13周内完成" in steps
    assert "市、区级高价值专利培育中心距目标尚差1家，须在13周内完成" in steps
    assert "每周需完成1家" not in steps and "每周需完成1次" not in steps
    assert "软件著作权登记量距目标尚差676件，剩余13周，平均每周需完成52件" in steps  # hand: ⌈676/13.1⌉


def test_pace_phrase():
    plan = load_plan(Path(__file__).parent.parent / "targets.yaml")
    assert docx_text.pace(plan, 2, 91, 1, "家", "zh") == "须在13周内完成"
    assert docx_text.pace(plan, 676, 92, 52, "件", "zh") == "剩余13周，平均每周需完成52件"
    # a sum (亿元) is never a weekly rate (render/pace.py's rule): the gap is said by the sentence
    assert docx_text.pace(plan, 0.5, 91, 0.04, "亿元", "zh") == "须在13周内完成"
    assert docx_text.pace(plan, 12, 91, 0.93, "件", "zh") == "须在13周内完成"  # under 5 a week
    assert docx_text.pace(plan, 3, 5, 3, "件", "zh") == "须在5天内完成"
    assert docx_text.pace(plan, 2, 91, 1, "家", "en") == "to be done within 13 weeks"


# --- 五、存在的问题 ------------------------------------------------------------------------------


def test_behind_and_at_risk_are_listed_apart(autumn):
    plan, data, progress, document = autumn
    problems = sections(document)["五、存在的问题"]
    behind = next(p for p in problems if p.startswith("（一）部分指标进度滞后。"))
    at_risk = next(p for p in problems if p.startswith("（二）部分指标存在滞后风险。"))
    for i in progress.indicators:
        if i.spec.done_on_date:
            continue
        assert (i.name in behind) == (i.status == "behind"), i.name
        assert (i.name in at_risk) == (i.status == "at_risk"), i.name


def test_task_counts_in_problems_equal_the_task_table(final):
    plan, data, progress, document = final
    table = next(t for t in document.tables if [c.text for c in t.rows[0].cells][:2] == ["序号", "任务"])
    statuses = [plain(r.cells[3].text) for r in table.rows[1:]]
    started = sum(s.startswith("推进中") for s in statuses)
    not_started = sum(s.startswith("未开始") for s in statuses)
    problems = "".join(sections(document)["五、存在的问题"])
    assert (
        f"{len(statuses)}项重点任务中尚有{started + not_started}项未完成（推进中{started}项，未开始{not_started}项）"
        in (problems)
    )


def test_no_zero_counts(autumn, final):
    for _, _, _, document in (autumn, final):
        text = "".join(plain(p.text) for p in document.paragraphs)
        assert not re.search(r"(?<![\d,.])0项", text), re.findall(r".{12}(?<![\d,.])0项", text)


# --- tables --------------------------------------------------------------------------------------


def test_table_one_shows_units_and_one_decimal(autumn):
    plan, data, progress, document = autumn
    rows = [[plain(c.text) for c in r.cells] for r in document.tables[0].rows[1:]]
    for row, i in zip(rows, progress.indicators):
        assert re.fullmatch(r"\d[\d,]*\.\d|—", row[4]), row  # 完成率: one decimal, or — (milestone, range)
        if i.kind == "milestone" and (i.target or 0) <= 1:
            assert row[3] in ("已完成", "未完成")
        else:
            assert row[3].endswith(i.unit), row
    by_name = {row[1]: row for row in rows}
    assert by_name["主导领域产业分析报告"][2:5] == ["2至4个", "3个", "—"]  # not "2..4 个", "150"
    assert by_name["知识产权质押贷款"][2:4] == ["5.00亿元", "4.71亿元"]
    assert by_name["对照工作计划开展自查"][2] == "2023年12月31日前"
    assert by_name["大型知识产权广场宣传"][2] == "每年4次"


def test_numbers_never_print_a_nonzero_figure_as_zero():
    plan = load_plan(Path(__file__).parent.parent / "targets.yaml")
    assert docx_text.number(plan, 0.6, "亿元") == "0.60"
    assert docx_text.number(plan, 0.0004, "亿元") == "0.00040"
    assert docx_text.number(plan, 29301.0, "件") == "29,301"


# --- the plan's own words -----------------------------------------------------------------------


def test_title_recipients_signature_from_targets_yaml(autumn):
    plan, data, progress, document = autumn
    paragraphs = [plain(p.text) for p in document.paragraphs]
    assert paragraphs[0].replace("\n", "") == "吴江区知识产权局关于知识产权强省建设区域示范创建工作的自查报告"
    assert "江苏省知识产权局：" in paragraphs[:5]
    assert paragraphs[paragraphs.index("江苏省知识产权局：") + 1].startswith(
        "根据《吴江区知识产权强省建设区域示范创建工作计划》（以下简称《计划》）要求，吴江区知识产权局对照《计划》"
    )
    assert [p for p in paragraphs if p.strip()][-2:] == ["吴江区知识产权局", "2023年9月30日"]


def test_signature_layout_per_gbt_9704():
    """7.3.5.1 (sealed): the date 右空四字, the office centred over it; 7.3.5.2 (unsealed): the
    office 右空二字, the date's first character two characters right of the office's."""
    sealed = docx_render.signature_indents("吴江区知识产权局", "2023年9月30日", sealed=True)
    assert sealed.date == 4 and sealed.office == 4 + (6.5 - 8) / 2  # digits are half width
    open_ = docx_render.signature_indents("吴江区知识产权局", "2023年9月30日", sealed=False)
    assert open_.office == 2 and open_.date == 8 - 2 - 6.5 + 2  # the date starts 2 right of the office
    long_date = docx_render.signature_indents("某局", "2023年12月31日", sealed=False)
    assert long_date.date == 2 and long_date.office == 2 + 7 + 2 - 2  # the date longer: it keeps 右空二字


def test_other_plan_words(tmp_path):
    """A 方案 with no phases, no office or recipients given: 《方案》, no phase sentence, the
    default office, no 主送机关 line, the default acceptance wording; English without "0 phases"."""
    plan, data, progress = engine_at(FIXTURES / "other_plan" / "targets.yaml", date(2025, 6, 30))
    document = document_of(plan, data, progress)
    paragraphs = [plain(p.text) for p in document.paragraphs]
    text = "".join(paragraphs)
    assert "（以下简称《方案》）" in text and "《计划》" not in text
    assert "阶段" not in "".join(sections(document)["一、基本情况"])
    assert "《方案》实施期为2024年1月1日至2026年12月31日。" in text
    assert paragraphs[0].replace("\n", "").startswith("示范市知识产权局关于《示范市知识产权强市建设工作方案")
    assert not any(p.endswith("：") and "局" in p for p in paragraphs[:5])  # no recipients: no line
    assert "做好《方案》实施情况检查评估准备工作" in text
    for word in ("示范检查验收", "示范创建", "强省"):
        assert word not in text
    english = "".join(p.text for p in document_of(plan, data, progress, "en").paragraphs)
    assert "phase" not in english.split("2. Main targets")[0]


def test_short_name_from_the_plans_name():
    assert short_name_of("吴江区知识产权强省建设区域示范创建工作计划") == "计划"
    assert short_name_of("示范市知识产权强市建设工作方案（2024—2026年）") == "方案"
    assert short_name_of("“十四五”国家知识产权保护和运用规划") == "规划"
    assert short_name_of("某某事项") == ""


def test_plan_keys_change_the_words(shipped, tmp_path):
    """short_name, office, recipients, subject, acceptance and sealed: each read from targets.yaml."""
    project = tmp_path / "p"
    shutil.copytree(shipped, project)
    targets = project / "targets.yaml"
    text = targets.read_text(encoding="utf-8")
    text = text.replace("  short_name: 计划 ", "  short_name: 工作计划 ").replace(
        "  office: 吴江区知识产权局 ", "  office: 吴江区市场监督管理局 "
    )
    text = text.replace("  recipients: [江苏省知识产权局]", "  recipients: [苏州市知识产权局, 江苏省知识产权局]")
    text = text.replace(
        "  acceptance: 知识产权强省建设示范检查验收", "  acceptance: 省级验收\n  sealed: false\n  subject: 示范创建工作"
    )
    targets.write_text(text, encoding="utf-8")
    plan, data, progress = engine_at(targets, date(2023, 9, 30))
    paragraphs = [plain(p.text) for p in document_of(plan, data, progress).paragraphs]
    joined = "".join(paragraphs)
    assert paragraphs[0].replace("\n", "") == "吴江区市场监督管理局关于示范创建工作的自查报告"
    assert "苏州市知识产权局、江苏省知识产权局：" in paragraphs
    assert "（以下简称《工作计划》）" in joined and "做好省级验收准备工作" in joined
    assert [p for p in paragraphs if p.strip()][-2:] == ["吴江区市场监督管理局", "2023年9月30日"]


def test_unknown_plan_key_is_a_clear_error(shipped, tmp_path, invoke):
    project = tmp_path / "p"
    shutil.copytree(shipped, project)
    targets = project / "targets.yaml"
    targets.write_text(
        targets.read_text(encoding="utf-8").replace("  recipients: [", "  recipient: ["), encoding="utf-8"
    )
    out = tmp_path / "r.docx"
    result = invoke(["report", "--format", "docx", "--output", str(out)], cwd=project)
    assert result.exit_code == 1 and "plan.recipient" in result.stderr and "未知的键" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


# --- charts: the font --------------------------------------------------------------------------


def test_no_cjk_font_fails_loudly_and_writes_nothing(shipped, tmp_path, invoke, monkeypatch):
    """Chinese charts without a font that draws Chinese: a clear error, exit 1, no file (the
    charts came out in English, silently)."""
    monkeypatch.setattr(docx_render, "find_cjk_font", lambda: None)
    out = tmp_path / "自查报告.docx"
    result = invoke(["report", "--format", "docx", "--output", str(out)], cwd=shipped)
    assert result.exit_code == 1, result.stderr
    assert "找不到能显示中文的字体" in result.stderr and "fonts-noto-cjk" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
    english = invoke(["report", "--format", "docx", "--output", str(out), "--lang", "en"], cwd=shipped)
    assert english.exit_code == 0 and out.exists()  # English charts need no CJK font


def test_a_stale_font_cache_still_finds_the_cjk_font(monkeypatch):
    """matplotlib's font cache written before the CJK fonts were installed lists none of them:
    the font files themselves are found and registered."""
    from matplotlib import font_manager

    if not any(docx_render._covers(path, docx_render.CJK_PROBE) for path in docx_render.system_font_files()):
        pytest.skip("no CJK font file on this machine (.ci/run installs fonts-noto-cjk)")
    docx_render.find_cjk_font.cache_clear()
    try:
        monkeypatch.setattr(font_manager.fontManager, "ttflist", [])  # the stale cache: no CJK font
        found = docx_render.find_cjk_font()
        assert found is not None
        path = font_manager.findfont(font_manager.FontProperties(family=[found]), fallback_to_default=False)
        assert docx_render._covers(path, docx_render.CJK_PROBE)
        assert "regular" in path.lower().replace("-", "") or "bold" not in path.lower()
    finally:
        docx_render.find_cjk_font.cache_clear()


def test_evidence_missing_is_a_group_of_its_own(final):
    """A task whose latest report names no evidence is listed once, under 补齐佐证材料."""
    import dataclasses

    plan, data, progress, _ = final
    reported = next(x for x in progress.tasks if x.source == "entries" and x.entries)
    tasks = [dataclasses.replace(x, evidence="") if x is reported else x for x in progress.tasks]
    document = document_of(plan, data, dataclasses.replace(progress, tasks=tasks))
    steps = sections(document)["六、下一步工作"]
    evidence = [line for line in steps if "补齐佐证材料。" in line]
    assert len(evidence) == 1 and f"{reported.ref}“{reported.title}”的最新进展尚无佐证材料" in evidence[0]
