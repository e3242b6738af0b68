"""The weekly digest delivered to an office's group chat: 企业微信 (WeCom), 钉钉 (DingTalk) and
飞书 (Feishu) group robots, each as its markdown message type.

Invariants:
- the webhook address and signing secret come from the environment (IPDEMO_WECOM_WEBHOOK,
  IPDEMO_DINGTALK_WEBHOOK + IPDEMO_DINGTALK_SECRET, IPDEMO_FEISHU_WEBHOOK + IPDEMO_FEISHU_SECRET)
  or from `.ipdemo-secrets.toml` beside targets.yaml (TOML, or KEY=VALUE lines) — never from
  targets.yaml; a secrets file others can read or write is used with a warning (chmod 600);
- secrets never reach a message: nothing holding the key or the signing secret is posted (an
  option such as --link is refused first: refuse_secret_options; any message or file: leaks());
  the address is parsed and checked before anything is sent
  (check_url) and shown only masked (masked(): query values, long path segments and user:password
  replaced by ***); what a server or the network says is cleaned (clean(): the secrets scrubbed,
  addresses masked, control characters shown as escapes, one line, at most 300 characters);
- a message always fits the robot's documented limit (WeCom: markdown content ≤ 4096 bytes;
  DingTalk: request body ≤ 20000 bytes; Feishu: request body ≤ 20 KB), cut at a line or else a
  UTF-8 character boundary, and then says where the full digest is;
- HTTP with httpx: one request lasts at most TIMEOUT seconds in all (an asyncio deadline around
  name lookup, connect, send and the capped read of the answer — not only per read; a stalled
  lookup is left to a daemon thread, never waited for), the whole call with its
  retries and pauses at most DEADLINE; redirects are never followed (a POST is not re-sent
  anywhere else); an answer is read up to ANSWER_LIMIT bytes;
- only what cannot have been delivered is retried (no connection, 5xx, and a robot's "too many
  messages": HTTP 429 or a RATE_LIMITED code), with growing pauses — at least the pause the robot
  asks for (Retry-After) — and only while the pause and a whole request fit before the deadline;
  each retry is said to the user (Pacing.waiting); any other refusal (errcode / code ≠ 0, or a 4xx)
  is not retried; an answer that may follow a
  delivery but cannot be read (a stall or a drop after the message was sent, an answer too large
  or not the robot's JSON) is reported as unconfirmed — never as refused — and not retried;
- no terminal code here: functions return data or raise NotifyError (exit 1) with an i18n code —
  FileNotSent (exit 3) when the digest went out and the file sent after it did not;
  the digest's words and the robots' names are i18n labels (digest.*, robot.*).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import stat
import threading
import time
import urllib.parse
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ipdemo.data.store import SECRETS_NAME
from ipdemo.engine.summary import Summary
from ipdemo.errors import IpdemoError, Problem
from ipdemo.i18n import Term, count_of, in_both, label, localized
from ipdemo.render.dates import range_text
from ipdemo.render.grid import cell_text
from ipdemo.render.pace import indicator_pace
from ipdemo.render.report import name_of, overview, status_text

SECRETS_FILE = SECRETS_NAME
SECRETS_OPEN = stat.S_IWGRP | stat.S_IWOTH | stat.S_IROTH  # bits of a secrets file that earn a warning
TIMEOUT = 10.0  # seconds, one request in all: connect, send, the whole answer
DEADLINE = 60.0  # seconds, the whole call: every attempt and every pause
ATTEMPTS = 4  # the first try and three retries
BACKOFF = 1.0  # seconds before the first retry; doubled each time
ANSWER_LIMIT = 1 << 20  # bytes of an answer read (a robot's is under 1 KB; a success of 64 KiB is read whole)
HEADLINES = 4  # indicators shown with their figures (the plan's first volume targets)
MASK = "***"
SHOWN_SEGMENT = 12  # a path segment longer than this is a token (Feishu's hook id): masked
SHOWN_TEXT = 300  # characters of a server's or the network's words shown


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
    warnings: tuple[Problem, ...] = ()  # about the secrets file (readable or writable by others)

    @property
    def shown(self) -> str:
        """The address as messages show it: the key masked."""
        return masked(self.url)

    def secrets(self) -> list[str]:
        """Every string of the address or the signing secret that must never be shown."""
        return secret_parts(self.url) + ([self.secret] if self.secret else [])


# --- configuration --------------------------------------------------------------------------


def endpoint(target: str, folder: Path, env: Mapping[str, str] | None = None) -> Endpoint:
    """The robot's webhook and secret: the environment first, then the secrets file in `folder`.
    The address is checked here, before anything is sent (check_url)."""
    robot = ROBOTS[target]
    variables: Mapping[str, str] = os.environ if env is None else env
    path = folder / SECRETS_FILE
    settings, warnings = (read_secrets(path), secrets_file_warnings(path)) if path.is_file() else ({}, ())
    found = settings.get(target)
    table: dict[str, Any] = found if isinstance(found, dict) else {}
    url, source = variables.get(robot.url_variable, "").strip(), robot.url_variable
    if not url:
        url = str(table.get("webhook") or settings.get(robot.url_variable) or "").strip()
        source = SECRETS_FILE
    if not url:
        raise NotifyError(
            "webhook_missing", robot=robot.term, variable=robot.url_variable, file=SECRETS_FILE, target=target
        )
    secret = None
    if robot.secret_variable:
        secret = (
            variables.get(robot.secret_variable, "").strip()
            or str(table.get("secret") or settings.get(robot.secret_variable) or "").strip()
            or None
        )
    point = Endpoint(robot, url, secret, source, warnings)
    try:
        check_url(point)
    except NotifyError as exc:
        exc.problems.extend(warnings)  # the file's mode is worth saying when the address is wrong too
        raise
    return point


def read_secrets(path: Path) -> dict:
    """`.ipdemo-secrets.toml`: [wecom] webhook = "…" tables, or top-level IPDEMO_… = "…" keys;
    a file of KEY=VALUE lines (.env style, values unquoted) is read too."""
    import tomllib

    from ipdemo.data.ledger import display_path

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotifyError(
            "secrets_file_bad", path=display_path(path), reason=getattr(exc, "strerror", None) or str(exc)
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        parsed = _dotenv(text)
        if parsed is None:
            raise NotifyError("secrets_file_bad", path=display_path(path), reason=str(exc)) from None
        return parsed


def secrets_file_warnings(path: Path) -> tuple[Problem, ...]:
    """A warning when others may read the secrets file or change it (group/world-writable, or
    world-readable): anyone who can write it can send the office's digest to their own robot.
    POSIX only (Windows has no such mode bits)."""
    from ipdemo.data.ledger import display_path

    if os.name != "posix":  # pragma: no cover
        return ()
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return ()
    if not mode & SECRETS_OPEN:
        return ()
    shown = display_path(path)
    return (Problem(shown, None, None, "secrets_file_open", "warning", {"path": shown, "mode": f"{mode:04o}"}),)


def _dotenv(text: str) -> dict[str, str] | None:
    """KEY=VALUE lines as .env files write them: `export` allowed, values quoted or not, and an
    unquoted value ends at ` #` (a comment on the same line, as in python-dotenv)."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)", line)
        if not match:
            return None
        value = match.group(2).strip()
        quoted = re.fullmatch(r"(['\"])(.*)\1\s*(?:#.*)?", value)
        out[match.group(1)] = quoted.group(2) if quoted else re.split(r"\s#", value, maxsplit=1)[0].rstrip()
    return out


# --- the address: checked before use, shown masked ------------------------------------------


def check_url(point: Endpoint) -> str:
    """The address as it will be requested (an IDN host in punycode, non-ASCII in the path or
    query percent-encoded as UTF-8), or NotifyError saying what is wrong — before anything is
    sent, with the address masked and no part of it quoted."""
    import httpx

    raw = point.url

    def bad(code: str, **params: Any) -> NotifyError:
        return NotifyError(code, robot=point.robot.term, source=point.source, url=point.shown, **params)

    for index, char in enumerate(raw):
        if char == " " or not char.isprintable():  # a tab, a newline, an invisible or control character
            raise bad("webhook_space", position=index + 1)
    try:
        split = urllib.parse.urlsplit(raw)
    except ValueError:  # "[::1" without its "]"
        raise bad("webhook_bad_host") from None
    if split.scheme.lower() not in ("http", "https"):
        raise bad("webhook_bad_url")
    if "@" in split.netloc:
        raise bad("webhook_userinfo")
    try:
        split.port  # noqa: B018 (urllib checks the port when it is read)
    except ValueError:
        raise bad("webhook_bad_port") from None
    if not split.hostname:
        raise bad("webhook_bad_host")
    try:
        parsed = httpx.URL(raw)
        parsed.host  # noqa: B018 (decodes an xn-- label: invalid punycode fails here, not when sending)
        return str(parsed)
    except (httpx.InvalidURL, ValueError):  # an IDN label IDNA cannot encode or decode (UnicodeError is a ValueError)
        raise bad("webhook_bad_host") from None


def masked(url: str) -> str:
    """`url` with its secrets replaced by ***: every query value, path segments longer than
    SHOWN_SEGMENT characters (tokens), user:password, a port that is no number; no fragment.
    Never raises, whatever the text."""
    try:
        split = urllib.parse.urlsplit(url)
    except ValueError:
        split = None
    if split is None or not split.netloc:  # not an address at all (a bare key?): nothing of it shown
        scheme = url.split("://", 1)[0] if "://" in url else ""
        return printable(f"{scheme[:10]}://{MASK}" if scheme else MASK)
    host = split.netloc.rpartition("@")[2]
    name, colon, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if colon and not port.isdigit():
        host = f"{name}:{MASK}"
    if "@" in split.netloc:
        host = f"{MASK}@{host}"
    path = "/".join(MASK if len(part) > SHOWN_SEGMENT else part for part in split.path.split("/"))
    query = "&".join(_shown_pair(pair) for pair in split.query.split("&") if pair)
    scheme = f"{split.scheme}://" if split.scheme else ""
    return printable(scheme + host + path + (f"?{query}" if query else ""))


def _shown_pair(pair: str) -> str:
    """`name=***`: a query's names are shown when short, its values never (nor a bare token)."""
    name, equals, _ = pair.partition("=")
    return f"{name if len(name) <= SHOWN_SEGMENT else MASK}={MASK}" if equals else MASK


def secret_parts(url: str) -> list[str]:
    """What masked() hides, as found in the text: to scrub from what servers say."""
    found: list[str] = []
    try:
        split = urllib.parse.urlsplit(url)
    except ValueError:
        return [url]
    found += split.netloc.rpartition("@")[0].split(":") if "@" in split.netloc else []
    found += [part for part in split.path.split("/") if len(part) > SHOWN_SEGMENT]
    found += [pair.partition("=")[2] or pair for pair in split.query.split("&")]
    found += [urllib.parse.unquote(part) for part in found]
    return [part for part in found if len(part) >= 4]


def printable(text: str) -> str:
    """Control, format and separator characters as escapes (\\x1b, \\n, \\u202e): an answer
    cannot move the cursor, colour the terminal or start a line that looks like ipdemo's."""
    return "".join(ch if ch == " " or ch.isprintable() else ascii(ch)[1:-1] for ch in text)


URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def _forms(secret: str) -> set[str]:
    """A secret as text may carry it: as written and URL-encoded."""
    return {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}


def clean(text: str, secrets: list[str]) -> str:
    """What a server or the network said, fit to show: the secrets (also URL-encoded) replaced by
    ***, addresses masked, control characters escaped, at most SHOWN_TEXT characters."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        for form in _forms(secret):
            text = text.replace(form, MASK)
    text = URL_IN_TEXT.sub(lambda match: masked(match.group()), text)
    text = printable(text.strip())
    return text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT] + "…"


def leaks(text: str, secrets: list[str]) -> bool:
    """Whether `text` holds one of `secrets`: as written, URL-encoded, or percent-encoded in full."""
    decoded = urllib.parse.unquote(text)
    return any(form in seen for secret in secrets for form in _forms(secret) for seen in (text, decoded))


def refuse_secret_options(point: Endpoint, options: Mapping[str, str | None]) -> None:
    """NotifyError when an option whose text is posted (--link, the summary's file name) holds the
    webhook's key or the signing secret: before anything is written or sent, the key masked."""
    for option, text in options.items():
        if text and leaks(text, point.secrets()):
            raise NotifyError("secret_in_option", option=option, robot=point.robot.term, url=point.shown)


def _refuse_secret_message(point: Endpoint, text: str) -> None:
    """The last guard: no message or file holding a secret is posted, whatever put it there."""
    if leaks(text, point.secrets()):
        raise NotifyError("secret_in_message", robot=point.robot.term, url=point.shown)


# --- the digest -----------------------------------------------------------------------------

MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _md(text: str) -> str:
    """Ledger or plan text as literal markdown (no links, no HTML, one line)."""
    return MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def title(summary: Summary, lang: str) -> str:
    """知识产权工作周报（2023年9月24日至9月30日）: the week once, in the reader's words."""
    return label("digest.title", lang, week=range_text(summary.week.start, summary.week.end, lang))


@dataclass(frozen=True)
class Full:
    """Where the full summary is, as the digest's last line says it: a link (`url`), the file
    sent after the digest (`attached`), or a file the ledger keeper has (neither)."""

    name: str  # the file's name
    url: str | None = None
    attached: bool = False


def digest(summary: Summary, lang: str, full: Full | str | None, flavour: str) -> str:
    """The short digest as the robot's markdown: the overview, headline figures, records of the
    week, status changes, what is at risk with the pace it needs, where ledgers are stale, data
    problems (only when there are any), where the full summary is. `full` as a str is a URL or a
    file name."""

    def d(key: str, **params: object) -> str:
        return label(f"digest.{key}", lang, **params)

    head = title(summary, lang)
    blocks = [f"**{_md(head)}**" if flavour == "feishu" else f"### {_md(head)}"]
    plan = summary.plan.plan
    blocks.append(_md(localized(plan.name, plan.name_en, lang)))
    lines = [_md(overview([m.indicator for m in summary.movements], lang))]
    lines += [_headline(m, lang, flavour) for m in _headlines(summary)]
    blocks.append(_section(d("headline"), lines, flavour))
    blocks.append(_records(summary, lang))
    changed = [
        label(
            "punct.labelled",
            lang,
            name=_md(name_of(m.indicator, lang)),
            text=f"{_status(m.status_before, lang, flavour)} → {_status(m.indicator.status, lang, flavour)}",
        )
        for m in summary.changed
    ]
    blocks.append(_section(d("changed"), changed or [d("none")], flavour))
    risky = [_risky(m, summary, lang, flavour) for m in summary.risky]
    blocks.append(_section(d("risky"), risky or [d("none")], flavour))
    if summary.stale:
        blocks.append(_section(d("stale_head"), _stale(summary, lang), flavour))
    if summary.errors or summary.warnings:
        errors, warnings = count_of(summary.errors, "error", lang), count_of(summary.warnings, "warning", lang)
        blocks.append(d("problems", errors=errors, warnings=warnings))
    if full:
        blocks.append(full_line(full, lang))
    return "\n\n".join(blocks) + "\n"  # a blank line ends a quote or a list in every robot's markdown


def _headlines(summary: Summary) -> list:
    return [m for m in summary.movements if m.indicator.spec.headline and m.indicator.target][:HEADLINES]


def _headline(m, lang: str, flavour: str) -> str:
    i = m.indicator
    delta = label("punct.paren", lang, text=f"+{cell_text(m.delta)}") if m.delta else ""
    return label(
        "digest.headline_item",
        lang,
        name=_md(name_of(i, lang)),
        actual=cell_text(i.actual),
        target=cell_text(i.target),
        unit=_md(i.unit),
        delta=delta,
        percent=cell_text(i.percent),
        status=_status(i.status, lang, flavour),
    )


def _ledger(summary: Summary, name: str, lang: str) -> str:
    spec = summary.plan.ledgers[name]
    return _md(localized(spec.name, spec.name_en or name, lang))


def _records(summary: Summary, lang: str) -> str:
    records = [
        f"{_ledger(summary, ledger, lang)} {cell_text(sum(by_town.values()))}"
        for ledger, by_town in summary.records.items()
        if sum(by_town.values())
    ]
    text = label("punct.list", lang).join(records) or label("digest.none", lang)
    return label("punct.labelled", lang, name=f"**{label('digest.records', lang)}**", text=text)


def _risky(m, summary: Summary, lang: str, flavour: str) -> str:
    i = m.indicator
    parts = ([f"{cell_text(i.percent)}%"] if i.percent is not None else []) + [_status(i.status, lang, flavour)]
    pace = indicator_pace(i, summary.progress, lang) if summary.progress is not None else None
    if pace:
        parts.append(_md(pace))
    return label("punct.labelled", lang, name=_md(name_of(i, lang)), text=label("punct.comma", lang).join(parts))


def _stale(summary: Summary, lang: str) -> list[str]:
    """Where the ledgers are stale: one line per ledger naming its towns (平望镇、七都镇), or
    saying all of them (全部8个区镇)."""
    towns: dict[str, list[str]] = {}
    for x in summary.stale:
        towns.setdefault(x.ledger, []).append(x.town)
    every = set(summary.plan.reported_towns)
    areas = summary.plan.words(lang).areas
    return [
        label("digest.stale_all", lang, ledger=_ledger(summary, ledger, lang), n=len(names), areas=areas)
        if every <= set(names)
        else label(
            "digest.stale_item",
            lang,
            ledger=_ledger(summary, ledger, lang),
            towns=label("punct.list", lang).join(_md(t) for t in names),
        )
        for ledger, names in towns.items()
    ]


def full_line(full: Full | str, lang: str) -> str:
    """The digest's last line: a link, the file sent next, or the file to ask the ledger keeper for
    (a bare file name means nothing to an official reading it on a phone)."""
    if isinstance(full, str):
        full = Full(full.rsplit("/", 1)[-1] or full, url=full) if re.match(r"https?://", full) else Full(full)
    if full.url:
        return label("digest.full", lang, full=f"[{_md(full.name)}]({full.url.replace(')', '%29')})")
    return label("digest.full_attached" if full.attached else "digest.full_ask", lang, full=_md(full.name))


def cut_note(full: Full | str, lang: str) -> str:
    """What a digest cut to fit the robot's limit ends with: where the full summary is."""
    return label("digest.cut", lang, full=full_line(full, lang))


# Each status in each robot's markdown, each in a colour of its own (WeCom's three font colours:
# info green, comment grey, warning orange-red; DingTalk renders <font color>; Feishu's card
# markdown names its colours). 正常推进 stays plain: it needs no one's attention.
STATUS_MARKUP: dict[str, dict[str | None, str]] = {
    "wecom": {
        "achieved": '<font color="info">{text}</font>',
        "at_risk": '**<font color="comment">{text}</font>**',
        "behind": '**<font color="warning">{text}</font>**',
    },
    "dingtalk": {
        "achieved": '<font color="#1a7f37">{text}</font>',
        "at_risk": '**<font color="#bf8700">{text}</font>**',
        "behind": '**<font color="#cf222e">{text}</font>**',
    },
    "feishu": {
        "achieved": "<font color='green'>{text}</font>",
        "at_risk": "**<font color='orange'>{text}</font>**",
        "behind": "**<font color='red'>{text}</font>**",
    },
}


def _status(status: str | None, lang: str, flavour: str) -> str:
    return STATUS_MARKUP[flavour].get(status, "{text}").format(text=status_text(status, lang))


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
    return text.encode("utf-8")[: max(0, budget)].decode("utf-8", "ignore")


# --- requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    url: str
    body: bytes
    content: str  # the markdown actually sent
    content_type: str = "application/json; charset=utf-8"


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
    body = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": heading}, "template": "blue"},
            "elements": [{"tag": "markdown", "content": content}],
        },
    }
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


@dataclass(frozen=True)
class Answer:
    """What one request came to: "ok", or a kind that ENDS names, or "retry" (nothing can have
    been delivered: no connection, a 5xx), or "limited" (the robot's "too many messages": nothing
    delivered; params errcode, said, after — the pause asked for, or None)."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)


# The robots' "too many messages" codes (nothing was delivered: asked again after a pause), as
# their documents give them. DingTalk blocks a robot for ten minutes after 20 messages a minute.
RATE_LIMITED = {
    45009,  # WeCom: api freq out of limit (a group robot takes 20 messages a minute)
    130101,  # DingTalk: send too fast, exceed 20 times per minute
    11232,  # Feishu custom bot: frequency limited (100 a minute, 5 a second)
}


@dataclass(frozen=True)
class Wait:
    """A retry about to be made, for the user: what the robot said, the pause, the attempt."""

    robot: Term
    reason: object
    seconds: float
    attempt: int  # the one about to be made
    attempts: int


# The answers that end a call, and the error each is: none of them is retried.
ENDS = {
    "refused": "robot_refused",  # errcode / code ≠ 0, or a 4xx: the robot said no
    "redirect": "robot_redirected",  # a 3xx: not followed, nothing re-sent anywhere
    "unsure": "robot_unconfirmed",  # may have been delivered: never called refused, never sent twice
    "proxy": "robot_proxy_bad",  # the environment's proxy setting cannot be used: nothing sent
}


def send(
    point: Endpoint,
    heading: str,
    text: str,
    note: str,
    *,
    timeout: float | None = None,
    attempts: int | None = None,
    backoff: float | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] | None = None,
    waiting: Callable[[Wait], None] | None = None,
) -> Delivery:
    """Post the digest; retry what cannot have been delivered (pauses of backoff, 2×, 4× …) while
    a pause and a whole request still fit before the deadline; raise NotifyError on anything
    else. Each request lasts at most `timeout` seconds in all, the whole call at most `deadline`.
    Defaults: TIMEOUT, ATTEMPTS, BACKOFF, DEADLINE."""
    _refuse_secret_message(point, "\n".join((heading, text, note)))
    pacing = Pacing(timeout, attempts, backoff, deadline, clock, sleep, waiting)
    made, request, _ = _call(point, lambda target, now: build_request(target, heading, text, note, now), pacing)
    return Delivery(point.robot.id, made, len(request.body), request.content != text)


@dataclass(frozen=True)
class Pacing:
    """How long and how often a call tries (None: the module's defaults)."""

    timeout: float | None = None
    attempts: int | None = None
    backoff: float | None = None
    deadline: float | None = None
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] | None = None  # None: pause (below)
    waiting: Callable[[Wait], None] | None = None  # told before each pause (the CLI says it on stderr)


def pause(seconds: float) -> None:
    """The wait between two attempts, looked up when a call pauses (not bound when this module
    is read), so a test of the whole command replaces it here and waits for nothing."""
    time.sleep(seconds)


def _call(point: Endpoint, make: Callable[[Endpoint, float], Request], pacing: Pacing) -> tuple[int, Request, Answer]:
    """Requests made by `make` (fresh each attempt: a new signature) until one is answered "ok"
    (returned with the number made and the answer) or NotifyError."""
    timeout = TIMEOUT if pacing.timeout is None else pacing.timeout
    attempts = ATTEMPTS if pacing.attempts is None else pacing.attempts
    backoff = BACKOFF if pacing.backoff is None else pacing.backoff
    ends = time.monotonic() + (DEADLINE if pacing.deadline is None else pacing.deadline)
    robot = point.robot
    target = Endpoint(robot, check_url(point), point.secret, point.source)  # checked before anything is sent
    secrets = point.secrets() + target.secrets()
    answer = Answer("retry", {"reason": ""})
    made = 0
    while made < attempts:
        budget = min(timeout, ends - time.monotonic())  # a retry is made only when it fits (below)
        if budget <= 0:
            break
        request = make(target, pacing.clock())
        made += 1
        answer = _post(request, budget, secrets)
        if answer.kind == "ok":
            return made, request, answer
        if answer.kind in ENDS:
            raise NotifyError(ENDS[answer.kind], robot=robot.term, url=point.shown, **answer.params)
        wait = max(backoff * 2 ** (made - 1), answer.params.get("after") or 0.0)
        if made == attempts or time.monotonic() + wait + timeout > ends:
            break
        if pacing.waiting is not None:
            pacing.waiting(Wait(robot.term, _reason(answer), wait, made + 1, attempts))
        (pacing.sleep or pause)(wait)
    raise _gave_up(point, answer, made)


def _reason(answer: Answer) -> object:
    """What a retried answer was, in words: a rate limit with the robot's code, or the reason."""
    if answer.kind == "limited":
        return Term("robot_reason.limited", errcode=answer.params["errcode"], said=answer.params["said"])
    return answer.params["reason"]


def _gave_up(point: Endpoint, answer: Answer, made: int) -> NotifyError:
    """The error when no attempt is left (or none fits before the deadline)."""
    robot, shown = point.robot.term, point.shown
    if answer.kind != "limited":
        return NotifyError("robot_unreachable", robot=robot, url=shown, attempts=made, reason=answer.params["reason"])
    after = answer.params.get("after")
    when = Term("robot_reason.try_after", seconds=cell_text(after)) if after else Term("robot_reason.try_later")
    params = {"errcode": answer.params["errcode"], "said": answer.params["said"], "when": when}
    return NotifyError("robot_rate_limited", robot=robot, url=shown, attempts=made, **params)


# --- a file after the digest (WeCom only) ---------------------------------------------------

ATTACH_MIN, ATTACH_MAX = 5, 20 << 20  # bytes: what a WeCom group robot takes (upload_media, type=file)


def can_attach(robot: str) -> bool:
    """Whether the robot can send a file: only WeCom's group robot (upload_media, then msgtype
    file); DingTalk's and Feishu's custom robots send no files."""
    return robot == "wecom"


def upload_url(url: str) -> str:
    """WeCom's upload address for a robot's webhook: …/webhook/send?key=K → …/webhook/upload_media?key=K&type=file."""
    split = urllib.parse.urlsplit(url)
    path = split.path.rsplit("/", 1)[0] + "/upload_media"
    query = "&".join(part for part in (split.query, "type=file") if part)
    return urllib.parse.urlunsplit((split.scheme, split.netloc, path, query, ""))


def upload(point: Endpoint, path: Path, pacing: Pacing | None = None) -> str:
    """The file uploaded to the robot (multipart, field "media", as WeCom asks); its media_id
    (valid three days, for this robot only). Nothing appears in the group yet."""
    import httpx

    from ipdemo.data.ledger import display_path

    data = path.read_bytes()
    if not ATTACH_MIN <= len(data) <= ATTACH_MAX:
        raise NotifyError("attach_size", path=display_path(path), size=len(data))
    _refuse_secret_message(point, path.name + "\n" + data.decode("utf-8", "replace"))
    form = httpx.Request("POST", "http://upload", files={"media": (path.name, data, "application/octet-stream")})
    body, kind = form.read(), form.headers["Content-Type"]
    uploading = Endpoint(point.robot, upload_url(point.url), point.secret, point.source)
    _, _, answer = _call(uploading, lambda target, now: Request(target.url, body, "", kind), pacing or Pacing())
    media = answer.params.get("data", {}).get("media_id")
    if not isinstance(media, str) or not media:
        raise NotifyError("attach_no_media", robot=point.robot.term, url=point.shown)
    return media


class FileNotSent(NotifyError):
    """The digest was delivered and the file sent after it was not (or not surely): exit 3, so that
    nobody sends the digest again (the group would get it twice)."""

    exit_code = 3


def send_file(point: Endpoint, media: str, pacing: Pacing | None = None, name: str = "") -> None:
    """The uploaded file as a message in the group (msgtype file). Sent after the digest, so a
    failure is FileNotSent: the digest is out, the file `name` is not."""
    body = _json({"msgtype": "file", "file": {"media_id": media}})
    try:
        _call(point, lambda target, now: Request(target.url, body, ""), pacing or Pacing())
    except NotifyError as exc:
        code = "attach_unconfirmed" if exc.code == "robot_unconfirmed" else "attach_not_sent"
        why = in_both(exc.render("zh"), exc.render("en"))
        raise FileNotSent(code, robot=point.robot.term, name=name, reason=why) from None


HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "ipdemo",
    "Accept-Encoding": "identity",
}  # an answer is read as sent: no decompression bomb


def _post(request: Request, budget: float, secrets: list[str]) -> Answer:
    """One POST within `budget` seconds in all, redirects not followed, the answer read up to
    ANSWER_LIMIT bytes."""
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO line prints the address with the key
    return asyncio.run(_exchange(request, budget, secrets))


class _Lookups(ThreadPoolExecutor):
    """The event loop's default executor, where asyncio runs name lookups (getaddrinfo): each call
    in a daemon thread that nobody waits for. With a stock executor, asyncio.run joins a stalled
    lookup's thread after the deadline has passed (a broken DNS: tens of seconds per attempt), and
    the interpreter joins it again at exit."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()

        def work() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:  # handed to the awaiting coroutine, as the stock executor does
                future.set_exception(exc)

        threading.Thread(target=work, name="ipdemo-lookup", daemon=True).start()
        return future


async def _exchange(request: Request, budget: float, secrets: list[str]) -> Answer:
    import ssl

    import httpx

    asyncio.get_running_loop().set_default_executor(_Lookups(max_workers=1))  # the deadline holds for lookups too
    sent = False  # the message's body has started out: from then on it may be delivered

    async def trace(event: str, info: dict[str, Any]) -> None:
        nonlocal sent
        if event.endswith("send_request_body.started") and getattr(info.get("request"), "method", b"") == b"POST":
            sent = True  # (a proxy's CONNECT is not the message)

    try:  # the proxies of the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY) are read here
        client = httpx.AsyncClient(
            timeout=budget, follow_redirects=False, trust_env=True, verify=ssl.create_default_context()
        )  # the system's CAs, as urllib
    except (httpx.InvalidURL, ValueError, ImportError) as exc:  # a bad proxy address; socks without socksio
        return Answer("proxy", {"reason": clean(str(exc), secrets)})
    try:
        async with asyncio.timeout(budget):  # the total: httpx's own timeouts are per read
            async with client:
                headers = {**HEADERS, "Content-Type": request.content_type}
                async with client.stream(
                    "POST", request.url, content=request.body, headers=headers, extensions={"trace": trace}
                ) as response:
                    raw = bytearray()
                    async for chunk in response.aiter_raw():
                        raw += chunk
                        if len(raw) > ANSWER_LIMIT:
                            return Answer(
                                "unsure", {"reason": Term("robot_reason.too_large", limit=ANSWER_LIMIT >> 20)}
                            )
    except TimeoutError:
        late = Term("robot_reason.deadline", seconds=cell_text(budget))
        return Answer("unsure" if sent else "retry", {"reason": late})
    except (httpx.HTTPError, OSError) as exc:  # refused, reset, DNS, TLS, a broken answer
        return Answer("unsure" if sent else "retry", {"reason": clean(_why(exc), secrets)})
    return _judge(response.status_code, bytes(raw), response.headers, secrets)


def _why(exc: BaseException) -> str:
    """The words of the first cause (httpx's "All connection attempts failed" wraps "Connection
    refused")."""
    for _ in range(10):  # a chain is short; never follow a cycle
        inner = exc.__cause__ or exc.__context__
        if inner is None:
            break
        exc = inner
    if isinstance(exc, OSError) and exc.errno and exc.errno > 0:
        return os.strerror(exc.errno)
    return str(exc) or type(exc).__name__


def _judge(status: int, raw: bytes, headers: Mapping[str, str], secrets: list[str]) -> Answer:
    """The answer to a request that was read whole."""
    if 300 <= status < 400:
        location = headers.get("location", "")
        return Answer("redirect", {"status": status, "location": clean(location, secrets) if location else "?"})
    if status >= 500:
        return Answer("retry", {"reason": f"HTTP {status}"})
    code, said = _answer(raw)
    said = clean(said, secrets)
    if status == 429 or code in RATE_LIMITED:  # too many messages: nothing delivered, asked again later
        errcode = code if code not in (None, 0) else status
        return Answer("limited", {"errcode": errcode, "said": said or f"HTTP {status}", "after": _after(headers)})
    if status >= 400:
        return Answer(
            "refused", {"errcode": code if code not in (None, 0) else status, "reason": said or f"HTTP {status}"}
        )
    if code is None or status < 200:
        return Answer("unsure", {"reason": Term("robot_reason.unreadable", status=status, said=said or "-")})
    if code != 0:
        return Answer("refused", {"errcode": code, "reason": said or "-"})
    return Answer("ok", {"data": json.loads(raw.decode("utf-8"))})  # read above: a JSON object


def _after(headers: Mapping[str, str]) -> float | None:
    """The pause a rate-limited answer asks for, in seconds: Retry-After (seconds or an HTTP date),
    else Feishu's x-ogw-ratelimit-reset; None when it asks for none (or says nothing readable)."""
    from email.utils import parsedate_to_datetime

    value = (headers.get("retry-after") or headers.get("x-ogw-ratelimit-reset") or "").strip()
    if value.isdigit():
        return float(min(int(value), 86400))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), 86400.0)) if when.tzinfo else None


def _answer(raw: bytes) -> tuple[int | None, str]:
    """(code, message) from WeCom/DingTalk {"errcode", "errmsg"} or Feishu {"code", "msg"}
    (older Feishu: {"StatusCode", "StatusMessage"}); (None, text) when there is none."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: [[[[… nested too deep
        return None, raw[:200].decode("utf-8", "replace")
    if not isinstance(data, dict):
        return None, ""
    for code_key, msg_key in (("errcode", "errmsg"), ("code", "msg"), ("StatusCode", "StatusMessage")):
        if code_key in data:
            said = str(data.get(msg_key) or "")[: SHOWN_TEXT * 2]
            code = data[code_key]
            # only a JSON integer is a robot's code: false, 0.5, "0" or 1e400 (inf) are not
            return (code if isinstance(code, int) and not isinstance(code, bool) else None), said
    return None, ""
