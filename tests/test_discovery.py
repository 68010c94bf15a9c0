"""User strategies: found in folders, env paths, module:Class, file.py:Class and entry points;
listed, shown, created from templates and run through the CLI; broken files and duplicate names
reported with file and line."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from r2k.data.errors import UsageError
from r2k.data.store import Meta, Store
from r2k.strategies import discovery, registry
from tests.util import invoke, one_line_error, random_walk

RULE_FILE = '''
from r2k.strategies.base import AllocationRule, Target
from r2k.strategies.trend import TrendFilter  # imported: must not be listed from this file


class HalfHalf(AllocationRule):
    """Half `symbol`, half `other`, rebalanced every `schedule`.
    Second line of the description."""

    name = "half-half"
    schedule = "quarter"
    params = {"symbol": "IWM", "other": "SPY", "weight": 0.5}

    def assets(self):
        return [self.symbol, self.other]

    def target(self, view):
        return Target({self.symbol: self.weight, self.other: 1 - self.weight}, "fixed")


class _Helper(AllocationRule):
    """Private: not a strategy."""
'''

BT_FILE = '''
import backtrader as bt


class BuyDipsBT(bt.Strategy):
    """Buy `size` shares when the close falls `drop` below the previous close.
    Never sells."""

    r2k_symbols = ["IWM", "SPY"]
    params = (("size", 3), ("drop", 0.01), ("verbose", False), ("tag", "x"))

    def next(self):
        if self.data.close[0] < self.data.close[-1] * (1 - self.p.drop):
            self.buy(size=self.p.size)


class DictParams(bt.Strategy):
    r2k_name = "dict-params"
    params = dict(period=20)
'''

SYNTAX_ERROR = "x = 1\n\ndef broken(:\n    pass\n"
RUNTIME_ERROR = "import math\n\nVALUE = math.sqrt(4)\nraise RuntimeError('boom at import')\n"


@pytest.fixture(autouse=True)
def no_user_strategy_path(monkeypatch):
    """The user's own $R2K_STRATEGY_PATH must not leak into a test (lookups hold no other state)."""
    monkeypatch.delenv(discovery.ENV_VAR, raising=False)


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def make_store(root: Path, n: int = 600) -> Store:
    """IWM and SPY random walks plus a constant 2% DFF (for CASH)."""
    st = Store(root)
    for name, seed in (("IWM", 1), ("SPY", 2)):
        st.write("prices", name, random_walk(n, seed=seed),
                 Meta(name=name, kind="prices", source="csv:test", fetched_at="2025-01-01T00:00:00+00:00",
                      adjustment="", start="", end="", rows=0, sha256=""))
    dff = pd.Series(2.0, index=pd.date_range("2014-01-01", "2018-12-31", name="date").astype("datetime64[ns]"), name="DFF")
    st.write("series", "DFF", dff, Meta(name="DFF", kind="series", source="csv:test", fetched_at="2025-01-01T00:00:00+00:00",
                                        adjustment="", start="", end="", rows=0, sha256=""))
    return st


@pytest.fixture
def home(tmp_path, monkeypatch):
    st = make_store(tmp_path / "home")
    monkeypatch.setenv("R2K_HOME", str(st.root))
    monkeypatch.chdir(tmp_path)
    return st




@pytest.fixture
def folder(tmp_path):
    d = tmp_path / "strats"
    write(d, "rules.py", RULE_FILE)
    write(d, "bt_strats.py", BT_FILE)
    write(d, "_private.py", "raise RuntimeError('never imported')\n")
    write(d, "notes.txt", "not python")
    return d


# -- discovery --------------------------------------------------------------------------------
def test_dashed_names():
    assert discovery.dashed("SmaCross") == "sma-cross"
    assert discovery.dashed("SMACross") == "sma-cross"
    assert discovery.dashed("BuyDipsBT") == "buy-dips-bt"
    assert discovery.dashed("my_rule") == "my-rule"


def test_scan_keeps_classes_defined_in_each_file(folder):
    found, broken = discovery.scan_dir(folder)
    assert broken == []
    by_name = {f.name: f for f in found}
    assert set(by_name) == {"half-half", "buy-dips-bt", "dict-params"}  # not trend-filter, not _Helper
    assert by_name["half-half"].source == str((folder / "rules.py").resolve())


def test_broken_files_are_reported_with_line_and_do_not_stop_others(folder):
    write(folder, "syntax.py", SYNTAX_ERROR)
    write(folder, "raises.py", RUNTIME_ERROR)
    found, broken = discovery.scan_dir(folder)
    assert {f.name for f in found} == {"half-half", "buy-dips-bt", "dict-params"}
    by_file = {Path(b.file).name: b for b in broken}
    assert set(by_file) == {"syntax.py", "raises.py"}
    assert by_file["syntax.py"].line == 3 and by_file["syntax.py"].error.startswith("SyntaxError")
    assert by_file["raises.py"].line == 4 and "RuntimeError: boom at import" in by_file["raises.py"].error
    assert str(by_file["raises.py"]).startswith(f"{(folder / 'raises.py').resolve()}:4: ")


def test_strategy_info_for_both_kinds(folder):
    found, _ = discovery.scan_dir(folder)
    by_name = {f.name: f.cls for f in found}
    rule = discovery.strategy_info(by_name["half-half"])
    assert rule == {"name": "half-half", "kind": "rule", "schedule": "quarter",
                    "description": "Half `symbol`, half `other`, rebalanced every `schedule`. Second line of the description.",
                    "params": {"symbol": "IWM", "other": "SPY", "weight": 0.5},
                    "source": str((folder / "rules.py").resolve()), "run_defaults": ""}
    bt = discovery.strategy_info(by_name["buy-dips-bt"])
    assert (bt["kind"], bt["symbols"]) == ("backtrader", ["IWM", "SPY"])
    assert bt["params"] == {"size": 3, "drop": 0.01, "verbose": False, "tag": "x"}
    assert bt["description"] == "Buy `size` shares when the close falls `drop` below the previous close. Never sells."
    assert discovery.strategy_info(by_name["dict-params"])["params"] == {"period": 20}
    assert discovery.strategy_info(by_name["dict-params"])["symbols"] == ["IWM"]


def test_reference_finds_the_class_again(folder, monkeypatch):
    found, _ = discovery.scan_dir(folder)
    cls = {f.name: f.cls for f in found}["half-half"]
    ref = discovery.reference(cls)
    assert ref == f"{(folder / 'rules.py').resolve()}:HalfHalf"
    monkeypatch.setattr(discovery, "_FILES", {})  # as in a fresh worker process
    again = registry.resolve(ref)
    assert again is not cls and discovery.strategy_info(again) == discovery.strategy_info(cls)
    assert discovery.reference(registry.resolve("trend-filter")) == "r2k.strategies.trend:TrendFilter"


def test_source_info_hashes_the_file(folder):
    found, _ = discovery.scan_dir(folder)
    cls = {f.name: f.cls for f in found}["half-half"]
    info = discovery.source_info(cls)
    raw = (folder / "rules.py").read_bytes()
    assert info == {"path": str((folder / "rules.py").resolve()), "sha256": hashlib.sha256(raw).hexdigest()}


def test_backtrader_params_are_coerced_like_rule_params(folder):
    found, _ = discovery.scan_dir(folder)
    cls = {f.name: f.cls for f in found}["buy-dips-bt"]
    got = discovery.validate_params(cls, {"size": "7", "drop": "0.02", "verbose": "yes"})
    assert got == {"size": 7, "drop": 0.02, "verbose": True, "tag": "x"}
    assert type(got["size"]) is int and type(got["drop"]) is float
    with pytest.raises(UsageError, match=r"unknown parameter sise .*valid: size=3, drop=0.01"):
        discovery.validate_params(cls, {"sise": "7"})
    with pytest.raises(UsageError, match=r"bad value for parameter size.*valid parameters.*size=3"):
        discovery.validate_params(cls, {"size": "seven"})


def test_file_and_module_references(folder, monkeypatch):
    cls = registry.resolve(f"{folder / 'rules.py'}:HalfHalf")
    assert cls.__name__ == "HalfHalf"
    with pytest.raises(UsageError, match="unknown strategy 'half-half'"):
        registry.resolve("half-half")  # a lookup keeps no state: by name it needs its folder
    assert registry.resolve("half-half", [folder]) is cls  # the same class: files are imported once per content
    monkeypatch.syspath_prepend(str(folder))
    bt_cls = registry.resolve("bt_strats:BuyDipsBT")
    assert discovery.strategy_name(bt_cls) == "buy-dips-bt"
    with pytest.raises(UsageError, match="defines no Nope"):
        registry.resolve(f"{folder / 'rules.py'}:Nope")
    with pytest.raises(UsageError, match="no module named 'no_such_mod'"):
        registry.resolve("no_such_mod:Thing")
    with pytest.raises(UsageError, match="not an AllocationRule or backtrader Strategy"):
        registry.resolve("os.path:join")
    with pytest.raises(UsageError, match="strategy file not found"):
        registry.resolve(f"{folder / 'missing.py'}:X")
    write(folder, "syntax.py", SYNTAX_ERROR)
    with pytest.raises(UsageError, match=r"syntax.py:3: SyntaxError"):
        registry.resolve(f"{folder / 'syntax.py'}:X")


def test_env_path_and_search_paths(folder, tmp_path, monkeypatch):
    other = tmp_path / "other"
    write(other, "more.py", RULE_FILE.replace('"half-half"', '"half-half-2"'))
    monkeypatch.setenv(discovery.ENV_VAR, os.pathsep.join([str(folder), str(other)]))
    cat = registry.Registry.with_paths().catalog()
    assert {"half-half", "half-half-2", "buy-dips-bt", "dca"} <= set(cat.entries)
    assert cat.get("half-half-2").source == str((other / "more.py").resolve())
    monkeypatch.setenv(discovery.ENV_VAR, str(tmp_path / "missing"))
    assert [b.error for b in registry.Registry.with_paths().catalog().broken] == ["strategy folder does not exist"]
    assert registry.Registry.with_paths(env=False).catalog().broken == []


def test_duplicate_names_are_an_error_naming_both_sources(folder, tmp_path):
    other = tmp_path / "other"
    write(other, "copy.py", RULE_FILE)
    write(other, "dca.py", RULE_FILE.replace('"half-half"', '"dca"'))
    reg = registry.Registry.with_paths([folder, other])
    with pytest.raises(UsageError) as exc:
        reg.resolve("half-half")
    msg = str(exc.value)
    assert "two strategies are named 'half-half'" in msg
    assert str((folder / "rules.py").resolve()) in msg and str((other / "copy.py").resolve()) in msg
    with pytest.raises(UsageError, match=r"'dca': built-in and .*dca.py"):
        reg.resolve("dca")
    assert reg.resolve("buy-dips-bt").__name__ == "BuyDipsBT"  # unrelated names still resolve
    with pytest.raises(UsageError, match=r"'dca': built-in and .*dca.py"):  # by reference too
        registry.resolve(f"{other / 'dca.py'}:HalfHalf")


def test_entry_points_from_an_installed_distribution(tmp_path, monkeypatch):
    site = tmp_path / "site"
    write(site, "fake_r2k_plugin.py", RULE_FILE.replace('"half-half"', '"plugin-rule"'))
    dist = site / "fake_r2k_plugin-1.0.dist-info"
    write(dist, "METADATA", "Metadata-Version: 2.1\nName: fake-r2k-plugin\nVersion: 1.0\n")
    write(dist, "entry_points.txt", "[r2k.strategies]\nplugin-rule = fake_r2k_plugin:HalfHalf\n"
                                    "missing = fake_r2k_plugin:NoSuchClass\n")
    monkeypatch.syspath_prepend(str(site))
    cat = registry.Registry.with_paths().catalog()
    entry = cat.get("plugin-rule")
    assert entry.source == "entry point plugin-rule = fake_r2k_plugin:HalfHalf (fake-r2k-plugin)"
    assert entry.load().__name__ == "HalfHalf"
    assert [b.file for b in cat.broken] == ["entry point missing = fake_r2k_plugin:NoSuchClass (fake-r2k-plugin)"]
    assert registry.resolve("plugin-rule") is entry.load()
    assert registry.resolve("buy-and-hold").__name__ == "BuyAndHold"


def test_listing_builtins_does_not_import_backtrader(tmp_path):
    code = ("import sys; from r2k.strategies import registry, discovery\n"
            "cat = registry.Registry().catalog()\n"
            "[discovery.strategy_info(e.load()) for v in cat.entries.values() for e in v]\n"
            "print(len(cat.entries), 'backtrader' in sys.modules)")
    env = {**os.environ, "R2K_HOME": str(tmp_path)}
    env.pop(discovery.ENV_VAR, None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout.split()
    assert out == [str(len(registry.BUILTINS)), "False"]


# -- the CLI ----------------------------------------------------------------------------------
def test_cli_list_marks_broken_files(folder):
    write(folder, "syntax.py", SYNTAX_ERROR)
    res = invoke("strategies", "list", "--strategy-path", folder)
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert f"half-half  [rule]  {(folder / 'rules.py').resolve()}" in out
    assert "buy-dips-bt  [backtrader]" in out and "params: size=3, drop=0.01, verbose=False, tag='x'" in out
    assert "dca  [rule]  built-in" in out
    assert f"BROKEN  {(folder / 'syntax.py').resolve()}:3: SyntaxError" in out
    assert "could not be loaded" in res.stderr


def test_cli_list_duplicate_exits_2(folder, tmp_path):
    other = tmp_path / "other"
    write(other, "copy.py", RULE_FILE)
    res = invoke("strategies", "list", "--strategy-path", folder, "--strategy-path", other)
    msg = one_line_error(res, 2)
    assert "half-half" in msg and "copy.py" in msg and "rules.py" in msg
    assert res.stdout.count("DUPLICATE") == 2


def test_cli_show_both_kinds(folder):
    res = invoke("strategies", "show", "half-half", "--strategy-path", folder)
    assert res.exit_code == 0, res.output
    assert "half-half: allocation rule" in res.stdout and "schedule: quarter" in res.stdout
    assert "holds:    IWM, SPY" in res.stdout
    assert "weight  float  default 0.5" in res.stdout
    res = invoke("strategies", "show", "buy-dips-bt", "--strategy-path", folder)
    assert res.exit_code == 0, res.output
    assert "backtrader strategy" in res.stdout and "feeds:    IWM, SPY" in res.stdout
    assert "verbose  bool   default False" in res.stdout
    assert "unknown strategy" in one_line_error(invoke("strategies", "show", "nope", "--strategy-path", folder), 2)


def test_cli_new_refuses_bad_names_and_overwrites(tmp_path):
    assert "built-in" in one_line_error(invoke("strategies", "new", "dca", "--dir", tmp_path), 2)
    assert "bad strategy name" in one_line_error(invoke("strategies", "new", "My Rule", "--dir", tmp_path), 2)
    assert invoke("strategies", "new", "mine", "--dir", tmp_path).exit_code == 0
    assert "already exists" in one_line_error(invoke("strategies", "new", "mine", "--dir", tmp_path), 2)


def _first_trading_days(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    s = pd.Series(index, index=index)
    return pd.DatetimeIndex(s.groupby([index.year, index.month]).min().to_numpy())


def test_new_rule_template_runs_unchanged(home, tmp_path):
    mine = tmp_path / "mine"
    res = invoke("strategies", "new", "my-momentum", "--dir", mine)
    assert res.exit_code == 0, res.output
    assert (mine / "my_momentum.py").is_file()
    listed = invoke("strategies", "list", "--strategy-path", mine)
    assert f"my-momentum  [rule]  {(mine / 'my_momentum.py').resolve()}" in listed.stdout
    res = invoke("run", "my-momentum", "--strategy-path", mine, "-p", "lookback_days=60", "--offline",
                 "--no-tearsheet", "--out", tmp_path / "run", "--benchmark", "none")
    assert res.exit_code == 0, res.output
    # the decisions, recomputed: trailing 60-day return of IWM's closes at each month's first day
    close = home.read("prices", "IWM").data["adj_close"]
    got = pd.read_csv(tmp_path / "run" / "decisions.csv")
    for day, label in zip(pd.to_datetime(got["date"]), got["label"], strict=True):
        i = close.index.get_loc(day)
        want = "warm-up" if i < 60 + 1 else ("up" if close.iloc[i] / close.iloc[i - 60] > 1 else "down")
        assert label == want, day
    assert list(pd.to_datetime(got["date"])) == list(_first_trading_days(close.index))
    assert {"up", "down", "warm-up"} == set(got["label"])
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["spec"]["params"] == {"symbol": "IWM", "lookback_days": 60, "risk_off": "CASH"}


def test_new_backtrader_template_lists_and_shows(tmp_path):
    mine = tmp_path / "mine"
    assert invoke("strategies", "new", "my-trend", "--dir", mine, "--kind", "backtrader").exit_code == 0
    res = invoke("strategies", "show", "my-trend", "--strategy-path", mine)
    assert res.exit_code == 0, res.output
    assert "my-trend: backtrader strategy" in res.stdout and "period  int    default 50" in res.stdout


def test_new_backtrader_template_runs_unchanged(home, tmp_path):
    mine = tmp_path / "mine"
    assert invoke("strategies", "new", "my-trend", "--dir", mine, "--kind", "backtrader").exit_code == 0
    res = invoke("run", "my-trend", "--strategy-path", mine, "-p", "period=20", "--offline", "--no-tearsheet",
                 "--out", tmp_path / "run", "--benchmark", "none", "--contribute", "100")
    assert res.exit_code == 0, res.output
    # first buy: the day after the first close above its 20-day average (orders fill at the next open)
    close = home.read("prices", "IWM").data["adj_close"]
    above = close > close.rolling(20).mean()
    first_signal = above[above].index[0]
    trades = pd.read_csv(tmp_path / "run" / "trades.csv")
    assert trades["date"].iloc[0] == close.index[close.index.get_loc(first_signal) + 1].strftime("%Y-%m-%d")
    assert trades["side"].iloc[0] == "buy"


def test_cli_run_errors_are_one_line(home, folder):
    msg = one_line_error(invoke("run", "half-half", "--strategy-path", folder, "-p", "weight=lots", "--offline"), 2)
    assert "weight" in msg and "valid parameters" in msg and "symbol='IWM'" in msg
    msg = one_line_error(invoke("run", "half-half", "--strategy-path", folder, "-p", "wieght=1", "--offline"), 2)
    assert "unknown parameter wieght" in msg and "weight=0.5" in msg
    msg = one_line_error(invoke("run", "buy-dips-bt", "--strategy-path", folder, "-p", "size=big", "--offline"), 2)
    assert "size" in msg and "drop=0.01" in msg
    write(folder, "syntax.py", SYNTAX_ERROR)
    msg = one_line_error(invoke("run", f"{folder / 'syntax.py'}:X", "--offline"), 2)
    assert f"{(folder / 'syntax.py').resolve()}:3: SyntaxError" in msg
    (folder / "syntax.py").unlink()
    other = folder.parent / "other"
    write(other, "copy.py", RULE_FILE)
    msg = one_line_error(invoke("run", "half-half", "--strategy-path", folder, "--strategy-path", other, "--offline"), 2)
    assert "two strategies are named 'half-half'" in msg


def test_cli_run_by_file_reference_and_broken_neighbour_warns(home, folder, tmp_path):
    write(folder, "raises.py", RUNTIME_ERROR)
    res = invoke("run", "half-half", "--strategy-path", folder, "--offline", "--no-tearsheet", "--out", tmp_path / "a",
                 "--start", "2015-03-02", "--benchmark", "none")
    assert res.exit_code == 0, res.output
    assert f"could not load {(folder / 'raises.py').resolve()}:4: RuntimeError" in res.stderr
    res = invoke("run", f"{folder / 'rules.py'}:HalfHalf", "--offline", "--no-tearsheet", "--out", tmp_path / "b",
                 "--start", "2015-03-02", "--benchmark", "none")
    assert res.exit_code == 0, res.output
    a = pd.read_csv(tmp_path / "a" / "equity.csv")
    b = pd.read_csv(tmp_path / "b" / "equity.csv")
    assert np.array_equal(a["value"].to_numpy(), b["value"].to_numpy())
    # half IWM, half SPY from the first open, rebalanced quarterly: check the first quarter by hand
    iwm, spy = (home.read("prices", s).data.loc["2015-03-02":] for s in ("IWM", "SPY"))
    shares_i = 5000 / iwm["open"].iloc[1]
    shares_s = 5000 / spy["open"].iloc[1]
    d = iwm.index[20]
    assert d < pd.Timestamp("2015-04-01")
    want = shares_i * iwm["close"].iloc[20] + shares_s * spy["close"].iloc[20]
    assert a.set_index("date").loc[d.strftime("%Y-%m-%d"), "value"] == pytest.approx(want, rel=1e-9)
