"""The weekly summary as markdown, plain text or HTML (with charts). Same input → same bytes.

Words from i18n (LABELS summary.*, status.*, task_status.*); the plan's names in the reader's
language through i18n.localized."""

from __future__ import annotations

from datetime import date

from ipdemo.engine.summary import Summary
from ipdemo.i18n import count_of, label, localized
from ipdemo.render.dates import day_text, range_text
from ipdemo.render.grid import Grid, cell_text, md_escape, one_line, to_markdown
from ipdemo.render.pace import indicator_pace
from ipdemo.render.report import name_of, overview, status_text, task_status_text


def sections(s: Summary, lang: str) -> list[tuple[str, Grid | list[str]]]:
    """The officials' sections, then the ledger keeper's (commands, files and lines)."""
    return _officials(s, lang) + _clerk(s, lang)


def _t(key: str, lang: str, **params: object) -> str:
    return label(f"summary.{key}", lang, **params)


def _officials(s: Summary, lang: str) -> list[tuple[str, Grid | list[str]]]:
    out: list[tuple[str, Grid | list[str]]] = [(_t("records", lang), _records(s, lang))]
    out.append((_t("movement", lang), _movement(s, lang)))
    changed = [
        label(
            "punct.labelled",
            lang,
            name=name_of(m.indicator, lang),
            text=f"{status_text(m.status_before, lang)} → {status_text(m.indicator.status, lang)}",
        )
        for m in s.changed
    ]
    out.append((_t("changed", lang), changed or [_t("none", lang)]))
    out.append((_t("risky", lang), _risky(s, lang)))
    if s.plan.tasks:  # the week's progress reports on the plan's tasks
        out.append((_t("tasks", lang), _tasks(s, lang)))
    out.append((_t("stale", lang), _stale(s, lang)))
    counts = {"errors": count_of(s.errors, "error", lang), "warnings": count_of(s.warnings, "warning", lang)}
    out.append(
        (_t("problems", lang), [_t("problem_line", lang, **counts) if s.errors or s.warnings else _t("none", lang)])
    )
    return out


def _records(s: Summary, lang: str) -> Grid:
    """Ledgers that moved this week only (a ledger with no record of the week is left out), and
    only the towns that recorded something."""
    moved = {name: by_town for name, by_town in s.records.items() if sum(by_town.values())}
    towns = [t for t in s.plan.town_index.names if any(by_town.get(t) for by_town in moved.values())]
    rows = [
        [_ledger_name(s, name, lang), sum(by_town.values()), *[by_town.get(town, 0) for town in towns]]
        for name, by_town in moved.items()
    ]
    return Grid(["ledger", "total", *towns], [_t("ledger", lang), _t("total", lang), *towns], rows)


def _movement(s: Summary, lang: str) -> Grid:
    keys = ["name", "before", "after", "delta", "percent", "status"]
    rows = [
        [
            name_of(m.indicator, lang),
            m.before,
            m.indicator.actual,
            m.delta,
            m.indicator.percent,
            status_text(m.indicator.status, lang),
        ]
        for m in s.movements
    ]
    return Grid(keys, [_t(k if k != "name" else "indicator", lang) for k in keys], rows)


def _risky(s: Summary, lang: str) -> Grid:
    keys = ["name", "percent", "status", "needed"]
    rows = [
        [
            name_of(m.indicator, lang),
            m.indicator.percent,
            status_text(m.indicator.status, lang),
            indicator_pace(m.indicator, s.progress, lang) if s.progress is not None else None,
        ]
        for m in s.risky
    ]
    return Grid(keys, [_t(k if k != "name" else "indicator", lang) for k in keys], rows)


def _tasks(s: Summary, lang: str) -> Grid:
    keys = ["ref", "title", "reported_on", "status", "done", "evidence", "town"]
    names = ["item", "task", "date", "task_status", "done", "evidence", "town"]
    rows = [
        [
            u["ref"],
            u["title"],
            _day(u["reported_on"], lang),
            task_status_text(u["status"], lang),
            u["done"] or None,
            u["evidence"] or None,
            u["town"] or None,
        ]
        for u in s.task_updates
    ]
    return Grid(keys, [_t(n, lang) for n in names], rows)


def _stale(s: Summary, lang: str) -> Grid:
    keys = ["ledger", "town", "last", "days", "limit"]
    rows = [
        [
            _ledger_name(s, x.ledger, lang),
            x.town,
            day_text(x.last, lang) if x.last else _t("never", lang),
            x.days,
            x.limit,
        ]
        for x in s.stale
    ]
    return Grid(keys, [_t(k, lang) for k in keys], rows)


def _day(value: object, lang: str) -> object:
    """A date (or its ISO text) as officials read it; anything else as it is."""
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            return value
    return day_text(value, lang) if isinstance(value, date) else value


def _clerk(s: Summary, lang: str) -> list[tuple[str, Grid | list[str]]]:
    """For the ledger keeper, at the end and headed so: the command that lists every problem, the
    first problems with their file and line, rows waiting for a town, the week's imports."""
    lines = [_t("clerk_validate", lang)] if s.errors or s.warnings else []
    lines += [f"{p.file}:{p.line or ''} {p.field or ''} {p.message(lang)}" for p in s.first_problems]
    lines += [_t("waiting", lang, ledger=_ledger_name(s, name, lang), n=n) for name, n in s.waiting.items()]
    out: list[tuple[str, Grid | list[str]]] = [(_t("clerk", lang), lines)] if lines else []
    if s.imports:
        keys = ["time", "ledger", "source", "added", "updated"]
        rows = [
            [
                e.get("time"),
                _ledger_name(s, e["ledger"], lang) if e.get("ledger") in s.plan.ledgers else e.get("ledger"),
                e.get("source"),
                e.get("added"),
                e.get("updated"),
            ]
            for e in s.imports
        ]
        out.append((_t("imports_clerk", lang), Grid(keys, [_t(k, lang) for k in keys], rows)))
    return out


def _ledger_name(s: Summary, name: str, lang: str) -> str:
    spec = s.plan.ledgers[name]
    return localized(spec.name, spec.name_en or name, lang)


def heading(s: Summary, lang: str) -> str:
    """知识产权工作周报（2023年9月25日至10月1日）: the week once, in the reader's words."""
    return label("summary.heading", lang, week=range_text(s.week.start, s.week.end, lang))


def overview_line(s: Summary, lang: str) -> str:
    """22项指标：已完成12项，正常推进5项，… at the week's end (zero counts left out)."""
    return overview([m.indicator for m in s.movements], lang)


def as_markdown(s: Summary, lang: str) -> str:
    parts = [
        f"# {heading(s, lang)}\n",
        f"{md_escape(localized(s.plan.plan.name, s.plan.plan.name_en, lang))}\n",
        f"{md_escape(overview_line(s, lang))}\n",
    ]
    for title, body in sections(s, lang):
        parts.append(f"## {title}\n")
        if isinstance(body, Grid):
            parts.append(to_markdown(body) if body.rows else f"{label('summary.none', lang)}\n")
        else:
            parts.append("\n".join(f"- {md_escape(line)}" for line in body) + "\n")
    return "\n".join(parts)


def as_text(s: Summary, lang: str) -> str:
    from tabulate import tabulate

    parts = [heading(s, lang), "", overview_line(s, lang), ""]
    for title, body in sections(s, lang):
        parts += [title, "-" * len(title.encode("gbk", "replace"))]  # as wide as the title: a CJK character is two
        if isinstance(body, Grid):
            parts.append(
                tabulate(
                    [[one_line(cell_text(v)) for v in r] for r in body.rows],
                    headers=body.header,
                    tablefmt="simple",
                    disable_numparse=True,
                )
                if body.rows
                else label("summary.none", lang)
            )
        else:
            parts += [one_line(line) for line in body]
        parts.append("")
    return "\n".join(parts) + "\n"


def as_html(s: Summary, lang: str, charts: list[dict]) -> str:
    from ipdemo.render.html import Section, html_page

    blocks = []
    for title, body in sections(s, lang):
        if isinstance(body, Grid) and body.rows:
            body.title = title
            blocks.append(Section(body))
        else:
            blocks.append(Section(title=title, lines=body if isinstance(body, list) else [label("summary.none", lang)]))
    meta = localized(s.plan.plan.name, s.plan.plan.name_en, lang)
    return html_page(heading(s, lang), meta, blocks, lang, charts, overview=overview_line(s, lang))
