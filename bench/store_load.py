"""Target 4 (issue 8): loading 10 symbols x 25 years from the store vs one Parquet file.

Ours: ``Store.read`` per symbol (Parquet read, checksum verified, metadata parsed). Floor: the
same rows of all 10 symbols in one Parquet file read with pyarrow into pandas. Target <= 5x.

    R2K_TEST_DATA=../shared/data python bench/store_load.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from common import median_time, real_store

SYMBOLS = ["IWM", "SPY", "QQQ", "TLT", "SHY", "IJR", "XLF", "XLK", "^RUT", "^GSPC"]


def main() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from r2k.data.store import Store

    real_store()
    store = Store()
    frames = {s: store.read("prices", s).data.loc["2000-06-01":"2025-09-26"] for s in SYMBOLS}
    for s, f in frames.items():  # rewrite each symbol with just the 25-year window, as the floor has
        meta = store.read_meta("prices", s)
        store.write("prices", s, f, meta)
    one = pd.concat(frames, names=["symbol", "date"]).reset_index()
    path = Path(tempfile.mkdtemp()) / "all.parquet"
    pq.write_table(pa.Table.from_pandas(one, preserve_index=False), path)
    rows = len(one)

    ours = median_time(lambda: [store.read("prices", s) for s in SYMBOLS], repeat=15)
    floor = median_time(lambda: pq.read_table(path).to_pandas(), repeat=15)
    print(f"{len(SYMBOLS)} symbols, {rows} rows")
    print(f"store (10 files, checksums verified): {ours * 1e3:8.2f} ms")
    print(f"one Parquet file via pyarrow:         {floor * 1e3:8.2f} ms")
    print(f"ratio {ours / floor:.2f} (target <= 5)")


if __name__ == "__main__":
    main()
