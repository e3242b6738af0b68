"""A big ledger is read and checked piece by piece (data/ledger.py read_pieces, parse_piece;
checks/validate.py check_piece; engine/dataset.py): the same rows, lines, problems and rows set
aside as the whole read, on every shape of file; anything the pieces cannot judge alone goes to
the whole read; and the caps: a plain ledger past the whole read's cap is read, one that must be
read whole is refused with a message that says why and how to fix it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.data import ledger
from ipdemo.engine import cache, dataset
from ipdemo.plan.model import load_plan

from .conftest import VALID_ROWS, make_project
from .helpers import patent

FIELDS = list(VALID_ROWS["patents"])


def rows(n: int) -> list[dict[str, str]]:
    """n valid patents over many dates, towns and kinds, and a few near misses."""
    towns = ["吴江开发区", "七都镇", "震泽镇"]
    out = []
    for i in range(n):
        row = patent(f"20211{i:07d}", f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}", town=towns[i % 3])
        if i % 37 == 5:
            row["filed_on"] = "2021-02-30"  # not a date: an error, the row set aside
        if i % 41 == 7:
            row["town"] = "火星镇"  # not a town of the plan
        if i % 43 == 9:
            row["title"] = " 一种装置"  # an edge space: trimmed, and a warning
        out.append(row)
    return out


def csv_bytes(records: list[dict[str, str]], newline: str = "\n", bom: bool = True) -> bytes:
    lines = [",".join(FIELDS)] + [",".join(r[f] for f in FIELDS) for r in records]
    return (b"\xef\xbb\xbf" if bom else b"") + (newline.join(lines) + newline).encode("utf-8")


def with_blank_rows(data: bytes) -> bytes:
    lines = data.split(b"\n")
    blank = b"," * (len(FIELDS) - 1)
    return b"\n".join(line if i % 50 != 20 else blank + b"\n" + line for i, line in enumerate(lines))


def quoted(data: bytes) -> bytes:
    lines = data.split(b"\n")
    parts = lines[300].split(b",")
    parts[1] = '"一种\n多行, 标题"'.encode()
    lines[300] = b",".join(parts)
    return b"\n".join(lines)


def quoted_often(data: bytes) -> bytes:
    """Every seventh title quoted as CSV writers quote: a comma, a doubled quote, a newline
    (CRLF files get CRLF inside too), so many values straddle the cut between two pieces."""
    newline = b"\r\n" if b"\r\n" in data else b"\n"
    lines = data.split(newline)
    for i in range(1, len(lines) - 1, 7):
        parts = lines[i].split(b",")
        parts[1] = b'"' + parts[1] + b', ""\xe8\xaf\x95"" ' + newline + b'second line"'
        if i % 3 == 0:
            parts[2] = b'""'  # an empty quoted value
        lines[i] = b",".join(parts)
    return newline.join(lines)


def stray_quote(data: bytes) -> bytes:
    """A quote inside an unquoted value: readers take it as text, pieces cannot judge it."""
    lines = data.split(b"\n")
    parts = lines[300].split(b",")
    parts[1] = parts[1] + b'7" screen'
    lines[300] = b",".join(parts)
    return b"\n".join(lines)


def cn_of(i: int) -> str:
    return rows(i + 1)[i]["application_no"]


def lone_return(data: bytes, line: int) -> bytes:
    lines = data.split(b"\n")
    lines[line] += b"\r" + lines.pop(line + 1)
    return b"\n".join(lines)


def ragged(data: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[400] += b",extra"
    return b"\n".join(lines)


def duplicated(data: bytes) -> bytes:
    lines = data.split(b"\n")
    lines[500] = lines[3]
    return b"\n".join(lines)


SHAPES = {
    "plain": lambda: csv_bytes(rows(1200)),
    "crlf": lambda: csv_bytes(rows(1200), "\r\n"),
    "no bom, no final newline": lambda: csv_bytes(rows(1200), bom=False)[:-1],
    "blank rows": lambda: with_blank_rows(csv_bytes(rows(1200))),
    "quoted newlines": lambda: quoted(csv_bytes(rows(1200))),
    "quoted values across pieces": lambda: quoted_often(csv_bytes(rows(1200))),
    "quoted values across pieces, crlf": lambda: quoted_often(csv_bytes(rows(1200), "\r\n")),
    "a stray quote": lambda: stray_quote(csv_bytes(rows(1200))),
    "a value left open": lambda: csv_bytes(rows(1200)).replace(b"\n", b'\n"', 1100 * 1)[:-1],
    "ragged row": lambda: ragged(csv_bytes(rows(1200))),
    "a key twice": lambda: duplicated(csv_bytes(rows(1200))),
    "an empty key": lambda: csv_bytes(rows(1200)).replace(b"\n" + cn_of(640).encode() + b",", b"\n,", 1),
    "lone carriage return": lambda: lone_return(csv_bytes(rows(1200)), 700),
    "lone carriage return in the header": lambda: lone_return(csv_bytes(rows(1200)), 0),
    "not utf-8": lambda: csv_bytes(rows(1200)).replace("七都镇".encode(), "七都镇".encode("gb18030"), 1),
    "unknown column": lambda: (
        csv_bytes(rows(1200)).replace(b"status_on", b"status_on,note", 1).replace(b"\n", b",x\n")[: -len(",x\n")]
        + b"\n"
    ),
}
STREAMED = {
    "plain",
    "crlf",
    "no bom, no final newline",
    "blank rows",
    "quoted newlines",
    "quoted values across pieces",
    "quoted values across pieces, crlf",
}


@pytest.fixture
def small_pieces(monkeypatch):
    """Every ledger read piece by piece, in pieces of a few rows."""
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(ledger, "STREAM_PIECE", 4096)
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")


def project_with(tmp_path, data: bytes):
    root = make_project(tmp_path / "p")
    (root / "data" / "patents.csv").write_bytes(data)
    return load_plan(root / "targets.yaml")


def as_compared(checked: dataset.CheckedLedger) -> dict:
    return {
        "rows": checked.rows.to_pylist(),
        "columns": checked.rows.column_names,
        "problems": checked.problems,
        "invalid": checked.invalid_lines,
        "days": {k: v.tolist() for k, v in checked.days.items()},
    }


@pytest.mark.parametrize("big", [False, True], ids=["pieces", "big ledger's pieces"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_pieces_give_what_the_whole_read_gives(tmp_path, monkeypatch, shape, big):
    plan = project_with(tmp_path, SHAPES[shape]())
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    whole = as_compared(dataset.checked_ledger(plan, "patents"))
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(ledger, "STREAM_PIECE", 4096)
    if big:  # read as a ledger over BIG_LEDGER_BYTES is: in pieces twice as big
        monkeypatch.setattr(ledger, "BIG_LEDGER_BYTES", 1)
    streamed = dataset._streamed_now(plan, "patents", plan.ledger_path("patents"))
    assert (streamed is not None) == (shape in STREAMED)  # else the whole read judges it
    assert as_compared(dataset.checked_ledger(plan, "patents")) == whole
    if shape in STREAMED:
        assert whole["problems"] and whole["invalid"]  # the near misses were found both ways
        assert len(whole["rows"]) > 1000
        assert as_compared(streamed) == whole


def test_a_carriage_return_inside_the_header_is_worded(invoke, tmp_path):
    root = project_with(tmp_path, lone_return(csv_bytes(rows(10)), 0)).source.parent
    result = invoke(["validate", "--lang", "en"], cwd=root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "data/patents.csv line 1 cannot be read as CSV" in " ".join(result.output.split())


def test_a_ledger_from_big_ledger_bytes_up_is_read_in_pieces_twice_as_big(tmp_path, monkeypatch):
    data = csv_bytes(rows(2000))
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    monkeypatch.setattr(ledger, "STREAM_PIECE", 4096)

    def cuts(big: int) -> list[int]:
        monkeypatch.setattr(ledger, "BIG_LEDGER_BYTES", big)
        with open(path, "rb") as fh:
            read = ledger.read_header(fh, hashlib.sha256())
            pieces = list(ledger.read_pieces(fh, read))
        assert b"".join(p.data[: p.end] for p in pieces) == data[data.index(b"\n") + 1 :]
        return [p.end for p in pieces]

    small, big = cuts(len(data) + 1), cuts(len(data))
    assert max(small) <= 4096 < max(big) <= 8192
    assert len(big) < len(small) / 1.5


def test_pieces_are_cut_after_a_newline_and_hashed_whole(tmp_path):
    data = csv_bytes(rows(500), "\r\n")
    path = tmp_path / "p.csv"
    path.write_bytes(data)
    with open(path, "rb") as fh:
        read = ledger.read_header(fh, hashlib.sha256())
        pieces = list(ledger.read_pieces(fh, read, 1000))
    assert len(pieces) > 50
    assert all(p.data[: p.end].endswith(b"\r\n") for p in pieces)
    assert b"".join(p.data[: p.end] for p in pieces) == data[data.index(b"\n") + 1 :]
    assert [p.first_line for p in pieces] == list(np.cumsum([2] + [p.newlines for p in pieces[:-1]]))
    assert (read.size, read.newlines, read.digest.hexdigest()) == (
        len(data),
        data.count(b"\n"),
        hashlib.sha256(data).hexdigest(),
    )


def test_a_line_longer_than_a_piece_is_read_whole_with_it(tmp_path):
    data = csv_bytes(rows(20))
    lines = data.split(b"\n")
    lines[5] = lines[5].replace("一".encode(), "一".encode() * 3000, 1)  # a 9 KB title
    path = tmp_path / "p.csv"
    path.write_bytes(b"\n".join(lines))
    with open(path, "rb") as fh:
        read = ledger.read_header(fh, hashlib.sha256())
        pieces = list(ledger.read_pieces(fh, read, 1000))
    assert b"".join(p.data[: p.end] for p in pieces) == b"\n".join(lines[1:])


def report(invoke, root, *args):
    result = invoke(["report", "--format", "json", *args], cwd=root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_a_cold_report_from_pieces_writes_the_entry_a_warm_one_reads(invoke, tmp_path, monkeypatch):
    """The entry written batch by batch (dictionary columns growing by deltas) gives the report
    of a ledger read whole and checked without a cache, cold and warm."""
    monkeypatch.setattr(cache, "WRITE_ROWS", 256)  # several batches here, as a big ledger's pieces are
    root = project_with(tmp_path, with_blank_rows(csv_bytes(rows(3000)))).source.parent
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    expected = [report(invoke, root), report(invoke, root, "--by", "town")]
    monkeypatch.delenv("IPDEMO_NO_CACHE")
    monkeypatch.setenv("IPDEMO_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(ledger, "STREAM_PIECE", 8192)
    written = []
    real = dataset._streamed_stored

    def spy(plan, name, *rest):
        checked = real(plan, name, *rest)
        written.append((name, checked is not None))
        return checked

    monkeypatch.setattr(dataset, "_streamed_stored", spy)
    assert report(invoke, root) == expected[0]  # cold
    assert ("patents", True) in written
    written.clear()
    assert [report(invoke, root), report(invoke, root, "--by", "town")] == expected  # warm
    assert written == []
    entry = sorted((tmp_path / "cache").glob("*.arrow"), key=lambda p: p.stat().st_size)[-1]
    assert entry.stat().st_size <= (root / "data" / "patents.csv").stat().st_size
    stored = pa.ipc.open_file(pa.memory_map(str(entry)))
    assert stored.num_record_batches >= 5
    assert any(pa.types.is_dictionary(f.type) for f in stored.schema)


def test_validate_finds_the_same_problems_from_pieces(invoke, tmp_path, monkeypatch):
    root = project_with(tmp_path, csv_bytes(rows(2000))).source.parent
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    whole = invoke(["validate", "--format", "json"], cwd=root)
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(ledger, "STREAM_PIECE", 4096)
    streamed = invoke(["validate", "--format", "json"], cwd=root)
    assert streamed.exit_code == whole.exit_code == 1
    assert streamed.stdout == whole.stdout
    assert json.loads(streamed.stdout)["errors"]


@pytest.mark.parametrize(
    "shape", [lambda: csv_bytes(rows(2000)), lambda: quoted_often(csv_bytes(rows(2000)))], ids=["plain", "quoted"]
)
def test_a_ledger_past_the_whole_read_cap_is_read_when_pieces_can_judge_it(invoke, tmp_path, monkeypatch, shape):
    """One plain record a line, or values quoted as CSV writers quote them (ipdemo's own writer
    does, for a comma in a title): read piece by piece, so not capped at the whole read's size."""
    root = project_with(tmp_path, shape()).source.parent
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    expected = report(invoke, root)
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1 << 16)
    monkeypatch.setattr(ledger, "MAX_LEDGER_BYTES", 1 << 17)
    assert (root / "data" / "patents.csv").stat().st_size > 1 << 17
    assert report(invoke, root) == expected


def test_a_ledger_past_the_whole_read_cap_that_must_be_read_whole_is_refused(invoke, tmp_path, monkeypatch):
    root = project_with(tmp_path, stray_quote(csv_bytes(rows(6000)))).source.parent
    size = (root / "data" / "patents.csv").stat().st_size
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1 << 19)
    monkeypatch.setattr(ledger, "MAX_LEDGER_BYTES", 1 << 20)
    assert size > 1 << 20
    before = (root / "data" / "patents.csv").read_bytes()
    result = invoke(["validate", "--lang", "en"], cwd=root)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert f"ledger data/patents.csv is {size / (1 << 20):.1f} MiB, over the 1 MiB up to which" in text
    assert "a quote out of place or left open" in text and "split the ledger into files under 1 MiB" in text
    zh = " ".join(invoke(["validate"], cwd=root).output.split())
    assert "超过整体读取的上限 1 MiB" in zh and "拆成小于 1 MiB 的几个文件" in zh
    assert (root / "data" / "patents.csv").read_bytes() == before


def test_a_repeated_key_past_the_whole_read_cap_is_named_among_the_reasons(invoke, tmp_path, monkeypatch):
    """The duplicate check words both lines from every row: a ledger with a repeated key is read
    whole, and past that cap it is refused saying so."""
    root = project_with(tmp_path, duplicated(csv_bytes(rows(6000)))).source.parent
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1 << 19)
    monkeypatch.setattr(ledger, "MAX_LEDGER_BYTES", 1 << 20)
    result = invoke(["validate", "--lang", "en"], cwd=root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "a key that is empty or repeated" in " ".join(result.output.split())


def test_a_ledger_past_the_streamed_cap_is_refused_with_that_cap(invoke, tmp_path, monkeypatch):
    root = project_with(tmp_path, csv_bytes(rows(12000))).source.parent
    size = (root / "data" / "patents.csv").stat().st_size
    assert size > 2 << 20
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1 << 19)
    monkeypatch.setattr(ledger, "MAX_LEDGER_BYTES", 1 << 20)
    monkeypatch.setattr(ledger, "MAX_STREAMED_BYTES", 2 << 20)
    result = invoke(["validate", "--lang", "en"], cwd=root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert f"ledger data/patents.csv is {size / (1 << 20):.1f} MiB, over the limit of 2 MiB for any ledger" in text
    assert "Split it into files under 2 MiB" in text


def test_an_append_under_way_sends_the_ledger_to_the_whole_read(tmp_path, monkeypatch, small_pieces):
    """A torn append (its mark beside the ledger): only the committed bytes count, as the whole
    read (store.read_committed) cuts them."""
    from ipdemo.data import store

    committed = csv_bytes(rows(600))
    plan = project_with(tmp_path, committed)
    path = plan.ledger_path("patents")
    expected = as_compared(dataset.checked_ledger(plan, "patents"))
    torn = ",".join(patent("202199999999", "2021-03-03")[f] for f in FIELDS).encode()[:30]
    with open(path, "ab") as fh:
        fh.write(torn)
    st = os.stat(path)
    mark = store.Mark((st.st_dev, st.st_ino), len(committed), 200, "0" * 64)
    store.append_mark(path.resolve()).write_bytes(mark.as_bytes())
    assert dataset._streamed_now(plan, "patents", path) is None
    assert as_compared(dataset.checked_ledger(plan, "patents")) == expected


def test_the_caps_are_what_the_docs_say():
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "reliability.md").read_text(encoding="utf-8")
    caps = docs.split("## Input size caps", 1)[1].split("\n## ", 1)[0]
    assert "`MAX_STREAMED_BYTES`) | 8 GiB" in caps and ledger.MAX_STREAMED_BYTES == 8 << 30
    pieces = docs.split("## Cold checks of a big ledger", 1)[1].split("\n## ", 1)[0]
    assert "`STREAM_MIN_BYTES` (64 MiB)" in pieces and ledger.STREAM_MIN_BYTES == 64 << 20
    assert "pieces of ~4 MiB" in pieces and ledger.STREAM_PIECE == 4 << 20
    assert "~8 MiB from\n`BIG_LEDGER_BYTES`, 512 MiB, up" in pieces and ledger.BIG_LEDGER_BYTES == 512 << 20
    assert "tail (up to 64 MiB)" in pieces and dataset.MAX_TAIL_BYTES == 64 << 20


TITLE_TEXT = st.lists(st.sampled_from([*'一种装置ab ,"\n;', "\r\n", '""', "测试,"]), max_size=8).map("".join)


def written(titles: list[str], crlf: bool) -> bytes:
    """A patents ledger as csv.writer writes it, one patent per title."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n" if crlf else "\n")
    writer.writerow(FIELDS)
    for i, title in enumerate(titles):
        writer.writerow([{**patent(f"20211{i:07d}", "2021-07-01"), "title": title}[f] for f in FIELDS])
    return out.getvalue().encode("utf-8")


def both_reads(tmp_path_factory, monkeypatch, data: bytes, piece: int) -> tuple[dict, dataset.CheckedLedger | None]:
    """The whole read of `data` as a ledger (compared form), and its read in pieces of `piece`
    bytes (None: left to the whole read)."""
    plan = project_with(tmp_path_factory.mktemp("q"), data)
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    whole = as_compared(dataset.checked_ledger(plan, "patents"))
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(ledger, "STREAM_PIECE", piece)
    return whole, dataset._streamed_now(plan, "patents", plan.ledger_path("patents"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    titles=st.lists(TITLE_TEXT, min_size=3, max_size=60),
    crlf=st.booleans(),
    final_newline=st.booleans(),
    piece=st.integers(64, 2048),
)
def test_pieces_read_what_a_csv_writer_quotes_as_the_whole_read_does(
    tmp_path_factory, monkeypatch, titles, crlf, final_newline, piece
):
    """Any values a CSV writer quotes (commas, quotes, newlines, CRLF inside) and any cut of
    the pieces: read piece by piece, the same rows, lines and problems as the whole read."""
    data = written(titles, crlf)
    if not final_newline:
        data = data[: -len(b"\r\n" if crlf else b"\n")]
    whole, streamed = both_reads(tmp_path_factory, monkeypatch, data, piece)
    assert streamed is not None
    assert as_compared(streamed) == whole


def test_a_ledger_the_plan_compares_record_by_record_past_the_cap_is_refused_saying_why(invoke, tmp_path, monkeypatch):
    """`identify` (the same loan under two keys) needs every record at once: past the whole
    read's cap the message names that, not stray quotes to fix, and says to split it."""
    from .conftest import VALID_ROWS

    loans = [{**VALID_ROWS["pledge_loans"], "contract_no": f"WJZY2021-{i:05d}"} for i in range(3000)]
    root = make_project(tmp_path / "p", {"pledge_loans": loans})
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1 << 16)
    monkeypatch.setattr(ledger, "MAX_LEDGER_BYTES", 1 << 17)
    assert (root / "data" / "pledge_loans.csv").stat().st_size > 1 << 17
    result = invoke(["validate", "--lang", "en"], cwd=root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert "find the same record under two keys in it (identify)" in text and "Split it into ledgers" in text
    assert "stray quotes" not in text
    zh = " ".join(invoke(["validate"], cwd=root).output.split())
    assert "每条记录都要与其他记录比较" in zh and "按年度拆成小于" in zh


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.lists(st.sampled_from([b"\n", b"a", b'"', b"\r", "号".encode()]), max_size=40).map(b"".join),
    start=st.integers(-3, 70),
    end=st.one_of(st.none(), st.integers(0, 70)),
    block=st.integers(1, 9),
)
def test_newlines_counts_what_bytes_count_counts(monkeypatch, data, start, end, block):
    """records.newlines is bytes.count(b"\\n") (the reads' line numbers rest on it), over any
    bounds and across the blocks it compares at a time."""
    from ipdemo.data import records

    monkeypatch.setattr(records, "COUNT_BLOCK", block)  # set alike for every example
    if start < 0:  # the callers never pass a negative start; bytes.count would count from the end
        start = 0
    assert records.newlines(data, start, end) == data.count(b"\n", start, len(data) if end is None else end)
    assert records.newlines(memoryview(data), start) == data.count(b"\n", start)
