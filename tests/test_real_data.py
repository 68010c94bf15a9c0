"""End to end on the real snapshot (R2K_TEST_DATA): import, run offline, check against raw CSVs."""

import json
import re

import pandas as pd
import pytest
from click.testing import CliRunner

from r2k.runner.cli import cli
from tests.util import needs_real_data, real_data_dir

pytestmark = needs_real_data


def _raw(name):
    return pd.read_csv(real_data_dir() / "prices" / f"{name}.csv", index_col="date", parse_dates=True)


def test_import_lists_every_file(real_home):
    res = CliRunner().invoke(cli, ["data", "list"], env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0
    names = {line.split()[0] for line in res.stdout.splitlines()[1:]}
    files = {p.stem for sub in ("prices", "fred") for p in (real_data_dir() / sub).glob("*.csv")}
    expected = {("^" + f) if f in ("RUT", "GSPC", "IXIC", "VIX", "IRX") else f for f in files}
    assert names == expected


def test_buy_and_hold_iwm_matches_adj_close(real_home, tmp_path):
    out = tmp_path / "bh"
    res = CliRunner().invoke(
        cli,
        ["run", "buy-and-hold", "--symbol", "IWM", "--start", "2005-01-01", "--end", "2024-12-31",
         "--benchmark", "SPY", "--offline", "--out", str(out)],
        env={"R2K_HOME": str(real_home)},
    )
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    iwm = _raw("IWM").loc["2005-01-01":"2024-12-31"]
    # decided at the first close, bought at the second day's open, in total-return adjusted terms
    adj_open = iwm["open"].iloc[1] * iwm["adj_close"].iloc[1] / iwm["close"].iloc[1]
    expected = iwm["adj_close"].iloc[-1] / adj_open - 1
    assert m["total_return"] == pytest.approx(expected, rel=1e-6)
    assert m["final_value"] == pytest.approx(10_000 * (1 + expected), rel=1e-6)
    assert (m["start"], m["end"]) == ("2005-01-03", "2024-12-31")
    # the benchmark column is SPY bought the same way (second day's adjusted open), held to the end
    spy = _raw("SPY").loc["2005-01-01":"2024-12-31"]
    spy_open = spy["open"].iloc[1] * spy["adj_close"].iloc[1] / spy["close"].iloc[1]
    assert f"{100 * (spy['adj_close'].iloc[-1] / spy_open - 1):.2f}%" in res.stdout
    man = json.loads((out / "manifest.json").read_text())
    assert man["inputs"]["IWM"]["start"] == "2000-05-26" and man["inputs"]["IWM"]["source"].endswith("IWM.csv")
    assert man["spec"]["fill"] == "next-open" and "next day's open" in man["assumptions"]["fill"]
    html = (out / "tearsheet.html").read_text()
    assert re.search(r"<title>r2k buy-and-hold IWM 2005-01-03\.\.2024-12-31</title>", html)
    assert html.count("<script>") == 1 and "<script src" not in html and "http" not in html  # nothing fetched
    assert "How these numbers were made" in html and "next day&#x27;s open" in html
    assert "\ufe6a" not in html
    assert "findfont" not in res.stderr


def test_close_fill_matches_close_to_close(real_home, tmp_path):
    out = tmp_path / "bhc"
    res = CliRunner().invoke(
        cli,
        ["run", "buy-and-hold", "--symbol", "^RUT", "--start", "2010-01-01", "--end", "2019-12-31",
         "--benchmark", "none", "--fill", "close", "--offline", "--out", str(out), "--no-tearsheet"],
        env={"R2K_HOME": str(real_home)},
    )
    assert res.exit_code == 0, res.output
    rut = _raw("RUT").loc["2010-01-01":"2019-12-31", "close"]
    m = json.loads((out / "metrics.json").read_text())
    assert m["total_return"] == pytest.approx(rut.iloc[-1] / rut.iloc[0] - 1, rel=1e-6)
    rets = pd.read_csv(out / "returns.csv", index_col="date", parse_dates=True)["return"]
    pd.testing.assert_series_equal(rets, rut.pct_change().iloc[1:], check_names=False, rtol=1e-8, check_freq=False,
                                   check_index_type=False)
