"""The weekly digest delivered to an office's group chat: 企业微信 (WeCom), 钉钉 (DingTalk) and
飞书 (Feishu) group robots, each as its markdown message type.

Invariants:
- the webhook address and signing secret come from the environment (IPDEMO_WECOM_WEBHOOK,
  IPDEMO_DINGTALK_WEBHOOK + IPDEMO_DINGTALK_SECRET, IPDEMO_FEISHU_WEBHOOK + IPDEMO_FEISHU_SECRET)
  or from `.ipdemo-secrets.toml` beside targets.yaml (TOML, or KEY=VALUE lines) — never from
  targets.yaml — and are never shown: messages name the robot and the host only;
- a message always fits the robot's documented limit (WeCom: markdown content ≤ 4096 bytes;
  DingTalk: request body ≤ 20000 bytes; Feishu: request body ≤ 20 KB), cut at a line or else a
  UTF-8 character boundary, and then says where the full digest is;
- HTTP with the standard library only, a timeout on every request; network errors and 5xx
  answers are retried a bounded number of times with growing pauses; a robot's refusal
  (errcode / code ≠ 0, or a 4xx) is not retried;
- no terminal code here: functions return data or raise NotifyError (exit 1) with an i18n code;
  the digest's words and the robots' names are i18n labels (digest.*, robot.*).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ipdemo.engine.summary import Summary
from ipdemo.errors import IpdemoError
from ipdemo.i18n import Term, count_of, label, localized
from ipdemo.render.grid import cell_text
from ipdemo.render.report import name_of, status_text

SECRETS_FILE = ".ipdemo-secrets.toml"
TIMEOUT = 10.0  # seconds, each request
ATTEMPTS = 4  # the first try and three retries
BACKOFF = 1.0  # seconds before the first retry; doubled each time
HEADLINES = 4  # indicators shown with their figures (the plan's first volume targets)


class NotifyError(IpdemoError):
    """The digest could not be delivered (configuration, network, or the robot said no)."""


@dataclass(frozen=True)
class Robot:
    id: str  # its name is the label robot.<id> (企业微信 / WeCom)
    url_variable: str
    secret_variable: str | None
    limit: int  # bytes
    limit_on: str  # "content" (the markdown text) or "body" (the whole request)

    @property
    def term(self) -> Term:
        """The robot's name as a message parameter, worded in the reader's language."""
        return Term(f"robot.{self.id}")

    def name(self, lang: str) -> str:
        return self.term.text(lang)


ROBOTS = {
    "wecom": Robot("wecom", "IPDEMO_WECOM_WEBHOOK", None, 4096, "content"),
    "dingtalk": Robot("dingtalk", "IPDEMO_DINGTALK_WEBHOOK", "IPDEMO_DINGTALK_SECRET", 20000, "body"),
    "feishu": Robot("feishu", "IPDEMO_FEISHU_WEBHOOK", "IPDEMO_FEISHU_SECRET", 20000, "body"),
}


@dataclass(frozen=True)
class Endpoint:
    robot: Robot
    url: str
    secret: str | None
    source: str  # where the address came from: a variable name or the secrets file

    @property
    def host(self) -> str:
        return urllib.parse.urlsplit(self.url).netloc or "?"


# --- configuration --------------------------------------------------------------------------

def endpoint(target: str, folder: Path, env: Mapping[str, str] | None = None) -> Endpoint:
    """The robot's webhook and secret: the environment first, then the secrets file in `folder`."""
    robot = ROBOTS[target]
    variables: Mapping[str, str] = os.environ if env is None else env
    path = folder / SECRETS_FILE
    settings = read_secrets(path) if path.is_file() else {}
    found = settings.get(target)
    table: dict[str, Any] = found if isinstance(found, dict) else {}
    url, source = variables.get(robot.url_variable, "").strip(), robot.url_variable
    if not url:
        url = str(table.get("webhook") or settings.get(robot.url_variable) or "").strip()
        source = SECRETS_FILE
    if not url:
        raise NotifyError("webhook_missing", robot=robot.term, variable=robot.url_variable, file=SECRETS_FILE,
                          target=target)
    if urllib.parse.urlsplit(url).scheme not in ("http", "https") or not urllib.parse.urlsplit(url).netloc:
        raise NotifyError("webhook_bad_url", robot=robot.term, source=source)
    secret = None
    if robot.secret_variable:
        secret = variables.get(robot.secret_variable, "").strip() or \
            str(table.get("secret") or settings.get(robot.secret_variable) or "").strip() or None
    return Endpoint(robot, url, secret, source)


def read_secrets(path: Path) -> dict:
    """`.ipdemo-secrets.toml`: [wecom] webhook = "…" tables, or top-level IPDEMO_… = "…" keys;
    a file of KEY=VALUE lines (.env style, values unquoted) is read too."""
    import tomllib

    from ipdemo.data.ledger import display_path

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotifyError("secrets_file_bad", path=display_path(path), reason=getattr(exc, "strerror", None) or str(exc)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        parsed = _dotenv(text)
        if parsed is None:
            raise NotifyError("secrets_file_bad", path=display_path(path), reason=str(exc)) from None
        return parsed


def _dotenv(text: str) -> dict[str, str] | None:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", line)
        if not match:
            return None
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[match.group(1)] = value
    return out


# --- the digest -----------------------------------------------------------------------------

MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _md(text: str) -> str:
    """Ledger or plan text as literal markdown (no links, no HTML, one line)."""
    return MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def title(summary: Summary, lang: str) -> str:
    return label("digest.title", lang, week=summary.week.label)


def digest(summary: Summary, lang: str, full: str | None, flavour: str) -> str:
    """The short digest as the robot's markdown: headline figures, records of the week, status
    changes, what is at risk with the weekly rate it needs, data problems, where the full
    summary is. `full` is a URL (made a link) or a file name."""
    def d(key: str, **params: object) -> str:
        return label(f"digest.{key}", lang, **params)

    w = summary.week
    blocks: list[str] = []
    head = d("heading", title=title(summary, lang), start=w.start, end=w.end)
    blocks.append(f"**{_md(head)}**" if flavour == "feishu" else f"### {_md(head)}")
    plan = summary.plan.plan
    blocks.append(_md(localized(plan.name, plan.name_en, lang)))
    indicators = [m.indicator for m in summary.movements]
    counts = {s: sum(i.status == s for i in indicators) for s in ("achieved", "on_track", "at_risk", "behind")}
    lines = [d("overall", total=len(indicators), **counts)]
    for m in [m for m in summary.movements if m.indicator.kind == "cumulative" and m.indicator.target][:HEADLINES]:
        i = m.indicator
        delta = label("punct.paren", lang, text=f"+{cell_text(m.delta)}") if m.delta else ""
        lines.append(d("headline_item", name=_md(name_of(i, lang)), actual=cell_text(i.actual), target=cell_text(i.target),
                       unit=_md(i.unit), delta=delta, percent=cell_text(i.percent),
                       status=_status(i.status, lang, flavour)))
    blocks.append(_section(d("headline"), lines, flavour))
    records = []
    for ledger, counts_by_town in summary.records.items():
        total = sum(counts_by_town.values())
        if total:
            spec = summary.plan.ledgers[ledger]
            records.append(f"{_md(localized(spec.name, spec.name_en or ledger, lang))} {cell_text(total)}")
    blocks.append(label("punct.labelled", lang, name=f"**{d('records')}**",
                        text=label("punct.list", lang).join(records) or d("none")))
    changed = [label("punct.labelled", lang, name=_md(name_of(m.indicator, lang)),
                     text=f"{status_text(m.status_before, lang)} → {_status(m.indicator.status, lang, flavour)}")
               for m in summary.changed]
    blocks.append(_section(d("changed"), changed or [d("none")], flavour))
    risky = []
    for m in summary.risky:
        i = m.indicator
        parts = ([f"{cell_text(i.percent)}%"] if i.percent is not None else []) + [_status(i.status, lang, flavour)]
        if i.needed_per_week:
            parts.append(d("needed", rate=f"{cell_text(i.needed_per_week)} {_md(i.unit)}"))
        risky.append(label("punct.labelled", lang, name=_md(name_of(i, lang)), text=label("punct.comma", lang).join(parts)))
    blocks.append(_section(d("risky"), risky or [d("none")], flavour))
    tail = [d("problems", errors=count_of(summary.errors, "error", lang),
              warnings=count_of(summary.warnings, "warning", lang))]
    if summary.stale:
        tail.append(d("stale", count=len(summary.stale)))
    blocks.append("\n".join(tail) if flavour != "dingtalk" else "\n\n".join(tail))
    if full:
        blocks.append(full_line(full, lang))
    return "\n\n".join(blocks) + "\n"  # a blank line ends a quote or a list in every robot's markdown


def full_line(full: str, lang: str) -> str:
    if re.match(r"https?://", full):
        return label("digest.full", lang, full=f"[{_md(full.rsplit('/', 1)[-1] or full)}]({full.replace(')', '%29')})")
    return label("digest.full_file", lang, full=_md(full))


def cut_note(full: str, lang: str) -> str:
    """What a digest cut to fit the robot's limit ends with: where the full summary is."""
    return label("digest.cut", lang, full=full_line(full, lang))


def _status(status: str | None, lang: str, flavour: str) -> str:
    text = status_text(status, lang)
    if flavour == "wecom" and status in ("at_risk", "behind"):
        return f'<font color="warning">{text}</font>'
    return f"**{text}**" if status in ("at_risk", "behind") else text


def _section(heading: str, lines: list[str], flavour: str) -> str:
    bullet = "> " if flavour == "wecom" else "- "
    gap = "\n\n" if flavour == "dingtalk" else "\n"  # DingTalk joins single-newline lines
    return f"**{heading}**{gap}" + "\n".join(bullet + line for line in lines)


# --- fitting a limit ------------------------------------------------------------------------

def fit(text: str, budget: int, note: str) -> str:
    """`text` within `budget` UTF-8 bytes: whole if it fits, else the lines that fit and `note`
    (a line cut on a character boundary when not even the first one fits)."""
    data = text.encode("utf-8")
    if len(data) <= budget:
        return text
    tail = "\n" + note
    room = budget - len(tail.encode("utf-8"))
    if room <= 0:
        return _cut(note, budget)
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        size = len(line.encode("utf-8")) + (1 if kept else 0)
        if used + size > room:
            if not kept:
                kept.append(_cut(line, room))
            break
        kept.append(line)
        used += size
    return "\n".join(kept).rstrip() + tail


def _cut(text: str, budget: int) -> str:
    """The longest prefix of `text` within `budget` UTF-8 bytes (never half a character)."""
    return text.encode("utf-8")[:max(0, budget)].decode("utf-8", "ignore")


# --- requests -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    content: str  # the markdown actually sent


def build_request(point: Endpoint, heading: str, text: str, note: str, now: float) -> Request:
    """The robot's markdown message, within its limit, signed when a secret is configured."""
    robot = point.robot
    if robot.limit_on == "content":
        content = fit(text, robot.limit, note)
        return Request(point.url, _json(_body(point, heading, content, now)), content)
    budget = robot.limit - len(_json(_body(point, heading, "", now)))
    for _ in range(50):  # shrink until the whole request fits (JSON escapes cost bytes)
        content = fit(text, budget, note)
        body = _json(_body(point, heading, content, now))
        if len(body) <= robot.limit:
            return Request(_signed_url(point, now), body, content)
        budget -= len(body) - robot.limit + 16
    raise NotifyError("digest_too_large", robot=robot.term)  # pragma: no cover


def _json(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _body(point: Endpoint, heading: str, content: str, now: float) -> dict:
    kind = point.robot.id
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": content}}
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": heading, "text": content}}
    body = {"msg_type": "interactive",
            "card": {"config": {"wide_screen_mode": True},
                     "header": {"title": {"tag": "plain_text", "content": heading}, "template": "blue"},
                     "elements": [{"tag": "markdown", "content": content}]}}
    if point.secret:
        stamp = str(int(now))
        body = {"timestamp": stamp, "sign": feishu_sign(stamp, point.secret), **body}
    return body


def dingtalk_sign(timestamp_ms: str, secret: str) -> str:
    """base64(HMAC-SHA256(key=secret, msg="timestamp\\nsecret")), as DingTalk checks it (before
    URL-encoding)."""
    digest_ = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest_).decode("ascii")


def feishu_sign(timestamp_s: str, secret: str) -> str:
    """base64(HMAC-SHA256(key="timestamp\\nsecret", msg=b"")), as Feishu checks it."""
    digest_ = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest_).decode("ascii")


def _signed_url(point: Endpoint, now: float) -> str:
    if point.robot.id != "dingtalk" or not point.secret:
        return point.url
    stamp = str(int(now * 1000))
    query = urllib.parse.urlencode({"timestamp": stamp, "sign": dingtalk_sign(stamp, point.secret)})
    return point.url + ("&" if urllib.parse.urlsplit(point.url).query else "?") + query


@dataclass(frozen=True)
class Delivery:
    robot: str
    attempts: int
    bytes: int
    truncated: bool


def send(point: Endpoint, heading: str, text: str, note: str, *, timeout: float | None = None,
         attempts: int | None = None, backoff: float | None = None, clock: Callable[[], float] = time.time,
         sleep: Callable[[float], None] = time.sleep) -> Delivery:
    """Post the digest; retry network errors and 5xx (pauses of backoff, 2×, 4× …); raise
    NotifyError on a refusal or when every attempt failed. Defaults: TIMEOUT, ATTEMPTS, BACKOFF."""
    timeout = TIMEOUT if timeout is None else timeout
    attempts = ATTEMPTS if attempts is None else attempts
    backoff = BACKOFF if backoff is None else backoff
    robot = point.robot
    reason = ""
    for attempt in range(1, attempts + 1):
        request = build_request(point, heading, text, note, clock())  # fresh signature each time
        outcome = _post(request, timeout)
        if outcome[0] == "ok":
            return Delivery(robot.id, attempt, len(request.body), request.content != text)
        if outcome[0] == "refused":
            raise NotifyError("robot_refused", robot=robot.term, errcode=outcome[1], reason=outcome[2])
        reason = outcome[1]
        if attempt < attempts:
            sleep(backoff * 2 ** (attempt - 1))
    raise NotifyError("robot_unreachable", robot=robot.term, host=point.host, attempts=attempts, reason=reason)


def _post(request: Request, timeout: float) -> tuple:
    """('ok',) | ('refused', code, message) | ('retry', reason)."""
    req = urllib.request.Request(request.url, data=request.body, method="POST",
                                 headers={"Content-Type": "application/json; charset=utf-8",
                                          "User-Agent": "ipdemo"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            status, raw = answer.status, answer.read(65536)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, _read(exc)
    except (urllib.error.URLError, OSError) as exc:  # refused, reset, DNS, timeout
        reason = getattr(exc, "reason", None) or exc
        return ("retry", str(reason))
    if status >= 500:
        return ("retry", f"HTTP {status}")
    code, message = _answer(raw)
    if status >= 400:
        return ("refused", code if code not in (None, 0) else status, message or f"HTTP {status}")
    if code is None:
        return ("refused", status, message or "not a JSON answer")
    return ("ok",) if code == 0 else ("refused", code, message)


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read(65536)
    except OSError:
        return b""


def _answer(raw: bytes) -> tuple[int | None, str]:
    """(code, message) from WeCom/DingTalk {"errcode", "errmsg"} or Feishu {"code", "msg"}
    (older Feishu: {"StatusCode", "StatusMessage"})."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None, raw[:200].decode("utf-8", "replace").strip()
    if not isinstance(data, dict):
        return None, ""
    for code_key, msg_key in (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage")):
        if code_key in data:
            try:
                return int(data[code_key]), str(data.get(msg_key) or "")
            except (TypeError, ValueError):
                return None, str(data.get(msg_key) or "")
    return None, ""
