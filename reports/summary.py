"""The short summary table ``r2k run`` prints: strategy beside benchmark, in percent."""

from __future__ import annotations

import pandas as pd

ROWS = [
    ("initial_cash", "Initial balance", "money"),
    ("contributed", "Contributed", "money"),
    ("final_value", "Final balance", "money"),
    ("total_return", "Total return (time-weighted)", "pct"),
    ("cagr", "CAGR (time-weighted)", "pct"),
    ("xirr", "XIRR (money-weighted)", "pct"),
    ("volatility", "Volatility (annualised)", "pct"),
    ("sharpe", "Sharpe (rf 0)", "num"),
    ("sortino", "Sortino (rf 0)", "num"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("best_year", "Best year", "pct"),
    ("worst_year", "Worst year", "pct"),
    ("trades", "Trades", "int"),
]


def _fmt(value, kind: str) -> str:
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
    """Metrics of buying the benchmark with the same initial cash at the first close and holding it."""
    from r2k.reports.metrics import summarize

    b = result.benchmark
    cash0 = float(result.cashflows["amount"].iloc[0])
    final = cash0 * float((1 + b).prod())
    flows = pd.DataFrame({"date": [f"{result.start:%Y-%m-%d}"], "amount": [cash0]})
    return summarize(b, start=result.start, initial_cash=cash0, final_value=final, cashflows=flows, basis=basis)


def format_summary(result, bench: dict | None) -> str:
    """A plain-text table; percent only here, at display time."""
    m = result.metrics
    name = result.spec.strategy
    cols = [name] + ([f"{result.spec.benchmark} (buy & hold)"] if bench else [])
    lines = [f"{name} {m['start']}..{m['end']}  ({result.assumptions['fill']})"]
    width = max(len(label) for _, label, _ in ROWS)
    lines.append(" " * width + "  " + "  ".join(f"{c:>18}" for c in cols))
    for key, label, kind in ROWS:
        if key == "xirr" and "xirr" not in m:
            continue
        vals = [_fmt(m.get(key), kind)] + ([_fmt(bench.get(key), kind)] if bench else [])
        if key in ("contributed", "trades") and bench:
            vals[1] = "-" if key == "trades" else vals[1]
        lines.append(f"{label:<{width}}  " + "  ".join(f"{v:>18}" for v in vals))
    if m.get("max_drawdown_start"):
        lines.append(f"{'Max drawdown dates':<{width}}  {m['max_drawdown_start']} -> {m['max_drawdown_end']}")
    lines.append(f"Stats basis: {m.get('stats_basis', 'daily')} returns; prices total-return adjusted.")
    a = result.assumptions
    lines.append(f"Signals: {a['signal_lag']}.")
    lines.append(f"Costs: {a['costs']}. Cash: {a['cash']}.")
    return "\n".join(lines)
