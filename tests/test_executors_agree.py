"""The vectorized executor equals the backtrader executor (issue 8: within 1e-9)."""

import numpy as np
import pytest

from r2k.runner.engine import run
from r2k.runner.spec import RunSpec
from r2k.strategies import registry
from tests.util import needs_real_data

CASES = [
    ("buy-and-hold", {}, {}),
    ("dca", {}, {"contribute": 500.0}),
    ("rate-cut-rotation", {}, {"commission_bps": 5.0, "slippage_bps": 3.0}),
    ("rate-cut-rotation", {"risk_off": "CASH"}, {"fill": "close", "contribute": 300.0, "commission_bps": 5.0}),
    ("relative-momentum", {"absolute": "true"}, {"commission_bps": 2.0}),
    ("trend-filter", {}, {"slippage_bps": 5.0}),
    ("trend-filter", {"window": "100"}, {"whole_shares": True, "fill": "close"}),
    ("portfolio", {"weights": "SPY:60,IWM:30,TLT:10", "band_relative": "25"},
     {"contribute": 500.0, "commission_bps": 5.0, "slippage_bps": 2.0}),
    ("portfolio", {"weights": "IWM:50,CASH:50", "rebalance": "month"}, {"fill": "close", "whole_shares": True}),
]


def test_every_builtin_is_covered():
    assert {c[0] for c in CASES} == set(registry.names())


@needs_real_data
@pytest.mark.parametrize("strategy,params,kw", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_vector_equals_backtrader_on_real_data(real_home, monkeypatch, strategy, params, kw):
    monkeypatch.setenv("R2K_HOME", str(real_home))
    out = {}
    for engine in ("backtrader", "vector"):
        spec = RunSpec(strategy, params, start="2000-01-01", end="2025-09-26", engine=engine, **kw)
        out[engine] = run(spec, offline=True)
    a, b = out["backtrader"], out["vector"]
    assert a.returns.index.equals(b.returns.index)
    np.testing.assert_allclose(b.returns.to_numpy(), a.returns.to_numpy(), rtol=0, atol=1e-9)
    assert b.equity["value"].iloc[-1] == pytest.approx(a.equity["value"].iloc[-1], rel=1e-9)
    assert len(a.trades) == len(b.trades)
    np.testing.assert_allclose(b.trades["size"].to_numpy(), a.trades["size"].to_numpy(), rtol=1e-9)
