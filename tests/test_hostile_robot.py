"""Hostile robots and hostile webhook addresses (issue 22, items 2, 5, 7, 8 and 9).

Each case runs `ipdemo summary --send …` as a user types it, with a secret in the address, and
asserts what the user sees — and that the secret is in nothing ipdemo printed or wrote.

The servers here are raw sockets on 127.0.0.1 so that they can misbehave (trickle, redirect,
send megabytes, lie); each stops by itself after a bounded time and a bounded number of
connections. Hosts that are not 127.0.0.1 (an IDN host) go through a local proxy, so no test
ever looks up a name.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from ipdemo.deliver import notify
from ipdemo.deliver.notify import ROBOTS

WEEK = "2021-W23"
SECRET = "S3CRET-KEY-0f9e8d7c6b5a"  # the webhook key
SIGNING = "SIGNING-SECRET-1a2b3c4d5e"  # a DingTalk / Feishu signing secret
OK = {"errcode": 0, "errmsg": "ok"}

Reply = Callable[[dict], Iterable["bytes | float"]]  # bytes to send, or a pause in seconds


class Hostile:
    """A robot on 127.0.0.1 that answers each request with what `reply` yields (bytes, or a
    float: a pause). It records every request (request line, headers, body) and stops by itself
    after `lifetime` seconds or `most` connections."""

    def __init__(self, reply: Reply, lifetime: float = 30.0, most: int = 12):
        self.reply = reply
        self.requests: list[dict] = []
        self.lifetime, self.most = lifetime, most
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "Hostile":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.sock.close()

    def url(self, path: str = "/cgi-bin/webhook/send", query: str = f"key={SECRET}") -> str:
        return f"http://127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")

    def _serve(self) -> None:
        end = time.monotonic() + self.lifetime
        accepted = 0
        while not self.stop.is_set() and time.monotonic() < end and accepted < self.most:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            accepted += 1
            threading.Thread(target=self._handle, args=(conn, end), daemon=True).start()

    def _handle(self, conn: socket.socket, end: float) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = _read_request(conn)
            except OSError:
                return
            self.requests.append(request)
            for item in self.reply(request):
                if self.stop.is_set() or time.monotonic() > end:
                    return
                if isinstance(item, float):
                    time.sleep(item)
                    continue
                try:
                    conn.sendall(item)
                except OSError:  # the client hung up
                    return


def _read_request(conn: socket.socket) -> dict:
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    line, *fields = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (f.partition(":") for f in fields)}
    length = min(int(headers.get("content-length") or 0), 1 << 20)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    method, target = line.split(" ")[:2] if " " in line else (line, "")
    return {"method": method, "target": target, "headers": headers, "body": body}


def answer(status: int, body: object = OK, *headers: str) -> list[bytes | float]:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8")
    head = "".join(f"{h}\r\n" for h in headers)
    return [
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        f"Connection: close\r\n{head}\r\n".encode("ascii")
        + data
    ]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    for r in ROBOTS.values():
        monkeypatch.delenv(r.url_variable, raising=False)
        if r.secret_variable:
            monkeypatch.delenv(r.secret_variable, raising=False)
    monkeypatch.setattr(notify, "BACKOFF", 0.01)


def run(invoke, project: Path, folder: Path, robot: str = "wecom", *extra: str):
    return invoke(
        [
            "summary",
            "--week",
            WEEK,
            "--targets",
            str(project / "targets.yaml"),
            "--send",
            robot,
            "--output",
            str(folder / "w.md"),
            *extra,
        ],
        cwd=folder,
    )


def never_shown(result, *folders: Path, secrets: tuple[str, ...] = (SECRET,)) -> None:
    """No secret in stdout, stderr or any file written (the secrets file itself aside); no traceback."""
    shown = result.stdout + result.stderr
    assert "Traceback" not in shown
    for secret in secrets:
        assert secret not in shown, shown
        for folder in folders:
            for path in folder.rglob("*"):
                if path.is_file() and path.name != notify.SECRETS_FILE:
                    assert secret.encode() not in path.read_bytes(), path


def error_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith(("错误", "Error"))]
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- item 2: the key in a traceback or a message --------------------------------------------------


@pytest.mark.parametrize("comment", ["  # 区局工作群", "\t# 区局工作群"])
def test_a_comment_after_the_address_in_the_environment_is_refused_without_the_key(
    invoke, project, tmp_path, monkeypatch, comment
):
    """`IPDEMO_WECOM_WEBHOOK=https://…/send?key=SECRET  # 区局工作群` from a systemd EnvironmentFile
    (which keeps the comment): checked before use, one line naming the variable, the key masked."""
    with Hostile(lambda r: answer(200)) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url() + comment)
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    line = error_line(result)
    assert "IPDEMO_WECOM_WEBHOOK" in line and "注释" in line and "key=***" in line
    assert not robot.requests
    never_shown(result, tmp_path)


@pytest.mark.parametrize(
    "line",
    [
        "IPDEMO_WECOM_WEBHOOK={url}  # 区局工作群",
        "IPDEMO_WECOM_WEBHOOK={url}\t# 区局工作群",
        'export IPDEMO_WECOM_WEBHOOK="{url}"  # 区局工作群',
    ],
)
def test_a_comment_after_the_address_in_the_secrets_file_is_a_comment(invoke, project, tmp_path, line):
    """In `.ipdemo-secrets.toml` written as KEY=VALUE lines, ` # …` ends a value (.env)."""
    with Hostile(lambda r: answer(200)) as robot:
        secrets = project / notify.SECRETS_FILE
        secrets.write_text(line.format(url=robot.url()) + "\n", encoding="utf-8")
        secrets.chmod(0o600)
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert len(robot.requests) == 1
    assert robot.requests[0]["target"] == f"/cgi-bin/webhook/send?key={SECRET}"
    never_shown(result, tmp_path, project)


def test_user_and_key_before_the_host_are_refused(invoke, project, tmp_path, monkeypatch):
    """`http://user:KEY@host/…` printed the key in the "unreachable" message."""
    with socket.socket() as probe:  # nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", f"http://robot:{SECRET}@127.0.0.1:{port}/send")
    result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    line = error_line(result)
    assert f"***@127.0.0.1:{port}/send" in line and "@" in line
    never_shown(result, tmp_path)


def test_the_console_command_never_prints_the_key(project, tmp_path):
    """The real entry point, as cron runs it: no traceback, no key, for a comment and for user:KEY@."""
    for url in (f"http://127.0.0.1:9/send?key={SECRET}  # 区局工作群", f"http://u:{SECRET}@127.0.0.1:9/send"):
        env = {**os.environ, "IPDEMO_WECOM_WEBHOOK": url, "NO_PROXY": "127.0.0.1"}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ipdemo",
                "summary",
                "--week",
                WEEK,
                "--targets",
                str(project / "targets.yaml"),
                "--send",
                "wecom",
                "--output",
                str(tmp_path / "w.md"),
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 1, result.stderr
        never_shown(result, tmp_path)


# --- item 5: bad addresses are messages -------------------------------------------------------------


@pytest.mark.parametrize(
    "url, code_word",
    [
        (f"http://127.0.0.1:abc/send?key={SECRET}", "端口"),
        (f"http://127.0.0.1:99999/send?key={SECRET}", "端口"),
        (f"http://[::1/send?key={SECRET}", "主机名"),
        (f"http://💩.la/send?key={SECRET}", "主机名"),  # IDNA 2008 refuses an emoji
        (f"http:///send?key={SECRET}", "主机名"),
        (f"ftp://127.0.0.1/send?key={SECRET}", "http(s)://"),
        (SECRET, "http(s)://"),  # the key alone, without the address
    ],
)
def test_bad_addresses_are_one_line_without_the_key(invoke, project, tmp_path, monkeypatch, url, code_word):
    with Hostile(lambda r: answer(200)) as proxy:  # anything that does go out goes here, not to a name server
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", url)
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    line = error_line(result)
    assert code_word in line and "IPDEMO_WECOM_WEBHOOK" in line
    assert not proxy.requests
    never_shown(result, tmp_path)


def test_an_idn_host_is_sent_in_punycode(invoke, project, tmp_path, monkeypatch):
    with Hostile(lambda r: answer(200)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", f"http://机器人.例子/send?key={SECRET}")
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 0, result.stderr
    host = "机器人.例子".encode("idna").decode("ascii")  # the standard library's codec as the oracle
    assert host.startswith("xn--")
    assert urllib.parse.urlsplit(proxy.requests[0]["target"]).hostname == host
    never_shown(result, tmp_path)


def test_non_ascii_in_the_query_is_sent_percent_encoded(invoke, project, tmp_path, monkeypatch):
    with Hostile(lambda r: answer(200)) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url(query=f"key={SECRET}&备注=区局"))
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 0, result.stderr
    target = robot.requests[0]["target"]
    assert target.isascii()
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(target).query) == {"key": [SECRET], "备注": ["区局"]}
    never_shown(result, tmp_path)


@pytest.mark.parametrize(
    "proxy",
    [
        "http://user:PROXY-PASSWORD@127.0.0.1:abc",
        "ftp://user:PROXY-PASSWORD@127.0.0.1/",
        "socks5://user:PROXY-PASSWORD@127.0.0.1:9",
    ],
)
def test_a_bad_proxy_setting_is_a_message(invoke, project, tmp_path, monkeypatch, proxy):
    """The environment's proxy address is an address too: no traceback, its password not shown."""
    with Hostile(lambda r: answer(200)) as robot:
        monkeypatch.setenv("ALL_PROXY", proxy)
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path)
    if result.exit_code == 0:  # socks5 with socksio installed: the proxy is fine, and 127.0.0.1 bypasses it
        assert proxy.startswith("socks5") and robot.requests
    else:
        assert result.exit_code == 1 and "代理" in error_line(result) and "key=***" in error_line(result)
    never_shown(result, tmp_path, secrets=(SECRET, "PROXY-PASSWORD"))


# --- item 7: a total deadline ---------------------------------------------------------------------


def trickle(request: dict) -> Iterable[bytes | float]:
    """The status line and headers of a success, one byte every 0.3 s, for at most 20 s."""
    for byte in b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: " + b"x" * 60:
        yield 0.3
        yield bytes([byte])


def test_a_trickling_server_is_cut_at_the_total_deadline(invoke, project, tmp_path, monkeypatch):
    """A byte every 0.3 s never trips a per-read timeout of 2 s; the total of 2 s does. The
    message was sent, so it may have arrived: unconfirmed (not refused), and not sent again."""
    monkeypatch.setattr(notify, "TIMEOUT", 2.0)
    with Hostile(trickle, lifetime=25) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        start = time.monotonic()
        result = run(invoke, project, tmp_path)
        took = time.monotonic() - start
    assert result.exit_code == 1
    assert took < 2.0 + 4, took  # the deadline plus the summary's own work
    line = error_line(result)
    assert "2 秒内没有收到完整的答复" in line and "可能已经送达" in line and "拒绝" not in line
    assert len(robot.requests) == 1
    never_shown(result, tmp_path)


def test_retries_end_at_the_deadline(invoke, project, tmp_path, monkeypatch):
    """A server that answers 503 after a second: retried while a pause and a whole request fit
    before DEADLINE (here: 1 s, then 2 s would not), so the call ends well within it."""
    monkeypatch.setattr(notify, "DEADLINE", 5.0, raising=False)  # (so that the test runs on code without it)
    monkeypatch.setattr(notify, "TIMEOUT", 1.5)
    monkeypatch.setattr(notify, "BACKOFF", 1.0)
    with Hostile(lambda r: [1.0, *answer(503, b"busy")]) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        start = time.monotonic()
        result = run(invoke, project, tmp_path)
        took = time.monotonic() - start
    assert result.exit_code == 1
    assert took < 5.0 + 3, took
    assert 1 <= len(robot.requests) < notify.ATTEMPTS
    assert "HTTP 503" in error_line(result)
    never_shown(result, tmp_path)


# --- item 8: redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed(invoke, project, tmp_path, monkeypatch, status):
    """302 → the POST re-sent as a GET to another host, errcode 0 there, 已发送: a false success."""
    with Hostile(lambda r: answer(200)) as elsewhere:
        target = elsewhere.url("/elsewhere", f"token={SIGNING}")
        with Hostile(lambda r: answer(status, b"", f"Location: {target}")) as robot:
            monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
            result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    line = error_line(result)
    assert "重定向" in line and f"127.0.0.1:{elsewhere.port}/elsewhere?token=***" in line
    assert "已发送" not in result.stderr
    assert len(robot.requests) == 1 and not elsewhere.requests
    never_shown(result, tmp_path, secrets=(SECRET, SIGNING))


# --- item 9: answers --------------------------------------------------------------------------------


def test_a_large_success_answer_is_a_success(invoke, project, tmp_path, monkeypatch):
    """errcode 0 with 70 KiB of padding: delivered (it was read as refused, and a rerun posted twice)."""
    with Hostile(lambda r: answer(200, {"errcode": 0, "errmsg": "ok", "pad": "x" * 70_000})) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "已发送到企业微信群" in result.stderr and len(robot.requests) == 1
    never_shown(result, tmp_path)


def endless(request: dict) -> Iterable[bytes | float]:
    """A "2 GB" success answer, sent until the client hangs up (at most 16 MiB)."""
    yield b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2000000000\r\n\r\n"
    yield b'{"errcode": 0, "errmsg": "ok", "pad": "'
    for _ in range(256):
        yield b"x" * 65536


def test_an_answer_too_large_to_read_is_unconfirmed_never_refused(invoke, project, tmp_path, monkeypatch):
    with Hostile(endless) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    line = error_line(result)
    assert "可能已经送达" in line and "超过 1 MB" in line and "拒绝" not in line
    assert len(robot.requests) == 1  # never sent twice
    never_shown(result, tmp_path)


@pytest.mark.parametrize(
    "body",
    [b'{"errcode": 1e400, "errmsg": "x"}', b"[" * 100_000, b"<html>portal</html>", b"{}"],
    ids=["infinite-errcode", "nested-too-deep", "html", "no-errcode"],
)
def test_a_success_status_without_the_robots_answer_is_unconfirmed(invoke, project, tmp_path, monkeypatch, body):
    with Hostile(lambda r: answer(200, body)) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    line = error_line(result)
    assert "可能已经送达" in line and "拒绝" not in line
    assert len(robot.requests) == 1
    never_shown(result, tmp_path)


def test_the_robots_words_are_shown_as_text(invoke, project, tmp_path, monkeypatch):
    """errmsg with ANSI escapes, a forged line and a right-to-left override: escaped, on one line."""
    forged = "\x1b[2J\x1b[31mbad\x1b[0m\n周报已写入 ok\r已发送到企业微信群\u202e"
    with Hostile(lambda r: answer(200, {"errcode": 93000, "errmsg": forged})) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    assert "\x1b" not in result.stderr and "\r" not in result.stderr and "\u202e" not in result.stderr
    line = error_line(result)
    assert (
        "错误码 93000" in line
        and "\\x1b[2J\\x1b[31mbad" in line
        and "\\n周报已写入 ok\\r已发送到企业微信群\\u202e" in line
    )
    assert result.stderr.count("\n") == 2  # "周报已写入 w.md" and the error: no forged line
    never_shown(result, tmp_path)


def test_a_key_the_robot_echoes_is_masked(invoke, project, tmp_path, monkeypatch):
    with Hostile(lambda r: answer(200, {"errcode": 93000, "errmsg": f"invalid key {SECRET} ({r['target']})"})) as robot:
        monkeypatch.setenv("IPDEMO_WECOM_WEBHOOK", robot.url())
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    line = error_line(result)
    assert "invalid key ***" in line and "key=***" in line
    never_shown(result, tmp_path)


@pytest.mark.parametrize("robot_id", ["dingtalk", "feishu"])
def test_the_feishu_hook_id_and_signing_secrets_are_never_shown(invoke, project, tmp_path, monkeypatch, robot_id):
    """Feishu's key is a path segment; DingTalk and Feishu sign with a secret; an answer echoing
    both, and a later unreachable run, show neither."""
    with Hostile(lambda r: answer(200, {"errcode": 310000, "errmsg": f"sign mismatch {SIGNING} {SECRET}"})) as robot:
        path = f"/open-apis/bot/v2/hook/{SECRET}" if robot_id == "feishu" else "/robot/send"
        query = "" if robot_id == "feishu" else f"access_token={SECRET}"
        monkeypatch.setenv(ROBOTS[robot_id].url_variable, robot.url(path, query))
        monkeypatch.setenv(ROBOTS[robot_id].secret_variable, SIGNING)
        refused = run(invoke, project, tmp_path, robot_id)
    assert refused.exit_code == 1 and "310000" in refused.stderr
    unreachable = run(invoke, project, tmp_path, robot_id)  # the server is gone
    assert unreachable.exit_code == 1 and "已尝试 4 次" in unreachable.stderr
    for result in (refused, unreachable):
        assert f"127.0.0.1:{robot.port}/" in result.stderr
        never_shown(result, tmp_path, secrets=(SECRET, SIGNING))


# --- item 9: the secrets file's mode -----------------------------------------------------------------


@pytest.mark.parametrize(
    "mode, warned",
    [(0o666, True), (0o644, True), (0o620, True), (0o602, True), (0o600, False), (0o640, False), (0o400, False)],
    ids=lambda v: f"{v:04o}" if isinstance(v, int) and not isinstance(v, bool) else str(v),
)
def test_a_secrets_file_others_can_read_or_change_is_warned_about(invoke, project, tmp_path, mode, warned):
    with Hostile(lambda r: answer(200)) as robot:
        secrets = project / notify.SECRETS_FILE
        secrets.write_text(f'[wecom]\nwebhook = "{robot.url()}"\n', encoding="utf-8")
        secrets.chmod(mode)
        result = run(invoke, project, tmp_path)
    assert result.exit_code == 0, result.stderr
    warning = [line for line in result.stderr.splitlines() if line.startswith("警告")]
    if warned:
        assert len(warning) == 1 and f"{mode:04o}" in warning[0] and "chmod 600" in warning[0], result.stderr
        assert notify.SECRETS_FILE in warning[0]
    else:
        assert not warning, result.stderr
    assert len(robot.requests) == 1  # a warning, not a refusal
    never_shown(result, tmp_path)


def test_the_secrets_files_mode_is_said_when_its_address_is_wrong_too(invoke, project, tmp_path):
    secrets = project / notify.SECRETS_FILE
    secrets.write_text(f'[wecom]\nwebhook = "http://127.0.0.1:abc/send?key={SECRET}"\n', encoding="utf-8")
    secrets.chmod(0o666)
    result = run(invoke, project, tmp_path)
    assert result.exit_code == 1
    assert "端口" in error_line(result) and "chmod 600" in result.stderr
    never_shown(result, tmp_path)
