"""The small-cap lab's result object: tables as DataFrames, notes, charts, and how they are written.

``save(folder)`` writes one CSV per table, ``result.json`` (every table, the notes, the settings),
the PNG charts and ``index.html`` showing them, all into a temporary folder renamed into place
(r2k.reports.runfolder.atomic_folder), which replaces an existing folder only when r2k wrote it
or it is empty.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from r2k.reports.terminal import WIDTH, wrap_lines

#: numeric columns shown as they are (counts, rates in percent points, p-values); other floats are fractions -> %
PLAIN = {"n", "days", "years", "p_value", "p_bh", "before", "after", "change", "recon_days", "horizon", "year"}
MARKER = "result.json"


def _fmt(col: str, v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, pd.Timestamp):
        return f"{v:%Y-%m-%d}"
    if isinstance(v, float):
        if col in PLAIN:
            return f"{v:.3f}" if col.startswith("p_") else f"{v:g}"
        return f"{100.0 * v:.2f}"
    return str(v)


def text_table(df: pd.DataFrame, title: str = "", width: int = WIDTH) -> str:
    """A padded plain-text table; fractions in percent with 2 decimals, blanks for missing values.

    Wider than ``width`` (a 100-column terminal), it is split into blocks of columns, each
    repeating the row keys (the first column, or the first two when a number is followed by a
    name: ``horizon, series``), since a row wrapped by the terminal is unreadable.
    """
    cols = [str(c) for c in df.columns]
    body = [[_fmt(c, v) for c, v in zip(cols, row, strict=True)] for row in df.itertuples(index=False)]
    widths = [max([len(c)] + [len(r[i]) for r in body]) for i, c in enumerate(cols)]
    num = [df[c].dtype.kind in "fiu" for c in df.columns]

    def block(idx: list[int], head: str) -> list[str]:
        def line(cells: list[str]) -> str:
            return "  ".join(cells[i].rjust(widths[i]) if num[i] else cells[i].ljust(widths[i]) for i in idx).rstrip()

        out = [head] if head else []
        return out + [line(cols), line(["-" * w for w in widths]), *(line(r) for r in body)]

    every = list(range(len(cols)))
    if not cols or sum(widths) + 2 * (len(cols) - 1) <= width:
        return "\n".join(block(every, title))
    keys = [0, 1] if len(cols) > 2 and num[0] and not num[1] else [0]
    used = sum(widths[i] for i in keys) + 2 * (len(keys) - 1)
    blocks, cur = [], []
    for i in every[len(keys):]:
        if cur and used + sum(widths[j] + 2 for j in cur) + widths[i] + 2 > width:
            blocks.append(cur)
            cur = []
        cur.append(i)
    blocks.append(cur)
    out: list[str] = []
    for n, cur in enumerate(blocks, 1):
        head = f"{title} (columns {n} of {len(blocks)})" if title else ""
        out += ([""] if out else []) + block(keys + cur, head)
    return "\n".join(out)


def _json_value(v):
    if v is None or v is pd.NaT or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return f"{v:%Y-%m-%d}"
    if isinstance(v, pd.Period):
        return str(v)
    if hasattr(v, "item"):
        return _json_value(v.item())
    return v


def records(df: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: fractions stay fractions, dates ISO, missing -> null."""
    return [{str(k): _json_value(v) for k, v in zip(df.columns, row, strict=True)} for row in df.itertuples(index=False)]


@dataclass
class LabResult:
    """A finished lab answer: named tables (fractions), notes that say how to read them, charts."""

    command: str
    title: str
    tables: dict[str, pd.DataFrame]
    notes: list[str]
    settings: dict = field(default_factory=dict)
    #: chart file name -> a function returning a matplotlib Figure (drawn only when saved)
    charts: dict[str, Callable[[], object]] = field(default_factory=dict)
    #: which tables the terminal shows, in order (default: all)
    shown: list[str] | None = None
    #: extra terminal-only views (narrower cuts of a table), shown after ``shown``
    views: dict[str, pd.DataFrame] = field(default_factory=dict)

    def text(self) -> str:
        """The terminal rendering: the shown tables, then the notes."""
        parts = [self.title, ""]
        items = [(n, self.tables[n]) for n in (self.shown or list(self.tables))] + list(self.views.items())
        for name, df in items:
            parts += [text_table(df, f"{name} (%)" if not df.empty else f"{name}: empty"), ""]
        parts += wrap_lines([f"note: {n}" for n in self.notes])  # fits a 100-column terminal
        return "\n".join(parts)

    def to_json(self) -> dict:
        return {"r2k": self.command, "title": self.title, "unit": "fractions (0.01 = 1 %)", "settings": self.settings,
                "notes": self.notes, "tables": {k: records(v) for k, v in self.tables.items()},
                "charts": list(self.charts)}

    def save(self, folder: str | Path) -> Path:
        """Write CSVs, result.json, PNG charts and index.html into ``folder``, atomically."""
        from r2k.reports.runfolder import atomic_folder

        target = Path(folder)

        def fill(tmp: Path) -> None:
            for name, df in self.tables.items():
                df.to_csv(tmp / f"{name}.csv", index=False, date_format="%Y-%m-%d")
            for fname, make in self.charts.items():
                save_png(make, tmp / fname)
            (tmp / "index.html").write_text(self.html(), encoding="utf-8")
            (tmp / MARKER).write_text(json.dumps(self.to_json(), indent=2, allow_nan=False) + "\n", encoding="utf-8")

        return atomic_folder(target, fill, kind=f"lab-{self.command}")

    def html(self) -> str:
        """A self-contained page (charts referenced beside it): title, charts, tables, notes."""
        esc = html.escape
        parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(self.title)}</title>",
                 "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;"
                 "font-size:13px;margin-bottom:1.5em}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
                 "th{background:#f0f0f0}td.t{text-align:left}img{max-width:100%}</style></head><body>",
                 f"<h1>{esc(self.title)}</h1>"]
        for fname in self.charts:
            parts.append(f"<p><img src='{esc(fname)}' alt='{esc(fname)}'></p>")
        for name, df in self.tables.items():
            parts.append(f"<h2>{esc(name)} <small>(percent unless stated; <a href='{esc(name)}.csv'>CSV</a>)</small></h2>")
            parts.append("<table><tr>" + "".join(f"<th>{esc(str(c))}</th>" for c in df.columns) + "</tr>")
            for row in df.itertuples(index=False):
                cells = []
                for c, v in zip(df.columns, row, strict=True):
                    cls = "" if isinstance(v, (int, float)) else " class='t'"
                    cells.append(f"<td{cls}>{esc(_fmt(str(c), v))}</td>")
                parts.append("<tr>" + "".join(cells) + "</tr>")
            parts.append("</table>")
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in self.notes) + "</ul></body></html>")
        return "\n".join(parts)


def save_png(make: Callable[[], object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = make()
    try:
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
