"""The HTML page: a self-contained document (jinja2, autoescaped) with inline SVG charts, readable
on a phone.

Invariants (tests/test_page_phone.py, tests/test_summary.py):
- the page never scrolls sideways, at 390 px as at 1280 px: each table sits in its own box that
  scrolls (`.scroll`, overflow-x: auto), charts shrink to the width;
- the status column follows the name column (what a phone shows without scrolling);
- ids are for machines: a column whose key is in ID_KEYS is not shown, its value is kept on the
  row as `data-id`; readers see names;
- a status cell carries its status as a CSS class (achieved / on_track / at_risk / behind), from
  the section's `classes` when the renderer gives them, else from the cell's words (the status.*
  labels), and each status has its own colour;
- every value from a ledger is escaped (autoescape); charts are inline SVG made by us.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ipdemo.i18n import label
from ipdemo.render.grid import Grid, cell_text

ID_KEYS = ("id",)  # columns of machine ids: kept as the row's data-id, not shown
FIRST = ("name", "status")  # on a phone these are what fits: the status right after the name
STATUSES = ("achieved", "on_track", "at_risk", "behind")


@dataclass
class Section:
    grid: Grid | None = None
    classes: list[str | None] = field(default_factory=list)  # CSS class per row (status)
    title: str = ""  # a section of lines has its title here
    lines: list[str] = field(default_factory=list)  # shown as a list when there is no grid


def _table(section: Section, by_words: dict[str, str]) -> dict:
    """The grid as the template shows it: id columns moved to data-id, a status class per row."""
    grid = section.grid
    assert grid is not None
    shown = _order([k for k, key in enumerate(grid.keys) if key not in ID_KEYS], grid.keys)
    hidden = next((k for k, key in enumerate(grid.keys) if key in ID_KEYS), None)
    status_at = grid.keys.index("status") if "status" in grid.keys else None
    rows = []
    for r, row in enumerate(grid.rows):
        given = section.classes[r] if r < len(section.classes) else None
        words = row[status_at] if status_at is not None else None
        rows.append(
            {
                "id": row[hidden] if hidden is not None else None,
                "status": given or by_words.get(str(words)),
                "cells": [(grid.keys[k], row[k]) for k in shown],
            }
        )
    return {"title": grid.title, "header": [grid.header[k] for k in shown], "rows": rows}


def _order(columns: list[int], keys: list[str]) -> list[int]:
    """The columns in the grid's order, except that a status follows the name (both first)."""
    if not all(key in keys for key in FIRST):
        return columns
    lead = [keys.index(key) for key in FIRST]
    first = [k for k in columns if k < lead[0]]
    return first + lead + [k for k in columns if k not in lead and k not in first]


def html_page(
    title: str,
    meta: str,
    sections: list[Section],
    lang: str,
    charts: list[dict] | None = None,
    overview: str = "",
) -> str:
    """The page: title, meta line, the overview line first, then the sections and the charts."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("ipdemo", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    by_words = {label(f"status.{s}", lang): s for s in STATUSES}
    blocks = [
        _table(s, by_words) if s.grid is not None else {"title": s.title, "lines": s.lines, "rows": None}
        for s in sections
    ]
    return env.get_template("report.html.j2").render(
        title=title, meta=meta, overview=overview, blocks=blocks, lang=lang, charts=charts or [], text=cell_text
    )
