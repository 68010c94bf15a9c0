"""One way in (issue 12): the Python API, the one spec builder, finished results, labels and folders."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import r2k.runner as r2k
from r2k.data.errors import UsageError
from r2k.strategies.base import AllocationRule, Target
from tests.util import home_with, invoke, random_walk

FRAMES = {"IWM": random_walk(700, seed=5, start="2016-01-01"), "SPY": random_walk(700, seed=6, start="2016-01-01"),
          "^RUT": random_walk(700, seed=7, start="2016-01-01")}


@pytest.fixture
def home(tmp_path, monkeypatch):
    return home_with(tmp_path, monkeypatch, FRAMES)


class ThirdInCash(AllocationRule):
    """Two thirds IWM, a third SPY, rebalanced monthly: a class passed straight to the API."""

    name = "two-thirds"
    schedule = "month"
    params = {"weight": 2 / 3}

    def assets(self):
        return ["IWM", "SPY"]

    def target(self, view):
        return Target({"IWM": self.weight, "SPY": 1 - self.weight}, "mix")


def test_run_returns_a_finished_result(home):
    res = r2k.run("dca", symbol="IWM", fill="close", offline=True, home=home.root)
    saved = res.save()  # default folder: runs/<strategy>-<main symbol>-<hash>
    assert saved.parent.name == "runs" and saved.name.startswith("dca-IWM-")
    on_disk = json.loads((saved / "metrics.json").read_text())
    assert res.metrics == on_disk  # exactly what metrics.json holds, filled on return
    # independently: dca at the close buys 10,000 then 500 each month; the final value is shares x last close
    px = FRAMES["IWM"]["adj_close"]
    months = px.groupby(px.index.to_period("M")).head(1).index
    deposits = pd.Series(500.0, index=months[1:])
    shares = 10_000 / px.iloc[0] + float((deposits / px.reindex(deposits.index)).sum())
    assert res.metrics["final_value"] == pytest.approx(shares * px.iloc[-1], rel=1e-9)
    assert res.metrics["contributed"] == pytest.approx(500.0 * (len(months) - 1))
    assert res.label == "dca IWM $500/month"
    assert res.benchmark_metrics["contributed"] == res.metrics["contributed"]  # bought like the strategy
    spy = FRAMES["SPY"]["adj_close"]
    spy_shares = 10_000 / spy.iloc[0] + float((deposits / spy.reindex(deposits.index)).sum())
    assert res.benchmark_metrics["final_value"] == pytest.approx(spy_shares * spy.iloc[-1], rel=1e-9)
    table = res.summary()
    assert list(table.columns) == ["dca IWM $500/month", "SPY (same deposits)"]
    assert table.loc["Final balance", "dca IWM $500/month"] == res.metrics["final_value"]
    assert "dca's preset" in res.assumptions["deposits"]


def test_a_class_can_be_passed(home):
    res = r2k.run(ThirdInCash, fill="close", benchmark="none", offline=True)
    iwm, spy = FRAMES["IWM"]["adj_close"], FRAMES["SPY"]["adj_close"]
    # independent monthly rebalance to 2/3 - 1/3 at the first close of each month
    value, w = 10_000.0, np.array([2 / 3, 1 / 3])
    firsts = set(iwm.groupby(iwm.index.to_period("M")).head(1).index)
    shares = value * w / np.array([iwm.iloc[0], spy.iloc[0]])
    for day in iwm.index[1:]:
        px = np.array([iwm[day], spy[day]])
        value = float(shares @ px)
        if day in firsts:
            shares = value * w / px
    assert res.metrics["final_value"] == pytest.approx(value, rel=1e-9)
    assert res.label == "two-thirds IWM" and res.spec.strategy == "two-thirds"


def test_cli_config_and_api_give_identical_metrics(home, tmp_path):
    args = dict(symbol="IWM", start="2016-03-01", end="2018-06-29", cash=5000, contribute=100, every="quarter",
                fill="close", commission_bps=5, slippage_bps=2)
    api = r2k.run("trend-filter", params={"window": 50, "risk_off": "SPY"}, offline=True, **args)
    api_dir = api.save(tmp_path / "api")
    cli = invoke("run", "trend-filter", "--symbol", "IWM", "--start", "2016-03-01", "--end", "2018-06-29", "--cash",
                 "5000", "--contribute", "100", "--every", "quarter", "--fill", "close", "--commission-bps", "5",
                 "--slippage-bps", "2", "-p", "window=50", "-p", "risk_off=SPY", "--offline", "--no-tearsheet",
                 "--out", tmp_path / "cli")
    assert cli.exit_code == 0, cli.output
    cfg = tmp_path / "run.toml"
    cfg.write_text(textwrap.dedent("""\
        strategy = "trend-filter"
        symbol = "IWM"
        start = 2016-03-01
        end = "2018-06-29"
        cash = 5000
        contribute = 100
        every = "quarter"
        fill = "close"
        commission_bps = 5
        slippage_bps = 2
        out = "cfg"
        tearsheet = false
        [params]
        window = 50
        risk_off = "SPY"
        """))
    res = invoke("run", "--config", cfg, "--offline")
    assert res.exit_code == 0, res.output
    m = [json.loads((d / "metrics.json").read_text()) for d in (api_dir, tmp_path / "cli", tmp_path / "cfg")]
    assert m[0] == m[1] == m[2]
    specs = [json.loads((d / "manifest.json").read_text())["run_key"] for d in (api_dir, tmp_path / "cli", tmp_path / "cfg")]
    assert specs[0] == specs[1] == specs[2]  # one spec, one hash, one folder name


def test_symbols_are_canonical_before_hashing(home):
    a, b = r2k.make_spec("buy-and-hold", symbol="RUT"), r2k.make_spec("buy-and-hold", symbol="^RUT")
    assert a == b and a.key() == b.key() and a.params["symbol"] == "^RUT"
    assert r2k.make_spec("buy-and-hold").key() == r2k.make_spec("buy-and-hold", symbol="IWM").key()  # defaults are explicit


def test_one_precedence_rule_for_every_layer():
    from r2k.runner.build import build_spec

    spec = build_spec("dca", {"cash": 1, "contribute": 200, "params": {"symbol": "SPY"}}, {"cash": 2},
                      {"symbol": "VTWO"})
    assert (spec.cash, spec.contribute, spec.every, spec.params["symbol"]) == (2.0, 200.0, "month", "VTWO")
    preset = build_spec("dca")
    assert (preset.contribute, preset.every) == (500.0, "month")  # the strategy's run defaults, lowest layer
    with pytest.raises(UsageError, match="unknown parameter wndow"):
        build_spec("trend-filter", {"params": {"wndow": 3}})
    with pytest.raises(UsageError, match="unknown setting"):
        build_spec("trend-filter", {"colour": "red"})


def test_compare_and_sweep_in_memory_write_nothing(home, tmp_path):
    cmp = r2k.compare(["buy-and-hold symbol=IWM", ("buy-and-hold", {"symbol": "SPY"})], fill="close", offline=True)
    assert not (tmp_path / "runs").exists()
    s = cmp.summary.set_index("name")
    assert list(s.index) == ["buy-and-hold IWM", "buy-and-hold SPY", "SPY (benchmark)"]
    spy = FRAMES["SPY"]["adj_close"]
    assert s.loc["buy-and-hold SPY", "total_return"] == pytest.approx(spy.iloc[-1] / spy.iloc[0] - 1, rel=1e-9)
    assert s.loc["SPY (benchmark)", "final_value"] == pytest.approx(s.loc["buy-and-hold SPY", "final_value"], rel=1e-12)
    folder = cmp.save(tmp_path / "cmp")
    assert json.loads((folder / "summary.json").read_text())["rows"][0]["name"] == "buy-and-hold IWM"

    sw = r2k.sweep("trend-filter", {"window": [20, 60]}, params={"risk_off": "SPY"}, benchmark="none", offline=True)
    assert not (tmp_path / "sweeps").exists()
    got = sw.results[sw.results["role"] == "trial"]
    assert sorted(got["p.window"]) == [20, 60] and got["cagr"].is_monotonic_decreasing
    for _, row in got.iterrows():
        one = r2k.run("trend-filter", params={"window": int(row["p.window"]), "risk_off": "SPY"}, benchmark="none",
                      engine="vector", offline=True)
        assert row["cagr"] == pytest.approx(one.metrics["cagr"], rel=1e-12)
    saved = sw.save(tmp_path / "sw")
    assert list(pd.read_csv(saved / "results.csv")["role"]) == ["trial", "trial", "baseline"]  # IWM held


def test_run_folders_are_named_by_strategy_and_symbol_and_listed(home, tmp_path):
    for sym in ("RUT", "^RUT"):
        res = invoke("run", "buy-and-hold", "--symbol", sym, "--offline", "--no-tearsheet")
        assert res.exit_code == 0, res.output
    folders = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert len(folders) == 1 and folders[0].startswith("buy-and-hold-RUT-")  # one spec, one folder
    res = invoke("runs")
    assert res.exit_code == 0 and "buy-and-hold ^RUT" in res.stdout and folders[0] in res.stdout
    cagr = json.loads((tmp_path / "runs" / folders[0] / "metrics.json").read_text())["cagr"]
    assert f"{100 * cagr:.2f}%" in res.stdout


def test_presets_are_visible(home):
    help_text = invoke("run", "dca", "--help").stdout
    assert "--contribute 500 --every month" in help_text and "$500 added at the start of every month" in help_text
    show = invoke("strategies", "show", "dca").stdout
    assert "run defaults: --contribute 500 --every month" in show
    res = invoke("run", "dca", "--offline", "--no-tearsheet")
    assert "Deposits: $500.00 at the start of every month (dca's preset)" in res.stdout
    assert "dca IWM $500/month" in res.stdout  # the summary's column says it too


def test_the_example_script_runs(home, tmp_path):
    script = Path(__file__).resolve().parents[1] / "examples" / "python_api.py"
    out = subprocess.run([sys.executable, str(script), "--offline"], capture_output=True, text=True, cwd=tmp_path,
                         timeout=300, env={**__import__("os").environ, "R2K_HOME": str(home.root)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "buy-and-hold IWM" in out.stdout and "dca IWM cash=$0 $500/month" in out.stdout
