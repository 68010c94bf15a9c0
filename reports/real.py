"""Real (inflation-adjusted) results: every dollar in dollars of the run's end month.

Convention (monthly CPI, FRED CPIAUCSL): a dollar on day t is worth ``CPI[base] / CPI[month of t]``
dollars of the base month, the base being the run's end month. So a balance, a deposit or a
withdrawal on day t is multiplied by that factor, and a daily time-weighted return becomes
``(1 + r_t) * f_t / f_{t-1} - 1``: only the first day of each month carries a month's
inflation (as Portfolio Visualizer, which works from monthly data, does). Every real metric is
then computed by the one metrics policy (r2k.reports.metrics.summarize) from those series.

This is reporting after the fact, so it uses each month's final CPI value even where it was
published after day t; decisions never see it (runner: CPI reaches a rule only after its
publication lag). Months the series lacks inside its range (October 2025: BLS published no
index for it) are interpolated geometrically between their neighbours; a run that ends after
the latest CPI month is stated in dollars of that month, and its later days use that month's CPI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from r2k.data.errors import DataError

#: The metrics reported in real terms (the rest of summarize's numbers are not shown as real).
REAL_KEYS = ("initial_cash", "contributed", "withdrawn", "final_value", "gain", "total_return", "cagr", "xirr",
             "max_drawdown", "max_drawdown_start", "max_drawdown_end", "best_year", "worst_year")


@dataclass(frozen=True)
class Deflator:
    """Multiply a day's dollars by ``factor`` to get dollars of ``base`` (a month)."""

    factor: pd.Series  # on the run's calendar
    month_cpi: pd.Series  # the CPI value used for each calendar day's month
    base: pd.Period
    notes: list[str] = field(default_factory=list)

    def how(self) -> str:
        """The line that says how the numbers were made real."""
        text = (f"real: in dollars of {self.base} (CPIAUCSL, monthly): a day's dollars times "
                f"CPI {self.base} / CPI of that day's month")
        return "; ".join([text, *self.notes])


def monthly_index(cpi: pd.Series, months: pd.PeriodIndex | None = None) -> tuple[pd.Series, list[str]]:
    """CPI by calendar month (PeriodIndex), gaps inside the range filled geometrically, with a note
    for each filled month among ``months`` (default: every filled month)."""
    s = cpi.dropna().astype(float)
    if s.empty:
        raise DataError("the CPI series (CPIAUCSL) is empty")
    s.index = pd.DatetimeIndex(s.index).to_period("M")
    s = s.groupby(level=0).last()
    full = pd.period_range(s.index[0], s.index[-1], freq="M")
    missing = full.difference(s.index)
    out = np.exp(np.log(s).reindex(full).interpolate(method="linear"))
    notes = []
    for m in missing:
        if months is not None and m not in months:
            continue
        why = " (BLS published no October 2025 index)" if str(m) == "2025-10" else ""
        notes.append(f"CPI has no {m} value{why}: it is interpolated geometrically between "
                     f"{m - 1} and {m + 1}")
    return out, notes


def deflator(cpi: pd.Series, calendar: pd.DatetimeIndex) -> Deflator:
    """The factors that turn each calendar day's dollars into dollars of the run's end month."""
    months = pd.DatetimeIndex(calendar).to_period("M")
    index, notes = monthly_index(cpi, months.unique())
    first, last = index.index[0], index.index[-1]
    if months[0] < first:
        raise DataError(f"CPI (CPIAUCSL) starts {first}, after the run's first month {months[0]}")
    end = months[-1]
    base = min(end, last)
    if end > last:
        notes.append(f"no CPI for {end} yet: dollars of {last}, the latest month, and days after it use its CPI")
    used = index.reindex([min(m, last) for m in months]).to_numpy()
    month_cpi = pd.Series(used, index=calendar, name="cpi")
    factor = pd.Series(float(index[base]) / used, index=calendar, name="factor")
    return Deflator(factor, month_cpi, base, notes)


def real_returns(returns: pd.Series, factor: pd.Series) -> pd.Series:
    """Daily time-weighted returns in real terms: ``(1 + r_t) * f_t / f_{t-1} - 1``."""
    f = factor.to_numpy(dtype=float)
    ratio = pd.Series(f[1:] / f[:-1], index=factor.index[1:])
    return ((1.0 + returns) * ratio.reindex(returns.index) - 1.0).rename(returns.name)


def real_flows(cashflows: pd.DataFrame, factor: pd.Series) -> pd.DataFrame:
    """The cash flows in dollars of the base month (each at its own day's factor)."""
    dates = pd.DatetimeIndex(pd.to_datetime(cashflows["date"]))
    amount = cashflows["amount"].astype(float).to_numpy() * factor.reindex(dates).to_numpy()
    return pd.DataFrame({"date": cashflows["date"].to_numpy(), "amount": amount})


def real_metrics(returns: pd.Series, value: pd.Series, cashflows: pd.DataFrame, d: Deflator, *,
                 basis: str = "daily") -> dict[str, Any]:
    """REAL_KEYS of ``summarize`` over the deflated returns, balances and flows, plus the base month."""
    from r2k.reports.metrics import summarize

    real_value = value.astype(float) * d.factor.reindex(value.index)
    flows = real_flows(cashflows, d.factor)
    m = summarize(real_returns(returns, d.factor), start=value.index[0], initial_cash=float(flows["amount"].iloc[0]),
                  final_value=float(real_value.iloc[-1]), cashflows=flows, equity=real_value.to_frame("value"),
                  basis=basis)
    out = {k: m[k] for k in REAL_KEYS if k in m}
    out["dollars_of"] = str(d.base)
    return out


def real_table(value: pd.Series, d: Deflator) -> pd.DataFrame:
    """date, the CPI month's value, the factor and the balance in base-month dollars (real.csv)."""
    return pd.DataFrame({"cpi": d.month_cpi, "factor": d.factor,
                         "value": value.astype(float) * d.factor.reindex(value.index)}).rename_axis("date")


def _cell(value: Any, kind: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "pct":
        return f"{100 * value:.2f}%"
    return str(value)


def section_html(real: pd.DataFrame, how: str | None) -> str:
    """The comparison page's 'in real dollars' section: one row per member (compare --real)."""
    import html

    cols = [("Initial balance", "initial_cash", "money"), ("Contributed", "contributed", "money"),
            ("Withdrawn", "withdrawn", "money"), ("Final balance", "final_value", "money"),
            ("CAGR (time-weighted)", "cagr", "pct"), ("XIRR (money-weighted)", "xirr", "pct"),
            ("Max drawdown", "max_drawdown", "pct"), ("Best year", "best_year", "pct"), ("Worst year", "worst_year", "pct")]
    cols = [c for c in cols if c[1] in real.columns]
    head = "".join(f"<th>{h}</th>" for h, _, _ in cols)
    rows = "".join(
        "<tr><td>" + html.escape(str(r["name"])) + "</td>"
        + "".join(f'<td class="n">{_cell(r.get(k), kind)}</td>' for _, k, kind in cols) + "</tr>"
        for r in real.to_dict("records"))
    base = html.escape(str(real["dollars_of"].iloc[0]))
    note = f'<p class="note">{html.escape(how)}.</p>' if how else ""
    return (f'<section id="real"><h2>In dollars of {base} (real, CPI-adjusted)</h2>'
            f'<table><thead><tr><th>Name</th>{head}</tr></thead><tbody>{rows}</tbody></table>{note}</section>')


def withdrawals_html(summary: pd.DataFrame) -> str:
    """The comparison page's withdrawal section: withdrawn, depletion date, safe/perpetual rates per row."""
    import html

    if "withdrawn" not in summary.columns or summary["withdrawn"].isna().all():
        return ""
    rows = []
    for r in summary.to_dict("records"):
        if r.get("withdrawn") is None or (isinstance(r.get("withdrawn"), float) and np.isnan(r["withdrawn"])):
            continue
        dep = r.get("depleted_on")
        dep = "survived" if dep is None or (isinstance(dep, float) and np.isnan(dep)) else str(dep)
        rows.append(f"<tr><td>{html.escape(str(r['name']))}</td><td class=\"n\">{_cell(r['withdrawn'], 'money')}</td>"
                    f"<td>{html.escape(dep)}</td><td class=\"n\">{_cell(r.get('safe_withdrawal_rate'), 'pct')}</td>"
                    f"<td class=\"n\">{_cell(r.get('perpetual_withdrawal_rate'), 'pct')}</td></tr>")
    return ('<section id="withdrawals"><h2>Withdrawals</h2><table><thead><tr><th>Name</th><th>Withdrawn</th>'
            '<th>Depleted on</th><th>Safe withdrawal rate</th><th>Perpetual withdrawal rate</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table><p class="note">Safe / perpetual: the highest constant '
            'CPI-adjusted withdrawal, per year as % of the starting balance, that never empties the account / that '
            'ends with at least the CPI-adjusted starting balance, over each run\'s return path without '
            'withdrawals (fixed-dollar plans).</p></section>')
