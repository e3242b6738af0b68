"""Field types and domain checks, vectorised over whole columns.

Each checker takes a column of stripped, non-empty strings and returns Findings: a boolean mask
of the offending rows plus a message code (rules.py turns them into worded problems). They run
on the rows the screen (screen.py) could not clear, and on every row when tests compare the two.

References: CNIPA application numbers, ZC 0006-2003; credit codes, GB 32100-2015.
python-stdnum's cn.uscc is not used: it is per value (too slow at 1M rows) and rejects codes whose
first 8 characters are not all digits, which legal codes may have. The identifier arithmetic
itself lives in codes.py (numpy only), shared with the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

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

SOFTWARE_NO = r"^([0-9]{4})SR([0-9]+)$"
TRADEMARK_NO = r"^(?:G[0-9]{4,}|[0-9]{1,9}A?)$"
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Bounds that no real record reaches. A number: 1e12 in the field's unit (10^12 万元 is a
# thousand times the world's yearly output; 10^12 people or items is none of the plan's counts):
# beyond it is a slip of the keyboard or an attack (1e320 is `inf` in a float and breaks JSON).
MAX_NUMBER = 1e12
# A text value: titles, names, addresses and evidence notes are far shorter; 2,000 characters
# leaves room for a long compound name or a list of co-applicants and stops a megabyte "title".
MAX_TEXT = 2000


@dataclass
class Finding:
    """Rows of a column that share one problem."""

    mask: np.ndarray
    code: str
    severity: str = "error"
    extra: dict[str, pd.Series] = field(default_factory=dict)  # per-row message params


def _ascii_matrix(values: pd.Series, width: int) -> np.ndarray:
    """Rows of equal-length ASCII strings as an (n, width) uint8 matrix, without a Python loop.

    Arrow keeps the characters of a string column in one contiguous buffer, so equal-length
    values are already that matrix: read it in place (no per-value Python objects)."""
    import pyarrow as pa

    arr = pa.array(values, type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset: arr.offset + len(arr) + 1]
    if len(arr) and arr.null_count == 0 and np.all(np.diff(offsets) == width):
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
        return data[offsets[0]: offsets[-1]].reshape(-1, width)
    return np.frombuffer("".join(values.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, width)


def cnipa_check_char(bodies: pd.Series, width: int) -> np.ndarray:
    """Check characters for digit strings of one width (12 new, 8 old): Σ dᵢwᵢ mod 11, 10 → X."""
    if bodies.empty:
        return np.array([], dtype=object)
    remainder = cnipa_remainders(_ascii_matrix(bodies, width), width)
    return np.array(list("0123456789X"), dtype=object)[remainder]


def check_cnipa(values: pd.Series) -> list[Finding]:
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


def cnipa_type_digit(values: pd.Series) -> pd.Series:
    """The type digit of well-formed application numbers (NaN elsewhere)."""
    new = values.str.match(CNIPA_NEW)
    old = values.str.match(CNIPA_OLD)
    digit = pd.Series(np.nan, index=values.index, dtype=object)
    digit[new.to_numpy(dtype=bool)] = values[new.to_numpy(dtype=bool)].str.slice(4, 5)
    digit[old.to_numpy(dtype=bool)] = values[old.to_numpy(dtype=bool)].str.slice(2, 3)
    return digit


def uscc_check_char(bodies: pd.Series) -> np.ndarray:
    """Check characters for the first 17 characters of credit codes (GB 32100-2015)."""
    if bodies.empty:
        return np.array([], dtype=object)
    values = USCC_VALUE[_ascii_matrix(bodies, 17)]
    remainder = (31 - (values * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    return np.array(list(USCC_ALPHABET), dtype=object)[remainder]


def check_uscc(values: pd.Series) -> list[Finding]:
    shaped = values.str.match(USCC_SHAPE).to_numpy(dtype=bool)
    expected = pd.Series(index=values.index, dtype=object)
    if shaped.any():
        expected[shaped] = uscc_check_char(values[shaped].str.slice(0, 17))
    wrong = shaped & (values.str.slice(-1).to_numpy(dtype=object) != expected.to_numpy())
    # A check mismatch is only a warning: some legally issued early codes fail it.
    return [Finding(~shaped, "bad_uscc"),
            Finding(wrong, "uscc_check", severity="warning", extra={"expected": expected})]


def check_software_no(values: pd.Series) -> list[Finding]:
    parts = values.str.extract(SOFTWARE_NO)
    year = pd.to_numeric(parts[0], errors="coerce")
    digits = parts[1].str.len()
    ok = year.notna() & (((year < 2019) & (digits == 6)) | ((year >= 2019) & (digits == 7)))
    return [Finding(~ok.to_numpy(dtype=bool), "bad_software_no")]


def check_trademark_no(values: pd.Series) -> list[Finding]:
    return [Finding(~values.str.match(TRADEMARK_NO).to_numpy(dtype=bool), "bad_trademark_no")]


def check_nice_class(values: pd.Series) -> list[Finding]:
    number = pd.to_numeric(values.where(values.str.match(r"^[0-9]{1,2}$")), errors="coerce")
    ok = number.between(1, 45)
    return [Finding(~ok.to_numpy(dtype=bool), "bad_nice_class")]


def check_integer(values: pd.Series) -> list[Finding]:
    whole = values.str.match(r"^[0-9]+$").to_numpy(dtype=bool)
    return [Finding(~whole, "bad_integer"), _too_large(pd.to_numeric(values.where(whole), errors="coerce"))]


def _too_large(number: pd.Series) -> Finding:
    big = (number > MAX_NUMBER).to_numpy(dtype=bool)
    return Finding(big, "number_too_large", extra={"limit": pd.Series(f"{MAX_NUMBER:,.0f}", index=number.index)})


def parse_decimal(values: pd.Series) -> pd.Series:
    """Plain decimals ('12.5', '-3'); anything else → NaN."""
    plain = values.where(values.str.match(r"^-?[0-9]+(?:\.[0-9]+)?$"))
    return pd.to_numeric(plain, errors="coerce")


def check_decimal(values: pd.Series) -> list[Finding]:
    number = parse_decimal(values)
    bad = number.isna().to_numpy(dtype=bool)
    negative = (number < 0).to_numpy(dtype=bool)
    return [Finding(bad, "bad_number"), Finding(negative, "negative"), _too_large(number)]


def parse_iso_dates(values: pd.Series) -> pd.Series:
    """ISO dates to datetime64; malformed or impossible (2021-02-30) → NaT.

    Arrow's strptime (multi-threaded C++) with errors as nulls; the regex keeps it to the strict
    YYYY-MM-DD shape (strptime alone would accept 2021-6-1)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    iso = pa.array(values.where(values.str.match(ISO_DATE)), type=pa.string())
    parsed = pc.strptime(iso, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls impossible days over (2021-02-30 → 2021-03-02): the day must survive parsing.
    exact = pc.equal(pc.day(parsed), pc.cast(pc.utf8_slice_codeunits(iso, 8, 10), pa.int64()))
    parsed = pc.if_else(exact, parsed, pa.scalar(None, parsed.type))
    return pd.Series(parsed.to_numpy(zero_copy_only=False), index=values.index).astype("datetime64[s]")


def check_date(values: pd.Series, earliest: date, latest: date, parsed: pd.Series | None = None,
               future_ok: bool = False) -> list[Finding]:
    parsed = parse_iso_dates(values) if parsed is None else parsed
    bad = parsed.isna().to_numpy(dtype=bool)
    out_of_range = (~bad) & ~parsed.between(pd.Timestamp(earliest), pd.Timestamp(latest)).to_numpy(dtype=bool)
    today = pd.Timestamp(date.today())
    # Filing, grant, registration, issue, event dates cannot lie ahead: an error. Fields that may
    # (expiry, term end) say `future: true` in targets.yaml.
    future = (~bad) & ~out_of_range & (parsed > today).to_numpy(dtype=bool) & (not future_ok)
    return [
        Finding(bad, "bad_date"),
        Finding(out_of_range, "date_out_of_range"),
        Finding(future, "date_in_future"),
    ]


def check_enum(values: pd.Series, allowed: list[str]) -> list[Finding]:
    return [Finding(~values.isin(allowed).to_numpy(dtype=bool), "bad_enum")]


def check_text(values: pd.Series) -> list[Finding]:
    length = values.str.len()
    long = (length > MAX_TEXT).to_numpy(dtype=bool)
    return [Finding(values.str.contains(CONTROL_CHARS, regex=True).to_numpy(dtype=bool), "bad_text"),
            Finding(long, "text_too_long", extra={"length": length.map("{:,}".format),
                                                  "limit": pd.Series(f"{MAX_TEXT:,}", index=values.index)})]
