"""quantstats HTML tear sheets, rendered offline and quietly.

quantstats is the renderer, not the source of truth for our numbers (reports.metrics is). Traps
avoided (pitfalls.md §3): the benchmark is always a Series (a ticker string makes quantstats
download it, and offline it silently becomes zeros); dates are tz-naive; ``match_dates=False``
so a strategy's leading flat days are not trimmed; the matplotlib font warning spam is
silenced; ``output=`` is always given; the ``<title>`` is set to the run's name.
"""

from __future__ import annotations

import html
import importlib
import logging
import re
import sys
import types
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

#: The matplotlib backend the charts are drawn with (see reports/_tearsheet_backend.py).
BACKEND = "module://r2k.reports._tearsheet_backend"

#: Modules quantstats 0.0.86 imports at import time that an HTML tear sheet never touches:
#: yfinance (only its download helper uses it; our benchmark is always a Series) and IPython's
#: display (only its notebook reports use it). Together about 1.5 s of a cold import.
DEFERRED = ("yfinance", "IPython", "IPython.display")


class _Deferred(types.ModuleType):
    """Stands in for a module until something really uses it: the first attribute read imports
    the real module (and puts it in ``sys.modules``). ``display`` and ``HTML`` are read by
    quantstats' ``from IPython.display import ...`` at import time, so they are deferred too."""

    def __init__(self, name: str):
        super().__init__(name)
        self.__dict__["_real"] = None
        if name == "IPython.display":
            self.__dict__["display"] = lambda *a, **k: self._load().display(*a, **k)
            self.__dict__["HTML"] = lambda *a, **k: self._load().HTML(*a, **k)

    def _load(self) -> types.ModuleType:
        real = self.__dict__["_real"]
        if real is None:
            for name in DEFERRED:
                if isinstance(sys.modules.get(name), _Deferred):
                    del sys.modules[name]
            real = self.__dict__["_real"] = importlib.import_module(self.__name__)
        return real

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(self._load(), attr)


def import_quantstats():
    """``import quantstats`` without importing what a tear sheet does not use (see DEFERRED).

    The stand-ins leave ``sys.modules`` right after, so any later ``import yfinance`` (a data
    refresh) gets the real module; quantstats keeps its stand-in, which loads the real one if
    it is ever used. tests/test_tearsheet_fast.py checks the page is unchanged.
    """
    if "quantstats" in sys.modules:
        return sys.modules["quantstats"]
    placed = [name for name in DEFERRED if name not in sys.modules]
    for name in placed:
        sys.modules[name] = _Deferred(name)
    try:
        import quantstats
    finally:
        for name in placed:
            if isinstance(sys.modules.get(name), _Deferred):
                del sys.modules[name]
    return quantstats


def _bars_at_index_positions():
    """Context for the quantstats render: pandas bar plots put bar i at x=i, as quantstats expects.

    pandas 3 draws a bar plot of a time series with a frequency at the periods' ordinals (GH#1918:
    a year-end bar for 2019 at x=49, years since 1970). quantstats 0.0.86's "EOY Returns vs
    Benchmark" (``_plotting/core.py`` ``plot_returns_bars``: ``df.plot(kind="bar")`` on year-end
    resampled returns) then labels ticks 0..n-1 itself (``set_xticklabels`` / ``plt.xticks(arange(n))``),
    so each year's bars sat one label to the right (<= 10 years) or far right of all labels (more).
    ``x_compat`` is pandas' public switch back to positions 0..n-1. It only affects pandas' own
    ``.plot``, which the tear sheet uses for this one chart (the others call matplotlib or seaborn),
    and ``use`` restores the old value on exit. Checked by tests/test_tearsheet_eoy.py.
    """
    return pd.plotting.plot_params.use("x_compat", True)


@contextmanager
def _no_repeated_work():
    """Context for the quantstats render: skip work quantstats 0.0.86 repeats, with the same results.

    Three pure functions are short-cut for the length of one render (and put back on exit):

    - ``stats.drawdown_details`` runs a pandas quantile per drawdown period (hundreds over 20
      years), and the render asks for the strategy's three times (metrics table, worst-drawdowns
      table, drawdown-periods chart): each distinct series is now computed once. A DataFrame is
      done column by column, exactly as quantstats does it, so its columns share that cache;
    - ``utils.aggregate_returns`` (monthly/yearly compounding through a Python-level groupby apply)
      is asked for the same aggregation by several metrics (best, worst, win rate, averages, ...);
    - ``utils._prepare_benchmark`` (15 calls) compares ``set(period)`` with ``set(benchmark.index)``,
      building two sets of ~5,000 Timestamps each time, only to re-align a benchmark whose dates
      differ: ours is already on exactly the returns' dates, which ``Index.equals`` sees at once.

    The caches are keyed on the data's exact bytes (float64 values, dates, names) and hand every
    caller its own copy. Together about a quarter of a render's CPU; the written page is byte for
    byte the same (tests/test_tearsheet_fast.py). Functions a quantstats version lacks are left alone.
    """
    from quantstats import _compat, stats, utils

    details = getattr(stats, "drawdown_details", None)
    aggregate = getattr(utils, "aggregate_returns", None)
    prepare = getattr(utils, "_prepare_benchmark", None)
    concat = getattr(_compat, "safe_concat", None)
    details_cache: dict = {}
    aggregate_cache: dict = {}

    def drawdown_details(drawdown):
        if isinstance(drawdown, pd.DataFrame) and concat is not None:  # as quantstats: column by column
            return concat({col: drawdown_details(drawdown[col]) for col in drawdown.columns}, axis=1)
        key = _content_key(drawdown, named=False)  # a Series' result does not depend on its name
        if key is None:
            return details(drawdown)
        if key not in details_cache:
            details_cache[key] = details(drawdown)
        return details_cache[key].copy()

    def aggregate_returns(returns, period=None, compounded=True):
        key = _content_key(returns, named=True)
        if key is None or not (period is None or isinstance(period, str)):
            return aggregate(returns, period, compounded)
        key = (key, period, bool(compounded))
        if key not in aggregate_cache:
            aggregate_cache[key] = aggregate(returns, period, compounded)
        return aggregate_cache[key].copy()

    def prepare_benchmark(benchmark=None, period="max", rf=0.0, prepare_returns=True):
        if (isinstance(period, pd.DatetimeIndex) and isinstance(benchmark, pd.Series)
                and benchmark.index.equals(period)):
            period = "max"  # equal indexes, so equal sets: quantstats would not re-align it anyway
        return prepare(benchmark, period, rf, prepare_returns)

    patches = [(stats, "drawdown_details", details, drawdown_details),
               (utils, "aggregate_returns", aggregate, aggregate_returns),
               (utils, "_prepare_benchmark", prepare, prepare_benchmark)]
    patches = [p for p in patches if p[2] is not None]
    try:
        for mod, name, _, fast in patches:
            setattr(mod, name, fast)
        yield
    finally:
        for mod, name, original, _ in patches:
            setattr(mod, name, original)


def _content_key(x, *, named: bool) -> tuple | None:
    """Equal exactly when two float64 Series/DataFrames on a DatetimeIndex hold the same data (None: no key)."""
    if not isinstance(x, (pd.Series, pd.DataFrame)) or not isinstance(x.index, pd.DatetimeIndex):
        return None
    frame = x.to_frame() if isinstance(x, pd.Series) else x
    if not all(str(t) == "float64" for t in frame.dtypes):
        return None
    names = (x.name if isinstance(x, pd.Series) else tuple(x.columns)) if named else None
    try:
        hash(names)
    except TypeError:
        return None
    values = np.ascontiguousarray(frame.to_numpy(dtype="float64"))
    return (type(x).__name__, names, str(x.index.tz), x.index.asi8.tobytes(), values.shape, values.tobytes())


#: quantstats' metrics rows that r2k fills with its own numbers (reports.metrics), so the tear sheet
#: says what the summary and metrics.json say. Marked with MARK on the page.
OWN_ROWS = ("Risk-Free Rate", "Time in Market", "Cumulative Return", "CAGR%", "Sharpe", "Sortino",
            "Volatility (ann.)", "Max Drawdown", "Max DD Date", "Max DD Period Start", "Max DD Period End")
MARK = " *"


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.2f}%"


def _num(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def own_cells(metrics: dict, returns: pd.Series, rf_text: str) -> dict[str, str]:
    """quantstats row label -> r2k's value for one column (``metrics``: what metrics.json holds)."""
    from r2k.reports.metrics import max_drawdown

    recovery = max_drawdown(returns, metrics["start"])[3] if len(returns) else None
    return {
        "Risk-Free Rate": rf_text,
        "Time in Market": _pct(metrics.get("exposure")),
        "Cumulative Return": _pct(metrics.get("total_return")),
        "CAGR%": _pct(metrics.get("cagr")),
        "Sharpe": _num(metrics.get("sharpe")),
        "Sortino": _num(metrics.get("sortino")),
        "Volatility (ann.)": _pct(metrics.get("volatility")),
        "Max Drawdown": _pct(metrics.get("max_drawdown")),
        "Max DD Date": metrics.get("max_drawdown_end") or "-",
        "Max DD Period Start": metrics.get("max_drawdown_start") or "-",
        "Max DD Period End": f"{recovery:%Y-%m-%d}" if recovery is not None else "-",
    }


def own_numbers(result) -> dict:
    """``render``'s ``own``, ``qs_rf`` and ``numbers_note`` for a finished Result (duck-typed):
    the summary's numbers in the metrics table, quantstats' remaining rows on a stated rf."""
    rf = getattr(result, "rf", 0.0)
    if isinstance(rf, pd.Series):
        qs_rf = float((1.0 + rf.mean()) ** 252 - 1.0) if len(rf) else 0.0
        rf_text, qs_rf_text = "DFF (daily)", f"{100 * qs_rf:.2f}% a year (the window's average DFF)"
    else:
        qs_rf = float(rf)
        rf_text, qs_rf_text = f"{100 * qs_rf:g}%", f"{100 * qs_rf:g}% a year"
    own = {result.label or result.spec.strategy: own_cells(result.metrics, result.returns, rf_text)}
    bench_title = result.benchmark_label() if hasattr(result, "benchmark_label") else None
    if result.benchmark is not None and result.benchmark_metrics and bench_title:
        own[bench_title] = own_cells(result.benchmark_metrics, result.benchmark, rf_text)
    basis = result.metrics.get("stats_basis", "daily")
    note = (f"rows marked{MARK} ({', '.join(OWN_ROWS)}) are r2k's own numbers, the same as the summary and "
            f"metrics.json ({basis} returns; CAGR over calendar days / 365.25; Sharpe and Sortino with the run's "
            "risk-free rate; max drawdown from the peak, its dates peak, trough and recovery; time in market from "
            "the positions, days holding anything but cash). The other rows, tables and charts are quantstats' "
            f"own: a constant risk-free rate of {qs_rf_text}, years of 252 trading days, and drawdown tables "
            "that start on the first day below the peak, so they can differ")
    return {"own": own, "qs_rf": qs_rf, "numbers_note": note}


def _own_rows(text: str, own: dict[str, dict[str, str]]) -> str:
    """Put r2k's values into quantstats' "Key Performance Metrics" table, by column title and row label."""
    m = re.search(r"(<h3>Key Performance Metrics</h3>\s*<table>)(.*?)(</table>)", text, flags=re.S)
    if not m:
        return text
    table = m.group(2)
    heads = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", table.split("</thead>")[0], flags=re.S)]
    cols = {i: own[h] for i, h in enumerate(heads) if h in own}

    def row(r: re.Match) -> str:
        cells = re.findall(r"<td>(.*?)</td>", r.group(0), flags=re.S)
        label = html.unescape(cells[0]) if cells else ""
        if label not in OWN_ROWS or not cols:
            return r.group(0)
        for i, values in cols.items():
            if i < len(cells):
                cells[i] = html.escape(values[label])
        cells[0] = html.escape(label + MARK)
        return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"

    table = re.sub(r"<tr><td>.*?</tr>", row, table, flags=re.S)
    return text[: m.start(2)] + table + text[m.end(2):]


def render(returns: pd.Series, path: Path, title: str, benchmark: pd.Series | None = None,
           assumptions: dict[str, str] | None = None, strategy_title: str | None = None,
           benchmark_title: str | None = None, own: dict[str, dict[str, str]] | None = None,
           qs_rf: float = 0.0, numbers_note: str | None = None) -> Path:
    """Write a tear sheet for daily ``returns`` (optionally against ``benchmark``) to ``path``.

    ``strategy_title`` / ``benchmark_title`` name the two series in the page's tables and legends
    (the result's label and "SPY (same deposits)", never quantstats' "Strategy").

    ``assumptions`` (fill timing, signal lag, price basis, costs, what cash earns) are shown
    under the title, so the page says how its numbers were made.

    ``own`` (column title -> row label -> text, see ``own_numbers``) replaces quantstats' values
    in those metrics rows with r2k's, so the page and the summary agree; ``qs_rf`` is the annual
    risk-free rate quantstats uses for the rest, and ``numbers_note`` says which rows are whose.
    """
    import matplotlib

    matplotlib.use(BACKEND)  # Agg, minus a redundant redraw of every chart after it is saved
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with warnings.catch_warnings(), _bars_at_index_positions():
        warnings.simplefilter("ignore")
        qs = import_quantstats()

        rets = returns.astype("float64").copy()
        rets.index = pd.DatetimeIndex(rets.index).tz_localize(None)
        bench = None
        if benchmark is not None:
            bench = benchmark.reindex(rets.index).fillna(0.0).astype("float64")
            bench.name = benchmark.name or "Benchmark"
        with _no_repeated_work():
            names = {k: v for k, v in (("strategy_title", strategy_title), ("benchmark_title", benchmark_title)) if v}
            qs.reports.html(rets, benchmark=bench, rf=float(qs_rf), output=str(path), title=title, match_dates=False,
                            download_filename=path.name, **names)
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", text, count=1, flags=re.S)
    text = re.sub(r'<link rel="shortcut icon"[^>]*>', "", text)  # the only resource fetched from the web
    text = text.replace('<body onload="save()">', "<body>")  # the template calls a function it never defines
    text = text.replace("\ufe6a", "%")  # quantstats writes CAGR with a small percent sign most fonts lack
    if own:
        text = _own_rows(text, own)
    if numbers_note:
        assumptions = {**(assumptions or {}), "numbers": numbers_note}
    if assumptions:
        items = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in assumptions.items())
        block = f'<div class="r2k-assumptions"><b>How these numbers were made</b><ul>{items}</ul></div>'
        text = re.sub(r"(</h4>\s*<hr>)", lambda m: m.group(1) + block, text, count=1)
    path.write_text(text, encoding="utf-8")
    return path
