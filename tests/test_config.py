"""TOML config files: every flag has a key, flags beat the file, unknown keys exit 2, compare files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from r2k.data.errors import UsageError
from r2k.runner.config import StrategyEntry, load_compare_config, load_run_config
from r2k.strategies import discovery
from tests.test_discovery import RULE_FILE, home, make_store, write  # noqa: F401 (home: shared fixture)
from tests.util import invoke, one_line_error


@pytest.fixture(autouse=True)
def no_user_strategy_path(monkeypatch):
    monkeypatch.delenv(discovery.ENV_VAR, raising=False)


def toml(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path



def test_run_config_keys_types_and_paths(tmp_path):
    cfg = toml(tmp_path / "cfg" / "run.toml", """
        strategy = "strats/rules.py:HalfHalf"
        strategy-path = "strats"
        symbol = "IWM"
        start = 2015-03-02
        end = "2016-12-30"
        cash = 5000
        contribute = 250.5
        every = "quarter"
        benchmark = "none"
        fill = "close"
        commission_bps = 5
        slippage_bps = 1.5
        whole_shares = true
        stats = "monthly"
        out = "../runs/x"
        offline = true
        tearsheet = false

        [params]
        weight = 0.7
        """)
    got = load_run_config(cfg)
    base = (tmp_path / "cfg").resolve()
    assert got == {
        "strategy": f"{base / 'strats/rules.py'}:HalfHalf", "strategy_path": [str(base / "strats")], "symbol": "IWM",
        "start": "2015-03-02", "end": "2016-12-30", "cash": 5000, "contribute": 250.5, "every": "quarter",
        "benchmark": "none", "fill": "close", "commission_bps": 5, "slippage_bps": 1.5, "whole_shares": True,
        "stats": "monthly", "out": str((tmp_path / "runs" / "x").resolve()), "offline": True, "tearsheet": False,
        "params": {"weight": 0.7},
    }


@pytest.mark.parametrize("text, match", [
    ('strategy = "dca"\ncahs = 5\n', "unknown key 'cahs'"),
    ('cash = "lots"\n', "cash must be a number"),
    ('offline = "yes"\n', "offline must be true or false"),
    ('params = 3\n', "params must be a table"),
    ('strategy = "dca"\ncash = \n', "config .*run.toml: .*line 2"),
])
def test_run_config_errors_name_the_key(tmp_path, text, match):
    with pytest.raises(UsageError, match=match):
        load_run_config(toml(tmp_path / "run.toml", text))


def test_cli_run_with_config_and_flags_that_win(home, tmp_path):
    write(tmp_path / "cfg" / "strats", "rules.py", RULE_FILE)
    cfg = toml(tmp_path / "cfg" / "run.toml", """
        strategy = "half-half"
        strategy_path = ["strats"]
        start = "2015-03-02"
        end = "2016-06-30"
        cash = 5000
        benchmark = "none"
        commission_bps = 10
        out = "out"
        offline = true
        tearsheet = false
        [params]
        weight = 0.25
        other = "SPY"
        """)
    res = invoke("run", "--config", cfg, "--cash", "20000", "-p", "weight=0.6")
    assert res.exit_code == 0, res.output
    folder = tmp_path / "cfg" / "out"
    manifest = json.loads((folder / "manifest.json").read_text())
    spec = manifest["spec"]
    assert spec["cash"] == 20000 and spec["params"] == {"symbol": "IWM", "weight": 0.6, "other": "SPY"}
    assert (spec["start"], spec["end"], spec["commission_bps"], spec["benchmark"]) == ("2015-03-02", "2016-06-30", 10, None)
    assert not (folder / "tearsheet.html").exists()
    equity = pd.read_csv(folder / "equity.csv")
    assert equity["value"].iloc[0] == pytest.approx(20000)  # the flag's cash, not the file's
    trades = pd.read_csv(folder / "trades.csv")
    first = trades[trades["date"] == trades["date"].iloc[0]].set_index("symbol")
    iwm_open = home.read("prices", "IWM").data.loc["2015-03-03", "open"]
    # weight 0.6 of 20000 in IWM at the next open, less 10 bp commission on the buy
    assert first.loc["IWM", "size"] * iwm_open == pytest.approx(0.6 * 20000, rel=2e-3)
    assert first.loc["IWM", "commission"] == pytest.approx(first.loc["IWM", "value"] * 0.001, rel=1e-9)


def test_run_hands_the_resolved_config_and_source_to_the_run_folder(home, tmp_path, monkeypatch):
    import hashlib

    from r2k.reports import runfolder

    seen = {}
    real = runfolder.write_run_folder

    def spy(result, target, **kw):
        seen.update(config=result.config, source=result.source)
        return real(result, target, **kw)

    monkeypatch.setattr(runfolder, "write_run_folder", spy)
    src = write(tmp_path / "strats", "rules.py", RULE_FILE)
    cfg = toml(tmp_path / "run.toml", 'strategy = "half-half"\nstrategy_path = "strats"\ncash = 5000\n[params]\nother = "SPY"\n')
    res = invoke("run", "--config", cfg, "--offline", "--no-tearsheet", "--out", tmp_path / "o", "--benchmark", "none",
                 "-p", "weight=0.3")
    assert res.exit_code == 0, res.output
    assert seen["source"] == {"path": str(src.resolve()), "sha256": hashlib.sha256(src.read_bytes()).hexdigest()}
    c = seen["config"]
    assert c["params"] == {"symbol": "IWM", "other": "SPY", "weight": 0.3}
    assert (c["strategy"], c["cash"], c["benchmark"], c["tearsheet"], c["offline"]) == ("half-half", 5000, "none", False, True)
    assert c["strategy_path"] == [str((tmp_path / "strats").resolve())] and c["out"] == str((tmp_path / "o").resolve())
    # the resolved settings are a valid run file
    lines = [f"{k} = {json.dumps(v)}" for k, v in c.items() if k != "params"]
    again = load_run_config(toml(tmp_path / "again.toml", "\n".join(lines) + "\n[params]\nweight = 0.3\n"))
    assert {k: v for k, v in again.items() if k != "params"} == {k: v for k, v in c.items() if k != "params"}


def test_manifest_stores_resolved_config_and_source_hash(home, tmp_path):
    import hashlib

    src = write(tmp_path / "strats", "rules.py", RULE_FILE)
    res = invoke("run", "half-half", "--strategy-path", tmp_path / "strats", "--offline", "--no-tearsheet",
                 "--out", tmp_path / "o", "--benchmark", "none", "-p", "weight=0.3")
    assert res.exit_code == 0, res.output
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert manifest["strategy_source"] == {"path": str(src.resolve()), "sha256": hashlib.sha256(src.read_bytes()).hexdigest()}
    config = manifest["config"]
    assert config["params"] == {"symbol": "IWM", "other": "SPY", "weight": 0.3}
    assert config["strategy_path"] == [str((tmp_path / "strats").resolve())]


def test_flags_and_config_give_the_same_run_key(home, tmp_path):
    cfg = toml(tmp_path / "run.toml", """
        strategy = "trend-filter"
        benchmark = "none"
        offline = true
        tearsheet = false
        [params]
        window = 50
        """)
    a = invoke("run", "--config", cfg)
    b = invoke("run", "trend-filter", "-p", "window=50", "--benchmark", "none", "--offline", "--no-tearsheet")
    assert a.exit_code == 0 and b.exit_code == 0, a.output + b.output
    folders = {line.split(": ", 1)[1] for line in (a.stdout + b.stdout).splitlines() if line.startswith("run folder:")}
    assert len(folders) == 1  # same spec, same folder


def test_cli_config_errors_exit_2(home, tmp_path):
    cfg = toml(tmp_path / "bad.toml", 'strategy = "dca"\nsymbl = "IWM"\n')
    assert "unknown key 'symbl'" in one_line_error(invoke("run", "--config", cfg), 2)
    cfg = toml(tmp_path / "none.toml", 'cash = 100\n')
    assert "no strategy" in one_line_error(invoke("run", "--config", cfg), 2)
    cfg = toml(tmp_path / "param.toml", 'strategy = "trend-filter"\n[params]\nwindow = "long"\n')
    msg = one_line_error(invoke("run", "--config", cfg, "--offline"), 2)
    assert "window" in msg and "risk_off='CASH'" in msg
    one_line_error(invoke("run", "--config", tmp_path / "missing.toml"), 2)


def test_compare_config(tmp_path):
    cfg = toml(tmp_path / "c" / "compare.toml", """
        start = 2005-01-03
        end = "2024-12-31"
        cash = 10000
        benchmark = "SPY"
        strategy_path = ["mine"]
        out = "cmp"

        [[strategies]]
        strategy = "buy-and-hold"
        symbol = "IWM"
        label = "IWM buy & hold"

        [[strategies]]
        strategy = "trend-filter"
        params = { window = 150 }

        [[strategies]]
        strategy = "mine/x.py:Rule"
        """)
    got = load_compare_config(cfg)
    base = (tmp_path / "c").resolve()
    assert got.strategies == [
        StrategyEntry("buy-and-hold", {"symbol": "IWM"}, "IWM buy & hold"),
        StrategyEntry("trend-filter", {"params": {"window": 150}}, None),
        StrategyEntry(f"{base / 'mine/x.py'}:Rule", {}, None),
    ]
    entries, options = got
    assert options == {"start": "2005-01-03", "end": "2024-12-31", "cash": 10000, "benchmark": "SPY",
                       "strategy_path": [str(base / "mine")], "out": str(base / "cmp")}
    names = load_compare_config(toml(tmp_path / "n.toml", 'strategies = ["dca", "buy-and-hold"]\n'))
    assert [e.strategy for e in names.strategies] == ["dca", "buy-and-hold"] and names.options == {}


@pytest.mark.parametrize("text, match", [
    ('cash = 1\n', "non-empty 'strategies'"),
    ('strategies = []\n', "non-empty 'strategies'"),
    ('strategies = ["dca"]\nstrategy = "dca"\n', "unknown key 'strategy'"),
    ('[[strategies]]\nstrategy = "dca"\n[[strategies]]\nstrategy = "x"\nwindow = 3\n', r"strategies\[2\]: unknown key 'window'"),
    ('[[strategies]]\nparams = { a = 1 }\n', r"strategies\[1\] has no 'strategy'"),
])
def test_compare_config_errors(tmp_path, text, match):
    with pytest.raises(UsageError, match=match):
        load_compare_config(toml(tmp_path / "compare.toml", text))
