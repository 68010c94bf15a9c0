"""The one run-spec builder: every way of asking for a run ends here.

``r2k run`` flags, a config file, a strategy's own run defaults (dca's $500 a month), a compare
member's ``key=value`` settings and the Python API's keywords are *layers* of the same settings.
:func:`build_spec` merges them with one precedence rule, lowest first:

    strategy run defaults  <  config file  <  flags / keywords  <  member settings

(a member is the most specific thing a user wrote). Parameters merge by the same rule, key by
key; ``symbol`` is shorthand for ``params.symbol`` at its own layer. The strategy is resolved once,
parameters are checked and coerced once (symbols made canonical: ``RUT`` and ``^RUT`` are one
spec), and the result is a validated, frozen :class:`RunSpec` that carries the strategy as an
importable reference (and the class itself), so nothing downstream looks it up again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from r2k.data.errors import UsageError
from r2k.runner.spec import RunSpec
from r2k.runner.usercode import user_code_errors

#: Settings a layer may hold (RunSpec fields, plus ``symbol`` and ``params``).
SETTINGS = ("symbol", "params", "start", "end", "cash", "contribute", "every", "benchmark", "fill", "commission_bps",
            "slippage_bps", "whole_shares", "engine", "rf", "stats", "withdraw", "withdraw_pct", "withdraw_from",
            "inflation_adjust", "real")
#: Defaults of the settings nobody set (RunSpec's own, except the engine: see :func:`default_engine`).
DEFAULTS: dict[str, Any] = {"cash": 10_000.0, "contribute": 0.0, "every": "month", "benchmark": "SPY",
                            "fill": "next-open", "commission_bps": 0.0, "slippage_bps": 0.0, "whole_shares": False,
                            "engine": "backtrader", "rf": "0", "stats": "daily", "start": None, "end": None,
                            "withdraw": 0.0, "withdraw_pct": 0.0, "withdraw_from": None, "inflation_adjust": False,
                            "real": False}


def strategy_of(strategy: str | type, registry=None) -> type:
    """The strategy class for a name, a ``module:Class`` / ``file.py:Class`` reference, or a class."""
    from r2k.strategies import discovery
    from r2k.strategies.registry import Registry

    if isinstance(strategy, type):
        if discovery.kind(strategy) is None:
            raise UsageError(f"{strategy.__qualname__} is neither an AllocationRule nor a backtrader Strategy subclass")
        return strategy
    if not isinstance(strategy, str) or not strategy.strip():
        raise UsageError("no strategy: give a name, module:Class, file.py:Class or a class")
    return (registry or Registry.with_paths()).resolve(strategy)


def reference_of(cls: type) -> str:
    """What a spec stores to find ``cls`` again: "" for a built-in (its name is enough), else a reference."""
    from r2k.strategies import discovery, registry

    name = discovery.strategy_name(cls)
    if name in registry.BUILTINS and registry.load(name) is cls:
        return ""
    return discovery.reference(cls)


def merge_layers(layers: Iterable[Mapping[str, Any] | None]) -> dict[str, Any]:
    """Settings from ``layers`` (lowest precedence first); ``params`` merge key by key.

    A ``None`` value means "not set here" and never hides a lower layer. ``symbol`` becomes
    ``params.symbol`` at its layer, so a higher layer's ``-p symbol=`` beats a lower ``symbol``.
    """
    out: dict[str, Any] = {"params": {}}
    for layer in layers:
        if not layer:
            continue
        unknown = sorted(set(layer) - set(SETTINGS))
        if unknown:
            raise UsageError(f"unknown setting {', '.join(unknown)}; valid: {', '.join(SETTINGS)}")
        params = dict(layer.get("params") or {})
        if layer.get("symbol") is not None:
            _same_symbol(layer["symbol"], params.get("symbol"))
            params.setdefault("symbol", layer["symbol"])
        out["params"].update(params)
        for key, value in layer.items():
            if key not in ("params", "symbol") and value is not None:
                out[key] = value
    return out


def _same_symbol(flag: Any, param: Any) -> None:
    """``--symbol SPY -p symbol=IWM`` (or both in one config file) set one thing twice at the same
    layer: refused, rather than silently running IWM."""
    if param is None:
        return
    from r2k.data.symbols import canonical_symbol

    def canon(x: Any) -> str:
        try:
            return canonical_symbol(str(x))
        except Exception:  # an invalid symbol is reported by the parameter check, with its own message
            return str(x)

    if canon(flag) != canon(param):
        raise UsageError(f"--symbol {flag} and -p symbol={param} disagree; give the symbol once")


def default_engine(cls: type) -> str:
    """The executor a spec gets when nobody chose one: the vectorized executor for an allocation
    rule (the same account as backtrader to float rounding, tests/test_executors_agree.py, in a
    fraction of the time), backtrader for a plain backtrader Strategy (the only one that runs it)."""
    from r2k.strategies import discovery

    return "vector" if discovery.kind(cls) == "rule" else "backtrader"


def build_spec(strategy: str | type, *layers: Mapping[str, Any] | None, registry=None,
               engine_default: str | None = None) -> RunSpec:
    """A validated RunSpec from a strategy and setting layers (lowest precedence first).

    The strategy's ``run_defaults`` (e.g. dca's ``contribute = 500``, ``every = "month"``) are the
    lowest layer, below ``DEFAULTS`` only. Unknown parameters and bad values fail here, before any
    data is loaded.
    """
    from r2k.strategies import discovery

    cls = strategy_of(strategy, registry)
    name = discovery.strategy_name(cls)
    run_defaults = {k: v for k, v in getattr(cls, "run_defaults", {}).items() if k in SETTINGS}
    s = merge_layers([{**DEFAULTS, "engine": engine_default or default_engine(cls)}, run_defaults, *layers])
    given = s["params"]
    defaults = discovery.param_defaults(cls)
    if "symbol" in given and "symbol" not in defaults:
        raise UsageError(f"{name} has no symbol parameter; valid: {discovery.valid_params_text(cls)}")
    # coerced once, symbols canonical (a rule's own check()); every parameter's value, defaults included,
    # so one meaning is one spec: "buy-and-hold" and "buy-and-hold symbol=IWM" hash alike
    with user_code_errors(cls):  # a user's __init__ runs here first: its error names its file and line
        params = discovery.validate_params(cls, given)
    return RunSpec(
        strategy=name, params=params, start=_text(s.get("start")), end=_text(s.get("end")), cash=s["cash"],
        contribute=s["contribute"], every=s["every"], benchmark=_benchmark(s["benchmark"]), fill=s["fill"],
        commission_bps=s["commission_bps"], slippage_bps=s["slippage_bps"], whole_shares=bool(s["whole_shares"]),
        engine=s["engine"], rf=str(s["rf"]), stats=s["stats"], withdraw=_number(s["withdraw"], "withdraw"),
        withdraw_pct=_number(s["withdraw_pct"], "withdraw_pct"), withdraw_from=_text(s.get("withdraw_from")),
        inflation_adjust=_flag(s["inflation_adjust"], "inflation_adjust"), real=_flag(s["real"], "real"),
        ref=reference_of(cls), cls=cls,
    ).validated()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool):
        raise UsageError(f"{key} must be a number, not {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{key} must be a number, not {value!r}") from None


def _flag(value: Any, key: str) -> bool:
    if isinstance(value, str):
        return _setting_value(key, value)
    return bool(value)


def _benchmark(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    return str(value)


def parse_member(text: str) -> tuple[str, dict[str, Any], str | None]:
    """A compare member ``"STRATEGY key=value ..."`` (or ``NAME:LABEL ...``) -> (strategy, settings, label).

    Keys that are run settings (``symbol``, ``cash``, ``contribute``, ...) set those; any other key
    is a strategy parameter. ``label=`` names the member.
    """
    import shlex

    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"bad member {text!r}: {exc}") from None
    if not words:
        raise UsageError("an empty compare member")
    head, rest = words[0], words[1:]
    settings: dict[str, Any] = {}
    params: dict[str, Any] = {}
    label = None
    for word in rest:
        key, sep, value = word.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise UsageError(f"bad member setting {word!r} in {text!r}: use key=value")
        if key == "label":
            label = value
        elif key in SETTINGS and key != "params":
            settings[key] = _setting_value(key, value)
        else:
            params[key] = value
    if params:
        settings["params"] = params
    return head, settings, label


_NUMBERS = {"cash", "contribute", "commission_bps", "slippage_bps", "withdraw", "withdraw_pct"}
_FLAGS = {"whole_shares", "inflation_adjust", "real"}


def _setting_value(key: str, value: str) -> Any:
    if key in _NUMBERS:
        try:
            return float(value)
        except ValueError:
            raise UsageError(f"{key} must be a number, not {value!r}") from None
    if key in _FLAGS:
        low = value.strip().lower()
        if low not in ("1", "true", "yes", "0", "false", "no"):
            raise UsageError(f"{key} must be true or false, not {value!r}")
        return low in ("1", "true", "yes")
    return value
