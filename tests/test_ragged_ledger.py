"""A ledger with a ragged row (a hand edit left a line with too many or too few fields) is never
rewritten by an import: the read leaves that row out, so a rewrite would lose it. The import
stops with the file, the line and what to do; the ledger's bytes stay as they were."""

from __future__ import annotations

import pytest

from .conftest import VALID_ROWS, make_project
from .helpers import export


@pytest.fixture
def ragged(tmp_path):
    proj = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    ledger = proj / "data" / "patents.csv"
    with open(ledger, "a", encoding="utf-8", newline="") as fh:
        fh.write("202110182617.3,一种手工补录的装置,某公司\r\n")  # a hand-added line, three fields
    return proj, ledger


@pytest.mark.parametrize(
    "row",
    [
        ["2024101826169", "一种新装置", "苏州某某有限公司", "2024/1/5", "发明", "", "盛泽"],  # a new record only
        [
            "202110182616.5",
            "一种光纤预制棒的制备方法",
            "吴江恒通光电科技有限公司",
            "2021-06-10",
            "发明",
            "2022-08-01",
            "吴江开发区",
        ],
    ],
    ids=["new", "update"],
)
def test_an_import_into_a_ledger_with_a_ragged_row_writes_nothing(invoke, ragged, row):
    proj, ledger = ragged
    before = ledger.read_bytes()
    result = invoke(["import", str(export(proj / "专利导出.csv", [row]))], cwd=proj)
    assert result.exit_code == 1
    assert "patents.csv" in result.stderr and "第 3 行" in result.stderr and "字段" in result.stderr
    assert "Traceback" not in result.stderr
    assert ledger.read_bytes() == before  # the hand-added line is still there, nothing else changed
