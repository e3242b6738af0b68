"""The pandas side of every field type: its worded checks and the normaliser of incoming values.

field_types.py names these functions per type, all with one signature: (values, field context).

- A check takes a column of stripped, non-empty strings and returns Findings: a boolean mask of
  the offending rows plus a message code (rules.py turns them into worded problems). Checks run
  on the rows the screen (screen.py) could not clear, and on every row when tests compare the two.
- A normaliser takes an incoming str column (empty string = no value) and never raises on bad
  input: what cannot be normalised is left for validation to report with its line. Values that
  are ambiguous (day-first dates like 01/06/2021) are flagged, not guessed.

The checks work on whole columns, never value by value (tests/test_field_checks.py counts their Python
calls): per-value Python runs only for values that fail, or once per distinct value. pandas is
imported inside the functions, never here: field_types.py imports this module and the screen
reads field_types.py on clean data, which must not load pandas (tests/test_startup.py).

References: CNIPA application numbers, ZC 0006-2003; credit codes, GB 32100-2015.
python-stdnum's cn.uscc is not used: it is per value (too slow at 1M rows) and rejects codes whose
first 8 characters are not all digits, which legal codes may have. The identifier arithmetic
itself lives in codes.py (numpy only), shared with the screen.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ipdemo.checks.codes import (
    CNIPA_CHECK,
    CNIPA_NEW,
    CNIPA_OLD,
    USCC_ALPHABET,
    USCC_SHAPE,
    USCC_VALUE,
    USCC_WEIGHTS,
    cnipa_remainders,
)
from ipdemo.checks.screen import Column
from ipdemo.i18n import day_words  # a date in a message: 1985年4月1日 in Chinese, ISO in English
from ipdemo.plan.model import plan_word
from ipdemo.plan.text import NONCHARACTERS_UTF8, char_name, first_xml_illegal

if TYPE_CHECKING:
    import pandas as pd

    from ipdemo.checks.field_types import FieldContext

SOFTWARE_NO = r"^[0-9]{4}SR[0-9]{6,7}$"
TRADEMARK_NO = r"^(?:G[0-9]{4,}|[0-9]{1,9}A?)$"
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Bounds that no real record reaches. A number: 1e12 in the field's unit (10^12 万元 is a
# thousand times the world's yearly output; 10^12 people or items is none of the plan's counts):
# beyond it is a slip of the keyboard or an attack (1e320 is `inf` in a float and breaks JSON).
MAX_NUMBER = 1e12
# A text value of a field whose type sets no shorter default (field_types.py max_length, or the
# field's own `max_length`): remarks and notes; stops a megabyte "title".
MAX_TEXT = 2000
LONG_ENUM = 12  # a bad_enum message lists this many allowed values; beyond, the closest few
ENUM_CODES = ("bad_enum", "unknown_value")  # an enum value outside its list: error, or warning (informative)

ZERO_WIDTH = "[\u200b\u200c\u200d\u2060\ufeff]"
EXCEL_EPOCH = "1899-12-30"  # Excel's day 0 (with its 1900 leap-year bug absorbed)


@dataclass
class Finding:
    """Rows of a column that share one problem."""

    mask: np.ndarray
    code: str
    severity: str = "error"
    extra: dict[str, pd.Series] = dataclasses.field(default_factory=dict)  # per-row message params


@dataclass(frozen=True)
class Normalised:
    """An incoming column in its stored spelling."""

    values: pd.Series
    ambiguous: np.ndarray | None = None  # rows whose value could mean two things: rejected, never guessed


# --- identifier arithmetic on pandas columns ---------------------------------------------------


def _ascii_matrix(values: pd.Series, width: int) -> np.ndarray:
    """Equal-length ASCII values as an (n, width) uint8 matrix, read from Arrow's buffers."""
    rows, matrix = Column(values).fixed(width)
    if len(rows) != len(values):
        raise ValueError(f"every value must be {width} ASCII characters")
    return matrix


def cnipa_check_char(bodies: pd.Series, width: int) -> np.ndarray:
    """Check characters for digit strings of one width (12 new, 8 old): Σ dᵢwᵢ mod 11, 10 → X."""
    if bodies.empty:
        return np.array([], dtype=object)
    remainder = cnipa_remainders(_ascii_matrix(bodies, width), width)
    return np.array(list("0123456789X"), dtype=object)[remainder]


def cnipa_type_digit(values: pd.Series) -> pd.Series:
    """The type digit of well-formed application numbers (NaN elsewhere)."""
    import pandas as pd

    new = values.str.match(CNIPA_NEW).to_numpy(dtype=bool)
    old = values.str.match(CNIPA_OLD).to_numpy(dtype=bool)
    digit = pd.Series(np.nan, index=values.index, dtype=object)
    digit[new] = values[new].str.slice(4, 5)
    digit[old] = values[old].str.slice(2, 3)
    return digit


def uscc_check_char(bodies: pd.Series) -> np.ndarray:
    """Check characters for the first 17 characters of credit codes (GB 32100-2015)."""
    if bodies.empty:
        return np.array([], dtype=object)
    values = USCC_VALUE[_ascii_matrix(bodies, 17)]
    remainder = (31 - (values * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    return np.array(list(USCC_ALPHABET), dtype=object)[remainder]


# --- checks: (stripped non-empty values, field) → Findings ----------------------------------------


def check_cnipa(values: pd.Series, field: FieldContext) -> list[Finding]:
    import pandas as pd

    new = values.str.match(CNIPA_NEW).to_numpy(dtype=bool)
    old = values.str.match(CNIPA_OLD).to_numpy(dtype=bool)
    findings = [Finding(~(new | old), "bad_cnipa_no")]
    wrong = np.zeros(len(values), dtype=bool)
    expected = pd.Series(index=values.index, dtype=object)
    for mask, width in ((new, 12), (old, 8)):
        if not mask.any():
            continue
        # Whole values (digits, '.', check) as one uint8 matrix: compare bytes, no Python objects.
        matrix = _ascii_matrix(values[mask], width + 2)
        computed = CNIPA_CHECK[cnipa_remainders(matrix, width)]
        bad = computed != matrix[:, width + 1]
        rows = np.flatnonzero(mask)[bad]
        wrong[rows] = True
        expected.iloc[rows] = [chr(c) for c in computed[bad]]
    findings.append(Finding(wrong, "cnipa_check", extra={"expected": expected}))
    return findings


def check_uscc(values: pd.Series, field: FieldContext) -> list[Finding]:
    import pandas as pd

    shaped = values.str.match(USCC_SHAPE).to_numpy(dtype=bool)
    expected = pd.Series(index=values.index, dtype=object)
    if shaped.any():
        expected[shaped] = uscc_check_char(values[shaped].str.slice(0, 17))
    wrong = shaped & (values.str.slice(-1).to_numpy(dtype=object) != expected.to_numpy())
    # A check mismatch is only a warning: some legally issued early codes fail it.
    return [
        Finding(~shaped, "bad_uscc"),
        Finding(wrong, "uscc_check", severity="warning", extra={"expected": expected}),
    ]


def check_software_no(values: pd.Series, field: FieldContext) -> list[Finding]:
    """YYYYSR + 6 digits before 2019, 7 from 2019. (str.match, not str.extract: pandas extracts
    groups from Arrow strings one value at a time, in Python.)"""
    import pandas as pd

    shaped = values.str.match(SOFTWARE_NO)
    year = pd.to_numeric(values.str.slice(0, 4).where(shaped), errors="coerce")
    digits = values.str.len() - 6
    ok = shaped & (((year < 2019) & (digits == 6)) | ((year >= 2019) & (digits == 7)))
    return [Finding(~ok.to_numpy(dtype=bool), "bad_software_no")]


def check_trademark_no(values: pd.Series, field: FieldContext) -> list[Finding]:
    return [Finding(~values.str.match(TRADEMARK_NO).to_numpy(dtype=bool), "bad_trademark_no")]


def check_nice_class(values: pd.Series, field: FieldContext) -> list[Finding]:
    import pandas as pd

    number = pd.to_numeric(values.where(values.str.match(r"^[0-9]{1,2}$")), errors="coerce")
    ok = number.between(1, 45)
    return [Finding(~ok.to_numpy(dtype=bool), "bad_nice_class")]


def check_integer(values: pd.Series, field: FieldContext) -> list[Finding]:
    import pandas as pd

    whole = values.str.match(r"^[0-9]+$").to_numpy(dtype=bool)
    return [Finding(~whole, "bad_integer"), _too_large(pd.to_numeric(values.where(whole), errors="coerce"))]


def _too_large(number: pd.Series) -> Finding:
    import pandas as pd

    big = (number > MAX_NUMBER).to_numpy(dtype=bool)
    return Finding(big, "number_too_large", extra={"limit": pd.Series(f"{MAX_NUMBER:,.0f}", index=number.index)})


def parse_decimal(values: pd.Series) -> pd.Series:
    """Plain decimals ('12.5', '-3'); anything else → NaN."""
    import pandas as pd

    plain = values.where(values.str.match(r"^-?[0-9]+(?:\.[0-9]+)?$"))
    return pd.to_numeric(plain, errors="coerce")


def check_decimal(values: pd.Series, field: FieldContext) -> list[Finding]:
    number = parse_decimal(values)
    bad = number.isna().to_numpy(dtype=bool)
    negative = (number < 0).to_numpy(dtype=bool)
    return [Finding(bad, "bad_number"), Finding(negative, "negative"), _too_large(number)]


def parse_iso_dates(values: pd.Series) -> pd.Series:
    """ISO dates to datetime64; malformed or impossible (2021-02-30) → NaT.

    Arrow's strptime (multi-threaded C++) with errors as nulls; the regex keeps it to the strict
    YYYY-MM-DD shape (strptime alone would accept 2021-6-1)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    iso = pa.array(values.where(values.str.match(ISO_DATE)), type=pa.string())
    parsed = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls impossible days over (2021-02-30 → 2021-03-02): the day must survive parsing.
    exact = pc.equal(pc.day(parsed), pc.cast(pc.utf8_slice_codeunits(iso, 8, 10), pa.int64()))
    parsed = pc.if_else(exact, parsed, pa.scalar(None, parsed.type))
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index).astype("datetime64[s]")


def check_date(values: pd.Series, field: FieldContext) -> list[Finding]:
    import pandas as pd

    parsed = parse_iso_dates(values)
    bounds = field.plan.dates
    bad = parsed.isna().to_numpy(dtype=bool)
    out_of_range = (~bad) & ~parsed.between(pd.Timestamp(bounds.earliest), pd.Timestamp(bounds.latest)).to_numpy(
        dtype=bool
    )
    # Filing, grant, registration, issue, event dates cannot lie ahead: an error. Fields that may
    # (expiry, term end) say `future: true` in targets.yaml.
    ahead = (parsed > pd.Timestamp(field.today)).to_numpy(dtype=bool)
    future = (~bad) & ~out_of_range & ahead & (not field.spec.future)
    return [
        Finding(bad, "bad_date"),
        Finding(out_of_range, "date_out_of_range"),
        Finding(future, "date_in_future"),
    ]


def check_enum(values: pd.Series, field: FieldContext) -> list[Finding]:
    """A value outside the list: an error, or for an informative field (a legal status as the
    export words it) a warning, the value kept as written."""
    unknown = ~values.isin(list(field.spec.values or {})).to_numpy(dtype=bool)
    if field.spec.informative:
        return [Finding(unknown, "unknown_value", severity="warning")]
    return [Finding(unknown, "bad_enum")]


def check_town(values: pd.Series, field: FieldContext) -> list[Finding]:
    """Canonical names pass; an alias is an error naming the canonical name; else unknown."""
    import pandas as pd

    index = field.plan.town_index
    canonical = values.isin(index.names).to_numpy(dtype=bool)
    resolved = pd.Series(index=values.index, dtype=object)
    if not canonical.all():  # look up only the few non-canonical spellings
        odd = values[~canonical]
        resolved[~canonical] = odd.map({v: index.canonical(v) for v in odd.unique()}).to_numpy(dtype=object)
    alias = ~canonical & resolved.notna().to_numpy(dtype=bool)
    return [Finding(alias, "town_alias", extra={"canonical": resolved}), Finding(~canonical & ~alias, "unknown_town")]


def check_text(values: pd.Series, field: FieldContext) -> list[Finding]:
    """No control characters, no character XML cannot hold (U+FFFE, U+FFFF: no xlsx or docx
    could be written with it, plan/text.py), at most the field's max_length characters."""
    import pandas as pd

    length = values.str.len()
    limit = field.max_length
    long = (length > limit).to_numpy(dtype=bool)
    return [
        Finding(values.str.contains(CONTROL_CHARS, regex=True).to_numpy(dtype=bool), "bad_text"),
        _xml_chars(values),
        Finding(
            long,
            "text_too_long",
            extra={"length": length.map("{:,}".format), "limit": pd.Series(f"{limit:,}", index=values.index)},
        ),
    ]


def _xml_chars(values: pd.Series) -> Finding:
    """Values holding a non-character XML cannot hold, with the first one's position and name
    (counted per value only for the rows that have one)."""
    import pandas as pd

    mask = values.str.contains(NONCHARACTERS_UTF8, regex=True).to_numpy(dtype=bool)
    char = pd.Series("", index=values.index, dtype=object)
    position = pd.Series(0, index=values.index, dtype=object)
    for i in np.flatnonzero(mask):
        value = values.iloc[i]
        at = first_xml_illegal(value) or 0
        char.iloc[i], position.iloc[i] = char_name(value[at]), at + 1
    return Finding(mask, "text_xml_char", extra={"char": char, "position": position})


# --- message parameters beyond the value: (code, value, field) → params ---------------------------


def date_params(code: str, value: str, field: FieldContext) -> dict[str, object]:
    if code != "date_out_of_range":
        return {}
    return {"earliest": day_words(field.plan.dates.earliest), "latest": day_words(field.plan.dates.latest)}


def enum_params(code: str, value: str, field: FieldContext) -> dict[str, object]:
    """The allowed values; of a long list (task ids) the closest few, then how many more."""
    if code != "bad_enum":
        return {}
    allowed = list(field.spec.values or {})
    if len(allowed) > LONG_ENUM:
        close = difflib.get_close_matches(str(value), allowed, n=3, cutoff=0.0)
        allowed = [*close, f"… (+{len(allowed) - len(close)})"]
    return {"allowed": ", ".join(allowed)}


def town_params(code: str, value: str, field: FieldContext) -> dict[str, object]:
    """The plan's word for its areas (省（区、市）, not 区镇) and, for an unknown one, the closest."""
    area = plan_word(field.plan, "area")
    if code != "unknown_town":
        return {"area": area}
    return {"suggestions": "、".join(field.plan.town_index.suggest(value)), "area": area}


# --- normalisers: (incoming values, field) → Normalised ------------------------------------------


def nfkc(values: pd.Series) -> pd.Series:
    """Full-width → half-width, NBSP → space, zero-width characters removed, trimmed.

    ASCII is its own NFKC form: only the distinct values with other characters are normalised
    (an identifier column of 100k distinct ASCII numbers costs one vectorised test)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = np.asarray(pc.string_is_ascii(pa.array(values, type=pa.string())).to_numpy(zero_copy_only=False))
    out = values
    if not plain.all():
        other = values[~plain]
        table = {v: unicodedata.normalize("NFKC", v) for v in other.unique()}
        out = values.copy()
        out[~plain] = other.map(table)
    return out.str.replace(ZERO_WIDTH, "", regex=True).str.strip()


def tidy(values: pd.Series) -> pd.Series:
    """Free text (titles, names, addresses) is kept as written: only invisible characters go and
    the edges are trimmed (full-width brackets in an official name stay full-width)."""
    return values.str.replace(ZERO_WIDTH, "", regex=True).str.strip()


# Python's \s spelled out (the 29 characters str.isspace() accepts): pandas hands a pattern with
# \s to Python's regex engine row by row (RE2's \s is ASCII only), this class stays in Arrow's
# RE2: 0.08 → 0.04 s on 100k application numbers (measured). tests/test_field_checks_spaces.py
# checks it against Python's \s for every code point.
SPACES = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def cnipa(values: pd.Series) -> pd.Series:
    """'CN 202110182616.5', 'ZL2021101826165' → '202110182616.5'."""
    out = values.str.upper().str.replace(f"[{SPACES}]+", "", regex=True)
    out = out.str.replace(r"^(?:CN|ZL)", "", regex=True)
    out = out.str.replace(r"^(\d{12})([0-9X])$", r"\1.\2", regex=True)  # missing dot, new form
    return out.str.replace(r"^(\d{8})([0-9X])$", r"\1.\2", regex=True)  # missing dot, old form


def code(values: pd.Series) -> pd.Series:
    """Identifiers: upper case, no inner spaces or dashes (credit codes, SR numbers, trademarks)."""
    return values.str.upper().str.replace(f"[{SPACES}\\-]+", "", regex=True)


def trademark(values: pd.Series) -> pd.Series:
    return code(values).str.replace(r"^(\d+)\.0$", r"\1", regex=True)


def number(values: pd.Series) -> pd.Series:
    """Thousands separators and a trailing '.0' from Excel go; the value stays text."""
    out = values.str.replace(r"(?<=\d)[,，](?=\d{3}(?:\D|$))", "", regex=True)
    return out.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)


def amount(values: pd.Series, factor: float, suffixes: dict[str, float]) -> pd.Series:
    """Decimal amounts into the field's unit.

    `factor` converts values written without a unit (a header 金额（元） into a 万元 field: 1e-4);
    a unit written after the number ('500万元', '3000000元') uses its own factor from `suffixes`.
    """
    import pandas as pd

    out = number(values)
    names = "|".join(re.escape(u) for u in sorted(suffixes, key=len, reverse=True))
    parts = out.str.extract(rf"^(-?\d+(?:\.\d+)?)\s*({names})?$" if names else r"^(-?\d+(?:\.\d+)?)()$")
    numeric = pd.to_numeric(parts[0], errors="coerce")
    scale = parts[1].map(suffixes).astype("float64").fillna(factor)
    rewrite = (numeric.notna() & ((scale != 1.0) | (parts[1].fillna("") != ""))).to_numpy(dtype=bool)
    result = out.copy()
    if rewrite.any():
        result[rewrite] = (numeric[rewrite] * scale[rewrite]).map(_plain)
    return result


def _plain(x: float) -> str:
    text = f"{x:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def unit_suffixes(field: FieldContext) -> dict[str, float]:
    """Units that may follow a number of the field, with their factor into its unit (万 = 万元)."""
    plan, unit = field.plan, field.spec.unit
    if unit is None or unit not in plan.units:
        return {}
    base = plan.units[unit]
    table = {name: u.factor / base.factor for name, u in plan.units.items() if u.dimension == base.dimension}
    if "万元" in table:
        table.setdefault("万", table["万元"])
    return table


def nice_class(values: pd.Series) -> pd.Series:
    """'第9类', '09', '9.0' → '9'."""
    return values.str.replace(r"^第?\s*0*(\d{1,2})(?:\.0+)?\s*类?$", r"\1", regex=True)


# Several Nice classes in one cell (一标多类): 9;35;42 · 9、10 · 9,35 · 9 35 · 第9、35类 · 9类,35类 ·
# 第9类、第35类 (full-width ；，already half-width after nfkc). Every part must be a class of one or
# two digits, or the cell is left whole for the check to name as written.
# (Possessive separators, and parts that cannot match a separator: linear time on any value.)
_ONE_CLASS = r"(?:第\s*)?0*[0-9]{1,2}(?:\s*类)?"
_CLASS_SEP = r"[\s;,、]++"
MULTI_CLASS = rf"^{_ONE_CLASS}(?:{_CLASS_SEP}{_ONE_CLASS})+[\s;,、]*+$"


def nice_class_lists(values: pd.Series) -> pd.Series | None:
    """Each normalised value as the list of the classes it names: one for a plain value (empty
    or malformed ones too, left for the checks), several for a multi-class cell, each class once,
    in the order written; None when no cell names several. Works on the distinct values."""
    import pandas as pd

    codes, uniques = pd.factorize(values)
    multi = pd.Series(uniques, dtype="str").str.match(MULTI_CLASS).to_numpy(dtype=bool)
    if not multi.any():
        return None
    lists = np.empty(len(uniques), dtype=object)
    for i, value in enumerate(uniques):
        if multi[i]:
            numbers = pd.Series(re.findall(r"[0-9]+", value), dtype="str")
            lists[i] = list(dict.fromkeys(nice_class(numbers)))
        else:
            lists[i] = [value]
    return pd.Series(lists[codes] if len(codes) else [], index=values.index, dtype=object)


def _extract(values: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of a regex as text columns ('' where it does not match), via Arrow's RE2."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values, type=pa.string())
    found = pc.extract_regex(arr, pattern)
    if isinstance(found, pa.ChunkedArray):
        found = found.combine_chunks()
    valid = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    out = {f.name: pd.Series(found.field(f.name), dtype="str", index=values.index) for f in found.type}
    frame = pd.DataFrame(out, index=values.index)
    frame["_ok"] = valid
    return frame


def dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Many spellings → ISO. Returns (normalised, ambiguous mask).

    Accepted: 2021-06-01, 2021/6/1, 2021.6.1, 2021年6月1日, 20210601, '2021-06-01 00:00:00',
    Excel serial numbers (20000..80000). Day-first or two-digit years (01/06/2021, 6/1/21) are
    ambiguous: flagged so the row is rejected with a message, never guessed.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    iso_or_empty = pc.match_substring_regex(pa.array(values, type=pa.string()), r"^(?:\d{4}-\d{2}-\d{2})?$")
    if len(values) and pc.all(iso_or_empty).as_py():  # date cells and clean exports: nothing to do
        return values, np.zeros(len(values), dtype=bool)
    # Only a real time of day is dropped: '2022-01-01 25:61' keeps it and is rejected as a bad date.
    text = values.str.replace(r"[T\s](?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?$", "", regex=True).str.strip()
    if text.str.match(r"^\d{4}-\d{2}-\d{2}$").all():  # already ISO: the usual case for clean exports
        return text, np.zeros(len(text), dtype=bool)
    ymd = _extract(text, r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?$")
    compact = _extract(text, r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
    use = np.where(ymd["_ok"].to_numpy(), True, False)
    out = text.copy()
    for parts, mask in ((ymd, use), (compact, ~use & compact["_ok"].to_numpy())):
        if mask.any():
            out[mask] = parts["y"][mask] + "-" + parts["m"][mask].str.zfill(2) + "-" + parts["d"][mask].str.zfill(2)
    serial = pd.to_numeric(text.where(text.str.match(r"^\d{5}(?:\.0+)?$")), errors="coerce")
    is_serial = serial.between(20000, 80000).to_numpy(dtype=bool)
    if is_serial.any():
        days = pd.to_timedelta(serial[is_serial], unit="D")
        out[is_serial] = (pd.Timestamp(EXCEL_EPOCH) + days).dt.strftime("%Y-%m-%d")
    ambiguous = text.str.match(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$").to_numpy(dtype=bool)
    return out, ambiguous


def normalise_text(values: pd.Series, field: FieldContext) -> Normalised:
    return Normalised(tidy(values))


def normalise_nfkc(values: pd.Series, field: FieldContext) -> Normalised:
    """Identifiers without a fixed shape, and enums and towns before their spellings are mapped."""
    return Normalised(nfkc(values))


def normalise_date(values: pd.Series, field: FieldContext) -> Normalised:
    out, ambiguous = dates(nfkc(values))
    return Normalised(out, ambiguous)


def normalise_cnipa(values: pd.Series, field: FieldContext) -> Normalised:
    return Normalised(cnipa(nfkc(values)))


def normalise_code(values: pd.Series, field: FieldContext) -> Normalised:
    return Normalised(code(nfkc(values)))


def normalise_trademark(values: pd.Series, field: FieldContext) -> Normalised:
    return Normalised(trademark(nfkc(values)))


def normalise_integer(values: pd.Series, field: FieldContext) -> Normalised:
    return Normalised(number(nfkc(values)))


def normalise_decimal(values: pd.Series, field: FieldContext) -> Normalised:
    return Normalised(amount(nfkc(values), field.unit_factor, unit_suffixes(field)))


def normalise_nice_class(values: pd.Series, field: FieldContext) -> Normalised:
    return Normalised(nice_class(nfkc(values)))


# --- spellings: folded spelling → canonical value (the import maps each distinct value) ----------


def enum_spellings(field: FieldContext) -> dict[str, str]:
    table: dict[str, str] = {}
    for canonical, labels in (field.spec.values or {}).items():
        for label in [canonical, *labels]:
            table[unicodedata.normalize("NFKC", label).replace(" ", "").casefold()] = canonical
    return table


def town_spellings(field: FieldContext) -> dict[str, str]:
    return dict(field.plan.town_index.lookup)
