"""compare --windows / --simulate: the optional sections hold each member's own study over the
common window (checked against an independent month-end computation from the member's files)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from tests.util import invoke, needs_real_data, one_line_error, real_home  # noqa: F401


@needs_real_data
def test_sections_hold_each_members_study_over_the_common_window(real_home, tmp_path):  # noqa: F811
    out = tmp_path / "cmp"
    res = invoke("compare", "buy-and-hold", "--symbols", "IWM,SPY", "--start", "2010-01-01", "--end", "2019-12-31",
                 "--offline", "--no-tearsheet", "--windows", "--simulate", "300", "--sim-years", "5", "--out", out,
                 env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    page = (out / "index.html").read_text()
    for label in ("buy-and-hold IWM", "buy-and-hold SPY"):
        assert f"Every start date: {label}" in page
        assert f"What could have happened: {label}" in page
    doc = json.loads((out / "summary.json").read_text())
    assert [(s["kind"], s["member"]) for s in doc["sections"]] == [
        ("windows", "buy-and-hold IWM"), ("simulation", "buy-and-hold IWM"),
        ("windows", "buy-and-hold SPY"), ("simulation", "buy-and-hold SPY")]

    # independent: month-end wealth from the member's own returns.csv (the common window), by resample
    member = out / "buy-and-hold-IWM"
    rets = pd.read_csv(member / "returns.csv", index_col=0, parse_dates=True).iloc[:, 0]
    assert rets.index[0] >= pd.Timestamp("2010-01-01") and rets.index[-1] <= pd.Timestamp("2019-12-31")
    level = (1 + rets).cumprod()
    month_end = level.resample("ME").last()
    cells = pd.read_csv(member / "windows" / "windows.csv")
    one = cells[(cells["years"] == 1) & (cells["start"] == "2011-01")].iloc[0]
    expected = month_end.loc["2011-12-31"] / month_end.loc["2010-12-31"] - 1
    assert np.isclose(one["strategy"], expected, rtol=0, atol=1e-12)
    # the longest cells never reach outside the common window
    assert pd.to_datetime(cells["end"]).max() <= pd.Timestamp("2019-12-31")

    sim = json.loads((member / "simulation" / "simulation.json").read_text())
    # the simulation resamples exactly the member's common-window history
    assert sim["method"]["paths"] == 300
    days = pd.read_csv(member / "equity.csv", index_col=0, parse_dates=True).index
    assert sim["method"]["history"] == f"{days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d}"
    assert len(pd.read_csv(member / "simulation" / "paths.csv")) == 300


@needs_real_data
def test_python_api_keeps_the_studies_and_bad_paths_are_refused(real_home, tmp_path):  # noqa: F811
    from r2k.data.store import Store
    from r2k.runner import compare

    cmp = compare(["buy-and-hold"], symbols=["IWM", "SPY"], start="2012-01-01", end="2018-12-31", offline=True,
                  store=Store(real_home), windows=True)
    assert [(s.kind, s.label) for s in cmp.studies] == [("windows", "buy-and-hold IWM"), ("windows", "buy-and-hold SPY")]
    spy = cmp.studies[1].result
    # the strategy side of SPY buy-and-hold and its benchmark (SPY bought the same way) coincide
    assert np.allclose(spy.cells["strategy"], spy.cells["benchmark"], atol=1e-12)

    res = invoke("compare", "buy-and-hold", "--offline", "--simulate", "-5", env={"R2K_HOME": str(real_home)})
    assert "--simulate" in one_line_error(res, 2)
