"""The short summary table ``r2k run`` prints: strategy beside benchmark, in percent."""

from __future__ import annotations

import textwrap

ROWS = [
    ("initial_cash", "Initial balance", "money"),
    ("contributed", "Contributed", "money"),
    ("withdrawn", "Withdrawn", "money"),
    ("depleted_on", "Depleted on", "depleted"),
    ("safe_withdrawal_rate", "Safe withdrawal rate", "pct"),
    ("perpetual_withdrawal_rate", "Perpetual withdrawal rate", "pct"),
    ("final_value", "Final balance", "money"),
    ("total_return", "Total return (time-weighted)", "pct"),
    ("cagr", "CAGR (time-weighted)", "pct"),
    ("xirr", "XIRR (money-weighted)", "pct"),
    ("volatility", "Volatility (annualised)", "pct"),
    ("sharpe", "Sharpe", "num"),
    ("sortino", "Sortino", "num"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("max_drawdown_month_end", "Max drawdown (month-end)", "pct"),
    ("best_year", "Best year", "pct"),
    ("worst_year", "Worst year", "pct"),
    ("trades", "Trades", "int"),
]


#: The --real block: the same numbers in dollars of the run's end month (reports.real).
REAL_ROWS = [
    ("initial_cash", "Initial balance", "money"),
    ("contributed", "Contributed", "money"),
    ("withdrawn", "Withdrawn", "money"),
    ("final_value", "Final balance", "money"),
    ("total_return", "Total return (time-weighted)", "pct"),
    ("cagr", "CAGR (time-weighted)", "pct"),
    ("xirr", "XIRR (money-weighted)", "pct"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("best_year", "Best year", "pct"),
    ("worst_year", "Worst year", "pct"),
]

#: Rows shown only when the run's metrics hold them (withdrawal plans, fixed-dollar ones for the rates).
OPTIONAL = ("xirr", "withdrawn", "depleted_on", "safe_withdrawal_rate", "perpetual_withdrawal_rate",
            "max_drawdown_month_end")


def _shown(key: str, m: dict) -> bool:
    if key == "depleted_on":
        return "withdrawn" in m
    return key not in OPTIONAL or key in m


def _fmt(value, kind: str) -> str:
    if kind == "depleted":
        return "survived" if value is None else str(value)
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "pct":
        return f"{100 * value:.2f}%"
    if kind == "int":
        return f"{int(value)}"
    return f"{value:.2f}"


def benchmark_metrics(result, basis: str = "daily") -> dict:
    """Metrics of the benchmark bought with the strategy's own deposits, fills and costs
    (``Result.benchmark_value``, made by the engine)."""
    from r2k.reports.metrics import summarize

    cash0 = float(result.cashflows["amount"].iloc[0])
    final = float(result.benchmark_value.iloc[-1])
    from r2k.reports.runfolder import started_from_zero, with_outcome, with_real

    equity = result.benchmark_value.to_frame("value")
    flows = getattr(result, "benchmark_cashflows", None)
    flows = result.cashflows if flows is None else flows
    m = summarize(result.benchmark, start=result.start, initial_cash=cash0, final_value=final,
                  cashflows=flows, trades=getattr(result, "benchmark_trades", None), equity=equity, basis=basis,
                  rf=result.rf)
    m = with_outcome(started_from_zero(m, result), getattr(result, "benchmark_outcome", None))
    from r2k.reports.metrics import positions_from_trades
    from r2k.reports.runfolder import with_exposure

    trades = getattr(result, "benchmark_trades", None)
    m = with_exposure(m, positions_from_trades(trades, result.benchmark_value.index), result.benchmark.index)
    return with_real(m, result, result.benchmark, result.benchmark_value, flows, basis)


def summary_frame(result):
    """The summary as a DataFrame: rows are ``ROWS``' labels, columns the result and its benchmark.

    Values are numbers (fractions, dollars), not text; ``format_summary`` is its printed form.
    """
    import pandas as pd

    m, bench = result.metrics, result.benchmark_metrics
    cols = {result.label or result.spec.strategy: m}
    if bench:
        cols[result.benchmark_label()] = {**bench, "trades": None}
    index = [label for key, label, _ in ROWS if _shown(key, m)]
    keys = [key for key, _, _ in ROWS if _shown(key, m)]
    data = {c: [v.get(k) for k in keys] for c, v in cols.items()}
    if m.get("real"):  # --real: the same numbers in dollars of the end month, labelled so
        real_keys = [key for key, _, _ in REAL_ROWS if key in m["real"]]
        index += [f"{label} (real, dollars of {m['real']['dollars_of']})" for key, label, _ in REAL_ROWS
                  if key in m["real"]]
        for c, v in cols.items():
            data[c] += [(v.get("real") or {}).get(k) for k in real_keys]
    return pd.DataFrame(data, index=index)


def _column_width(cols: list[str], label_w: int, width: int = 100) -> int:
    """Room per value column: the longest name when the table then fits ``width`` columns, else
    what fits (a long label such as ``portfolio IWM:50,CASH:50 $500/month band_relative=25`` is
    wrapped over several header lines instead of pushing every value onto a line of its own)."""
    room = (width - label_w - 2 * len(cols)) // max(1, len(cols))
    return max(18, min(room, max(len(c) for c in cols)))


def _header(cols: list[str], label_w: int, colw: int) -> list[str]:
    """The column names, right-aligned over their values, wrapped to ``colw`` and bottom-aligned."""
    heads = [textwrap.wrap(c, colw, break_on_hyphens=False) or [""] for c in cols]
    depth = max(len(h) for h in heads)
    heads = [[""] * (depth - len(h)) + h for h in heads]
    return [(" " * label_w + "  " + "  ".join(f"{h[k]:>{colw}}" for h in heads)).rstrip() for k in range(depth)]


def format_summary(result, bench: dict | None = None) -> str:
    """A plain-text table; percent only here, at display time."""
    m = result.metrics
    bench = bench if bench is not None else getattr(result, "benchmark_metrics", None)
    name = getattr(result, "label", "") or result.spec.strategy
    cols = [name] + ([result.benchmark_label()] if bench else [])
    width = max(len(label) for _, label, _ in ROWS)
    colw = _column_width(cols, width)
    lines = [f"{name} {m['start']}..{m['end']}  ({result.assumptions['fill']})"]
    lines += _header(cols, width, colw)
    for key, label, kind in ROWS:
        if not _shown(key, m):
            continue
        vals = [_fmt(m.get(key), kind)] + ([_fmt(bench.get(key), kind)] if bench else [])
        if key == "trades" and bench:
            vals[1] = "-"
        lines.append(f"{label:<{width}}  " + "  ".join(f"{v:>{colw}}" for v in vals))
    if m.get("max_drawdown_start"):
        lines.append(f"{'Max drawdown (peak -> trough)':<{width}}  {m['max_drawdown_start']} -> {m['max_drawdown_end']}")
    if m.get("max_drawdown_month_end_start"):
        lines.append(f"{'Month-end drawdown (peak -> trough)':<{width}}  {m['max_drawdown_month_end_start']} -> "
                     f"{m['max_drawdown_month_end_end']}")
    if m.get("real"):
        real_b = (bench or {}).get("real") if bench else None
        lines.append("")
        lines.append(f"In dollars of {m['real']['dollars_of']} (--real)")
        for key, label, kind in REAL_ROWS:
            if key in ("xirr", "withdrawn") and key not in m["real"]:
                continue
            vals = [_fmt(m["real"].get(key), kind)] + ([_fmt(real_b.get(key), kind)] if real_b else [])
            lines.append(f"{label:<{width}}  " + "  ".join(f"{v:>{colw}}" for v in vals))
        if result.assumptions.get("real"):
            lines.append(f"{result.assumptions['real'][0].upper()}{result.assumptions['real'][1:]}.")
    spec = result.spec
    if result.assumptions.get("deposits"):
        lines.append(f"Deposits: {result.assumptions['deposits']}.")
    if result.assumptions.get("withdrawals"):
        lines.append(f"Withdrawals: {result.assumptions['withdrawals']}.")
        if m.get("depleted_on"):
            lines.append(f"The account was depleted on {m['depleted_on']}.")
        if "safe_withdrawal_rate" in m:
            lines.append("Safe / perpetual withdrawal rate: the highest constant CPI-adjusted withdrawal, per year as % "
                         "of the starting balance, that never empties the account / that ends with at least the "
                         "CPI-adjusted starting balance, over this run's return path without withdrawals.")
    if bench and result.assumptions.get("benchmark"):
        lines.append(f"Benchmark: {result.assumptions['benchmark']}.")
    rf = spec.rf
    rf_txt = "the daily fed funds rate (DFF)" if rf == "DFF" else f"{100 * float(rf):g}% a year"
    lines.append(f"Stats basis: {m.get('stats_basis', 'daily')} returns; Sharpe/Sortino risk-free rate {rf_txt}.")
    a = result.assumptions
    lines.append(f"Prices: {a.get('prices', 'total-return adjusted')}.")
    lines.append(f"Signals: {a['signal_lag']}.")
    lines.append(f"Costs: {a['costs']}. Cash: {a['cash']}.")
    from r2k.reports.terminal import wrap_lines

    return "\n".join(wrap_lines(lines))  # fits a 100-column terminal
