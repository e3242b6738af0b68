"""The HTML page: a self-contained document (jinja2, autoescaped) with inline SVG charts."""

from __future__ import annotations

from dataclasses import dataclass, field

from ipdemo.render.grid import Grid, cell_text


@dataclass
class Section:
    grid: Grid
    classes: list[str | None] = field(default_factory=list)  # CSS class per row (status)


def html_page(title: str, meta: str, sections: list[Section], lang: str, charts: list[dict] | None = None) -> str:
    """Every value from a ledger is escaped (autoescape); charts are inline SVG made by us."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("ipdemo", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    grids = [
        {
            "title": s.grid.title,
            "header": s.grid.header,
            "keys": s.grid.keys,
            "rows": s.grid.rows,
            "classes": s.classes or [None] * len(s.grid.rows),
        }
        for s in sections
    ]
    return env.get_template("report.html.j2").render(
        title=title, meta=meta, grids=grids, lang=lang, charts=charts or [], text=cell_text
    )
