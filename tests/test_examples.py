"""The examples/ strategies run through the CLI on the real data, checked against pandas recomputations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from r2k.runner.cli import cli
from r2k.strategies import discovery
from tests.util import needs_real_data, real_data_dir

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WINDOW = ("2005-01-01", "2024-12-31")

pytestmark = needs_real_data


@pytest.fixture(autouse=True)
def no_user_strategy_path(monkeypatch):
    monkeypatch.delenv(discovery.ENV_VAR, raising=False)


def invoke(home: Path, *args):
    return CliRunner().invoke(cli, [str(a) for a in args], env={"R2K_HOME": str(home)})


def raw(name: str, sub: str) -> pd.DataFrame:
    return pd.read_csv(real_data_dir() / sub / f"{name}.csv", parse_dates=["date"], index_col="date")


def test_examples_are_listed_and_shown(real_home):
    res = invoke(real_home, "strategies", "list", "--strategy-path", EXAMPLES)
    assert res.exit_code == 0, res.output
    assert f"yield-curve-filter  [rule]  {EXAMPLES / 'yield_curve.py'}" in res.stdout
    assert f"sma-cross  [backtrader]  {EXAMPLES / 'sma_cross_bt.py'}" in res.stdout
    assert "BROKEN" not in res.stdout
    res = invoke(real_home, "strategies", "show", "yield-curve-filter", "--strategy-path", EXAMPLES)
    assert "reads:    DGS10, DGS3MO" in res.stdout and "schedule: month" in res.stdout
    res = invoke(real_home, "strategies", "show", "sma-cross", "--strategy-path", EXAMPLES)
    assert "fast    int    default 50" in res.stdout and "feeds:    IWM" in res.stdout


def test_yield_curve_filter_decisions_match_the_published_spread(real_home, tmp_path):
    out = tmp_path / "yc"
    res = invoke(real_home, "run", "yield-curve-filter", "--strategy-path", EXAMPLES, "--start", WINDOW[0],
                 "--end", WINDOW[1], "--offline", "--no-tearsheet", "--out", out)
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out / "decisions.csv", parse_dates=["date"])

    # decision dates: the first IWM trading day of every month in the window
    iwm = raw("IWM", "prices").loc[WINDOW[0]:WINDOW[1]]
    firsts = iwm.index.to_series().groupby(iwm.index.to_period("M")).min()
    assert list(got["date"]) == list(firsts)

    # spread known on day d: observations of both series dated at least one business day before d
    both = raw("DGS10", "fred")["value"].to_frame("long").join(raw("DGS3MO", "fred")["value"].rename("short"), how="inner")
    both = both.dropna()
    spread = (both["long"] - both["short"])
    spread.index = spread.index + pd.offsets.BDay(1)
    known = spread.reindex(got["date"], method="ffill")
    want_in = known > 0
    held = got["weights"].str.contains('"IWM": 1.0')
    assert (held.to_numpy() == want_in.to_numpy()).all()
    assert got.loc[~want_in.to_numpy(), "weights"].str.contains('"CASH": 1.0').all()
    label_spread = got["label"].str.split().str[1].astype(float)
    assert np.allclose(label_spread.to_numpy(), known.round(2).to_numpy(), atol=0.0051)
    # the well-known inversions are there: 2006-07, 2019 and 2022-24
    inverted = set(got.loc[~want_in.to_numpy(), "date"].dt.strftime("%Y-%m"))
    assert {"2007-01", "2019-09", "2023-06"} <= inverted and "2010-06" not in inverted

    # the account follows the decisions: at each month's last close IWM is held iff that month decided so
    pos = pd.read_csv(out / "positions.csv", parse_dates=["date"], index_col="date")
    month_end = pos.groupby(pos.index.to_period("M")).tail(1)
    assert ((month_end["IWM"] > 0).to_numpy() == want_in.to_numpy()).all()


def test_sma_cross_trades_match_a_pandas_crossover(real_home, tmp_path):
    out = tmp_path / "sma"
    res = invoke(real_home, "run", "sma-cross", "--strategy-path", EXAMPLES, "--start", WINDOW[0], "--end", WINDOW[1],
                 "--offline", "--no-tearsheet", "--out", out)
    assert res.exit_code == 0, res.output
    close = raw("IWM", "prices").loc[WINDOW[0]:WINDOW[1], "adj_close"]
    fast, slow = close.rolling(50).mean(), close.rolling(200).mean()
    expected, holding = [], False
    for i in range(len(close) - 1):
        if fast.iloc[i] > slow.iloc[i] and not holding:
            expected.append((close.index[i + 1].strftime("%Y-%m-%d"), "buy"))
            holding = True
        elif fast.iloc[i] < slow.iloc[i] and holding:
            expected.append((close.index[i + 1].strftime("%Y-%m-%d"), "sell"))
            holding = False
    trades = pd.read_csv(out / "trades.csv")
    assert list(zip(trades["date"], trades["side"], strict=True)) == expected
    assert len(expected) > 10


def test_every_import_line_in_the_readme_works():
    """A reader copies these lines first; an import that names a moved module fails here
    (``from r2k.runner.simulate import simulate`` did, after the module became simulation.py)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    lines = sorted(set(re.findall(r"^\s*(from r2k\.[\w.]+ import [\w, ]+|import r2k[\w.]*)\s*$", readme, re.M)))
    assert len(lines) >= 3
    for line in lines:
        exec(line.strip(), {})
