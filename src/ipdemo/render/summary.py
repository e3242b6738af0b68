"""The weekly summary as markdown, plain text or HTML (with charts). Same input → same bytes."""

from __future__ import annotations

from ipdemo.engine.summary import Summary
from ipdemo.i18n import count_of
from ipdemo.render.grid import Grid, cell_text, md_escape, one_line, to_markdown
from ipdemo.render.report import STATUS, TASK_STATUS, name_of

T = {
    "zh": {"title": "知识产权工作周报", "records": "本周新增记录", "ledger": "台账", "total": "合计",
           "movement": "指标变动", "indicator": "指标", "before": "上周末", "after": "本周末", "delta": "变动",
           "percent": "完成率%", "status": "状态", "changed": "状态变化", "risky": "需关注（有风险 / 滞后）",
           "needed": "每周需完成", "stale": "台账更新滞后", "town": "区镇", "last": "最近记录", "days": "天数",
           "limit": "允许天数", "problems": "数据问题", "imports": "本周导入", "time": "时间", "source": "来源",
           "added": "新增", "updated": "更新", "none": "无", "never": "从未", "tasks": "本周任务进展",
           "item": "条目", "task": "任务", "date": "日期", "task_status": "进展状态", "done": "工作进展",
           "evidence": "佐证材料",
           "problem_line": "共 {errors}，{warnings}（运行 ipdemo validate 查看全部）"},
    "en": {"title": "IP weekly summary", "records": "Records this week", "ledger": "ledger", "total": "total",
           "movement": "Movement", "indicator": "indicator", "before": "last week", "after": "this week",
           "delta": "change", "percent": "percent", "status": "status", "changed": "Status changes",
           "risky": "Needs attention (at risk / behind)", "needed": "needed / week", "stale": "Stale ledgers",
           "town": "town", "last": "last record", "days": "days", "limit": "limit", "problems": "Data problems",
           "imports": "Imports this week", "time": "time", "source": "source", "added": "added",
           "updated": "updated", "none": "none", "never": "never", "tasks": "Task progress this week",
           "item": "item", "task": "task", "date": "date", "task_status": "status", "done": "progress",
           "evidence": "evidence",
           "problem_line": "{errors}, {warnings} (ipdemo validate lists them all)"},
}


def sections(s: Summary, lang: str) -> list[tuple[str, Grid | list[str]]]:
    t = T[lang]
    towns = s.plan.town_index.names
    out: list[tuple[str, Grid | list[str]]] = []
    rows = []
    for name, counts in s.records.items():
        spec = s.plan.ledgers[name]
        rows.append([spec.name if lang == "zh" else (spec.name_en or name), sum(counts.values()),
                     *[counts.get(town, 0) for town in towns]])
    out.append((t["records"], Grid(["ledger", "total", *towns], [t["ledger"], t["total"], *towns], rows)))
    out.append((t["movement"], Grid(
        ["id", "name", "before", "after", "delta", "percent", "status"],
        [t["indicator"], "", t["before"], t["after"], t["delta"], t["percent"], t["status"]],
        [[m.indicator.id, name_of(m.indicator, lang), _num(m.before), _num(m.indicator.actual), m.delta,
          m.indicator.percent, STATUS[lang][m.indicator.status]] for m in s.movements])))
    out.append((t["changed"], [f"{name_of(m.indicator, lang)}: {STATUS[lang][m.status_before]} → "
                               f"{STATUS[lang][m.indicator.status]}" for m in s.changed] or [t["none"]]))
    out.append((t["risky"], Grid(["id", "name", "percent", "status", "needed"],
                                 [t["indicator"], "", t["percent"], t["status"], t["needed"]],
                                 [[m.indicator.id, name_of(m.indicator, lang), m.indicator.percent,
                                   STATUS[lang][m.indicator.status], m.indicator.needed_per_week] for m in s.risky])))
    if s.plan.tasks:  # the week's progress reports on the plan's tasks
        status = TASK_STATUS[lang]
        out.append((t["tasks"], Grid(["task", "ref", "title", "reported_on", "status", "done", "evidence", "town"],
                                     ["", t["item"], t["task"], t["date"], t["task_status"], t["done"], t["evidence"],
                                      t["town"]],
                                     [[u["task"], u["ref"], u["title"], u["reported_on"], status.get(u["status"], u["status"]),
                                       u["done"] or None, u["evidence"] or None, u["town"] or None]
                                      for u in s.task_updates])))
    out.append((t["stale"], Grid(["ledger", "town", "last", "days", "limit"],
                                 [t["ledger"], t["town"], t["last"], t["days"], t["limit"]],
                                 [[_ledger_name(s, x.ledger, lang), x.town, str(x.last) if x.last else t["never"],
                                   x.days, x.limit] for x in s.stale])))
    counts = {"errors": count_of(s.errors, "error", lang), "warnings": count_of(s.warnings, "warning", lang)}
    lines = [t["problem_line"].format(**counts)]
    lines += [f"{p.file}:{p.line or ''} {p.field or ''} {p.message(lang)}" for p in s.first_problems]
    out.append((t["problems"], lines))
    out.append((t["imports"], Grid(["time", "ledger", "source", "added", "updated"],
                                   [t["time"], t["ledger"], t["source"], t["added"], t["updated"]],
                                   [[e.get("time"), e.get("ledger"), e.get("source"), e.get("added"), e.get("updated")]
                                    for e in s.imports])))
    return out


def _ledger_name(s: Summary, name: str, lang: str) -> str:
    spec = s.plan.ledgers[name]
    return spec.name if lang == "zh" else (spec.name_en or name)


def _num(value):
    return value if isinstance(value, (int, float)) or value is None else str(value)


def heading(s: Summary, lang: str) -> str:
    w = s.week
    span = f"{w.start} 至 {w.end}" if lang == "zh" else f"{w.start} .. {w.end}"
    return f"{T[lang]['title']} {w.label}（{span}）" if lang == "zh" else f"{T[lang]['title']} {w.label} ({span})"


def as_markdown(s: Summary, lang: str) -> str:
    parts = [f"# {heading(s, lang)}\n", f"{md_escape(s.plan.plan.name if lang == 'zh' else (s.plan.plan.name_en or s.plan.plan.name))}\n"]
    for title, body in sections(s, lang):
        parts.append(f"## {title}\n")
        if isinstance(body, Grid):
            parts.append(to_markdown(body) if body.rows else f"{T[lang]['none']}\n")
        else:
            parts.append("\n".join(f"- {md_escape(line)}" for line in body) + "\n")
    return "\n".join(parts)


def as_text(s: Summary, lang: str) -> str:
    from tabulate import tabulate

    parts = [heading(s, lang), ""]
    for title, body in sections(s, lang):
        parts += [title, "-" * len(title.encode("gbk", "replace")) if lang == "zh" else "-" * len(title)]
        if isinstance(body, Grid):
            parts.append(tabulate([[one_line(cell_text(v)) for v in r] for r in body.rows], headers=body.header,
                                  tablefmt="simple", disable_numparse=True) if body.rows else T[lang]["none"])
        else:
            parts += [one_line(line) for line in body]
        parts.append("")
    return "\n".join(parts) + "\n"


def as_html(s: Summary, lang: str, charts: list[dict]) -> str:
    from ipdemo.render.document import Section, html_page

    grids = []
    for title, body in sections(s, lang):
        if isinstance(body, Grid) and not body.rows:
            body = [T[lang]["none"]]
        grid = body if isinstance(body, Grid) else Grid(["note"], [title], [[line] for line in body])
        grid.title = title
        grids.append(Section(grid))
    meta = s.plan.plan.name if lang == "zh" else (s.plan.plan.name_en or s.plan.plan.name)
    return html_page(heading(s, lang), meta, grids, lang, charts)
