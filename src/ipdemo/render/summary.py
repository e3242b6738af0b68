"""The weekly summary as markdown, plain text or HTML (with charts). Same input → same bytes.

Words from i18n (LABELS summary.*, status.*, task_status.*); the plan's names in the reader's
language through i18n.localized."""

from __future__ import annotations

from ipdemo.engine.summary import Summary
from ipdemo.i18n import count_of, label, localized
from ipdemo.render.grid import Grid, cell_text, md_escape, one_line, to_markdown
from ipdemo.render.report import name_of, status_text, task_status_text


def sections(s: Summary, lang: str) -> list[tuple[str, Grid | list[str]]]:
    def t(key: str, **params: object) -> str:
        return label(f"summary.{key}", lang, **params)

    towns = s.plan.town_index.names
    out: list[tuple[str, Grid | list[str]]] = []
    rows = []
    for name, by_town in s.records.items():
        rows.append([_ledger_name(s, name, lang), sum(by_town.values()), *[by_town.get(town, 0) for town in towns]])
    out.append((t("records"), Grid(["ledger", "total", *towns], [t("ledger"), t("total"), *towns], rows)))
    out.append(
        (
            t("movement"),
            Grid(
                ["id", "name", "before", "after", "delta", "percent", "status"],
                [t("indicator"), "", t("before"), t("after"), t("delta"), t("percent"), t("status")],
                [
                    [
                        m.indicator.id,
                        name_of(m.indicator, lang),
                        m.before,
                        m.indicator.actual,
                        m.delta,
                        m.indicator.percent,
                        status_text(m.indicator.status, lang),
                    ]
                    for m in s.movements
                ],
            ),
        )
    )
    out.append(
        (
            t("changed"),
            [
                f"{name_of(m.indicator, lang)}: {status_text(m.status_before, lang)} → "
                f"{status_text(m.indicator.status, lang)}"
                for m in s.changed
            ]
            or [t("none")],
        )
    )
    out.append(
        (
            t("risky"),
            Grid(
                ["id", "name", "percent", "status", "needed"],
                [t("indicator"), "", t("percent"), t("status"), t("needed")],
                [
                    [
                        m.indicator.id,
                        name_of(m.indicator, lang),
                        m.indicator.percent,
                        status_text(m.indicator.status, lang),
                        m.indicator.needed_per_week,
                    ]
                    for m in s.risky
                ],
            ),
        )
    )
    if s.plan.tasks:  # the week's progress reports on the plan's tasks
        out.append(
            (
                t("tasks"),
                Grid(
                    ["task", "ref", "title", "reported_on", "status", "done", "evidence", "town"],
                    ["", t("item"), t("task"), t("date"), t("task_status"), t("done"), t("evidence"), t("town")],
                    [
                        [
                            u["task"],
                            u["ref"],
                            u["title"],
                            u["reported_on"],
                            task_status_text(u["status"], lang),
                            u["done"] or None,
                            u["evidence"] or None,
                            u["town"] or None,
                        ]
                        for u in s.task_updates
                    ],
                ),
            )
        )
    out.append(
        (
            t("stale"),
            Grid(
                ["ledger", "town", "last", "days", "limit"],
                [t("ledger"), t("town"), t("last"), t("days"), t("limit")],
                [
                    [_ledger_name(s, x.ledger, lang), x.town, str(x.last) if x.last else t("never"), x.days, x.limit]
                    for x in s.stale
                ],
            ),
        )
    )
    lines = [
        t("problem_line", errors=count_of(s.errors, "error", lang), warnings=count_of(s.warnings, "warning", lang))
    ]
    lines += [f"{p.file}:{p.line or ''} {p.field or ''} {p.message(lang)}" for p in s.first_problems]
    lines += [t("waiting", ledger=_ledger_name(s, name, lang), n=n) for name, n in s.waiting.items()]
    out.append((t("problems"), lines))
    out.append(
        (
            t("imports"),
            Grid(
                ["time", "ledger", "source", "added", "updated"],
                [t("time"), t("ledger"), t("source"), t("added"), t("updated")],
                [
                    [e.get("time"), e.get("ledger"), e.get("source"), e.get("added"), e.get("updated")]
                    for e in s.imports
                ],
            ),
        )
    )
    return out


def _ledger_name(s: Summary, name: str, lang: str) -> str:
    spec = s.plan.ledgers[name]
    return localized(spec.name, spec.name_en or name, lang)


def heading(s: Summary, lang: str) -> str:
    w = s.week
    return label("summary.heading", lang, week=w.label, start=w.start, end=w.end)


def as_markdown(s: Summary, lang: str) -> str:
    parts = [f"# {heading(s, lang)}\n", f"{md_escape(localized(s.plan.plan.name, s.plan.plan.name_en, lang))}\n"]
    for title, body in sections(s, lang):
        parts.append(f"## {title}\n")
        if isinstance(body, Grid):
            parts.append(to_markdown(body) if body.rows else f"{label('summary.none', lang)}\n")
        else:
            parts.append("\n".join(f"- {md_escape(line)}" for line in body) + "\n")
    return "\n".join(parts)


def as_text(s: Summary, lang: str) -> str:
    from tabulate import tabulate

    parts = [heading(s, lang), ""]
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

    grids = []
    for title, body in sections(s, lang):
        if isinstance(body, Grid) and not body.rows:
            body = [label("summary.none", lang)]
        grid = body if isinstance(body, Grid) else Grid(["note"], [title], [[line] for line in body])
        grid.title = title
        grids.append(Section(grid))
    meta = localized(s.plan.plan.name, s.plan.plan.name_en, lang)
    return html_page(heading(s, lang), meta, grids, lang, charts)
