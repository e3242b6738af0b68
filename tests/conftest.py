"""Shared fixtures: small projects built from the shipped targets.yaml, and a CLI runner."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ipdemo.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

ADDRESS = "江苏省苏州市吴江区吴江经济技术开发区长安路88号"

# One valid row per ledger (real identifiers where the issue names them), every column of the
# shipped plan present (optional ones may be empty), so a project validates without warnings.
VALID_ROWS: dict[str, dict[str, str]] = {
    "patents": {
        "application_no": "202110182616.5",
        "title": "一种光纤预制棒的制备方法",
        "applicant": "吴江恒通光电科技有限公司",
        "applicant_address": ADDRESS,
        "town": "吴江开发区",
        "type": "invention",
        "filed_on": "2021-06-10",
        "granted_on": "2022-08-01",
        "legal_status": "",
        "status_on": "",
    },
    "software_copyrights": {
        "registration_no": "2021SR0805085",
        "title": "光缆生产管理系统V1.0",
        "owner": "吴江恒通光电科技有限公司",
        "town": "吴江开发区",
        "registered_on": "2021-07-01",
    },
    "trademarks": {
        "application_no": "56781234",
        "mark": "恒通",
        "applicant": "吴江恒通光电科技有限公司",
        "applicant_address": ADDRESS,
        "town": "平望镇",
        "nice_class": "9",
        "filed_on": "2021-07-01",
        "registered_on": "",
        "expires_on": "",
        "status": "",
    },
    "enterprise_programs": {
        "credit_code": "91320509MA1MK3YW4P",
        "program": "standardization",
        "enterprise": "吴江恒通光电科技有限公司",
        "town": "吴江开发区",
        "started_on": "2021-09-01",
    },
    "pledge_loans": {
        "contract_no": "WJZY2021-0001",
        "enterprise": "吴江恒通光电科技有限公司",
        "credit_code": "913205096829757874",
        "town": "吴江开发区",
        "lender": "吴江农村商业银行",
        "amount": "500",
        "issued_on": "2021-08-01",
        "pledge_no": "",
        "collateral": "",
        "pledged_rights": "",
        "due_on": "",
        "first_loan": "",
    },
    "industrialization_projects": {
        "project_id": "CYH-001",
        "name": "光纤预制棒产业化",
        "enterprise": "吴江恒通光电科技有限公司",
        "town": "吴江开发区",
        "application_no": "201710601862.3",
        "approved_on": "2021-10-01",
    },
    "events": {
        "event_id": "HD-001",
        "kind": "plaza_promotion",
        "title": "4·26广场宣传",
        "town": "震泽镇",
        "held_on": "2022-04-26",
        "participants": "300",
    },
    "trainees": {
        "trainee_id": "PX0001",
        "name": "王伟",
        "employer": "吴江恒通光电科技有限公司",
        "town": "七都镇",
        "role": "engineer",
        "trained_on": "2022-05-01",
        "phone": "",
    },
    "insurance_policies": {
        "policy_no": "PZ001",
        "enterprise": "吴江恒通光电科技有限公司",
        "credit_code": "91320509MA1MK3YW4P",
        "town": "桃源镇",
        "insurer": "人保",
        "kind": "专利执行保险",
        "issued_on": "2022-03-01",
        "coverage": "100",
        "premium": "",
        "ends_on": "",
        "patents_insured": "",
        "subsidy": "",
    },
    "outputs": {
        "output_id": "CG001",
        "kind": "leading_group",
        "title": "成立领导小组",
        "town": "",
        "level": "district",
        "achieved_on": "2021-06-25",
        "evidence": "文件",
    },
    "task_progress": {
        "task": "t5_1",
        "reported_on": "2021-06-25",
        "status": "done",
        "done": "成立领导小组",
        "evidence": "吴政办〔2021〕67号",
        "town": "",
    },
    "organisations": {
        "name": "吴江恒通光电科技有限公司",
        "credit_code": "91320509MA1MK3YW4P",
        "located": "inside",
        "town": "吴江开发区",
        "address": ADDRESS,
        "former_names": "",
        "evidence": "sample",
        "seen_on": "2021-06-01",
    },
}


def write_ledger(path: Path, rows: list[dict[str, str]], fields: list[str] | None = None) -> None:
    fields = fields or list(rows[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def make_project(
    root: Path, rows: dict[str, list[dict[str, str]]] | None = None, targets: Path = ROOT / "targets.yaml"
) -> Path:
    """A project folder: targets.yaml + data/ with every ledger (the given rows, else empty)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(targets, root / "targets.yaml")
    rows = rows or {}
    for name, example in VALID_ROWS.items():
        write_ledger(root / "data" / f"{name}.csv", rows.get(name, []), list(example))
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with one valid row in every ledger."""
    return make_project(tmp_path / "proj", {k: [v] for k, v in VALID_ROWS.items()})


@pytest.fixture(scope="session")
def shipped(tmp_path_factory) -> Path:
    """A copy of the shipped plan and synthetic data."""
    root = tmp_path_factory.mktemp("shipped")
    shutil.copy(ROOT / "targets.yaml", root / "targets.yaml")
    shutil.copytree(ROOT / "data", root / "data")
    return root


@pytest.fixture
def cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ledger cache folder of the test's own, the cache switched on: shared by every cache test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(folder))
    monkeypatch.delenv("IPDEMO_NO_CACHE", raising=False)
    return folder


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def invoke(runner: CliRunner, monkeypatch: pytest.MonkeyPatch):
    """Run the CLI inside a folder; returns the click Result (stdout and stderr separate)."""

    def run(args: list[str], cwd: Path | None = None):
        if cwd is not None:
            monkeypatch.chdir(cwd)
        return runner.invoke(app, args, catch_exceptions=False)

    return run


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes under a folder: to prove a failed command changed nothing.

    The empty lock file is left out: it carries no data, and removing a flock file is racy."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".ipdemo.lock"
    }


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Tests never read or write the user's ledger cache."""
    import os

    os.environ["IPDEMO_CACHE_DIR"] = str(tmp_path_factory.mktemp("ipdemo-cache"))
