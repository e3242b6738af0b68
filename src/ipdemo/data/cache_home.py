"""Where ipdemo keeps what it can always rebuild from the ledgers (the checked-ledger cache, the
key index): IPDEMO_CACHE_DIR, else $XDG_CACHE_HOME/ipdemo, else ~/.cache/ipdemo; None — keep
nothing — with IPDEMO_NO_CACHE set. Nothing there is ever the only copy of anything."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path | None:
    if os.environ.get("IPDEMO_NO_CACHE"):
        return None
    if os.environ.get("IPDEMO_CACHE_DIR"):
        return Path(os.environ["IPDEMO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ipdemo"
