"""`ipdemo summary --send wecom --attach` when the digest went out and the file did not
(polish, task 3): the user must not send the digest again, so the outcome is exact — stderr says
the digest was sent and the file was not (why, what to do), and the exit code is 3, not 1.

The robot is a local socket (tests/test_hostile_robot.py's Hostile): it takes the upload and
the digest and answers the file message as each test says.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ipdemo.cli import app
from tests.test_hostile_robot import (  # noqa: F401 (clean_environment: an autouse fixture)
    OK,
    Hostile,
    answer,
    clean_environment,
    never_shown,
    run,
)

UPLOADED = {"errcode": 0, "errmsg": "ok", "type": "file", "media_id": "M-42"}


def robot_refusing_the_file(file_answer: list):
    def reply(request: dict):
        if "upload_media" in request["target"]:
            return answer(200, UPLOADED)
        if json.loads(request["body"] or b"{}").get("msgtype") == "file":
            return file_answer
        return answer(200, OK)

    return reply


@pytest.mark.parametrize(
    ("file_answer", "said"),
    [
        (answer(200, {"errcode": 40004, "errmsg": "invalid media type"}), "40004"),
        (answer(400, b"bad request"), "400"),
    ],
)
def test_a_file_refused_after_the_digest_exits_3_saying_the_digest_was_sent(
    invoke, project, tmp_path, monkeypatch, file_answer, said
):
    with Hostile(robot_refusing_the_file(file_answer)) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path, "wecom", "--attach")
    assert result.exit_code == 3, result.stderr
    assert len(robot.requests) == 3  # upload, digest, file: the digest is not sent again
    error = [line for line in result.stderr.splitlines() if line.startswith("错误")]
    assert len(error) == 1
    assert "周报摘要已发送" in error[0] and "w.md 没有发送" in error[0] and said in error[0]
    assert "不要重发" in error[0]  # what to do
    never_shown(result, tmp_path)


def test_the_same_in_english(invoke, project, tmp_path, monkeypatch):
    file_answer = answer(200, {"errcode": 40004, "errmsg": "invalid media type"})
    with Hostile(robot_refusing_the_file(file_answer)) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path, "wecom", "--attach", "--lang", "en")
    assert result.exit_code == 3
    assert "the digest was sent" in result.stderr and "w.md was not" in result.stderr
    assert "Do not send the digest again" in result.stderr


def test_a_failed_upload_still_exits_1_nothing_sent(invoke, project, tmp_path, monkeypatch):
    """The upload comes first: when it fails no digest went out, and 1 says nothing was sent."""
    with Hostile(lambda r: answer(200, {"errcode": 40058, "errmsg": "bad media"})) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path, "wecom", "--attach")
    assert result.exit_code == 1 and len(robot.requests) == 1


def test_exit_code_3_is_documented(runner):
    text = runner.invoke(app, ["summary", "--help"], terminal_width=200).stdout
    assert "exit 3 (--attach) when the digest was sent" in " ".join(text.replace("│", " ").split())
    docs = (Path(__file__).parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")
    assert "exit 3 (--attach) when the digest was sent" in " ".join(docs.split())
