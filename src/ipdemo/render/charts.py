"""Every chart of every output: one figure model, two writers.

The model (BurnUp, Shares) says what a chart shows: which indicators (their kind's entry in
plan/kinds.py: `burns_up`, `shares_by_area`), the one burn-up series (engine/summary.burn_up), the
straight line to the target (from the level on the day before the plan start, 0 for a flow, to the
target on the plan end, or on a stock's `due`), the towns and whether records of no known town
are a group of their own. The writers say how it looks:

- SVG for HTML pages (report --format html, summary): matplotlib's pyplot with the svg backend,
  text kept as text (searchable, crisp, CJK by the browser's fonts), no network, one figure per
  chart with its caption; deterministic: fixed hashsalt and no creation date in the SVG.
- PNG for the Word report (render/docx.py, which finds the CJK font): matplotlib without pyplot,
  170 dpi, the burn-ups as one 2×2 figure; without a CJK font the labels are English (names fall
  back to ids), never tofu.

A chart is drawn only when it has something to show (no empty towns chart); matplotlib's
warnings never reach stderr (the charts are data, messages are the CLI's). Labels are i18n
labels (chart.*, docx.chart_*) in the plan's words for its areas and its whole.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterator

from ipdemo.engine.dataset import Dataset
from ipdemo.engine.progress import IndicatorProgress, Progress, by_town
from ipdemo.engine.summary import burn_up
from ipdemo.i18n import label, localized, message
from ipdemo.plan.kinds import kind_spec
from ipdemo.plan.model import Plan
from ipdemo.render.grid import cell_text
from ipdemo.render.report import name_of, unassigned_label

CJK_FONTS = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "DejaVu Sans",
    "sans-serif",
]
COLOURS = {"actual": "#0969da", "plan": "#8c959f", "phase": "#d0d7de", "asof": "#cf222e", "target": "#1a7f37"}
STATUS_COLOURS = {
    "achieved": "#1a7f37",
    "on_track": "#0969da",
    "at_risk": "#bf8700",
    "behind": "#cf222e",
    None: "#8c959f",
}
DPI = 170  # the Word report's charts
WORD_BURN_UPS = 4  # the Word report's burn-up figure holds 2×2
AREA_GROUPS = 4  # indicators side by side in a towns chart


# --- the figure model -------------------------------------------------------------------------


@dataclass(frozen=True)
class BurnUp:
    """One indicator's running actual against the straight line to its target."""

    item: IndicatorProgress
    days: list[date]
    values: list[float]  # NaN where there is no figure
    line: tuple[tuple[date, date], tuple[float, float]]  # (from, to) days, (baseline, target)
    phases: list[date]  # the days later phases start
    as_of: date


@dataclass(frozen=True)
class Shares:
    """Towns side by side: each town's share (%) of the whole for up to AREA_GROUPS volumes."""

    rows: list[dict]  # progress.by_town rows, volumes only
    towns: list[str]  # the towns' names, in the engine's order
    unassigned: bool  # records of no known town are a last group

    def shares(self, row: dict) -> list[float]:
        values = [row["towns"].get(t) for t in self.towns] + ([row["unassigned"]] if self.unassigned else [])
        return [100 * (v or 0) / row["district"] for v in values]


def burn_up_model(plan: Plan, data: Dataset, progress: Progress) -> list[BurnUp]:
    """A burn-up per indicator whose kind burns up and that has a target; none before the plan."""
    if progress.window.baseline:  # before the plan starts nothing has accumulated yet
        return []
    end, start = progress.window.end, plan.plan.start
    out = []
    for item in progress.indicators:
        spec = item.spec
        if not spec.burns_up or item.target is None:
            continue
        ind = plan.indicator(item.id)
        days, values = burn_up(plan, data, item.id, end)
        base = (item.baseline or 0) if ind.is_level else 0  # a flow starts at 0 (a stated 基期值 is context)
        due = ind.due if spec.pace_to_due and ind.due else plan.plan.end
        out.append(
            BurnUp(
                item,
                days,
                values,
                ((start - timedelta(days=1), due), (base, item.target)),
                [phase.start for phase in plan.phases[1:]],
                end,
            )
        )
    return out


def shares_model(plan: Plan, rows: list[dict]) -> Shares | None:
    """The towns chart of by_town rows: volumes whose towns add up to the whole (not ratios);
    None when no indicator has one (no empty chart)."""
    chosen = [r for r in rows if _shareable(plan, r)][:AREA_GROUPS]
    if not chosen:
        return None
    return Shares(chosen, list(chosen[0]["towns"]), any(r["unassigned"] for r in chosen))


def _shareable(plan: Plan, row: dict) -> bool:
    ind = plan.indicator(row["id"])
    return (
        kind_spec(row["kind"]).shares_by_area
        and bool(row["district"])
        and not any(m.per_population for m in ind.measures)
        and any(v is not None for v in row["towns"].values())  # no per-area data: nothing to draw
    )


# --- SVG, for HTML pages ----------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "ipdemo",
            "font.family": "sans-serif",
            "font.sans-serif": CJK_FONTS,
            "axes.unicode_minus": False,
            "font.size": 9,
        }
    )
    return plt


@contextmanager
def _quiet() -> Iterator[None]:
    """matplotlib's UserWarnings (no labelled artists, missing glyphs) stay out of stderr."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        yield


def _legend_below(fig, ax) -> None:
    """The legend under the plot, outside it (the figure is laid out "constrained"): it never
    covers a line, a bar or the target."""
    if ax.get_legend_handles_labels()[0]:
        fig.legend(loc="outside lower center", ncol=3, frameon=False, fontsize=7)


def whole_ticks(ax, plan: Plan, item: IndicatorProgress) -> None:
    """A count's value axis in whole numbers (0, 1, 2 — never 0.0 … 1.0): whole-record counts
    (plan.model.record_quantum is 1) get an integer locator; sums and densities keep matplotlib's."""
    from matplotlib.ticker import MaxNLocator

    from ipdemo.plan.model import record_quantum

    if record_quantum(plan, plan.indicator(item.id)) == 1:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _svg(fig) -> str:
    import logging

    # Text stays text in the SVG and the browser draws it with its CJK fonts; matplotlib only
    # measures it, and warns when the machine has no CJK font for that.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": "ipdemo"})
    _pyplot().close(fig)
    text = out.getvalue()
    text = text[text.index("<svg") :]  # drop the XML prolog and doctype: inline in HTML
    start, end = text.find(" <metadata>"), text.find("</metadata>")
    if start >= 0 and end > start:  # RDF boilerplate: nothing a reader needs
        text = text[:start] + text[end + len("</metadata>") :]
    return text


def burn_ups(plan: Plan, data: Dataset, progress: Progress, lang: str) -> list[dict]:
    """A figure per burn-up: the actual (a stock: its level) over time against the straight
    line to the target, phase boundaries and the as-of date marked."""
    return [_burn_up_svg(plan, chart, lang) for chart in burn_up_model(plan, data, progress)]


def _burn_up_svg(plan: Plan, chart: BurnUp, lang: str) -> dict:
    plt = _pyplot()
    item = chart.item
    fig, ax = plt.subplots(figsize=(4.2, 2.8), layout="constrained")
    ax.plot(chart.days, chart.values, color=COLOURS["actual"], linewidth=1.8, label=label("chart.actual", lang))
    ax.plot(*chart.line, color=COLOURS["plan"], linestyle="--", linewidth=1, label=label("chart.pro_rata", lang))
    for day in chart.phases:
        ax.axvline(day, color=COLOURS["phase"], linewidth=1)
    ax.axvline(chart.as_of, color=COLOURS["asof"], linewidth=1, linestyle=":")
    ax.set_title(label("chart.burnup_title", lang, name=name_of(item, lang), unit=item.unit))
    ax.set_xlim(plan.plan.start, plan.plan.end)
    ax.set_ylim(bottom=0)
    whole_ticks(ax, plan, item)
    _legend_below(fig, ax)
    ax.tick_params(labelsize=7)
    ax.tick_params(axis="x", labelrotation=30)
    end = label("dates.day", lang, y=chart.as_of.year, m=chart.as_of.month, d=chart.as_of.day)
    caption = label("chart.burnup_caption", lang, name=name_of(item, lang), end=end, percent=cell_text(item.percent))
    return {"id": f"burnup-{item.id}", "svg": _svg(fig), "caption": caption}


def towns_chart(plan: Plan, data: Dataset, progress: Progress, lang: str) -> dict | None:
    """Towns side by side (Shares); records whose town is not yet known (未划分区镇) as a last
    group, only when there are any. None when no indicator has a volume to share out."""
    model = shares_model(plan, by_town(plan, data, progress.window))
    if model is None:
        return None
    plt = _pyplot()
    words = plan.words(lang)
    english = {t.name: t.name_en for t in plan.towns}
    ticks = [localized(n, english.get(n), lang) for n in model.towns]
    if model.unassigned:
        ticks = [*ticks, unassigned_label(plan, lang)]
    fig, ax = plt.subplots(figsize=(8.5, 3.4), layout="constrained")
    width = 0.8 / len(model.rows)
    for k, row in enumerate(model.rows):
        ax.bar(
            [i + k * width for i in range(len(ticks))],
            model.shares(row),
            width=width,
            label=localized(row["name"], row["name_en"], lang),
        )
    ax.set_xticks([i + width * (len(model.rows) - 1) / 2 for i in range(len(ticks))])
    ax.set_xticklabels(ticks, rotation=20, fontsize=7)
    ax.set_ylabel(message("chart_share_axis", lang, whole=words.whole))
    _legend_below(fig, ax)
    ax.set_title(message("chart_areas_title", lang, areas=words.areas))
    return {
        "id": "towns",
        "svg": _svg(fig),
        "caption": message("chart_share_caption", lang, area=words.area, whole=words.whole),
    }


def annual_charts(progress: Progress, lang: str) -> list[dict]:
    """Annual targets: a bar per year, the year's target as a tick."""
    plt = _pyplot()
    charts = []
    for item in progress.indicators:
        if not item.spec.yearly or not item.years:
            continue
        fig, ax = plt.subplots(figsize=(4.2, 2.6), layout="constrained")
        years = [str(y.year) for y in item.years]
        ax.bar(years, [y.actual or 0 for y in item.years], color=COLOURS["actual"])
        ax.scatter(
            years,
            [y.target or 0 for y in item.years],
            marker="_",
            s=900,
            color=COLOURS["target"],
            zorder=3,
            label=label("chart.year_target", lang),
        )
        ax.set_title(label("chart.annual_title", lang, name=name_of(item, lang), unit=item.unit))
        whole_ticks(ax, progress.plan, item)
        _legend_below(fig, ax)
        years_text = [
            label("chart.annual_item", lang, year=y.year, actual=cell_text(y.actual), target=cell_text(y.target))
            for y in item.years
        ]
        charts.append(
            {"id": f"annual-{item.id}", "svg": _svg(fig), "caption": label("punct.semicolon", lang).join(years_text)}
        )
    return charts


def all_charts(plan: Plan, data: Dataset, progress: Progress, lang: str) -> list[dict]:
    """Every chart of a report or summary page; none for a baseline view (nothing has run yet)."""
    if progress.window.baseline:
        return []
    with _quiet():
        towns = towns_chart(plan, data, progress, lang)
        return burn_ups(plan, data, progress, lang) + ([towns] if towns else []) + annual_charts(progress, lang)


# --- PNG, for the Word report -----------------------------------------------------------------


@dataclass
class Chart:
    png: bytes
    texts: list[str]  # every string drawn, for tests (no CJK without a CJK font)


def png_charts(
    plan: Plan, data: Dataset, progress: Progress, town_rows: list[dict], lang: str, font: str | None
) -> dict[str, Chart]:
    """Completion percentages, burn-ups (the first WORD_BURN_UPS, 2×2), towns' shares, drawn with
    `font`. With no CJK font (None), labels are English (names fall back to ids): never tofu."""
    import matplotlib

    ascii_only = font is None
    label_lang = "en" if ascii_only else lang  # no CJK font: English labels, never tofu
    family = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    drawings = (
        ("percent", lambda: _percent_png(plan, progress, label_lang, ascii_only)),
        ("burnup", lambda: _burn_ups_png(plan, burn_up_model(plan, data, progress), label_lang, ascii_only)),
        ("towns", lambda: _towns_png(plan, shares_model(plan, town_rows), label_lang, ascii_only)),
    )
    out: dict[str, Chart] = {}
    with matplotlib.rc_context(
        {
            "font.family": "sans-serif",
            "font.sans-serif": family,
            "axes.unicode_minus": False,
            "font.size": 9,
            "svg.hashsalt": "ipdemo",
        }
    ):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Glyph .* missing from")
            for key, draw in drawings:
                fig = draw()
                if fig is not None:
                    out[key] = Chart(_png(fig), _texts(fig))
    return out


def _label(item: Any, lang: str, ascii_only: bool) -> str:
    """A chart label for an indicator, a by_town row (a mapping) or a town: its name in `lang`;
    with ascii_only, an English name that is not ASCII gives way to the id."""
    get = item.get if isinstance(item, Mapping) else (lambda key, default=None: getattr(item, key, default))
    text = localized(get("name") or "", get("name_en"), lang)
    if ascii_only and not text.isascii():
        text = get("id") or "?"
    return text


def _figure_of(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return out.getvalue()


def _texts(fig) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


def _percent_png(plan: Plan, progress: Progress, lang: str, ascii_only: bool):
    items = [i for i in progress.indicators if i.percent is not None and i.spec.amount]
    if not items:
        return None
    fig = _figure_of(7.2, 0.32 * len(items) + 1.0)
    ax = fig.add_subplot()
    names = [_label(i, lang, ascii_only) for i in items][::-1]
    values = [min(float(i.percent or 0), 150.0) for i in items][::-1]  # every item has a percent
    ax.barh(names, values, color=[STATUS_COLOURS.get(i.status, STATUS_COLOURS[None]) for i in items][::-1])
    ax.axvline(100, color="#57606a", linewidth=0.8, linestyle="--")
    share = 100 * ((progress.window.end - plan.plan.start).days + 1) / ((plan.plan.end - plan.plan.start).days + 1)
    ax.axvline(min(share, 100), color="#8c959f", linewidth=0.8, linestyle=":")
    for y, (value, item) in enumerate(zip(values, items[::-1])):
        ax.text(value + 1, y, f"{cell_text(item.percent)}%", va="center", fontsize=7)
    ax.set_xlim(0, max(110, max(values) + 15))
    ax.set_xlabel(label("docx.chart_percent_axis", lang))
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _month_tick(day: date, lang: str) -> str:
    """2022年1月 / 2022-01 under a Word chart (no ISO dates in Chinese text)."""
    return label("docx.month_tick", lang, y=day.year, m=day.month)


def _burn_ups_png(plan: Plan, charts: list[BurnUp], lang: str, ascii_only: bool):
    from matplotlib import dates, ticker

    charts = charts[:WORD_BURN_UPS]
    if not charts:
        return None
    fig = _figure_of(7.2, 4.6)
    for k, chart in enumerate(charts):
        ax = fig.add_subplot(2, 2, k + 1)
        ax.plot(chart.days, chart.values, color=COLOURS["actual"], linewidth=1.6, label=label("chart.actual", lang))
        ax.plot(*chart.line, color=COLOURS["plan"], linestyle="--", linewidth=1, label=label("chart.pro_rata", lang))
        for day in chart.phases:
            ax.axvline(day, color=COLOURS["phase"], linewidth=0.8)
        ax.set_title(
            label("docx.chart_burnup_title", lang, name=_label(chart.item, lang, ascii_only), unit=chart.item.unit),
            fontsize=9,
        )
        ax.set_xlim(plan.plan.start, plan.plan.end)
        ax.set_ylim(bottom=0)
        ax.xaxis.set_major_locator(dates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _pos: _month_tick(dates.num2date(x), lang)))
        ax.tick_params(labelsize=7)
        if k == 0:
            ax.legend(loc="upper left", frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def _towns_png(plan: Plan, model: Shares | None, lang: str, ascii_only: bool):
    if model is None:
        return None
    by_name = {t.name: t for t in plan.towns}
    ticks = [_label(by_name[n], lang, ascii_only) if n in by_name else n for n in model.towns]
    if model.unassigned:
        ticks = [*ticks, unassigned_label(plan, lang)]
    fig = _figure_of(7.2, 3.0)
    ax = fig.add_subplot()
    width = 0.8 / len(model.rows)
    for k, row in enumerate(model.rows):
        ax.bar(
            [x + k * width for x in range(len(ticks))],
            model.shares(row),
            width=width,
            label=_label(row, lang, ascii_only),
        )
    ax.set_xticks([x + width * (len(model.rows) - 1) / 2 for x in range(len(ticks))])
    ax.set_xticklabels(ticks, rotation=25, fontsize=7, ha="right")
    ax.set_ylabel(message("chart_share_axis", lang, whole=plan.words(lang).whole))
    ax.legend(frameon=False, fontsize=7)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig
