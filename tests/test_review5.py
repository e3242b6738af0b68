"""Review of round 5 (the piecewise read of quoted ledgers, read-only repeated columns): what a
piecewise read must give as the whole read does, on files found to break it."""

from __future__ import annotations

from ipdemo.data import ledger

from .test_cold_stream import csv_bytes, project_with, report, rows


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
