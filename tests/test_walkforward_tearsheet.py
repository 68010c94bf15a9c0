"""The walk-forward tear sheet says what metrics.json says, names its columns, and does not call a
trend filter sitting in CASH "100 % in the market" (quantstats' count of non-zero return days)."""

import json
import math
import re

import numpy as np
import pandas as pd

from r2k.data.store import Meta, Store
from tests.util import invoke, put_prices, random_walk


def _metrics_table(page: str) -> tuple[list[str], dict[str, list[str]]]:
    table = page[page.find("Key Performance Metrics"):]
    table = table[: table.find("</table>")]
    heads = re.findall(r"<th>(.*?)</th>", table, flags=re.S)
    rows = {}
    for tr in re.findall(r"<tr><td>.*?</tr>", table, flags=re.S):
        cells = re.findall(r"<td>(.*?)</td>", tr, flags=re.S)
        rows[cells[0]] = cells
    return heads, rows


def test_walkforward_tearsheet_rows_are_metrics_json(tmp_path):
    st = Store(tmp_path / "home")
    put_prices(st, "IWM", random_walk(700, seed=21, start="2018-01-01", vol=0.02))
    days = pd.date_range("2017-12-01", "2021-12-31", freq="D", name="date").astype("datetime64[ns]")
    meta = Meta(name="DFF", kind="series", source="csv:test", fetched_at="2025-01-01T00:00:00+00:00", adjustment="",
                start="", end="", rows=0, sha256="")
    st.write("series", "DFF", pd.Series(2.0, index=days, name="DFF"), meta)
    out = tmp_path / "wf"
    res = invoke("walkforward", "trend-filter", "-g", "window=20,60", "--train", "1y", "--test", "6m", "--offline",
                 "--workers", "1", "--benchmark", "none", "--out", out, env={"R2K_HOME": str(st.root)})
    assert res.exit_code == 0, res.output
    page = (out / "tearsheet.html").read_text(encoding="utf-8")
    heads, rows = _metrics_table(page)
    name = "trend-filter walk-forward (out of sample)"
    assert name in heads and "in-sample best (hindsight)" in heads and "Strategy" not in heads
    col = heads.index(name)
    # independent: the stitched out-of-sample returns, compounded from the first test window's start
    oos = pd.read_csv(out / "oos_returns.csv", index_col="date", parse_dates=True)["return"]
    start = pd.Timestamp(pd.read_csv(out / "windows.csv")["train_end"].iloc[0])
    wealth = np.cumprod(1.0 + oos.to_numpy())
    years = (oos.index[-1] - start).days / 365.25
    cagr = wealth[-1] ** (1 / years) - 1
    sharpe = oos.mean() / oos.std(ddof=1) * math.sqrt(252)
    assert rows["Cumulative Return"][col] == f"{100 * (wealth[-1] - 1):.2f}%"
    assert rows["CAGR%"][col] == f"{100 * cagr:.2f}%"
    assert rows["Sharpe"][col] == f"{sharpe:.2f}"
    assert rows["Time in Market"][col] == "-"  # not quantstats' 100 %: CASH days are not "in the market"
    m = json.loads((out / "metrics.json").read_text())["out_of_sample"]
    assert rows["CAGR%"][col] == f"{100 * m['cagr']:.2f}%"
    assert "time in market is not known for test windows stitched together" in page
