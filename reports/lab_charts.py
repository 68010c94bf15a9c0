"""Charts of the small-cap lab (matplotlib Figures; the caller saves and closes them)."""

from __future__ import annotations

import pandas as pd


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def event_paths_figure(panels: dict[str, pd.DataFrame], title: str):
    """One panel per series: each event's path (x = trading days after the event), the mean in black."""
    plt = _plt()
    n = max(len(panels), 1)
    fig, axes = plt.subplots(1, n, figsize=(6 * n, 4.8), dpi=100, squeeze=False)
    for ax, (name, df) in zip(axes[0], panels.items(), strict=False):
        for col in df.columns:
            ax.plot(df.index, 100 * df[col], lw=0.9, alpha=0.7, label=str(col))
        if df.shape[1]:
            full = df.dropna(axis=1, how="any")
            if full.shape[1]:
                ax.plot(full.index, 100 * full.mean(axis=1), color="black", lw=2.2,
                        label=f"mean of {full.shape[1]} complete paths")
        ax.axhline(0, color="#888", lw=0.8)
        ax.set_title(name)
        ax.set_xlabel("trading days after the event")
        ax.set_ylabel("return since the event (%)")
        ax.legend(fontsize=7, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def bars_figure(df: pd.DataFrame, x: str, cols: list[str], title: str, ylabel: str):
    """Grouped bars of ``cols`` (fractions, shown in %) against the labels in column ``x``."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 4.8), dpi=100)
    w = 0.8 / max(len(cols), 1)
    for k, c in enumerate(cols):
        ax.bar([i + k * w for i in range(len(df))], 100 * df[c].astype(float), width=w, label=c)
    ax.set_xticks([i + w * (len(cols) - 1) / 2 for i in range(len(df))])
    ax.set_xticklabels([str(v) for v in df[x]], rotation=45 if len(df) > 12 else 0, fontsize=8)
    ax.axhline(0, color="#888", lw=0.8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def lines_figure(df: pd.DataFrame, title: str, ylabel: str, log: bool = False, pct: bool = True):
    """One line per column of ``df`` against its date index."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(11, 4.8), dpi=100)
    for c in df.columns:
        ax.plot(df.index, (100 * df[c]) if pct else df[c], lw=1.2, label=str(c))
    if log:
        from matplotlib.ticker import FuncFormatter

        ax.set_yscale("log")
        plain = FuncFormatter(lambda v, _: f"{v:g}")
        ax.yaxis.set_major_formatter(plain)
        ax.yaxis.set_minor_formatter(plain)
    else:
        ax.axhline(0, color="#888", lw=0.8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
