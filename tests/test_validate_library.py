"""`ipdemo validate --format json` prints the library call's result, no more, no less.

The validate command's rule set (plan, ledgers, evidence) lives in checks/validate.py
(`validate_project`); the command line only chooses the format and the exit code. The library
call here checks every ledger now, the command through the engine's cache: both say the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ipdemo.checks.validate import validate_project
from ipdemo.errors import PlanError

from .conftest import ROOT, VALID_ROWS, make_project


def _same(invoke, folder: Path, monkeypatch, lang: str = "en") -> dict:
    result = invoke(["validate", "--format", "json", "--lang", lang], cwd=folder)
    monkeypatch.chdir(folder)
    library = validate_project(Path("targets.yaml"))
    assert json.loads(result.stdout) == json.loads(json.dumps(library.as_dict(lang), default=str))
    assert result.exit_code == (1 if library.errors else 0)
    return library.as_dict(lang)


def test_errors_and_warnings_of_ledgers_and_evidence(invoke, tmp_path, monkeypatch):
    rows = {k: [v] for k, v in VALID_ROWS.items()}
    bad = {**VALID_ROWS["patents"], "application_no": "202110182616.4", "granted_on": "2021-01-01"}
    rows["patents"] = [VALID_ROWS["patents"], bad]
    rows["outputs"] = [{**VALID_ROWS["outputs"], "evidence": "佐证材料/缺失.pdf"}]
    folder = make_project(tmp_path / "p", rows)
    found = _same(invoke, folder, monkeypatch)
    assert {e["code"] for e in found["errors"]} >= {"cnipa_check", "not_before"}
    assert "evidence_missing" in {w["code"] for w in found["warnings"]}
    _same(invoke, folder, monkeypatch, "zh")  # and again: the command now reads the cache


def test_shipped_data(invoke, tmp_path, monkeypatch):
    shutil.copy(ROOT / "targets.yaml", tmp_path / "targets.yaml")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    assert _same(invoke, tmp_path, monkeypatch)["valid"] is True


def test_a_plan_with_problems(invoke, project, monkeypatch):
    plan = project / "targets.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace("rule: not_before", "rule: later_than"), encoding="utf-8")
    found = _same(invoke, project, monkeypatch)
    assert found["valid"] is False and found["errors"]


def test_a_data_folder_that_is_a_file(invoke, project, monkeypatch):
    shutil.rmtree(project / "data")
    (project / "data").write_text("", encoding="utf-8")
    found = _same(invoke, project, monkeypatch)
    assert [e["code"] for e in found["errors"]] == ["data_dir_not_folder"]


def test_a_plan_that_cannot_be_read_is_raised(tmp_path):
    with pytest.raises(PlanError):
        validate_project(tmp_path / "targets.yaml")
