"""`ipdemo report`'s formats: one registry entry each, and the command prints the library's view.

render/formats.py holds FORMATS (format → writer, needs a file or not) and BREAKDOWNS (--by →
rows and grid); the command parses, calls `report_view`, and writes what the entry returns.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from ipdemo.cli import By, ReportFormat
from ipdemo.engine.dataset import load_dataset
from ipdemo.engine.progress import make_window
from ipdemo.plan.model import load_plan
from ipdemo.render.formats import BREAKDOWNS, FORMATS, report_json, report_view

from .conftest import ROOT


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "targets.yaml", tmp_path / "targets.yaml")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    return tmp_path


def _view(folder: Path, as_of: date, lang: str, by: str | None = None):
    plan = load_plan(folder / "targets.yaml")
    data = load_dataset(plan, sorted({name for ind in plan.indicators for name in ind.ledgers}))
    return report_view(plan, data, make_window(plan, None, as_of), lang, None, by)


def test_every_format_the_command_accepts_has_one_entry():
    assert set(FORMATS) == {f.value for f in ReportFormat}
    assert set(BREAKDOWNS) == {b.value for b in By}


@pytest.mark.parametrize("by", [None, "town", "phase", "year"])
def test_report_json_is_the_library_view(invoke, shipped, monkeypatch, by):
    args = ["report", "--format", "json", "--as-of", "2023-03-31", "--lang", "en"] + (["--by", by] if by else [])
    result = invoke(args, cwd=shipped)
    assert result.exit_code == 0, result.stderr
    monkeypatch.chdir(shipped)
    library = report_json(_view(shipped, date(2023, 3, 31), "en", by))
    assert json.loads(result.stdout) == json.loads(json.dumps(library, default=str))


@pytest.mark.parametrize("name", ["markdown", "csv", "html", "table"])
def test_text_formats_to_a_file_are_the_writer_output(invoke, shipped, monkeypatch, name):
    out = shipped / f"out.{name}"
    result = invoke(["report", "--format", name, "--as-of", "2022-12-31", "--output", str(out)], cwd=shipped)
    assert result.exit_code == 0, result.stderr
    monkeypatch.chdir(shipped)
    expected = FORMATS[name].write(_view(shipped, date(2022, 12, 31), "zh"))
    assert out.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("name", sorted(n for n, f in FORMATS.items() if f.needs_file))
def test_a_binary_format_without_output_is_refused_before_reading(invoke, shipped, name):
    (shipped / "data" / "patents.csv").write_text("not,a\nledger", encoding="utf-8")  # never read
    result = invoke(["report", "--format", name], cwd=shipped)
    assert result.exit_code == 2
    assert f"--format {name}" in result.stderr and "--output" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_table_without_output_is_the_terminal_view(invoke, shipped):
    result = invoke(["report", "--as-of", "2022-12-31"], cwd=shipped)
    assert result.exit_code == 0
    assert "专利申请量" in result.stdout and "|" not in result.stdout.splitlines()[0]  # rich, not markdown
