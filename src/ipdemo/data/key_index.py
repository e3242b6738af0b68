"""A ledger's key index: where each record's line lies, so an import finds the records it
updates without reading the ledger.

For a ledger as ipdemo writes it (the key in the leading columns, no quote in a key; a record
may span lines when a value holds a newline: data/records.py), the index holds for each record,
in file order, a 64-bit fingerprint of its key's bytes and its length in bytes (its last newline
included), called its line's below. A record's line starts where the lines before it end,
so a splice that changes some lines' lengths changes only their entries, and an append adds
entries at the end. It lives in the cache folder (`cache_home.cache_dir`, never beside the CSV,
none at all with IPDEMO_NO_CACHE), as three files per ledger file: `<prefix>-keys.fp` (uint64),
`<prefix>-keys.len` (uint32) and `<prefix>-keys.json` (what content it describes).

Invariants:
- An index is used only for the content it names: its sha256 is the ledger's verified sha256
  (the journal's, vouched for by the file's stamp: store.verified_sha256) and its size the file's
  size. Anything else (a hand edit, another plan's key, a torn update) and it is not used: the
  import scans the file (ledger.find_records), which builds a new one.
- A fingerprint only proposes: every proposed line is read and parsed, and its key compared with
  the wanted ones exactly. A key absent from the index is absent from the content it names; so
  the JSON also holds a checksum of the index's own data, and an index changed by anything but
  `save` (a disk error, a hand) is not used.
- An update writes the data files first (fsynced) and the JSON last (atomically): a crash in
  between leaves a JSON naming the content before, which no longer matches the ledger, so the
  index is not used, and the next import rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ipdemo.data import records

# 2: a key's fingerprint no longer depends on the longest key beside it; 3: a row of empty values
# (`,,`) is no record, as the whole read has it (issue 26 round 7): an index built before numbered
# the rows after one a row too high, so it is built again, once, by the next import's scan.
FORMAT = 3
MAX_KEY_BYTES = 128  # longer keys (or quoted ones) are not indexed: the scan finds them
_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))
_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)  # the first n bytes of a word


class NotIndexable(Exception):
    """The lines are not as ipdemo writes a ledger (a quoted or overlong key, a missing field)."""


def fingerprints(arr: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """A 64-bit fingerprint of each byte string arr[start : start + length] (length ≤ MAX_KEY_BYTES).
    The same bytes always give the same fingerprint, whatever else is fingerprinted with them;
    different bytes almost never do. Eight bytes of every string at a time (one gather per word,
    the bytes past its end masked off), and a string takes part only in its own words' rounds:
    a round over a word past its end would make its fingerprint depend on the longest string in
    the same call."""
    out = lengths.astype(np.uint64) * _MIX[0]
    if not len(starts):
        return out
    words = -(-int(lengths.max()) // 8)
    if words * 8 > MAX_KEY_BYTES:
        raise NotIndexable
    padded = np.concatenate([arr, np.zeros(8 * words, dtype=np.uint8)])  # words may run past the last byte
    eights = np.lib.stride_tricks.sliding_window_view(padded, 8)
    starts, lengths = starts.astype(np.int64), lengths.astype(np.int64)
    for word in range(words):
        active = lengths > 8 * word
        raw = np.ascontiguousarray(eights[starts + 8 * word]).view("<u8").ravel()
        mixed = (out ^ (raw & _LOW_BYTES[np.clip(lengths - 8 * word, 0, 8)])) * _MIX[1]
        out = np.where(active, mixed ^ (mixed >> np.uint64(31)), out)
    out *= _MIX[2]
    return out ^ (out >> np.uint64(29))


def key_fingerprints(prefixes: list[bytes]) -> np.ndarray:
    """The fingerprints of keys given as their bytes in the file (parts joined by commas)."""
    lengths = np.array([len(p) for p in prefixes], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    arr = np.frombuffer(b"".join(prefixes) or b"\0", dtype=np.uint8)
    return fingerprints(arr, starts, lengths)


def line_keys(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int, columns: int) -> np.ndarray:
    """The key fingerprints of the lines arr[start:end] (newline excluded): the bytes up to the
    `width`-th comma (the whole line when the ledger has only its key's columns)."""
    starts = starts.astype(np.int64)
    if columns == width or not len(starts):
        key_ends = ends.astype(np.int64)
    else:
        padded = np.concatenate([arr, np.zeros(MAX_KEY_BYTES + 1, dtype=np.uint8)])
        key_ends = starts - 1
        for _ in range(width):
            key_ends = _comma_after(padded, key_ends + 1, ends)
    if 34 in arr:  # a quote: is it in a key?
        quotes = np.flatnonzero(arr == 34)
        if (np.searchsorted(quotes, key_ends) > np.searchsorted(quotes, starts)).any():
            raise NotIndexable  # a quoted key: its bytes are not its value
    return fingerprints(arr, starts, key_ends - starts)


def _comma_after(padded: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Where the first comma at or after each start is: a short window first, a long one for the
    rest; a line whose next comma is past its end, or too far, is not indexable."""
    out = np.full(len(starts), -1, dtype=np.int64)
    todo = np.arange(len(starts))
    for span in (32, MAX_KEY_BYTES + 1):
        window = np.lib.stride_tricks.sliding_window_view(padded, span)[starts[todo]] == 44
        has = window.any(axis=1)
        out[todo[has]] = starts[todo[has]] + window[has].argmax(axis=1)
        todo = todo[~has]
        if not len(todo):
            break
    if len(todo) or (out >= ends).any():
        raise NotIndexable  # a line without its key's fields
    return out


@dataclass
class KeyIndex:
    """One ledger content's index: fingerprints and line lengths in file order, and where the
    first record starts (after the header)."""

    fp: np.ndarray  # uint64
    lengths: np.ndarray  # uint32, newline included
    first: int  # byte offset of the first record
    header: list[str]
    width: int  # the key's columns
    sha256: str = ""
    size: int = 0
    stored: int = -1  # rows whose entries are on disk as they are here (-1: none, write it whole)
    dirty: np.ndarray | None = None  # rows below `stored` whose length changed since it was loaded

    def starts(self, rows: np.ndarray) -> np.ndarray:
        ends = self.first + np.cumsum(self.lengths, dtype=np.int64)
        return ends[rows] - self.lengths[rows].astype(np.int64)

    def rows_with(self, wanted: np.ndarray) -> np.ndarray:
        """The rows whose fingerprint is one of `wanted` (sorted): candidates, to read and compare."""
        if not len(wanted) or not len(self.fp):
            return np.array([], dtype=np.int64)
        bits = min(24, max(16, int(len(wanted)).bit_length() + 8))  # ~256 times the wanted, at most 16 MB
        mask = np.uint64((1 << bits) - 1)
        table = np.zeros(1 << bits, dtype=bool)
        table[(wanted & mask).astype(np.intp)] = True
        maybe = np.flatnonzero(table[(self.fp & mask).astype(np.intp)])  # one gather a row, no sort
        at = np.minimum(np.searchsorted(wanted, self.fp[maybe]), len(wanted) - 1)
        return maybe[wanted[at] == self.fp[maybe]]

    def changed(self, rows: np.ndarray, lengths: list[int], fp: np.ndarray, added: list[int]) -> KeyIndex:
        """This index after a write that gave `rows` new line lengths and added lines at the end."""
        new_lengths = self.lengths.copy()
        new_lengths[rows] = np.asarray(lengths, dtype=np.uint32)
        dirty = np.asarray(rows, dtype=np.int64)
        return KeyIndex(
            np.concatenate([self.fp, np.asarray(fp, dtype=np.uint64)]),
            np.concatenate([new_lengths, np.asarray(added, dtype=np.uint32)]),
            self.first,
            self.header,
            self.width,
            stored=self.stored,
            dirty=dirty if self.dirty is None else np.union1d(self.dirty, dirty),
        )


def _files(folder: Path, ledger: Path) -> tuple[Path, Path, Path]:
    prefix = hashlib.sha256(str(Path(ledger).resolve()).encode()).hexdigest()[:16]
    return folder / f"{prefix}-keys.json", folder / f"{prefix}-keys.fp", folder / f"{prefix}-keys.len"


def load(folder: Path | None, ledger: Path, sha256: str, size: int, header: list[str], width: int) -> KeyIndex | None:
    """The index of this content (sha256, size) with this header and key width; None if there is
    none, or it names another content or is unreadable (never an error: the scan is the fallback)."""
    if folder is None:
        return None
    meta_path, fp_path, len_path = _files(folder, ledger)
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
        if (meta.get("format"), meta.get("sha256"), meta.get("size")) != (FORMAT, sha256, size):
            return None
        if meta.get("header") != header or meta.get("width") != width:
            return None
        rows = int(meta["rows"])
        fp = np.fromfile(fp_path, dtype="<u8", count=rows)
        lengths = np.fromfile(len_path, dtype="<u4", count=rows)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if len(fp) != rows or len(lengths) != rows or int(meta["first"]) + int(lengths.sum(dtype=np.int64)) != size:
        return None
    if meta.get("digest") != _digest(fp, lengths):
        return None  # changed since it was written (not by ipdemo): a missing key would pass as new
    return KeyIndex(fp, lengths, int(meta["first"]), header, width, sha256, size, stored=rows)


def save(folder: Path | None, ledger: Path, index: KeyIndex, sha256: str, size: int) -> None:
    """Write the index of the content (sha256, size); the data files first, the JSON last. A
    failure only costs the next import a scan: it is never an error."""
    if folder is None or index.first + int(index.lengths.sum(dtype=np.int64)) != size:
        return
    meta_path, fp_path, len_path = _files(folder, ledger)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        meta_path.unlink(missing_ok=True)  # the data files change next: no JSON may vouch for them meanwhile
        if index.stored >= 0 and fp_path.exists() and len_path.exists():
            _write_changes(index, fp_path, len_path)
        else:
            _write(fp_path, index.fp.astype("<u8", copy=False).tobytes())
            _write(len_path, index.lengths.astype("<u4", copy=False).tobytes())
        meta = {
            "format": FORMAT,
            "sha256": sha256,
            "size": size,
            "rows": len(index.fp),
            "first": index.first,
            "header": index.header,
            "width": index.width,
            "digest": _digest(index.fp, index.lengths),
            "ledger": str(Path(ledger).resolve()),
        }
        _write(meta_path, json.dumps(meta, ensure_ascii=False).encode("utf-8"))
    except OSError:
        return


def _digest(fp: np.ndarray, lengths: np.ndarray) -> str:
    """A check of the index's own data against damage (a disk error, an edit): CRC-32 of each
    file, as zip and PNG use (an eighth of sha256's time on 48 MB at 4M rows)."""
    first = zlib.crc32(fp.astype("<u8", copy=False).data)
    return f"{first:08x}{zlib.crc32(lengths.astype('<u4', copy=False).data):08x}"


def _write_changes(index: KeyIndex, fp_path: Path, len_path: Path) -> None:
    """Only what changed: the changed rows' lengths in place, the added rows at the end (an
    append-only import writes a few bytes per new row, not the index again)."""
    dirty = index.dirty if index.dirty is not None else np.array([], dtype=np.int64)
    dirty = dirty[dirty < index.stored]
    with open(len_path, "r+b") as fh:
        for row in dirty.tolist():
            fh.seek(row * 4)
            fh.write(index.lengths[row : row + 1].astype("<u4").tobytes())
        _put_tail(fh, index.lengths[index.stored :].astype("<u4").tobytes(), index.stored * 4)
    with open(fp_path, "r+b") as fh:
        _put_tail(fh, index.fp[index.stored :].astype("<u8").tobytes(), index.stored * 8)


def _put_tail(fh, data: bytes, at: int) -> None:
    fh.seek(at)
    fh.write(data)
    fh.truncate()
    fh.flush()
    os.fsync(fh.fileno())


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def build(data: bytes, first: int, header: list[str], width: int) -> KeyIndex | None:
    """The index of a whole content (as a ledger is written whole), or None when it is not
    records as ipdemo writes them (a carriage return, a blank line, a stray quote) or a key is not
    indexable. A record may span lines (a newline inside a quoted value): its entry is the record's."""
    if data.find(b"\r", first) >= 0:
        return None
    arr = np.frombuffer(data, dtype=np.uint8)
    fps, lengths, at, block = [], [], first, 1 << 26
    while at < len(arr):
        cut = records.records_end(data[at : at + block]) if at + block < len(arr) else len(arr) - at
        if not cut:
            return None
        piece = arr[at : at + cut]
        ends = records.ends(piece)
        if ends is None:
            return None
        if not len(ends) or ends[-1] != len(piece) - 1:
            ends = np.append(ends, len(piece))  # the last record without its newline
        starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
        if (starts >= ends).any():
            return None  # a blank line
        try:
            fps.append(line_keys(piece, starts, ends, width, len(header)))
        except NotIndexable:
            return None
        lengths.append((np.minimum(ends + 1, len(piece)) - starts).astype(np.uint32))
        at += len(piece)
    fp = np.concatenate(fps) if fps else np.array([], dtype=np.uint64)
    length = np.concatenate(lengths) if lengths else np.array([], dtype=np.uint32)
    return KeyIndex(fp, length, first, header, width)
