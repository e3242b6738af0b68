"""Issue 22 attacked again after its fixes (trial22): variants the first round's tests missed.

Each test failed on the code it was written against: a hard link to `.git/config` in the evidence
folder went into the zip; a robot's redirect that names the key in its host printed the key; an
errcode of `false` or `0.5` was taken for a delivery; an `xn--` host that is no valid punycode was
a traceback; a name lookup that stalls held a call past its total deadline; invalid task-progress
rows passed `report --strict` with exit 0 and no word.
"""

from __future__ import annotations

import os
import socket
import time
import zipfile

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

