"""The enterprise register is read only when a row needs it (importer.LazyRegister): a weekly
export whose every row names its town does not read the register's ledger; a row without a town
is still placed by it. Both through the command the user types (`ipdemo import FILE`)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ipdemo.ingest import importer

from .conftest import make_project
from .helpers import cn

HEADER = ["申请号", "发明名称", "申请人", "所属区镇", "专利类型", "申请日"]


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The names of the plans whose register was read, in order."""
    seen: list[str] = []
    real = importer.load_register

    def counted(plan):
        seen.append(plan.placement.register_ledger)
        return real(plan)

    monkeypatch.setattr(importer, "load_register", counted)
    return seen


def export(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "专利清单_20231130.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


def project_with_register(tmp_path: Path) -> Path:
    root = make_project(tmp_path / "p")
    register = root / "data" / "organisations.csv"
    with open(register, encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    row = {"name": "苏州登记簿测试科技有限公司", "located": "inside", "town": "平望镇", "seen_on": "2023-01-05"}
    with open(register, "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow([row.get(h, "") for h in header])
    return root


def test_every_row_with_its_town_does_not_read_the_register(tmp_path, invoke, reads):
    root = project_with_register(tmp_path)
    rows = [[cn("202310000001"), "一种装置", "吴江某某科技有限公司", "平望镇", "发明", "2023-05-01"]]
    result = invoke(["import", str(export(root, rows)), "--format", "json"], cwd=root)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 1
    assert reads == []


def test_a_row_without_its_town_is_placed_by_the_register(tmp_path, invoke, reads):
    root = project_with_register(tmp_path)
    rows = [
        [cn("202310000001"), "一种装置", "吴江某某科技有限公司", "平望镇", "发明", "2023-05-01"],
        [cn("202310000002"), "一种方法", "苏州登记簿测试科技有限公司", "", "发明", "2023-05-02"],
    ]
    result = invoke(["import", str(export(root, rows))], cwd=root)
    assert result.exit_code == 0, result.stderr
    assert reads == ["organisations"]  # once, for the row that needed it
    with open(root / "data" / "patents.csv", encoding="utf-8-sig") as fh:
        towns = {r["application_no"]: r["town"] for r in csv.DictReader(fh)}
    assert towns[cn("202310000002")] == "平望镇"
