"""As of an early date, every output shows only what existed then (issue 24 item 1).

One small project: 3 patent applications filed before the as-of date (2021-12-31, the end of
phase 1) and 14 filed after it, so a figure that ignores the date says 17 where 3 is right. Each
output the user can ask for at that date is read back as its reader would (the table and the
markdown as text, the CSV and the JSON parsed, the HTML's table rows, the workbook through
openpyxl, the Word report through python-docx, the archive unzipped): wherever it names 专利申请量,
it shows 3 somewhere and never 17; where it counts the records of a data source (the 自查报告's
数据来源), it counts the 3. A control runs the same reading at the plan's end and finds the 17.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import docx
import openpyxl
import pytest

from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import compute, make_window
from ipdemo.i18n import label
from ipdemo.plan.model import load_plan
from ipdemo.render.charts import burn_up_model

from .conftest import VALID_ROWS, make_project
from .helpers import patent

AS_OF = "2021-12-31"
NAME = "专利申请量"  # the indicator patent_applications, as every Chinese output names it
THEN, LATER = 3, 17  # its figure as of AS_OF, and at the plan's end
BEFORE = [
    patent("202110000001", "2021-07-01", "2021-11-15"),
    patent("202110000002", "2021-08-01"),
    patent("202110000003", "2021-11-01"),
]
AFTER = [patent(f"2022100000{i:02d}", "2022-03-01", "2023-01-10") for i in range(1, 15)]
# Task progress: one entry (and its evidence reference) before the date, one after it.
EARLY_TASK = {**VALID_ROWS["task_progress"]}
LATE_TASK = {**VALID_ROWS["task_progress"], "reported_on": "2023-03-01", "evidence": "吴政办〔2023〕5号"}

FORMATS = ["table", "markdown", "csv", "json", "html", "xlsx", "docx"]
BREAKDOWNS = [None, "town", "phase", "year"]
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    rows = {k: [v] for k, v in VALID_ROWS.items()}
    rows["patents"] = BEFORE + AFTER
    rows["task_progress"] = [EARLY_TASK, LATE_TASK]
    return make_project(tmp_path_factory.mktemp("as_of") / "p", rows)


@pytest.fixture
def run(invoke, project, monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # the rich table on one line per row

    def go(*args: str):
        result = invoke(list(args), cwd=project)
        assert result.exit_code == 0, result.stdout + result.stderr
        return result

    return go


# --- reading each output back: the rows (lists of cell texts) that name the indicator ----------


class _Rows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self.rows:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_rows(text: str) -> list[list[str]]:
    parser = _Rows()
    parser.feed(text)
    return parser.rows


def json_rows(node) -> list[list[str]]:
    """Every object that names the indicator (by id or name), as one row of its scalar values."""
    found = []
    if isinstance(node, dict):
        if node.get("id") == "patent_applications" or node.get("name") == NAME:
            found.append([str(v) for v in _scalars(node)])
        for value in node.values():
            found += json_rows(value)
    elif isinstance(node, list):
        for value in node:
            found += json_rows(value)
    return found


def _scalars(node) -> list:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _scalars(v)]
    if isinstance(node, list):
        return [s for v in node for s in _scalars(v)]
    return [] if node is None or isinstance(node, bool) else [node]


def xlsx_rows(data: bytes) -> list[list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [["" if c is None else str(c) for c in row] for sheet in book for row in sheet.iter_rows(values_only=True)]


def docx_document(data: bytes):
    return docx.Document(io.BytesIO(data))


def docx_rows(data: bytes) -> list[list[str]]:
    """The tables' rows, and each sentence of the text (a paragraph may name many indicators)."""
    document = docx_document(data)
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    # a sentence of the body, cut at its clauses: a next step lists several indicators with their gaps
    clauses = re.split("[。；]", "\n".join(p.text for p in document.paragraphs))
    return rows + [[clause] for clause in clauses]


def text_rows(text: str, separator: str) -> list[list[str]]:
    return [line.split(separator) for line in text.splitlines()]


def named(rows: list[list[str]]) -> list[list[str]]:
    return [row for row in rows if any(NAME in cell for cell in row)]


def numbers(row: list[str]) -> set[int | float]:
    out: set[int | float] = set()
    for cell in row:
        # the 自查报告 keeps a date on one line with word joiners (U+2060) between its characters
        for token in NUMBER.findall(cell.replace("\u2060", "")):
            value = float(token.replace(",", ""))
            out.add(int(value) if value.is_integer() else value)
    return out


def shows(rows: list[list[str]], figure: int, wrong: int) -> None:
    """Rows naming the indicator exist, one of them shows `figure`, none shows `wrong`."""
    rows = named(rows)
    assert rows, f"no row names {NAME}"
    assert [r for r in rows if wrong in numbers(r)] == [], f"{wrong} shown"
    assert any(figure in numbers(r) for r in rows), f"{figure} not shown in {rows}"


def report_rows(run, tmp: Path, fmt: str, by: str | None, as_of: str) -> list[list[str]]:
    args = ["report", "--as-of", as_of, "--format", fmt] + (["--by", by] if by else [])
    if fmt in ("xlsx", "docx"):
        out = tmp / f"report.{fmt}"
        run(*args, "--output", str(out))
        return xlsx_rows(out.read_bytes()) if fmt == "xlsx" else docx_rows(out.read_bytes())
    text = run(*args).stdout
    readers = {
        "table": lambda: text_rows(text, "│"),
        "markdown": lambda: text_rows(text, "|"),
        "csv": lambda: list(csv.reader(io.StringIO(text))),
        "json": lambda: json_rows(json.loads(text)),
        "html": lambda: html_rows(text),
    }
    return readers[fmt]()


# --- the report, in every format and breakdown ------------------------------------------------


@pytest.mark.parametrize("by", BREAKDOWNS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_the_report_as_of_an_early_date_counts_only_what_existed(run, tmp_path, fmt, by):
    shows(report_rows(run, tmp_path, fmt, by, AS_OF), THEN, LATER)


@pytest.mark.parametrize("fmt", ["markdown", "json", "docx"])
def test_the_same_reading_at_the_plan_s_end_finds_every_record(run, tmp_path, fmt):
    """The control: the records after the date are there, and the reading would see them."""
    shows(report_rows(run, tmp_path, fmt, None, "2023-12-31"), LATER, THEN)


def sources_sentence(count: int) -> str:
    return label("docx.source", "zh", name="专利", rows=str(count))


def test_the_self_inspection_report_counts_the_records_of_each_source_then(run, tmp_path):
    out = tmp_path / "自查报告.docx"
    run("report", "--as-of", AS_OF, "--format", "docx", "--output", str(out))
    text = "\n".join(p.text for p in docx_document(out.read_bytes()).paragraphs)
    assert sources_sentence(len(BEFORE)) in text
    assert sources_sentence(len(BEFORE) + len(AFTER)) not in text


def test_the_charts_of_the_page_end_at_the_date(project):
    """The HTML page's burn-up is drawn from the same model as the Word chart: it stops at 3."""
    plan = load_plan(project / "targets.yaml")
    data = load_dataset(plan)
    progress = compute(plan, data, make_window(plan, None, date.fromisoformat(AS_OF)))
    (chart,) = [c for c in burn_up_model(plan, data, progress) if c.item.id == "patent_applications"]
    assert max(v for v in chart.values if v == v) == THEN and max(chart.days) <= progress.window.end


# --- the weekly summary -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["markdown", "text", "html"])
def test_the_summary_of_the_week_ending_on_the_date(run, fmt):
    text = run("summary", "--as-of", AS_OF, "--format", fmt).stdout
    rows = html_rows(text) if fmt == "html" else [[line] for line in text.splitlines()]
    shows(rows, THEN, LATER)


# --- the archive ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive(project, tmp_path_factory) -> zipfile.ZipFile:
    from typer.testing import CliRunner

    from ipdemo.cli import app

    out = tmp_path_factory.mktemp("archive") / "归档.zip"
    result = CliRunner().invoke(
        app, ["archive", str(out), "--as-of", AS_OF, "--targets", str(project / "targets.yaml")]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    return zipfile.ZipFile(out)


def member(archive: zipfile.ZipFile, suffix: str) -> bytes:
    (name,) = [n for n in archive.namelist() if n.endswith(suffix)]
    return archive.read(name)


def test_the_archive_s_report_counts_only_what_existed(archive):
    data = member(archive, ".docx")
    shows(docx_rows(data), THEN, LATER)
    text = "\n".join(p.text for p in docx_document(data).paragraphs)
    assert sources_sentence(len(BEFORE)) in text


def test_the_archive_s_ledger_workbook_holds_only_the_records_that_existed(archive):
    numbers_in_book = {row[0] for row in xlsx_rows(member(archive, "台账/专利.xlsx"))}
    assert {p["application_no"] for p in BEFORE} <= numbers_in_book
    assert not {p["application_no"] for p in AFTER} & numbers_in_book


def test_the_archive_s_manifest_lists_only_the_evidence_that_existed(archive):
    manifest = list(csv.DictReader(io.StringIO(member(archive, "manifest.csv").decode("utf-8-sig"))))
    evidence = {row["evidence"] for row in manifest if row["ledger"] == "task_progress"}
    assert EARLY_TASK["evidence"] in evidence
    assert LATE_TASK["evidence"] not in evidence
