"""Each command's JSON is the library call's result, no more, no less (as frictionless tests it).

The command line parses, calls the library and writes: so for each command with a JSON output,
the same call made from Python on a twin of the project gives the very object the command
printed. One shared fixture builds the twins (the command runs in one, the library in the other,
so an import that writes cannot feed the comparison); one parametrised test compares.

    validate --format json      checks.validate.validate_project(...).as_dict(lang)
    import FILE --format json   ingest.importer.import_files(...) → ImportResult.as_dict(lang, personal)
    indicators --format json    {"indicators": render.listing.indicators_json(plan)}
    towns --format json         {"towns": render.listing.towns_json(plan)}

`summary` has no JSON (markdown, text, html); `report`'s formats are tested with the formats
registry.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ipdemo.checks.validate import validate_project
from ipdemo.ingest.importer import Options, import_files
from ipdemo.plan.model import Plan, load_plan
from ipdemo.render import listing

from .conftest import VALID_ROWS, make_project

# A lead unit's task-progress sheet: one evidence value the archive refuses (the secrets file),
# one missing file, one document reference. The import keeps the cells as written and warns.
SHEET = (
    "任务编号,报送日期,进展状态,工作进展,佐证材料\n"
    "t3_1_1,2023-09-01,推进中,a,.ipdemo-secrets.toml\n"
    "t3_1_2,2023-09-02,推进中,b,佐证材料/缺失.pdf\n"
    "t3_1_3,2023-09-03,已完成,c,吴政办〔2021〕67号\n"
)


def _personal(plan: Plan, ledger: str) -> tuple[str, ...]:
    return tuple(f for f, spec in plan.ledgers[ledger].fields.items() if spec.personal)


def _import(plan: Plan, lang: str) -> object:
    results = import_files(plan, [Path("进展.csv")], Options(lang=lang))
    payload = [r.as_dict(lang, _personal(plan, r.ledger)) for r in results]
    return payload[0] if len(payload) == 1 else payload


@dataclass(frozen=True)
class Case:
    argv: list[str]
    library: Callable[[Plan, str], object]  # the library call on the plan of the folder it runs in


CASES = {
    "validate": Case(["validate"], lambda plan, lang: validate_project(plan.source).as_dict(lang)),
    "import": Case(["import", "进展.csv"], _import),
    "indicators": Case(["indicators"], lambda plan, lang: {"indicators": listing.indicators_json(plan)}),
    "towns": Case(["towns"], lambda plan, lang: {"towns": listing.towns_json(plan)}),
}


@pytest.fixture
def twins(tmp_path: Path) -> tuple[Path, Path]:
    """Two identical projects: evidence the archive refuses already stored, and a sheet to import."""
    rows = {k: [v] for k, v in VALID_ROWS.items()}
    rows["outputs"] = [{**VALID_ROWS["outputs"], "evidence": "佐证材料/缺失.pdf"}]
    first = make_project(tmp_path / "command", rows)
    (first / ".ipdemo-secrets.toml").write_text("", encoding="utf-8")
    (first / "进展.csv").write_text(SHEET, encoding="utf-8")
    second = tmp_path / "library"
    shutil.copytree(first, second)
    return first, second


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("command", list(CASES))
def test_the_command_prints_the_library_result(invoke, twins, monkeypatch, command, lang):
    case = CASES[command]
    by_command, by_library = twins
    printed = invoke([*case.argv, "--format", "json", "--lang", lang], cwd=by_command)
    monkeypatch.chdir(by_library)  # file names in the result are shown relative to the folder
    expected = case.library(load_plan(Path("targets.yaml")), lang)
    assert json.loads(printed.stdout) == json.loads(json.dumps(expected, ensure_ascii=False, default=str))


def test_the_import_comparison_holds_its_warnings(invoke, twins):
    """The import case compares something: the sheet writes three records and the library's
    result carries the evidence warnings (one refused, one missing; a reference is fine)."""
    by_command, _ = twins
    printed = json.loads(invoke(["import", "进展.csv", "--format", "json"], cwd=by_command).stdout)
    assert printed["added"] == 3 and printed["written"] is True
    codes = [(w["line"], w["code"]) for w in printed["warnings"] if w["field"] == "evidence"]
    assert codes == [(3, "evidence_protected"), (4, "evidence_missing")]  # line 2: the stored row
