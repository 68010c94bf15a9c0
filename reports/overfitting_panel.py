"""The sweep report's overfitting panel (PNG): the numbers, the logits of CSCV, OOS vs IS.

Drawn from the statistics dict of reports/overfitting.py:sweep_statistics (what overfitting.json
holds), so the picture and the file can never disagree.
"""

from __future__ import annotations

import os
from pathlib import Path


def panel(stats: dict, path: Path, title: str) -> Path:
    """Write the panel to ``path`` (atomically: a killed render leaves no half-written PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    p = stats.get("pbo")
    fig, axes = plt.subplots(1, 3 if p else 1, figsize=(15 if p else 6, 4.2), squeeze=False)
    ax = axes[0][0]
    ax.axis("off")
    lines = [f"trials: {stats['trials']}   window {stats['start']}..{stats['end']}"]
    if "best_sharpe" in stats:
        lines += [f"best Sharpe: {stats['best_sharpe']:.2f} (annualised)",
                  f"expected max of {stats['trials']} zero-skill: {stats['expected_max_sharpe']:.2f}",
                  f"PSR vs 0: {stats['psr']:.3f}",
                  f"deflated Sharpe (DSR): {stats['dsr']:.3f}",
                  f"skew {stats['best_skew']:.2f}, kurtosis {stats['best_kurtosis']:.1f} (raw)",
                  "min track record: " + ("never (Sharpe <= 0)" if stats["min_track_record_years"] is None else
                                          f"{stats['min_track_record_years']:.1f} y")
                  + f" of {stats['track_record_years']:.1f} y"]
    if p:
        lines += [f"PBO (CSCV, {p['blocks']} blocks): {p['pbo']:.2f}",
                  "OOS-on-IS slope: " + ("-" if p["slope"] is None else f"{p['slope']:.2f}"),
                  f"P[best loses OOS]: {p['prob_oos_loss']:.2f}"]
    ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="monospace", fontsize=9, transform=ax.transAxes)
    if p:
        lg = p["logits"]
        edges = np.asarray(lg["edges"])
        axes[0][1].bar(edges[:-1], lg["counts"], width=np.diff(edges), align="edge",
                       color=["tab:red" if e < 0 else "tab:green" for e in edges[:-1]])
        axes[0][1].axvline(0, color="k", lw=1)
        axes[0][1].set_title(f"logits of the IS best's OOS rank (PBO {p['pbo']:.2f})", fontsize=10)
        axes[0][1].set_xlabel("logit (<= 0: below the OOS median)")
        x, y = np.asarray(p["is_sharpe"]), np.asarray(p["oos_sharpe"])
        axes[0][2].scatter(x, y, s=4, alpha=0.3)
        if np.ptp(x) > 0:
            b, a = np.polyfit(x, y, 1)
            xs = np.linspace(x.min(), x.max(), 2)
            axes[0][2].plot(xs, a + b * xs, color="k", lw=1, label=f"slope {b:.2f}")
            axes[0][2].legend(fontsize=8)
        axes[0][2].set_xlabel("in-sample Sharpe of the IS best")
        axes[0][2].set_ylabel("its out-of-sample Sharpe")
        axes[0][2].set_title("OOS vs IS across CSCV splits", fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.png")
    try:
        fig.savefig(tmp, dpi=90)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        tmp.unlink(missing_ok=True)
    return path
