"""Text for a terminal 100 columns wide: long lines wrapped, wide tables transposed or split.

Why 100: it is the narrowest terminal the README promises (and a comfortable width in a notebook
cell); a table that wraps mid-row in the terminal is unreadable, so it is laid out again instead.
"""

from __future__ import annotations

import textwrap

WIDTH = 100


def wrap_lines(lines: list[str], width: int = WIDTH) -> list[str]:
    """Each line longer than ``width`` wrapped at spaces, continuation lines indented by two."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
        else:
            out += textwrap.wrap(line, width=width, subsequent_indent="  ", break_on_hyphens=False,
                                 break_long_words=True)
    return out


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned first column, right-aligned others, two spaces apart."""
    cols = [header, *rows]
    widths = [max(len(r[i]) for r in cols) for i in range(len(header))]
    lines = []
    for r in cols:
        cells = [f"{r[0]:<{widths[0]}}"] + [f"{c:>{w}}" for c, w in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return lines


def table(header: list[str], rows: list[list[str]], width: int = WIDTH) -> str:
    """A table of text cells (first column: row names) that fits ``width`` columns.

    As given when it fits; else transposed (one column per row, one line per header field), and
    if that is still too wide, the transposed table in blocks of as many columns as fit. A name
    longer than the room a column has is wrapped over several header lines.
    """
    lines = _grid(header, rows)
    if max(len(x) for x in lines) <= width:
        return "\n".join(lines)
    fields, names = header[1:], [r[0] for r in rows]
    label_w = max(len(f) for f in fields)
    values = [r[1:] for r in rows]
    val_w = [max(len(v) for v in vals) for vals in values]
    # how many members per block: each column is at least its widest value, at most 28 wide
    col_w = [min(28, max(w, min(len(n), 28))) for w, n in zip(val_w, names, strict=True)]
    blocks, start = [], 0
    while start < len(rows):
        used, stop = label_w, start
        while stop < len(rows) and (stop == start or used + 2 + col_w[stop] <= width):
            used += 2 + col_w[stop]
            stop += 1
        blocks.append((start, stop))
        start = stop
    out: list[str] = []
    for a, b in blocks:
        heads = [textwrap.wrap(names[i], col_w[i]) or [""] for i in range(a, b)]
        depth = max(len(h) for h in heads)
        for k in range(depth):
            cells = [f"{(h[k - (depth - len(h))] if k >= depth - len(h) else ''):>{col_w[a + j]}}"
                     for j, h in enumerate(heads)]
            out.append((" " * label_w + "  " + "  ".join(cells)).rstrip())
        for f_i, f in enumerate(fields):
            out.append((f"{f:<{label_w}}  " + "  ".join(f"{values[i][f_i]:>{col_w[i]}}" for i in range(a, b))).rstrip())
        out.append("")
    return "\n".join(out).rstrip("\n")
