"""r2k.runner: the Python API and the CLI over it.

    import r2k.runner as r2k
    res = r2k.run("dca", symbol="IWM", start="2005-01-01", end="2024-12-31", offline=True)
    res.metrics["cagr"], res.summary(), res.save("runs/my-dca")

The package has three layers; each imports only the ones below it (tests/test_layers.py checks):

- commands (``cli*.py``): Click parsing, validation, calling the orchestration, printing;
- orchestration (``api.py`` - the public functions -, ``build.py`` - the one spec builder -,
  ``members.py``, ``comparison.py``, ``sweeps.py``, ``walkforward.py``, ``windows_study.py``,
  ``simulation.py``, ``lab.py``, ``config.py``, ``grid.py``): specs in, finished results out;
- execution (``engine.py``, ``plan.py``, ``schedule.py``, ``sizing.py``, ``execution.py``,
  ``vector_executor.py``, ``bt_*.py``, ``result.py``, ``spec.py``, ``labels.py``, ``usercode.py``,
  ``interrupt.py``): data to accounts.
"""

from __future__ import annotations

from typing import Any

#: public name -> the module that defines it (loaded on first use, so `r2k --help` stays instant)
_API = {"run": "api", "compare": "api", "sweep": "api", "make_spec": "api", "windows": "windows_study",
        "simulate": "simulation", "events": "lab", "seasonality": "lab", "indexes": "lab"}
__all__ = list(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        import importlib

        return getattr(importlib.import_module(f"r2k.runner.{_API[name]}"), name)
    raise AttributeError(f"module 'r2k.runner' has no attribute {name!r}")
