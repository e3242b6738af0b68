"""`ipdemo summary --send`: the digest posted to WeCom / DingTalk / Feishu group robots.

Every request goes to a local HTTP server on 127.0.0.1 that records what it receives and
answers as the test scripts it; the server stops itself after a bounded time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ipdemo.deliver import notify
from ipdemo.deliver.notify import ROBOTS, Endpoint, NotifyError, build_request, endpoint, fit, send

OK = {
    "wecom": {"errcode": 0, "errmsg": "ok"},
    "dingtalk": {"errcode": 0, "errmsg": "ok"},
    "feishu": {"code": 0, "msg": "success", "data": {}},
}
WEEK = "2021-W23"  # the small project's patent (filed 2021-06-10) falls in it


class Robot:
    """A local stand-in for a robot's webhook: records requests, answers from a script."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: deque = deque()  # (status, body) answers, then OK
        self.default = (200, {"errcode": 0, "errmsg": "ok"})
        robot = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(min(length, 1 << 20))
                split = urllib.parse.urlsplit(self.path)
                robot.requests.append(
                    {
                        "path": split.path,
                        "query": urllib.parse.parse_qs(split.query),
                        "raw": raw,
                        "body": json.loads(raw.decode("utf-8")),
                        "content_type": self.headers.get("Content-Type"),
                    }
                )
                status, body = robot.script.popleft() if robot.script else robot.default
                data = json.dumps(body).encode() if not isinstance(body, bytes) else body
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
        self.guard = threading.Timer(120, self.server.shutdown)  # stops itself whatever happens
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

    def url(self, path: str = "/send", query: str = "key=SECRET-KEY-123") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}?{query}"


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


def run_summary(invoke, project: Path, cwd: Path, *extra: str):
    return invoke(["summary", "--week", WEEK, "--targets", str(project / "targets.yaml"), *extra], cwd=cwd)


# --- each robot -------------------------------------------------------------------------------


def test_wecom_markdown_and_the_file_written_first(invoke, project, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url("/cgi-bin/webhook/send"))
    result = run_summary(invoke, project, tmp_path, "--send", "wecom")
    assert result.exit_code == 0, result.stderr
    written = tmp_path / f"周报-{WEEK}.md"  # the default name, in the current folder
    assert written.read_text(encoding="utf-8").startswith("# 知识产权工作周报（2021年6月7日至6月13日）")
    assert len(robot.requests) == 1
    req = robot.requests[0]
    assert req["path"] == "/cgi-bin/webhook/send" and req["query"] == {"key": ["SECRET-KEY-123"]}
    assert req["content_type"].startswith("application/json")
    assert req["body"]["msgtype"] == "markdown"
    content = req["body"]["markdown"]["content"]
    assert content.startswith("### 知识产权工作周报（2021年6月7日至6月13日）")  # the week once, in Chinese
    assert "**主要指标**" in content and "**需关注（有风险 / 滞后）**" in content
    assert f"全文（周报-{WEEK}.md）可向台账管理员索取" in content  # not a bare file name
    assert len(content.encode("utf-8")) <= 4096
    assert "已发送到企业微信群" in result.stderr and "SECRET-KEY-123" not in result.stderr


def test_wecom_digest_of_the_shipped_data(invoke, shipped, tmp_path, robot, monkeypatch):
    """Real figures: headline indicators, at-risk list with the weekly rate, link to the HTML."""
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
    out = tmp_path / "weekly.html"
    result = invoke(
        [
            "summary",
            "--week",
            "2023-W39",
            "--format",
            "html",
            "--output",
            str(out),
            "--send",
            "wecom",
            "--link",
            "https://intranet.example/reports/weekly.html",
            "--targets",
            str(shipped / "targets.yaml"),
        ],
        cwd=tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith("<!")
    content = robot.requests[0]["body"]["markdown"]["content"]
    assert "专利申请量：" in content and "每周需完成" in content and '<font color="warning">' in content
    assert "[weekly.html](https://intranet.example/reports/weekly.html)" in content
    assert len(content.encode("utf-8")) <= 4096


def dingtalk_sign(timestamp: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def test_dingtalk_markdown_signed(invoke, project, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_DINGTALK_WEBHOOK", robot.url("/robot/send", "access_token=TOKEN"))
    monkeypatch.setenv("IPDEMO_DINGTALK_SECRET", "SEC0123456789abcdef")
    before = int(time.time() * 1000)
    result = run_summary(invoke, project, tmp_path, "--send", "dingtalk", "--output", str(tmp_path / "w.md"))
    assert result.exit_code == 0, result.stderr
    req = robot.requests[0]
    assert req["query"]["access_token"] == ["TOKEN"]
    stamp, sign = req["query"]["timestamp"][0], req["query"]["sign"][0]  # parse_qs URL-decoded it
    assert before <= int(stamp) <= int(time.time() * 1000)
    assert sign == dingtalk_sign(stamp, "SEC0123456789abcdef")
    body = req["body"]
    assert body["msgtype"] == "markdown"
    assert body["markdown"]["title"] == "知识产权工作周报（2021年6月7日至6月13日）"
    assert body["markdown"]["text"].startswith("### 知识产权工作周报（2021年6月7日至6月13日）")
    assert len(req["raw"]) <= 20000


def test_dingtalk_sign_is_url_encoded(robot):
    point = Endpoint(ROBOTS["dingtalk"], "https://oapi.example/robot/send?access_token=T", "secret+/=", "test")
    request = build_request(point, "t", "text", "note", now=1700000000.123)
    query = urllib.parse.urlsplit(request.url).query
    raw_sign = dict(part.split("=", 1) for part in query.split("&"))["sign"]
    assert "+" not in raw_sign and "/" not in raw_sign and "=" not in raw_sign.rstrip("%3D")
    assert urllib.parse.unquote(raw_sign) == dingtalk_sign("1700000000123", "secret+/=")


def test_feishu_card_signed(invoke, project, tmp_path, robot, monkeypatch):
    robot.default = (200, OK["feishu"])
    monkeypatch.setenv("IPDEMO_FEISHU_WEBHOOK", robot.url("/open-apis/bot/v2/hook/abc", "x=1"))
    monkeypatch.setenv("IPDEMO_FEISHU_SECRET", "feishu-secret")
    result = run_summary(
        invoke, project, tmp_path, "--send", "feishu", "--output", str(tmp_path / "w.md"), "--lang", "en"
    )
    assert result.exit_code == 0, result.stderr
    body = robot.requests[0]["body"]
    stamp = body["timestamp"]
    assert abs(int(stamp) - time.time()) < 60
    expected = base64.b64encode(hmac.new(f"{stamp}\nfeishu-secret".encode(), b"", hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["title"]["content"] == "IP weekly summary (2021-06-07 to 2021-06-13)"
    element = body["card"]["elements"][0]
    assert element["tag"] == "markdown" and element["content"].startswith("**IP weekly summary (2021-06-07")
    assert len(robot.requests[0]["raw"]) <= 20000
    assert "sent to the Feishu group" in result.stderr


# --- failures -----------------------------------------------------------------------------------


def test_retries_a_500_then_succeeds(invoke, project, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
    robot.script.append((500, b"upstream busy"))
    result = run_summary(invoke, project, tmp_path, "--send", "wecom", "--output", str(tmp_path / "w.md"))
    assert result.exit_code == 0, result.stderr
    assert len(robot.requests) == 2
    assert robot.requests[0]["raw"] == robot.requests[1]["raw"]


def test_refusal_exits_1_naming_the_robots_error(invoke, project, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
    robot.default = (200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    out = tmp_path / "w.md"
    result = run_summary(invoke, project, tmp_path, "--send", "wecom", "--output", str(out))
    assert result.exit_code == 1
    assert "企业微信机器人拒绝了消息：错误码 93000，invalid webhook url" in result.stderr
    assert "Traceback" not in result.stderr and "SECRET-KEY-123" not in result.stderr
    assert len(robot.requests) == 1  # a refusal is not retried
    assert out.exists()  # the digest is on disk all the same


def test_feishu_refusal_code(invoke, project, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_FEISHU_WEBHOOK", robot.url("/hook/x", "a=b"))
    robot.default = (200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"})
    result = run_summary(
        invoke, project, tmp_path, "--send", "feishu", "--output", str(tmp_path / "w.md"), "--lang", "en"
    )
    assert result.exit_code == 1
    assert "the Feishu robot refused the message: error 19021, sign match fail" in result.stderr


def test_http_4xx_is_a_refusal(robot):
    robot.default = (400, {"errcode": 40058, "errmsg": "markdown.content exceed max length 4096"})
    point = Endpoint(ROBOTS["wecom"], robot.url(), None, "test")
    with pytest.raises(NotifyError) as caught:
        send(point, "t", "text", "note", sleep=lambda s: None)
    assert caught.value.code == "robot_refused" and caught.value.params["errcode"] == 40058
    assert len(robot.requests) == 1


def test_unreachable_retries_with_backoff_then_fails(robot):
    with socket.socket() as probe:  # a port on this machine with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    point = Endpoint(ROBOTS["wecom"], f"http://127.0.0.1:{port}/send?key=K", None, "test")
    pauses: list[float] = []
    with pytest.raises(NotifyError) as caught:
        send(point, "t", "text", "note", attempts=3, backoff=0.5, timeout=2, sleep=pauses.append)
    assert caught.value.code == "robot_unreachable"
    assert pauses == [0.5, 1.0]
    assert caught.value.params["url"] == f"http://127.0.0.1:{port}/send?key=***" and "key=K" not in caught.value.render(
        "en"
    )


def test_missing_configuration_says_what_to_set(invoke, project, tmp_path, robot):
    out = tmp_path / "w.md"
    result = run_summary(invoke, project, tmp_path, "--send", "dingtalk", "--output", str(out))
    assert result.exit_code == 1
    assert "IPDEMO_DINGTALK_WEBHOOK" in result.stderr and ".ipdemo-secrets.toml" in result.stderr
    assert "Traceback" not in result.stderr
    assert out.exists() and not robot.requests


def test_not_an_http_address(invoke, project, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", "ftp://example/x")
    result = run_summary(invoke, project, tmp_path, "--send", "wecom", "--output", str(tmp_path / "w.md"))
    assert result.exit_code == 1 and "IPDEMO_WECOM_WEBHOOK" in result.stderr and "http(s)://" in result.stderr


# --- configuration --------------------------------------------------------------------------------


def test_secrets_file_beside_targets(invoke, project, tmp_path, robot, monkeypatch):
    (project / ".ipdemo-secrets.toml").write_text(
        f'[dingtalk]\nwebhook = "{robot.url("/robot/send", "access_token=FROMFILE")}"\nsecret = "file-secret"\n',
        encoding="utf-8",
    )
    result = run_summary(invoke, project, tmp_path, "--send", "dingtalk", "--output", str(tmp_path / "w.md"))
    assert result.exit_code == 0, result.stderr
    query = robot.requests[0]["query"]
    assert query["access_token"] == ["FROMFILE"]
    assert query["sign"][0] == dingtalk_sign(query["timestamp"][0], "file-secret")


def test_environment_wins_over_the_file(tmp_path):
    (tmp_path / ".ipdemo-secrets.toml").write_text('[wecom]\nwebhook = "https://file.example/x"\n', encoding="utf-8")
    point = endpoint("wecom", tmp_path, {"IPDEMO_WECOM_WEBHOOK": "https://env.example/y"})
    assert point.url == "https://env.example/y" and point.source == "IPDEMO_WECOM_WEBHOOK"
    assert endpoint("wecom", tmp_path, {}).url == "https://file.example/x"


def test_dotenv_style_file(tmp_path):
    (tmp_path / ".ipdemo-secrets.toml").write_text(
        "# robots\nIPDEMO_FEISHU_WEBHOOK=https://open.example/hook/abc\nexport IPDEMO_FEISHU_SECRET='s3'\n",
        encoding="utf-8",
    )
    point = endpoint("feishu", tmp_path, {})
    assert (point.url, point.secret) == ("https://open.example/hook/abc", "s3")


def test_unreadable_secrets_file_is_a_message(tmp_path):
    (tmp_path / ".ipdemo-secrets.toml").write_text("[wecom\nnot = toml = at all\n", encoding="utf-8")
    with pytest.raises(NotifyError) as caught:
        endpoint("wecom", tmp_path, {})
    assert caught.value.code == "secrets_file_bad"


# --- size limits ---------------------------------------------------------------------------------

LONG = "\n".join(f"- 第{n}行：软件著作权登记量 77.5%，有风险，每周需完成 52 件 {'长' * (n % 40)}" for n in range(2000))


@pytest.mark.parametrize("target", ["wecom", "dingtalk", "feishu"])
def test_a_long_digest_fits_each_limit(target):
    point = Endpoint(ROBOTS[target], "https://robot.example/send?key=k", "secret" if target != "wecom" else None, "t")
    request = build_request(point, "周报", LONG, "……（内容过长已截断，全文见 周报.html）", now=1700000000.0)
    body = json.loads(request.body)
    if target == "wecom":
        assert len(body["markdown"]["content"].encode("utf-8")) <= 4096
    else:
        assert len(request.body) <= 20000
    assert request.content.endswith("全文见 周报.html）")
    assert LONG.startswith(request.content.rsplit("\n", 1)[0])  # whole lines kept, in order
    assert len(request.content.encode("utf-8")) > (3000 if target == "wecom" else 15000)  # not cut needlessly


def test_fit_cuts_on_a_character_boundary():
    text = "专利" * 3000  # one line, no place to break
    cut = fit(text, 100, "…")
    data = cut.encode("utf-8")
    assert len(data) <= 100 and cut.endswith("\n…")
    data.decode("utf-8")  # whole characters only
    assert fit("short", 100, "…") == "short"


def test_cli_digest_cut_to_the_limit(invoke, shipped, tmp_path, robot, monkeypatch):
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
    monkeypatch.setitem(ROBOTS, "wecom", notify.Robot("wecom", "IPDEMO_WECOM_WEBHOOK", None, 600, "content"))
    result = invoke(
        [
            "summary",
            "--week",
            "2023-W39",
            "--output",
            str(tmp_path / "周报.md"),
            "--send",
            "wecom",
            "--targets",
            str(shipped / "targets.yaml"),
        ],
        cwd=tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    content = robot.requests[0]["body"]["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 600
    assert content.endswith("……（内容过长已截断，全文（周报.md）可向台账管理员索取）")
    assert "已截断" in result.stderr


def test_cron_examples_send_the_summary():
    root = Path(__file__).resolve().parent.parent / "docs" / "ci"
    cron = [line for line in (root / "crontab").read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    assert len(cron) == 1 and "--send wecom" in cron[0] and "--output" in cron[0]
    service = (root / "ipdemo-summary.service").read_text(encoding="utf-8")
    assert "--send wecom" in service and "EnvironmentFile=-" in service
    import tomllib

    example = tomllib.loads((root / "ipdemo-secrets.toml.example").read_text(encoding="utf-8"))
    assert set(example) == set(ROBOTS)
