"""The executor's plain-Python kernels and their numba copies give the same account (runner.kernels).

A single run executes the plain loop (no numba import: ~0.7 s saved per run); a sweep's batches
run the compiled copy. Both are built from one source, so any difference is a compiler or
language-semantics difference (Python vs numba integer/float rules): these tests look for one over
random plans that exercise every branch of the loop (next-open and close fills, costs, whole
shares, deposits, fixed and percentage withdrawals up to depletion, drift bands).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from r2k.runner import kernels
from r2k.runner.plan import Plan
from r2k.runner.vector_executor import _run, run_vector

N = 150
CAL = pd.bdate_range("2020-01-01", periods=N)


@st.composite
def plans(draw) -> Plan:
    m = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    closes = 40 * np.exp(np.cumsum(rng.normal(0, 0.03, (N, m)), axis=0))
    opens = closes * np.exp(rng.normal(0, 0.01, (N, m)))
    decide = rng.random(N) < draw(st.floats(0.0, 0.3))
    decide[0] = True
    raw = rng.random((N, m)) * (rng.random((N, m)) < 0.8)
    weights = raw / np.maximum(raw.sum(axis=1, keepdims=True), 1e-12) * draw(st.floats(0.6, 1.0))
    weights[~decide] = np.nan
    weights = pd.DataFrame(weights).ffill().to_numpy()
    flows = np.where(rng.random(N) < 0.08, rng.uniform(10, 2000, N), 0.0)
    flows[0] = draw(st.floats(500, 1e6))
    withdraw = withdraw_rate = None
    kind = draw(st.sampled_from(["none", "dollars", "rate"]))
    paying = rng.random(N) < 0.1
    if kind == "dollars":  # large enough to deplete some accounts
        withdraw = np.where(paying, flows[0] * draw(st.floats(0.001, 0.3)), 0.0)
    elif kind == "rate":
        withdraw_rate = np.where(paying, draw(st.floats(0.001, 0.2)), 0.0)
    band, band_relative = draw(st.sampled_from([(0.0, 0.0), (0.05, 0.0), (0.0, 0.25), (0.01, 0.0)]))
    whole = draw(st.booleans())
    units = rng.uniform(0.5, 2.0, (N, m)) if whole and draw(st.booleans()) else None
    return Plan(calendar=CAL, assets=[f"A{j}" for j in range(m)], opens=opens, closes=closes, decide=decide,
                weights=weights, flows=flows, fill=draw(st.sampled_from(["next-open", "close"])),
                commission=draw(st.sampled_from([0.0, 0.001, 0.01])), slippage=draw(st.sampled_from([0.0, 0.0005])),
                whole_shares=whole, withdraw=withdraw, withdraw_rate=withdraw_rate, band=band,
                band_relative=band_relative, units=units)


@settings(max_examples=150, deadline=None)
@given(plans())
def test_plain_and_compiled_executors_give_the_same_account(plan):
    a, b = run_vector(plan), run_vector(plan, compiled=True)
    for name in ("value", "cash", "shares", "flows"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-13, atol=1e-9, err_msg=name)
    assert a.depleted == b.depleted
    assert [r[:2] for r in a.rebalances] == [r[:2] for r in b.rebalances]
    ta, tb = list(a.trades), list(b.trades)
    assert [(t["date"], t["symbol"], t["side"]) for t in ta] == [(t["date"], t["symbol"], t["side"]) for t in tb]
    np.testing.assert_allclose([(t["size"], t["price"]) for t in ta], [(t["size"], t["price"]) for t in tb],
                               rtol=1e-13, atol=1e-9)
    assert np.array_equal(plan.trade_days(), plan.trade_days(compiled=True))


def test_the_compiled_copy_calls_compiled_callees_and_is_built_from_their_sources():
    """Compiling _run compiles size_into, raise_into, band_breach and _fill (numba would reject a
    plain Python callee), and its cache depends on sizing.py and drift.py as well as its own file."""
    names = {p.name for p in kernels.sources(_run)}
    assert {"vector_executor.py", "sizing.py", "drift.py"} <= names
    compiled = kernels.pick(_run, True)
    assert compiled is kernels.pick(_run, True) and compiled is not _run and kernels.pick(_run, False) is _run


def test_a_changed_callee_source_drops_the_compiled_cache():
    """numba keys a cached function by its own file only; a changed sizing.py must recompile _run."""
    compiled = kernels.pick(_run, True)
    marker = Path(compiled._cache.cache_path) / f"{_run.__module__}.{_run.__qualname__}.deps"
    assert marker.is_file() and not kernels._flush_if_stale(compiled, _run)  # unchanged: the cache is kept
    marker.write_text("an older sizing.py", encoding="ascii")
    assert kernels._flush_if_stale(compiled, _run)  # changed: flushed, and the marker now says what it is built from
    assert not kernels._flush_if_stale(compiled, _run)


_SINGLE_RUN = """
import sys
import numpy as np, pandas as pd
from r2k.runner.plan import Plan
from r2k.runner.vector_executor import run_vector
cal = pd.bdate_range("2020-01-01", periods=50)
px = np.linspace(10, 20, 50)[:, None]
plan = Plan(calendar=cal, assets=["A"], opens=px, closes=px, decide=np.r_[True, np.zeros(49, bool)],
            weights=np.ones((50, 1)), flows=np.r_[1000.0, np.zeros(49)], fill="close", commission=0.0, slippage=0.0)
ex = run_vector(plan)
print(round(float(ex.value[-1]), 6), "numba" in sys.modules)
"""


def test_a_single_execution_never_imports_numba():
    out = subprocess.run([sys.executable, "-c", _SINGLE_RUN], capture_output=True, text=True, check=True,
                         cwd=os.path.dirname(os.path.dirname(__file__))).stdout.split()
    assert out == ["2000.0", "False"]  # 1000 dollars bought at 10, worth 20 at the end
