"""What a sweep shows: the top rows in the terminal and a heatmap for two-parameter grids."""

from __future__ import annotations

from pathlib import Path

PCT = {"cagr", "total_return", "max_drawdown", "volatility", "xirr", "best_year", "worst_year", "turnover"}


def _fmt(metric: str, value) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "-"
    if v != v:
        return "-"
    return f"{100 * v:.2f}%" if metric in PCT else f"{v:.3f}"


def top_table(rows: list[dict], params: list[str], metric: str, n: int = 10) -> str:
    """A plain-text table of the best ``n`` rows: parameters, the ranking metric, and context."""
    shown = [metric] + [m for m in ("cagr", "sharpe", "max_drawdown") if m != metric]
    head = params + shown
    body = [[str(r.get(f"p.{p}", "")) for p in params] + [_fmt(m, r.get(m)) for m in shown] for r in rows[:n]]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines)


def role_table(rows: list[dict], metric: str, params: list[str] | None = None) -> str:
    """Rows that are not ranked (baselines, shorter runs): name or parameters, window, the metrics."""
    shown = [metric] + [m for m in ("cagr", "sharpe", "max_drawdown") if m != metric]
    head = ["what" if params is None else ", ".join(params), "window"] + shown
    body = []
    for r in rows:
        what = r.get("label") if params is None else ", ".join(str(r.get(f"p.{p}", "")) for p in params)
        body.append([str(what or ""), f"{r.get('start', '')}..{r.get('end', '')}"] + [_fmt(m, r.get(m)) for m in shown])
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths, strict=True)))]
    lines += ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(b, widths, strict=True)))
              for b in body]
    return "\n".join(lines)


def heatmap(rows: list[dict], x: str, y: str, metric: str, path: Path, title: str) -> Path:
    """A heatmap of ``metric`` over two grid parameters (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.DataFrame({"x": [r[f"p.{x}"] for r in rows], "y": [r[f"p.{y}"] for r in rows],
                          "v": [float(r[metric]) if r.get(metric) not in (None, "") else float("nan") for r in rows]})
    table = frame.pivot_table(index="y", columns="x", values="v", aggfunc="first")
    table = table.reindex(index=sorted(table.index, key=_sort_key), columns=sorted(table.columns, key=_sort_key))
    if len(table.columns) > len(table.index):  # the longer parameter goes down the page, not across it
        table, x, y = table.T, y, x
    scale = 100.0 if metric in PCT else 1.0
    fig, ax = plt.subplots(figsize=(min(1.1 * len(table.columns) + 3, 16), min(0.4 * len(table.index) + 2.5, 30)))
    im = ax.imshow(table.to_numpy() * scale, cmap="RdYlGn_r" if metric in ("volatility", "turnover") else "RdYlGn",
                   aspect="auto")
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns])
    step = max(1, len(table.index) // 40)
    ax.set_yticks(range(0, len(table.index), step), [str(i) for i in table.index[::step]])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    label_cells = table.size <= 400  # beyond that the numbers would overlap; the colour bar still reads
    for i in range(len(table.index) if label_cells else 0):
        for j in range(len(table.columns)):
            v = table.iat[i, j]
            if v == v:
                ax.text(j, i, f"{v * scale:.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(im, ax=ax, label=metric + (" (%)" if metric in PCT else ""))
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _sort_key(v):
    try:
        return (0, float(v), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(v))
