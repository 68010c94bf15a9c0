"""Line and bar charts as inline SVG with their numbers beside them, for the compare page.

Each chart is one ``<figure>``: the SVG (drawn once per scale when the chart offers linear and
log), a legend of buttons, an empty tooltip box and a ``<script type="application/json">`` block
holding the dates and every series' values, which the page's one script
(:mod:`r2k.reports.chart_interact`) reads for hover values, legend toggles and the scale switch.
Without the script the page still shows every chart in its default scale. Nothing refers to the
network: no fonts, images, styles or scripts from elsewhere.

Why not matplotlib here: an interactive chart needs to know which mark is which series and where
each date sits; drawing the marks directly keeps that mapping exact and the page small.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from r2k.reports import chart_rules as rules

W, H = 1000, 360
LEFT, RIGHT, TOP, BOTTOM = 78, 16, 12, 34


@dataclass
class Series:
    """One line (or one colour of bars): its name, values on the chart's x, colour and style."""

    name: str
    values: np.ndarray
    color: str
    width: float = 1.4
    dash: str | None = None  # its own dash (money put in: dotted; the benchmark: dashed)
    step: bool = False  # drawn as steps (cumulative money put in)
    opacity: float = 0.9


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if math.isfinite(v) else "0"


def _json_values(v: np.ndarray, digits: int) -> list:
    v = np.asarray(v, dtype=float)
    return [x if x == x and abs(x) != math.inf else None for x in np.round(v, digits).tolist()]


def _tick_label(v: float, fmt: str) -> str:
    v = 0.0 if abs(v) < 1e-12 else v  # never "-0%"
    if fmt == "money":
        if abs(v) >= 1e6:
            return f"${v / 1e6:,.{0 if v % 1e6 == 0 else 1}f}M"
        return f"${v:,.0f}"
    if fmt in ("num", "count"):
        return f"{v:g}"
    if fmt == "mult":
        return f"{v:g}x"
    return f"{100 * v:.0f}%"


class _Scale:
    """Value -> pixel row, linear or log."""

    def __init__(self, lo: float, hi: float, log: bool):
        self.log = log
        if log:
            lo = max(lo, 1e-9)
            self.ticks = rules.log_ticks(lo, hi)
            self.lo, self.hi = min(lo, self.ticks[0]), max(hi, self.ticks[-1])
            self.a, self.b = math.log10(self.lo), math.log10(self.hi)
        else:
            self.ticks = rules.linear_ticks(lo, hi)
            self.lo, self.hi = self.ticks[0], self.ticks[-1]
            self.a, self.b = self.lo, self.hi
        if self.b <= self.a:
            self.b = self.a + 1.0

    def __call__(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                t = np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), np.nan)
        else:
            t = v
        return TOP + (self.b - t) / (self.b - self.a) * (H - TOP - BOTTOM)


def _nums(v: np.ndarray) -> list[str]:
    """:func:`_num` of every element, at list-comprehension speed (a chart has thousands of points)."""
    out = [f"{x:.1f}" for x in np.where(np.isfinite(v), v, 0.0).tolist()]
    return [t[:-2] if t.endswith(".0") else t for t in out]


def _path(px, py: np.ndarray, step: bool) -> str:
    """``M x y L x y ...``; a non-finite value breaks the line. ``px``: the x pixels, or their
    :func:`_nums` strings when several lines share them."""
    py = np.asarray(py, dtype=float)
    ok = np.isfinite(py).tolist()
    xs = px if isinstance(px, list) else _nums(np.asarray(px, dtype=float))
    ys = _nums(py)
    yv = py.tolist()
    parts, pen = [], False
    prev = None
    for i, good in enumerate(ok):
        if not good:
            pen, prev = False, None
            continue
        if step and pen and prev is not None and yv[i] != yv[prev]:
            parts.append(f"L{xs[i]} {ys[prev]}")
        parts.append(f"{'L' if pen else 'M'}{xs[i]} {ys[i]}")
        pen, prev = True, i
    return "".join(parts)


def _x_pixels(dates: pd.DatetimeIndex) -> np.ndarray:
    t = dates.asi8.astype(float)
    lo, hi = t[0], t[-1] if t[-1] > t[0] else t[0] + 86_400e9  # one date: a day wide (+1 ns is lost in a float)
    return LEFT + (t - lo) / (hi - lo) * (W - LEFT - RIGHT)


def _x_axis(dates: pd.DatetimeIndex, px: np.ndarray) -> str:
    years = rules.year_ticks(dates[0].year, dates[-1].year)
    out = []
    t = dates.asi8.astype(float)
    for y in years:
        ts = pd.Timestamp(y, 1, 1).as_unit("ns").value
        if ts < t[0] or ts > t[-1]:
            continue
        x = float(np.interp(ts, t, px))
        out.append(f'<line x1="{_num(x)}" y1="{H - BOTTOM}" x2="{_num(x)}" y2="{H - BOTTOM + 4}" stroke="#888"/>'
                   f'<text x="{_num(x)}" y="{H - BOTTOM + 17}" text-anchor="middle">{y}</text>')
    return "".join(out)


def _y_axis(scale: _Scale, fmt: str) -> str:
    out = []
    for v in scale.ticks:
        y = float(scale(np.array([v]))[0])
        out.append(f'<line x1="{LEFT}" y1="{_num(y)}" x2="{W - RIGHT}" y2="{_num(y)}" stroke="#e3e3e3"/>'
                   f'<text x="{LEFT - 6}" y="{_num(y + 4)}" text-anchor="end">{html.escape(_tick_label(v, fmt))}</text>')
    if not scale.log and scale.lo < 0 < scale.hi:
        y = float(scale(np.array([0.0]))[0])
        out.append(f'<line x1="{LEFT}" y1="{_num(y)}" x2="{W - RIGHT}" y2="{_num(y)}" stroke="#888"/>')
    return "".join(out)


def _legend(series: list[Series], notes: list[str]) -> str:
    items = []
    for i, (s, note) in enumerate(zip(series, notes, strict=True)):
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        swatch = (f'<svg width="26" height="10" aria-hidden="true"><line x1="1" y1="5" x2="25" y2="5" stroke="{s.color}" '
                  f'stroke-width="2.4"{dash}/></svg>')
        text = html.escape(s.name) + (f' <span class="same">({html.escape(note)})</span>' if note else "")
        items.append(f'<li><button type="button" data-s="{i}" aria-pressed="true" title="show or hide">{swatch}'
                     f"{text}</button></li>")
    return f'<ul class="legend">{"".join(items)}</ul>'


def _figure(chart_id: str, title: str, body: str, legend: str, data: dict, *, scale: str | None,
            log_default: bool = False) -> str:
    toggle = ""
    if scale == "both":
        checked = " checked" if log_default else ""
        toggle = f' <label class="logt"><input type="checkbox" class="logscale"{checked}> log scale</label>'
    attr = f' data-scale="{"log" if log_default else "lin"}"' if scale == "both" else ""
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return (f'<figure class="chart" id="{html.escape(chart_id)}"{attr}><figcaption>{html.escape(title)}{toggle}'
            f'</figcaption><div class="plot">{body}<div class="tip" hidden></div></div>{legend}'
            f'<script type="application/json" class="chart-data">{blob}</script></figure>')


def _bands(dates: pd.DatetimeIndex, px: np.ndarray, bands) -> str:
    """Shaded date ranges (e.g. drawdown periods) behind the lines."""
    t = dates.asi8.astype(float)
    out = []
    for lo, hi in bands or ():
        a = float(np.interp(pd.Timestamp(lo).as_unit("ns").value, t, px))
        b = float(np.interp(pd.Timestamp(hi).as_unit("ns").value, t, px))
        out.append(f'<rect x="{_num(a)}" y="{TOP}" width="{_num(max(b - a, 0.6))}" height="{H - TOP - BOTTOM}" '
                   'fill="#e8544e" fill-opacity="0.12"/>')
    return "".join(out)


def line_chart(chart_id: str, title: str, dates: pd.DatetimeIndex, series: list[Series], *, fmt: str,
               log_option: bool = False, log_default: bool | None = None, include_zero: bool = True,
               bands=None, axis: str | None = None) -> str:
    """A line chart of ``series`` (each on ``dates``); ``fmt`` is "money", "pct", "num" or "mult"
    (a growth multiple, 2.5x).

    With ``log_option`` it is drawn on a linear and a log axis and the page switches between them;
    ``log_default`` (default: :func:`chart_rules.default_log` of the values) picks the one it opens on.
    ``bands`` (pairs of dates) are shaded behind the lines. ``axis`` names a block written once by
    :func:`axis_block` for these ``dates``: the chart's data then refers to it instead of repeating
    every date and its pixel (a page of ten daily charts is a megabyte lighter).
    """
    dates = pd.DatetimeIndex(dates).as_unit("ns")  # the axis compares with nanosecond timestamps
    px = _x_pixels(dates)
    vals = [np.asarray(s.values, dtype=float) for s in series]
    finite = np.concatenate([v[np.isfinite(v)] for v in vals]) if vals else np.array([0.0])
    if not finite.size:  # nothing to draw yet (a rolling window longer than the run): an empty axis
        finite = np.array([0.0, 1.0 if fmt == "mult" else 0.01])
    lo, hi = float(finite.min()), float(finite.max())
    if include_zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if log_default is None:
        log_default = log_option and rules.default_log(vals)
    scales = {"lin": _Scale(lo, hi, False)}
    if log_option:
        pos = finite[finite > 0]
        scales["log"] = _Scale(float(pos.min()) if pos.size else 1.0, float(pos.max()) if pos.size else 10.0, True)
    notes = [""] * len(series)
    groups = []
    xs = _nums(px)
    for key, scale in scales.items():
        py = [scale(v) for v in vals]
        over = rules.overlaps(vals, None)
        near = rules.overlaps([np.round(p, 6) for p in py], 0.5)
        marks = []
        for i, s in enumerate(series):
            o = over[i] if over[i].same_as is not None else near[i]
            if o.same_as is not None and not notes[i]:
                notes[i] = f"same as {series[o.same_as].name}" if o.exact else f"overlaps {series[o.same_as].name}"
            dash = o.dash if o.same_as is not None else s.dash
            y = py[i] - o.offset
            d = _path(xs, y, s.step)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            marks.append(f'<path class="s" data-s="{i}" d="{d}" fill="none" stroke="{s.color}" '
                         f'stroke-width="{s.width}" stroke-opacity="{s.opacity}"{dash_attr}/>')
        cls = f"scale-{key}" if log_option else ""
        groups.append(f'<g class="{cls}">{_y_axis(scale, fmt)}{"".join(marks)}</g>')
    body = (f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{html.escape(title)}" font-size="11" fill="#333">'
            f'{_bands(dates, px, bands)}{"".join(groups)}<g>{_x_axis(dates, px)}</g>'
            f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="#888"/>'
            f'<line class="guide" x1="0" y1="{TOP}" x2="0" y2="{H - BOTTOM}" stroke="#999" visibility="hidden"/></svg>')
    digits = 6 if fmt == "pct" else 4 if fmt in ("num", "mult") else 2
    data = {"fmt": fmt, **({"xref": axis} if axis else _axis_data(dates)),
            "series": [{"name": s.name, "y": _json_values(v, digits)} for s, v in zip(series, vals, strict=True)]}
    return _figure(chart_id, title, body, _legend(series, notes), data, scale="both" if log_option else None,
                   log_default=bool(log_default))


def _axis_data(dates: pd.DatetimeIndex) -> dict:
    dates = pd.DatetimeIndex(dates).as_unit("ns")
    return {"x": np.datetime_as_string(dates.values, unit="D").tolist(), "px": np.round(_x_pixels(dates), 2).tolist()}


def axis_block(axis: str, dates: pd.DatetimeIndex) -> str:
    """The dates and x pixels that every ``line_chart(..., axis=axis)`` on these ``dates`` shares."""
    blob = json.dumps(_axis_data(dates), separators=(",", ":")).replace("</", "<\\/")
    return f'<script type="application/json" class="chart-axis" id="{html.escape(axis)}">{blob}</script>'


def bar_chart(chart_id: str, title: str, labels: list[str], series: list[Series], *, fmt: str = "pct",
              partial: set[str] | None = None) -> str:
    """Grouped bars: one group per label (a year), one bar per series; missing values leave a gap.
    Labels in ``partial`` are marked with ``*`` (a year the window covers only in part)."""
    n, k = len(labels), max(len(series), 1)
    vals = [np.asarray(s.values, dtype=float) for s in series]
    finite = np.concatenate([v[np.isfinite(v)] for v in vals] + [np.array([0.0])])
    scale = _Scale(min(float(finite.min()), 0.0), max(float(finite.max()), 0.0), False)
    slot = (W - LEFT - RIGHT) / max(n, 1)
    bar = slot * 0.8 / k
    centers = [LEFT + slot * (g + 0.5) for g in range(n)]
    zero = float(scale(np.array([0.0]))[0])
    marks = []
    for i, (s, v) in enumerate(zip(series, vals, strict=True)):
        for g in range(n):
            if not math.isfinite(v[g]):
                continue
            x = centers[g] - slot * 0.4 + i * bar
            y = float(scale(np.array([v[g]]))[0])
            top, height = min(y, zero), max(abs(zero - y), 0.6)
            marks.append(f'<rect class="s" data-s="{i}" x="{_num(x)}" y="{_num(top)}" width="{_num(max(bar - 0.6, 0.6))}" '
                         f'height="{_num(height)}" fill="{s.color}"/>')
    partial = partial or set()
    step = max(1, math.ceil(n / 25))
    xlabels = "".join(
        f'<text x="{_num(c)}" y="{H - BOTTOM + 17}" text-anchor="middle">{html.escape(lab)}'
        f'{"*" if lab in partial else ""}</text>'
        for g, (c, lab) in enumerate(zip(centers, labels, strict=True)) if g % step == 0)
    body = (f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{html.escape(title)}" font-size="11" fill="#333">'
            f'<g>{_y_axis(scale, fmt)}</g><g>{"".join(marks)}</g><g>{xlabels}</g>'
            f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="#888"/>'
            f'<line class="guide" x1="0" y1="{TOP}" x2="0" y2="{H - BOTTOM}" stroke="#999" visibility="hidden"/></svg>')
    data = {"fmt": fmt, "x": list(labels), "px": [round(c, 2) for c in centers],
            "series": [{"name": s.name, "y": _json_values(v, 6)} for s, v in zip(series, vals, strict=True)]}
    return _figure(chart_id, title, body, _legend(series, [""] * len(series)), data, scale=None)


def box_chart(chart_id: str, title: str, groups: list[tuple[str, np.ndarray]], color: str) -> str:
    """One box per group (e.g. daily, weekly, ... returns): the box from the 25th to the 75th
    percentile with the median across it, whiskers to the lowest and highest value. The hover box
    reads the five numbers of the group under the pointer."""
    labels = [g for g, _ in groups]
    stats = np.array([np.quantile(np.asarray(v, dtype=float), [0, 0.25, 0.5, 0.75, 1]) if len(v) else [np.nan] * 5
                      for _, v in groups], dtype=float).reshape(len(groups), 5)
    finite = stats[np.isfinite(stats)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-0.01, 0.01)
    scale = _Scale(min(lo, 0.0), max(hi, 0.0), False)
    n = max(len(groups), 1)
    slot = (W - LEFT - RIGHT) / n
    centers = [LEFT + slot * (g + 0.5) for g in range(n)]
    marks = []
    for g, c in enumerate(centers[: len(groups)]):
        if not np.isfinite(stats[g]).all():
            continue
        mn, q1, med, q3, mx = (float(scale(np.array([x]))[0]) for x in stats[g])
        half = slot * 0.22
        marks.append(f'<line x1="{_num(c)}" y1="{_num(mx)}" x2="{_num(c)}" y2="{_num(mn)}" stroke="{color}"/>'
                     f'<rect class="s" data-s="0" x="{_num(c - half)}" y="{_num(q3)}" width="{_num(2 * half)}" '
                     f'height="{_num(max(q1 - q3, 0.6))}" fill="{color}" fill-opacity="0.35" stroke="{color}"/>'
                     f'<line x1="{_num(c - half)}" y1="{_num(med)}" x2="{_num(c + half)}" y2="{_num(med)}" '
                     f'stroke="{color}" stroke-width="2"/>')
    xlabels = "".join(f'<text x="{_num(c)}" y="{H - BOTTOM + 17}" text-anchor="middle">{html.escape(lab)}</text>'
                      for c, lab in zip(centers, labels, strict=False))
    body = (f'<svg viewBox="0 0 {W} {H}" role="img" aria-label="{html.escape(title)}" font-size="11" fill="#333">'
            f'<g>{_y_axis(scale, "pct")}</g><g>{"".join(marks)}</g><g>{xlabels}</g>'
            f'<line x1="{LEFT}" y1="{H - BOTTOM}" x2="{W - RIGHT}" y2="{H - BOTTOM}" stroke="#888"/>'
            f'<line class="guide" x1="0" y1="{TOP}" x2="0" y2="{H - BOTTOM}" stroke="#999" visibility="hidden"/></svg>')
    names = ("lowest", "25th percentile", "median", "75th percentile", "highest")
    data = {"fmt": "pct", "x": labels, "px": [round(c, 2) for c in centers],
            "series": [{"name": nm, "y": _json_values(stats[:, k], 6)} for k, nm in enumerate(names)]}
    legend = _legend([Series("25th to 75th percentile, median, lowest and highest", np.array([]), color)], [""])
    return _figure(chart_id, title, body, legend, data, scale=None)
