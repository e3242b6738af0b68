"""A ledger whose first line starts with two BOMs (two programs each added one) is one clear
problem, not 'required field empty' on every row and an unknown column '\\ufeffapplication_no'
(found by the review of round 4); whole and piece-by-piece reads alike, and an import changes
nothing."""

from __future__ import annotations

import pytest

from ipdemo.data import ledger

from .conftest import VALID_ROWS, make_project, snapshot, write_ledger


def doubled(tmp_path):
    project = make_project(tmp_path / "proj")
    path = project / "data" / "patents.csv"
    write_ledger(path, [VALID_ROWS["patents"]])
    path.write_bytes(ledger.BOM + path.read_bytes())  # write_ledger wrote one: now two
    return project


def test_a_doubled_bom_is_one_problem(invoke, tmp_path):
    project = doubled(tmp_path)
    result = invoke(["validate"], cwd=project)
    assert result.exit_code == 1 and "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if "patents.csv" in line]
    assert len(lines) == 1, lines
    assert "两个 UTF-8 字节顺序标记" in lines[0] and "另存为" in lines[0]
    english = invoke(["validate", "--lang", "en"], cwd=project)
    assert "starts with two UTF-8 byte order marks" in english.stdout


@pytest.mark.parametrize("pieces", [False, True])
def test_the_report_says_it_once_whole_or_piece_by_piece(invoke, tmp_path, monkeypatch, cached, pieces):
    if pieces:
        monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
        monkeypatch.setattr(ledger, "STREAM_PIECE", 1 << 16)
    result = invoke(["report"], cwd=doubled(tmp_path))
    assert result.stderr.count("两个 UTF-8 字节顺序标记") == 1, result.stderr
    assert "必填" not in result.stderr


def test_an_import_into_it_changes_nothing(invoke, tmp_path):
    project = doubled(tmp_path)
    (project / "in.csv").write_text("申请号,发明名称,申请人,所属区镇,专利类型,申请日\n", encoding="utf-8")
    before = snapshot(project / "data")
    result = invoke(["import", "in.csv"], cwd=project)
    assert result.exit_code == 1, result.stdout
    assert "两个 UTF-8 字节顺序标记" in result.stderr
    assert snapshot(project / "data") == before
