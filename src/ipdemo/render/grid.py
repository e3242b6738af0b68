"""A plain grid (header + rows) rendered as a terminal table, markdown, CSV or JSON records.

Used by the listing commands (indicators, towns) and as the building block of reports.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Grid:
    keys: list[str]  # stable machine names (JSON keys)
    header: list[str]  # labels in the user's language
    rows: list[list[Any]]
    title: str = ""

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.keys, row)) for row in self.rows]


class Exact(float):
    """A figure the engine already rounded as it is meant to be read (whole records in 万件, a
    rate rounded up): shown with every digit it has, as JSON has it (0.6847 万件, not 0.68)."""


def cell_text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Exact) and not value.is_integer():
        places = len(repr(float(value)).partition(".")[2]) if "e" not in repr(float(value)) else 12
        return f"{value:,.{min(places, 12)}f}".rstrip("0").rstrip(".")
    if isinstance(value, float):
        if value.is_integer():
            return f"{int(value):,}"
        return f"{value:,.{decimals(value)}f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def decimals(value: float) -> int:
    """Two decimals, more for a figure below 0.01 so that it never prints as 0: two significant
    digits (36 件 in 万件: 0.0036; a rate of 0.0019 万件 a week: 0.0019)."""
    size = abs(value)
    if size >= 0.01 or size == 0:
        return 2
    return min(12, 1 - math.floor(math.log10(size)))


def neutralise(text: str) -> str:
    """Stop spreadsheet programs from running a cell as a formula (CSV injection)."""
    if text.startswith(FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# Characters that let a value become markup in a markdown viewer: HTML (< >), links and
# images ([ ]), a cell boundary (|), and the escape itself. Each is written backslash-escaped,
# which CommonMark renders as the character itself.
MARKDOWN_SPECIAL = re.compile(r"([\\<>\[\]|`])")
LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")


def one_line(text: str) -> str:
    """A value on one line: a newline inside a cell would end the table row."""
    return LINE_BREAKS.sub(" ", text)


def md_escape(text: str) -> str:
    """Ledger text as literal markdown: never HTML, a link or a broken table."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


def to_markdown(grid: Grid) -> str:
    from tabulate import tabulate  # wide-character aware with wcwidth installed

    rows = [[md_escape(cell_text(v)) for v in row] for row in grid.rows]
    numeric = [
        any(isinstance(r[c], (int, float)) and not isinstance(r[c], bool) for r in grid.rows)
        for c in range(len(grid.header))
    ]
    align = ["right" if n else "left" for n in numeric]
    body = tabulate(
        rows, headers=[md_escape(str(h)) for h in grid.header], tablefmt="pipe", disable_numparse=True, colalign=align
    )
    return (f"## {md_escape(grid.title)}\n\n" if grid.title else "") + body + "\n"


def to_csv(grid: Grid) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(grid.keys)
    for row in grid.rows:
        writer.writerow(["" if v is None else neutralise(str(v)) for v in row])
    return out.getvalue()


def to_json(payload: Any) -> str:
    """JSON as the standard defines it: an infinite or undefined number (which a float can
    become) is null, never the `Infinity` / `NaN` that JSON parsers reject."""
    return json.dumps(finite(payload), ensure_ascii=False, indent=2, default=str, allow_nan=False) + "\n"


def finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # a numpy scalar or array
        return finite(value.tolist())
    return value


def to_rich(grid: Grid):
    from rich.table import Table

    table = Table(title=grid.title or None, show_lines=False, header_style="bold")
    for label, key in zip(grid.header, grid.keys):
        numeric = any(isinstance(r[grid.keys.index(key)], (int, float)) for r in grid.rows)
        table.add_column(label, justify="right" if numeric else "left")
    for row in grid.rows:
        table.add_row(*[cell_text(v) for v in row])
    return table
