"""The plan: pydantic models of targets.yaml, loading, and the checks of the plan itself.

Nothing about a particular district lives in code. A new indicator, ledger, district or
allocation is a YAML edit; `check_plan` makes sure the edit is consistent. docs/targets.md
documents every key.

Invariants of a loaded plan (load_plan raises PlanError otherwise, every problem worded in
both languages through i18n, never pydantic's English):
- phases, when given, tile the plan period; a plan may have none;
- every indicator's unit can apply to what it measures (`unit_scale` is then the one rule that
  puts ledger values of any kind into the indicator's unit): records are counted in a count
  unit, sums share their field's dimension, per-population measures use a density unit;
- town names in `where`, `towns` and allocations are the plan's canonical names;
- every number is finite and a number of its own kind (`.inf`, `.nan`, `1e400` and `true` are
  refused where a number is expected) within bounds that keep the reports' arithmetic in range,
  and every date lies in PLAN_EARLIEST..PLAN_LATEST (tests/test_hostile_plan.py).
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ipdemo.errors import PlanError, Problem
from ipdemo.i18n import Term, in_both
from ipdemo.i18n import label as i18n_label
from ipdemo.plan.kinds import Kind, KindSpec, kind_spec
from ipdemo.plan.yaml_source import line_of, load_yaml

FieldTypeName = Literal[
    "text",
    "title",
    "name",
    "address",
    "remark",
    "id",
    "date",
    "town",
    "enum",
    "integer",
    "decimal",
    "nice_class",
    "cnipa_application_no",
    "uscc",
    "software_copyright_no",
    "trademark_no",
    "task",
]
# The free-text types and ids: the ones with a length limit (checks/field_types.py max_length).
TEXT_TYPES = ("text", "title", "name", "address", "remark", "id")


class _Model(BaseModel):
    # Unknown keys are errors: a typo in targets.yaml must not be silently ignored. No number may
    # be infinite or NaN (`.inf`, `.nan`, `1e400`): a report could not divide or round it.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# Bounds of the plan's numbers and dates. Strict: a boolean is no number (`target: yes`), a
# fraction no whole number. The bounds keep every figure a report derives finite and exact.
MAX_PLAN_NUMBER = 1e12  # a target, min, max or allocation, in its unit (as a ledger amount's bound)
MAX_POPULATION = 10**10  # more than the world's
MAX_TEXT_LIMIT = 100_000  # the largest `max_length` a field may set
PLAN_EARLIEST, PLAN_LATEST = date(1900, 1, 1), date(2199, 12, 31)


def _plan_date(value: date) -> date:
    if not PLAN_EARLIEST <= value <= PLAN_LATEST:
        raise _plan_error("plan_date_range", value=value, earliest=PLAN_EARLIEST, latest=PLAN_LATEST)
    return value


Quantity = Annotated[float, Strict(), Field(ge=0, le=MAX_PLAN_NUMBER)]
Ratio = Annotated[float, Strict(), Field(gt=0, le=1)]
Factor = Annotated[float, Strict(), Field(ge=1e-6, le=MAX_PLAN_NUMBER)]
People = Annotated[int, Strict(), Field(le=MAX_POPULATION)]  # > 0: _check_population words it
PerPopulation = Annotated[int, Strict(), Field(gt=0, le=MAX_POPULATION)]
Year = Annotated[int, Strict(), Field(ge=PLAN_EARLIEST.year, le=PLAN_LATEST.year)]
PhaseId = Annotated[int, Strict(), Field(ge=1, le=99)]
Days = Annotated[int, Strict(), Field(gt=0, le=36_600)]  # up to a century
TextLimit = Annotated[int, Strict(), Field(gt=0, le=MAX_TEXT_LIMIT)]
PlanDate = Annotated[date, AfterValidator(_plan_date)]

# A population: one number, or one per year ({2021: 1545023, 2022: 1560000}).
Population = People | dict[Year, People]


def population_in(population: Population | None, year: int) -> int | None:
    """The figure for `year`: that year's, else the latest earlier year's, else the earliest."""
    if population is None or isinstance(population, int):
        return population
    known = sorted(population)
    earlier = [y for y in known if y <= year]
    return population[earlier[-1] if earlier else known[0]] if known else None


@dataclass(frozen=True)
class Words:
    """What the plan calls its parts, in one language: area (区镇 / 县（市、区） / 街道; town /
    county), areas (its plural in English), whole (全区 / 全市; district / city)."""

    area: str
    areas: str
    whole: str


# The words a Chinese plan's name ends in, and what its documents call it for short (《计划》).
PLAN_WORDS = ("规划", "计划", "方案", "纲要", "意见", "办法", "细则")
TRAILING_NOTE = re.compile(r"[（(][^（()）]*[)）]$")  # （2024—2026年）


def short_name_of(name: str) -> str:
    """规划 / 计划 / 方案 …: the word the plan's name ends in (a trailing （2024—2026年） aside);
    '' when it ends in none of PLAN_WORDS (documents then name the plan in full)."""
    stem = TRAILING_NOTE.sub("", name.strip()).rstrip('》”"')
    return next((word for word in PLAN_WORDS if stem.endswith(word)), "")


@dataclass(frozen=True)
class DocumentWords:
    """What the plan's documents call it and who writes them, in one language (targets.yaml
    `plan:` short_name, office, recipients, subject, acceptance, sealed; '' = not given)."""

    short: str  # 计划 (the word inside 《》); '' = the plan's full name is used
    office: str
    recipients: list[str]
    subject: str
    acceptance: str
    sealed: bool

    @classmethod
    def of(cls, info: PlanInfo, lang: str) -> DocumentWords:
        en = lang == "en"
        return cls(
            short=(info.short_name_en or "Plan") if en else (info.short_name or short_name_of(info.name)),
            office=(info.office_en if en else info.office)
            or i18n_label("docx.office", lang, region=info.region, whole=info.whole_word_en),
            recipients=list(info.recipients_en or info.recipients) if en else list(info.recipients),
            subject=info.subject_en if en else info.subject,
            acceptance=info.acceptance_en if en else info.acceptance,
            sealed=info.sealed,
        )


class PlanInfo(_Model):
    id: str
    name: str
    name_en: str = ""
    region: str = ""
    region_code: str | None = None
    start: PlanDate
    end: PlanDate
    population: Population | None = None
    data_dir: str = "data"
    # Folders (relative to targets.yaml) that evidence files must lie in to be archived.
    evidence_dirs: list[str] = ["evidence"]
    # What the plan's units and its whole are called (reports, charts, column labels).
    area_word: str = "区镇"
    area_word_en: str = "town"
    areas_word_en: str = ""  # plural; default: area_word_en + "s"
    whole_word: str = "全区"
    whole_word_en: str = "district"
    # The plan's words in the documents written to officials (the 自查报告; docs/targets.md):
    # empty means the default that DocumentWords derives.
    short_name: str = ""  # 规划 / 计划 / 方案 (default: the name's last word)
    short_name_en: str = ""  # Plan
    office: str = ""  # 发文机关 and 署名 (default: {region}知识产权局, the district IP office)
    office_en: str = ""
    recipients: list[str] = []  # 主送机关 (none: no 主送机关 line)
    recipients_en: list[str] = []
    subject: str = ""  # 事由 of the title (default: from the name)
    subject_en: str = ""
    acceptance: str = ""  # what the work prepares for (default: the plan's review)
    acceptance_en: str = ""
    sealed: bool = True  # signed under the office's seal (GB/T 9704 7.3.5.1), else 7.3.5.2

    @model_validator(mode="after")
    def _positive(self) -> PlanInfo:
        _check_population(self.population)
        if self.start > self.end:
            raise _plan_error("plan_period_order", start=self.start, end=self.end)
        return self

    @field_validator("evidence_dirs")
    @classmethod
    def _evidence_dirs_inside(cls, folders: list[str]) -> list[str]:
        """An evidence folder is a folder of its own inside the project: relative, no `..`, not
        the project folder itself, not hidden (.git)."""
        for folder in folders:
            parts = [p for p in folder.replace("\\", "/").split("/") if p not in ("", ".")]
            if re.match(r"^(?:[\\/]|[A-Za-z]:)", folder) or not parts or any(p.startswith(".") for p in parts):
                raise _plan_error("plan_evidence_dir", value=folder)
        return folders


class Phase(_Model):
    id: PhaseId
    name: str
    name_en: str = ""
    start: PlanDate
    end: PlanDate


class Town(_Model):
    name: str
    name_en: str = ""
    aliases: list[str] = []
    # Address keywords that place a record in this town: the town itself, its streets, zones and
    # old names (松陵镇). Matched in the address after the district's name, earliest first.
    places: list[str] = []
    # Postcodes used in this town only: a row with no address but one of these is placed here.
    # A postcode two towns list (or the district's main one) places no town.
    postcodes: list[str] = []
    population: Population | None = None
    # A unit the plan names but does not administer (金门县): left out of staleness, per-town
    # milestones and town breakdowns (shown there only when it has records).
    nominal: bool = False

    @model_validator(mode="after")
    def _positive(self) -> Town:
        _check_population(self.population)
        return self


def _check_population(population: Population | None) -> None:
    values = [population] if isinstance(population, int) else list((population or {}).values())
    if any(v <= 0 for v in values):
        raise _plan_error("plan_population")


def _plan_error(code: str, **params: Any) -> PydanticCustomError:
    """A validator's finding as its i18n code and params: load_plan words it in the reader's
    language (pydantic's own message template is just the code; it is never shown)."""
    return PydanticCustomError(code, code, params)


class Placement(_Model):
    """How a record with no town column is placed: by its first applicant's address, else by the
    enterprise register (exact organisation name or credit code)."""

    district: list[str] = []  # the district's names in addresses, old ones too (吴江区, 吴江市)
    parents: list[str] = []  # what an address may name above the district (中国, 江苏省, 苏州市)
    region_codes: list[str] = []  # credit-code digits 3..8 that mean the district (320509)
    # Postcodes: a row with no usable address is inside when its postcode starts with one of
    # `postcodes` (2152), placed nowhere when it is one of `shared_postcodes` (215000, the city's
    # general code, written by firms anywhere in it), and outside for any other postcode.
    postcodes: list[str] = []
    shared_postcodes: list[str] = []
    # Headers (not fields: nothing is stored) of the applicant's postcode and of a province / city
    # / district code (国省代码 32, 3205, 320509), read by every ledger that places its records.
    postcode_headers: list[str] = []
    region_headers: list[str] = []
    # Headers of the applicant's province / city / county names (incoPat 中国申请人地市 / 中国申请人区县):
    # joined in this order and read as an address, where the address itself is empty.
    region_name_headers: list[str] = []
    # The enterprise register ledger (YAML key `register`; `register` is taken in pydantic).
    register_ledger: str | None = Field(default=None, alias="register")


class Unit(_Model):
    dimension: str
    factor: Factor = 1.0


class StatusThresholds(_Model):
    on_track: Ratio = 0.95
    at_risk: Ratio = 0.80


class DateBounds(_Model):
    earliest: PlanDate = date(1985, 4, 1)
    latest: PlanDate = date(2099, 12, 31)

    @model_validator(mode="after")
    def _ordered(self) -> DateBounds:
        if self.earliest > self.latest:
            raise _plan_error("plan_period_order", start=self.earliest, end=self.latest)
        return self


class FieldSpec(_Model):
    type: FieldTypeName
    label: str | None = None
    aliases: list[str] = []
    values: dict[str, list[str]] | None = None  # enum: canonical value -> Chinese labels
    unit: str | None = None
    personal: bool = False  # never printed in reports unless asked
    # True: an empty value is an error; "warning": allowed but reported (a town not yet known).
    required: bool | Literal["warning"] = False
    # Several source columns may map to it: per row the first non-empty one, in alias order,
    # wins (当前申请人 before 原始申请人). Without it two such columns are an error.
    coalesce: bool = False
    identity: bool = False  # who the record belongs to: a change is shown as a transfer
    future: bool = False  # a date that may lie ahead (expiry, term end): no warning
    # An enum that describes a record without identifying or counting it (a legal status as the
    # export words it): a value outside the list is kept as written and warned about, never a
    # reason to reject the record. The values listed are still mapped to their canonical names.
    informative: bool = False
    # Free text and ids: the most characters a value may have (default: its type's, field_types.py).
    max_length: TextLimit | None = None
    # Set by loading, never written: `type: task` in targets.yaml is loaded as an enum whose values
    # are the plan's task ids (each with its `ref`, 三（一）二是, as a label), marked "tasks" here.
    values_from: Literal["tasks"] | None = None


# The cross-field rules a ledger's `checks:` may name; each has its entry in checks/cross_rules.py.
CheckRule = Literal["not_before", "cnipa_type"]


class CheckSpec(_Model):
    rule: CheckRule
    field: str
    other: str


class PlaceSpec(_Model):
    """Which fields of a ledger place a record when its town column is empty or absent."""

    address: str | None = None  # the (first) applicant's address
    organisation: str | None = None  # applicant / owner: the first of several co-applicants
    credit_code: str | None = None


class PublicationSpec(_Model):
    """Patent exports list publications: one row per publication (A, then B), with a kind code.
    Rows of one application become one record; a grant publication's date fills `grant`."""

    number: list[str]  # headers of the publication number (公开（公告）号)
    date: list[str]  # headers of the publication date
    grant: str  # the date field a grant publication fills (granted_on)


class LedgerSpec(_Model):
    name: str
    name_en: str = ""
    file: str | None = None
    key: list[str] = Field(min_length=1)
    fields: dict[str, FieldSpec] = Field(min_length=1)
    checks: list[CheckSpec] = []
    stale_after_days: Days | None = None
    place: PlaceSpec | None = None
    publications: PublicationSpec | None = None
    # A header whose cells hold a date range ('2022年04月14日至2032年04月13日') → two date fields.
    split: dict[str, list[str]] = {}
    # Fields whose values are the date an export says something (legal status) became known:
    # filled with the export's date when the row carries the value it dates.
    status_dates: dict[str, str] = {}
    # How to recognise a record whose key is missing, or the same record arriving from another
    # source under another key: field sets, most reliable first (质押登记号; else credit code +
    # amount + date). A record first seen without its key gets a stable `auto-…` key, replaced
    # by the real one when a source that carries it matches.
    identify: list[list[str]] = []
    # A field the sheet does not carry per row but states in a title line
    # (培训时间：2023年9月12日—14日 → trained_on 2023-09-12): field → the title's words.
    title_dates: dict[str, list[str]] = {}


class Measure(_Model):
    ledger: str
    date: str | None = None
    where: dict[str, str | list[str]] = {}
    aggregate: Literal["count", "distinct", "sum", "stock"] = "count"
    field: str | None = None
    until: str | None = None
    # Count `until` only on rows matching this (a lapse known on status_on ends the record).
    until_where: dict[str, str | list[str]] = {}
    per_population: PerPopulation | None = None
    # A statistic (kind: statistic, engine/statistics.py): the field holding the year a figure is
    # for (its `date` is the day it was published), and, for a ratio, the field it is divided by
    # (`field` / `denominator`, e.g. 服判息诉案件数 / 结案数, in the indicator's ratio unit).
    period: str | None = None
    denominator: str | None = None

    @model_validator(mode="after")
    def _needs(self) -> Measure:
        if self.aggregate in ("distinct", "sum") and not self.field:
            raise _plan_error("plan_measure_needs", aggregate=self.aggregate, missing="field")
        if self.aggregate == "stock" and not self.date:
            raise _plan_error("plan_measure_needs", aggregate=self.aggregate, missing="date")
        return self


class Allocations(_Model):
    towns: dict[str, Quantity] = {}
    years: dict[Year, Quantity] = {}


class Baseline(_Model):
    """The plan's 基期值: where the indicator stood at the end of its base year (2020: 6.3)."""

    value: Annotated[float, Strict(), Field(ge=-MAX_PLAN_NUMBER, le=MAX_PLAN_NUMBER)]
    year: Year


Pace = Literal["linear", "seasonal"]


class Indicator(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    name_en: str = ""
    plan_text: str = ""
    kind: Kind
    unit: str = "个"
    target: Quantity | None = None
    min: Quantity | None = None
    max: Quantity | None = None
    due: PlanDate | None = None  # milestone: done by; stock: the level reached by (default plan end)
    per_town: bool = False
    towns: list[str] = []  # per_town milestone: only these towns (default: every town not nominal)
    comparison: Literal["at_least", "more_than"] = "at_least"  # 达到/以上 vs 突破
    direction: Literal["rising", "falling"] | None = None
    partial_year: Literal["prorate", "full", "skip"] | None = None
    allocations: Allocations = Allocations()
    measure: Measure | list[Measure]
    # The plan's goals (engine/paths.py, engine/pace.py): its 基期值, 预期性 / 约束性, the path from
    # the baseline to the target, and the pace of the expected line (default: the plan's `pace`).
    baseline: Baseline | None = None
    binding: Literal["expected", "binding"] | None = None
    path: Literal["linear", "compound"] | None = None
    pace: Pace | None = None

    @model_validator(mode="after")
    def _kind_needs(self) -> Indicator:
        given = {"target": self.target, "min": self.min, "max": self.max, "due": self.due, "direction": self.direction}
        missing = [name for name in self.spec.needs if given[name] is None]
        if missing:
            raise _plan_error("plan_kind_needs", kind=self.kind, missing=", ".join(missing))
        if self.spec.bounded and self.min is not None and self.max is not None and self.min > self.max:
            raise _plan_error("plan_min_max", min=_num(self.min), max=_num(self.max))
        return self

    @property
    def spec(self) -> KindSpec:
        """What its kind is (plan/kinds.py): every consumer reads this, never the kind's name."""
        return kind_spec(self.kind)

    @property
    def measures(self) -> list[Measure]:
        return self.measure if isinstance(self.measure, list) else [self.measure]

    @property
    def ledgers(self) -> list[str]:
        return list(dict.fromkeys(m.ledger for m in self.measures))

    @property
    def is_level(self) -> bool:
        """A level on a date (stock, trend, or any `aggregate: stock`), not a flow since the start."""
        return self.spec.level or any(m.aggregate == "stock" for m in self.measures)


class Task(_Model):
    """One qualitative task of the plan (三、重点任务 一是/二是…, 四、特色任务, 五、保障措施, the steps
    of 六、工作步骤 that are tasks of their own). tasks.py follows its progress."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    ref: str = ""  # the plan's own numbering (三（一）二是); accepted for the id in ledgers
    section: str
    text: str  # the plan's words, verbatim
    name: str = ""  # a short title; default: the text's first clause
    lead: str = ""  # 牵头单位, only where the plan names one
    partners: list[str] = []  # 配合单位
    due_phase: PhaseId | None = None  # done by the end of this phase (default: the plan end)
    indicators: list[str] = []  # the numeric indicators it shares (its status follows them when unreported)

    @property
    def title(self) -> str:
        """The name, else the text's first clause (推进知识产权综合管理改革试点)."""
        if self.name:
            return self.name
        return re.split(r"[，。；]", self.text.strip(), maxsplit=1)[0] or self.text


class Plan(_Model):
    plan: PlanInfo
    phases: list[Phase] = []  # optional: a plan without phases reports by date only
    status: StatusThresholds = StatusThresholds()
    partial_year: Literal["prorate", "full", "skip"] = "prorate"
    dates: DateBounds = DateBounds()
    units: dict[str, Unit] = {}
    towns: list[Town] = Field(min_length=1)
    placement: Placement = Placement()
    ledgers: dict[str, LedgerSpec] = Field(min_length=1)
    indicators: list[Indicator] = Field(min_length=1)
    tasks: list[Task] = []  # optional: the plan's qualitative tasks
    pace: Pace = "linear"  # the expected line of flows: straight, or the season (engine/pace.py)

    # Set by load_plan; not part of the YAML.
    source: Path = Path("targets.yaml")

    @model_validator(mode="before")
    @classmethod
    def _task_fields(cls, data: Any) -> Any:
        """`type: task` → an enum of the task ids (labels: each task's `ref`), so that every
        check, import and archive treats a task id as the enum value it is."""
        if not isinstance(data, dict) or not isinstance(data.get("ledgers"), dict):
            return data
        found = data.get("tasks")
        tasks = found if isinstance(found, list) else []
        values: dict[str, list[str]] = {}
        for task in tasks:
            if isinstance(task, dict) and isinstance(task.get("id"), str):
                ref = task.get("ref")
                values.setdefault(task["id"], [ref] if isinstance(ref, str) and ref else [])
        ledgers = {}
        for name, spec in data["ledgers"].items():
            fields = spec.get("fields") if isinstance(spec, dict) else None
            if isinstance(fields, dict) and any(
                isinstance(f, dict) and f.get("type") == "task" for f in fields.values()
            ):
                fields = {
                    k: (
                        {**f, "type": "enum", "values": values, "values_from": "tasks"}
                        if isinstance(f, dict) and f.get("type") == "task"
                        else f
                    )
                    for k, f in fields.items()
                }
                spec = {**spec, "fields": fields}
            ledgers[name] = spec
        return {**data, "ledgers": ledgers}

    def task(self, ident: str) -> Task:
        return next(t for t in self.tasks if t.id == ident)

    @property
    def task_fields(self) -> list[tuple[str, str]]:
        """(ledger, field) of every field that holds a task id (`type: task`)."""
        return [
            (name, fname)
            for name, spec in self.ledgers.items()
            for fname, fspec in spec.fields.items()
            if fspec.values_from == "tasks"
        ]

    def due_of(self, task: Task) -> date:
        """The day a task is due: the end of its phase, else the plan end."""
        phase = self.phase(task.due_phase) if task.due_phase is not None else None
        return phase.end if phase is not None else self.plan.end

    @property
    def data_dir(self) -> Path:
        return (self.source.parent / self.plan.data_dir).resolve()

    def ledger_path(self, name: str) -> Path:
        return self.data_dir / (self.ledgers[name].file or f"{name}.csv")

    def indicator(self, ident: str) -> Indicator:
        return next(i for i in self.indicators if i.id == ident)

    def phase(self, number: int) -> Phase | None:
        return next((p for p in self.phases if p.id == number), None)

    @cached_property
    def town_index(self) -> TownIndex:
        return TownIndex(self.towns)

    @property
    def reported_towns(self) -> list[str]:
        """Towns shown in breakdowns, staleness and per-town milestones: all but nominal ones."""
        return [t.name for t in self.towns if not t.nominal]

    def words(self, lang: str) -> Words:
        """What this plan calls its areas and its whole, in `lang` (区镇 / 全区 by default)."""
        info = self.plan
        if lang != "en":
            return Words(info.area_word, info.area_word, info.whole_word)
        plural = info.areas_word_en or (
            info.area_word_en[:-1] + "ies" if info.area_word_en.endswith("y") else info.area_word_en + "s"
        )
        return Words(info.area_word_en, plural, info.whole_word_en)

    def document(self, lang: str) -> DocumentWords:
        """The plan's words for documents in `lang`: the keys in targets.yaml, else defaults."""
        return DocumentWords.of(self.plan, lang)

    def population(self, town: str | None, on: date) -> int | None:
        """The population of the whole (town None) or a town, for the year of `on`."""
        if town is None:
            return population_in(self.plan.population, on.year)
        found = next((t.population for t in self.towns if t.name == town), None)
        return population_in(found, on.year)


def town_key(name: str) -> str:
    """Spelling-insensitive key: NFKC (full-width → ASCII brackets), no spaces, casefolded."""
    return "".join(unicodedata.normalize("NFKC", name).split()).casefold()


class TownIndex:
    """Canonical town names and every alias, matched spelling-insensitively."""

    def __init__(self, towns: list[Town]):
        self.names = [t.name for t in towns]
        self.lookup: dict[str, str] = {}
        self.clashes: list[tuple[str, str, str]] = []
        for town in towns:
            for spelling in [town.name, *town.aliases]:
                key = town_key(spelling)
                known = self.lookup.get(key)
                if known is not None and known != town.name:
                    self.clashes.append((spelling, known, town.name))
                self.lookup.setdefault(key, town.name)

    def canonical(self, spelling: str) -> str | None:
        return self.lookup.get(town_key(spelling))

    def suggest(self, spelling: str, n: int = 3) -> list[str]:
        """Closest canonical names, for 'unknown town' messages."""
        key = town_key(spelling)
        scored = difflib.get_close_matches(key, list(self.lookup), n=10, cutoff=0.0)
        seen: list[str] = []
        for match in scored:
            name = self.lookup[match]
            if name not in seen:
                seen.append(name)
        return seen[:n] or self.names[:n]


MAX_PLAN_BYTES = 5_000_000  # the shipped plan is 50 kB


def load_plan(path: Path) -> Plan:
    """Read and check targets.yaml; raise PlanError listing every problem with its line."""
    filename = str(path)
    try:
        with open(path, "rb") as fh:  # bounded: a plan is kilobytes, a stray file may be gigabytes
            raw = fh.read(MAX_PLAN_BYTES + 1)
        if len(raw) > MAX_PLAN_BYTES:
            problem = Problem(filename, None, None, "plan_too_big", params={"path": filename, "limit": "5 MB"})
            raise PlanError("plan_too_big", problems=[problem], path=filename, limit="5 MB")
        text = raw.decode("utf-8-sig")
    except FileNotFoundError:
        raise PlanError("plan_missing", path=filename) from None
    except UnicodeDecodeError:
        problem = Problem(filename, None, None, "plan_not_utf8", params={"path": filename})
        raise PlanError("plan_not_utf8", problems=[problem], path=filename) from None
    except OSError as exc:
        raise PlanError("plan_unreadable", path=filename, reason=exc.strerror or str(exc)) from None
    data, lines = load_yaml(text, filename)
    if not isinstance(data, dict):
        problem = Problem(filename, 1, None, "yaml_not_mapping")
        raise PlanError("yaml_not_mapping", problems=[problem])
    try:
        plan = Plan.model_validate({**data, "source": path.resolve()})
    except ValidationError as exc:
        found: dict[str | None, Problem] = {}
        for err in exc.errors():  # a union reports once per branch: keep the first per place
            problem = _schema_problem(err, lines, filename)
            found.setdefault(problem.field, problem)
        problems = list(found.values())
        raise PlanError(problems[0].code, problems=problems, **problems[0].params) from None
    problems = [p for p in check_plan(plan, lines) if p.severity == "error"]
    if problems:
        raise PlanError(problems[0].code, problems=problems, **problems[0].params)
    return plan


# pydantic error types → the i18n label of what was expected (plan_wrong_type). A type not listed
# here is `plan_invalid`, named by pydantic's error type (rare: it needs a hand-made YAML structure).
SCHEMA_TYPES: dict[str, str] = {
    "int_parsing": "plan_type.whole_number",
    "int_type": "plan_type.whole_number",
    "int_from_float": "plan_type.whole_number",
    "float_parsing": "plan_type.number",
    "float_type": "plan_type.number",
    "bool_parsing": "plan_type.bool",
    "bool_type": "plan_type.bool",
    "string_type": "plan_type.text",
    "list_type": "plan_type.list",
    "dict_type": "plan_type.mapping",
    "model_type": "plan_type.mapping",
    "model_attributes_type": "plan_type.mapping",
    "date_parsing": "plan_type.date",
    "date_type": "plan_type.date",
    "date_from_datetime_parsing": "plan_type.date",
    "date_from_datetime_inexact": "plan_type.date",
    "finite_number": "plan_type.finite_number",
}
# pydantic bound errors → the key of the bound in their context (and of its i18n label plan_bound.<key>).
SCHEMA_BOUNDS = {"greater_than": "gt", "greater_than_equal": "ge", "less_than": "lt", "less_than_equal": "le"}
# Location parts that name a pydantic union branch, not a YAML key ('int', 'list[Measure]', 'Measure').
_BRANCHES = {"int", "float", "str", "bool", "date", "none"}
_ADDRESS = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://(?:[^\s/?#@]*@)?([^\s/?#@]*)")


def _shown_text(text: str) -> str:
    """A plan value as a message quotes it: an address only as its scheme and host (a webhook
    pasted into targets.yaml by mistake carries its key in the path or query, which must reach no
    terminal or CI log), other text cut at 60 characters."""
    if "://" in text:
        found = _ADDRESS.search(text)
        return f"{text[: found.start()][:20]}{found.group(0).split('://')[0]}://{found.group(1)}/…" if found else "…"
    return text[:60] + "…" if len(text) > 60 else text


def _schema_problem(err: Any, lines: dict, filename: str) -> Problem:
    """One pydantic error as a Problem whose message i18n words in both languages."""
    path = _yaml_path(tuple(err["loc"]))
    where = ".".join(str(p) for p in path) or "(top)"
    code, params = _schema_params(err["type"], err.get("ctx") or {}, _shown_value(err.get("input")))
    return Problem(filename, line_of(lines, path), where, code, params={"where": where, **params})


def _yaml_path(loc: tuple) -> tuple:
    """A pydantic location as the YAML keys it names (union branches and model names left out)."""
    return tuple(
        p
        for p in loc
        if not (isinstance(p, str) and ("[" in p or p[:1].isupper() or p in _BRANCHES or p.startswith("constrained-")))
    )


def _shown_value(value: Any) -> Any:
    """A plan value as a message may quote it: short, and never an address's key."""
    shown = value if isinstance(value, (str, int, float, bool)) or value is None else type(value).__name__
    if isinstance(shown, int) and not isinstance(shown, bool) and len(str(abs(shown))) > 15:
        return f"{str(shown)[:12]}…({len(str(abs(shown)))})"  # a number of hundreds of digits
    return _shown_text(shown) if isinstance(shown, str) else shown


def _schema_params(kind: str, ctx: dict, shown: Any) -> tuple[str, dict[str, Any]]:
    """The i18n code of a pydantic error type and the params its message needs."""
    if kind in SCHEMA_TYPES:
        return "plan_wrong_type", {"expected": Term(SCHEMA_TYPES[kind]), "value": shown}
    if kind in SCHEMA_BOUNDS:
        key = SCHEMA_BOUNDS[kind]
        limit = _num(ctx.get(key, ctx.get("limit_value", "")))
        return "plan_bound", {"op": Term(f"plan_bound.{key}"), "limit": limit, "value": shown}
    if kind.startswith("plan_"):  # our own validators (PydanticCustomError): params in ctx
        return kind, dict(ctx)
    build = _SCHEMA_OTHER.get(kind)
    return build(ctx, shown) if build is not None else ("plan_invalid", {"type": kind})


def _one_of(ctx: dict, shown: Any) -> tuple[str, dict[str, Any]]:
    allowed = str(ctx.get("expected", "")).replace(" or ", ", ")
    return "plan_wrong_type", {"expected": Term("plan_type.one_of", allowed=allowed), "value": shown}


# The other pydantic error types load_plan words: type → (code, params).
_SCHEMA_OTHER = {
    "missing": lambda ctx, shown: ("plan_missing_key", {}),
    "extra_forbidden": lambda ctx, shown: ("plan_unknown_key", {}),
    "literal_error": _one_of,
    "too_short": lambda ctx, shown: ("plan_too_short", {"min": ctx.get("min_length", 1)}),
    "string_pattern_mismatch": lambda ctx, shown: ("plan_pattern", {"value": shown, "pattern": ctx.get("pattern", "")}),
}


def check_plan(plan: Plan, lines: dict | None = None) -> list[Problem]:
    """Consistency checks that a schema cannot express. Returns problems; raises nothing."""
    lines = lines or {}
    file = str(plan.source)
    out: list[Problem] = []

    def add(path: tuple, code: str, at: str | None = None, /, **params: Any) -> None:
        out.append(Problem(file, line_of(lines, path), at, code, params=params))

    _check_phases(plan, add)
    _check_ids(plan, add)
    for spelling, first, second in plan.town_index.clashes:
        add(("towns",), "alias_clash", "towns", alias=spelling, first=first, second=second)
    for name, ledger in plan.ledgers.items():
        _check_ledger(plan, name, ledger, add)
    _check_ledger_files(plan, add)
    _check_placement(plan, add)
    for i, ind in enumerate(plan.indicators):
        _check_indicator(plan, i, ind, add)
    _check_tasks(plan, add)
    return out


TASK_LEDGER_FIELDS = {"reported_on": ("date",), "status": ("enum",)}
TASK_STATUSES = ("not_started", "in_progress", "done")


def _check_tasks(plan: Plan, add) -> None:
    """Tasks name known phases and indicators; a ledger of task progress has what tasks.py reads."""
    ids = [i.id for i in plan.indicators]
    for i, task in enumerate(plan.tasks):
        base = ("tasks", i)
        if task.due_phase is not None and plan.phase(task.due_phase) is None:
            add(
                base + ("due_phase",),
                "plan_task_phase",
                "due_phase",
                task=task.id,
                phase=task.due_phase,
                known=", ".join(str(p.id) for p in plan.phases) or "—",
            )
        for k, ident in enumerate(task.indicators):
            if ident not in ids:
                closest = difflib.get_close_matches(ident, ids, n=3, cutoff=0.0)
                add(
                    base + ("indicators", k),
                    "plan_task_indicator",
                    "indicators",
                    task=task.id,
                    indicator=ident,
                    closest=", ".join(closest),
                )
    for name, fname in plan.task_fields:
        path = ("ledgers", name, "fields", fname)
        if not plan.tasks:
            add(path, "plan_task_field_no_tasks", fname, ledger=name, field=fname)
        spec = plan.ledgers[name]
        for field, types in TASK_LEDGER_FIELDS.items():
            have = spec.fields.get(field)
            if have is None or have.type not in types:
                add(
                    ("ledgers", name, "fields"),
                    "field_type",
                    field,
                    where=f"ledgers.{name}",
                    field=field,
                    expected="/".join(types),
                    actual=have.type if have else "—",
                )
        status = spec.fields.get("status")
        if status is not None and status.type == "enum" and set(status.values or {}) != set(TASK_STATUSES):
            add(
                ("ledgers", name, "fields", "status"),
                "plan_task_statuses",
                "status",
                ledger=name,
                values=", ".join(status.values or {}),
                expected=", ".join(TASK_STATUSES),
            )


def _check_phases(plan: Plan, add) -> None:
    if not plan.phases:  # phases are optional
        return
    phases = sorted(plan.phases, key=lambda p: p.start)
    for i, p in enumerate(plan.phases):
        if p.start > p.end:
            add(("phases", i), "phase_order", "phases", phase=p.id)
    if phases[0].start != plan.plan.start or max(p.end for p in phases) != plan.plan.end:
        add(
            ("phases",),
            "phase_bounds",
            "phases",
            start=plan.plan.start,
            end=plan.plan.end,
            first=phases[0].start,
            last=max(p.end for p in phases),
        )
    for prev, nxt in zip(phases, phases[1:]):
        if nxt.start != prev.end + timedelta(days=1):
            add(
                ("phases", plan.phases.index(nxt)),
                "phase_gap",
                "phases",
                prev=prev.id,
                prev_end=prev.end,
                next=nxt.id,
                next_start=nxt.start,
            )


def _check_ids(plan: Plan, add) -> None:
    for what, items, attr in (
        ("phase", plan.phases, "id"),
        ("indicator", plan.indicators, "id"),
        ("town", plan.towns, "name"),
        ("task", plan.tasks, "id"),
    ):
        seen: set = set()
        section = {"phase": "phases", "indicator": "indicators", "town": "towns", "task": "tasks"}[what]
        for i, item in enumerate(items):
            value = getattr(item, attr)
            if value in seen:
                add((section, i), "duplicate_id", section, what=what, id=value)
            seen.add(value)


def _check_ledger(plan: Plan, name: str, ledger: LedgerSpec, add) -> None:
    base = ("ledgers", name)
    for field in ledger.key:
        if field not in ledger.fields:
            add(base + ("key",), "key_not_field", "key", ledger=name, field=field)
    for j, check in enumerate(ledger.checks):
        for checked in (check.field, check.other):
            _check_named(name, ledger, ("checks", j), checked, None, add)
    for fname, spec in ledger.fields.items():
        _check_field(plan, name, fname, spec, add)
    for key in ledger.key:  # 序号 counts rows; it never identifies a record
        aliases = ledger.fields[key].aliases if key in ledger.fields else []
        if any(town_key(a) in ROW_COUNTERS for a in [key, *aliases]):
            add(base + ("fields", key, "aliases"), "row_counter_key", key, ledger=name, field=key)
    for path, named, types in _named_fields(ledger):
        _check_named(name, ledger, path, named, types, add)


def _check_ledger_files(plan: Plan, add) -> None:
    """A ledger's `file:` names a CSV file (never the journal, the lock or a workbook), and no
    two ledgers name the same file: each write would replace the other's records."""
    owners: dict[str, str] = {}
    for name, ledger in plan.ledgers.items():
        if ledger.file is None:
            continue
        path = ("ledgers", name, "file")
        if not ledger.file.lower().endswith(".csv"):
            add(path, "ledger_file_not_csv", "file", ledger=name, file=ledger.file)
            continue
        real = os.path.normcase(os.path.realpath(plan.ledger_path(name)))
        if real in owners:
            add(path, "ledger_file_twice", "file", ledger=name, other=owners[real], file=ledger.file)
        owners.setdefault(real, name)
    for name in plan.ledgers:  # a ledger without `file:` is data/<name>.csv: another may name it
        real = os.path.normcase(os.path.realpath(plan.ledger_path(name)))
        if plan.ledgers[name].file is None and owners.get(real, name) != name:
            add(
                ("ledgers", owners[real], "file"),
                "ledger_file_twice",
                "file",
                ledger=owners[real],
                other=name,
                file=plan.ledgers[owners[real]].file,
            )


def _check_field(plan: Plan, name: str, fname: str, spec: FieldSpec, add) -> None:
    """One field of a ledger: a length limit on text only, an enum's values, a known unit."""
    base, where = ("ledgers", name, "fields", fname), f"ledgers.{name}.fields.{fname}"
    if spec.max_length is not None and spec.type not in TEXT_TYPES:
        add(base + ("max_length",), "plan_max_length_type", fname, where=where, type=spec.type)
    if spec.type == "enum" and not spec.values and spec.values_from is None:  # tasks: _check_tasks
        add(base, "plan_enum_needs_values", fname, where=where)
    if spec.unit is not None and spec.unit not in plan.units:
        add(base + ("unit",), "unknown_unit", fname, unit=spec.unit, known=", ".join(plan.units))


def _named_fields(ledger: LedgerSpec) -> list[tuple[tuple, str | None, tuple[str, ...] | None]]:
    """(path, field, types it must have) of every field a ledger's keys name beside `fields`."""
    named: list[tuple[tuple, str | None, tuple[str, ...] | None]] = []
    if ledger.place is not None:
        named += [
            (("place", part), getattr(ledger.place, part), None) for part in ("address", "organisation", "credit_code")
        ]
    if ledger.publications is not None:
        named.append((("publications", "grant"), ledger.publications.grant, ("date",)))
    for header, targets in ledger.split.items():
        named += [(("split", header), target, ("date",)) for target in targets]
    for status, dated in ledger.status_dates.items():
        named += [(("status_dates", status), status, None), (("status_dates", status), dated, ("date",))]
    for j, fields in enumerate(ledger.identify):
        named += [(("identify", j), f, None) for f in fields]
    return named + [(("title_dates", f), f, ("date",)) for f in ledger.title_dates]


def _check_named(
    name: str, ledger: LedgerSpec, path: tuple, field: str | None, types: tuple[str, ...] | None, add
) -> None:
    """A field named by one of the ledger's keys exists, of a type that key can use."""
    named_spec = ledger.fields.get(field) if field else None
    where = f"ledgers.{name}.{path[0]}"
    if field and named_spec is None:
        known = ", ".join(ledger.fields)
        add(("ledgers", name) + path, "unknown_field", path[0], where=where, ledger=name, field=field, known=known)
    elif named_spec is not None and types and named_spec.type not in types:
        expected, actual = "/".join(types), named_spec.type
        add(("ledgers", name) + path, "field_type", path[0], where=where, field=field, expected=expected, actual=actual)


ROW_COUNTERS = {"序号", "行号", "no.", "no"}
REGISTER_FIELDS = {"name": ("name", "text"), "credit_code": ("uscc",), "town": ("town",), "located": ("enum",)}


def _check_placement(plan: Plan, add) -> None:
    owner: dict[str, str] = {}
    for i, town in enumerate(plan.towns):
        for place in town.places:
            key = town_key(place)
            if owner.get(key, town.name) != town.name:
                add(("towns", i, "places"), "alias_clash", "places", alias=place, first=owner[key], second=town.name)
            owner.setdefault(key, town.name)
    register = plan.placement.register_ledger
    if register is None:
        return
    spec = plan.ledgers.get(register)
    if spec is None:
        add(
            ("placement", "register"),
            "unknown_ledger",
            "register",
            indicator="placement",
            ledger=register,
            known=", ".join(plan.ledgers),
        )
        return
    for field, kinds in REGISTER_FIELDS.items():
        have = spec.fields.get(field)
        if have is None or have.type not in kinds:
            add(
                ("placement", "register"),
                "field_type",
                "register",
                where=f"ledgers.{register}",
                field=field,
                expected="/".join(kinds),
                actual=have.type if have else "—",
            )


def _check_indicator(plan: Plan, i: int, ind: Indicator, add) -> None:
    base = ("indicators", i)
    if ind.unit not in plan.units:
        add(base + ("unit",), "unknown_unit", "unit", unit=ind.unit, known=", ".join(plan.units))
    if ind.due is not None and not plan.plan.start <= ind.due <= plan.plan.end:
        add(base + ("due",), "due_outside", "due", indicator=ind.id, due=ind.due)
    for j, m in enumerate(ind.measures):
        path = base + ("measure",) + ((j,) if isinstance(ind.measure, list) else ())
        ledger = plan.ledgers.get(m.ledger)
        if ledger is None:
            known = ", ".join(plan.ledgers)
            add(path + ("ledger",), "unknown_ledger", "ledger", indicator=ind.id, ledger=m.ledger, known=known)
        else:
            _check_measure(plan, ind, m, ledger, path, add)
    _check_allocations(plan, ind, base, add)
    for k, town in enumerate(ind.towns):
        _check_town_name(plan, town, base + ("towns", k), "towns", f"indicator {ind.id} towns", add)
    if ind.towns and not (ind.spec.done_on_date and ind.per_town):
        add(base + ("towns",), "plan_towns_per_town", "towns", indicator=ind.id)
    _check_unit(plan, ind, base, add)
    if any(m.per_population for m in ind.measures) and plan.plan.population is None:
        add(base + ("measure",), "population_missing", "measure", indicator=ind.id)
    if not ind.is_level and any(m.until or m.until_where for m in ind.measures):
        add(base + ("measure",), "plan_until_flow", "until", indicator=ind.id, kind=ind.kind)
    _check_goals(plan, ind, base, add)
    _check_statistic(plan, ind, base, add)


def _check_allocations(plan: Plan, ind: Indicator, base: tuple, add) -> None:
    """Allocations name plan towns and, but for yearly targets, add up to no more than the target."""
    towns = ind.allocations.towns
    for town in towns:
        if town not in plan.town_index.names:
            path = base + ("allocations", "towns", town)
            area = plan_word(plan, "area")
            add(path, "allocation_unknown_town", "allocations", indicator=ind.id, town=town, area=area)
    limit = ind.max if ind.spec.bounded else ind.target
    for label, alloc in (("towns", towns), ("years", ind.allocations.years)):
        if alloc and limit is not None and _adds_up(plan, ind, label) and sum(alloc.values()) > limit + 1e-9:
            total, target = _num(sum(alloc.values())), _num(limit)
            add(
                base + ("allocations", label),
                "allocation_exceeds",
                "allocations",
                indicator=ind.id,
                total=total,
                target=target,
                part=plan_word(plan, "area") if label == "towns" else Term("plan_part.years"),
                whole=plan_word(plan, "whole"),
            )


def _check_goals(plan: Plan, ind: Indicator, base: tuple, add) -> None:
    """The plan's goal keys (engine/paths.py, engine/pace.py): each on a kind it means something
    for, a path with a baseline to start from, a base year before the target's."""
    for key, given, fits in (
        ("baseline", ind.baseline is not None, ind.spec.amount or ind.spec.published),
        ("pace", ind.pace == "seasonal", ind.spec.seasonal),
        ("path", ind.path is not None, ind.target is not None and (ind.is_level or _target_year(ind) is not None)),
    ):
        if given and not fits:
            add(base + (key,), "plan_goal_key_kind", key, indicator=ind.id, key=key, kind=ind.kind)
    if ind.path is not None and ind.baseline is None:
        add(base + ("path",), "plan_path_needs_baseline", "path", indicator=ind.id)
    if ind.baseline is None:
        return
    final = _target_year(ind) or plan.plan.end.year
    if not ind.baseline.year < final or ind.baseline.year > plan.plan.start.year:
        year, start = ind.baseline.year, plan.plan.start.year
        add(
            base + ("baseline", "year"),
            "plan_baseline_year",
            "baseline",
            indicator=ind.id,
            year=year,
            final=final,
            start=start,
        )
    if ind.path == "compound" and (ind.baseline.value <= 0 or (ind.target or 0) <= 0):
        add(base + ("path",), "plan_compound_positive", "path", indicator=ind.id)


def _target_year(ind: Indicator) -> int | None:
    """The year a target-year goal (a yearly flow with `due`) is judged in; None for any other."""
    return ind.due.year if ind.spec.target_year and ind.due is not None else None


def _adds_up(plan: Plan, ind: Indicator, part: str) -> bool:
    """Whether allocations over `part` (towns, years) add up to the target: the years of a yearly
    target do not (each year has its own), nor do areas of what is no amount of records (a
    density, a ratio, a score, a published figure: 12 件/万人 in every province is 12 in all)."""
    if part == "years":
        return not ind.spec.yearly
    per_population = any(m.per_population for m in ind.measures)
    return (ind.spec.shares_by_area or ind.spec.bounded) and not per_population


def _check_statistic(plan: Plan, ind: Indicator, base: tuple, add) -> None:
    """A statistic's measures name the publication date and the period (a year); a ratio's
    numerator and denominator are numbers in units of one dimension, its unit a ratio unit. The
    two keys mean nothing on another kind, nor `per_population` on a statistic: an error rather
    than silently ignored."""
    for j, m in enumerate(ind.measures):
        path = base + ("measure",) + ((j,) if isinstance(ind.measure, list) else ())
        if not ind.spec.published:
            for key, value in (("period", m.period), ("denominator", m.denominator)):
                if value is not None:
                    add(path + (key,), "plan_statistic_only", key, indicator=ind.id, key=key)
            continue
        if m.per_population:  # a published figure is as published: never divided silently, nor ignored
            add(path + ("per_population",), "plan_statistic_per_population", "per_population", indicator=ind.id)
        missing = [k for k, v in (("date", m.date), ("period", m.period)) if not v]
        if m.denominator and not (m.aggregate == "sum" and m.field):
            missing.append("aggregate: sum, field")
        if missing:
            add(path, "plan_statistic_needs", "measure", indicator=ind.id, missing=", ".join(missing))
        ledger = plan.ledgers.get(m.ledger)
        if ledger is not None:
            _check_statistic_fields(plan, ind, m, ledger, path, add)


def _check_statistic_fields(plan: Plan, ind: Indicator, m: Measure, ledger: LedgerSpec, path: tuple, add) -> None:
    where = f"indicator {ind.id}"
    for key, field, types in (
        ("period", m.period, ("integer",)),
        ("denominator", m.denominator, ("decimal", "integer")),
    ):
        spec = ledger.fields.get(field) if field else None
        if field and spec is None:
            known = ", ".join(ledger.fields)
            add(path + (key,), "unknown_field", key, where=where, ledger=m.ledger, field=field, known=known)
        elif spec is not None and spec.type not in types:
            add(path + (key,), "field_type", key, where=where, field=field, expected="/".join(types), actual=spec.type)
    if not m.denominator or m.denominator not in ledger.fields or ind.unit not in plan.units:
        return
    if plan.units[ind.unit].dimension != "ratio":
        add(base_unit(path), "plan_ratio_unit", "unit", indicator=ind.id, unit=ind.unit)
    top, bottom = (ledger.fields[f].unit if f in ledger.fields else None for f in (m.field or "", m.denominator))
    dims = [plan.units[u].dimension if u in plan.units else None for u in (top, bottom)]
    if dims[0] != dims[1]:
        add(
            path + ("denominator",),
            "plan_ratio_units",
            "denominator",
            indicator=ind.id,
            field=m.field,
            other=m.denominator,
        )


def base_unit(path: tuple) -> tuple:
    """The indicator's `unit` key beside a measure's path (indicators, i, measure[, j])."""
    return path[:2] + ("unit",)


def plan_word(plan: Plan, part: Literal["area", "whole"]) -> dict[str, str]:
    """The plan's own word for its areas or its whole (area_word / whole_word and their English)
    as a message parameter (i18n.in_both): 省（区、市） / province, 全国 / country."""
    zh, en = plan.words("zh"), plan.words("en")
    return in_both(zh.area, en.area) if part == "area" else in_both(zh.whole, en.whole)


def _check_unit(plan: Plan, ind: Indicator, base: tuple, add) -> None:
    """The indicator's unit must be able to apply: counted records in a count unit, a density
    unit exactly when the measure is per population (sums: see _check_measure)."""
    unit = plan.units.get(ind.unit)
    if unit is None:
        return
    path = base + ("unit",)
    per_population = any(m.per_population for m in ind.measures)
    if per_population and ind.spec.published:
        return  # refused as such (_check_statistic): the unit is not what is wrong
    if unit.dimension == "density" and not per_population:
        add(path, "plan_density_needs_population", "unit", indicator=ind.id, unit=ind.unit)
    elif per_population and unit.dimension != "density":
        add(path, "plan_population_needs_density", "unit", indicator=ind.id, unit=ind.unit)
    elif (
        not per_population
        and unit.dimension != "count"
        and (ind.spec.done_on_date or any(m.aggregate != "sum" for m in ind.measures))
    ):
        add(path, "plan_unit_not_count", "unit", indicator=ind.id, unit=ind.unit, dimension=unit.dimension)


def _check_town_name(plan: Plan, value: str, path: tuple, at: str, where: str, add) -> None:
    """A town named in the plan must be spelt as the plan spells it (not an alias, not a typo):
    else a problem naming the closest town."""
    if value in plan.town_index.names:
        return
    closest = plan.town_index.canonical(value) or plan.town_index.suggest(value, 1)[0]
    add(path, "plan_town_name", at, where=where, value=value, closest=closest)


def _check_measure(plan: Plan, ind: Indicator, m: Measure, ledger: LedgerSpec, path: tuple, add) -> None:
    fields = ledger.fields
    known = ", ".join(fields)
    where = f"indicator {ind.id}"

    def need(field: str | None, key: str, types: tuple[str, ...] | None = None) -> FieldSpec | None:
        if field is None:
            return None
        spec = fields.get(field)
        if spec is None:
            add(path + (key,), "unknown_field", key, where=where, ledger=m.ledger, field=field, known=known)
        elif types and spec.type not in types:
            add(path + (key,), "field_type", key, where=where, field=field, expected="/".join(types), actual=spec.type)
        return spec

    need(m.date, "date", ("date",))
    need(m.until, "until", ("date",))
    value_spec = need(m.field, "field", ("decimal", "integer") if m.aggregate == "sum" else None)
    for key, conditions in (("where", m.where), ("until_where", m.until_where)):
        for fname, wanted in conditions.items():
            values = [wanted] if isinstance(wanted, str) else wanted
            _check_condition(plan, need(fname, key), values, path + (key, fname), where, add)
    if m.aggregate == "sum" and value_spec is not None:
        _check_sum_unit(plan, ind, m, value_spec, path, add)


def _check_condition(plan: Plan, spec: FieldSpec | None, values: list[str], path: tuple, where: str, add) -> None:
    """The values a `where` wants: values of the field's enum, or towns spelt as the plan spells them."""
    key, fname = path[-2], path[-1]
    if spec is not None and spec.values:
        allowed = ", ".join(spec.values)
        for value in (v for v in values if v not in (spec.values or {})):
            add(
                path,
                "enum_value_unknown",
                key,
                where=where,
                value=value,
                field=fname,
                allowed=allowed,
            )
    elif spec is not None and spec.type == "town":
        for value in values:
            _check_town_name(plan, value, path, key, f"{where} {key}", add)


def _check_sum_unit(plan: Plan, ind: Indicator, m: Measure, value_spec: FieldSpec, path: tuple, add) -> None:
    """A summed field's unit shares the indicator unit's dimension."""
    if ind.unit not in plan.units or m.denominator:  # a ratio's units: _check_statistic_fields
        return
    field_unit = value_spec.unit or ind.unit
    a, b = plan.units.get(field_unit), plan.units[ind.unit]
    if a is None or a.dimension != b.dimension:
        add(
            path + ("field",),
            "unit_mismatch",
            "unit",
            indicator=ind.id,
            unit=ind.unit,
            field=m.field,
            field_unit=field_unit,
        )


def unit_scale(plan: Plan, ind: Indicator, m: Measure) -> float:
    """The one rule for every kind: multiply a measure's raw values by this to express them in the
    indicator's unit. A counted record (count, distinct, stock) is 1 of the count base unit; a
    summed value is in its field's unit (the indicator's when the field has none); the result is
    divided by the indicator unit's factor. 820100 records → 82.01 万件 (factor 10000); 25000 万元
    → 2.5 亿元. A density divides by the population afterwards (progress.Facts)."""
    if m.aggregate == "sum" and m.field:
        field_unit = plan.ledgers[m.ledger].fields[m.field].unit or ind.unit
        raw = plan.units[field_unit].factor
    else:
        raw = 1.0
    return raw / plan.units[ind.unit].factor


def record_quantum(plan: Plan, ind: Indicator) -> float | None:
    """One counted record in the indicator's unit (1 件, 0.0001 万件): expected values and weekly
    rates of counts are whole records. None for sums and densities (they are not whole)."""
    unit = plan.units[ind.unit]
    if unit.dimension != "count" or any(m.aggregate == "sum" or m.per_population for m in ind.measures):
        return None
    return 1.0 / unit.factor


def _num(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x
