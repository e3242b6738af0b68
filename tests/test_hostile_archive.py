"""Evidence paths as a hostile sheet writes them (issue 22, items 1 and 9).

The archive copies only files under the plan's evidence folders (`plan.evidence_dirs`); never the
robots' secrets file, the repository, the ledgers, the journal, the cache, a hidden file, a file
git ignores, or a link out of the folder. Every refused value is a warning in `validate` (file,
line, field, how to fix) and a `refused` row of the manifest. Names inside the zip are safe to
extract on Windows, deterministic and unique. docs/reliability.md "Evidence and the archive"
names these tests.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT, VALID_ROWS, make_project

SECRET = "LEAKME-0123456789"
AS_OF = "2023-12-31"
WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"{d}{n}" for d in ("com", "lpt") for n in range(10))}
FIELDS = list(VALID_ROWS["task_progress"])


def progress(rows: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Task-progress entries for t3_1_1, one a day, each naming the given evidence."""
    return [
        {
            **VALID_ROWS["task_progress"],
            "task": "t3_1_1",
            "reported_on": f"2023-09-{day:02d}",
            "status": "in_progress",
            "done": done,
            "evidence": evidence,
        }
        for day, (done, evidence) in enumerate(rows, start=1)
    ]


def write_progress(root: Path, rows: list[dict[str, str]]) -> None:
    """The task-progress ledger, every value quoted (as ipdemo writes a value holding a CR)."""
    with open(root / "data" / "task_progress.csv", "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


def project(tmp_path: Path, evidence: list[str], targets: Path = ROOT / "targets.yaml") -> Path:
    """A project with a secrets file, a fake repository, and task entries naming `evidence`."""
    root = make_project(tmp_path / "proj", {k: [v] for k, v in VALID_ROWS.items()}, targets)
    write_progress(root, progress([("x", e) for e in evidence]))
    (root / ".ipdemo-secrets.toml").write_text(
        f'[wecom]\nwebhook = "https://example.invalid/send?key={SECRET}"\n', encoding="utf-8"
    )
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text(f"[remote]\nurl = https://{SECRET}@example.invalid/x\n", encoding="utf-8")
    (root / "佐证材料").mkdir()
    return root


def archive(invoke, root: Path, out: Path):
    return invoke(["archive", str(out), "--as-of", AS_OF], cwd=root)


def manifest(out: Path) -> list[dict[str, str]]:
    with zipfile.ZipFile(out) as zf:
        return list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))


def evidence_members(out: Path) -> list[str]:
    with zipfile.ZipFile(out) as zf:
        return [n for n in zf.namelist() if n.startswith("佐证材料/")]


def statuses(out: Path) -> dict[str, tuple[str, str]]:
    """evidence value → (status, reason) of the task-progress rows."""
    return {
        r["evidence"]: (r["status"], r.get("reason", ""))
        for r in manifest(out)
        if r["ledger"] == "task_progress" and r["evidence"]
    }


def no_secret_in(out: Path) -> None:
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            assert SECRET.encode() not in zf.read(name), name


def validate_warnings(invoke, root: Path) -> list[dict]:
    result = invoke(["validate", "--format", "json"], cwd=root)
    assert result.exit_code == 0, result.stdout
    return json.loads(result.stdout)["warnings"]


def windows_safe(name: str) -> None:
    """What Windows Explorer and `tar -xf` on Windows need to extract a member as it is named."""
    assert len(name) <= 200, name
    for part in name.split("/"):
        assert part not in ("", ".", ".."), name
        assert not re.search(r'[\x00-\x1f\x7f<>:"\\|?*]', part), repr(name)
        assert not part.endswith((" ", ".")), repr(name)
        assert part.split(".")[0].rstrip(" ").lower() not in WINDOWS_RESERVED, name
        assert len(part) <= 100, name


# --- item 1: only the evidence folders, never the project's own files ---------------------------


def test_the_issue_reproduction_leaks_nothing(invoke, tmp_path):
    """The issue's sheet: import as the lead unit sent it (cells kept as written), validate warns
    per value with file, line and field, the archive holds none of the files and no byte of the key."""
    root = project(tmp_path, [])
    sheet = tmp_path / "tp.csv"
    sheet.write_text(
        "任务编号,报送日期,进展状态,工作进展,佐证材料\n"
        "t3_1_1,2023-09-01,推进中,a,.ipdemo-secrets.toml\nt3_1_1,2023-09-02,推进中,b,data/trainees.csv\n"
        "t3_1_1,2023-09-03,推进中,c,.git/config\nt3_1_1,2023-09-04,推进中,d,data/journal.jsonl\n",
        encoding="utf-8",
    )
    imported = invoke(["import", str(sheet)], cwd=root)
    assert imported.exit_code == 0, imported.stderr  # a lead unit's sheet still imports, flagged:
    assert imported.stderr.count("拒绝归档") == 4 and "data/task_progress.csv:2: 佐证材料" in imported.stderr
    stored = (root / "data" / "task_progress.csv").read_text(encoding="utf-8-sig")
    for value in (".ipdemo-secrets.toml", "data/trainees.csv", ".git/config", "data/journal.jsonl"):
        assert value in stored  # the cell as written
    warnings = [w for w in validate_warnings(invoke, root) if w["field"] == "evidence"]
    assert [(w["file"], w["line"], w["code"]) for w in warnings] == [
        ("data/task_progress.csv", line, "evidence_protected") for line in (2, 3, 4, 5)
    ]
    assert all("佐证材料/" in w["message"] for w in warnings)  # how to fix: where the file belongs
    out = tmp_path / "out.zip"
    result = archive(invoke, root, out)
    assert result.exit_code == 0, result.stderr
    assert evidence_members(out) == []
    assert statuses(out) == {
        ".ipdemo-secrets.toml": ("refused", "protected"),
        "data/trainees.csv": ("refused", "protected"),
        ".git/config": ("refused", "protected"),
        "data/journal.jsonl": ("refused", "protected"),
    }
    assert "拒绝 4 条" in result.stderr and "data/task_progress.csv:2:" in result.stderr
    no_secret_in(out)
    assert SECRET not in result.stderr + result.stdout


def test_files_elsewhere_in_the_project_are_refused(invoke, tmp_path):
    values = ["targets.yaml", "评审意见.pdf", "docs/说明.pdf", "data/outputs.csv", "佐证材料/评审意见.pdf"]
    root = project(tmp_path, values)
    (root / "评审意见.pdf").write_bytes(b"at the top")
    (root / "docs").mkdir()
    (root / "docs" / "说明.pdf").write_bytes(b"elsewhere")
    (root / "佐证材料" / "评审意见.pdf").write_bytes(b"%PDF review")
    out = tmp_path / "out.zip"
    assert archive(invoke, root, out).exit_code == 0
    assert statuses(out) == {
        "targets.yaml": ("refused", "protected"),
        "评审意见.pdf": ("refused", "not_in_folder"),
        "docs/说明.pdf": ("refused", "not_in_folder"),
        "data/outputs.csv": ("refused", "protected"),
        "佐证材料/评审意见.pdf": ("file", ""),
    }
    assert evidence_members(out) == ["佐证材料/三（一）一是/佐证材料/评审意见.pdf"]
    codes = {w["line"]: w["code"] for w in validate_warnings(invoke, root) if w["field"] == "evidence"}
    assert codes == {
        2: "evidence_protected",
        3: "evidence_not_in_folder",
        4: "evidence_not_in_folder",
        5: "evidence_protected",
    }


def test_the_plan_names_its_evidence_folders(invoke, tmp_path):
    """`plan.evidence_dirs` replaces the shipped 佐证材料; a plan without the key uses evidence/."""
    text = (ROOT / "targets.yaml").read_text(encoding="utf-8")
    named = tmp_path / "named.yaml"
    named.write_text(text.replace("evidence_dirs: [佐证材料]", "evidence_dirs: [材料/佐证, 附件]"), encoding="utf-8")
    root = project(tmp_path, ["材料/佐证/a.pdf", "附件/b.pdf", "佐证材料/c.pdf", "材料/d.pdf"], named)
    for rel in ("材料/佐证/a.pdf", "附件/b.pdf", "佐证材料/c.pdf", "材料/d.pdf"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(rel.encode())
    out = tmp_path / "out.zip"
    assert archive(invoke, root, out).exit_code == 0
    assert statuses(out) == {
        "材料/佐证/a.pdf": ("file", ""),
        "附件/b.pdf": ("file", ""),
        "佐证材料/c.pdf": ("refused", "not_in_folder"),
        "材料/d.pdf": ("refused", "not_in_folder"),
    }
    default = tmp_path / "default.yaml"
    default.write_text(re.sub(r"\n  evidence_dirs:[^\n]*", "", text), encoding="utf-8")
    root = project(tmp_path / "d", ["evidence/a.pdf", "佐证材料/a.pdf"], default)
    (root / "evidence").mkdir()
    (root / "evidence" / "a.pdf").write_bytes(b"a")
    (root / "佐证材料" / "a.pdf").write_bytes(b"a")
    assert archive(invoke, root, out).exit_code == 0
    assert statuses(out) == {"evidence/a.pdf": ("file", ""), "佐证材料/a.pdf": ("refused", "not_in_folder")}


@pytest.mark.parametrize("folder", ["..", "../共享/佐证", "/srv/佐证", ".", ".git", "C:\\佐证", "佐证/../.."])
def test_an_evidence_folder_outside_the_project_is_a_plan_error(invoke, tmp_path, folder):
    text = (ROOT / "targets.yaml").read_text(encoding="utf-8")
    root = make_project(tmp_path / "p")
    (root / "targets.yaml").write_text(
        text.replace("evidence_dirs: [佐证材料]", f"evidence_dirs: [{json.dumps(folder)}]"), encoding="utf-8"
    )
    result = invoke(["validate"], cwd=root)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    out = result.stdout + result.stderr
    assert "targets.yaml:17" in out and "佐证材料文件夹" in out and "plan.evidence_dirs" in out, out


def test_hidden_files_and_the_cache_in_the_folder_are_refused(invoke, tmp_path, monkeypatch):
    root = project(tmp_path, ["佐证材料/.env", "佐证材料/.git/config"])
    (root / "佐证材料" / ".env").write_text(f"IPDEMO_WECOM_WEBHOOK=https://x/?key={SECRET}\n", encoding="utf-8")
    (root / "佐证材料" / ".git").mkdir()
    (root / "佐证材料" / ".git" / "config").write_text(SECRET, encoding="utf-8")
    cache = root / "佐证材料" / "cache"
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(cache))
    assert invoke(["validate"], cwd=root).exit_code == 0  # fills the cache
    cached = sorted(p.relative_to(root).as_posix() for p in cache.rglob("*") if p.is_file())
    assert cached
    write_progress(root, progress([("x", "佐证材料/.env"), ("y", "佐证材料/.git/config"), ("z", cached[0])]))
    out = tmp_path / "out.zip"
    assert archive(invoke, root, out).exit_code == 0
    assert evidence_members(out) == []
    assert statuses(out) == {
        "佐证材料/.env": ("refused", "protected"),
        "佐证材料/.git/config": ("refused", "protected"),
        cached[0]: ("refused", "protected"),
    }
    no_secret_in(out)


def test_links_out_of_the_folder_are_refused(invoke, tmp_path):
    """A symlink (to the secrets file, to a folder outside, to a ledger) or a hard link to the
    secrets file, placed in the evidence folder, is refused; a link within the folder is fine."""
    root = project(
        tmp_path,
        [
            "佐证材料/key.pdf",
            "佐证材料/外/x.pdf",
            "佐证材料/名单.csv",
            "佐证材料/hard.pdf",
            "佐证材料/同.pdf",
            "佐证材料/loop/x.pdf",
        ],
    )
    folder = root / "佐证材料"
    (folder / "key.pdf").symlink_to(root / ".ipdemo-secrets.toml")
    (tmp_path / "外").mkdir()
    (tmp_path / "外" / "x.pdf").write_bytes(SECRET.encode())
    (folder / "外").symlink_to(tmp_path / "外")
    (folder / "名单.csv").symlink_to(root / "data" / "trainees.csv")
    os.link(root / ".ipdemo-secrets.toml", folder / "hard.pdf")
    (folder / "真.pdf").write_bytes(b"real")
    (folder / "同.pdf").symlink_to(folder / "真.pdf")
    (folder / "loop").symlink_to(folder / "loop")
    out = tmp_path / "out.zip"
    result = archive(invoke, root, out)
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    assert statuses(out) == {
        "佐证材料/key.pdf": ("refused", "symlink"),
        "佐证材料/外/x.pdf": ("refused", "symlink"),
        "佐证材料/名单.csv": ("refused", "symlink"),
        "佐证材料/hard.pdf": ("refused", "protected"),
        "佐证材料/同.pdf": ("file", ""),
        "佐证材料/loop/x.pdf": ("refused", "symlink"),
    }
    assert evidence_members(out) == ["佐证材料/三（一）一是/佐证材料/同.pdf"]
    no_secret_in(out)
    codes = [w["code"] for w in validate_warnings(invoke, root) if w["field"] == "evidence"]
    assert codes == ["evidence_symlink"] * 3 + ["evidence_protected", "evidence_symlink"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_files_git_ignores_are_refused_and_git_is_not_required(invoke, tmp_path, monkeypatch):
    root = project(tmp_path, ["佐证材料/私人/身份证.pdf", "佐证材料/公开.pdf"])
    shutil.rmtree(root / ".git")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".gitignore").write_text("佐证材料/私人/\n", encoding="utf-8")
    (root / "佐证材料" / "私人").mkdir()
    (root / "佐证材料" / "私人" / "身份证.pdf").write_bytes(b"id card")
    (root / "佐证材料" / "公开.pdf").write_bytes(b"public")
    out = tmp_path / "out.zip"
    assert archive(invoke, root, out).exit_code == 0
    assert statuses(out) == {"佐证材料/私人/身份证.pdf": ("refused", "ignored"), "佐证材料/公开.pdf": ("file", "")}
    assert [w["code"] for w in validate_warnings(invoke, root) if w["field"] == "evidence"] == ["evidence_ignored"]
    monkeypatch.setenv("PATH", str(tmp_path / "no-git-here"))  # without git: nothing is ignored, no failure
    assert archive(invoke, root, out).exit_code == 0
    assert statuses(out)["佐证材料/私人/身份证.pdf"] == ("file", "")


# --- zip slip -----------------------------------------------------------------------------------

SLIPS = [
    "../外面.pdf",
    "佐证材料/../../外面.pdf",
    "佐证材料\\..\\..\\外面.pdf",
    "/etc/passwd",
    "C:\\外面.pdf",
    "C:外面.pdf",
    "\\\\server\\share\\外面.pdf",
    "//server/share/外面.pdf",
    "\\外面.pdf",
    "佐证材料/../.ipdemo-secrets.toml",
    "佐证材料/./../data/trainees.csv",
]


def test_zip_slip_names_are_refused(invoke, tmp_path):
    root = project(tmp_path, [*SLIPS, "佐证材料\\子\\评审意见.pdf", "./佐证材料//评审意见.pdf"])
    (tmp_path / "外面.pdf").write_bytes(SECRET.encode())
    (root / "佐证材料" / "子").mkdir()
    (root / "佐证材料" / "子" / "评审意见.pdf").write_bytes(b"backslashes are separators")
    (root / "佐证材料" / "评审意见.pdf").write_bytes(b"dots and doubled slashes are dropped")
    out = tmp_path / "out.zip"
    result = archive(invoke, root, out)
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    found = statuses(out)
    assert {v: found[v] for v in SLIPS} == {v: ("refused", "outside") for v in SLIPS}
    assert evidence_members(out) == [
        "佐证材料/三（一）一是/佐证材料/子/评审意见.pdf",
        "佐证材料/三（一）一是/佐证材料/评审意见.pdf",
    ]
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            assert not name.startswith("/") and ".." not in name.split("/") and "\\" not in name
    no_secret_in(out)
    warned = [w for w in validate_warnings(invoke, root) if w["code"] == "evidence_outside"]
    assert len(warned) == len(SLIPS)


# --- item 9: names inside the zip ---------------------------------------------------------------

HOSTILE_NAMES = [
    "a\rb.pdf",
    "a\tb.pdf",
    "a\x1bc.pdf",
    "CON.pdf",
    "lpt1.txt",
    "aux",
    "Nul .txt",
    "a:b?.pdf",
    'q"<>|*.pdf',
    "报告.",
    "尾 /x.pdf",
    "点../y.pdf",
    "长" * 80 + ".pdf",
]


def test_member_names_are_safe_on_windows_and_deterministic(invoke, tmp_path):
    root = project(tmp_path, [f"佐证材料/{n}" for n in HOSTILE_NAMES] + ["佐证材料/" + "深/" * 90 + "x.pdf"])
    for n in HOSTILE_NAMES:
        (root / "佐证材料" / n).parent.mkdir(exist_ok=True)
        (root / "佐证材料" / n).write_bytes(n.encode("utf-8"))
    deep = root / "佐证材料" / Path(*["深"] * 90)
    deep.mkdir(parents=True)
    (deep / "x.pdf").write_bytes(b"deep")
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert archive(invoke, root, first).exit_code == 0
    assert archive(invoke, root, second).exit_code == 0
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        names = zf.namelist()
        for name in names:
            windows_safe(name)
        assert len({n.casefold() for n in names}) == len(names)
        rows = [r for r in manifest(first) if r["status"] == "file"]
        assert len(rows) == len(HOSTILE_NAMES) + 1  # every file is in, none lost to a clash
        for row in rows:  # each member holds its own file
            assert zf.read(row["file"]) == (
                row["evidence"].removeprefix("佐证材料/").encode("utf-8") if "深" not in row["evidence"] else b"deep"
            )


def test_member_names_are_unique_as_windows_sees_them(invoke, tmp_path):
    """Files whose names differ only in case, or only in a character Windows cannot hold, stay
    distinct members; the one named first in the ledger keeps the plain name."""
    names = ["A.pdf", "a.pdf", "a\rb.pdf", "a_b.pdf", "a?b.pdf"]
    root = project(tmp_path, [f"佐证材料/{n}" for n in names])
    for n in names:
        (root / "佐证材料" / n).write_bytes(n.encode("utf-8"))
    out = tmp_path / "out.zip"
    assert archive(invoke, root, out).exit_code == 0
    members = evidence_members(out)
    assert len(members) == 5 and len({m.casefold() for m in members}) == 5
    by_value = {r["evidence"]: r["file"] for r in manifest(out) if r["status"] == "file"}
    assert by_value["佐证材料/A.pdf"] == "佐证材料/三（一）一是/佐证材料/A.pdf"
    assert by_value["佐证材料/a\rb.pdf"] == "佐证材料/三（一）一是/佐证材料/a_b.pdf"
    with zipfile.ZipFile(out) as zf:
        for value, member in by_value.items():
            assert zf.read(member) == value.removeprefix("佐证材料/").encode("utf-8")


def test_reliability_doc_names_these_tests():
    """docs/reliability.md "Evidence and the archive": every test it names exists here."""
    doc = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    section = doc.split("## Evidence and the archive")[1].split("\n## ")[0]
    named = set(re.findall(r"test_hostile_archive\.py::(test_\w+)", section))
    here = set(re.findall(r"^def (test_\w+)", Path(__file__).read_text(encoding="utf-8"), re.M))
    assert named and named <= here, named - here
