"""What the 自查报告 (render/docx.py) says: its sentences and table cells, from the plan and the facts.

render/docx.py lays the document out; this module words it. Every sentence is built from the
engine's figures (progress.IndicatorProgress, the tasks on the window end) and the plan's own words
(targets.yaml `plan:` short_name, office, recipients, subject, acceptance: Plan.document), so two
indicators in different situations never read alike.

Invariants:
- Chinese text carries no ISO dates, no ids, no English and no tool names: dates read 2023年12月31日
  (`day`), ranges 2至4个, and a date never breaks across lines (its characters are joined by U+2060
  WORD JOINER, which renderers draw as nothing);
- nothing is said of a zero count (正常推进0项 is left out, not printed);
- one number format per unit: counts of whole things without decimals (29,301件), every other unit
  with two (4.71亿元, 0.60亿元), percentages with one (86.0);
- 存在的问题 keeps 滞后 and 有风险 apart, and its task counts are the task table's; 下一步工作
  groups what is to be done by cause and numbers the groups 1. 2. 3.; past due (已过) is said only
  after the due date, never on it;
- the needed pace is `pace` (one small function): 剩余13周，平均每周需完成52件, or 需在13周内完成
  when a weekly rate would be less than one whole thing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from ipdemo.engine.progress import IndicatorProgress, Progress
from ipdemo.i18n import label, localized, numeral, sentences
from ipdemo.plan.kinds import kind_spec
from ipdemo.plan.model import Plan, short_name_of
from ipdemo.render.pace import weekly_rate_worth_stating
from ipdemo.render.report import name_of, status_text, task_status_text

RISKY = ("at_risk", "behind")
JOIN = "\u2060"  # WORD JOINER: no line break inside a date (zero width when drawn)
STATUS_ORDER = ("achieved", "on_track", "at_risk", "behind")


def t(key: str, lang: str, **params: object) -> str:
    return label(f"docx.{key}", lang, **params)


# --- numbers, dates, names ------------------------------------------------------------------


def day(value: date | str, lang: str) -> str:
    """2023年12月31日 / 2023-12-31 (an ISO string too), never broken across lines."""
    value = date.fromisoformat(value) if isinstance(value, str) else value
    text = t("date", lang, y=value.year, m=value.month, d=value.day)
    return JOIN.join(text)


def whole_unit(plan: Plan, unit: str) -> bool:
    """A unit of whole things (件, 家, 个): counted records, shown without decimals."""
    spec = plan.units.get(unit)
    return spec is not None and spec.dimension == "count" and spec.factor == 1


def number(plan: Plan, value: float | None, unit: str) -> str:
    """29,301 / 4.71 / 0.60: without decimals for whole things, two for every other unit (more
    only where two would show a non-zero figure as 0.00: 0.0004)."""
    if value is None:
        return "—"
    if whole_unit(plan, unit):
        return f"{round(value):,}"
    if value and abs(value) < 0.005:  # never a non-zero figure shown as 0.00: its first two digits
        return f"{value:,.{1 - math.floor(math.log10(abs(value)))}f}"
    return f"{value:,.2f}"


def amount(plan: Plan, value: float | None, unit: str, lang: str) -> str:
    """29,301件 / 4.71亿元 / 29,301 件."""
    if value is None:
        return "—"
    return t("amount", lang, value=number(plan, value, unit), unit=unit)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}"


@dataclass(frozen=True)
class PlanNames:
    """How the report names the plan: 《full name》 once, then 《计划》 (or the full name again)."""

    full: str  # 《吴江区…工作计划》 / the Wujiang … Plan
    ref: str  # 《计划》 / the Plan
    called: str  # （以下简称《计划》） / ' (the Plan)' / ''


def plan_names(plan: Plan, lang: str) -> PlanNames:
    words = plan.document(lang)
    name = localized(plan.plan.name, plan.plan.name_en, lang)
    full = t("plan_full", lang, name=name)
    if not words.short:
        return PlanNames(full, full, "")
    ref = t("plan_short", lang, short=words.short)
    return PlanNames(full, ref, t("called", lang, ref=ref))


def title(plan: Plan, lang: str) -> str:
    """发文机关 + 关于 + 事由 + 的自查报告 (GB/T 9704 7.3.1)."""
    words = plan.document(lang)
    return t("title", lang, office=words.office, subject=subject(plan, lang))


def subject(plan: Plan, lang: str) -> str:
    """The 事由: `subject` in targets.yaml; else a 工作计划's work (吴江区…创建工作计划 → …创建工作,
    the region left out when the office already names it); else 《the plan》实施情况."""
    words = plan.document(lang)
    if words.subject:
        return words.subject
    name = localized(plan.plan.name, plan.plan.name_en, lang)
    last = short_name_of(name)  # '' for an English name
    stem = name[: -len(last)] if last and name.endswith(last) else ""
    if stem.endswith(t("work_word", lang)):
        region = plan.plan.region
        return stem[len(region) :] if region and stem.startswith(region) and words.office.startswith(region) else stem
    return t("subject_default", lang, plan=plan_names(plan, lang).full)


# --- 一、基本情况 ------------------------------------------------------------------------------


def basic(plan: Plan, progress: Progress, rows_by: dict[str, int], lang: str) -> list[str]:
    """The plan's period (and phases, when it has any), the window, the data sources."""
    names = plan_names(plan, lang)
    period = dict(start=day(plan.plan.start, lang), end=day(plan.plan.end, lang), ref=names.ref)
    if plan.phases:
        phases = label("punct.list", lang).join(
            t("basic_plan_phase", lang, name=localized(p.name, p.name_en, lang), start=day(p.start, lang),
              end=day(p.end, lang))
            for p in plan.phases
        )  # fmt: skip
        first = t("basic_plan", lang, **period, phases=phases, count=numeral(len(plan.phases), lang))
    else:
        first = t("basic_plan_no_phases", lang, **period)
    w, phase = progress.window, ""
    if w.phase:
        phase = t(
            "basic_phase", lang, id=numeral(w.phase.id, lang), name=localized(w.phase.name, w.phase.name_en, lang)
        )
    window = t("basic_window", lang, start=day(w.start, lang), end=day(w.end, lang), phase=phase)
    return [first, window, sources(plan, rows_by, lang)]


def sources(plan: Plan, rows_by: dict[str, int], lang: str) -> str:
    """数据来源: each ledger with records (none with 0), records counted to the window end."""
    parts = [
        t("source", lang, name=localized(spec.name, spec.name_en or name, lang), rows=f"{rows_by[name]:,}")
        for name, spec in plan.ledgers.items()
        if rows_by.get(name)
    ]
    return t("basic_sources", lang, sources=label("punct.list", lang).join(parts)) if parts else t("no_source", lang)


# --- 二、主要目标完成情况 ----------------------------------------------------------------------


def counted(parts: list[tuple[str, int]], lang: str) -> str:
    """已完成10项，有风险3项: the non-zero counts only, in order."""
    return label("punct.comma", lang).join(t("count_part", lang, what=what, n=n) for what, n in parts if n)


def summary(plan: Plan, progress: Progress, lang: str) -> str:
    inds = progress.indicators
    parts = [(status_text(s, lang), sum(i.status == s for i in inds)) for s in STATUS_ORDER]
    parts.append((t("not_assessable", lang), len(inds) - sum(n for _, n in parts)))
    return t(
        "summary",
        lang,
        ref=plan_names(plan, lang).ref,
        total=len(inds),
        end=day(progress.window.end, lang),
        counts=counted(parts, lang),
    )


def target_text(plan: Plan, i: IndicatorProgress, lang: str) -> str:
    """30,000件 / 2至4个 / 每年4次 / 超过2件 / 2023年12月31日前（8个区镇） / 上升."""
    spec = i.spec
    if spec.done_on_date:
        text = t("due_by", lang, due=day(i.due, lang)) if i.due else "—"
        if i.target and i.target > 1:
            text += t("towns_count", lang, n=number(plan, i.target, i.unit), areas=plan.words(lang).areas)
        return text
    if spec.directional:
        return label("trend.rising", lang)
    if spec.bounded and i.max is not None:
        return t("range", lang, min=number(plan, i.min, i.unit), max=number(plan, i.max, i.unit), unit=i.unit)
    if i.target is None:
        return "—"
    text = amount(plan, i.target, i.unit, lang)
    if i.comparison == "more_than":
        text = t("more_than", lang, text=text)
    if i.target_year is not None:  # a target-year goal: the value of that year
        text = t("target_in_year", lang, text=text, year=i.target_year)
    elif spec.yearly:
        text = t("per_year", lang, text=text)
    return text + goal_note(plan, i, lang)


def goal_note(plan: Plan, i: IndicatorProgress, lang: str) -> str:
    """What the plan states beside a target: （基期值1,000亿元，2020年；预期性）; '' when nothing."""
    parts = []
    if i.baseline_year is not None and i.baseline is not None:
        parts.append(t("baseline_is", lang, value=amount(plan, i.baseline, i.unit, lang), year=i.baseline_year))
    if i.binding:
        parts.append(label(f"binding.{i.binding}", lang))
    return t("goal_note", lang, text=label("punct.semicolon", lang).join(parts)) if parts else ""


def single_milestone(i: IndicatorProgress) -> bool:
    return i.spec.done_on_date and (i.target or 0) <= 1


def indicator_row(plan: Plan, n: int, i: IndicatorProgress, lang: str) -> list[str]:
    """序号, 指标, 目标, 完成 (with its unit; 已完成/未完成 for a milestone), 完成率 (one decimal;
    — where a rate says nothing: a milestone, a range, a direction), 状态."""
    if single_milestone(i):
        actual = label("report.done" if i.actual else "report.not_done", lang)
    else:
        actual = amount(plan, i.actual, i.unit, lang)
    rate = None if single_milestone(i) or i.spec.bounded or i.spec.directional else i.percent
    return [str(n), name_of(i, lang), target_text(plan, i, lang), actual, percent(rate), status_text(i.status, lang)]


def note(plan: Plan, i: IndicatorProgress, lang: str) -> str:
    """What the table's columns cannot say: per-year figures, milestone dates, a range, a level."""
    spec, name = i.spec, name_of(i, lang)
    if spec.yearly and i.years:
        years = label("punct.list", lang).join(
            t("note_year", lang, year=y.year, actual=amount(plan, y.actual, i.unit, lang),
              target=amount(plan, y.target, i.unit, lang))
            for y in i.years
        )  # fmt: skip
        return t("note_annual", lang, name=name, years=years)
    if spec.done_on_date:
        return _milestone_note(i, name, lang)
    if spec.directional and i.years:
        years = label("punct.list", lang).join(
            t("note_level", lang, year=y.year, value=number(plan, y.actual, i.unit)) for y in i.years
        )
        return t("note_trend", lang, name=name, start=amount(plan, i.baseline, i.unit, lang), years=years)
    if spec.bounded and i.actual is not None and i.min is not None:
        key = "note_above_max" if i.above_max else "note_in_range" if i.actual >= i.min else "note_below_range"
        return t(key, lang, name=name)
    return ""


def _milestone_note(i: IndicatorProgress, name: str, lang: str) -> str:
    if i.towns_missing:
        return t("note_towns_missing", lang, name=name, towns=label("punct.list", lang).join(i.towns_missing))
    if i.done_on is None:
        return ""
    late = t("note_late", lang) if i.late else t("note_before_start", lang) if i.done_before_start else ""
    return t("note_done", lang, name=name, date=day(i.done_on, lang), late=late)


def town_cell(plan: Plan, value: Any, unit: str) -> str:
    return number(plan, value, unit) if isinstance(value, (int, float)) else "—"


# --- 四、重点任务推进情况 ----------------------------------------------------------------------


def task_counts(progress: Progress, lang: str) -> str:
    """共39项：已完成8项，推进中9项，未开始22项，其中逾期1项 (zero parts left out)."""
    from ipdemo.engine.tasks import counts

    items = progress.tasks or []
    n = counts(items)
    parts = [(task_status_text(s, lang), n[s]) for s in ("done", "in_progress", "not_started")]
    overdue = t("tasks_overdue", lang, n=n["overdue"]) if n["overdue"] else ""
    return t("tasks_counts", lang, ref=plan_names(progress.plan, lang).ref, total=len(items),
             counts=counted(parts, lang), overdue=overdue)  # fmt: skip


def task_latest(task: Any, lang: str) -> str:
    """The latest entry's own words (as written) with its date; or, for a task nobody reported
    on, what its linked indicators show, in sentences."""
    if getattr(task, "latest", ""):
        return task.latest
    if getattr(task, "source", "") != "indicators":
        return ""
    parts = [_derived(d, lang) for d in getattr(task, "derived", []) or []]
    return t("derived", lang, items=label("punct.semicolon", lang).join(parts)) if parts else ""


def _derived(d: dict, lang: str) -> str:
    name = localized(d["name"], d["name_en"], lang)
    if d.get("done_on"):
        return t("derived_done", lang, name=name, date=day(d["done_on"], lang))
    if d.get("percent") is not None and d["status"] != "achieved" and kind_spec(d["kind"]).amount:
        return t(
            "derived_percent", lang, name=name, percent=percent(d["percent"]), status=status_text(d["status"], lang)
        )
    return t("derived_status", lang, name=name, status=status_text(d["status"], lang))


# --- the pace a target now needs ----------------------------------------------------------------


def pace(plan: Plan, gap: float, days: int, rate: float | None, unit: str, lang: str) -> str:
    """剩余13周，平均每周需完成52件 when a weekly rate is worth stating (render/pace.py's rule, the
    same as every other output's); else 须在13周内完成; 须在5天内完成 in the last week. The one
    place the docx words a needed pace; the gap itself is said by the sentence around it."""
    weeks = round(days / 7)
    if days < 7 or weeks < 1:
        return t("pace_days", lang, days=max(days, 0))
    if rate is None or not weekly_rate_worth_stating(rate, 1.0 if whole_unit(plan, unit) else None):
        return t("pace_within", lang, weeks=weeks)
    shown = math.ceil(rate) if whole_unit(plan, unit) else rate
    return t("pace_weekly", lang, weeks=weeks, rate=amount(plan, shown, unit, lang))


# --- 五、存在的问题 -----------------------------------------------------------------------------


def due_of(progress: Progress, i: IndicatorProgress) -> date:
    """When the indicator is to be met: its `due`, this year's end for a yearly one, else the plan end."""
    if i.spec.yearly and i.years:
        return i.years[-1].end
    return i.due or progress.plan.plan.end


def gap_of(i: IndicatorProgress) -> float | None:
    """What is still missing: this year's for a yearly target, else the target's (a range: its minimum)."""
    if i.spec.yearly and i.years:
        target, actual = i.years[-1].target, i.years[-1].actual
    else:
        target, actual = (i.min if i.spec.bounded else i.target), i.actual
    if not isinstance(actual, (int, float)) or target is None:
        return None
    return max(0.0, float(target) - float(actual))


def problems(progress: Progress, invalid: dict[str, int], lang: str) -> list[tuple[str, str]]:
    """(lead-in, text) paragraphs of 存在的问题, numbered （一）（二）… in order; never empty."""
    found = [
        (key, text)
        for key, text in (
            ("p_behind", _indicator_problems(progress, "behind", lang)),
            ("p_at_risk", _indicator_problems(progress, "at_risk", lang)),
            ("p_milestones", _milestone_problems(progress, lang)),
            ("p_tasks", _task_problems(progress, lang)),
            ("p_data", _data_problem(invalid, lang)),
        )
        if text
    ]
    if not found:
        return [("", t("p_none", lang))]
    return [(t(key, lang, n=numeral(n, lang)), text) for n, (key, text) in enumerate(found, 1)]


def _indicator_problems(progress: Progress, status: str, lang: str) -> str:
    items = [i for i in progress.indicators if i.status == status and not i.spec.done_on_date]
    return sentences((_problem_text(progress, i, lang) for i in items), lang)


def _problem_text(progress: Progress, i: IndicatorProgress, lang: str) -> str:
    plan, name = progress.plan, name_of(i, lang)
    if i.spec.yearly and i.years:
        y = next((y for y in i.years if y.status == "behind"), i.years[-1])
        return t("problem_annual", lang, name=name, year=y.year, actual=amount(plan, y.actual, i.unit, lang),
                 target=amount(plan, y.target, i.unit, lang))  # fmt: skip
    if i.actual is None or i.percent is None:
        return t("problem_plain", lang, name=name, status=status_text(i.status, lang))
    fields = dict(name=name, actual=amount(plan, i.actual, i.unit, lang), percent=percent(i.percent))
    if progress.window.end >= due_of(progress, i) or i.expected is None:
        return t("problem_past_due", lang, **fields, due=day(due_of(progress, i), lang),
                 target=amount(plan, i.target, i.unit, lang))  # fmt: skip
    return t("problem_item", lang, **fields, expected=amount(plan, i.expected, i.unit, lang))


def _milestone_problems(progress: Progress, lang: str) -> str:
    texts = []
    for i in progress.indicators:
        if not i.spec.done_on_date or not (i.late or i.status == "behind"):
            continue
        due = day(i.due, lang) if i.due else "—"
        if i.late and i.status != "behind":
            texts.append(
                t("late", lang, name=name_of(i, lang), due=due, done=day(i.done_on, lang) if i.done_on else "—")
            )
            continue
        towns = label("punct.list", lang).join(i.towns_missing) if i.towns_missing and i.towns_done else ""
        key = "missed_towns" if towns else "missed"
        texts.append(t(key, lang, name=name_of(i, lang), due=due, towns=towns))
    return sentences(texts, lang)


def _task_problems(progress: Progress, lang: str) -> str:
    """The tasks not done, in the task table's counts, and each overdue one by name."""
    from ipdemo.engine.tasks import counts

    items = progress.tasks or []
    n = counts(items)
    open_ = n["in_progress"] + n["not_started"]
    if not items or not open_:
        return ""
    parts = [(task_status_text(s, lang), n[s]) for s in ("in_progress", "not_started")]
    text = t("tasks_open", lang, end=day(progress.window.end, lang), total=len(items), open=open_,
             counts=counted(parts, lang))  # fmt: skip
    overdue = [
        t("task_overdue", lang, ref=x.ref, title=x.title, due=day(x.due, lang), status=task_status_text(x.status, lang))
        for x in items
        if x.overdue
    ]
    return sentences([text, *overdue], lang)


def _data_problem(invalid: dict[str, int], lang: str) -> str:
    total = sum(invalid.values())
    if not total:
        return ""
    where = label("punct.list", lang).join(
        t("invalid_part", lang, name=name, count=n) for name, n in invalid.items() if n
    )
    return t("invalid", lang, count=total, where=where)


# --- 六、下一步工作 -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One numbered item of 下一步工作: a lead-in (what to do) and the facts behind it."""

    lead: str
    text: str


def next_steps(progress: Progress, invalid: dict[str, int], lang: str) -> list[Step]:
    """下一步工作 grouped by cause — past due, due today, behind, at risk, overdue tasks, evidence
    missing, invalid records — each group once, then the closing work; never empty."""
    groups = _unmet_groups(progress)
    found = [
        Step(t(key, lang), text)
        for key, text in (
            ("step_past_due", _due_text(progress, groups["past_due"], "step_past_due_item", lang)),
            ("step_due_today", _due_text(progress, groups["due_today"], "step_due_today_item", lang)),
            ("step_behind", _pace_text(progress, groups["behind"], lang)),
            ("step_at_risk", _pace_text(progress, groups["at_risk"], lang)),
            ("step_tasks", _overdue_tasks_text(progress, lang)),
            ("step_evidence", _evidence_text(progress, lang)),
            ("step_data", t("step_data_text", lang, count=sum(invalid.values())) if sum(invalid.values()) else ""),
        )
        if text
    ]
    if not found:
        found = [Step(t("step_continue", lang), t("step_continue_text", lang, ref=plan_names(progress.plan, lang).ref))]
    found.append(Step(t("step_close", lang, acceptance=acceptance(progress.plan, lang)), t("step_close_text", lang)))
    return found


def acceptance(plan: Plan, lang: str) -> str:
    """What the work prepares for: `acceptance` in targets.yaml, else the plan's review."""
    return plan.document(lang).acceptance or t("acceptance_default", lang, ref=plan_names(plan, lang).ref)


def _unmet_groups(progress: Progress) -> dict[str, list[IndicatorProgress]]:
    """The indicators not met, by cause: past their due date, due on the report's date, behind, at risk."""
    out: dict[str, list[IndicatorProgress]] = {"past_due": [], "due_today": [], "behind": [], "at_risk": []}
    end = progress.window.end
    for i in progress.indicators:
        if i.status not in RISKY or i.spec.directional:
            continue
        due = due_of(progress, i)
        key = "past_due" if end > due else "due_today" if end == due else i.status
        if i.target_year is not None and end.year < i.target_year:
            key = i.status  # a target-year goal: this year's figure is a step on the path, not a deadline
        out[key].append(i)
    return out


def _due_text(progress: Progress, items: list[IndicatorProgress], key: str, lang: str) -> str:
    """One sentence per due date: the indicators due then and what each still lacks, then what
    is to be done about them (said once)."""
    by_due: dict[date, list[str]] = {}
    for i in items:
        gap = gap_of(i)
        name = name_of(i, lang)
        what = (
            name
            if not gap or i.spec.done_on_date
            else t("short_by", lang, name=name, gap=amount(progress.plan, gap, i.unit, lang))
        )
        by_due.setdefault(due_of(progress, i), []).append(what)
    semicolon = label("punct.semicolon", lang)
    return sentences(
        (t(key, lang, due=day(due, lang), items=semicolon.join(found)) for due, found in sorted(by_due.items())), lang
    )


def _pace_text(progress: Progress, items: list[IndicatorProgress], lang: str) -> str:
    """Each indicator with what it lacks and the pace that now takes, in one sentence."""
    texts = []
    for i in items:
        gap = gap_of(i)
        if gap is None or i.spec.done_on_date:
            texts.append(t("step_milestone_item", lang, name=name_of(i, lang), due=day(due_of(progress, i), lang)))
            continue
        days = (due_of(progress, i) - progress.window.end).days
        how = pace(progress.plan, gap, days, i.needed_per_week, i.unit, lang)
        texts.append(
            t("step_pace_item", lang, name=name_of(i, lang), gap=amount(progress.plan, gap, i.unit, lang), pace=how)
        )
    return t("step_items", lang, items=label("punct.semicolon", lang).join(texts)) if texts else ""


def _overdue_tasks_text(progress: Progress, lang: str) -> str:
    overdue = [x for x in progress.tasks or [] if x.overdue]
    if not overdue:
        return ""
    refs = label("punct.list", lang).join(t("task_ref", lang, ref=x.ref, title=x.title) for x in overdue)
    return t("step_tasks_text", lang, tasks=refs, n=len(overdue))


def _evidence_text(progress: Progress, lang: str) -> str:
    """Tasks whose latest report names no evidence (佐证材料)."""
    missing = [x for x in progress.tasks or [] if x.source == "entries" and x.entries and not x.evidence]
    if not missing:
        return ""
    refs = label("punct.list", lang).join(t("task_ref", lang, ref=x.ref, title=x.title) for x in missing)
    return t("step_evidence_text", lang, tasks=refs, n=len(missing))
