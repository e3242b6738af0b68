"""The cache's tests again, with every ledger read piece by piece (data/ledger.py read_pieces,
in pieces of a few rows) and every cached ledger matched or extended by a hash read piece by
piece (engine/dataset.py _known_by_hash): what they promise holds on both ways of reading."""

import pytest

from ipdemo.data import ledger

from .test_cache import *  # noqa: F403
from .test_cache_scale import *  # noqa: F403


@pytest.fixture(autouse=True)
def small_pieces(monkeypatch, request):
    monkeypatch.setattr(ledger, "STREAM_MIN_BYTES", 1)
    # The shipped ledgers (8 MB of patents) in 64 KiB pieces, still hundreds of them (2 KiB made
    # that one test 23 s of CI's 15 minutes); the tests' own ledgers in pieces of a few rows.
    shipped = request.node.name == "test_every_entry_is_no_larger_than_its_ledger"
    monkeypatch.setattr(ledger, "STREAM_PIECE", 1 << 16 if shipped else 2048)


# It spies on check_ledger_file, which only the whole read calls: its point (a cache that always
# misses fails the test above it) is the whole read's.
del test_the_cache_test_fails_when_the_cache_always_misses  # noqa: F821
