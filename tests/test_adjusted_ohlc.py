"""Adjusted OHLC computed on arrays (data/align.adjusted_ohlc) equals the same scaling written with
pandas Series here, bit for bit, on every price file of the real snapshot (as the store reads it)."""

import pandas as pd

from r2k.data import loader
from r2k.data.align import adjusted_ohlc
from r2k.data.store import Store
from tests.util import needs_real_data, real_data_dir

pytestmark = needs_real_data


def test_adjusted_ohlc_equals_pandas_scaling_on_every_snapshot_file(real_home):
    names = sorted(p.stem for p in (real_data_dir() / "prices").glob("*.csv"))
    assert len(names) >= 5
    store = Store(real_home)
    for name in names:
        frame = loader.get(name if name not in ("RUT", "GSPC", "IXIC", "VIX", "IRX") else f"^{name}", series=False,
                           store=store, offline=True, warn=None).data
        k = frame["adj_close"] / frame["close"]
        expect = pd.DataFrame({"open": frame["open"] * k, "high": frame["high"] * k, "low": frame["low"] * k,
                               "close": frame["adj_close"], "volume": frame["volume"]}, index=frame.index)
        pd.testing.assert_frame_equal(adjusted_ohlc(frame), expect, check_exact=True, check_freq=False)


def test_share_units_on_arrays_equal_the_pandas_reference(real_home):
    """runner.basis.share_units (arrays) == share_units_plain (pandas reindex + ffill), bit for bit,
    on every snapshot file over calendars that start before a file, hold days it lacks, and end after it."""
    import numpy as np

    from r2k.runner.basis import share_units, share_units_plain

    store = Store(real_home)
    calendars = [pd.bdate_range("1990-01-01", "2026-01-31"), pd.bdate_range("2005-06-01", "2010-05-28"),
                 pd.date_range("2020-01-01", "2020-12-31", freq="D")]
    for name in sorted(p.stem for p in (real_data_dir() / "prices").glob("*.csv")):
        sym = name if name not in ("RUT", "GSPC", "IXIC", "VIX", "IRX") else f"^{name}"
        frame = loader.get(sym, series=False, store=store, offline=True, warn=None).data
        holes = frame.copy()
        holes.iloc[5:9, holes.columns.get_loc("close")] = np.nan  # missing values are carried forward too
        for cal in calendars:
            for f in (frame, holes):
                got, want = share_units(f, pd.DatetimeIndex(cal)), share_units_plain(f, pd.DatetimeIndex(cal))
                assert got.dtype == want.dtype and np.array_equal(got, want), (name, cal[0])
