"""r2k.runner: the Python API and the CLI over it.

    import r2k.runner as r2k
    res = r2k.run("dca", symbol="IWM", start="2005-01-01", end="2024-12-31", offline=True)
    res.metrics["cagr"], res.summary(), res.save("runs/my-dca")

The package has three layers; each imports only the ones below it (tests/test_layers.py checks):

- commands (``cli*.py``): Click parsing, validation, calling the orchestration, printing;
- orchestration (``api.py`` - the public functions -, ``build.py`` - the one spec builder -,
  ``members.py``, ``labels.py``, ``compare.py``, ``sweep.py``, ``walkforward.py``, ``config.py``,
  ``grid.py``): specs in, finished results out;
- execution (``engine.py``, ``plan.py``, ``schedule.py``, ``sizing.py``, ``execution.py``,
  ``vector_executor.py``, ``bt_*.py``, ``result.py``, ``spec.py``, ``usercode.py``,
  ``interrupt.py``): data to accounts.
"""

from __future__ import annotations

from typing import Any

__all__ = ["run", "compare", "sweep", "make_spec"]


def __getattr__(name: str) -> Any:
    # the API loads pandas and friends only when first used, so `r2k --help` stays instant
    if name in __all__:
        from r2k.runner import api

        return getattr(api, name)
    raise AttributeError(f"module 'r2k.runner' has no attribute {name!r}")
