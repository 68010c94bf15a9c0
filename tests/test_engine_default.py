"""Issue 18 point 3: the vector executor is the default wherever it gives the same result.

Allocation rules default to the vectorized executor (tests/test_executors_agree.py holds the two
executors to 1e-9 on the real snapshot); a plain backtrader Strategy defaults to backtrader, the
only executor that runs it; ``--engine backtrader`` stays one flag away. A run on the default
engine never imports backtrader.
"""

import json
import os
import subprocess
import sys

from click.testing import CliRunner

from r2k.runner.build import build_spec
from r2k.runner.cli import cli
from tests.util import needs_real_data


def test_rules_default_to_vector_and_backtrader_strategies_to_backtrader():
    from r2k.strategies.registry import BUILTINS
    from tests.samples.bt_strategies import BuyOnceBT

    for name in BUILTINS:
        assert build_spec(name).engine == "vector", name
    assert build_spec("trend-filter", {"engine": "backtrader"}).engine == "backtrader"
    assert build_spec(BuyOnceBT).engine == "backtrader"


@needs_real_data
def test_default_run_is_vector_and_never_imports_backtrader(real_home, tmp_path):
    code = ("import sys, r2k.runner as r; res = r.run('buy-and-hold', symbol='IWM', start='2005-01-01', "
            "end='2024-12-31', offline=True); print(res.spec.engine, 'backtrader' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "R2K_HOME": str(real_home)}).stdout.split()
    assert out == ["vector", "False"]
    res = CliRunner().invoke(cli, ["run", "trend-filter", "--start", "2010-01-01", "--end", "2012-12-31", "--offline",
                                   "--no-tearsheet", "--out", str(tmp_path / "a")], env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "a" / "manifest.json").read_text())["spec"]["engine"] == "vector"
    res = CliRunner().invoke(cli, ["run", "trend-filter", "--start", "2010-01-01", "--end", "2012-12-31", "--offline",
                                   "--no-tearsheet", "--engine", "backtrader", "--out", str(tmp_path / "b")],
                             env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["spec"]["engine"] == "backtrader"
    a = json.loads((tmp_path / "a" / "metrics.json").read_text())
    b = json.loads((tmp_path / "b" / "metrics.json").read_text())
    assert abs(a["final_value"] - b["final_value"]) <= 1e-9 * a["final_value"]


_BT_RUN = """
import sys
from r2k.data.store import Meta, Store
from r2k.runner.engine import run
from r2k.runner.spec import RunSpec
from tests.samples.bt_strategies import BuyOnceBT
from tests.util import random_walk
st = Store(sys.argv[1])
meta = Meta(name="IWM", kind="prices", source="csv:t", fetched_at="2025-01-01T00:00:00+00:00", adjustment="",
            start="", end="", rows=0, sha256="")
st.write("prices", "IWM", random_walk(300, seed=3), meta)
res = run(RunSpec("buy-once-bt", {}, benchmark=None, cls=BuyOnceBT), store=st, offline=True)
print(res.spec.engine, len(res.returns) > 0, "numba" in sys.modules)
"""


def test_a_backtrader_strategy_run_never_imports_numba(tmp_path):
    """numba loads only when a plan is executed (the vector executor, or backtrader's sizing of a rule)."""
    out = subprocess.run([sys.executable, "-c", _BT_RUN, str(tmp_path)], capture_output=True, text=True,
                         check=True, cwd=os.path.dirname(os.path.dirname(__file__))).stdout.split()
    assert out == ["backtrader", "True", "False"]
