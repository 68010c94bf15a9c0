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
