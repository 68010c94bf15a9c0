"""The daily returns of every combination of a sweep, kept in its folder (``returns.bin``).

The overfitting statistics (reports/overfitting.py) need each trial's whole daily return series,
not just its summary row, and a resumed sweep must have them for the combinations an earlier run
computed. So every finished combination appends one record to ``returns.bin`` before its row goes
to ``results.csv``, flushed and fsynced like the row. A record is self-checking:

    b"R2KR" | key length (u2) | key (utf-8) | n (u4) | n dates (i4, days since 1970-01-01)
          | n returns (f8, little-endian) | CRC-32 of all the record's bytes before it (u4)

float64 as computed (a float32 copy would move the statistics by ~1e-8), 12 bytes a day: 231
combinations of 15 years take about 11 MB. A record torn by a crash fails its length or CRC and
is cut on the next open, like a torn row of results.csv; the combination is then recomputed. When
a key appears twice (recomputed after a torn row), the last record wins.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from r2k.runner.synced_file import SyncedAppends

MAGIC = b"R2KR"
FILE = "returns.bin"
_EPOCH = np.datetime64("1970-01-01", "D")


def _records(data: bytes):
    """(key, dates, values, end offset) of each complete, intact record, in file order."""
    pos = 0
    while pos + 6 <= len(data):
        start = pos
        if data[pos:pos + 4] != MAGIC:
            return
        (klen,) = struct.unpack_from("<H", data, pos + 4)
        pos += 6
        if pos + klen + 4 > len(data):
            return
        key = data[pos:pos + klen].decode("utf-8", "replace")
        pos += klen
        (n,) = struct.unpack_from("<I", data, pos)
        pos += 4
        end = pos + 12 * n + 4
        if end > len(data):
            return
        (crc,) = struct.unpack_from("<I", data, end - 4)
        if zlib.crc32(data[start:end - 4]) != crc:
            return
        days = np.frombuffer(data, dtype="<i4", count=n, offset=pos)
        values = np.frombuffer(data, dtype="<f8", count=n, offset=pos + 4 * n)
        yield key, days, values, end
        pos = end


def encode(key: str, returns: pd.Series) -> bytes:
    """One record of ``returns`` (a daily Series on a DatetimeIndex)."""
    k = key.encode("utf-8")
    days = (returns.index.values.astype("datetime64[D]") - _EPOCH).astype("<i4")
    values = np.ascontiguousarray(returns.to_numpy(dtype="float64"), dtype="<f8")
    body = MAGIC + struct.pack("<H", len(k)) + k + struct.pack("<I", len(values)) + days.tobytes() + values.tobytes()
    return body + struct.pack("<I", zlib.crc32(body))


def read_returns(folder: Path, keys=None) -> dict[str, pd.Series]:
    """Every stored combination's daily returns by key (only ``keys`` when given)."""
    path = Path(folder) / FILE
    if not path.is_file():
        return {}
    wanted = None if keys is None else set(keys)
    out: dict[str, pd.Series] = {}
    indexes: dict[bytes, pd.DatetimeIndex] = {}  # combinations of one window share their dates: one index
    for key, days, values, _ in _records(path.read_bytes()):
        if wanted is None or key in wanted:
            idx = indexes.get(days.tobytes())
            if idx is None:
                idx = indexes[days.tobytes()] = pd.DatetimeIndex(
                    (_EPOCH + days.astype("int64")).astype("datetime64[ns]"), name="date")
            out[key] = pd.Series(values.copy(), index=idx, name=key)
    return out


def stored_keys(folder: Path) -> set[str]:
    path = Path(folder) / FILE
    return {k for k, *_ in _records(path.read_bytes())} if path.is_file() else set()


class ReturnsJournal:
    """Appends one record per finished combination; opening it cuts a torn or corrupt tail."""

    def __init__(self, folder: Path):
        self.path = Path(folder) / FILE
        if self.path.is_file():
            data = self.path.read_bytes()
            good = 0
            for *_, end in _records(data):
                good = end
            if good != len(data):
                with self.path.open("r+b") as fh:
                    fh.truncate(good)
                    fh.flush()
                    os.fsync(fh.fileno())
        self.fh = self.path.open("ab")
        self._sync = SyncedAppends(self.fh)

    def append(self, key: str, returns: pd.Series) -> None:
        """Write and flush the record at once (a killed process loses nothing); fsync at most every
        half second, like the results journal (runner.synced_file)."""
        self.fh.write(encode(key, returns))
        self._sync.written()

    def close(self) -> None:
        self._sync.close()


def returns_matrix(series: dict[str, pd.Series], keys: list[str]) -> pd.DataFrame:
    """The given combinations' returns side by side on their common dates (dates x keys)."""
    first = series[keys[0]].index if keys else None
    if keys and all(series[k].index is first or series[k].index.equals(first) for k in keys):
        values = np.column_stack([series[k].to_numpy() for k in keys])  # one window: no alignment needed
        return pd.DataFrame(values, index=first, columns=list(keys)).sort_index()
    frame = pd.concat([series[k].rename(k) for k in keys], axis=1, join="inner")
    return frame.sort_index()
