"""Issue 22 attacked again after its fixes (trial22): variants the first round's tests missed.

Each test failed on the code it was written against: a hard link to `.git/config` in the evidence
folder went into the zip; a robot's redirect that names the key in its host printed the key; an
errcode of `false` or `0.5` was taken for a delivery; an `xn--` host that is no valid punycode was
a traceback; a name lookup that stalls held a call past its total deadline; invalid task-progress
rows passed `report --strict` with exit 0 and no word.
"""

from __future__ import annotations

import io
import os
import socket
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest

from ipdemo.deliver import notify

from .conftest import VALID_ROWS, make_project, snapshot
from .test_hostile_archive import SECRET as ARCHIVE_SECRET
from .test_hostile_archive import archive, project
from .test_hostile_robot import SECRET, Hostile, answer, clean_environment, error_line, never_shown, run

__all__ = ["clean_environment"]  # the robot tests' environment (no proxies, short pauses), used here too


# --- evidence: a hard link to the repository's config ------------------------------------------


def test_a_hard_link_to_the_git_config_in_the_evidence_folder_is_refused(invoke, tmp_path):
    """`.git/config` holds a remote's token; a hard link to it inside 佐证材料/ was copied."""
    root = project(tmp_path, ["佐证材料/remote.txt"])
    os.link(root / ".git" / "config", root / "佐证材料" / "remote.txt")
    out = tmp_path / "out.zip"
    result = archive(invoke, root, out)
    assert result.exit_code == 0, result.stderr
    assert "佐证材料/remote.txt" in result.stderr
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if n.endswith("remote.txt")]
        for name in zf.namelist():
            assert ARCHIVE_SECRET.encode() not in zf.read(name), name
        manifest = zf.read("manifest.csv").decode("utf-8-sig")
    assert "佐证材料/remote.txt,refused,protected" in manifest


# --- robots ------------------------------------------------------------------------------------


def test_a_redirect_whose_location_names_the_key_never_shows_it(invoke, tmp_path, monkeypatch):
    """The Location of a 3xx was masked but not scrubbed: a key in its host (or anywhere masking
    shows) was printed."""
    project_ = make_project(tmp_path / "proj", {k: [v] for k, v in VALID_ROWS.items()})
    location = f"Location: http://{SECRET.lower()}.evil.example/{SECRET[:6]}"
    with Hostile(lambda r: answer(302, b"", location)) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url(query=f"key={SECRET.lower()}"))
        result = run(invoke, project_, tmp_path)
    assert result.exit_code == 1
    assert "302" in error_line(result)
    never_shown(result, tmp_path, secrets=(SECRET.lower(),))


@pytest.mark.parametrize("code", [False, 0.5, "0", [0]])
def test_an_errcode_that_is_no_integer_is_unconfirmed_never_sent(invoke, tmp_path, monkeypatch, code):
    """`{"errcode": false}` or `0.5` is no robot's answer; it was read as 0 and printed 已发送."""
    project_ = make_project(tmp_path / "proj", {k: [v] for k, v in VALID_ROWS.items()})
    with Hostile(lambda r: answer(200, {"errcode": code, "errmsg": "x"})) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project_, tmp_path)
    assert result.exit_code == 1, result.stdout
    assert "已发送" not in result.stdout + result.stderr
    assert len(robot.requests) == 1  # unconfirmed: never retried
    never_shown(result, tmp_path)


@pytest.mark.parametrize("host", ["xn--zz", "xn--", "xn--zz.example"])
def test_an_invalid_punycode_host_is_one_line_before_anything_is_sent(invoke, tmp_path, monkeypatch, host):
    """httpx decodes an `xn--` label only when it builds the request: idna's error was a traceback."""
    project_ = make_project(tmp_path / "proj", {k: [v] for k, v in VALID_ROWS.items()})
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", f"http://{host}/cgi-bin/webhook/send?key={SECRET}")
    result = run(invoke, project_, tmp_path)
    assert result.exit_code == 1
    assert "IPDEMO_WECOM_WEBHOOK" in error_line(result)
    never_shown(result, tmp_path)


def test_a_name_lookup_that_stalls_ends_at_the_total_deadline(monkeypatch):
    """asyncio.run waited for the resolver's thread after the deadline had passed: a lookup of
    6 s held a call with a 1 s total for 6 s (a broken DNS on an office network: tens of seconds
    per attempt)."""
    real = socket.getaddrinfo

    def stalled(*args, **kwargs):
        time.sleep(4)
        return real(*args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    point = notify.Endpoint(notify.ROBOTS["wecom"], f"http://stalls.example:9/send?key={SECRET}", None, "X")
    start = time.monotonic()
    with pytest.raises(notify.NotifyError):
        notify.send(point, "h", "text", "note", timeout=0.5, attempts=1, deadline=1.0)
    assert time.monotonic() - start < 2.5


# --- max_length and U+FFFE in the task-progress ledger: report --strict --------------------------


@pytest.mark.parametrize("done", ["长" * 2001, "a\ufffeb"])
def test_report_strict_fails_on_an_invalid_task_progress_row(invoke, tmp_path, done):
    """The task ledger was read after --strict looked: exit 0, and no word without --strict."""
    rows = {k: [v] for k, v in VALID_ROWS.items()}
    rows["task_progress"] = [{**VALID_ROWS["task_progress"], "done": done}]
    root = make_project(tmp_path / "proj", rows)
    before = snapshot(root / "data")
    strict = invoke(["report", "--strict"], cwd=root)
    assert strict.exit_code == 1
    assert "Traceback" not in strict.stderr
    plain = invoke(["report"], cwd=root)
    assert plain.exit_code == 0
    assert "task_progress.csv" in plain.stderr
    assert snapshot(root / "data") == before


# --- xlsx: shared strings that calamine does not read ------------------------------------------

STRINGS = [
    "任务编号",
    "报送日期",
    "进展状态",
    "工作进展",
    "佐证材料",
    "t3_1_1",
    "2023-09-01",
    "推进中",
    "进展甲",
    "文号1",
]
SST_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def _workbook_with_strings_at(path: Path, part: str, decoy: list[str] | None = None, rels_upper: bool = False) -> Path:
    """A task-progress sheet whose every cell is a shared string, the strings stored at `part`
    (named so by the workbook's relationships, as Excel finds them); with `decoy`, other strings
    at xl/sharedStrings.xml too, which no relationship names; with `rels_upper`, the
    relationships stored as XL/_RELS/WORKBOOK.XML.RELS (OPC names ignore case; calamine too)."""
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["x"])
    book.save(buffer)
    cells = "".join(
        f'<row r="{r + 1}">'
        + "".join(f'<c r="{"ABCDE"[c]}{r + 1}" t="s"><v>{r * 5 + c}</v></c>' for c in range(5))
        + "</row>"
        for r in range(2)
    )
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + cells
        + "</sheetData></worksheet>"
    )

    def sst(strings: list[str]) -> bytes:
        return (
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + "".join(f"<si><t>{s}</t></si>" for s in strings)
            + "</sst>"
        ).encode("utf-8")

    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w") as out:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/worksheets/sheet1.xml":
                data = sheet.encode("utf-8")
            elif name == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    f'<Relationship Id="rIdS" Type="{SST_TYPE}" Target="/{part}"/></Relationships>'.encode(),
                )
            elif name == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    f'<Override PartName="/{part}" ContentType="application/'
                    f'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'.encode(),
                )
            out.writestr(name.upper() if rels_upper and name == "xl/_rels/workbook.xml.rels" else name, data)
        out.writestr(part, sst(STRINGS))
        if decoy is not None:
            out.writestr("xl/sharedStrings.xml", sst(decoy))
    return path


def test_shared_strings_at_the_usual_place_import(invoke, tmp_path):
    root = make_project(tmp_path / "proj", {})
    book = _workbook_with_strings_at(tmp_path / "进展.xlsx", "xl/sharedStrings.xml")
    result = invoke(["import", str(book)], cwd=root)
    assert result.exit_code == 0, result.stderr
    assert "进展甲" in (root / "data" / "task_progress.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize(
    "decoy,rels_upper",
    [(None, False), (list(reversed(STRINGS)), False), (list(reversed(STRINGS)), True)],
    ids=["renamed", "decoy", "decoy-relationships-in-capitals"],
)
def test_shared_strings_elsewhere_are_refused_not_misread(invoke, tmp_path, decoy, rels_upper):
    """calamine reads shared strings from xl/sharedStrings.xml whatever the relationships say:
    strings stored elsewhere (as OOXML allows) were read as nothing, and with a decoy at the usual
    name the import read other texts than Excel shows — exit 0, nothing or the wrong thing written."""
    root = make_project(tmp_path / "proj", {})
    book = _workbook_with_strings_at(tmp_path / "进展.xlsx", "xl/strings.xml", decoy, rels_upper)
    before = snapshot(root / "data")
    result = invoke(["import", str(book)], cwd=root)
    assert result.exit_code == 1
    assert "进展.xlsx" in result.stderr and "共享字符串" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(root / "data") == before


# --- evidence swapped for a link between the verdict and the copy ----------------------------------


@pytest.mark.parametrize("swap", ["file", "folder"])
def test_an_evidence_file_swapped_for_a_link_after_the_verdict_is_never_followed(tmp_path, monkeypatch, swap):
    """The archive judged a path, then opened it again by name seconds later (after building the
    ledger sheets): someone who can write to 佐证材料/ (a shared folder) but not read the secrets
    file could swap the judged file — or a folder on its way — for a link to it, and the archive,
    run by the owner, copied the key."""
    from ipdemo.deliver.archive import build_archive, write_archive
    from ipdemo.errors import WriteError
    from ipdemo.plan.model import load_plan

    root = project(tmp_path, ["佐证材料/sub/通知.pdf"])
    (root / "佐证材料" / "sub").mkdir()
    (root / "佐证材料" / "sub" / "通知.pdf").write_bytes(b"%PDF-1.4 notice")
    monkeypatch.chdir(root)
    plan = load_plan(root / "targets.yaml")
    built = build_archive(plan, None, date(2023, 12, 31))
    assert any(e.name.endswith("通知.pdf") for e in built.entries)
    if swap == "file":
        (root / "佐证材料" / "sub" / "通知.pdf").unlink()
        (root / "佐证材料" / "sub" / "通知.pdf").symlink_to(root / ".ipdemo-secrets.toml")
    else:
        (root / "佐证材料" / "sub").rename(root / "佐证材料" / "old")
        (root / "lure").mkdir()
        os.link(root / ".ipdemo-secrets.toml", root / "lure" / "通知.pdf")
        (root / "佐证材料" / "sub").symlink_to(root / "lure")
    out = tmp_path / "out.zip"
    with pytest.raises(WriteError) as caught:
        write_archive(built, out)
    assert caught.value.code == "evidence_changed"
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


# --- --output onto the robots' secrets file -------------------------------------------------------


@pytest.mark.parametrize(
    "command", [["report", "-f", "csv", "-o"], ["summary", "-o"], ["archive", "--as-of", "2023-12-31"]]
)
def test_output_never_overwrites_the_secrets_file(invoke, tmp_path, command):
    """`--output .ipdemo-secrets.toml` replaced the robots' key with a report (exit 0): the key was
    gone. It is refused like a ledger, the journal or targets.yaml."""
    root = make_project(tmp_path / "proj", {k: [v] for k, v in VALID_ROWS.items()})
    secrets = root / notify.SECRETS_FILE
    secrets.write_text(f'[wecom]\nwebhook = "https://example.invalid/send?key={SECRET}"\n', encoding="utf-8")
    secrets.chmod(0o600)
    before = secrets.read_bytes()
    args = (
        [*command[:-1], command[-1], notify.SECRETS_FILE]
        if command[0] != "archive"
        else ["archive", notify.SECRETS_FILE, *command[1:]]
    )
    result = invoke(args, cwd=root)
    assert result.exit_code in (1, 2)
    assert notify.SECRETS_FILE in result.stderr and "Traceback" not in result.stderr
    assert secrets.read_bytes() == before
