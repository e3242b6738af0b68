"""`ipdemo summary`, HTML charts, and the files for data repositories (init, CI, pre-commit)."""

import json
import re
import subprocess
import tempfile
from datetime import date
from xml.etree import ElementTree as ET

import pytest
import yaml

from ipdemo.engine.summary import default_week, parse_week, week_ending
from ipdemo.plan.model import load_plan

from .browser import chromium, chromium_flags, needs_chromium
from .conftest import ROOT, VALID_ROWS, make_project
from .helpers import ROWS, assert_self_contained


def test_week_parsing_and_defaults():
    plan = load_plan(ROOT / "targets.yaml")
    week = parse_week("2023-W39")
    assert (week.start, week.end) == (date(2023, 9, 25), date(2023, 10, 1))
    assert default_week(plan, date(2026, 11, 25)).label == "2023-W52"  # capped to the plan end
    assert default_week(plan, date(2022, 3, 9)).label == "2022-W09"  # the last complete week
    assert default_week(plan, date(2020, 1, 1)).label == "2021-W22"  # before the plan: its first week
    assert week_ending(date(2022, 3, 9)).start == date(2022, 3, 3)


@pytest.mark.parametrize("fmt", ["markdown", "text", "html"])
def test_same_data_same_bytes(invoke, shipped, fmt):
    first = invoke(["summary", "--week", "2023-W39", "--format", fmt], cwd=shipped)
    second = invoke(["summary", "--week", "2023-W39", "--format", fmt], cwd=shipped)
    assert first.exit_code == 0 and first.stdout == second.stdout and len(first.stdout) > 500


def test_summary_content(invoke, tmp_path):
    root = make_project(tmp_path / "p", ROWS)
    text = invoke(["summary", "--week", "2022-W17", "--lang", "en"], cwd=root).stdout  # 2022-04-25 .. 05-01
    assert text.startswith("# IP weekly summary (2022-04-25 to 2022-05-01)")  # the week once
    # The 4·26 campaign is the one record of the week.
    records = text.split("## Records this week")[1].split("##")[0]
    assert re.search(r"\| Events\s+\|\s+1 \|", records)
    movement = text.split("## Movement")[1].split("##")[0]
    assert re.search(r"\| Plaza IP campaigns\s+\|\s+1 \|\s+2 \|\s+1 \|", movement)  # names, not ids
    assert "plaza_promotions" not in movement
    assert "## Stale ledgers" in text and "never" in text
    assert text.split("## Data problems")[1].split("##")[0].strip() == "- none"  # no line of zeros


def test_imports_of_the_week_come_from_the_journal(invoke, tmp_path):
    root = make_project(tmp_path / "p", {"patents": [VALID_ROWS["patents"]]})
    src = root / "in.csv"
    src.write_text("申请号,授权公告日\n202110182616.5,2023-03-01\n", encoding="utf-8")
    assert invoke(["import", str(src), "--ledger", "patents"], cwd=root).exit_code == 0
    today = date.today().isoformat()
    text = invoke(["summary", "--as-of", today, "--lang", "en"], cwd=root).stdout
    imports = text.split("## Appendix: imports this week")[1]  # the ledger keeper's part, at the end
    assert "in.csv" in imports and "Patents" in imports  # the ledger by its name


def test_summary_bad_options(invoke, shipped):
    assert invoke(["summary", "--week", "2023-39"], cwd=shipped).exit_code == 2
    assert invoke(["summary", "--week", "2023-W39", "--as-of", "2023-09-30"], cwd=shipped).exit_code == 2
    assert invoke(["summary", "--as-of", "2020-01-01"], cwd=shipped).exit_code == 2


def test_html_escapes_ledger_text(invoke, tmp_path):
    rows = {
        **ROWS,
        "outputs": ROWS["outputs"]
        + [
            {
                **VALID_ROWS["outputs"],
                "output_id": "X1",
                "kind": "agency_branch",
                "title": "<script>alert(1)</script>",
                "achieved_on": "2022-04-27",
            }
        ],
    }
    root = make_project(tmp_path / "p", rows)
    bad = root / "data" / "patents.csv"
    bad.write_text(
        bad.read_text(encoding="utf-8-sig").replace("一种光纤预制棒的制备方法", "<script>alert(1)</script>", 1),
        encoding="utf-8-sig",
    )
    # An invalid row's text reaches the page through the data-problems section.
    bad.write_text(bad.read_text(encoding="utf-8-sig") + "<b>x</b>,<script>alert(2)</script>\n", encoding="utf-8-sig")
    html = invoke(["summary", "--week", "2022-W17", "--format", "html"], cwd=root).stdout
    assert "<script>" not in html and "<b>x</b>" not in html
    assert_self_contained(html)


def test_html_charts_present(invoke, shipped):
    html = invoke(["report", "--phase", "2", "--format", "html"], cwd=shipped).stdout
    ids = re.findall(r'<figure id="([^"]+)">', html)
    assert "burnup-patent_applications" in ids and "towns" in ids and "annual-plaza_promotions" in ids
    assert html.count("<svg") == len(ids) == 15  # 12 burn-ups, towns, 2 annual
    assert "专利申请量" in html.split('id="burnup-patent_applications"')[1].split("</figure>")[0]  # text kept as text


@needs_chromium
def test_html_renders_in_a_browser_with_charts_not_blank(invoke, shipped, tmp_path):
    from PIL import Image

    page = tmp_path / "summary.html"
    assert (
        invoke(["summary", "--week", "2023-W39", "--format", "html", "--output", str(page)], cwd=shipped).exit_code == 0
    )
    profile = tempfile.mkdtemp()
    flags = chromium_flags(profile)
    dom = subprocess.run([chromium(), *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0 and dom.stdout.count("<svg") == 15 and "本周新增记录" in dom.stdout
    shot = tmp_path / "shot.png"
    subprocess.run(
        [chromium(), *flags, "--window-size=1300,8000", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    image = Image.open(shot).convert("L")
    # The chart area (below the tables) is not blank: many distinct grey levels, plenty of ink.
    lower = image.crop((0, 3000, 1300, 6000))
    histogram = lower.histogram()
    ink = sum(histogram[:200])
    assert len([h for h in histogram if h]) > 20 and ink > 10_000


def test_pre_commit_hook_points_at_a_real_command():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "ipdemo-validate")
    scripts = __import__("tomllib").loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    program, *args = hook["entry"].split()
    assert program in scripts and args == ["validate"] and hook["pass_filenames"] is False
    assert re.match(hook["files"], "data/patents.csv") and re.match(hook["files"], "targets.yaml")


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_files_are_valid_yaml_and_run_validate(name):
    text = (ROOT / "docs" / "ci" / name).read_text(encoding="utf-8")
    assert yaml.safe_load(text) and "ipdemo validate --format" in text
    packaged = ROOT / "src" / "ipdemo" / "templates" / "project" / name
    assert packaged.read_text(encoding="utf-8") == text  # init ships the same file


def test_packaged_plan_is_the_shipped_plan():
    assert (ROOT / "src" / "ipdemo" / "templates" / "targets.yaml").read_bytes() == (ROOT / "targets.yaml").read_bytes()


def test_systemd_and_cron_run_summary():
    assert "OnCalendar=Mon" in (ROOT / "docs" / "ci" / "ipdemo-summary.timer").read_text(encoding="utf-8")
    assert "ipdemo summary" in (ROOT / "docs" / "ci" / "ipdemo-summary.service").read_text(encoding="utf-8")
    cron = [
        line
        for line in (ROOT / "docs" / "ci" / "crontab").read_text(encoding="utf-8").splitlines()
        if line and line[0] != "#"
    ]
    assert len(cron) == 1 and cron[0].split()[:5] == ["0", "8", "*", "*", "1"] and "ipdemo summary" in cron[0]


def test_init_creates_a_valid_project(invoke, tmp_path):
    target = tmp_path / "new"
    result = invoke(["init", str(target)])
    assert result.exit_code == 0
    for name in (
        "targets.yaml",
        "data/patents.csv",
        ".github/workflows/ipdemo.yml",
        ".gitlab-ci.yml",
        ".pre-commit-config.yaml",
        ".gitignore",
    ):
        assert (target / name).exists(), name
    assert (target / "data" / "patents.csv").read_bytes().startswith(b"\xef\xbb\xbfapplication_no,")
    assert invoke(["validate"], cwd=target).exit_code == 0
    report = json.loads(invoke(["report", "--format", "json"], cwd=target).stdout)
    assert all(i["actual"] in (0, None) for i in report["indicators"] if i["kind"] != "trend")
    again = invoke(["init", str(target)])
    assert again.exit_code == 2 and "Traceback" not in again.stderr


def test_init_creates_the_evidence_folder_the_archive_reads(invoke, tmp_path):
    """The archive copies evidence only from the plan's evidence folders: a new project has them,
    so a file put there and named in a task-progress row is archived, not reported missing."""
    import zipfile

    target = tmp_path / "new"
    assert invoke(["init", str(target)]).exit_code == 0
    folder = target / "佐证材料"
    assert folder.is_dir() and (folder / ".gitkeep").exists()
    (folder / "方案.pdf").write_bytes(b"%PDF-1.4 evidence")
    sheet = tmp_path / "任务进展.csv"
    sheet.write_text(
        "任务编号,报送日期,进展状态,工作进展,佐证材料\nt3_1_1,2023-09-01,推进中,印发方案,佐证材料/方案.pdf\n",
        encoding="utf-8",
    )
    assert invoke(["import", str(sheet)], cwd=target).exit_code == 0
    out = tmp_path / "归档.zip"
    result = invoke(["archive", str(out), "--as-of", "2023-12-31"], cwd=target)
    assert result.exit_code == 0, result.stderr
    names = zipfile.ZipFile(out).namelist()
    assert any(name.endswith("方案.pdf") for name in names), names


def test_init_writes_its_readme_in_the_asked_language_naming_the_plan(invoke, tmp_path):
    other = ROOT / "tests" / "fixtures" / "other_plan" / "targets.yaml"
    plan = load_plan(other)
    assert invoke(["init", str(tmp_path / "zh"), "--plan", str(other)]).exit_code == 0
    assert invoke(["init", str(tmp_path / "en"), "--plan", str(other), "--lang", "en"]).exit_code == 0
    zh = (tmp_path / "zh" / "README.md").read_text(encoding="utf-8")
    en = (tmp_path / "en" / "README.md").read_text(encoding="utf-8")
    assert zh.startswith(f"# {plan.plan.name} — 数据仓库") and plan.words("zh").areas in zh
    assert en.startswith(f"# {plan.plan.name_en or plan.plan.name} — data repository")
    assert plan.words("en").areas in en and not any("\u4e00" <= c <= "\u9fff" for c in en)


def test_junit_has_a_testcase_per_ledger_and_check(invoke, tmp_path):
    root = make_project(tmp_path / "p", {"patents": [{**VALID_ROWS["patents"], "title": "", "town": "某镇"}]})
    xml = ET.fromstring(invoke(["validate", "--format", "junit"], cwd=root).stdout)
    suites = {s.get("name"): s for s in xml.iter("testsuite")}
    assert len(suites) == 13  # targets.yaml + 12 ledgers (10 + task progress + the enterprise register)
    cases = {c.get("name") for c in suites["data/patents.csv"].iter("testcase")}
    assert cases == {"required", "unknown_town"}


def test_as_of_week_is_labelled_by_its_dates_when_it_spans_two_iso_weeks():
    week = week_ending(date(2024, 12, 31))  # a Tuesday: 12-25..12-31 is not ISO week 2025-W01
    assert week.label == "2024-12-25..2024-12-31"
    assert week_ending(date(2023, 10, 1)).label == "2023-W39"  # a Sunday: exactly one ISO week
    assert parse_week("2025-W01").label == "2025-W01"


def test_counts_are_worded_in_the_singular_when_there_is_one(invoke, tmp_path):
    rows = {"patents": [dict(VALID_ROWS["patents"], filed_on="2021-13-01")]}
    root = make_project(tmp_path / "p", rows)
    result = invoke(["validate", "--lang", "en"], cwd=root)
    assert "invalid: 1 error, " in result.stderr and "1 errors" not in result.stderr


def test_init_starts_from_another_plan(invoke, tmp_path):
    other = ROOT / "tests" / "fixtures" / "other_plan" / "targets.yaml"
    result = invoke(["init", str(tmp_path / "city"), "--plan", str(other)])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "city" / "targets.yaml").read_bytes() == other.read_bytes()
    plan = load_plan(tmp_path / "city" / "targets.yaml")
    assert all(plan.ledger_path(name).exists() for name in plan.ledgers)
    assert invoke(["validate"], cwd=tmp_path / "city").exit_code == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("plan: {}\n", encoding="utf-8")
    assert invoke(["init", str(tmp_path / "x"), "--plan", str(broken)]).exit_code == 1
    assert not (tmp_path / "x").exists()  # nothing written for a plan that does not load


def test_a_burn_up_before_the_plan_starts_is_empty_and_on_the_start_day_one_point(tmp_path):
    from ipdemo.engine.dataset import load_dataset
    from ipdemo.engine.summary import burn_up

    root = make_project(tmp_path / "p", ROWS)
    plan = load_plan(root / "targets.yaml")
    data = load_dataset(plan)
    assert burn_up(plan, data, "patent_applications", date(2021, 5, 31)) == ([], [])
    days, values = burn_up(plan, data, "patent_applications", date(2021, 6, 1))
    assert days == [date(2021, 6, 1)] and values == [1]  # ROWS: one application filed on the first day
