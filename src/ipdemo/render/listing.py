"""Grids for `ipdemo indicators` and `ipdemo towns`, in the plan's words for its areas."""

from __future__ import annotations

from ipdemo.i18n import label, localized, message
from ipdemo.plan.model import Indicator, Plan
from ipdemo.render.dates import day_text
from ipdemo.render.grid import Grid


def target_text(ind: Indicator, lang: str, plan: Plan) -> str:
    def n(x: float | None) -> str:
        return "" if x is None else (f"{int(x):,}" if float(x).is_integer() else f"{x:,}")

    spec = ind.spec
    if spec.bounded:
        return label("report.range", lang, low=n(ind.min), high=n(ind.max), unit=ind.unit)
    if spec.done_on_date:
        every = "、".join(ind.towns) if ind.towns else message("listing_every_area", lang, area=plan.words(lang).area)
        due = day_text(ind.due, lang) if ind.due else "—"
        return label("report.due_by", lang, due=due) + (label("punct.paren", lang, text=every) if ind.per_town else "")
    if spec.directional:
        return label(f"trend.{ind.direction or 'rising'}", lang)
    text = f"{n(ind.target)} {ind.unit}"
    if spec.yearly:  # a target-year goal (`due`): the value of that year
        year = ind.due.year if spec.target_year and ind.due else None
        text = (
            label("report.in_year", lang, text=text, year=year) if year else label("listing.per_year", lang, text=text)
        )
    if ind.comparison == "more_than":
        text = label("listing.more_than", lang, text=text)
    return text


def indicators_grid(plan: Plan, lang: str) -> Grid:
    keys = ["id", "name", "kind", "target", "ledger"]
    header = [
        label(key, lang)
        for key in ("listing.id", "listing.indicator", "listing.kind", "listing.target", "listing.ledger")
    ]
    rows = [
        [
            i.id,
            localized(i.name, i.name_en, lang),
            label(f"kind.{i.kind}", lang),
            target_text(i, lang, plan),
            ", ".join(i.ledgers),
        ]
        for i in plan.indicators
    ]
    return Grid(keys, header, rows, title=localized(plan.plan.name, plan.plan.name_en, lang))


def indicators_json(plan: Plan) -> list[dict]:
    return [i.model_dump(mode="json", exclude_defaults=True) for i in plan.indicators]


def towns_grid(plan: Plan, lang: str) -> Grid:
    header = [plan.words(lang).area, label("listing.name_en", lang), label("listing.aliases", lang)]
    rows = [[t.name, t.name_en, "、".join(t.aliases)] for t in plan.towns]
    return Grid(["name", "name_en", "aliases"], header, rows)


def towns_json(plan: Plan) -> list[dict]:
    return [t.model_dump(mode="json") for t in plan.towns]
