"""Review of round 5 (the piecewise read of quoted ledgers, read-only repeated columns): what a
piecewise read must give as the whole read does, on files found to break it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipdemo.data import ledger

from .test_cold_stream import as_compared, both_reads, csv_bytes, project_with, report, rows, written


def test_a_piece_of_only_blank_rows_reads_as_the_whole_read(invoke, tmp_path, monkeypatch):
    """Excel leaves rows of empty cells after the data: a piece holding only those has no rows
    (nor their dates), and the rows of all pieces still give the whole read's report."""
    trailing = b"," * 9 + b"\n"
    root = project_with(tmp_path, csv_bytes(rows(600)) + trailing * 600).source.parent
    monkeypatch.setenv("IPDEMO_NO_CACHE", "1")
    expected = report(invoke, root)
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
    monkeypatch.setattr(ledger, "STREAM_PIECE", 4096)
    assert report(invoke, root) == expected


TITLES = st.lists(st.sampled_from([*'一种ab ,"\n', "\r\n", '""', "测试,"]), max_size=6).map("".join)
STRAY = st.sampled_from([b'"', b'""', b'"""', b'\n"', b'"\n', b'",', b',"', b"\r", b"\n", b","])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    titles=st.lists(TITLES, min_size=2, max_size=30),
    crlf=st.booleans(),
    strays=st.lists(st.tuples(st.floats(0, 1), STRAY), max_size=3),
    piece=st.integers(8, 600),
)
def test_any_bytes_read_by_pieces_give_the_whole_read_or_go_to_it(
    tmp_path_factory, monkeypatch, titles, crlf, strays, piece
):
    """Quotes, newlines, commas and carriage returns put anywhere in a quoted ledger (a quote
    inside a value, one left open, a doubled one at a line's start, ...): the piecewise read
    gives exactly what the whole read gives, or leaves the ledger to it (None)."""
    data = written(titles, crlf)
    body = data.index(b"\n") + 1
    for where, stray in strays:
        at = body + int(where * (len(data) - body))
        data = data[:at] + stray + data[at:]
    whole, streamed = both_reads(tmp_path_factory, monkeypatch, data, piece)
    assert streamed is None or as_compared(streamed) == whole
