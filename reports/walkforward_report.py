"""Writing and printing a walk-forward: the chosen parameters per window, OOS vs in-sample best."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from r2k.reports.runfolder import atomic_folder, write_json
from r2k.reports.terminal import wrap_lines


def _summary(returns: pd.Series, start: pd.Timestamp, cash: float, basis: str) -> dict:
    from r2k.reports.metrics import summarize

    final = cash * float((1 + returns).prod())
    flows = pd.DataFrame({"date": [f"{start:%Y-%m-%d}"], "amount": [cash]})
    out = summarize(returns, start=start, initial_cash=cash, final_value=final, cashflows=flows, basis=basis)
    out["trades"] = out["turnover"] = None  # a stitched return series carries no trade record
    return out


def write_walkforward(wf, target: Path, *, base, metric: str, basis: str, tearsheet: bool) -> Path:
    start = pd.Timestamp(wf.chosen[0]["train_end"])
    oos = _summary(wf.oos_returns, start, base.cash, basis)
    ins = _summary(wf.insample_returns, start, base.cash, basis)

    def fill(folder: Path) -> None:
        rows = [{**{k: v for k, v in c.items() if k != "params"}, **{f"p.{k}": v for k, v in c["params"].items()}}
                for c in wf.chosen]
        pd.DataFrame(rows).to_csv(folder / "windows.csv", index=False)
        wf.oos_returns.rename_axis("date").to_frame("return").to_csv(folder / "oos_returns.csv", date_format="%Y-%m-%d")
        write_json(folder / "metrics.json", {"out_of_sample": oos, "in_sample_best": {**ins, "params": wf.insample_params},
                                             "is_vs_oos_sharpe": _json_safe(wf.decay),
                                             "metric": metric, "spec": base.to_dict()})
        if tearsheet:
            from r2k.reports.tearsheet import numbers_note, own_cells, render

            # named columns and r2k's own numbers (metrics.json's): a stitched series has no positions,
            # so time in market is "-" (CASH days earning interest are not "in the market")
            name, bench_name = f"{base.strategy} walk-forward (out of sample)", "in-sample best (hindsight)"
            own = {name: own_cells(oos, wf.oos_returns, "0%"), bench_name: own_cells(ins, wf.insample_returns, "0%")}
            note = numbers_note(basis, "returns from the first test window's start, risk-free rate 0; time in market "
                                       "is not known for test windows stitched together")
            render(wf.oos_returns, folder / "tearsheet.html", f"r2k walk-forward {base.strategy} (out of sample)",
                   wf.insample_returns.rename(bench_name), strategy_title=name, benchmark_title=bench_name, own=own,
                   numbers_note=note, start=start)

    folder = atomic_folder(target, fill, kind="walkforward")
    json.dumps(oos)  # metrics are JSON-safe
    return folder


def _json_safe(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in d.items()}


def decay_line(wf) -> str:
    """IS vs OOS Sharpe of the chosen combinations in plain words."""
    d = wf.decay
    if not d["folds"]:
        return "in-sample vs out-of-sample Sharpe: no fold has both"
    ratio = "" if d["ratio"] != d["ratio"] else f" (out of sample keeps {d['ratio']:.0%} of it)"
    return (f"Sharpe of the chosen combination: {d['mean_is']:.2f} in training, {d['mean_oos']:.2f} out of sample "
            f"on average over {d['folds']} folds; decay {d['decay']:.2f}{ratio}")


def format_windows(wf, metric: str) -> str:
    from r2k.reports.sweep_report import _fmt

    rows = []
    for c in wf.chosen:
        params = ", ".join(f"{k}={v}" for k, v in c["params"].items())
        rows.append((f"{c['train_start']}..{c['train_end']}", f"{c['train_end']}..{c['test_end']}", params,
                     _fmt(metric, c["train_metric"]), f"{100 * c['test_return']:.2f}%",
                     _fmt("sharpe", c.get("train_sharpe")), _fmt("sharpe", c.get("test_sharpe"))))
    # two header lines keep the table inside a 100-column terminal (one line made it 113 wide)
    heads = [("", "test", "", "train", "test", "IS", "OOS"),
             ("train", "(from the close of)", "chosen", metric, "return", "Sharpe", "Sharpe")]
    widths = [max(len(r[i]) for r in rows + heads) for i in range(len(heads[0]))]
    lines = ["  ".join(h.ljust(w) if i < 3 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths, strict=True)))
             .rstrip() for head in heads]
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    oos = float((1 + wf.oos_returns).prod() - 1)
    ins = float((1 + wf.insample_returns).prod() - 1)
    lines.append(f"\nout-of-sample total return {100 * oos:.2f}%  vs in-sample best "
                 f"({', '.join(f'{k}={v}' for k, v in wf.insample_params.items())}) {100 * ins:.2f}% (hindsight)")
    lines += wrap_lines([decay_line(wf)])  # 100 columns, as the table
    return "\n".join(lines)
