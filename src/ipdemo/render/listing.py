"""Grids for `ipdemo indicators` and `ipdemo towns`, in the plan's words for its areas."""

from __future__ import annotations

from ipdemo.i18n import message
from ipdemo.plan.model import Indicator, Plan
from ipdemo.render.grid import Grid

KIND_LABEL = {
    "zh": {"cumulative": "累计", "annual": "年度", "range": "区间", "milestone": "节点", "trend": "趋势",
           "stock": "存量"},
    "en": {"cumulative": "cumulative", "annual": "annual", "range": "range", "milestone": "milestone",
           "trend": "trend", "stock": "stock"},
}


def target_text(ind: Indicator, lang: str, plan: Plan | None = None) -> str:
    def n(x: float | None) -> str:
        return "" if x is None else (f"{int(x):,}" if float(x).is_integer() else f"{x:,}")

    if ind.kind == "range":
        return f"{n(ind.min)}..{n(ind.max)} {ind.unit}"
    if ind.kind == "milestone":
        area = plan.words(lang).area if plan else ("区镇" if lang == "zh" else "town")
        every = "、".join(ind.towns) if ind.towns else message("listing_every_area", lang, area=area)
        return (f"{ind.due} 前" if lang == "zh" else f"by {ind.due}") + \
            ((f"（{every}）" if lang == "zh" else f" ({every})") if ind.per_town else "")
    if ind.kind == "trend":
        return {"rising": "上升", "falling": "下降"}[ind.direction or "rising"] if lang == "zh" else ind.direction or ""
    text = f"{n(ind.target)} {ind.unit}"
    if ind.kind == "annual":
        text += " / 年" if lang == "zh" else " a year"
    if ind.comparison == "more_than":
        text = ("突破 " if lang == "zh" else "more than ") + text
    return text


def indicators_grid(plan: Plan, lang: str) -> Grid:
    zh = lang == "zh"
    header = ["编号", "指标", "类型", "目标", "台账"] if zh else ["id", "indicator", "kind", "target", "ledger"]
    rows = [[i.id, i.name if zh else (i.name_en or i.name), KIND_LABEL[lang][i.kind], target_text(i, lang, plan),
             ", ".join(i.ledgers)] for i in plan.indicators]
    return Grid(["id", "name", "kind", "target", "ledger"], header, rows,
                title=plan.plan.name if zh else (plan.plan.name_en or plan.plan.name))


def indicators_json(plan: Plan) -> list[dict]:
    return [i.model_dump(mode="json", exclude_defaults=True) for i in plan.indicators]


def towns_grid(plan: Plan, lang: str) -> Grid:
    zh = lang == "zh"
    header = [plan.words(lang).area, "英文名", "别名"] if zh else [plan.words(lang).area, "English", "aliases"]
    rows = [[t.name, t.name_en, "、".join(t.aliases)] for t in plan.towns]
    return Grid(["name", "name_en", "aliases"], header, rows)


def towns_json(plan: Plan) -> list[dict]:
    return [t.model_dump(mode="json") for t in plan.towns]
