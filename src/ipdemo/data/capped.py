"""Read a file's bytes under size caps, incrementally, so no file can make us allocate without bound.

`path.read_bytes()` trusts the file: a FIFO, /dev/zero, a file that grows while it is read, or a
2 GB line is slurped whole before anything looks at it (a header and one 2 GB line through a FIFO
took 8.1 GB before the CSV parser refused it). `read_capped` reads in pieces and stops at the
first byte over a cap:

- `Limits.total`: bytes in all. A regular file over it is refused from its size, before a read;
  anything else (a pipe, a device, a file growing under us) when the pieces add up to more.
- `Limits.run`: the longest stretch of bytes without `Limits.separator` (a line, for b"\\n"),
  checked piece by piece as the bytes arrive, so one endless line stops at the cap too.
  None for binary formats, where newlines mean nothing.

The limits may depend on what the file is: pass a function of the first bytes (up to HEAD) and
it is called once they are in. Invariants: never more than `total` + one piece held; a refusal is a
FileTooLarge (an OSError, so callers that treat an unreadable file as missing still do), carrying
the cap and, for a long run, the 1-based line it starts on.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

MAX_LINE_BYTES = 16 << 20  # one line of a CSV, import or ledger: a record of MAX_COLUMNS ordinary fields is
# ~100 KB, one of a few MAX_FIELD_CHARS fields in Chinese ~12 MiB
MAX_FIELD_CHARS = 1 << 20  # one CSV field or web-page cell: 32 times Excel's 32,767-character cell (a
# patent's claims pasted whole fit); text values are checked at 2,000 anyway
PIECE = 1 << 22  # bytes asked for per read from a pipe or device (4 MiB)
FILE_PIECE = 1 << 26  # from a regular file (64 MiB): most files in one read, a huge line stops after one piece
HEAD = 1 << 16  # bytes a Limits function is shown


@dataclass(frozen=True)
class Limits:
    total: int  # most bytes the whole file may have
    run: int | None = None  # most bytes between two separators (a line); None: not checked
    separator: bytes = b"\n"


class FileTooLarge(OSError):
    """The file is over `limit` bytes in all (`line` None) or has a run over `limit` starting on `line`."""

    def __init__(self, limit: int, line: int | None = None):
        super().__init__(f"over {limit} bytes" + (f" from line {line}" if line is not None else ""))
        self.limit = limit
        self.line = line


def read_capped(path: Path | str, limits: Limits | Callable[[bytes], Limits]) -> bytes:
    """The file's bytes; FileTooLarge when a cap is passed (other OSErrors as read_bytes raises them)."""
    with open(path, "rb") as fh:
        info = os.fstat(fh.fileno())
        size = info.st_size if stat.S_ISREG(info.st_mode) else None  # a pipe or a device: unknown
        if isinstance(limits, Limits):
            pieces = _Pieces(limits, size)
        else:
            head = _read_up_to(fh, HEAD)
            pieces = _Pieces(limits(head), size)
            pieces.add(head)
        while piece := fh.read(pieces.wanted()):
            pieces.add(piece)
        return pieces.joined()


def _read_up_to(fh, wanted: int) -> bytes:
    """`wanted` bytes, fewer only at the end of the file (a pipe hands out what it has)."""
    parts, got = [], 0
    while got < wanted and (part := fh.read(wanted - got)):
        parts.append(part)
        got += len(part)
    return b"".join(parts)


class _Pieces:
    """The bytes read so far, checked against the limits piece by piece."""

    def __init__(self, limits: Limits, size: int | None):
        if size is not None and size > limits.total:
            raise FileTooLarge(limits.total)
        self.limits = limits
        self.size = size
        self.pieces: list[bytes] = []
        self.total = 0
        self.run = 0  # bytes since the last separator

    def wanted(self) -> int:
        """A regular file in pieces of FILE_PIECE (one read for most, as read_bytes does), plus one
        byte to see it grow; a pipe, a device or a file that grew in pieces of PIECE; never more
        than one byte over the cap."""
        left = self.limits.total + 1 - self.total
        if self.size is not None and self.total <= self.size:
            return min(self.size - self.total + 1, FILE_PIECE, left)
        return min(PIECE, left)

    def add(self, piece: bytes) -> None:
        self.pieces.append(piece)
        before, self.total = self.total, self.total + len(piece)
        if self.total > self.limits.total:
            raise FileTooLarge(self.limits.total)
        if self.limits.run is None:
            return
        self.run, over = long_run(piece, self.run, self.limits.run, self.limits.separator)
        if over is not None:
            start = before + over - self.limits.run  # where the run began, in the whole file
            raise FileTooLarge(self.limits.run, b"".join(self.pieces).count(b"\n", 0, start) + 1)

    def joined(self) -> bytes:
        data = self.pieces[0] if len(self.pieces) == 1 else b"".join(self.pieces)
        self.pieces = []
        return data


def long_run(piece: bytes, run: int, limit: int, separator: bytes = b"\n") -> tuple[int, int | None]:
    """(the run at the end of `piece`, the offset in `piece` where a run first exceeds `limit` or None).

    `run` is the length of the run the previous piece ended with. Cost: one search per `limit`
    bytes of the piece (a window of `limit` + 1 bytes without a separator is a run over it)."""
    size = len(piece)
    first = piece.find(separator)
    if first < 0:
        return run + size, (max(limit - run, 0) if run + size > limit else None)
    if run + first > limit:
        return run + first, max(limit - run, 0)
    start = first + len(separator)
    while size - start > limit:
        found = piece.rfind(separator, start, start + limit + len(separator))
        if found < 0:
            return size - start, start + limit
        start = found + len(separator)
    last = piece.rfind(separator)
    return size - last - len(separator), None
