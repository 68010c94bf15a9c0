"""What ``r2k windows`` shows: the per-length table, the start-month x length heat map, a page.

Reads a finished WindowsResult (r2k.runner.windows_study); computes nothing new.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path


def _pct(v, digits: int = 1) -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return ""
    if x != x:
        return ""
    text = f"{100 * x:.{digits}f}%"
    return text[1:] if text.startswith("-") and float(text[:-1]) == 0 else text  # no "-0.0%"


def summary_rows(res) -> tuple[list[str], list[list[str]]]:
    """Header and text rows of the per-length table (shared by the terminal and the page)."""
    s = res.summary
    bench = "won" in s
    head = ["years", "windows"] + (["won", "median diff"] if bench else []) + ["median", "best", "best window",
                                                                              "worst", "worst window"]
    rows = []
    for r in s.to_dict("records"):
        line = [str(r["years"]), str(r["windows"])]
        if bench:
            line += [f"{100 * r['won']:.0f}%", _pct(r["median_difference"])]
        line += [_pct(r["median"]), _pct(r["best"]), f"{r['best_start']}..{r['best_end']}", _pct(r["worst"]),
                 f"{r['worst_start']}..{r['worst_end']}"]
        rows.append(line)
    return head, rows


def format_summary(res) -> str:
    """The terminal table: per holding length, the share won, the median, best and worst windows."""
    head, rows = summary_rows(res)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
    vs = f" vs {res.benchmark}" if res.benchmark else ""
    lines = [f"{res.label}{vs}: every start month, {res.first_base:%Y-%m-%d}..{res.last_end:%Y-%m-%d} "
             "(CAGR, time-weighted)",
             "  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    prose = [lines[0]]
    if res.benchmark:
        prose.append("won: share of windows whose CAGR beat the benchmark's (bought the same way); "
                     "median diff: strategy minus benchmark.")
    prose += [f"note: {n}" for n in res.notes]
    from r2k.reports.terminal import wrap_lines  # the sentences fit a 100-column terminal, as the table does

    return "\n".join([*wrap_lines(prose[:1]), *lines[1:], *wrap_lines(prose[1:])])


def heatmap(res, path: Path) -> Path:
    """Start month down, holding length across; the difference to the benchmark (or the CAGR
    without one) in diverging colours centred on 0. Uncovered windows stay blank."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.colors import TwoSlopeNorm

    what = "difference" if "difference" in res.cells else "strategy"
    table = res.cells.pivot(index="start", columns="years", values=what).sort_index()
    values = table.to_numpy() * 100.0
    finite = values[np.isfinite(values)]
    span = float(np.nanpercentile(np.abs(finite), 98)) if len(finite) else 1.0
    span = max(span, 0.5)
    fig, ax = plt.subplots(figsize=(min(0.42 * len(table.columns) + 3.5, 16), 9))
    im = ax.imshow(np.ma.masked_invalid(values), cmap="RdBu", aspect="auto", interpolation="nearest",
                   norm=TwoSlopeNorm(vcenter=0.0, vmin=-span, vmax=span))
    starts = list(table.index)
    ticks = [i for i, s in enumerate(starts) if s.endswith("-01")] or list(range(0, len(starts), 12))
    step = max(1, len(ticks) // 30)
    ax.set_yticks(ticks[::step], [starts[i][:4] for i in ticks[::step]])
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns], fontsize=8)
    ax.set_xlabel("holding length (years)")
    ax.set_ylabel("start (month; ticks at January)")
    vs = f" minus {res.benchmark}" if what == "difference" else ""
    ax.set_title(f"{res.label}: CAGR{vs}, every start month", fontsize=11)
    fig.colorbar(im, ax=ax, label=("CAGR difference (percentage points)" if what == "difference" else "CAGR (%)"),
                 extend="both")
    fig.text(0.01, 0.01, meaning(res), fontsize=8)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


#: What one cell of the heat map means, printed under it.
CELL_MEANING = ("One cell: the strategy's CAGR minus the benchmark's (time-weighted, percentage points) "
                "over the years across, starting at the month down.")


def meaning(res) -> str:
    if "difference" in res.cells:
        return CELL_MEANING
    return "One cell: the strategy's CAGR (time-weighted) over the years across, starting at the month down."


def page(res, png: bytes) -> str:
    """A self-contained HTML page: the heat map, the one-line meaning, the per-length table."""
    head, rows = summary_rows(res)
    vs = f" vs {html.escape(res.benchmark)}" if res.benchmark else ""
    table = "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    table += "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>"
    notes = "".join(f"<p class=note>{html.escape(n)}</p>" for n in res.notes)
    img = base64.b64encode(png).decode()
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>r2k windows: {html.escape(res.label)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}} table{{border-collapse:collapse}}
td,th{{padding:.2em .6em;text-align:right;border-bottom:1px solid #ddd}} .note{{color:#555}}</style></head><body>
<h1>{html.escape(res.label)}{vs}: every start month</h1>
<p>Windows from month end to month end, {res.first_base:%Y-%m-%d}..{res.last_end:%Y-%m-%d}. CAGR is time-weighted
(deposits are not gains); with contributions <code>windows.csv</code> also holds each side's XIRR.</p>
<img src="data:image/png;base64,{img}" alt="heat map" style="max-width:100%">
<p><b>{html.escape(meaning(res))}</b> Blank: the data does not cover that window.</p>
<h2>Per holding length</h2>{table}
<p class=note>History is one path: overlapping windows share most of their years, so 200 windows are not 200
independent trials, and a share won says what happened, not what will.</p>{notes}
</body></html>
"""


def section_html(res, png: bytes) -> str:
    """A ``<section>`` for another page (e.g. compare's optional "every start date" section):
    the heat map, its one-line meaning and the per-length table."""
    head, rows = summary_rows(res)
    table = "<table><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    table += "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table>"
    img = base64.b64encode(png).decode()
    return (f'<section class="windows"><h2>Every start date: {html.escape(res.label)}</h2>'
            f'<img src="data:image/png;base64,{img}" alt="heat map" style="max-width:100%">'
            f"<p><b>{html.escape(meaning(res))}</b> Blank: the data does not cover that window.</p>{table}</section>")


def write_windows(res, folder: Path) -> None:
    """windows.csv, summary.csv, heatmap.png and index.html into ``folder``."""
    cells = res.cells.copy()
    for c in ("base", "end"):
        cells[c] = cells[c].dt.strftime("%Y-%m-%d")
    cells.to_csv(folder / "windows.csv", index=False, float_format="%.10g")
    res.summary.to_csv(folder / "summary.csv", index=False, float_format="%.10g")
    png = heatmap(res, folder / "heatmap.png")
    (folder / "index.html").write_text(page(res, png.read_bytes()), encoding="utf-8")
