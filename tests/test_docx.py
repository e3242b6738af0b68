"""`ipdemo report --format docx`: the 自查报告, read back with python-docx.

Structure (headings in order, no empty section), numbers (the indicator table equals the
engine), layout (A4, GB/T 9704 margins, fonts named for Word on Chinese Windows, exact line
spacing, PAGE field), determinism (two runs, same bytes), charts with and without a CJK font,
and a headless rendering with LibreOffice where it is installed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

docx = pytest.importorskip("docx")
from docx.oxml.ns import qn  # noqa: E402
from docx.shared import Pt  # noqa: E402

from ipdemo.engine.dataset import load_dataset  # noqa: E402
from ipdemo.engine.progress import compute, make_window  # noqa: E402
from ipdemo.plan.model import load_plan  # noqa: E402
from ipdemo.render import docx as docx_render  # noqa: E402
from ipdemo.render.grid import cell_text  # noqa: E402
from ipdemo.render.report import status_text  # noqa: E402

AS_OF = "2023-09-30"
HEADINGS_ZH = [
    "一、基本情况",
    "二、主要目标完成情况",
    "三、各区镇完成情况",
    "四、重点任务推进情况",
    "五、存在的问题",
    "六、下一步工作",
]


@pytest.fixture(scope="module")
def engine(shipped):
    plan = load_plan(shipped / "targets.yaml")
    data = load_dataset(plan, sorted({name for ind in plan.indicators for name in ind.ledgers}))
    progress = compute(plan, data, make_window(plan, None, date.fromisoformat(AS_OF)))
    return plan, data, progress


@pytest.fixture(scope="module")
def report_zh(shipped, tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    from ipdemo.cli import app

    out = tmp_path_factory.mktemp("docx") / "自查报告.docx"
    result = CliRunner().invoke(
        app,
        [
            "report",
            "--format",
            "docx",
            "--output",
            str(out),
            "--as-of",
            AS_OF,
            "--targets",
            str(shipped / "targets.yaml"),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    return out


def blocks(document):
    """Body paragraphs and tables in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            yield Paragraph(child, document)
        elif child.tag == qn("w:tbl"):
            yield Table(child, document)


def sections_of(document) -> dict[str, list]:
    """Heading text → the blocks under it (until the next heading)."""
    out: dict[str, list] = {}
    current = None
    for block in blocks(document):
        if hasattr(block, "style") and block.style is not None and block.style.name == "Heading 1":
            current = block.text
            out[current] = []
        elif current is not None:
            out[current].append(block)
    return out


def plain(text: str) -> str:
    """Text without the word joiners that keep a date on one line."""
    return text.replace("\u2060", "")


def amount_text(value: float, unit: str) -> str:
    """What the tables show: whole things without decimals, every other unit with two."""
    return f"{round(value):,}{unit}" if unit in ("件", "家", "个", "项", "次", "名", "单") else f"{value:,.2f}{unit}"


def east_asian(run) -> str | None:
    fonts = run._element.rPr.rFonts if run._element.rPr is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


def test_headings_in_order_and_no_empty_section(report_zh):
    document = docx.Document(str(report_zh))
    sections = sections_of(document)
    assert list(sections) == HEADINGS_ZH
    for heading, body in sections.items():
        assert any(getattr(b, "text", "").strip() or not hasattr(b, "text") for b in body), heading
    title = document.paragraphs[0]
    # GB/T 9704 7.3.1: 发文机关 + 关于 + 事由 + 的 + 文种 (the title named no office before)
    assert title.text.replace("\n", "") == "吴江区知识产权局关于知识产权强省建设区域示范创建工作的自查报告"
    assert "（统计截至2023年9月30日）" in plain(document.paragraphs[1].text)


def test_indicator_table_equals_the_engine(report_zh, engine):
    plan, data, progress = engine
    table = docx.Document(str(report_zh)).tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header == ["序号", "指标", "目标", "完成", "完成率（%）", "状态"]
    rows = table.rows[1:]
    assert len(rows) == len(progress.indicators)
    for row, ind in zip(rows, progress.indicators):
        cells = [plain(c.text) for c in row.cells]
        assert cells[1] == ind.name
        single = ind.kind == "milestone" and (ind.target or 0) <= 1
        if single:
            assert cells[3] == ("已完成" if ind.actual else "未完成")
        else:  # 完成 with its unit (issue 24: the column had none)
            assert cells[3] == amount_text(ind.actual, ind.unit)
        # 完成率 with one decimal everywhere; none for a milestone, a range or a direction
        assert cells[4] == ("—" if single or ind.kind in ("range", "trend") else f"{ind.percent:.1f}")
        assert cells[5] == status_text(ind.status, "zh")


def test_towns_table_from_the_breakdown(report_zh, engine):
    from ipdemo.engine.progress import by_town

    plan, data, progress = engine
    rows = {r["id"]: r for r in by_town(plan, data, progress.window)}
    table = docx.Document(str(report_zh)).tables[1]
    header = [c.text for c in table.rows[0].cells]
    towns = list(next(iter(rows.values()))["towns"])
    assert header[:2] == ["指标", "全区"] and header[2 : 2 + len(towns)] == towns
    first = [c.text for c in table.rows[1].cells]
    patents = rows["patent_applications"]
    assert first[0] == "专利申请量（件）" and first[1] == cell_text(patents["district"])
    assert first[2 : 2 + len(towns)] == [cell_text(patents["towns"][t]) for t in towns]
    loans = next(r for r in table.rows if r.cells[0].text.startswith("知识产权质押贷款"))
    money = [c.text for c in loans.cells[1:]]  # 亿元: two decimals in every column (0.6 and 0.29 before)
    assert money == [f"{v:,.2f}" for v in [rows["pledge_loans"]["district"], *rows["pledge_loans"]["towns"].values()]]


def test_problems_and_next_steps_say_what_is_behind(report_zh, engine):
    plan, data, progress = engine
    sections = sections_of(docx.Document(str(report_zh)))
    problems = "\n".join(b.text for b in sections["五、存在的问题"])
    steps = "\n".join(b.text for b in sections["六、下一步工作"])
    for ind in progress.indicators:
        if ind.status in ("at_risk", "behind") and ind.kind != "milestone":
            assert ind.name in problems
            assert ind.name in steps  # with what it lacks and the pace (tests/test_docx_wording.py)
    assert "各区镇配齐知识产权管理人员" in problems and "晚于要求时间" in problems  # done late (桃源镇)
    tasks = "".join(b.text for b in sections["四、重点任务推进情况"] if hasattr(b, "text"))
    assert "逾期任务列前" in tasks  # the plan's tasks are tracked (tests/test_tasks.py)


def test_layout_fonts_and_page_numbers(report_zh):
    document = docx.Document(str(report_zh))
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4 (twips round)
    assert [
        round(m.mm) for m in (section.top_margin, section.bottom_margin, section.left_margin, section.right_margin)
    ] == [37, 35, 28, 26]
    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16)
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.paragraph_format.line_spacing == Pt(28.95)
    assert normal.paragraph_format.line_spacing_rule == docx.enum.text.WD_LINE_SPACING.EXACTLY
    title = document.paragraphs[0]
    assert title.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert {east_asian(r) for r in title.runs} == {"方正小标宋简体"} and title.runs[0].font.size == Pt(22)
    headings = [p for p in document.paragraphs if p.style.name == "Heading 1"]
    for heading in headings:
        assert {east_asian(r) for r in heading.runs} == {"黑体"} and heading.runs[0].font.size == Pt(16)
    body_runs = [r for p in document.paragraphs for r in p.runs if r.text]
    assert all(east_asian(r) for r in body_runs)  # every run names its East-Asian font
    assert {east_asian(r) for r in body_runs} >= {"仿宋_GB2312", "黑体", "方正小标宋简体"}
    for table in document.tables:
        for cell in table.rows[1].cells:
            assert all(east_asian(r) for p in cell.paragraphs for r in p.runs if r.text)
    for footer, align in ((section.footer, "RIGHT"), (section.even_page_footer, "LEFT")):
        xml = footer._element.xml
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml
        assert footer.paragraphs[0].text.startswith("— ") and footer.paragraphs[0].text.endswith(" —")
        assert footer.paragraphs[0].alignment == getattr(docx.enum.text.WD_ALIGN_PARAGRAPH, align)
    assert document.settings.odd_and_even_pages_header_footer


def test_charts_are_png_images(report_zh):
    document = docx.Document(str(report_zh))
    assert len(document.inline_shapes) == 3
    images = [p for p in document.part.package.parts if p.partname.startswith("/word/media/")]
    for part in images:
        assert part.blob[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(part.blob[16:20], "big")
        assert width > 900  # ~170 dpi over a 7-inch figure


def test_core_properties_dated_on_the_as_of_day(report_zh):
    props = docx.Document(str(report_zh)).core_properties
    day = datetime(2023, 9, 30, tzinfo=timezone.utc)
    assert props.created.replace(tzinfo=timezone.utc) == props.modified.replace(tzinfo=timezone.utc) == day
    assert props.title.startswith("吴江区")


def test_two_runs_give_the_same_bytes(report_zh, shipped, tmp_path, invoke):
    time.sleep(1.1)  # a zip or core-properties clock would show now
    again = tmp_path / "again.docx"
    result = invoke(
        [
            "report",
            "--format",
            "docx",
            "--output",
            str(again),
            "--as-of",
            AS_OF,
            "--targets",
            str(shipped / "targets.yaml"),
        ]
    )
    assert result.exit_code == 0, result.stderr
    assert again.read_bytes() == report_zh.read_bytes()


def test_docx_needs_output(shipped, invoke):
    result = invoke(["report", "--format", "docx", "--targets", str(shipped / "targets.yaml")])
    assert result.exit_code == 2 and "--output" in result.stderr and "Traceback" not in result.stderr


def test_english_document(engine):
    plan, data, progress = engine
    document = docx.Document(io.BytesIO(docx_render.report_docx(plan, data, progress, "en", charts=False)))
    assert list(sections_of(document)) == [
        "1. Overview",
        "2. Main targets",
        "3. Towns",
        "4. Key tasks",
        "5. Problems",
        "6. Next steps",
    ]
    assert document.paragraphs[0].text.startswith("Self-inspection report of Wujiang District IP Office on")
    latin = document.styles["Normal"].element.rPr.rFonts.get(qn("w:ascii"))
    assert latin == "Times New Roman" and document.styles["Normal"].font.size == Pt(12)
    assert [c.text for c in document.tables[0].rows[0].cells] == [
        "No.",
        "Indicator",
        "Target",
        "Actual",
        "Percent",
        "Status",
    ]


def test_tasks_listed_overdue_first(engine):
    plan, data, progress = engine
    tasks = [
        {
            "id": "T1",
            "title": "推进知识产权综合管理改革试点",
            "lead": "区市场监管局",
            "status": "in_progress",
            "latest": "印发试点方案",
            "updated_on": date(2023, 9, 1),
        },
        {"id": "T2", "title": "配齐区镇知识产权管理人员", "lead": "各区镇", "status": "not_started", "overdue": True},
    ]
    document = docx.Document(io.BytesIO(docx_render.report_docx(plan, data, progress, "zh", tasks=tasks, charts=False)))
    body = sections_of(document)["四、重点任务推进情况"]
    table = next(b for b in body if not hasattr(b, "text"))
    rows = [[plain(c.text) for c in r.cells] for r in table.rows]
    assert rows[0] == ["序号", "任务", "牵头单位", "状态", "最新进展"]
    assert rows[1][1:4] == ["配齐区镇知识产权管理人员", "各区镇", "未开始（逾期）"]
    assert rows[2][1:] == ["推进知识产权综合管理改革试点", "区市场监管局", "推进中", "印发试点方案（2023年9月1日）"]


def test_empty_project_has_no_empty_section(project):
    plan = load_plan(project / "targets.yaml")
    data = load_dataset(plan)
    progress = compute(plan, data, make_window(plan, None, date(2021, 6, 30)))
    document = docx.Document(io.BytesIO(docx_render.report_docx(plan, data, progress, "zh", charts=False)))
    for heading, body in sections_of(document).items():
        assert any(getattr(b, "text", "").strip() or not hasattr(b, "text") for b in body), heading


def test_title_breaks_at_a_word():
    assert docx_render.title_lines("吴江区知识产权强省建设区域示范创建工作自查报告", "zh") == [
        "吴江区知识产权强省建设",
        "区域示范创建工作自查报告",
    ]
    assert docx_render.title_lines("短标题自查报告", "zh") == ["短标题自查报告"]


# --- charts and fonts ---------------------------------------------------------------------------


def _cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" for ch in text)


def test_charts_without_a_cjk_font_are_labelled_in_english(engine):
    from ipdemo.engine.progress import by_town

    plan, data, progress = engine
    charts = docx_render.charts(plan, data, progress, by_town(plan, data, progress.window), "zh", font=None)
    assert set(charts) == {"percent", "burnup", "towns"}
    texts = [t for chart in charts.values() for t in chart.texts]
    assert texts and not any(_cjk(t) for t in texts)  # no tofu: nothing CJK drawn without a CJK font
    assert "Patent applications" in texts


def test_charts_with_a_cjk_font_draw_chinese_it_covers(engine):
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from ipdemo.engine.progress import by_town

    font = docx_render.find_cjk_font()
    if font is None:
        pytest.skip("no CJK font on this machine (.ci/run installs fonts-noto-cjk)")
    plan, data, progress = engine
    charts = docx_render.charts(plan, data, progress, by_town(plan, data, progress.window), "zh", font=font)
    texts = [t for chart in charts.values() for t in chart.texts]
    assert any("专利申请量" in t for t in texts)
    path = font_manager.findfont(font_manager.FontProperties(family=[font]), fallback_to_default=False)
    covered = FT2Font(path).get_charmap()
    assert all(ord(ch) in covered for t in texts for ch in t if _cjk(ch))


def test_font_finder_fallbacks(monkeypatch):
    from matplotlib import font_manager

    docx_render.find_cjk_font.cache_clear()
    try:
        monkeypatch.setattr(docx_render, "CJK_PREFERRED", [])
        found = docx_render.find_cjk_font()  # any font that covers the probe, or None
        if found is not None:
            path = font_manager.findfont(font_manager.FontProperties(family=[found]), fallback_to_default=False)
            assert docx_render._covers(path, docx_render.CJK_PROBE)
        docx_render.find_cjk_font.cache_clear()
        monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
        monkeypatch.setattr(docx_render, "system_font_files", lambda: [])  # and none on the machine
        assert docx_render.find_cjk_font() is None
    finally:
        docx_render.find_cjk_font.cache_clear()


# --- rendering --------------------------------------------------------------------------------


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(
    soffice() is None or shutil.which("pdftoppm") is None,
    reason="no LibreOffice/pdftoppm here (apt-get install libreoffice-writer-nogui poppler-utils)",
)
def test_renders_headless_to_pages(report_zh, tmp_path):
    """LibreOffice lays the document out (the review image: tmp/page-1.png)."""
    profile = (tmp_path / "lo-profile").as_uri()
    done = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(report_zh),
        ],
        capture_output=True,
        timeout=240,
    )
    pdf = tmp_path / (report_zh.stem + ".pdf")
    assert pdf.exists(), done.stderr.decode(errors="replace")
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert 4 <= len(pages) <= 12
    assert pages[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_record_counts_stop_at_the_as_of_day(shipped):
    """The 数据来源 line counts the records that existed on the as-of day (the earliest of a
    record's dates on or before it), not every row the ledger holds today: an early report showed
    the final report's 40,400 patents. Hand check: patents filed by then, counted from the CSV."""
    import csv

    plan = load_plan(shipped / "targets.yaml")
    data = load_dataset(plan)
    early = date(2022, 3, 31)
    progress = compute(plan, data, make_window(plan, None, early))
    with open(shipped / "data" / "patents.csv", encoding="utf-8-sig", newline="") as handle:
        filed = [row["filed_on"] for row in csv.DictReader(handle)]
    expected = sum(1 for day in filed if day and date.fromisoformat(day) <= early)
    assert 0 < expected < len(filed)
    assert data.rows_by("patents", early) == expected
    from ipdemo.render import docx_text

    rows = {name: data.rows_by(name, early) for name in plan.ledgers if name in data.tables}
    text = "".join(docx_text.basic(plan, progress, rows, "zh"))
    assert f"专利（有效记录{expected:,}条）" in text
    assert f"{len(filed):,}" not in text
