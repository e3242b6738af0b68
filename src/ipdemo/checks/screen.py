"""The byte side of every field type: kernels that clear the values certainly clean.

The screen (validate.screen_rows) runs each field's kernel, as field_types.py names it, on the
raw bytes of its column; the worded checks (rules.py) then look only at the rows it could not
clear, so a clean 1M-row ledger is judged from its raw bytes instead of through a dozen regex and
string kernels per column. The promise is one-sided: a value a kernel clears has no problem the
worded checks would find; a value it leaves may still turn out fine (leading spaces, a curly quote
at the end of a title, an unusual but legal shape). tests/test_screen.py holds it to that promise.

Every kernel has one signature, (Column, field context) → Screened, and needs no pandas.
Everything works on Arrow's buffers: each string column is an offsets array and one byte buffer,
so "is every value 14 bytes of digits with a '.' at 12" is a few numpy comparisons.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ipdemo.checks import codes
from ipdemo.data import arrays

if TYPE_CHECKING:
    import pandas as pd

    from ipdemo.checks.field_types import FieldContext

_DIGIT_LO, _DIGIT_HI = ord("0"), ord("9")
NO_DAY = np.iinfo(np.int64).min  # what dates() gives a value that is not a clean date
MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])  # index 0: no month 0


class Column:
    """A string column as raw UTF-8: where each value starts, how long it is, and the bytes."""

    def __init__(self, values: pa.Array | pa.ChunkedArray | pd.Series):
        arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, from_pandas=True)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if arr.type not in (pa.string(), pa.large_string()):
            arr = arr.cast(pa.large_string())
        self.array = arr
        self.n = len(arr)
        offsets = arrays.offsets(arr)
        self.start = offsets[:-1]
        self.length = np.diff(offsets)
        data = arr.buffers()[2]
        self.data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
        self.span = (int(offsets[0]), int(offsets[-1])) if self.n else (0, 0)
        self.null = arrays.to_numpy(arr.is_null()) if arr.null_count else np.zeros(self.n, bool)
        self.empty = (self.length == 0) & ~self.null

    def byte(self, k: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Byte k of each value in rows, or of every value (k < 0 counts from the end).
        The caller ensures the values are long enough."""
        start = self.start if rows is None else self.start[rows]
        if k < 0:
            start = start + (self.length if rows is None else self.length[rows])
        return self.data[start + k]

    def fixed(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows whose value is `width` bytes, their bytes as an (m, width) matrix).

        The matrix is column-major: the kernels read it byte position by byte position
        (matrix[:, k]), and each position is then one contiguous run instead of a stride through
        every value (3-4× faster on a million CNIPA numbers or dates)."""
        rows = np.flatnonzero(self.length == width)
        if len(rows) == self.n and self.n:  # every value that wide: the buffer already is the matrix
            lo, hi = self.span
            return rows, np.asfortranarray(self.data[lo:hi].reshape(-1, width))
        matrix = np.empty((len(rows), width), dtype=np.uint8, order="F")
        starts = self.start[rows]
        for k in range(width):
            matrix[:, k] = self.data[starts + k]
        return rows, matrix

    def per_value(self, byte_mask: np.ndarray) -> np.ndarray:
        """How many bytes of each value have byte_mask set (byte_mask covers the whole buffer)."""
        out = np.zeros(self.n, dtype=np.int64)
        rows = np.flatnonzero(self.length > 0)
        if len(rows):
            # reduceat sums from one start to the next (the last to the end of what it is given);
            # empty values are left out, as reduceat would give them their neighbour's byte.
            out[rows] = np.add.reduceat(byte_mask[: self.span[1]], self.start[rows], dtype=np.int64)
        return out

    def rows_with(self, byte_mask: np.ndarray) -> np.ndarray:
        """True for values containing at least one byte where byte_mask is set."""
        out = np.zeros(self.n, dtype=bool)
        lo, hi = self.span
        hits = np.flatnonzero(byte_mask[lo:hi]) + lo
        if len(hits):
            out[np.searchsorted(self.start, hits, side="right") - 1] = True
        return out

    def untrimmed(self) -> np.ndarray:
        """Values that may begin or end with whitespace, as str.strip or Arrow's trim sees it.

        Any edge byte up to 0x20 counts (controls included: they fail elsewhere anyway); a
        non-ASCII edge character counts when its bytes are one of WHITESPACE's."""
        out = np.zeros(self.n, dtype=bool)
        rows = np.flatnonzero(self.length > 0)
        if not len(rows):
            return out
        every = None if len(rows) == self.n else rows  # gather without an index when none is empty
        first, last = self.byte(0, every), self.byte(-1, every)
        suspect = (first <= 0x20) | (last <= 0x20)
        lead = np.flatnonzero(_WS_LEAD[first])  # rare: most text starts with ASCII or U+4E00..
        if len(lead):
            r = rows[lead]
            two = first[lead].astype(np.int64) << 8 | self.byte(1, r)
            three = np.zeros(len(r), dtype=np.int64)
            wide = first[lead] >= 0xE0  # a three-byte character: its third byte exists
            three[wide] = two[wide] << 8 | self.byte(2, r[wide])
            suspect[lead] |= np.isin(two, _WS_2) | np.isin(three, _WS_3)
        tail = np.flatnonzero(_WS_LAST[last] & (self.length[rows] >= 2))
        if len(tail):
            r = rows[tail]
            two = self.byte(-2, r).astype(np.int64) << 8 | last[tail]
            three = np.zeros(len(r), dtype=np.int64)
            long = self.length[r] >= 3
            three[long] = self.byte(-3, r[long]).astype(np.int64) << 16 | two[long]
            suspect[tail] |= np.isin(two, _WS_2) | np.isin(three, _WS_3)
        out[rows] = suspect
        return out


# Every non-ASCII character Python's str.strip or Arrow's utf8_trim_whitespace removes
# (tests/test_screen.py checks this list against both, over all of Unicode).
WHITESPACE = (
    "\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WS_BYTES = [c.encode() for c in WHITESPACE]
_WS_2 = np.array([int.from_bytes(b, "big") for b in _WS_BYTES if len(b) == 2])
_WS_3 = np.array([int.from_bytes(b, "big") for b in _WS_BYTES if len(b) == 3])
_WS_LEAD = np.zeros(256, dtype=bool)
_WS_LEAD[[b[0] for b in _WS_BYTES]] = True
_WS_LAST = np.zeros(256, dtype=bool)
_WS_LAST[[b[-1] for b in _WS_BYTES]] = True


def _digits(matrix: np.ndarray) -> np.ndarray:
    return (matrix >= _DIGIT_LO) & (matrix <= _DIGIT_HI)


def _number(matrix: np.ndarray) -> np.ndarray:
    """Decimal value of an all-digit matrix, row by row."""
    out = np.zeros(len(matrix), dtype=np.int64)
    for k in range(matrix.shape[1]):
        out *= 10
        out += matrix[:, k]
        out -= _DIGIT_LO
    return out


def dates(col: Column, earliest: date, latest: date, today: date) -> tuple[np.ndarray, np.ndarray]:
    """(clean, day numbers) for a date column: clean values are YYYY-MM-DD, real, in range and
    not after today; their day numbers count from 1970-01-01 (and order like the dates). NO_DAY
    where a value is not clean."""
    clean = np.zeros(col.n, dtype=bool)
    days = np.full(col.n, NO_DAY, dtype=np.int64)
    last_day = min(latest, today)
    rows, m = col.fixed(10)
    if not len(rows) or last_day < earliest:
        return clean, days
    ok = (m[:, 4] == ord("-")) & (m[:, 7] == ord("-"))
    digit = {k: m[:, k] - np.uint8(_DIGIT_LO) for k in (0, 1, 2, 3, 5, 6, 8, 9)}  # uint8: below '0' wraps past 9
    for d in digit.values():
        ok &= d <= 9
    year = ((digit[0].astype(np.int32) * 10 + digit[1]) * 10 + digit[2]) * 10 + digit[3]
    month = digit[5].astype(np.int32) * 10 + digit[6]
    day = digit[8].astype(np.int32) * 10 + digit[9]
    # Only the years in range can hold a clean date: one month-start table over them gives each
    # date's day number and its month's length (the next month's start minus its own).
    ok &= (month >= 1) & (month <= 12) & (year >= earliest.year) & (year <= last_day.year)
    starts = month_starts(earliest.year, last_day.year)
    at = np.where(ok, (year - earliest.year) * 12 + month - 1, 0)
    first = starts[at]
    ok &= (day >= 1) & (day <= starts[at + 1] - first)
    number = first + day - 1
    ok &= (number >= _day(earliest)) & (number <= _day(last_day))
    clean[rows[ok]] = True
    days[rows[ok]] = number[ok]
    return clean, days


_EPOCH = date(1970, 1, 1).toordinal()
_MONTH_OFFSETS = np.cumsum(MONTH_DAYS[:12])  # days before each month of a common year


def _day(d: date) -> int:
    return d.toordinal() - _EPOCH


@functools.lru_cache(maxsize=16)
def month_starts(first: int, last: int) -> np.ndarray:
    """Day numbers (since 1970-01-01) of the first of every month from January of year `first`
    to January of year `last + 1`, computed for all the years at once (Gregorian calendar)."""
    years = np.arange(first, last + 2, dtype=np.int64)
    before = years - 1
    new_year = 365 * before + before // 4 - before // 100 + before // 400 + 1 - _EPOCH
    leap = (years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0))
    starts = new_year[:, None] + _MONTH_OFFSETS[None, :] + (leap[:, None] & (np.arange(12) >= 2))
    starts.flags.writeable = False  # shared by every call with the same years
    return starts.ravel()[: (last - first + 1) * 12 + 1]


def day_numbers(values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Days since 1970-01-01 of YYYY-MM-DD strings, as floats; NaN for anything else (empty too).

    Read from the bytes like the screen's date check: several times faster than strptime."""
    chunks = arrays.fewer_chunks(values) if isinstance(values, pa.ChunkedArray) else [values]
    parts = []
    for chunk in chunks:  # chunk by chunk: no copy of the column into one piece
        _, days = dates(Column(chunk), date(1, 1, 1), date(9999, 12, 31), date(9999, 12, 31))
        parts.append(_floats(days))
    return np.concatenate(parts) if parts else np.zeros(0)


def _floats(days: np.ndarray) -> np.ndarray:
    """Day numbers as floats, NaN for NO_DAY."""
    out = days.astype(np.float64)
    out[days == NO_DAY] = np.nan
    return out


def screened_day_numbers(days: np.ndarray, values: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """day_numbers(values), from what the screen read already: `days` holds the day numbers of
    every value the date kernel cleared (NO_DAY elsewhere). Only the others (empty, or valid but
    not cleared: a date with a warning, a value that was trimmed) are parsed from their text."""
    out = _floats(days)
    rest = np.flatnonzero((days == NO_DAY) & (arrays.lengths(values) > 0))
    if len(rest):
        out[rest] = day_numbers(values.take(arrays.indices(rest)))
    return out


@dataclass(frozen=True)
class Screened:
    """A kernel's verdict on one column, and what the cross-field screens read from it."""

    clean: np.ndarray  # True where a non-empty value certainly passes its type's checks
    days: np.ndarray | None = None  # a date: its day number where clean, NO_DAY elsewhere (not_before)
    type_digits: np.ndarray | None = None  # a CNIPA number: its type digit where clean (cnipa_type)


def screen_date(col: Column, field: FieldContext) -> Screened:
    """Real YYYY-MM-DD dates in the plan's range, not after today (a date that may lie ahead,
    an expiry, is clean up to the latest sane date)."""
    bounds = field.plan.dates
    limit = bounds.latest if field.spec.future else field.today
    clean, days = dates(col, bounds.earliest, bounds.latest, limit)
    return Screened(clean, days=days)


def screen_cnipa(col: Column, field: FieldContext) -> Screened:
    """CNIPA application numbers of the right shape with the right check character."""
    clean = np.zeros(col.n, dtype=bool)
    digit = np.zeros(col.n, dtype=np.uint8)
    # New numbers: YYYY T NNNNNNN . C (14 bytes); old: YY T NNNNN . C (10 bytes). Both take the
    # same type digits (codes.CNIPA_TYPE_DIGITS: 8 and 9 are PCT national-phase entries).
    types = np.frombuffer("".join(codes.CNIPA_TYPE_DIGITS).encode(), np.uint8)
    for width, type_at in ((12, 4), (8, 2)):
        rows, m = col.fixed(width + 2)
        if not len(rows):
            continue
        ok = _digits(m[:, :width]).all(axis=1) & np.isin(m[:, type_at], types)
        ok &= m[:, width] == ord(".")
        # Rows with other bytes than digits are not ok already, and their sums stay within int16.
        computed = codes.CNIPA_CHECK[codes.cnipa_remainders(m, width)]
        ok &= computed == m[:, width + 1]
        clean[rows[ok]] = True
        digit[rows[ok]] = m[ok, type_at]
    return Screened(clean, type_digits=digit)


# CNIPA numbers as int64 codes: the 12 (or 8) digits, then the check character (0-9, X as 10);
# old 8-digit numbers above every new one.
_CHECK_VALUE = np.full(256, -1, dtype=np.int64)
_CHECK_VALUE[_DIGIT_LO : _DIGIT_HI + 1] = np.arange(10)
_CHECK_VALUE[ord("X")] = 10
_OLD_NUMBERS_FROM = 10**12 * 11


def cnipa_key_codes(col: Column) -> np.ndarray | None:
    """Each value as one int64, one to one with its bytes, when every value has a CNIPA number's
    shape (12 or 8 digits, '.', a digit or X); None when any value has not (empty, padded, a
    letter…), and the caller hashes the strings instead. Distinct codes are distinct values and
    equal codes equal values, so a sort of the codes finds repeated keys (several times faster
    than hashing a million strings). The check character is kept, not verified: a wrong one is
    the screen's business."""
    if col.null.any():
        return None
    keys = np.empty(col.n, dtype=np.int64)
    coded = 0
    for width, offset in ((12, 0), (8, _OLD_NUMBERS_FROM)):
        rows, matrix = col.fixed(width + 2)
        if not len(rows):
            continue
        check = _CHECK_VALUE[matrix[:, width + 1]]
        if not _digits(matrix[:, :width]).all() or (matrix[:, width] != ord(".")).any() or (check < 0).any():
            return None
        keys[rows] = _number(matrix[:, :width]) * 11 + check + offset
        coded += len(rows)
    return keys if coded == col.n else None


def digit_key_codes(col: Column) -> np.ndarray | None:
    """Each value as one int64, one to one, when every value is 1 to 15 ASCII digits: the number
    × 16 + its length ('07' and '7' stay apart). None when any value is anything else."""
    if col.null.any():
        return None
    return _digit_codes(col.data, col.start, col.length)


def trademark_key_codes(col: Column) -> np.ndarray | None:
    """digit_key_codes for trademark numbers, which may also be G + digits (international) or
    digits + A: × 3 + the form (0 plain, 1 with A, 2 with G). None for anything else."""
    if col.null.any() or not col.n or (col.length == 0).any():
        return None
    g = col.byte(0) == ord("G")
    a = ~g & (col.byte(-1) == ord("A"))
    digits = _digit_codes(col.data, col.start + g, col.length - g - a)
    return None if digits is None else digits * 3 + a + 2 * g


def _digit_codes(data: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray | None:
    """(number × 16 + length) of the digit runs data[start:start + length]; None unless every run
    is 1 to 15 digits long and all digits."""
    if not len(length):
        return np.zeros(0, dtype=np.int64)
    if length.min() < 1 or length.max() > 15:
        return None
    value = np.zeros(len(length), dtype=np.int64)
    for k in range(int(length.max())):
        rows = np.flatnonzero(length > k) if k >= length.min() else None  # None: every run is longer
        digit = data[start + k if rows is None else start[rows] + k] - np.uint8(_DIGIT_LO)  # wraps past 9
        if (digit > 9).any():
            return None
        if rows is None:
            value = value * 10 + digit
        else:
            value[rows] = value[rows] * 10 + digit
    return value * 16 + length


def screen_uscc(col: Column, field: FieldContext) -> Screened:
    clean = np.zeros(col.n, dtype=bool)
    rows, m = col.fixed(18)
    if len(rows):
        values = codes.USCC_VALUE[m]
        ok = (values >= 0).all(axis=1)
        remainder = (31 - (np.where(values[:, :17] < 0, 0, values[:, :17]) * codes.USCC_WEIGHTS).sum(axis=1) % 31) % 31
        ok &= remainder == values[:, 17]
        clean[rows[ok]] = True
    return Screened(clean)


def screen_software_no(col: Column, field: FieldContext) -> Screened:
    """YYYYSR + 6 digits before 2019, 7 digits from 2019."""
    clean = np.zeros(col.n, dtype=bool)
    for serial in (6, 7):
        rows, m = col.fixed(6 + serial)
        if not len(rows):
            continue
        ok = _digits(m[:, :4]).all(axis=1) & (m[:, 4] == ord("S")) & (m[:, 5] == ord("R"))
        ok &= _digits(m[:, 6:]).all(axis=1)
        year = _number(np.where(ok[:, None], m[:, :4], _DIGIT_LO))
        ok &= (year >= 2019) if serial == 7 else (year < 2019)
        clean[rows[ok]] = True
    return Screened(clean)


def _non_digits(col: Column) -> np.ndarray:
    data = col.data
    return col.per_value((data < _DIGIT_LO) | (data > _DIGIT_HI))


def screen_trademark_no(col: Column, field: FieldContext) -> Screened:
    """G + 4 or more digits (international), or 1-9 digits with an optional trailing A."""
    other = _non_digits(col)
    n = col.length
    clean = np.zeros(col.n, dtype=bool)
    clean |= (other == 0) & (n >= 1) & (n <= 9)
    one = np.flatnonzero((other == 1) & (n >= 2))
    if len(one):
        first, last = col.byte(0, one), col.byte(-1, one)
        clean[one] = ((last == ord("A")) & (n[one] <= 10)) | ((first == ord("G")) & (n[one] >= 5))
    return Screened(clean)


# Values this long may exceed fields.MAX_NUMBER: the full checks look (12 bytes of digits are below
# 1e12, so a value within this length is certainly within bounds). Text: the field's max_length in
# bytes (bytes ≥ characters).
NUMBER_BYTES = 12


def screen_integer(col: Column, field: FieldContext) -> Screened:
    return Screened((_non_digits(col) == 0) & (col.length >= 1) & (col.length <= NUMBER_BYTES))


def screen_decimal(col: Column, field: FieldContext) -> Screened:
    """Digits with at most one '.' between digits; anything else (signs, exponents) looks closer."""
    other = _non_digits(col)
    clean = (other == 0) & (col.length >= 1)
    one = np.flatnonzero((other == 1) & (col.length >= 3))
    if len(one):
        dots = col.per_value(col.data == ord("."))[one]
        first, last = col.byte(0, one), col.byte(-1, one)
        clean[one] = (dots == 1) & (first != ord(".")) & (last != ord("."))
    return Screened(clean & (col.length <= NUMBER_BYTES))


def screen_nice_class(col: Column, field: FieldContext) -> Screened:
    clean = np.zeros(col.n, dtype=bool)
    for width in (1, 2):
        rows, m = col.fixed(width)
        if len(rows):
            ok = np.asarray(_digits(m).all(axis=1))  # an array, as the type checker cannot tell
            number = _number(np.where(ok[:, None], m, _DIGIT_LO))
            clean[rows[ok & (number >= 1) & (number <= 45)]] = True
    return Screened(clean)


def screen_enum(col: Column, field: FieldContext) -> Screened:
    return Screened(members(col, list(field.spec.values or {})))


def screen_town(col: Column, field: FieldContext) -> Screened:
    """Canonical town names (an alias is worded: write the canonical name)."""
    return Screened(members(col, field.plan.town_index.names))


def screen_text(col: Column, field: FieldContext) -> Screened:
    """No control characters, no U+FFFE / U+FFFF, and short enough to be certainly within the
    field's max_length (bytes ≤ characters allowed: a character is at least one byte)."""
    return Screened(~_control(col) & ~_noncharacters(col) & (col.length <= field.max_length))


def members(col: Column, allowed: list[str]) -> np.ndarray:
    """True for values that are one of `allowed`."""
    found = pc.is_in(col.array, value_set=arrays.strings(allowed, col.array.type))
    return arrays.to_numpy(found, null=False)


def _noncharacters(col: Column) -> np.ndarray:
    """Rows holding U+FFFE or U+FFFF (UTF-8 EF BF BE, EF BF BF), which XML cannot hold."""
    data = col.data[col.span[0] : col.span[1]]
    if len(data) < 3:
        return np.zeros(col.n, dtype=bool)
    lead = np.flatnonzero(data[:-2] == 0xEF)
    if not len(lead):  # no character from U+F000 up: the usual answer for Chinese text, fast
        return np.zeros(col.n, dtype=bool)
    hit = lead[(data[lead + 1] == 0xBF) & (data[lead + 2] >= 0xBE)]
    bad = np.zeros(len(col.data), dtype=bool)
    bad[hit + col.span[0]] = True
    return col.rows_with(bad)


def _control(col: Column) -> np.ndarray:
    data = col.data[col.span[0] : col.span[1]]
    if not len(data) or (data.min() >= 0x20 and not (data == 0x7F).any()):  # the usual answer, fast
        return np.zeros(col.n, dtype=bool)
    data = col.data
    bad = ((data < 0x20) & (data != 0x09) & (data != 0x0A) & (data != 0x0D)) | (data == 0x7F)
    return col.rows_with(bad)


def type_mismatch(digits: np.ndarray, types: Column) -> np.ndarray:
    """Rows whose application number's type digit implies another patent type than stated."""
    implied_names = ["", *dict.fromkeys(codes.CNIPA_TYPE_DIGITS.values())]
    code = np.zeros(256, dtype=np.int64)
    for d, kind in codes.CNIPA_TYPE_DIGITS.items():
        code[ord(d)] = implied_names.index(kind)
    implied = code[digits]
    # One lookup for every type: the stated type's index in implied_names (0: none of them).
    found = pc.index_in(types.array, value_set=arrays.strings(implied_names[1:], types.array.type))
    stated = arrays.to_numpy(found, null=-1).astype(np.int64) + 1
    # Same rule as the full check: a number that implies a type, a stated type that a number can
    # imply (any other is the enum check's), and they differ.
    return (implied > 0) & (stated > 0) & (implied != stated)
