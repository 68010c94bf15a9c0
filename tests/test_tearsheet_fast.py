"""The tear sheet's cheaper render writes exactly the page a plain quantstats render on Agg writes.

``tearsheet.render`` draws with an Agg canvas that skips pyplot's redraw after each save, and
short-cuts quantstats functions that the render calls repeatedly with the same data. Both must be
invisible: the same bytes (with matplotlib's SVG ids and dates pinned), the redundant work really
gone, and quantstats left as it was found.
"""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pandas as pd
import pytest

from r2k.reports import tearsheet


def _returns(start: str, end: str, seed: int, name: str) -> pd.Series:
    idx = pd.bdate_range(start, end)
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.0004, 0.012, len(idx)), index=idx, name=name)


def test_fast_render_writes_the_same_page_with_less_work(tmp_path, monkeypatch):
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from quantstats import stats, utils

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # the SVGs' <dc:date>
    rets = _returns("2009-01-02", "2024-12-31", 3, "returns")
    bench = _returns("2009-01-02", "2024-12-31", 4, "SPY")
    originals = (stats.drawdown_details, utils.aggregate_returns, utils._prepare_benchmark)

    draws, aggregations = [], []
    agg_draw, aggregate = FigureCanvasAgg.draw, utils.aggregate_returns

    def counting_draw(self, *args, **kwargs):
        draws.append(1)
        return agg_draw(self, *args, **kwargs)

    def counting_aggregate(*args, **kwargs):
        aggregations.append(1)
        return aggregate(*args, **kwargs)

    monkeypatch.setattr(FigureCanvasAgg, "draw", counting_draw)
    monkeypatch.setattr(utils, "aggregate_returns", counting_aggregate)

    def render(name: str) -> tuple[bytes, int, int]:
        draws.clear()
        aggregations.clear()
        with matplotlib.rc_context({"svg.hashsalt": "r2k-test"}):  # the SVGs' element ids
            path = tearsheet.render(rets, tmp_path / f"{name}.html", "same page", bench, {"Fill": "next open"})
        return path.read_bytes(), len(draws), len(aggregations)

    fast, fast_draws, fast_aggregations = render("fast")
    assert utils.aggregate_returns is counting_aggregate  # put back on exit
    monkeypatch.setattr(tearsheet, "BACKEND", "Agg")
    monkeypatch.setattr(tearsheet, "_no_repeated_work", nullcontext)
    plain, plain_draws, plain_aggregations = render("plain")

    assert fast == plain
    assert b"How these numbers were made" in fast and fast.count(b"<svg") >= 14
    assert plain_draws >= 14 and fast_draws <= 2  # pyplot.savefig's redraw after every chart is gone
    assert 0 < fast_aggregations < plain_aggregations  # repeated aggregations were served from the cache
    monkeypatch.undo()
    assert (stats.drawdown_details, utils.aggregate_returns, utils._prepare_benchmark) == originals


def test_content_key_tells_data_apart():
    a = _returns("2020-01-01", "2020-12-31", 1, "a")
    key = tearsheet._content_key
    assert key(a, named=True) == key(a.copy(), named=True)
    assert key(a, named=True) != key(a.rename("b"), named=True)
    assert key(a, named=False) == key(a.rename("b"), named=False)
    nudged = a.copy()
    nudged.iloc[100] += 1e-15
    assert key(nudged, named=True) != key(a, named=True)
    shifted = a.copy()
    shifted.index = shifted.index + pd.Timedelta(days=1)
    assert key(shifted, named=True) != key(a, named=True)
    frame = pd.DataFrame({"a": a, "b": a})
    assert key(frame, named=True) != key(frame.rename(columns={"b": "c"}), named=True)
    assert key(a.astype(object), named=True) is None  # no key, no caching: computed as usual
    assert key(a.reset_index(drop=True), named=True) is None


@pytest.mark.parametrize("period", ["month", "YE"])
def test_cached_aggregation_is_a_private_copy(period):
    from quantstats import utils

    a = _returns("2015-01-01", "2019-12-31", 2, "a")
    with tearsheet._no_repeated_work():
        first = utils.aggregate_returns(a, period, True)
        first.iloc[0] = 99.0  # a caller scribbling on its result
        second = utils.aggregate_returns(a, period, True)
    expected = utils.aggregate_returns(a, period, True)
    pd.testing.assert_series_equal(second, expected)


_RENDER = """
import sys, numpy as np, pandas as pd
if sys.argv[2] == "preload":
    import yfinance, IPython.display  # noqa: F401  (the plain import: the real modules)
import matplotlib
matplotlib.rcParams["svg.hashsalt"] = "r2k-test"  # the SVGs' element ids
from r2k.reports import tearsheet
idx = pd.bdate_range("2015-01-02", "2019-12-31")
rets = pd.Series(np.random.default_rng(5).normal(0.0004, 0.012, len(idx)), index=idx, name="returns")
bench = pd.Series(np.random.default_rng(6).normal(0.0003, 0.01, len(idx)), index=idx, name="SPY")
tearsheet.render(rets, __import__("pathlib").Path(sys.argv[1]), "t", benchmark=bench)
print("yfinance" in sys.modules, "IPython" in sys.modules)
"""


def test_tearsheet_imports_neither_yfinance_nor_ipython_and_writes_the_same_page(tmp_path):
    """Issue 18 point 3: quantstats imports yfinance and IPython at import time and an HTML tear
    sheet uses neither; the render leaves them unimported and writes the same bytes as with them."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
    pages = {}
    for mode in ("lazy", "preload"):
        out = subprocess.run([sys.executable, "-c", _RENDER, str(tmp_path / f"{mode}.html"), mode], env=env,
                             capture_output=True, text=True, check=True).stdout.split()
        assert out == (["False", "False"] if mode == "lazy" else ["True", "True"]), (mode, out)
        pages[mode] = (tmp_path / f"{mode}.html").read_text()
    assert pages["lazy"] == pages["preload"]
