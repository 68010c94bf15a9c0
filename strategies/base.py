"""Base class for allocation rules: the shape every built-in strategy has.

An allocation rule is a plain object: on each scheduled decision date it maps point-in-time data
(prices and economic series known that day) to target weights such as ``{"IWM": 1.0}`` or
``{"SPY": 0.6, "CASH": 0.4}``. It never sees a broker or a portfolio, so it can be tested
without backtrader, and any executor (backtrader, vectorized) can run it.

This module imports nothing heavy, so listing strategies keeps the CLI instant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from r2k.data.errors import UsageError

if TYPE_CHECKING:  # numpy loads only when a rule decides, so listing strategies stays instant
    import numpy as np

SCHEDULES = ("once", "day", "week", "month", "quarter", "year")


@dataclass
class Target:
    """A decision: target weights and a short label (the regime or signal) for decisions.csv."""

    weights: dict[str, float]
    label: str = ""


@dataclass
class Targets:
    """Every decision date's decision at once (a rule's vectorized form): row i of ``weights``
    holds the weights of ``assets`` decided on ``history.dates[i]``, ``labels[i]`` its label."""

    assets: list[str]
    weights: np.ndarray  # (decision dates, len(assets))
    #: a list or numpy array of str, or a function making one: only decisions.csv reads the
    #: labels, so a sweep never pays for them
    labels: Sequence[str] | Callable[[], Sequence[str]]
    #: True when the weights are valid by construction (``choose``): the engine skips its checks
    valid: bool = False

    def label_list(self) -> Sequence[str]:
        return self.labels() if callable(self.labels) else self.labels

    @classmethod
    def choose(cls, assets: list[str], choice: np.ndarray, labels) -> Targets:
        """All-in decisions: row i holds 100 % of ``assets[choice[i]]``."""
        import numpy as np

        names = list(dict.fromkeys(assets))
        col = np.array([names.index(a) for a in assets], dtype=np.int64)[np.asarray(choice, dtype=np.int64)]
        # one scatter of the ones: gathering rows of np.eye cost 3x more (a sweep pays it per combination)
        n, m = len(col), len(names)
        w = np.zeros((n, m))
        w.reshape(-1)[np.arange(0, n * m, m) + col] = 1.0
        return cls(names, w, labels, valid=True)


def has_targets(rule: AllocationRule | type) -> bool:
    """Whether a rule (or rule class) has a vectorized form (it overrides :meth:`AllocationRule.targets`)."""
    cls = rule if isinstance(rule, type) else type(rule)
    return cls.targets is not AllocationRule.targets


def coerce(value: Any, default: Any, key: str) -> Any:
    """Convert ``value`` (often a string from ``-p key=value``) to the type of ``default``."""
    if isinstance(value, str):
        text = value.strip()
        try:
            if isinstance(default, bool):
                low = text.lower()
                if low in ("1", "true", "yes", "on"):
                    return True
                if low in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
            if isinstance(default, int):
                return int(text)
            if isinstance(default, float):
                return float(text)
            if isinstance(default, (list, tuple)):
                return [p.strip().upper() for p in text.split(",") if p.strip()]
            if default is None or isinstance(default, str):
                return text
        except ValueError:
            raise UsageError(f"bad value for parameter {key}: {value!r} (expected {type(default).__name__})") from None
    if isinstance(default, bool) and not isinstance(value, bool):
        raise UsageError(f"bad value for parameter {key}: {value!r} (expected bool)")
    if isinstance(default, int) and not isinstance(default, bool):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise UsageError(f"bad value for parameter {key}: {value!r} (expected int)")
    if isinstance(default, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, (list, tuple)) and isinstance(value, (list, tuple)):
        return [str(v).upper() for v in value]
    return value


class AllocationRule:
    """Subclass this, set ``name``, ``params`` and ``schedule``, and implement :meth:`target`.

    ``params`` maps each parameter to its default; instances get one attribute per parameter,
    coerced to the default's type. ``assets()`` lists what the rule may hold (``CASH`` included),
    ``signals()`` price symbols it only reads, ``series()`` the FRED ids it reads.
    """

    name: ClassVar[str] = ""
    schedule: ClassVar[str] = "month"
    params: ClassVar[dict[str, Any]] = {}
    #: True when the assets come from what the user typed (a portfolio's weights): an asset the
    #: data does not have is then a usage error (exit 2), not a data error
    user_assets: ClassVar[bool] = False

    def __init__(self, **overrides: Any):
        unknown = sorted(set(overrides) - set(self.params))
        if unknown:
            valid = ", ".join(f"{k}={v!r}" for k, v in self.params.items()) or "(none)"
            raise UsageError(f"unknown parameter {', '.join(unknown)} for {self.name}; valid: {valid}")
        for key, default in self.params.items():
            value = coerce(overrides[key], default, key) if key in overrides else default
            if isinstance(value, list):
                value = list(value)
            setattr(self, key, value)
        if self.schedule not in SCHEDULES:
            raise UsageError(f"{self.name}: schedule must be one of {', '.join(SCHEDULES)}")
        self.check()

    # -- what the rule needs -------------------------------------------------------------
    def assets(self) -> list[str]:
        """Symbols the rule may hold (``CASH`` allowed)."""
        raise NotImplementedError

    def signals(self) -> list[str]:
        """Price symbols the rule reads but never holds."""
        return []

    def series(self) -> list[str]:
        """Economic series (FRED ids) the rule reads."""
        return []

    def check(self) -> None:
        """Validate parameter values; raise UsageError with a message for the user."""

    def drift_band(self) -> tuple[float, float]:
        """(absolute, relative) drift band as fractions, checked by the executors at every close.

        When any held weight is more than ``absolute`` from its target (or more than ``relative``
        times its target), the account is rebalanced to the targets then; (0, 0) means never.
        The account's weights depend on fills and cash flows, so the rule cannot check this itself.
        """
        return (0.0, 0.0)

    # -- the logic -----------------------------------------------------------------------
    def target(self, view) -> Target | dict[str, float]:
        """Target weights on ``view.date`` from data known that day."""
        raise NotImplementedError

    def targets(self, history) -> Targets:
        """Optional vectorized form: every decision date's target at once from a
        :class:`r2k.strategies.history.History` (row i holds only what was known on date i).
        It must decide exactly as :meth:`target` does; rules without it are evaluated per date."""
        raise NotImplementedError

    def param_values(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.params}

    @classmethod
    def describe(cls) -> str:
        """The docstring's first two lines: what the strategy does."""
        doc = (cls.__doc__ or "").strip().splitlines()
        return " ".join(line.strip() for line in doc[:2] if line.strip())
