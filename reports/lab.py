"""Assembling the small-cap lab's answers (LabResult) from loaded data; no loading, no CLI.

r2k.runner.lab loads closes and FRED series from the store and calls these; tests call them
with synthetic data or the raw CSVs.
"""

from __future__ import annotations

import pandas as pd

from r2k.data.errors import DataError
from r2k.reports import event_study as es
from r2k.reports import fed_events
from r2k.reports import indexes as idx_mod
from r2k.reports import seasonality as sea
from r2k.reports.lab_charts import bars_figure, event_paths_figure, lines_figure
from r2k.reports.lab_output import LabResult
from r2k.reports.tables import basis_note, common_closes

HINDSIGHT = ("recession_within_12m uses NBER's USREC, dated months to years after the fact: known only in "
             "hindsight, not something an investor knew at the event.")


def _pairs_note(pairs: list[tuple[str, str]]) -> str:
    return ("Spreads (small minus large): " + ", ".join(f"{a}-{b} = return of {a} minus return of {b}" for a, b in pairs)
            + "; hit rate of a spread = share of events where the small caps did better." if pairs else "")


def _summary_note(seed: int, n_boot: int) -> str:
    return (f"Summary per horizon: n events, mean, median, hit rate (share above 0), and a 95 % percentile bootstrap "
            f"interval for the mean ({n_boot} resamples of the events, seed {seed}); 'no conclusion' when it contains 0, "
            f"no verdict below {es.MIN_EVENTS} events. "
            f"With so few events the interval is wide: read it before the mean.")


def _blank_notes(long: pd.DataFrame, key: str) -> list[str]:
    blank = long[long["note"].astype(bool) & ~long["note"].str.startswith("blank:")]
    seen = {}
    for r in blank.itertuples():
        seen.setdefault((r.series, r.note), []).append(str(getattr(r, key)))
    return [f"blank: {s} {note} for {len(v)} window(s)" for (s, note), v in seen.items()]


def events_result(kind: str, closes: dict[str, pd.Series], *, target_old: pd.Series | None = None,
                  target_upper: pd.Series | None = None, usrec: pd.Series | None = None,
                  dates: list[tuple[str, pd.Timestamp]] | None = None, horizons: list[int] = (21, 65, 126, 252, 504),
                  pairs: list[tuple[str, str]] = (), hold_months: int = 6, seed: int = 0,
                  n_boot: int = es.N_BOOT) -> LabResult:
    """``kind``: fed-cuts, fed-hikes, recessions or dates (the user's ``dates``: (label, day) pairs)."""
    pairs = [p for p in pairs if p[0] in closes and p[1] in closes]
    horizons = list(horizons)
    syms = list(closes)
    notes = [basis_note(syms), _pairs_note(pairs)]
    settings = {"kind": kind, "symbols": syms, "pairs": [list(p) for p in pairs], "seed": seed, "n_boot": n_boot}
    if kind == "recessions":
        recs = fed_events.recessions(usrec)
        if recs.empty:
            raise DataError("USREC holds no complete recession")
        long = es.recession_returns(closes, recs, pairs)
        table = recs.assign(first_month=recs["first_month"].astype(str), final_month=recs["final_month"].astype(str))
        summary = es.summary_table(long, "period", seed, n_boot)
        wide = long.pivot_table(index="recession", columns=["series", "period"], values="return", sort=False, dropna=False)
        wide.columns = [f"{s} {p}" for s, p in wide.columns]
        wide = wide.reset_index()
        notes += ["Recessions: NBER's monthly USREC. 'during' = last close before the first recession month to the last "
                  "close of its final month; 'N months after' = from there to the last close of the Nth month after.",
                  "NBER dates recessions long after the fact: this is a description of history, not a signal.",
                  _summary_note(seed, n_boot), *_blank_notes(long, "recession")]
        settings["after_months"] = [6, 12]
        covered = {f"{a}-{b}": int(long[long["series"] == f"{a}-{b}"]["return"].notna().sum()) for a, b in pairs}
        first_pair = max(covered, key=covered.get) if covered else None  # the pair reaching furthest back
        charts = {}
        if first_pair:
            charts["recessions.png"] = lambda: bars_figure(
                wide, "recession", [c for c in wide.columns if c.startswith(first_pair + " ")],
                f"{first_pair}: small minus large through NBER recessions and after (no bar: no data)",
                "percentage points")
        return LabResult("events", "NBER recessions: small vs large caps (returns in %)",
                         {"recessions": table, "returns": long, "by_recession": wide, "summary": summary},
                         [n for n in notes if n], settings, charts, shown=["recessions"],
                         views={**_series_views(long, "recession", "period", list(table["first_month"] + ".." +
                                                                                   table["final_month"])),
                                "summary": summary})

    if kind in ("fed-cuts", "fed-hikes"):
        rate = fed_events.policy_rate(target_old, target_upper)
        moves = fed_events.first_moves(rate, "cut" if kind == "fed-cuts" else "hike", hold_months)
        if moves.empty:
            raise DataError(f"no {kind} found in the fed funds target")
        base_day = moves["announced"].fillna(moves["fred_date"])
        table = pd.DataFrame({"event": [f"{d:%Y-%m-%d}" for d in moves["fred_date"]], "fred_date": moves["fred_date"],
                              "announced": moves["announced"], "returns_from": base_day, "before": moves["before"],
                              "after": moves["after"], "change": moves["change"], "reason": moves["reason"]})
        what = "first cut" if kind == "fed-cuts" else "first hike"
        notes += [f"A {what}: a {what.split()[1]} whose previous change was a "
                  f"{'hike' if kind == 'fed-cuts' else 'cut'}, or after a hold of at least {hold_months} months "
                  "(fed funds target: DFEDTAR to 2008-12-15, then the upper bound DFEDTARU from 2008-12-16).",
                  fed_events.ANNOUNCEMENT_RULE,
                  "Returns start at the close of the 'returns_from' day (the announcement day, or the FRED date when "
                  "there is no announcement; the next close if it is not a trading day). before/after/change in percent."]
        settings["hold_months"] = hold_months
        title = f"After the Fed's {what}s: small vs large caps"
    elif kind == "dates":
        if not dates:
            raise DataError("the dates file holds no date")
        table = pd.DataFrame({"event": [lbl for lbl, _ in dates], "returns_from": [d for _, d in dates]})
        notes.append("Returns start at the close of each date (the next close if it is not a trading day).")
        title = "After your dates: returns by horizon"
    else:
        raise ValueError(kind)
    if usrec is not None:
        table["recession_within_12m"] = [fed_events.recession_within(usrec, d) for d in table["returns_from"]]
        notes.append(HINDSIGHT)
    starts = pd.Series(list(table["returns_from"]), index=list(table["event"]))
    long = es.event_returns(closes, starts, horizons, pairs)
    summary = es.summary_table(long, "horizon", seed, n_boot)
    wide = long.pivot_table(index="event", columns=["series", "horizon"], values="return", sort=False, dropna=False)
    wide.columns = [f"{s} {h}d" for s, h in wide.columns]
    wide = wide.reindex(list(table["event"])).reset_index()
    notes += [f"Horizons in trading days on each symbol's own calendar: {', '.join(map(str, horizons))}. Max drawdown "
              "is inside each window (table 'returns').", _summary_note(seed, n_boot), *_blank_notes(long, "event")]
    settings["horizons"] = horizons
    h_max = max(horizons)

    def chart():
        # the pair with the most events inside its data (^RUT-^GSPC reaches back to 1987, IWM-SPY to 2000)
        covered = {p: int(long[long["series"] == f"{p[0]}-{p[1]}"]["return"].notna().sum()) for p in pairs}
        best = max(pairs, key=lambda p: covered[p]) if pairs else None
        first = best[0] if best else syms[0]
        panels = {es.price_label(first): es.event_paths(closes[first], starts, h_max)}
        if best:
            a, b = best
            diff = es.event_paths(closes[a], starts, h_max) - es.event_paths(closes[b], starts, h_max)
            panels[f"{a}-{b} (difference of returns)"] = diff.dropna(axis=1, how="all")
        return event_paths_figure(panels, title)

    views = {**_series_views(long, "event", "horizon", list(table["event"])), "summary": summary}
    return LabResult("events", title, {"events": table, "returns": long, "by_event": wide, "summary": summary},
                     [n for n in notes if n], settings, {"events.png": chart}, shown=["events"], views=views)


def _series_views(long: pd.DataFrame, row: str, col: str, order: list[str]) -> dict[str, pd.DataFrame]:
    """Terminal views: one small table per series (rows = events, columns = horizons/periods), blank rows dropped."""
    views = {}
    for series in long["series"].unique():
        sub = long[long["series"] == series]
        v = sub.pivot_table(index=row, columns=col, values="return", sort=False, dropna=False).reindex(order)
        v = v.dropna(how="all")
        if col == "horizon":
            v.columns = [f"{h}d" for h in v.columns]
        v.columns = [str(c) for c in v.columns]
        views[f"{es.price_label(series)}"] = v.reset_index()
    return views


def seasonality_result(symbol: str, closes: pd.Series, bench_name: str | None = None, bench: pd.Series | None = None, *,
                       seed: int = 0, n_perm: int = sea.N_PERM) -> LabResult:
    """Month-of-year table, named windows per year, permutation p-values with Benjamini-Hochberg."""
    if bench is not None:
        both = common_closes({symbol: closes, bench_name: bench})
        closes, bench = both[symbol], both[bench_name]
    months = sea.month_table(closes, bench)
    summary, per_year = sea.window_tests(closes, bench, seed, n_perm)
    tables = {"months": months, "windows": summary}
    for name, df in per_year.items():
        tables["years_" + name.replace(" ", "_").replace("-", "_")] = df
    short = {"turn of the year": "Dec15-Jan", "May-Oct": "May-Oct", "Nov-Apr": "Nov-Apr",
             "rank day to reconstitution": "rank-recon", "2 months after reconstitution": "recon+2m"}
    by_year = pd.DataFrame({short[name]: df.set_index("year")["return"] for name, df in per_year.items()})
    if bench_name:
        by_year = by_year.join(pd.DataFrame({f"{short[name]} vs": df.set_index("year")["difference"]
                                             for name, df in per_year.items()}))
    by_year = by_year.sort_index()
    by_year.index.name = "year"
    tables["by_year"] = by_year.reset_index()
    syms = [symbol] + ([bench_name] if bench_name else [])
    first, last = closes.dropna().index[[0, -1]]
    notes = [basis_note(syms),
             f"Data {first:%Y-%m-%d}..{last:%Y-%m-%d}" + (" (common days of both)" if bench_name else "") + ".",
             "Months: last close of the month over the last close of the month before; incomplete months left out."
             + (f" rel_* = {symbol} month return minus {bench_name}'s." if bench_name else ""),
             "Windows: turn of the year = last close before Dec 15 to last close of Jan 31; May-Oct = last close of April "
             "to last close of October; Nov-Apr = last close of October to last close of April; "
             "'2 months after reconstitution' = reconstitution-day close to the last close of August. by_year: each "
             "window's return per year (Dec15-Jan, May-Oct, Nov-Apr, rank-recon, recon+2m)"
             + (f"; 'X vs' = minus {bench_name}'s over the same closes." if bench_name else "."),
             sea.RECON_RULE,
             f"p_value: two-sided permutation test of the mean window return against {n_perm} draws of windows of the "
             f"same length starting on random trading days of the same years (seed {seed}); p_bh = Benjamini-Hochberg "
             "adjusted across all rows of the windows table. A small p_bh is needed before calling an effect real."]
    title = f"Seasonality of {es.price_label(symbol)}" + (f" vs {es.price_label(bench_name)}" if bench_name else "")
    cols = ["mean"] + (["rel_mean"] if bench_name else [])
    wins = summary.pivot_table(index="window", columns="measure", values="mean", sort=False).reset_index()
    charts = {"months.png": lambda: bars_figure(months, "month", cols, f"{title}: mean return by calendar month",
                                                "mean return (%)"),
              "windows.png": lambda: bars_figure(wins, "window", [c for c in wins.columns if c != "window"],
                                                 f"{title}: mean return of each window over the years",
                                                 "mean return (%)")}
    return LabResult("seasonality", title, tables, notes, {"symbol": symbol, "benchmark": bench_name, "seed": seed,
                                                            "n_perm": n_perm}, charts, shown=["months", "windows", "by_year"])


def indexes_result(closes: dict[str, pd.Series]) -> LabResult:
    """The "which small-cap fund" page over the common window of ``closes``."""
    tables = idx_mod.analyze(closes)
    df = common_closes(closes)
    first, last = df.index[[0, -1]]
    syms = list(df.columns)
    notes = [basis_note(syms), f"Common window {first:%Y-%m-%d}..{last:%Y-%m-%d} (days all of {', '.join(syms)} traded).",
             "CAGR = (last/first)^(365.25/calendar days) - 1; volatility = sample stdev of daily returns x sqrt(252); "
             "max drawdown from the running peak of closes.",
             f"yearly: complete calendar years; X-{syms[0]} = difference of the yearly returns. rolling_36m: annualised "
             f"36-month return minus {syms[0]}'s at each month end."]
    if "recon_gap" in tables:
        notes.append("recon_gap: IWM minus IJR in log returns (sum of daily log-return differences), split into the "
                     "reconstitution window (rank-day close to reconstitution-day close) and the rest of the year. "
                     + sea.RECON_RULE)
    if "tracking" in tables:
        notes.append("cagr_minus_rut (summary) and tracking: CAGR / yearly return of each Russell 2000 fund "
                     "(IWM, VTWO; total return) minus ^RUT's (price return): it includes the dividends the price "
                     "index leaves out. IJR tracks the S&P SmallCap 600: no tracking difference to ^RUT.")
    growth = (df / df.iloc[0]).rename(columns=es.price_label)
    charts = {"growth.png": lambda: lines_figure(growth, f"Growth of $1, {first:%Y-%m-%d}..{last:%Y-%m-%d} (log scale)",
                                                 "growth of $1", log=True, pct=False)}
    if not tables["rolling_36m"].empty:
        rolling = tables["rolling_36m"].set_index("month_end")
        charts["rolling_36m.png"] = lambda: lines_figure(rolling, f"Rolling 36-month annualised return minus {syms[0]}'s",
                                                         "percentage points")
    return LabResult("indexes", f"Which small-cap fund? {', '.join(es.price_label(s) for s in syms)}", tables, notes,
                     {"symbols": syms, "start": f"{first:%Y-%m-%d}", "end": f"{last:%Y-%m-%d}"}, charts,
                     shown=[k for k in ("summary", "yearly", "recon_gap", "tracking") if k in tables])
