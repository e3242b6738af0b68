"""The output formats of `ipdemo report`: one table entry per format, and the view they all render.

`report_view` is the library call behind the command: the plan, the dataset and a window in, a
`ReportView` out (the progress of every indicator, and the breakdown `--by` asks for). Each entry
of FORMATS says how a view becomes the bytes of that format and whether it needs a file; the CLI
parses its options, calls `report_view`, looks the format up here and writes what it returns.

Invariants (tests/test_formats.py):
- FORMATS has exactly one entry per value `--format` accepts; a name not in it is refused before
  any ledger is read.
- A format with `needs_file` is refused without `--output` (message format_needs_output), before
  any ledger is read.
- `terminal` (only the table has one) is what a terminal shows when there is no `--output`; with
  `--output` every format writes `write(view)`.
- Writers are pure: a view in, str or bytes out. They print nothing and write no file.
- BREAKDOWNS has one entry per `--by` value: the engine function that computes the rows and the
  grid that shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ipdemo.render import grid as grids
from ipdemo.render import report as report_render

if TYPE_CHECKING:
    from ipdemo.engine.dataset import Dataset
    from ipdemo.engine.progress import Progress, Window
    from ipdemo.plan.model import Plan


@dataclass(frozen=True)
class ReportView:
    """Everything a format renders: the progress, and the `--by` breakdown if one was asked for."""

    plan: Plan
    data: Dataset
    progress: Progress
    lang: str
    by: str | None = None
    breakdown: list[dict] | None = None
    grid: grids.Grid | None = None  # the breakdown as a grid


@dataclass(frozen=True)
class Breakdown:
    rows: Callable[[Plan, Dataset, Window], list[dict]]
    grid: Callable[[list[dict], str, Plan], grids.Grid]


@dataclass(frozen=True)
class Format:
    write: Callable[[ReportView], str | bytes]
    needs_file: bool = False
    terminal: Callable[[ReportView], Any] | None = None  # a rich renderable, when there is no --output


def _by_town(plan: Plan, data: Dataset, window: Window) -> list[dict]:
    from ipdemo.engine.progress import by_town

    return by_town(plan, data, window)


def _by_phase(plan: Plan, data: Dataset, window: Window) -> list[dict]:
    from ipdemo.engine.progress import by_phase

    return by_phase(plan, data, window)


def _by_year(plan: Plan, data: Dataset, window: Window) -> list[dict]:
    from ipdemo.engine.progress import by_period

    return by_period(plan, data, window, "year")


def _by_month(plan: Plan, data: Dataset, window: Window) -> list[dict]:
    from ipdemo.engine.progress import by_period

    return by_period(plan, data, window, "month")


BREAKDOWNS: dict[str, Breakdown] = {
    "town": Breakdown(_by_town, lambda rows, lang, plan: report_render.town_grid(rows, lang, plan)),
    "area": Breakdown(_by_town, lambda rows, lang, plan: report_render.town_grid(rows, lang, plan)),  # any plan's word
    "phase": Breakdown(_by_phase, lambda rows, lang, plan: report_render.phase_grid(rows, lang)),
    "year": Breakdown(_by_year, lambda rows, lang, plan: report_render.period_grid(rows, lang, "year")),
    "month": Breakdown(_by_month, lambda rows, lang, plan: report_render.period_grid(rows, lang, "month")),
}


def report_view(
    plan: Plan, data: Dataset, window: Window, lang: str, town: str | None = None, by: str | None = None
) -> ReportView:
    """The library call behind `ipdemo report`: progress in the window (one town or the whole
    area) and, with `by`, its breakdown."""
    from ipdemo.engine.progress import compute

    progress = compute(plan, data, window, town)
    if by is None:
        return ReportView(plan, data, progress, lang)
    breakdown = BREAKDOWNS[by]
    rows = breakdown.rows(plan, data, window)
    return ReportView(plan, data, progress, lang, by, rows, breakdown.grid(rows, lang, plan))


def _main_grid(view: ReportView) -> grids.Grid:
    return view.grid or report_render.progress_grid(view.progress, view.lang)


def _tasks_markdown(view: ReportView) -> str:
    return "" if view.grid else report_render.tasks_markdown(view.progress, view.lang)


def _table_terminal(view: ReportView) -> Any:
    if view.grid is None:
        return report_render.rich_progress(view.progress, view.lang)
    return grids.to_rich(view.grid)


def _table_file(view: ReportView) -> str:
    return grids.to_markdown(_main_grid(view)) + _tasks_markdown(view)


def _markdown(view: ReportView) -> str:
    main = _main_grid(view)
    body = grids.to_markdown(main if view.grid else grids.Grid(main.keys, main.header, main.rows))
    return f"# {report_render.title(view.progress, view.lang)}\n\n" + body + _tasks_markdown(view)


def _csv(view: ReportView) -> str:
    return grids.to_csv(view.grid or report_render.progress_csv_grid(view.progress))


def _json(view: ReportView) -> str:
    return grids.to_json(report_json(view))


def report_json(view: ReportView) -> dict[str, Any]:
    """What `--format json` prints: the progress, and with --by the breakdown."""
    payload = view.progress.as_dict()
    if view.by is not None:
        payload["by"], payload["breakdown"] = view.by, view.breakdown
    return payload


def _html(view: ReportView) -> str:
    from ipdemo.render.charts import all_charts
    from ipdemo.render.html import Section, html_page

    progress, lang = view.progress, view.lang
    main_grid = report_render.progress_grid(progress, lang)
    main_grid.title = ""  # the page title says it
    sections = [Section(main_grid, [i.status for i in progress.indicators])]
    if view.grid is not None:
        sections.append(Section(view.grid))
    sections += report_render.task_sections(progress, lang)
    meta = view.plan.plan.region
    charts = all_charts(view.plan, view.data, progress, lang) if progress.town is None else []
    overview = report_render.overview(progress.indicators, lang)
    return html_page(report_render.title(progress, lang), meta, sections, lang, charts, overview=overview)


def _docx(view: ReportView) -> bytes:
    from ipdemo.render.docx import report_docx

    town_rows = view.breakdown if view.by in ("town", "area") else None
    return report_docx(view.plan, view.data, view.progress, view.lang, town_rows=town_rows)


def _xlsx(view: ReportView) -> bytes:
    """The report workbook: typed sheets (render/report_book.py), print-ready (render/workbook.py)."""
    from ipdemo.render.report_book import report_sheets
    from ipdemo.render.workbook import workbook_bytes

    return workbook_bytes(report_sheets(view), view.lang)


FORMATS: dict[str, Format] = {
    "table": Format(_table_file, terminal=_table_terminal),
    "markdown": Format(_markdown),
    "csv": Format(_csv),
    "json": Format(_json),
    "html": Format(_html),
    "xlsx": Format(_xlsx, needs_file=True),
    "docx": Format(_docx, needs_file=True),  # the 自查报告
}
