"""The group-robot digest as an official reads it (issue 24 item 5): each status in a colour of
its own, where the stale ledgers are, and where the full summary is — a link, the file itself
(WeCom robots can send one: upload_media, then msgtype file), or words an official can act on.

The robot is a local HTTP server on 127.0.0.1 that records what it receives (JSON or multipart)
and answers as the test scripts it; it stops itself after a bounded time.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ipdemo.deliver import notify
from ipdemo.deliver.notify import ROBOTS, Full, digest

KEY = "SECRET-KEY-9a8b7c6d5e"
STATUS_WORDS = {"achieved": "已完成", "on_track": "正常推进", "at_risk": "有风险", "behind": "滞后"}


class Robot:
    """Records every request; answers by path from `answers` (status, JSON), else errcode 0."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, tuple[int, dict]] = {
            "/cgi-bin/webhook/upload_media": (200, {"errcode": 0, "errmsg": "ok", "type": "file", "media_id": "M-42"})
        }
        robot = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def do_POST(self):  # noqa: N802 (http.server's name)
                raw = self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 30 << 20))
                split = urllib.parse.urlsplit(self.path)
                kind = self.headers.get("Content-Type") or ""
                robot.requests.append(
                    {
                        "path": split.path,
                        "query": urllib.parse.parse_qs(split.query),
                        "type": kind,
                        "raw": raw,
                        "body": json.loads(raw) if kind.startswith("application/json") else None,
                    }
                )
                status, body = robot.answers.get(split.path, (200, {"errcode": 0, "errmsg": "ok"}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.guard = threading.Timer(120, self.server.shutdown)
        self.guard.daemon = True

    def __enter__(self) -> "Robot":
        self.thread.start()
        self.guard.start()
        return self

    def __exit__(self, *exc) -> None:
        self.guard.cancel()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/webhook/send?key={KEY}"


@pytest.fixture
def robot(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for r in ROBOTS.values():
        monkeypatch.delenv(r.url_variable, raising=False)
        if r.secret_variable:
            monkeypatch.delenv(r.secret_variable, raising=False)
    monkeypatch.setattr(notify, "BACKOFF", 0.01)
    with Robot() as server:
        yield server


@pytest.fixture(scope="module")
def week(shipped):
    """The shipped data's week to 2023-09-30: every status, five stale ledgers."""
    from ipdemo.engine.dataset import load_dataset
    from ipdemo.engine.summary import build, week_ending
    from ipdemo.plan.model import load_plan

    plan = load_plan(shipped / "targets.yaml")
    return build(plan, load_dataset(plan), week_ending(date(2023, 9, 30)))


def summary_args(shipped, tmp_path, *extra: str) -> list[str]:
    return [
        "summary",
        "--as-of",
        "2023-09-30",
        "--format",
        "html",
        "--output",
        str(tmp_path / "周报.html"),
        "--targets",
        str(shipped / "targets.yaml"),
        *extra,
    ]


# --- what the digest says ---------------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["wecom", "dingtalk", "feishu"])
def test_each_status_has_a_colour_of_its_own(week, flavour):
    headings = ("需关注（有风险 / 滞后）", "台账更新滞后")  # headings, not statuses
    text = digest(week, "zh", None, flavour).replace(headings[0], "").replace(headings[1], "")
    marks = {}
    for status, words in STATUS_WORDS.items():
        found = re.findall(r"(\*{0,2}<font color=[^>]+>)?" + words + r"(?!\d)", text)  # not 已完成10项
        assert found, (status, text)
        assert len(set(found)) == 1, (status, found)  # the same status always looks the same
        marks[status] = found[0]
    assert marks["behind"] != marks["at_risk"]  # 滞后 and 有风险 no longer share a colour
    assert len({marks[s] for s in ("achieved", "at_risk", "behind")}) == 3 and all(
        marks[s] for s in ("achieved", "at_risk", "behind")
    )


def test_the_stale_ledgers_are_named_with_their_towns(week):
    text = digest(week, "zh", None, "wecom")
    assert not re.search(r"台账更新滞后：\d+ 处", text)
    part = text.split("**台账更新滞后**")[1].split("\n\n")[0]
    for x in week.stale:
        ledger = week.plan.ledgers[x.ledger].name
        line = next(line for line in part.splitlines() if line.startswith(f"> {ledger}："))
        assert x.town in line
    assert len(part.splitlines()) == len({x.ledger for x in week.stale}) + 1  # a line per ledger


def test_a_ledger_stale_everywhere_says_so_in_one_phrase(project):
    from ipdemo.engine.dataset import load_dataset
    from ipdemo.engine.summary import build, parse_week
    from ipdemo.plan.model import load_plan

    plan = load_plan(project / "targets.yaml")
    text = digest(build(plan, load_dataset(plan), parse_week("2021-W23")), "zh", None, "wecom")
    assert f"全部{len(plan.reported_towns)}个区镇" in text


def test_the_overview_line_leaves_out_zero_counts(week, project):
    text = digest(week, "zh", None, "wecom")
    assert "> 22项指标：已完成10项，正常推进7项，有风险3项，滞后2项" in text
    assert "0项" not in text.replace("10项", "")
    assert "数据问题" not in text  # no line of zero problems


def test_the_pace_is_stated_the_way_the_summary_states_it(week):
    text = digest(week, "zh", None, "wecom")
    assert "大型知识产权广场宣传：50%，" in text and "13周内还需2次" in text
    assert not re.search(r"每周需完成 ?1 ?次", text)


@pytest.mark.parametrize(
    ("full", "ends"),
    [
        (Full("周报.html"), "全文（周报.html）可向台账管理员索取"),
        (Full("周报.html", attached=True), "全文见随后发送的文件 周报.html"),
        (
            Full("周报.html", url="https://intranet.example/w/周报.html"),
            "全文：[周报.html](https://intranet.example/w/周报.html)",
        ),
    ],
)
def test_the_last_line_says_where_the_full_summary_is(week, full, ends):
    assert digest(week, "zh", full, "wecom").rstrip().endswith(ends)


# --- the file itself (WeCom) ------------------------------------------------------------------


def test_wecom_attach_uploads_the_file_then_sends_digest_and_file(invoke, shipped, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
    result = invoke(summary_args(shipped, tmp_path, "--send", "wecom", "--attach"), cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    upload, markdown, file = robot.requests
    assert upload["path"] == "/cgi-bin/webhook/upload_media"
    assert upload["query"] == {"key": [KEY], "type": ["file"]}
    assert upload["type"].startswith("multipart/form-data; boundary=")
    written = (tmp_path / "周报.html").read_bytes()
    assert b'name="media"' in upload["raw"] and written in upload["raw"]
    assert "周报.html".encode() in upload["raw"]  # the file keeps its name
    content = markdown["body"]["markdown"]["content"]
    assert content.rstrip().endswith("全文见随后发送的文件 周报.html")
    assert file["path"] == "/cgi-bin/webhook/send" and file["body"] == {"msgtype": "file", "file": {"media_id": "M-42"}}
    assert "已作为文件发送到企业微信群" in result.stderr
    assert KEY not in result.stderr + result.stdout


def test_an_upload_refused_sends_nothing_and_shows_no_key(invoke, shipped, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
    robot.answers["/cgi-bin/webhook/upload_media"] = (200, {"errcode": 40058, "errmsg": f"bad media key={KEY}"})
    result = invoke(summary_args(shipped, tmp_path, "--send", "wecom", "--attach"), cwd=tmp_path)
    assert result.exit_code == 1
    assert [r["path"] for r in robot.requests] == ["/cgi-bin/webhook/upload_media"]  # no digest promising a file
    assert "40058" in result.stderr and KEY not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert (tmp_path / "周报.html").exists()  # the summary was written first


def test_an_upload_answer_without_media_id_sends_nothing(invoke, shipped, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
    robot.answers["/cgi-bin/webhook/upload_media"] = (200, {"errcode": 0, "errmsg": "ok"})
    result = invoke(summary_args(shipped, tmp_path, "--send", "wecom", "--attach"), cwd=tmp_path)
    assert result.exit_code == 1 and "media_id" in result.stderr
    assert len(robot.requests) == 1 and KEY not in result.stderr


@pytest.mark.parametrize("target", ["dingtalk", "feishu"])
def test_attach_is_refused_for_robots_that_send_no_files(invoke, shipped, tmp_path, robot, target):
    result = invoke(summary_args(shipped, tmp_path, "--send", target, "--attach"), cwd=tmp_path)
    assert result.exit_code == 2 and "--link" in result.stderr
    assert robot.requests == [] and not (tmp_path / "周报.html").exists()


def test_attach_without_send_is_refused(invoke, shipped, tmp_path):
    result = invoke(summary_args(shipped, tmp_path, "--attach"), cwd=tmp_path)
    assert result.exit_code == 2 and "--send wecom" in result.stderr


def test_the_upload_address_keeps_the_key_and_asks_for_a_file():
    assert (
        notify.upload_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K")
        == "https://qyapi.weixin.qq.com/cgi-bin/webhook/upload_media?key=K&type=file"
    )
