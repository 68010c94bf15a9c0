"""What ``r2k simulate`` shows: percentiles, probabilities, the fan chart, a page.

Reads a finished SimulationResult (r2k.runner.simulation); computes nothing new.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

NAMES = {
    "final_balance": "Final balance", "final_balance_real": "Final balance (real)", "cagr": "CAGR (time-weighted)",
    "xirr": "XIRR (money-weighted)", "max_drawdown": "Max drawdown", "longest_under_water_years": "Longest under water",
    "benchmark_final_balance": "Benchmark final balance", "benchmark_cagr": "Benchmark CAGR",
}
MONEY = {"final_balance", "final_balance_real", "benchmark_final_balance"}


def _cell(metric: str, v) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return ""
    if x != x:
        return ""
    if metric in MONEY:
        return f"{x:,.0f}"
    if metric == "longest_under_water_years":
        return f"{x:.1f} y"
    return f"{100 * x:.2f}%"


def table_rows(res) -> tuple[list[str], list[list[str]]]:
    cols = [c for c in res.percentiles.columns if c.startswith("p")]
    head = ["", *[f"{c[1:]}%" for c in cols], "history", "history pct"]
    rows = []
    for metric, r in res.percentiles.iterrows():
        pct = r["history_percentile"]
        rows.append([NAMES.get(metric, metric), *[_cell(metric, r[c]) for c in cols], _cell(metric, r["history"]),
                     "" if pct != pct else f"{pct:.0f}"])
    return head, rows


def probability_lines(res) -> list[str]:
    p = res.probabilities
    out = []
    if p.get("beat_benchmark") is not None:
        out.append(f"P(final balance beats {res.benchmark}, same flows): {100 * p['beat_benchmark']:.1f}%")
    if p.get("loss") is not None:
        out.append(f"P(loss: final balance below the net money put in, {res.method['net_money_in']:,.0f}): "
                   f"{100 * p['loss']:.1f}%")
    if "depletion" in p:
        med = p.get("median_depletion_year")
        out.append(f"P(depletion: withdrawals empty the account): {100 * p['depletion']:.1f}%"
                   + (f", median in year {med:.1f}" if med is not None else ""))
    return out


def method_line(res) -> str:
    m = res.method
    return (f"{m['paths']:,} paths x {m['years']:.1f} years ({m['horizon_days']} trading days), stationary block "
            f"bootstrap of {m['history']} (mean block {m['block_months']:g} months = {m['mean_block_days']:.0f} days), "
            f"seed {m['seed']}; " + ("the rule re-run on synthetic prices of every asset" if m["resample"].startswith("assets")
                                     else "the realised daily returns resampled") + ", cash flows replayed")


def format_text(res) -> str:
    head, rows = table_rows(res)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    from r2k.reports.terminal import wrap_lines  # the sentences fit a 100-column terminal, as the table does

    lines = [*wrap_lines([f"{res.label}: {method_line(res)}"]), ""]
    lines.append("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths, strict=True))))
    lines += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
              for r in rows]
    lines.append("")
    lines += wrap_lines([*probability_lines(res),
                         "history pct: where the historical run over the same years falls among the paths (50 = median).",
                         *(f"note: {n}" for n in res.notes)])
    return "\n".join(lines)


def fan_chart(res, path: Path) -> Path:
    """Balance percentiles over time (5-95 and 25-75 bands, median), money put in, and history."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    f = res.fan
    x = f.index.to_numpy()
    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.fill_between(x, f["p5"], f["p95"], color="#9ecae1", alpha=0.6, label="5-95 %")
    ax.fill_between(x, f["p25"], f["p75"], color="#4292c6", alpha=0.6, label="25-75 %")
    ax.plot(x, f["p50"], color="#08306b", lw=2, label="median")
    if "benchmark_p50" in f:
        ax.plot(x, f["benchmark_p50"], color="#e6550d", lw=1.3, ls="--", label=f"{res.benchmark} median (same flows)")
    ax.plot(x, f["history"], color="black", lw=1, label="history")
    ax.plot(x, f["money_in"], color="#636363", lw=1, ls=":", label="money put in")
    ax.set_yscale("log")
    ax.set_xlabel("years from start")
    ax.set_ylabel("balance ($, log scale)")
    ax.set_title(f"{res.label}: {res.method['paths']:,} bootstrapped paths", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.text(0.01, 0.01, "Stationary block bootstrap of the run's own days; mean block "
             f"{res.method['block_months']:g} months, seed {res.method['seed']}. Not a forecast.", fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def decisions_words(res) -> str:
    if res.method["resample"].startswith("assets"):
        return "The rule decided again on every synthetic price history, so its decisions react to the path."
    return "The strategy's decisions are history's (its returns are resampled, not its rule re-run)."


def page(res, png: bytes) -> str:
    head, rows = table_rows(res)
    table = "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    table += "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>"
    probs = "".join(f"<li>{html.escape(line)}</li>" for line in probability_lines(res))
    notes = "".join(f"<p class=note>{html.escape(n)}</p>" for n in res.notes)
    img = base64.b64encode(png).decode()
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>r2k simulate: {html.escape(res.label)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}} table{{border-collapse:collapse}}
td,th{{padding:.2em .6em;text-align:right;border-bottom:1px solid #ddd}} td:first-child{{text-align:left}}
.note{{color:#555}}</style></head><body>
<h1>{html.escape(res.label)}: what could have happened</h1>
<p>{html.escape(method_line(res))}.</p>
<img src="data:image/png;base64,{img}" alt="fan chart" style="max-width:100%">
<h2>Percentiles</h2>{table}
<p class=note>history pct: where the historical run over the same years falls among the paths (50 = median).</p>
<ul>{probs}</ul>
<h2>Read with care</h2>
<p>The paths are rearrangements of one history's days: dependence shorter than a block is kept, longer regimes
and days that never happened are not. {html.escape(decisions_words(res))} This is the spread that history's own
days allow, not the odds of the future.</p>{notes}
</body></html>
"""


def section_html(res, png: bytes) -> str:
    """A ``<section>`` for another page (e.g. compare's optional "what could have happened"
    section): the method, the fan chart, the percentiles and the probabilities."""
    head, rows = table_rows(res)
    table = "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    table += "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>"
    probs = "".join(f"<li>{html.escape(line)}</li>" for line in probability_lines(res))
    img = base64.b64encode(png).decode()
    return (f'<section class="simulation"><h2>What could have happened: {html.escape(res.label)}</h2>'
            f"<p>{html.escape(method_line(res))}.</p>"
            f'<img src="data:image/png;base64,{img}" alt="fan chart" style="max-width:100%">{table}<ul>{probs}</ul>'
            f"<p class=note>{html.escape(decisions_words(res))} Not a forecast.</p></section>")


def write_simulation(res, folder: Path) -> None:
    (folder / "simulation.json").write_text(json.dumps({"method": res.method, "probabilities": res.probabilities,
                                                        "label": res.label, "benchmark": res.benchmark,
                                                        "notes": res.notes}, indent=2, default=str) + "\n")
    res.percentiles.to_csv(folder / "percentiles.csv", float_format="%.10g")
    res.paths.to_csv(folder / "paths.csv", float_format="%.10g")
    res.fan.to_csv(folder / "fan.csv", float_format="%.10g")
    png = fan_chart(res, folder / "fan.png")
    (folder / "index.html").write_text(page(res, png.read_bytes()), encoding="utf-8")
