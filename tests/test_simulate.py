"""r2k simulate: the stationary block bootstrap, the cash-flow replay and what they report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from r2k.data.errors import UsageError
from r2k.runner.bootstrap import drawdown_stats, replay, stationary_indices
from r2k.runner.simulation import simulate
from tests.test_windows import fake_result
from tests.util import bdays, invoke, one_line_error


def monthly_result(n: int = 2600, contribute: float = 500.0, withdraw: float = 0.0, seed: int = 5):
    """A fake run with a deposit (or withdrawal) on each month's first business day, its equity replayed."""
    cal = bdays("2005-01-03", n)
    firsts = pd.Series(cal, index=cal).groupby(cal.to_period("M")).min().iloc[1:]
    flows = {d: contribute - withdraw for d in firsts}
    res = fake_result(n=n, seed=seed, start="2005-01-03", flows=flows)
    f = np.zeros(n)
    f[0] = 10_000.0
    f[cal.get_indexer(list(firsts))] += contribute - withdraw
    value = np.empty(n)
    value[0] = f[0]
    for t in range(1, n):  # the account a run would report, day by day
        value[t] = value[t - 1] * (1 + res.returns.iloc[t - 1]) + f[t]
    res.equity["value"] = value
    return res


# -- kernels --------------------------------------------------------------------------------
def test_indices_continue_blocks_and_blocks_have_the_mean_length():
    rng = np.random.default_rng(0)
    idx = stationary_indices(rng, 1000, 200, 2000, 20.0)
    assert idx.shape == (200, 2000) and idx.min() >= 0 and idx.max() < 1000
    cont = idx[:, 1:] == (idx[:, :-1] + 1) % 1000
    breaks = (~cont).sum() + 200  # every path starts a block
    assert 200 * 2000 / breaks == pytest.approx(20.0, rel=0.05)  # geometric blocks, mean 20 days


def test_block_as_long_as_the_history_is_the_history():
    idx = stationary_indices(np.random.default_rng(0), 500, 3, 400, 500.0)
    assert (idx == np.arange(400)).all()


def test_replay_equals_a_loop_with_withdrawals_and_depletion():
    rng = np.random.default_rng(1)
    r = rng.normal(0.0, 0.03, (50, 300))
    flows = np.where(np.arange(301) % 21 == 0, -900.0, 0.0)
    flows[0] = 10_000.0
    bal, dep = replay(r, flows)
    for p in range(50):
        v, gone = flows[0], 301
        for t in range(1, 301):
            v = v * (1 + r[p, t - 1]) + flows[t]
            if v <= 0:
                gone = t
                break
        assert dep[p] == gone
        if gone <= 300:
            assert (bal[p, gone:] == 0).all()
        else:
            assert bal[p, -1] == pytest.approx(v, rel=1e-9)
    assert 0 < (dep <= 300).sum() < 50  # the case mixes depleted and surviving paths


def test_drawdown_and_under_water_match_the_metrics_module_and_a_loop():
    from r2k.reports.metrics import max_drawdown

    rng = np.random.default_rng(2)
    r = rng.normal(0.0003, 0.015, (5, 800))
    depth, under = drawdown_stats(r)
    cal = bdays("2010-01-01", 801)
    for p in range(5):
        assert depth[p] == pytest.approx(max_drawdown(pd.Series(r[p], index=cal[1:]), cal[0])[0], rel=1e-12)
        w, peak, run, longest = 1.0, 1.0, 0, 0
        for x in r[p]:
            w *= 1 + x
            if w >= peak:
                peak, run = w, 0
            else:
                run += 1
                longest = max(longest, run)
        assert under[p] == longest


def test_xirr_many_matches_a_root_finder_row_by_row():
    from r2k.reports.xirr import xirr_many

    rng = np.random.default_rng(3)
    t = np.arange(121) / 12.0
    a = np.full((40, 121), -300.0)
    a[:, 0] = -5000.0
    a[:, -1] = rng.uniform(10_000, 200_000, 40)
    got = xirr_many(t, a)
    for i in range(40):
        want = brentq(lambda x, i=i: float(np.sum(a[i] / (1 + x) ** t)), -0.99, 10.0, xtol=1e-15)
        assert got[i] == pytest.approx(want, abs=1e-12)


# -- the bootstrap's guarantees -------------------------------------------------------------
def test_one_path_with_a_block_as_long_as_history_reproduces_the_run():
    res = monthly_result()
    sim = simulate(res, paths=1, years=None, block_months=_months(res), seed=1)
    assert sim.method["horizon_days"] == len(res.returns)
    assert sim.paths["final_balance"].iloc[0] == pytest.approx(res.equity["value"].iloc[-1], rel=1e-11)
    assert sim.percentiles.at["final_balance", "history_percentile"] == 50.0
    years = (res.end - res.start).days / 365.25
    twr = float(np.prod(1 + res.returns))
    assert sim.paths["cagr"].iloc[0] == pytest.approx(twr ** (1 / years) - 1, rel=1e-11)
    fan = sim.fan
    assert np.allclose(fan["history"], res.equity["value"].to_numpy()[np.rint(fan.index * len(res.returns) / years)
                                                                      .astype(int)], rtol=1e-11)


def _months(res) -> float:
    return (res.end - res.start).days / (365.25 / 12)


def test_iid_bootstrap_mean_log_growth_matches_the_sample_mean():
    """Blocks of one day: an i.i.d. bootstrap, whose mean log growth per day is the sample mean."""
    res = fake_result(n=2600, seed=8)
    sim = simulate(res, paths=2000, years=5, block_months=0.01, seed=4)
    assert sim.method["mean_block_days"] == 1.0
    h = sim.method["horizon_days"]
    logs = np.log1p(res.returns.to_numpy())
    per_day = np.log1p(sim.paths["cagr"].to_numpy()) * sim.method["years"] / h
    se = logs.std(ddof=1) / np.sqrt(h * 2000)
    assert abs(per_day.mean() - logs.mean()) < 4 * se


def test_a_shuffle_leaves_final_wealth_unchanged_the_bootstrap_does_not():
    """Why quantstats' Monte Carlo is not used: it shuffles the same daily returns, and a product does
    not depend on the order of its factors, so every path ends at the same wealth."""
    res = fake_result(n=2600, seed=9)
    r = res.returns.to_numpy()
    rng = np.random.default_rng(0)
    shuffled = np.array([np.prod(1 + rng.permutation(r)) for _ in range(200)])
    assert shuffled.std() / shuffled.mean() < 1e-12  # zero spread, up to rounding
    sim = simulate(res, paths=200, years=None, block_months=12, seed=0)
    growth = (1 + sim.paths["cagr"]) ** sim.method["years"]
    assert growth.std() / growth.mean() > 0.2


def test_same_seed_same_numbers_other_seed_other_numbers():
    res = monthly_result(n=1500)
    a = simulate(res, paths=1200, years=4, block_months=6, seed=11)
    b = simulate(res, paths=1200, years=4, block_months=6, seed=11)
    c = simulate(res, paths=1200, years=4, block_months=6, seed=12)
    pd.testing.assert_frame_equal(a.paths, b.paths, check_exact=True)
    pd.testing.assert_frame_equal(a.fan, b.fan, check_exact=True)
    assert not np.array_equal(a.paths["final_balance"], c.paths["final_balance"])


def test_process_pool_and_dask_equal_serial():
    res = monthly_result(n=1500)
    serial = simulate(res, paths=1100, years=4, block_months=6, seed=3)
    pool = simulate(res, paths=1100, years=4, block_months=6, seed=3, workers=2)
    pd.testing.assert_frame_equal(serial.paths, pool.paths, check_exact=True)
    pytest.importorskip("dask.distributed")
    dask = simulate(res, paths=1100, years=4, block_months=6, seed=3, dask_local=1)
    pd.testing.assert_frame_equal(serial.paths, dask.paths, check_exact=True)


def test_probabilities_are_shares_of_paths():
    res = monthly_result(n=1500)
    sim = simulate(res, paths=800, years=5, block_months=12, seed=2)
    p = sim.paths
    assert sim.probabilities["beat_benchmark"] == float((p["final_balance"] > p["benchmark_final_balance"]).mean())
    net_in = 10_000 + 500 * sum(1 for d in pd.to_datetime(res.cashflows["date"])[1:]
                                if d <= res.equity.index[sim.method["horizon_days"]])
    assert sim.method["net_money_in"] == net_in
    assert sim.probabilities["loss"] == float((p["final_balance"] < net_in).mean())
    assert "depletion" not in sim.probabilities
    q = sim.percentiles
    assert q.at["final_balance", "p50"] == pytest.approx(np.percentile(p["final_balance"], 50))
    assert q.at["xirr", "p5"] == pytest.approx(np.percentile(p["xirr"], 5))


def test_withdrawals_report_depletion_generically():
    """Negative flows in the ledger (issue 13's withdrawals) are replayed as such: P(depletion)."""
    res = monthly_result(n=2600, contribute=0.0, withdraw=150.0)
    sim = simulate(res, paths=600, years=10, block_months=12, seed=5)
    dep = sim.probabilities["depletion"]
    assert 0.0 < dep < 1.0
    assert sim.probabilities["median_depletion_year"] is not None
    assert (sim.paths["final_balance"] == 0).mean() == pytest.approx(dep)


def test_real_balances_deflate_by_cpi():
    res = monthly_result(n=1500)
    months = pd.period_range("2004-01", "2011-12", freq="M")
    cpi = pd.Series(100 * 1.002 ** np.arange(len(months)), index=months.to_timestamp())  # 0.2 % a month
    sim = simulate(res, paths=50, years=4, block_months=6, seed=1, cpi=cpi)
    ratio = sim.paths["final_balance"] / sim.paths["final_balance_real"]
    assert np.allclose(ratio, ratio.iloc[0], rtol=0.02)  # every path ~ the same months of 0.2 % inflation
    assert ratio.iloc[0] == pytest.approx(1.002 ** (12 * sim.method["years"]), rel=0.02)


def test_bad_input_is_a_usage_error():
    res = fake_result(n=1300)
    for kwargs, words in [({"paths": 0}, "--paths"), ({"years": 30}, "more than"),
                          ({"block_months": 500}, "longer than"), ({"seed": -1}, "--seed")]:
        with pytest.raises(UsageError, match=words):
            simulate(res, **{"paths": 10, "years": 2, "block_months": 6, "seed": 1, **kwargs})


# -- the command on the real snapshot -------------------------------------------------------
def test_cli_simulate_writes_the_folder(real_home, tmp_path):
    out = tmp_path / "s"
    res = invoke("simulate", "dca", "--symbol", "IWM", "--start", "2004-12-31", "--end", "2024-12-31", "--offline",
                 "--paths", "600", "--years", "10", "--seed", "7", "--out", out, env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} >= {"percentiles.csv", "paths.csv", "fan.csv", "fan.png", "index.html",
                                               "simulation.json"}
    assert "seed 7" in res.stdout and "P(final balance beats SPY" in res.stdout
    assert "Final balance (real)" in res.stdout


def test_cli_simulate_and_windows_take_the_withdrawal_plan_run_takes(real_home, tmp_path):
    """--withdraw/--every reach the run they bootstrap (before, both said: No such option '--withdraw')."""
    import json
    import re

    env = {"R2K_HOME": str(real_home)}
    plan = ("buy-and-hold", "--symbol", "SPY", "--start", "2004-12-31", "--end", "2024-12-31", "--offline",
            "--withdraw", "900", "--every", "year")
    out = tmp_path / "s"
    res = invoke("simulate", *plan, "--paths", "300", "--years", "14.5", "--seed", "3", "--out", out, env=env)
    assert res.exit_code == 0, res.output
    # the ledger replayed: $10,000 in, $900 out on the first trading day of 2005..2019 (15 years start in 14.5)
    method = json.loads((out / "simulation.json").read_text())["method"]
    assert method["net_money_in"] == pytest.approx(10_000 - 15 * 900)
    # P(depletion) printed is the share of paths.csv whose final balance is zero
    depleted = (pd.read_csv(out / "paths.csv")["final_balance"] == 0).mean()
    printed = re.search(r"P\(depletion[^)]*\): ([0-9.]+)%", res.stdout)
    assert printed and 0 < depleted < 1 and float(printed.group(1)) == pytest.approx(100 * depleted, abs=0.05)
    assert all(len(line) <= 100 for line in res.stdout.splitlines())

    res = invoke("windows", *plan, "--max-years", "2", "--out", tmp_path / "w", env=env)
    assert res.exit_code == 0, res.output
    assert "withdrawals" in res.stdout and all(len(line) <= 100 for line in res.stdout.splitlines())


@pytest.mark.parametrize("args, words", [(["--paths", "0"], "--paths"), (["--years", "40"], "more than"),
                                         (["--block-months", "400"], "longer than")])
def test_cli_bad_input_one_line_exit_2(real_home, args, words):
    res = invoke("simulate", "buy-and-hold", "--start", "2004-12-31", "--end", "2024-12-31", "--offline", *args,
                 env={"R2K_HOME": str(real_home)})
    assert words in one_line_error(res, 2)


# -- --resample assets: the rule re-run on synthetic prices ---------------------------------
@pytest.fixture(scope="module")
def trend_run(real_home):
    import r2k.runner as r2k

    return r2k.run("trend-filter", start="2014-12-31", end="2019-12-31", contribute=300, engine="vector",
                   home=str(real_home), offline=True)


def test_assets_one_path_whole_history_block_reproduces_the_run(trend_run, real_home):
    """Synthetic prices built from history's own days in order are history: the rule decides, trades
    and ends exactly as the run did (its CASH leg, decisions, next-open fills and deposits included)."""
    from r2k.data.store import Store

    sim = simulate(trend_run, paths=1, years=None, block_months=_months(trend_run), seed=1, resample="assets",
                   store=Store(str(real_home)), offline=True)
    assert sim.paths["final_balance"].iloc[0] == pytest.approx(trend_run.equity["value"].iloc[-1], rel=1e-9)
    assert sim.paths["benchmark_final_balance"].iloc[0] == pytest.approx(trend_run.benchmark_value.iloc[-1], rel=1e-9)


def test_assets_whole_history_path_of_a_banded_portfolio_reproduces_the_run(real_home):
    """A drift-band portfolio rebalances on synthetic prices as the run does (the path's plan
    carries the rule's bands: without them the one-path history never rebalanced)."""
    import r2k.runner as r2k
    from r2k.data.store import Store

    run = r2k.run("portfolio", params={"weights": "IWM:60,TLT:40", "band": 5}, start="2005-01-03", end="2014-12-31",
                  home=str(real_home), offline=True)
    assert any(d.startswith("band") for d in run.decisions["label"])  # the run itself rebalanced on bands
    sim = simulate(run, paths=1, years=None, block_months=_months(run), seed=1, resample="assets",
                   store=Store(str(real_home)), offline=True)
    assert sim.paths["final_balance"].iloc[0] == pytest.approx(run.equity["value"].iloc[-1], rel=1e-9)


def test_assets_paths_make_the_rule_decide_again(trend_run, real_home):
    """With real resampling, the rule's returns are not a resample of the realised ones: on some
    path it holds cash on days history held IWM, or the reverse."""
    from r2k.data.store import Store
    from r2k.runner.bootstrap import batch_rng, stationary_indices
    from r2k.runner.resample_assets import build, path_returns

    a = build(trend_run, 600, store=Store(str(real_home)), offline=True)
    idx = stationary_indices(batch_rng(3, 0), len(trend_run.returns), 3, 600, 60.0)
    realised = trend_run.returns.to_numpy()
    differs = 0
    for row in idx:
        strat, _ = path_returns(a, row)
        differs += int(np.sum(np.abs(strat - realised[row]) > 1e-9))
    assert differs > 0


def test_assets_refuses_rules_that_read_economic_series(real_home):
    res = invoke("simulate", "rate-cut-rotation", "--start", "2004-12-31", "--end", "2024-12-31", "--offline",
                 "--resample", "assets", "--paths", "10", env={"R2K_HOME": str(real_home)})
    assert "reads only prices" in one_line_error(res, 2)


def test_api_takes_a_strategy_and_its_settings(real_home):
    from r2k.runner.windows_study import windows

    w = windows("buy-and-hold", symbol="IWM", start="2014-12-31", end="2019-12-31", home=str(real_home), offline=True)
    assert w.cells["years"].max() == 5 and w.label.startswith("buy-and-hold IWM")
    sim = simulate("buy-and-hold", symbol="IWM", start="2014-12-31", end="2019-12-31", home=str(real_home),
                   offline=True, paths=50, years=3, seed=2)
    assert "final_balance_real" in sim.paths  # CPIAUCSL read from the store
    with pytest.raises(UsageError, match="apply to a strategy"):
        simulate(fake_result(), paths=5, years=1, symbol="IWM")


def test_sections_for_other_pages_embed_the_chart_and_the_numbers(tmp_path):
    from r2k.reports import simulate_report, windows_report
    from r2k.runner.windows_study import windows

    sim = simulate(monthly_result(n=1500), paths=200, years=4, block_months=6, seed=1)
    html = simulate_report.section_html(sim, simulate_report.fan_chart(sim, tmp_path / "f.png").read_bytes())
    assert html.startswith("<section") and "data:image/png;base64," in html and "seed 1" in html
    assert f"{sim.percentiles.at['final_balance', 'p50']:,.0f}" in html
    w = windows(fake_result())
    html = windows_report.section_html(w, windows_report.heatmap(w, tmp_path / "h.png").read_bytes())
    assert "One cell:" in html and f"{100 * w.summary['median'].iloc[0]:.1f}%" in html
