"""The cache is never fsynced (engine/cache.py `_sink`): an entry a crash cut short — a segment
file shorter than written, or empty, as ext4 leaves a file renamed before its blocks reached the
disk — does not load; the report checks the ledger again, prints what it prints without a cache,
and writes the entry anew."""

from __future__ import annotations

import json

import pytest

from .conftest import make_project
from .helpers import ROWS


def _report(invoke, root) -> dict:
    result = invoke(["report", "--format", "json"], cwd=root)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("keep", [0.5, 0.0], ids=["half written", "empty"])
def test_an_entry_cut_short_is_checked_again_and_rebuilt(invoke, tmp_path, cached, monkeypatch, keep):
    from ipdemo.engine import dataset

    root = make_project(tmp_path / "p", ROWS)
    first = _report(invoke, root)
    rows = [p for p in cached.iterdir() if p.name.endswith(".arrow") and not p.name.endswith(".problems.arrow")]
    whole = {p: p.read_bytes() for p in rows}
    for path, data in whole.items():
        path.write_bytes(data[: int(len(data) * keep)])
    checked: list[str] = []
    real = dataset.check_ledger_file
    monkeypatch.setattr(dataset, "check_ledger_file", lambda *args: checked.append(args[1]) or real(*args))
    assert _report(invoke, root) == first
    assert "patents" in checked  # the cut entry was not served
    checked.clear()
    assert _report(invoke, root) == first
    assert checked == []  # and it was written anew
