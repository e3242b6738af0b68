"""A robot that says "too many messages" (HTTP 429, or its JSON rate-limit code) is asked again
after the pause it asks for (Retry-After), within the call's deadline, and the user is told on
stderr (polish, task 2). A rate-limited message was not delivered, so asking again cannot post
it twice.

The rate-limit codes, as the robots' documents give them: WeCom 45009 (api freq out of limit),
DingTalk 130101 (send too fast, exceed 20 times per minute), Feishu custom bots 11232.
The robots are local sockets (tests/test_hostile_robot.py's Hostile): no network.
"""

from __future__ import annotations

import pytest

from ipdemo.deliver import notify
from tests.test_hostile_robot import (  # noqa: F401 (clean_environment: an autouse fixture)
    OK,
    Hostile,
    answer,
    clean_environment,
    error_line,
    never_shown,
    run,
)

FEISHU_OK = {"code": 0, "msg": "success", "data": {}}


def limited_then(first: list, then: list):
    """A reply: `first` to the first request, `then` to every later one."""
    seen: list[int] = []

    def reply(request: dict):
        seen.append(1)
        return first if len(seen) == 1 else then

    return reply


def test_a_429_is_retried_after_the_pause_the_robot_asks_for(invoke, project, tmp_path, monkeypatch):
    reply = limited_then(
        answer(429, {"errcode": 45009, "errmsg": "api freq out of limit"}, "Retry-After: 1"), answer(200)
    )
    pauses: list[float] = []
    monkeypatch.setattr(notify, "pause", pauses.append)  # the pause asked for, not waited
    with Hostile(reply) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert len(robot.requests) == 2
    assert pauses == [1.0]  # Retry-After: 1, not the 0.01 s backoff
    assert "限流" in result.stderr and "1 秒后重试" in result.stderr  # the user is told
    assert "已发送到企业微信群" in result.stderr
    never_shown(result, tmp_path)


@pytest.mark.parametrize(
    ("target", "path", "limited", "ok"),
    [
        ("wecom", "/cgi-bin/webhook/send", {"errcode": 45009, "errmsg": "api freq out of limit"}, OK),
        ("dingtalk", "/robot/send", {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}, OK),
        ("feishu", "/open-apis/bot/v2/hook/0123456789abcdef", {"code": 11232, "msg": "frequency limited"}, FEISHU_OK),
    ],
)
def test_the_robots_rate_limit_codes_are_retried(invoke, project, tmp_path, monkeypatch, target, path, limited, ok):
    with Hostile(limited_then(answer(200, limited), answer(200, ok))) as robot:
        monkeypatch.setenv(f"IPDEMO_{target.upper()}_WEBHOOK", robot.url(path, "access_token=S3CRET-KEY-0f9e8d7c6b5a"))
        result = run(invoke, project, tmp_path, target)
    assert result.exit_code == 0, result.stderr
    assert len(robot.requests) == 2
    assert str(limited.get("errcode", limited.get("code"))) in result.stderr  # what the robot said, on stderr
    never_shown(result, tmp_path)


def test_a_pause_beyond_the_deadline_is_not_waited_for(invoke, project, tmp_path, monkeypatch):
    """DingTalk blocks a robot for ten minutes: ipdemo says so at once and when to try again."""
    pauses: list[float] = []
    monkeypatch.setattr(notify, "pause", pauses.append)
    with Hostile(lambda r: answer(429, b"", "Retry-After: 600")) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    assert pauses == []  # not waited for at all
    assert len(robot.requests) == 1
    line = error_line(result)
    assert "限流" in line and "600 秒" in line and "没有发送" in line
    never_shown(result, tmp_path)


def test_a_robot_that_stays_limited_is_asked_a_bounded_number_of_times(invoke, project, tmp_path, monkeypatch):
    with Hostile(lambda r: answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path, "wecom", "--lang", "en")
    assert result.exit_code == 1
    assert len(robot.requests) == notify.ATTEMPTS
    line = error_line(result)
    assert "rate" in line and "45009" in line and "not sent" in line
    never_shown(result, tmp_path)
