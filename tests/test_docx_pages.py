"""The 自查报告 as an official's machine shows it (issue 24 item 7): LibreOffice converts the docx
to PDF, pypdf reads the pages back (tests/office.py).

Checked on the pages themselves: a sensible page count; the 28-character line of GB/T 9704 (no
line of Chinese text longer, the typical full line exactly 28); no English, ids, ISO dates or
tool names in the Chinese text; no date broken across lines; the 发文机关 in the title and the
主送机关 under it; no sentence of 六、下一步工作 said twice. PNGs of the pages are written beside
the PDF for a person to look at (pdftoppm).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tests.office import needs_libreoffice, pages, pdf_of, png_pages

pytest.importorskip("docx")
pytest.importorskip("pypdf")

pytestmark = needs_libreoffice

HAN = re.compile(r"[\u3400-\u9fff]")
JOINER = "\u2060"


def report_pdf(shipped: Path, work: Path, invoke, as_of: str, lang: str = "zh") -> Path:
    out = work / f"自查报告-{as_of}-{lang}.docx"
    args = ["report", "--format", "docx", "--output", str(out), "--as-of", as_of]
    result = invoke([*args, "--lang", lang], cwd=shipped)
    assert result.exit_code == 0, result.stderr
    return pdf_of(out, work)


@pytest.fixture(scope="module")
def final_pages(shipped, tmp_path_factory):
    from typer.testing import CliRunner

    from ipdemo.cli import app

    work = tmp_path_factory.mktemp("docx-pages")
    out = work / "自查报告.docx"
    result = CliRunner().invoke(
        app,
        ["report", "--format", "docx", "--output", str(out), "--targets", str(shipped / "targets.yaml")],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    pdf = pdf_of(out, work)
    png_pages(pdf, work)  # to look at: the review images
    return pages(pdf)


def lines_of(found) -> list[str]:
    return [line.replace(JOINER, "").strip() for page in found for line in page.text.split("\n")]


def test_page_count_and_size(final_pages):
    assert 6 <= len(final_pages) <= 14
    assert all(round(p.width_mm) == 210 and round(p.height_mm) == 297 for p in final_pages)


def test_28_characters_a_line(final_pages):
    """Lines of Chinese text only (no digits or Latin letters, whose widths differ): none longer
    than 28 characters, and the typical full line exactly 28 (it held 27)."""
    chinese = [line for line in lines_of(final_pages) if line and not re.search(r"[\x21-\x7e\s]", line)]
    lengths = Counter(len(line) for line in chinese if len(line) >= 20)
    assert lengths and max(lengths) <= 28, sorted(lengths.items())
    assert lengths.most_common(1)[0][0] == 28, lengths.most_common(5)


def test_no_english_ids_iso_dates_or_tool_name(final_pages):
    text = "\n".join(lines_of(final_pages))
    assert "ipdemo" not in text.lower()
    assert not re.search(r"[A-Za-z]", text), re.findall(r".{10}[A-Za-z]+.{0,10}", text)[:5]
    assert not re.search(r"\d{4}-\d{1,2}-\d{1,2}", text)  # ISO dates
    assert not re.search(r"\d\.\.\d", text)  # 2..4
    assert not re.search(r"(?<![\d,.])0项", text)  # 正常推进0项


def test_no_date_across_lines(final_pages):
    lines = [line for line in lines_of(final_pages) if line]
    for before, after in zip(lines, lines[1:]):
        broken = re.search(r"\d{4}年?\d*月?$", before) and re.match(r"^\d*[年月日]", after)
        assert not broken, (before, after)


def test_office_in_the_title_and_recipients_under_it(final_pages):
    first = lines_of(final_pages[:1])
    title = "".join(first[:3])
    assert title.startswith("吴江区知识产权局关于") and "自查报告" in title
    assert "江苏省知识产权局：" in first[:8]
    tail = [line for line in lines_of(final_pages[-2:]) if line and not line.startswith("—")]
    assert tail[-2:] == ["吴江区知识产权局", "2023年12月31日"]


def test_no_sentence_of_next_steps_twice(final_pages):
    text = "".join(line for line in lines_of(final_pages) if not re.fullmatch(r"—\s*\d+\s*—", line))
    text = text.replace(" ", "")
    steps = text.split("六、下一步工作", 1)[1].split("吴江区知识产权局2023年12月31日")[0]
    said = [s for s in re.split(r"[。；]", steps) if s]
    assert len(said) >= 4
    assert len(said) == len(set(said)), [s for s in said if said.count(s) > 1]
    assert "1." in steps and "2." in steps


def test_english_report_renders(shipped, tmp_path, invoke):
    found = pages(report_pdf(shipped, tmp_path, invoke, "2023-09-30", "en"))
    text = "\n".join(lines_of(found))
    assert 5 <= len(found) <= 16
    assert "Self-inspection report of Wujiang District IP Office" in text.replace("\n", " ")
    assert "phases: ." not in text and "0 phases" not in text
