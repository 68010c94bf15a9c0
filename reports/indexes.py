"""Which small-cap fund? IWM, IJR, VTWO and ^RUT side by side over their common window.

All numbers are on the days every symbol traded (the common window). CAGR =
``(last / first) ** (365.25 / calendar days) - 1`` of the closes; volatility = sample stdev of
daily returns x sqrt(252); max drawdown = worst fall of the close from its running peak (base
included). Funds are total return (adjusted closes); ^RUT is a price index, so a fund's tracking
difference to it includes the dividends the index leaves out (about 1-1.5 % a year).

Yearly differences are each symbol's calendar-year return minus the first symbol's (years the
window does not fully cover are left out). The rolling 36-month difference is the annualised
return over the last 36 month-ends of each symbol minus the first's. The IWM-IJR gap is split
additively in log returns: ``sum log(1+r_IWM) - log(1+r_IJR)`` over the days of each year's
reconstitution window (rank day close -> reconstitution day close, as in
r2k.reports.seasonality) and over the rest of that year's days.

Tracking difference applies only to a fund that tracks the index: IWM and VTWO track the
Russell 2000; IJR tracks the S&P SmallCap 600 and gets none.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from r2k.reports import seasonality
from r2k.reports.tables import common_closes, expected_last_session

#: funds that track the Russell 2000 (the tracking difference to ^RUT applies to these only)
TRACKS_RUSSELL_2000 = frozenset({"IWM", "VTWO"})


def side_by_side(df: pd.DataFrame) -> pd.DataFrame:
    """CAGR, volatility and max drawdown of every column of common closes ``df``."""
    days = (df.index[-1] - df.index[0]).days
    rets = df.pct_change().iloc[1:]
    rows = []
    for s in df.columns:
        c = df[s].to_numpy(dtype=float)
        rows.append({"symbol": s, "basis": "price" if s.startswith("^") else "total return",
                     "cagr": (c[-1] / c[0]) ** (365.25 / days) - 1.0,
                     "volatility": float(rets[s].std(ddof=1) * math.sqrt(252)),
                     "max_drawdown": float(np.min(c / np.maximum.accumulate(c) - 1.0)),
                     "total_return": c[-1] / c[0] - 1.0})
    out = pd.DataFrame(rows)
    if "^RUT" in df.columns:
        rut = out.set_index("symbol").loc["^RUT", "cagr"]
        out["cagr_minus_rut"] = [c - rut if s in TRACKS_RUSSELL_2000 else math.nan
                                 for s, c in zip(out["symbol"], out["cagr"], strict=True)]
    return out


def yearly(df: pd.DataFrame) -> pd.DataFrame:
    """Calendar-year returns (complete years only), plus each symbol's difference to the first."""
    per = df.index.to_period("Y")
    ends = df.groupby(per).last()
    last_day = pd.Series(df.index, index=df.index).groupby(per).last()
    years = ends.index
    rows = []
    first = df.columns[0]
    for k in range(1, len(years)):
        y = years[k]
        if last_day[y] < expected_last_session(pd.Period(f"{y.year}-12", "M")):
            continue
        r = ends.iloc[k] / ends.iloc[k - 1] - 1.0
        row = {"year": y.year, **{s: r[s] for s in df.columns}}
        row.update({f"{s}-{first}": r[s] - r[first] for s in df.columns[1:]})
        rows.append(row)
    return pd.DataFrame(rows)


def rolling_36m(df: pd.DataFrame) -> pd.DataFrame:
    """At each month end: annualised 36-month return of each symbol minus the first symbol's."""
    me = df.groupby(df.index.to_period("M")).last()
    ann = (me / me.shift(36)) ** (1.0 / 3.0) - 1.0
    first = df.columns[0]
    out = pd.DataFrame({f"{s}-{first}": ann[s] - ann[first] for s in df.columns[1:]}).dropna(how="all")
    out.index = out.index.to_timestamp(how="end").normalize()
    out.index.name = "month_end"
    return out


def recon_gap(df: pd.DataFrame, a: str = "IWM", b: str = "IJR") -> pd.DataFrame:
    """Per year: the log-return gap a - b inside the reconstitution window and in the rest of the year."""
    lr = np.log(df[[a, b]]).diff().iloc[1:]
    gap = lr[a] - lr[b]
    idx = df.index
    rows = []
    for year in sorted(set(gap.index.year)):
        in_year = gap[gap.index.year == year]
        b_ = seasonality.window_bounds(idx, "rank day to reconstitution", year)
        if b_ is None or idx[-1] < expected_last_session(pd.Period(f"{year}-12", "M")) or idx[0].year == year:
            continue  # only complete years with the window inside the data
        i, j = b_
        inside = gap.loc[(gap.index > idx[i]) & (gap.index <= idx[j])]
        rows.append({"year": year, "recon_window": float(inside.sum()), "rest_of_year": float(in_year.sum() - inside.sum()),
                     "whole_year": float(in_year.sum()), "recon_days": len(inside)})
    return pd.DataFrame(rows)


def tracking(df: pd.DataFrame, index: str = "^RUT") -> pd.DataFrame:
    """Per complete year and overall: each Russell 2000 fund's return minus the index's (price) return."""
    funds = [s for s in df.columns if s in TRACKS_RUSSELL_2000]
    if index not in df.columns or not funds:
        return pd.DataFrame()
    y = yearly(df[[index, *funds]])
    out = pd.DataFrame({"year": y["year"]})
    for f in funds:
        out[f"{f} tracking difference"] = y[f] - y[index]
    return out


def analyze(closes: dict[str, pd.Series]) -> dict[str, pd.DataFrame]:
    """Every table of the page, on the symbols' common days."""
    df = common_closes(closes)
    out = {"summary": side_by_side(df), "yearly": yearly(df), "rolling_36m": rolling_36m(df).reset_index()}
    if {"IWM", "IJR"} <= set(df.columns):
        out["recon_gap"] = recon_gap(df)
    tr = tracking(df)
    if not tr.empty:
        out["tracking"] = tr
    return out
