"""Charts as inline SVG made by matplotlib, text kept as text (searchable, crisp, CJK by the
browser's fonts), no network. Deterministic: fixed hashsalt and no creation date in the SVG.

A chart is drawn only when it has something to show (no empty towns chart); matplotlib's
warnings never reach stderr (the charts are data, messages are the CLI's). Labels are i18n
labels (chart.*) in the plan's words for its areas and its whole.
"""

from __future__ import annotations

import io
import warnings
from contextlib import contextmanager
from datetime import timedelta
from typing import Iterator

from ipdemo.engine.dataset import Dataset
from ipdemo.engine.progress import Progress, by_town, facts_of
from ipdemo.i18n import label, localized, message
from ipdemo.plan.kinds import kind_spec
from ipdemo.plan.model import Plan
from ipdemo.render.report import name_of, unassigned_label

CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC",
             "DejaVu Sans", "sans-serif"]
COLOURS = {"actual": "#0969da", "plan": "#8c959f", "phase": "#d0d7de", "asof": "#cf222e", "target": "#1a7f37"}


def _pyplot():
    import matplotlib

    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "ipdemo", "font.family": "sans-serif",
                         "font.sans-serif": CJK_FONTS, "axes.unicode_minus": False, "font.size": 9})
    return plt


@contextmanager
def _quiet() -> Iterator[None]:
    """matplotlib's UserWarnings (no labelled artists, missing glyphs) stay out of stderr."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        yield


def _legend(ax, **options) -> None:
    """A legend only when something is labelled (else matplotlib warns)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False, fontsize=7, **options)


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
    text = text[text.index("<svg"):]  # drop the XML prolog and doctype: inline in HTML
    start, end = text.find(" <metadata>"), text.find("</metadata>")
    if start >= 0 and end > start:  # RDF boilerplate: nothing a reader needs
        text = text[:start] + text[end + len("</metadata>"):]
    return text


def burn_ups(plan: Plan, data: Dataset, progress: Progress, lang: str) -> list[dict]:
    """Per cumulative or stock indicator with a target: the actual (a stock: its level) over
    time against the straight line to the target (a stock's starts at its baseline and ends at
    its due date), phase boundaries and the as-of date marked."""
    plt = _pyplot()
    charts = []
    end = progress.window.end
    start = plan.plan.start
    for item in progress.indicators:
        if not item.spec.burns_up or item.target is None:
            continue
        ind = plan.indicator(item.id)
        days, values = facts_of(data, ind).series(start, end)
        due = ind.due if item.spec.pace_to_due and ind.due else plan.plan.end
        base = item.baseline or 0
        fig, ax = plt.subplots(figsize=(4.2, 2.4))
        ax.plot(days, [v if v is not None else float("nan") for v in values], color=COLOURS["actual"],
                linewidth=1.8, label=label("chart.actual", lang))
        ax.plot([start - timedelta(days=1), due], [base, item.target], color=COLOURS["plan"], linestyle="--",
                linewidth=1, label=label("chart.pro_rata", lang))
        for phase in plan.phases[1:]:
            ax.axvline(phase.start, color=COLOURS["phase"], linewidth=1)
        ax.axvline(end, color=COLOURS["asof"], linewidth=1, linestyle=":")
        ax.set_title(label("chart.burnup_title", lang, name=name_of(item, lang), unit=item.unit))
        ax.set_xlim(start, plan.plan.end)
        ax.set_ylim(bottom=0)
        _legend(ax, loc="upper left")
        ax.tick_params(labelsize=7)
        fig.autofmt_xdate()
        caption = label("chart.burnup_caption", lang, name=name_of(item, lang), end=end, percent=item.percent)
        charts.append({"id": f"burnup-{item.id}", "svg": _svg(fig), "caption": caption})
    return charts


def _shareable(plan: Plan, row: dict) -> bool:
    """A volume whose towns add up to the whole: cumulative or stock counts and sums, not ratios."""
    ind = plan.indicator(row["id"])
    return kind_spec(row["kind"]).shares_by_area and bool(row["district"]) and \
        not any(m.per_population for m in ind.measures)


def towns_chart(plan: Plan, data: Dataset, progress: Progress, lang: str) -> dict | None:
    """Towns side by side: each town's share of the main volume indicators; records whose town
    is not yet known (未划分区镇) as a last group, only when there are any. None when no
    indicator has a volume to share out (no empty chart)."""
    rows = [r for r in by_town(plan, data, progress.window) if _shareable(plan, r)][:4]
    if not rows:
        return None
    plt = _pyplot()
    words = plan.words(lang)
    names = list(rows[0]["towns"])
    english = {t.name: t.name_en for t in plan.towns}
    ticks = [localized(n, english.get(n), lang) for n in names]
    extra = any(r["unassigned"] for r in rows)
    if extra:
        ticks = [*ticks, unassigned_label(plan, lang)]
    fig, ax = plt.subplots(figsize=(8.5, 3.0))
    width = 0.8 / max(1, len(rows))
    for k, row in enumerate(rows):
        values = [row["towns"][t] for t in names] + ([row["unassigned"]] if extra else [])
        shares = [100 * (v or 0) / row["district"] for v in values]
        ax.bar([i + k * width for i in range(len(values))], shares, width=width,
               label=localized(row["name"], row["name_en"], lang))
    ax.set_xticks([i + width * (len(rows) - 1) / 2 for i in range(len(ticks))])
    ax.set_xticklabels(ticks, rotation=20, fontsize=7)
    ax.set_ylabel(message("chart_share_axis", lang, whole=words.whole))
    _legend(ax)
    ax.set_title(message("chart_areas_title", lang, areas=words.areas))
    return {"id": "towns", "svg": _svg(fig),
            "caption": message("chart_share_caption", lang, area=words.area, whole=words.whole)}


def annual_charts(progress: Progress, lang: str) -> list[dict]:
    """Annual targets: a bar per year, the year's target as a tick."""
    plt = _pyplot()
    charts = []
    for item in progress.indicators:
        if not item.spec.yearly or not item.years:
            continue
        fig, ax = plt.subplots(figsize=(4.2, 2.4))
        years = [str(y.year) for y in item.years]
        ax.bar(years, [y.actual or 0 for y in item.years], color=COLOURS["actual"])
        ax.scatter(years, [y.target or 0 for y in item.years], marker="_", s=900, color=COLOURS["target"], zorder=3,
                   label=label("chart.year_target", lang))
        ax.set_title(label("chart.annual_title", lang, name=name_of(item, lang), unit=item.unit))
        _legend(ax)
        charts.append({"id": f"annual-{item.id}", "svg": _svg(fig),
                       "caption": "、".join(f"{y.year}: {y.actual}/{y.target}" for y in item.years)})
    return charts


def all_charts(plan: Plan, data: Dataset, progress: Progress, lang: str) -> list[dict]:
    """Every chart of a report or summary page; none for a baseline view (nothing has run yet)."""
    if progress.window.baseline:
        return []
    with _quiet():
        towns = towns_chart(plan, data, progress, lang)
        return burn_ups(plan, data, progress, lang) + ([towns] if towns else []) + annual_charts(progress, lang)
