"""quantstats HTML tear sheets, rendered offline and quietly.

quantstats is the renderer, not the source of truth for our numbers (reports.metrics is). Traps
avoided (pitfalls.md §3): the benchmark is always a Series (a ticker string makes quantstats
download it, and offline it silently becomes zeros); dates are tz-naive; ``match_dates=False``
so a strategy's leading flat days are not trimmed; the matplotlib font warning spam is
silenced; ``output=`` is always given; the ``<title>`` is set to the run's name.
"""

from __future__ import annotations

import html
import logging
import re
import warnings
from pathlib import Path

import pandas as pd


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


def render(returns: pd.Series, path: Path, title: str, benchmark: pd.Series | None = None,
           assumptions: dict[str, str] | None = None) -> Path:
    """Write a tear sheet for daily ``returns`` (optionally against ``benchmark``) to ``path``.

    ``assumptions`` (fill timing, signal lag, price basis, costs, what cash earns) are shown
    under the title, so the page says how its numbers were made.
    """
    import matplotlib

    matplotlib.use("Agg")
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    with warnings.catch_warnings(), _bars_at_index_positions():
        warnings.simplefilter("ignore")
        import quantstats as qs

        rets = returns.astype("float64").copy()
        rets.index = pd.DatetimeIndex(rets.index).tz_localize(None)
        bench = None
        if benchmark is not None:
            bench = benchmark.reindex(rets.index).fillna(0.0).astype("float64")
            bench.name = benchmark.name or "Benchmark"
        qs.reports.html(rets, benchmark=bench, output=str(path), title=title, match_dates=False,
                        download_filename=path.name)
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", text, count=1, flags=re.S)
    text = re.sub(r'<link rel="shortcut icon"[^>]*>', "", text)  # the only resource fetched from the web
    text = text.replace('<body onload="save()">', "<body>")  # the template calls a function it never defines
    text = text.replace("\ufe6a", "%")  # quantstats writes CAGR with a small percent sign most fonts lack
    if assumptions:
        items = "".join(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in assumptions.items())
        block = f'<div class="r2k-assumptions"><b>How these numbers were made</b><ul>{items}</ul></div>'
        text = re.sub(r"(</h4>\s*<hr>)", lambda m: m.group(1) + block, text, count=1)
    path.write_text(text, encoding="utf-8")
    return path
