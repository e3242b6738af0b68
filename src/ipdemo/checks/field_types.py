"""Every field type in one table: how its values are normalised, screened, checked and worded.

A field type (plan/model.py's FieldTypeName: date, uscc, town…) has one entry in FIELD_TYPES, and
everything that treats values by their type looks it up there: the import's normalisation
(ingest/normalize.py), the byte screen (validate.screen_rows, running screen.py's kernels) and
the worded checks (rules.py, running field_checks.py's functions). Adding a type means one entry here
and its functions in field_checks.py (and, for speed, a kernel in screen.py).

Invariants (tests/test_field_types.py):
- FIELD_TYPES has exactly one entry per member of plan/model.py's FieldTypeName.
- The screen is safe by default: a type without a screen kernel clears nothing, so every
  non-empty value of it goes to the worded checks. A forgotten kernel is slow, never wrong.
- Every message code an entry names is worded in i18n.py.
- A type marked screen_rejects_edges has a kernel that clears no value with edge whitespace
  (tests/test_screen.py's differential tests pad valid values with every kind of whitespace).
- Importing this module does not import pandas: the screen reads the table on clean data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Callable

from ipdemo.checks import field_checks, screen
from ipdemo.plan.model import FieldSpec, Plan

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class FieldContext:
    """What a type's functions may need besides the values themselves."""

    plan: Plan  # date bounds, towns, units
    spec: FieldSpec  # enum values, unit, whether a date may lie ahead
    today: date = field(default_factory=date.today)  # a date after it is in the future
    # On import: what a plain number of the column is worth in the field's unit (a column headed
    # 金额（元） into a 万元 field: 1e-4).
    unit_factor: float = 1.0

    @property
    def max_length(self) -> int:
        """The most characters a value may have: the field's `max_length` in targets.yaml, else its
        type's default (FIELD_TYPES), else the one bound of any text."""
        own = FIELD_TYPES[self.spec.type].max_length if self.spec.type in FIELD_TYPES else None
        return self.spec.max_length or own or field_checks.MAX_TEXT


Screen = Callable[[screen.Column, FieldContext], screen.Screened]
Check = Callable[["pd.Series", FieldContext], list[field_checks.Finding]]
Normalise = Callable[["pd.Series", FieldContext], field_checks.Normalised]
Params = Callable[[str, str, FieldContext], dict[str, object]]  # (code, value, field) → extra params
Spellings = Callable[[FieldContext], dict[str, str]]  # folded spelling → canonical value
KeyCodes = Callable[[screen.Column], "np.ndarray | None"]  # values → one int64 each, or None
Lists = Callable[["pd.Series"], "pd.Series | None"]  # values → each cell's list of values (None: one each)


@dataclass(frozen=True)
class FieldType:
    """One field type: its functions and the messages its check words."""

    name: str
    normalise: Normalise  # incoming values → the stored spelling (ambiguous ones flagged)
    check: Check  # stripped, non-empty values → Findings (rules.py words them)
    messages: tuple[str, ...]  # the codes `check` emits, each worded in i18n.py
    screen: Screen | None = None  # raw bytes → the values certainly clean; None clears nothing
    params: Params | None = None  # message parameters beyond the value (an enum's allowed values)
    spellings: Spellings | None = None  # other spellings of canonical values, mapped on import
    identifier: bool = False  # Excel may have made it 2.02E+11: said before any shape error
    empty_code: str = "empty_field"  # the warning for an empty value of a `required: warning` field
    # The screen never clears a value of this type with whitespace at an edge (its shape or its
    # list of values has none), so the separate edge-whitespace pass is not needed for it.
    screen_rejects_edges: bool = False
    # Each value as one int64, one to one with its bytes, or None when some value does not fit:
    # the key test then sorts numbers instead of hashing strings.
    key_codes: KeyCodes | None = None
    # Several values in one cell (一标多类: '9;35;42'): each cell's values, on import. A key field
    # of such a type gives one record per value, each numbered as the row it came from.
    cell_values: Lists | None = None
    # Free text: the most characters a value may have unless its field says `max_length`.
    max_length: int | None = None
    # Its values repeat across rows (a few thousand dates, a handful of kinds, towns or
    # classes): the cache stores it dictionary-encoded (engine/cache.py), so a report reads
    # and parses each distinct value once.
    repeats: bool = False


TEXT_MESSAGES = ("bad_text", "text_xml_char", "text_too_long")


def _free_text(name: str, max_length: int) -> FieldType:
    """A kind of free text, kept as written (only trimmed, invisible characters removed), with
    its own default length: a title is short, a list of co-applicants' names longer, a remark longest."""
    return FieldType(
        name,
        normalise=field_checks.normalise_text,
        check=field_checks.check_text,
        messages=TEXT_MESSAGES,
        screen=screen.screen_text,
        max_length=max_length,
    )


FIELD_TYPES: dict[str, FieldType] = {
    # Free text, by kind; each default can be changed per field (`max_length` in targets.yaml).
    "text": _free_text("text", field_checks.MAX_TEXT),  # any other text (a status as written, a phone)
    "title": _free_text(
        "title", 200
    ),  # a patent's or software's title, an event's name (CNIPA: 25 characters, 40 at most)
    "name": _free_text("name", 500),  # organisations and people, co-applicants included (…; …)
    "address": _free_text("address", 500),  # an applicant's address, co-applicants' included
    "remark": _free_text("remark", field_checks.MAX_TEXT),  # what was done, notes
    "id": FieldType(
        "id",
        normalise=field_checks.normalise_nfkc,
        check=field_checks.check_text,
        messages=TEXT_MESSAGES,
        screen=screen.screen_text,
        identifier=True,
        max_length=200,
    ),
    "date": FieldType(
        "date",
        normalise=field_checks.normalise_date,
        check=field_checks.check_date,
        messages=("bad_date", "date_out_of_range", "date_in_future"),
        screen=screen.screen_date,
        params=field_checks.date_params,
        screen_rejects_edges=True,
        repeats=True,
    ),
    "town": FieldType(
        "town",
        normalise=field_checks.normalise_nfkc,
        check=field_checks.check_town,
        messages=("town_alias", "unknown_town"),
        screen=screen.screen_town,
        params=field_checks.town_params,
        spellings=field_checks.town_spellings,
        empty_code="town_unassigned",
        screen_rejects_edges=True,
        repeats=True,
    ),
    "enum": FieldType(
        "enum",
        normalise=field_checks.normalise_nfkc,
        check=field_checks.check_enum,
        messages=field_checks.ENUM_CODES,
        screen=screen.screen_enum,
        params=field_checks.enum_params,
        spellings=field_checks.enum_spellings,
        screen_rejects_edges=True,
        repeats=True,
    ),
    # `type: task` is loaded as an enum of the plan's task ids (plan/model.py); a spec made
    # directly with it is one too.
    "task": FieldType(
        "task",
        normalise=field_checks.normalise_nfkc,
        check=field_checks.check_enum,
        messages=field_checks.ENUM_CODES,
        screen=screen.screen_enum,
        params=field_checks.enum_params,
        spellings=field_checks.enum_spellings,
        screen_rejects_edges=True,
        repeats=True,
    ),
    "integer": FieldType(
        "integer",
        normalise=field_checks.normalise_integer,
        check=field_checks.check_integer,
        messages=("bad_integer", "number_too_large"),
        screen=screen.screen_integer,
        screen_rejects_edges=True,
    ),
    "decimal": FieldType(
        "decimal",
        normalise=field_checks.normalise_decimal,
        check=field_checks.check_decimal,
        messages=("bad_number", "negative", "number_too_large"),
        screen=screen.screen_decimal,
    ),
    "nice_class": FieldType(
        "nice_class",
        normalise=field_checks.normalise_nice_class,
        check=field_checks.check_nice_class,
        messages=("bad_nice_class",),
        screen=screen.screen_nice_class,
        screen_rejects_edges=True,
        key_codes=screen.digit_key_codes,
        cell_values=field_checks.nice_class_lists,
        repeats=True,
    ),
    "cnipa_application_no": FieldType(
        "cnipa_application_no",
        normalise=field_checks.normalise_cnipa,
        check=field_checks.check_cnipa,
        messages=("bad_cnipa_no", "cnipa_check"),
        screen=screen.screen_cnipa,
        identifier=True,
        screen_rejects_edges=True,
        key_codes=screen.cnipa_key_codes,
    ),
    "uscc": FieldType(
        "uscc",
        normalise=field_checks.normalise_code,
        check=field_checks.check_uscc,
        messages=("bad_uscc", "uscc_check"),
        screen=screen.screen_uscc,
        identifier=True,
        screen_rejects_edges=True,
    ),
    "software_copyright_no": FieldType(
        "software_copyright_no",
        normalise=field_checks.normalise_code,
        check=field_checks.check_software_no,
        messages=("bad_software_no",),
        screen=screen.screen_software_no,
        identifier=True,
        screen_rejects_edges=True,
    ),
    "trademark_no": FieldType(
        "trademark_no",
        normalise=field_checks.normalise_trademark,
        check=field_checks.check_trademark_no,
        messages=("bad_trademark_no",),
        screen=screen.screen_trademark_no,
        identifier=True,
        screen_rejects_edges=True,
        key_codes=screen.trademark_key_codes,
    ),
}
