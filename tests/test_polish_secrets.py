"""The webhook key never reaches what ipdemo posts, prints or writes (polish, task 1).

`--link` (posted as the digest's last line) and the summary's file name (posted too) could
carry the key; ipdemo refuses them before anything is sent, naming the option and masking the
key. Requests go to the local robot of tests/test_notify.py.
"""

from __future__ import annotations

import urllib.parse

import pytest

from ipdemo.deliver.notify import ROBOTS, Endpoint, NotifyError, send
from tests import test_notify
from tests.test_notify import run_summary

robot = test_notify.robot  # the local robot fixture, shared with test_notify (not a copy of it)

KEY = "SECRET-KEY-123"  # the key in tests/test_notify.py's robot address


def never_shown(result, folder) -> None:
    shown = result.stdout + result.stderr
    assert "Traceback" not in shown
    assert KEY not in shown and urllib.parse.quote(KEY) not in shown, shown
    for path in folder.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


@pytest.mark.parametrize(
    "link",
    [
        "{webhook}",  # the webhook itself copied by mistake
        "https://intranet.example/周报.html?from={key}",  # the key inside another address
        "https://intranet.example/{quoted}/周报.html",  # the key percent-encoded in full
    ],
)
def test_a_link_holding_the_key_is_refused_before_anything_is_sent(invoke, project, tmp_path, robot, monkeypatch, link):
    webhook = robot.url("/cgi-bin/webhook/send")
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", webhook)
    given = link.format(webhook=webhook, key=KEY, quoted="".join(f"%{b:02X}" for b in KEY.encode()))
    out = tmp_path / "out"
    out.mkdir()
    result = run_summary(invoke, project, out, "--send", "wecom", "--link", given)
    assert result.exit_code == 1, result.stderr
    assert not robot.requests  # nothing posted
    assert "--link" in result.stderr and "key=***" in result.stderr
    never_shown(result, out)


def test_a_link_holding_the_key_is_refused_in_english(invoke, project, tmp_path, robot, monkeypatch):
    webhook = robot.url("/cgi-bin/webhook/send")
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", webhook)
    result = run_summary(invoke, project, tmp_path, "--send", "wecom", "--link", webhook, "--lang", "en")
    assert result.exit_code == 1 and not robot.requests
    assert "--link" in result.stderr and "webhook" in result.stderr
    never_shown(result, tmp_path)


def test_a_file_name_holding_the_key_is_refused_before_it_is_written(invoke, project, tmp_path, robot, monkeypatch):
    """The digest's last line names the summary's file: a name with the key would be posted."""
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url("/cgi-bin/webhook/send"))
    out = tmp_path / "out"
    out.mkdir()
    result = run_summary(invoke, project, out, "--send", "wecom", "--output", str(out / f"周报-{KEY}.md"))
    assert result.exit_code == 1 and not robot.requests
    assert "--output" in result.stderr
    never_shown(result, out)
    assert not list(out.iterdir())


def test_a_link_without_the_key_is_posted(invoke, project, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url("/cgi-bin/webhook/send"))
    link = "https://intranet.example/周报.html"
    result = run_summary(invoke, project, tmp_path, "--send", "wecom", "--link", link)
    assert result.exit_code == 0, result.stderr
    assert link in robot.requests[0]["body"]["markdown"]["content"]


@pytest.mark.parametrize("target", ["wecom", "dingtalk", "feishu"])
def test_no_message_holding_the_key_is_posted(robot, target):
    """Whatever puts it there (a plan or ledger name, a note), a digest with the key is not sent."""
    point = Endpoint(ROBOTS[target], robot.url("/send", f"key={KEY}"), None, "test")
    with pytest.raises(NotifyError) as caught:
        send(point, "周报", f"本周 {KEY} 记录 1 条", "全文见附件")
    assert caught.value.code == "secret_in_message"
    assert KEY not in caught.value.render("zh") and KEY not in caught.value.render("en")
    assert not robot.requests


def test_an_output_folder_holding_the_key_is_refused_and_never_shown(invoke, project, tmp_path, robot, monkeypatch):
    """The file's name was checked, not its folder: 'summary written to …' then showed the key (review of round 4)."""
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url("/cgi-bin/webhook/send"))
    folder = tmp_path / f"robot-{KEY}"
    folder.mkdir()
    result = run_summary(invoke, project, tmp_path, "--send", "wecom", "--output", str(folder / "周报.md"))
    assert result.exit_code == 1
    assert KEY not in result.stdout + result.stderr
    assert not (folder / "周报.md").exists() and not robot.requests
