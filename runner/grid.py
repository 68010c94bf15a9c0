"""Parameter grids for sweeps: ``-g key=3,6,9`` (a list) or ``-g key=50:250:25`` (a range)."""

from __future__ import annotations

import itertools
from typing import Any

from r2k.data.errors import UsageError
from r2k.strategies.base import coerce


def parse_values(key: str, text: str) -> list[str]:
    """The raw values of one ``-g`` option; ranges ``start:stop:step`` include ``stop``."""
    text = text.strip()
    if not text:
        raise UsageError(f"grid {key}: no values")
    if ":" in text:
        parts = text.split(":")
        if len(parts) not in (2, 3):
            raise UsageError(f"grid {key}: bad range {text!r}; use start:stop or start:stop:step, e.g. 50:250:25")
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            raise UsageError(f"grid {key}: bad range {text!r}; start, stop and step must be numbers") from None
        start, stop = nums[0], nums[1]
        step = nums[2] if len(nums) == 3 else 1.0
        if step <= 0:
            raise UsageError(f"grid {key}: range step must be above 0")
        if stop < start:
            raise UsageError(f"grid {key}: empty range {text!r} (stop is below start)")
        count = int((stop - start) / step + 1e-9) + 1
        if count > 10_000:
            raise UsageError(f"grid {key}: range {text!r} has {count} values; that is too many")
        values = [start + i * step for i in range(count)]
        is_int = all(float(p).is_integer() for p in parts)
        return [str(int(round(v))) if is_int else repr(round(v, 12)) for v in values]
    values = [v.strip() for v in text.split(",")]
    if any(not v for v in values):
        raise UsageError(f"grid {key}: empty value in {text!r}")
    return values


def parse_grid(options: tuple[str, ...] | list[str], defaults: dict[str, Any], strategy: str) -> dict[str, list[Any]]:
    """``key=values`` options to {key: [typed values]}; unknown keys and bad values are usage errors.

    A list-valued parameter (e.g. ``symbols``) separates its alternatives with ``;``:
    ``-g "symbols=IWM,SPY;IWM,QQQ"`` tries two symbol lists.
    """
    grid: dict[str, list[Any]] = {}
    for opt in options:
        key, sep, text = opt.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"grid option {opt!r} is not key=values")
        if key not in defaults:
            valid = ", ".join(f"{k}={v!r}" for k, v in defaults.items()) or "(none)"
            raise UsageError(f"unknown parameter {key} for {strategy}; valid: {valid}")
        if key in grid:
            raise UsageError(f"grid {key} given twice")
        default = defaults[key]
        raw = [v.strip() for v in text.split(";")] if isinstance(default, (list, tuple)) else parse_values(key, text)
        values = [coerce(v, default, key) for v in raw]
        unique = list(dict.fromkeys(repr(v) for v in values))
        if len(unique) != len(values):
            raise UsageError(f"grid {key}: repeated values in {text!r}")
        grid[key] = values
    if not grid:
        raise UsageError("give at least one grid option, e.g. -g lookback_months=3,6,9,12")
    return grid


def combinations(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid, in a stable order."""
    keys = list(grid)
    return [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*(grid[k] for k in keys))]
