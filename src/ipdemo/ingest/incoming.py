"""One export file, made ready to merge: headers mapped, values normalised, publications folded,
other offices' numbers set aside, towns placed.

Nothing here writes or locks. Every source row is accounted for: folded into its application's
record, skipped as another office's (counted), or kept with a placement note — inside (town
known or not), outside, or unknown with the reason — that the importer acts on once it knows
which keys the ledger already holds. No row disappears without being counted.

Invariants:
- a town column, when the row has a value in it, wins over any placement;
- only an address, a credit code or the enterprise register place a row (never a firm's name
  read as words, never a natural person's name, never a fuzzy match);
- free text (titles, names, addresses) is kept as written: only identifiers, codes, dates,
  amounts, enums and towns are normalised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import numpy as np
import pandas as pd

from ipdemo.checks import cross_rules, field_checks
from ipdemo.checks.field_types import FIELD_TYPES
from ipdemo.errors import InputFileError, Problem, UsageError
from ipdemo.i18n import in_both
from ipdemo.ingest import normalize, publications
from ipdemo.ingest.placement import BASIS_COLUMN, SUGGESTED_COLUMN
from ipdemo.ingest.provenance import ExportDate, export_date, guessed
from ipdemo.ingest.sources import Source
from ipdemo.plan.model import FieldSpec, LedgerSpec, PlaceSpec, Plan, PublicationSpec

# Why a row could not be placed (message held_<reason> words it in the file beside the import).
HELD_NO_ADDRESS = "no_address"
HELD_ADDRESS_UNPLACED = "address_unplaced"
HELD_REASONS = (HELD_NO_ADDRESS, HELD_ADDRESS_UNPLACED)

UNIT_IN_HEADER = re.compile(r"^(.*?)[（(]\s*([^（）()]+?)\s*[）)]$")
# Placement notes travel with the rows (through joins) until the importer, under the lock, knows
# which keys are new: a known key keeps its stored town, a new one outside or unplaced is set aside.
LOCATED, REASON, HOW = "__located", "__reason", "__how"
# Columns ipdemo adds to the files it writes beside a source (held and rejected rows): ignored
# without a warning when such a file comes back completed.
ROW_COLUMN, REASON_COLUMN = "原行号", "原因"
# The suggested town of a held row is never read as its town: the clerk copies it to confirm.
OWN_COLUMNS = {ROW_COLUMN, REASON_COLUMN, "row", "reason", SUGGESTED_COLUMN, BASIS_COLUMN}
SOURCE_MARK = re.compile(r"^\[[^\]]{1,4}\]")  # PatSnap's '[标]' before standardised names


@dataclass
class Column:
    index: int  # position in the source
    unit: str | None  # a unit written in the header (金额（元）)
    rank: int  # the spelling's position in the field's alias list: lower wins when coalescing


@dataclass
class Prepared:
    """One source's rows as canonical text columns, with what was set aside and why."""

    ledger: str
    source: Source
    frame: pd.DataFrame
    rows: np.ndarray  # spreadsheet row number of each kept record
    exported: ExportDate
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    folded: int = 0  # publication rows folded into their application's record
    rejected_rows: int = 0  # rows in error left out of the publication fold (rejected as they stand)
    other_office: int = 0
    placed: pd.Series | None = None  # how each kept row's town was found
    provided: set[str] = field(default_factory=set)  # fields the file gives (a column, --set, a title)
    learn: pd.DataFrame | None = None  # rows placed by address or credit code: the register learns from them
    choice: Choice | None = None  # which ledger and why
    set_over: list[SetOver] = field(default_factory=list)  # --set values that replaced a column of the file
    unused: list[str] = field(default_factory=list)  # headers of the columns the ledger does not read


@dataclass
class SetOver:
    """A --set FIELD=VALUE given for a field the file also has a column for: the value wins."""

    field: str
    value: str
    columns: list[str]  # the file's headers it replaced

    def as_dict(self) -> dict:
        return {"field": self.field, "value": self.value, "columns": self.columns}


# --- headers -------------------------------------------------------------------------------

# A language qualifier some exports add to a header (incoPat: `标题 (中文)`): the header without it
# is looked up when the header as written is not known.
CHINESE_QUALIFIER = re.compile(r"[（(]\s*中文\s*[）)]\s*$")


def header_key(text: str) -> str:
    """Headers compare blind to width (full/half-width brackets), spacing, case and a PatSnap [标]."""
    return SOURCE_MARK.sub("", "".join(unicodedata.normalize("NFKC", text).split())).casefold()


def header_table(spec: LedgerSpec) -> dict[str, tuple[str, int]]:
    """Every accepted spelling of a header → (canonical field name, rank of the spelling)."""
    table: dict[str, tuple[str, int]] = {}
    for name, f in spec.fields.items():
        for rank, spelling in enumerate([name, f.label or "", *f.aliases]):
            if spelling:
                table.setdefault(header_key(spelling), (name, rank))
    return table


def split_unit(plan: Plan, header: str) -> tuple[str, str | None]:
    """'金额（万元）' → ('金额', '万元') when the bracket holds a known unit."""
    match = UNIT_IN_HEADER.match(unicodedata.normalize("NFKC", header).strip())
    if match and match.group(2) in plan.units:
        return match.group(1), match.group(2)
    return header, None


def lookup(plan: Plan, table: dict[str, tuple[str, int]], cell: str) -> tuple[tuple[str, int] | None, str | None]:
    """A header cell → (its field and rank, or None; a unit written in it): as written, then
    without a unit in brackets (金额（万元）), then without a language qualifier (标题 (中文))."""
    hit = table.get(header_key(cell))
    if hit is not None:
        return hit, None
    base, unit = split_unit(plan, cell)
    hit = table.get(header_key(base))
    if hit is not None:
        return hit, unit
    return table.get(header_key(CHINESE_QUALIFIER.sub("", unicodedata.normalize("NFKC", cell).strip()))), None


def map_headers(plan: Plan, spec: LedgerSpec, header: list[str]) -> dict[str, list[Column]]:
    """canonical field → its source columns, best spelling first. Several columns for a field that
    does not coalesce are compared row by row when the values are read (`_coalesced`): identical
    repeats (Patentics writes 申请日 three times) are fine, differing ones are that row's error."""
    table = header_table(spec)
    found: dict[str, list[Column]] = {}
    for index, cell in enumerate(header):
        if cell in OWN_COLUMNS:
            continue
        hit, unit = lookup(plan, table, cell)
        if hit is None:
            continue
        name, rank = hit
        found.setdefault(name, []).append(Column(index, unit, rank))
    for columns in found.values():
        columns.sort(key=lambda c: c.rank)
    return found


def find_column(header: list[str], spellings: list[str]) -> int | None:
    """The first column whose header is one of `spellings` (in their order of preference)."""
    keys = [header_key(cell) for cell in header]
    for spelling in spellings:
        if header_key(spelling) in keys:
            return keys.index(header_key(spelling))
    return None


def header_score(plan: Plan, ledger: str | None) -> Callable[[list[str]], int]:
    specs = [plan.ledgers[ledger]] if ledger else list(plan.ledgers.values())
    tables = [header_table(spec) for spec in specs]
    extra = {header_key(h): ("", 0) for spec in specs for h in _extra_headers(spec)}

    def score(cells: list[str]) -> int:
        present = [c for c in cells if c]
        return max(sum(1 for c in present if lookup(plan, t, c)[0] is not None) for t in [*tables, extra])

    return score


def _extra_headers(spec: LedgerSpec) -> list[str]:
    """Headers a ledger reads that are not its fields (publication columns, split ranges)."""
    out = list(spec.split)
    if spec.publications is not None:
        out += spec.publications.number + spec.publications.date
    return out


# --- which ledger --------------------------------------------------------------------------

# Field types whose columns carry what the plan counts by or sums (amounts, counts, dates): a file
# whose such columns the chosen ledger would not read is never imported into it silently.
MEASURE_TYPES = frozenset({"decimal", "integer", "date"})


@dataclass
class Fit:
    """How one ledger would read a file: the columns it would use, and whether it finds the
    records' identity (its key, or one of its `identify` sets; --set fields count)."""

    ledger: str
    used: dict[int, str]  # source column → the field it fills
    measures: set[int]  # used columns of amounts, counts and dates
    sets: list[str]  # fields given by --set
    identified: bool
    named: bool  # the file name names the ledger (a tie-breaker only)

    def rank(self) -> tuple[int, int, bool]:
        """More of the file's figures read, then more of its columns, then the file name."""
        return len(self.measures), len(self.used) + len(self.sets), self.named


@dataclass
class Choice:
    """Which ledger a file goes to and why: said by every import (text, JSON, the journal)."""

    ledger: str
    by: str  # "option" (--ledger) | "headers"
    columns: list[str]  # the file's headers the ledger reads
    measures: list[str]  # among them, the amounts, counts and dates
    others: list[str] = field(default_factory=list)  # ledgers that could also take it (they read less)

    def as_dict(self) -> dict:
        return {"by": self.by, "columns": self.columns, "measures": self.measures, "others": self.others}


def fit(plan: Plan, name: str, header: list[str], filename: str, sets: dict[str, str]) -> Fit | None:
    """How ledger `name` would read these headers; None when a --set field is not one of its fields."""
    spec = plan.ledgers[name]
    try:
        given_sets = parse_sets(plan, name, sets)
    except UsageError:
        return None
    used = {c.index: f for f, columns in map_headers(plan, spec, header).items() for c in columns}
    given = set(given_sets)
    for split_header, targets in spec.split.items():  # 专用权期限 → registered_on, expires_on
        at = find_column(header, [split_header])
        if at is not None:
            used.setdefault(at, targets[0])
            given |= set(targets)
    if spec.publications is not None:
        for spellings, target in (
            (spec.publications.number, spec.key[0]),
            (spec.publications.date, spec.publications.grant),
        ):
            at = find_column(header, spellings)
            if at is not None:
                used.setdefault(at, target)
    given |= set(used.values())
    identified = all(k in given for k in spec.key) or any(
        all(f in given or f in spec.title_dates for f in fields) for fields in spec.identify
    )
    measures = {i for i, f in used.items() if spec.fields[f].type in MEASURE_TYPES}
    named = name in filename.lower() or spec.name in filename
    return Fit(name, used, measures, sorted(given_sets), identified, named)


def choose_ledger(
    plan: Plan, header: list[str], filename: str, sets: dict[str, str], option: str | None = None
) -> Choice:
    """The ledger that reads the most of the file's figures, then of its columns. Never one that
    would drop amount, count or date columns another ledger reads (a candidate, or a ledger that
    lacks its key column but reads more of the file): then the user chooses."""
    if option is not None:
        chosen = fit(plan, option, header, filename, sets)
        if chosen is None:  # an unknown --set field: parse_sets says which
            parse_sets(plan, option, sets)
        assert chosen is not None
        return _choice(chosen, header, "option", [])
    every = [f for name in plan.ledgers if (f := fit(plan, name, header, filename, sets)) is not None]
    fits = [f for f in every if f.identified]
    if not fits:
        without_sets = [
            f for name in plan.ledgers if (f := fit(plan, name, header, filename, {})) is not None and f.identified
        ]
        if sets and without_sets:  # the headers name a ledger, the --set field is not one of its fields
            parse_sets(plan, rank(without_sets)[0].ledger, sets)
        raise InputFileError("ledger_unknown", path=filename, known=", ".join(plan.ledgers))
    fits = rank(fits)
    best = fits[0]
    if len(fits) > 1 and fits[1].rank() == best.rank():
        tied = [f for f in fits if f.rank() == best.rank()]
        raise UsageError("ledger_ambiguous", path=filename, candidates=_candidates(tied))
    # Another candidate, or a ledger that lacks its key but reads more of the file than the best
    # (an outputs sheet without 成果编号 is not the register's): the best would lose its figures.
    # A stray column of another ledger in a file the best reads well is only a warning (unmapped).
    for other in fits[1:] + [f for f in rank(every) if not f.identified and f.rank() > best.rank()]:
        dropped = sorted(other.measures - set(best.used))
        if dropped:
            raise UsageError(
                "ledger_would_drop",
                path=filename,
                ledger=_ledger_words(plan, best.ledger),
                other=_ledger_words(plan, other.ledger),
                columns="、".join(header[i] for i in dropped),
                candidates=_candidates([best, other]),
            )
    return _choice(best, header, "headers", [f.ledger for f in fits[1:]])


def rank(fits: list[Fit]) -> list[Fit]:
    """Best first (see Fit.rank)."""
    return sorted(fits, key=Fit.rank, reverse=True)


def _choice(chosen: Fit, header: list[str], by: str, others: list[str]) -> Choice:
    columns = [header[i] for i in sorted(chosen.used)]
    return Choice(chosen.ledger, by, columns, [header[i] for i in sorted(chosen.measures)], others)


def _ledger_words(plan: Plan, name: str) -> dict[str, str]:
    """A ledger as a message names it: its Chinese name (企业名录), its id in English."""
    return in_both(plan.ledgers[name].name, name)


def _candidates(fits: list[Fit]) -> str:
    return ", ".join(f.ledger for f in fits)


# --- one source ----------------------------------------------------------------------------


def parse_sets(plan: Plan, ledger: str, sets: dict[str, str]) -> dict[str, str]:
    """--set FIELD=VALUE, FIELD as the ledger names it or by any header it accepts (著作权人)."""
    spec = plan.ledgers[ledger]
    table = header_table(spec)
    out: dict[str, str] = {}
    for given, value in sets.items():
        hit = table.get(header_key(given))
        if hit is None:
            known = "、".join(f"{name}（{f.label}）" if f.label else name for name, f in spec.fields.items())
            raise UsageError("set_unknown_field", field=given, ledger=_ledger_words(plan, ledger), known=known)
        out[hit[0]] = value
    return out


def prepare(
    plan: Plan, ledger: str, source: Source, sets: dict[str, str], exported_option: date | None, register=None
) -> Prepared:
    """Map, normalise, fold, set aside and place one source's rows (see the module docstring)."""
    spec = plan.ledgers[ledger]
    shown = source.display
    mapping = map_headers(plan, spec, source.header)
    split_columns = {h: find_column(source.header, [h]) for h in spec.split}
    provided = set(mapping) | set(sets) | {t for h, i in split_columns.items() if i is not None for t in spec.split[h]}
    missing_keys = [k for k in spec.key if k not in provided]
    identified = any(all(f in provided or f in spec.title_dates for f in fields) for fields in spec.identify)
    if missing_keys and not identified:
        raise InputFileError(
            "missing_key_column",
            path=shown,
            ledger=ledger,
            columns=", ".join(missing_keys),
            accepted=_accepted(spec, missing_keys[0]),
        )
    frame, problems = _normalised(plan, spec, source, mapping, split_columns, sets)
    errors = [p for p in problems if p.severity == "error"]
    used = {c.index for columns in mapping.values() for c in columns} | {
        i for i in split_columns.values() if i is not None
    }
    prepared = Prepared(ledger, source, frame, source.rows.copy(), ExportDate(date.today(), "today"), errors)
    prepared.provided = set(provided)
    prepared.set_over = [
        SetOver(f, sets[f], [source.header[c.index] for c in mapping[f]]) for f in sets if f in mapping
    ]
    if spec.publications is not None:
        used |= _fold(spec.publications, spec, source, prepared)
    if spec.place is not None:
        used |= {i for i in _evidence_columns(plan, source.header).values() if i is not None}
        used |= set(_region_name_columns(plan, source.header))
    _one_record_per_value(spec, prepared)
    prepared.unused = [h for i, h in enumerate(source.header) if i not in used and h and h not in OWN_COLUMNS]
    prepared.warnings = _unmapped(plan, ledger, source, used) + [p for p in problems if p.severity == "warning"]
    _title_dates(spec, prepared, mapping, sets)  # before the export date: a course day is a date in the file
    dated = [prepared.frame[f] for f, fs in spec.fields.items() if fs.type == "date" and not fs.future]
    prepared.exported = export_date(source.path.name, source.title_lines, dated, exported_option)
    if (undated := guessed(prepared.exported, shown)) is not None:
        prepared.warnings.append(undated)
    _derive_type(spec, prepared)
    _skip_other_offices(spec, prepared)
    if spec.place is not None and "town" in spec.fields and "town" not in sets:
        _place(plan, spec.place, prepared, register)
    if ledger == plan.placement.register_ledger:
        _locate_register_rows(plan, prepared)
    return prepared


def _normalised(
    plan: Plan,
    spec: LedgerSpec,
    source: Source,
    mapping: dict[str, list[Column]],
    split_columns: dict[str, int | None],
    sets: dict[str, str],
) -> tuple[pd.DataFrame, list[Problem]]:
    """The rows under the ledger's field names, normalised (amounts in the field's unit, dates
    read), and what was found on the way: columns that disagree, ambiguous dates, Excel serials."""
    errors: list[Problem] = list(source.problems)
    columns: dict[str, pd.Series] = {}
    for name, f in spec.fields.items():
        raw, unit, disagree = _raw_field(source, name, f, mapping, sets)
        if raw is None:
            columns[name] = constant_column("", len(source.frame))
            continue
        columns[name], found = _field_values(plan, source, name, f, raw, _factor(plan, f, unit, source.unit))
        errors += disagree + found
    _fill_split(plan, spec, source, split_columns, sets, columns)
    return pd.DataFrame(columns), errors


def _raw_field(
    source: Source, name: str, f: FieldSpec, mapping: dict[str, list[Column]], sets: dict[str, str]
) -> tuple[pd.Series | None, str | None, list[Problem]]:
    """A field's cells as given (a --set constant, else the file's columns, the first non-empty),
    the column's unit, and the rows where its columns disagree; None when neither gives it."""
    if name in sets:
        return constant_column(sets[name], len(source.frame)), None, []
    if name not in mapping:
        return None, None, []
    raw, unit = _coalesced(source, mapping[name])
    several = len(mapping[name]) > 1 and not f.coalesce
    return raw, unit, _disagreeing(source, name, f.label or name, mapping[name]) if several else []


def constant_column(text: str, length: int) -> pd.Series:
    """`length` rows of one text (a field the file lacks, a --set value), repeated by Arrow
    rather than converted from a list of `length` references."""
    import pyarrow as pa

    return pd.Series(pd.array(pa.repeat(pa.scalar(text, pa.large_string()), length), dtype="str"))


def _factor(plan: Plan, f: FieldSpec, unit: str | None, unit_line: str | None) -> float:
    """What turns the file's amounts into the field's unit: the column's unit, else the sheet's
    (单位：万元 above the header)."""
    if unit is None and f.unit and unit_line in plan.units:
        unit = unit_line
    if unit and f.unit and unit != f.unit:
        return plan.units[unit].factor / plan.units[f.unit].factor
    return 1.0


def _field_values(
    plan: Plan, source: Source, name: str, f: FieldSpec, raw: pd.Series, factor: float
) -> tuple[pd.Series, list[Problem]]:
    values, ambiguous = normalize.normalise_field(plan, f, raw, factor)
    errors = [
        Problem(source.display, int(source.rows[i]), name, "ambiguous_date", params={"value": values.iloc[i]})
        for i in np.flatnonzero(ambiguous)
    ]
    if f.type == "date" and source.encoding is not None:  # text files only: a workbook has real dates
        errors += _serial_dates(source.display, source.rows, name, raw, values)
    return values, errors


def _fill_split(
    plan: Plan,
    spec: LedgerSpec,
    source: Source,
    split_columns: dict[str, int | None],
    sets: dict[str, str],
    columns: dict[str, pd.Series],
) -> None:
    """A column that holds two fields (2021-06-01至2023-12-31) fills the ones still empty."""
    for header, index in split_columns.items():
        if index is None:
            continue
        parts = source.frame[str(index)].reset_index(drop=True).str.split(r"\s*(?:至|—|--|~|～)\s*", n=1, regex=True)
        for k, target in enumerate(spec.split[header][:2]):
            if target in sets:
                continue
            part = parts.str[k].fillna("").astype("str")
            values, _ = normalize.normalise_field(plan, spec.fields[target], part)
            columns[target] = columns[target].where(columns[target] != "", values)


def _serial_dates(shown: str, rows: np.ndarray, name: str, raw: pd.Series, values: pd.Series) -> list[Problem]:
    """A date Excel saved as its serial number (45123) in a CSV: converted by Excel's 1900 date
    system, and said, so that a file from a 1904-system Mac can be caught."""
    serial = raw.str.strip().str.match(r"^\d{5}(?:\.0+)?$").to_numpy(dtype=bool)
    return [
        Problem(
            shown,
            int(rows[i]),
            name,
            "excel_serial_date",
            "warning",
            {"value": raw.iloc[i].strip(), "date": values.iloc[i]},
        )
        for i in np.flatnonzero(serial)
    ]


def _coalesced(source: Source, columns: list[Column]) -> tuple[pd.Series, str | None]:
    """Per row the first non-empty of the field's columns, best spelling first."""
    first = source.frame[str(columns[0].index)].reset_index(drop=True)
    for other in columns[1:]:
        values = source.frame[str(other.index)].reset_index(drop=True)
        first = first.where(first.str.strip() != "", values)
    return first, columns[0].unit


def _disagreeing(source: Source, name: str, label: str, columns: list[Column]) -> list[Problem]:
    """Rows where two columns for one field hold different values (empty cells aside): which is
    right would be a guess, so the row is an error naming both columns (by position too: the
    copies often share a header) and values."""

    def cells(column: Column) -> pd.Series:
        return field_checks.nfkc(source.frame[str(column.index)].reset_index(drop=True)).str.strip()

    first = cells(columns[0])
    out: list[Problem] = []
    for other in columns[1:]:
        values = cells(other)
        differ = ((first != values) & (first != "") & (values != "")).to_numpy(dtype=bool)
        for i in np.flatnonzero(differ):
            out.append(
                Problem(
                    source.display,
                    int(source.rows[i]),
                    name,
                    "duplicate_mapping",
                    params={
                        "label": label,
                        "first": source.header[columns[0].index],
                        "first_at": columns[0].index + 1,
                        "second": source.header[other.index],
                        "second_at": other.index + 1,
                        "a": first.iloc[i],
                        "b": values.iloc[i],
                    },
                )
            )
    return out


def _accepted(spec: LedgerSpec, name: str) -> str:
    f = spec.fields[name]
    return "、".join([name, *([f.label] if f.label else []), *f.aliases])


def _unmapped(plan: Plan, ledger: str, source: Source, used: set[int]) -> list[Problem]:
    """One warning naming the unused columns that look like another ledger's data (its key, an
    identifying field, an amount, a count or a date): the one that matters is not lost among the
    columns no ledger reads (序号, 备注, 发明人, IPC…)."""
    elsewhere: dict[str, list[str]] = {}
    for i, h in enumerate(source.header):
        if i in used or not h or h in OWN_COLUMNS:
            continue
        owners = [name for name, spec in plan.ledgers.items() if name != ledger and _is_data_of(plan, spec, h)]
        if owners:
            elsewhere[h] = owners
    if not elsewhere:
        return []
    ledgers = list(dict.fromkeys(name for owners in elsewhere.values() for name in owners))
    return [
        Problem(
            source.display,
            source.header_row,
            None,
            "unmapped_columns",
            "warning",
            {"columns": "、".join(elsewhere), "ledgers": ", ".join(ledgers)},
        )
    ]


def _is_data_of(plan: Plan, spec: LedgerSpec, header: str) -> bool:
    """The header names a column ledger `spec` identifies its records by or counts with."""
    if find_column([header], _extra_headers(spec)) is not None:
        return True
    hit, _ = lookup(plan, header_table(spec), header)
    if hit is None:
        return False
    name = hit[0]
    identifying = set(spec.key) | {f for fields in spec.identify for f in fields}
    return name in identifying or spec.fields[name].type in MEASURE_TYPES


def _fold(pubs: PublicationSpec, spec: LedgerSpec, source: Source, prepared: Prepared) -> set[int]:
    """Publication rows → one record per application; returns the source columns it read."""
    number_at = find_column(source.header, pubs.number)
    date_at = find_column(source.header, pubs.date)
    if number_at is None:
        return set()
    numbers = source.frame[str(number_at)].reset_index(drop=True)
    if date_at is not None:
        dates, ambiguous = field_checks.dates(field_checks.nfkc(source.frame[str(date_at)].reset_index(drop=True)))
        # A grant publication's date is the grant date: one that could be day-first is that row's error.
        for i in np.flatnonzero(ambiguous & publications.grant_mask(numbers)):
            prepared.errors.append(
                Problem(
                    source.display, int(prepared.rows[i]), pubs.grant, "ambiguous_date", params={"value": dates.iloc[i]}
                )
            )
    else:
        dates = pd.Series([""] * len(numbers), dtype="str")
    # A row with an error of its own (copies of a column that differ, an ambiguous date) is not
    # folded: it is rejected as it stands (counted in rejected_rows, its error listed), so its
    # values (a B row's grant) never reach the application's record through a valid row.
    lines = [p.line for p in prepared.errors if p.line is not None and p.file == source.display]
    ok = np.flatnonzero(~np.isin(prepared.rows, lines))
    folded = publications.fold_publications(
        prepared.frame.iloc[ok].reset_index(drop=True),
        spec.key,
        numbers.iloc[ok].reset_index(drop=True),
        dates.iloc[ok].reset_index(drop=True),
        pubs.grant,
    )
    prepared.rejected_rows = len(prepared.rows) - len(ok)
    prepared.frame = folded.frame
    prepared.rows = prepared.rows[ok[folded.first]]
    prepared.folded = folded.folded
    return {i for i in (number_at, date_at) if i is not None}


def _one_record_per_value(spec: LedgerSpec, prepared: Prepared) -> None:
    """A key cell that holds several values (一标多类: '9;35;42' under 国际分类) gives one record
    per value, keyed (number, class); each keeps the row number of the row it came from, so a
    problem names that row, and importing the file again finds the same keys."""
    for name in spec.key:
        lists_of = FIELD_TYPES[spec.fields[name].type].cell_values
        if lists_of is None:
            continue
        lists = lists_of(prepared.frame[name])
        if lists is None:  # one value in every cell: the usual case, nothing to repeat
            continue
        counts = lists.map(len).to_numpy(dtype=np.int64)
        repeat = np.repeat(np.arange(len(counts)), counts)
        frame = prepared.frame.iloc[repeat].reset_index(drop=True)
        frame[name] = pd.Series([v for values in lists for v in values], dtype="str")
        prepared.frame = frame
        prepared.rows = prepared.rows[repeat]


def _derive_type(spec: LedgerSpec, prepared: Prepared) -> None:
    """A value the export does not state comes from its cross-field rule's fill, if it has one (a
    patent type from the application number's type digit)."""
    for check in spec.checks:
        fill = cross_rules.rule_named(check).fill
        if fill is None:
            continue
        stated = prepared.frame[check.other]
        if (stated == "").any():
            implied = fill(prepared.frame[check.field])
            prepared.frame[check.other] = stated.where(stated != "", implied)


def _title_dates(spec: LedgerSpec, prepared: Prepared, mapping: dict, sets: dict[str, str]) -> None:
    """A date the sheet states once in a title line (培训时间：2023年9月12日—14日) fills a field that
    has no column: the first date after one of the field's title words."""
    for name, words in spec.title_dates.items():
        if name in mapping or name in sets:
            continue
        for line in prepared.source.title_lines:
            found = _date_after(line, words)
            if found:
                prepared.frame[name] = found
                prepared.provided.add(name)
                break


def _date_after(line: str, words: list[str]) -> str | None:
    text = unicodedata.normalize("NFKC", line)
    for word in words:
        at = text.find(word)
        if at < 0:
            continue
        match = re.search(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", text[at + len(word) :])
        if match:
            y, m, d = (int(g) for g in match.groups())
            try:
                return date(y, m, d).isoformat()
            except ValueError:
                return None
    return None


def _skip_other_offices(spec: LedgerSpec, prepared: Prepared) -> None:
    """Family members filed at other offices (WO…, US…, PCT/…) are counted and set aside."""
    numbers = [name for name, f in spec.fields.items() if f.type == "cnipa_application_no" and name in spec.key]
    if not numbers:
        return
    other = publications.other_office_mask(prepared.frame[numbers[0]])
    if other.any():
        prepared.other_office = int(other.sum())
        keep(prepared, ~other)


def keep(prepared: Prepared, mask: np.ndarray) -> None:
    """Keep only the masked rows (frame, row numbers and placement notes stay aligned)."""
    prepared.frame = prepared.frame[mask].reset_index(drop=True)
    prepared.rows = prepared.rows[mask]
    if prepared.placed is not None:
        prepared.placed = prepared.placed[mask].reset_index(drop=True)


# --- placement -----------------------------------------------------------------------------


def _place(plan: Plan, place: PlaceSpec, prepared: Prepared, register) -> None:
    """Rows with no town: by the first applicant's address, else the enterprise register, else
    the credit code's region. Each row is noted inside / outside / unknown (LOCATED) with the
    reason an unknown one could not be placed (REASON); the importer decides what to set aside."""
    from ipdemo.ingest import placement

    frame = prepared.frame
    n = len(frame)
    need = (frame["town"] == "").to_numpy(dtype=bool)
    if not need.any():  # every row names its town: no address, register or code is looked at
        prepared.frame["town"] = frame["town"].astype("str")
        _note_placement(
            prepared, constant_column(placement.INSIDE, n), constant_column("town", n), constant_column("", n)
        )
        return
    located = np.where(need, placement.UNKNOWN, placement.INSIDE).astype(object)
    how = np.where(need, "", "town").astype(object)
    town = frame["town"].copy()
    addresses = placement.first_address(frame[place.address]) if place.address else pd.Series([""] * n, dtype="str")
    names = placement.first_party(frame[place.organisation]) if place.organisation else pd.Series([""] * n, dtype="str")
    codes = frame[place.credit_code] if place.credit_code else None
    steps = [(placement.BY_ADDRESS, lambda rows: placement.place_addresses(plan, addresses[rows]))]
    if register is not None:
        steps.append(
            (placement.BY_REGISTER, lambda rows: register.lookup(names[rows], None if codes is None else codes[rows]))
        )
    postcodes, regions, region_names = _postcode_evidence(plan, prepared, addresses)
    if postcodes is not None:
        steps.append(
            (
                placement.BY_POSTCODE,
                lambda rows: placement.place_postcodes(
                    plan,
                    postcodes[rows],
                    None if regions is None else regions[rows],
                    None if region_names is None else region_names[rows],
                ),
            )
        )
    if codes is not None:
        steps.append((placement.BY_CREDIT_CODE, lambda rows: placement.place_credit_codes(plan, codes[rows])))
    for label, step in steps:
        rows = np.flatnonzero(located == placement.UNKNOWN)
        if not len(rows):
            break
        placed = step(pd.Index(rows))
        found = np.asarray(placed.located, dtype=object) != placement.UNKNOWN
        located[rows[found]] = np.asarray(placed.located, dtype=object)[found]
        town.iloc[rows[found]] = placed.town.to_numpy(dtype=object)[found]
        how[rows[found]] = label
    learned = np.isin(how, [placement.BY_ADDRESS, placement.BY_CREDIT_CODE]) & (names != "").to_numpy(dtype=bool)
    if learned.any():
        prepared.learn = pd.DataFrame(
            {
                "name": names[learned].to_numpy(dtype=object),
                "address": addresses[learned].to_numpy(dtype=object),
                "credit_code": (codes[learned] if codes is not None else pd.Series([""] * int(learned.sum()))).to_numpy(
                    dtype=object
                ),
                "located": located[learned],
                "town": town[learned].to_numpy(dtype=object),
                "__line": prepared.rows[learned],
            }
        ).astype("str")
    prepared.frame["town"] = town.astype("str")
    reasons = np.where((addresses == "").to_numpy(dtype=bool), HELD_NO_ADDRESS, HELD_ADDRESS_UNPLACED)
    unplaced = np.where(located == placement.UNKNOWN, reasons, "")
    _note_placement(
        prepared, pd.Series(located, dtype="str"), pd.Series(how, dtype="str"), pd.Series(unplaced, dtype="str")
    )


def _note_placement(prepared: Prepared, located: pd.Series, how: pd.Series, reasons: pd.Series) -> None:
    """Each row's placement note (LOCATED), why an unknown one was not placed (REASON) and
    where its town came from (HOW, also `prepared.placed`)."""
    prepared.frame[LOCATED] = located
    prepared.frame[REASON] = reasons
    prepared.placed = how
    prepared.frame[HOW] = prepared.placed


def _evidence_columns(plan: Plan, header: list[str]) -> dict[str, int | None]:
    """The source columns of the postcode and the province / city code (placement headers)."""
    spec = plan.placement
    return {
        "postcode": find_column(header, spec.postcode_headers) if spec.postcode_headers else None,
        "region_code": find_column(header, spec.region_headers) if spec.region_headers else None,
    }


def _region_name_columns(plan: Plan, header: list[str]) -> list[int]:
    """The source columns naming the applicant's province / city / county (incoPat's 中国申请人地市,
    中国申请人区县), in the order `placement.region_name_headers` lists them."""
    found = (find_column(header, [h]) for h in plan.placement.region_name_headers)
    return list(dict.fromkeys(i for i in found if i is not None))


def _postcode_evidence(
    plan: Plan, prepared: Prepared, addresses: pd.Series
) -> tuple[pd.Series | None, pd.Series | None, pd.Series | None]:
    """Per kept row: its postcode (the column, else one written before the address), its
    province / city code and its region names joined (苏州市吴江区); all None when the file has
    none of them."""
    from ipdemo.ingest import placement

    source = prepared.source
    at = pd.Index(source.rows).get_indexer(prepared.rows)  # kept rows (folded, filtered) in the source

    def column(index: int | None) -> pd.Series | None:
        if index is None:
            return None
        values = source.frame[str(index)].reset_index(drop=True).to_numpy(dtype=object)
        return pd.Series(np.where(at >= 0, values[np.maximum(at, 0)], ""), dtype=object)

    found = _evidence_columns(plan, source.header)
    postcodes, regions = column(found.get("postcode")), column(found.get("region_code"))
    leading = placement.leading_postcode(addresses).reset_index(drop=True)
    if postcodes is None:
        postcodes = leading if (leading != "").any() else None
    else:
        postcodes = postcodes.where(postcodes.astype(str).str.strip() != "", leading)
    names: pd.Series | None = None
    for index in _region_name_columns(plan, source.header):
        part = pd.Series(column(index), dtype=object).fillna("").astype(str).str.strip()
        names = part if names is None else names + part
    if postcodes is None and (regions is not None or names is not None):
        postcodes = pd.Series([""] * len(prepared.rows), dtype=object)
    return postcodes, regions, names


def _locate_register_rows(plan: Plan, prepared: Prepared) -> None:
    """A list of organisations need not say 区内/区外: a town means inside; else the address,
    else the credit code's region decides; what none of them tells stays empty (an error)."""
    from ipdemo.ingest import placement

    frame = prepared.frame
    empty = (frame["located"] == "").to_numpy(dtype=bool)
    if not empty.any():
        return
    located = frame["located"].to_numpy(dtype=object)
    town = frame["town"].to_numpy(dtype=object)
    located[empty & (town != "")] = placement.INSIDE
    rows = np.flatnonzero(located == "")
    if len(rows):
        placed = placement.place_addresses(plan, placement.first_address(frame["address"].iloc[rows]))
        by_address = np.asarray(placed.located, dtype=object)
        located[rows] = by_address
        town[rows] = np.where(town[rows] == "", placed.town.to_numpy(dtype=object), town[rows])
    rows = np.flatnonzero(located == "")
    if len(rows):
        located[rows] = placement.credit_located(plan, frame["credit_code"].iloc[rows])
    frame["located"], frame["town"] = pd.Series(located, dtype="str"), pd.Series(town, dtype="str")
