"""The screen's one-sided promise: a row it clears has no problem the full checks would find.

Checked by comparing check_frame (screen, then the worded checks on what it left) with
check_every_row (the worded checks on every row) on generated ledgers that mix valid values of
every field type with near misses (edge spaces of every kind, control characters, wrong check
characters, impossible dates, aliases), plus exhaustive tests of the byte-level pieces.
"""

from __future__ import annotations

import string
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.checks import field_checks, validate
from ipdemo.checks import screen as screening
from ipdemo.checks.field_types import FIELD_TYPES, FieldContext
from ipdemo.checks.validate import check_every_row, check_frame, suspect_rows
from ipdemo.plan.model import FieldSpec, load_plan

from .conftest import ROOT

PLAN = load_plan(ROOT / "targets.yaml")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = date.today()
FIELD = FieldContext(PLAN, FieldSpec(type="text"))  # for the kernels that read nothing of their field

# Every character Python's str.strip or Arrow's utf8_trim_whitespace removes, and some that look similar.
EDGES = [
    " ",
    "\t",
    "\n",
    "\r",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x1f",
    "\x85",
    "\xa0",
    "\u1680",
    "\u2000",
    "\u200a",
    "\u200b",
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
    "\u3001",
    "\u300a",
    "\u201d",
    "…",
]
NOISE = list("0123456789X.-ASRGax") + ["Ａ", "１", "\x00", "\x07", "\x7f", "镇", "\u3000", " "]


def _cnipa(rng_digits: str) -> str:
    body = pd.Series([rng_digits])
    return rng_digits + "." + field_checks.cnipa_check_char(body, len(rng_digits))[0]


def _uscc(body: str) -> str:
    return body + field_checks.uscc_check_char(pd.Series([body]))[0]


def _dates(plan, spec) -> st.SearchStrategy[str]:
    days = (TODAY - date(2019, 1, 1)).days
    return st.integers(0, days).map(lambda d: (date(2019, 1, 1) + timedelta(d)).isoformat())


def _cnipa_numbers(plan, spec) -> st.SearchStrategy[str]:
    new = st.tuples(
        st.sampled_from(["2019", "2021", "2023"]),
        st.sampled_from("12389"),
        st.text("0123456789", min_size=7, max_size=7),
    ).map(lambda t: _cnipa("".join(t)))
    old = st.tuples(
        st.sampled_from(["98", "02", "03"]), st.sampled_from("12389"), st.text("0123456789", min_size=5, max_size=5)
    ).map(lambda t: _cnipa("".join(t)))
    return st.one_of(new, old)


def _software_numbers(plan, spec) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(st.integers(2010, 2018), st.text("0123456789", min_size=6, max_size=6)),
        st.tuples(st.integers(2019, 2024), st.text("0123456789", min_size=7, max_size=7)),
    ).map(lambda t: f"{t[0]}SR{t[1]}")


def _trademark_numbers(plan, spec) -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, 999_999_999).map(str),
        st.integers(1, 99_999_999).map(lambda n: f"{n}A"),
        st.integers(1000, 9_999_999).map(lambda n: f"G{n}"),
    )


def _enum_values(plan, spec) -> st.SearchStrategy[str]:
    return st.sampled_from(
        list(spec.values or {}) + [label for labels in (spec.values or {}).values() for label in labels][:2]
    )


def _towns(plan, spec) -> st.SearchStrategy[str]:
    aliases = [a for t in plan.towns for a in t.aliases][:3]
    return st.sampled_from(plan.town_index.names + aliases)


def _text(plan, spec) -> st.SearchStrategy[str]:
    return st.text(
        alphabet=st.sampled_from(list("一种装置方法吴江科技有限公司ABC 12-·“”《》")), min_size=1, max_size=12
    )


# Field type → values that should pass (so the screen has rows to clear). One per type in
# field_types.FIELD_TYPES (a test says so): a new type is screened against its own values.
VALID_VALUES = {
    "text": _text,
    "title": _text,
    "name": _text,
    "address": _text,
    "remark": _text,
    "id": _text,
    "date": _dates,
    "town": _towns,
    "enum": _enum_values,
    "task": _enum_values,
    "integer": lambda plan, spec: st.integers(0, 10**6).map(str),
    "decimal": lambda plan, spec: st.one_of(
        st.integers(0, 10**6).map(str), st.floats(0, 1e6).map(lambda x: f"{x:.2f}")
    ),
    "nice_class": lambda plan, spec: st.integers(1, 45).map(str),
    "cnipa_application_no": _cnipa_numbers,
    "uscc": lambda plan, spec: st.text(field_checks.USCC_ALPHABET, min_size=17, max_size=17).map(_uscc),
    "software_copyright_no": _software_numbers,
    "trademark_no": _trademark_numbers,
}


def valid_values(plan, spec) -> st.SearchStrategy[str]:
    return VALID_VALUES[spec.type](plan, spec)


def test_every_field_type_has_valid_values():
    assert set(VALID_VALUES) == set(FIELD_TYPES)


def near_miss(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    edge = st.sampled_from(EDGES)
    noise = st.sampled_from(NOISE)
    return st.one_of(
        st.tuples(edge, valid).map("".join),
        st.tuples(valid, edge).map("".join),
        st.tuples(valid, st.integers(0, 20), noise).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + 1 :]),
        st.tuples(valid, st.integers(0, 20), noise).map(lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]),
        valid.map(lambda v: v[:-1]),
        st.tuples(st.integers(0, 2100), st.integers(0, 13), st.integers(0, 32)).map(
            lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
        ),
        st.text(st.sampled_from(NOISE + EDGES), max_size=16),
        st.just(""),
    )


def ledger_rows(name: str) -> st.SearchStrategy[pd.DataFrame]:
    spec = PLAN.ledgers[name]
    columns = {}
    for fname, fspec in spec.fields.items():
        valid = valid_values(PLAN, fspec)
        columns[fname] = st.one_of(valid, valid, near_miss(valid))
    row = st.fixed_dictionaries(columns)
    return st.lists(row, min_size=1, max_size=12).map(
        lambda rows: pd.DataFrame(rows, columns=list(spec.fields), dtype="str")
    )


def outcome(problems, invalid):
    return [
        (p.line, p.field, p.code, p.severity, sorted((k, str(v)) for k, v in p.params.items())) for p in problems
    ], invalid.tolist()


ANY_TYPE = {"required", "not_before", "cnipa_type_mismatch", "duplicate_key"}  # rules.py's own


def declared(spec, problem) -> bool:
    """The problem's code is one its field type's entry names (or one every type may have)."""
    ftype = FIELD_TYPES[spec.fields[problem.field].type]
    own = {*ftype.messages, ftype.empty_code, *(["excel_scientific"] if ftype.identifier else [])}
    return problem.code in ANY_TYPE | own


@pytest.mark.parametrize("name", list(PLAN.ledgers))
def test_screened_checks_equal_full_checks(name):
    @SETTINGS
    @given(ledger_rows(name))
    def check(frame):
        lines = np.arange(2, len(frame) + 2)
        full = check_every_row(PLAN, name, frame, lines, "x.csv")
        screened = check_frame(PLAN, name, frame, lines, "x.csv")
        assert outcome(*screened) == outcome(*full)
        # And the stronger promise behind it: cleared rows have no row-local problem at all.
        cleared = ~suspect_rows(PLAN, PLAN.ledgers[name], frame)
        flagged = {p.line for p in full[0] if p.code != "duplicate_key"}
        assert not flagged & set(lines[cleared].tolist())
        assert all(declared(PLAN.ledgers[name], p) for p in full[0])

    check()


def test_the_screen_clears_clean_rows():
    """Not a vacuous promise: well-formed rows are cleared, so the fast path is taken."""
    from .conftest import VALID_ROWS

    for name, row in VALID_ROWS.items():
        frame = pd.DataFrame([row], dtype="str")
        assert not suspect_rows(PLAN, PLAN.ledgers[name], frame).any(), name


def test_the_screen_works_on_slices():
    frame = pd.DataFrame({"v": [" a", "b", "c ", "d", "", "e"]}, dtype="str")
    whole = screening.Column(frame["v"]).untrimmed()
    for start in range(len(frame)):
        assert screening.Column(frame["v"].iloc[start:]).untrimmed().tolist() == whole[start:].tolist()
    assert whole.tolist() == [True, False, True, False, False, False]


def test_the_whitespace_list_is_what_python_and_arrow_strip():
    chars = [chr(c) for c in range(0x80, 0x110000) if not 0xD800 <= c < 0xE000]
    arrow = pc.utf8_trim_whitespace(pa.array(chars)).to_pylist()
    assert {c for c, t in zip(chars, arrow) if c != t or c.strip() != c} == set(screening.WHITESPACE)


def test_untrimmed_catches_every_space_python_or_arrow_strips():
    chars = [chr(c) for c in range(0x3100) if not 0xD800 <= c < 0xE000] + ["\ufeff", "\U0001f600"]
    values = [v for c in chars for v in (c + "甲", "甲" + c, c + "ab", "ab" + c, c, "a" + c + "b", c + c)]
    series = pd.Series(values, dtype="str")
    arrow_trimmed = pc.utf8_trim_whitespace(pa.array(values)).to_pylist()
    must = np.array([v != v.strip() or v != t for v, t in zip(values, arrow_trimmed)])
    found = screening.Column(series).untrimmed()
    assert not (must & ~found).any(), [values[i] for i in np.flatnonzero(must & ~found)][:10]
    # Not simply flagging everything: ordinary text (Chinese, ASCII, CJK punctuation) is clear.
    ordinary = pd.Series(
        ["一种光纤预制棒", "《吴江》", "ABC-12", "光缆系统V1.0", "a、b。", "（有限公司）"], dtype="str"
    )
    assert not screening.Column(ordinary).untrimmed().any()


def test_dates_are_clean_exactly_when_real_and_in_range():
    def real(y, m, d):
        try:
            return date(y, m, d)
        except ValueError:
            return None

    texts = [
        f"{y:04d}-{m:02d}-{d:02d}"
        for y in (0, 1, 1900, 1985, 2000, 2021, 2023, 2024, 2100, 9999)
        for m in range(0, 14)
        for d in range(0, 33)
    ]
    earliest, latest, today = date(1985, 4, 1), date(2099, 12, 31), date(2024, 3, 1)
    clean, days = screening.dates(screening.Column(pd.Series(texts, dtype="str")), earliest, latest, today)
    for text, ok, value in zip(texts, clean, days):
        d = real(*map(int, text.split("-")))
        assert ok == (d is not None and earliest <= d <= today), text
        assert value == ((d - date(1970, 1, 1)).days if ok else screening.NO_DAY), text


@SETTINGS
@given(st.lists(st.text(alphabet=string.digits + "AG.-x 年", max_size=12), min_size=1, max_size=30))
def test_shape_checks_agree_with_the_regexes(values):
    series = pd.Series(values, dtype="str")
    col = screening.Column(series)
    assert (
        screening.screen_trademark_no(col, FIELD).clean.tolist()
        == series.str.fullmatch(field_checks.TRADEMARK_NO[1:-1]).tolist()
    )
    assert screening.screen_integer(col, FIELD).clean.tolist() == series.str.fullmatch(r"\d+").tolist()
    plain = series.str.fullmatch(r"\d+(?:\.\d+)?").tolist()
    assert screening.screen_decimal(col, FIELD).clean.tolist() == plain


def test_day_numbers_match_the_calendar_and_arrow():
    days = np.arange(date(1, 1, 1).toordinal(), date(9999, 12, 31).toordinal() + 1, 97)
    civil = [date.fromordinal(int(d)) for d in days]
    texts = [d.isoformat() for d in civil] + ["", "2021-02-30", "2021-6-1", " 2021-06-01", "2021-13-01"]
    got = screening.day_numbers(pa.array(texts, type=pa.string()))
    epoch = date(1970, 1, 1).toordinal()
    assert got[: len(civil)].tolist() == [float(d.toordinal() - epoch) for d in civil]
    assert np.isnan(got[len(civil) :]).all()
    parsed = pc.strptime(pa.array(texts[: len(civil)]), format="%Y-%m-%d", unit="s")
    arrow = pc.cast(pc.cast(parsed, pa.date32()), pa.int32()).to_numpy(zero_copy_only=False)
    assert got[: len(civil)].tolist() == arrow.astype(float).tolist()


@pytest.mark.parametrize("name", ["patents", "trademarks"])
def test_screening_an_arrow_table_batch_by_batch_gives_the_same_rows(name, monkeypatch):
    monkeypatch.setattr(validate, "PARALLEL_ROWS", 0)  # take the threaded path even for a few rows

    @SETTINGS
    @given(ledger_rows(name))
    def check(frame):
        table = pa.Table.from_pandas(frame, preserve_index=False)
        batched = pa.Table.from_batches(table.to_batches(max_chunksize=3))
        expected = suspect_rows(PLAN, PLAN.ledgers[name], frame)
        assert suspect_rows(PLAN, PLAN.ledgers[name], batched).tolist() == expected.tolist()
        days = screening.day_numbers(batched.column("filed_on"))
        assert np.array_equal(days, screening.day_numbers(pa.array(frame["filed_on"].tolist())), equal_nan=True)

    check()
    # Mostly clean rows, so an out-of-order batch would show.
    from .conftest import VALID_ROWS

    rows = [dict(VALID_ROWS[name]) for _ in range(8)]
    rows[1]["filed_on"] = "2021-02-30"
    table = pa.Table.from_pylist(rows)
    batched = pa.Table.from_batches(table.to_batches(max_chunksize=3))
    assert np.flatnonzero(suspect_rows(PLAN, PLAN.ledgers[name], batched)).tolist() == [1]
    days = screening.day_numbers(batched.column("filed_on"))
    assert np.isnan(days[1]) and not np.isnan(np.delete(days, 1)).any()


def _distinct_by_python(rows: list[tuple[str, ...]]) -> bool:
    return len(set(rows)) == len(rows) and all(v and v == v.strip() for row in rows for v in row)


# Values that share digits but differ in a check character, a width, a leading zero, a form
# (G…, …A) or one digit, and values that only look like them: the integer codes must keep every
# one apart, and send what they cannot hold to the hash.
LOOKALIKE_KEYS = [
    "202310000001.1",
    "202310000001.X",
    "202310000001.2",
    "02310001.1",
    "202310000010.1",
    "20231000001.1",
    "202310000001.",
    "202310000001,1",
    " 202310000001.1",
    "",
    "Ｘ",
]
LOOKALIKE_TRADEMARKS = [
    "123",
    "0123",
    "123A",
    "G123",
    "G1234",
    "1234",
    "12",
    "A",
    "G",
    "GA",
    "123 ",
    "1A3",
    "1234567890123456",
    "１２３",
]
LOOKALIKE_CLASSES = ["1", "01", "9", "45", "10", "0", "", " 9", "x"]
KEY_PARTS = {
    "patents": [st.one_of(_cnipa_numbers(PLAN, None), st.sampled_from(LOOKALIKE_KEYS))],
    "trademarks": [
        st.one_of(_trademark_numbers(PLAN, None), st.sampled_from(LOOKALIKE_TRADEMARKS)),
        st.one_of(st.integers(1, 45).map(str), st.sampled_from(LOOKALIKE_CLASSES)),
    ],
}


@pytest.mark.parametrize("name", list(KEY_PARTS))
def test_the_key_test_finds_repeated_keys_as_a_hash_would(name):
    """Keys of coded types (CNIPA and trademark numbers, Nice classes) are sorted as integers:
    the verdict equals a plain set's, with repeats anywhere and values the codes cannot hold
    (which fall back to hashing)."""
    spec = PLAN.ledgers[name]

    @SETTINGS
    @given(st.lists(st.tuples(*KEY_PARTS[name]), min_size=1, max_size=12), st.randoms(use_true_random=False))
    def check(rows, rnd):
        rows = rows + [rnd.choice(rows)] * rnd.randint(0, 1)
        rnd.shuffle(rows)
        for typed in (True, False):
            key = [
                validate.KeyPart(
                    pa.array([row[i] for row in rows]), FIELD_TYPES[spec.fields[part].type] if typed else None
                )
                for i, part in enumerate(spec.key)
            ]
            assert validate._all_distinct(key) == _distinct_by_python(rows), (rows, typed)

    check()


@SETTINGS
@given(
    st.lists(_cnipa_numbers(PLAN, None), min_size=1, max_size=20),
    st.lists(
        st.one_of(_trademark_numbers(PLAN, None), st.sampled_from(LOOKALIKE_TRADEMARKS[:6])), min_size=1, max_size=20
    ),
    st.lists(st.text("0123456789", min_size=1, max_size=15), min_size=1, max_size=20),
)
def test_key_codes_are_one_to_one(cnipa, trademarks, digits):
    for coder, values in (
        (screening.cnipa_key_codes, cnipa),
        (screening.trademark_key_codes, trademarks),
        (screening.digit_key_codes, digits),
    ):
        codes = coder(screening.Column(pa.array(values)))
        assert codes is not None and (codes >= 0).all()
        pairs = set(zip(codes.tolist(), values))
        assert len(pairs) == len(set(values)) == len(set(codes.tolist()))  # each value one code, each code one value


@pytest.mark.parametrize(
    ("coder", "odd"),
    [(screening.cnipa_key_codes, v) for v in LOOKALIKE_KEYS[5:] + [None]]
    + [(screening.trademark_key_codes, v) for v in LOOKALIKE_TRADEMARKS[7:] + [None]]
    + [(screening.digit_key_codes, v) for v in ["", " 9", "x", "1234567890123456", None]],
)
def test_key_codes_refuse_anything_not_shaped_like_their_type(coder, odd):
    column = screening.Column(
        pa.array(["202310000001.1" if coder is screening.cnipa_key_codes else "123", odd], type=pa.string())
    )
    assert coder(column) is None


def test_the_key_test_sorts_coded_keys_without_hashing(monkeypatch):
    """Not a vacuous fast path: a clean patents key, and a clean trademarks key (number and class),
    never reach Arrow's hash."""

    def no_hashing(*args, **kwargs):
        raise AssertionError("hashed")

    monkeypatch.setattr(pc, "unique", no_hashing)
    cnipa = FIELD_TYPES["cnipa_application_no"]
    numbers = [_cnipa(f"2023100{n:05d}") for n in range(50)]
    assert validate._all_distinct([validate.KeyPart(pa.array(numbers), cnipa)])
    assert not validate._all_distinct([validate.KeyPart(pa.array(numbers + numbers[:1]), cnipa)])
    marks = ["123", "123", "G123", "123A", "0123"]
    classes = ["9", "35", "9", "9", "9"]
    key = [
        validate.KeyPart(pa.array(marks), FIELD_TYPES["trademark_no"]),
        validate.KeyPart(pa.array(classes), FIELD_TYPES["nice_class"]),
    ]
    assert validate._all_distinct(key)
    key[1] = validate.KeyPart(pa.array(["9", "35", "9", "9", "35"]), FIELD_TYPES["nice_class"])
    assert validate._all_distinct(key)
    key[0] = validate.KeyPart(pa.array(["123", "123", "G123", "123A", "123"]), FIELD_TYPES["trademark_no"])
    assert not validate._all_distinct(key)


DATED = [name for name, spec in PLAN.ledgers.items() if any(f.type == "date" for f in spec.fields.values())]


@pytest.mark.parametrize("name", DATED)
def test_dates_the_screen_read_equal_dates_parsed_again(name):
    """A report reads dates from the screen's day numbers where it cleared them and parses
    the rest (trimmed values, dates with a warning): the same day numbers as parsing them all."""
    from pathlib import Path

    from ipdemo.data.ledger import Table
    from ipdemo.engine.dataset import CheckedLedger, Dataset

    dates = [f for f, spec in PLAN.ledgers[name].fields.items() if spec.type == "date"]

    @SETTINGS
    @given(ledger_rows(name))
    def check(frame):
        arrow = pa.Table.from_pandas(frame, preserve_index=False)
        lines = np.arange(2, len(frame) + 2)
        checked = validate.check_table(PLAN, name, Table(Path("x.csv"), list(frame.columns), arrow, lines))
        data = Dataset(PLAN)
        data.add(name, CheckedLedger(checked.valid_rows, checked.problems, [], checked.valid_days))
        assert set(data.screened_days[name]) == set(dates)
        for field in dates:
            again = screening.day_numbers(data.strings(name, field))
            assert np.array_equal(data.days(name, field), again, equal_nan=True)

    check()


def test_month_starts_are_the_calendars_over_every_year():
    """The date kernel's month-start table, computed for all years at once, against the calendar."""
    starts = screening.month_starts(1, 9999)
    epoch = date(1970, 1, 1).toordinal()
    expected = [date(y, m, 1).toordinal() - epoch for y in range(1, 10000) for m in range(1, 13)]
    assert starts[:-1].tolist() == expected and len(starts) == len(expected) + 1
    assert starts[-1] == date(9999, 12, 31).toordinal() - epoch + 1  # "January 10000": the end of the table
    assert screening.month_starts(2020, 2021).tolist() == expected[2019 * 12 : 2021 * 12 + 1]


def test_a_key_too_wide_for_one_integer_is_hashed_and_still_judged_right():
    """Two CNIPA numbers per key need ~86 bits: the codes give up (no int64 overflow) and the
    hash decides."""
    cnipa = FIELD_TYPES["cnipa_application_no"]
    first = [_cnipa("202310000001"), _cnipa("202310000002"), _cnipa("202310000001")]
    second = [_cnipa("202320000001"), _cnipa("202320000001"), _cnipa("202320000002")]
    key = [validate.KeyPart(pa.array(first), cnipa), validate.KeyPart(pa.array(second), cnipa)]
    assert validate._key_codes(key, [screening.Column(part.values) for part in key]) is None
    assert validate._all_distinct(key)
    key[1] = validate.KeyPart(pa.array([second[0], second[1], second[0]]), cnipa)
    assert not validate._all_distinct(key)
