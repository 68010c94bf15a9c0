"""A batched sweep's one-pass returns and exposure (runner.sweep_kernel) equal the plain numpy path
(engine.flow_neutral_returns and the holdings' exposure) bit for bit, compiled and plain, on real
runs that deposit, start from zero cash, hold cash, and hold several assets."""

import numpy as np
import pytest

from r2k.data.store import Store
from r2k.runner.engine import prepare
from r2k.runner.spec import RunSpec
from r2k.runner.sweep_kernel import returns_and_exposure, returns_and_exposure_plain
from r2k.runner.vector_executor import run_vector
from tests.util import needs_real_data

pytestmark = needs_real_data

CASES = [
    ("trend-filter", {"window": 120}, {}),
    ("trend-filter", {"window": 30, "risk_off": "SPY"}, {"fill": "close", "commission_bps": 5.0}),
    ("dca", {"symbol": "IWM"}, {"cash": 0.0, "contribute": 300.0, "every": "month"}),
    ("portfolio", {"weights": "SPY:50,TLT:30,CASH:20", "rebalance": "quarter"}, {"contribute": 100.0}),
    ("buy-and-hold", {"symbol": "CASH"}, {"benchmark": "SPY"}),
]


@pytest.mark.parametrize(("strategy", "params", "kw"), CASES, ids=[c[0] for c in CASES])
def test_one_pass_equals_the_numpy_path(real_home, strategy, params, kw):
    spec = RunSpec(strategy, params, start="2003-01-02", end="2012-12-31", engine="vector", **kw)
    p = prepare(spec, store=Store(real_home), offline=True)
    ex = run_vector(p.plan, compiled=True)
    flows = ex.flows
    risky = np.array([j for j, s in enumerate(p.traded) if s != "CASH"], dtype=np.int64)
    want_r, want_x = returns_and_exposure_plain(ex.value, flows, ex.shares, risky)
    for compiled in (True, False):
        out = np.full(len(ex.value) - 1, np.nan)
        got_x = returns_and_exposure(ex.value, flows, ex.shares, risky, out, compiled=compiled)
        assert np.array_equal(out, want_r) and got_x == want_x, (strategy, compiled)
    assert 0.0 <= want_x <= 1.0 and (want_x == 0.0) == (not len(risky))
