"""Finding user strategies: files in folders, ``module:Class`` references and entry points.

Two kinds of strategy are recognised:

- ``rule``: a subclass of :class:`r2k.strategies.base.AllocationRule` (named by its ``name``);
- ``backtrader``: a plain ``backtrader.Strategy`` subclass. Its backtrader ``params`` are its
  parameters; ``r2k_name`` names it (default: the class name, dashed: ``SmaCross`` ->
  ``sma-cross``); ``r2k_symbols`` lists the symbols loaded as data feeds, in order (default
  ``["IWM"]``); the docstring's first two lines describe it.

As in freqtrade's resolver, each file is imported by its path under a unique module name and only
the classes *defined* in that file count (``cls.__module__``), so a file that imports a built-in
does not list it twice. Classes whose name starts with ``_`` are helpers and are skipped. A file
that fails to import becomes a :class:`Broken` record (file, line, error) instead of an exception,
so one bad file never hides the others. backtrader is never imported here: a class is checked
against ``backtrader.Strategy`` only if some user module already imported backtrader.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from r2k.data.errors import UsageError
from r2k.strategies.base import AllocationRule, coerce

ENTRY_POINT_GROUP = "r2k.strategies"
ENV_VAR = "R2K_STRATEGY_PATH"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class Broken:
    """A strategy source that could not be loaded: where, at which line, and why."""

    file: str
    line: int | None
    error: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.error}"


@dataclass(frozen=True)
class Found:
    """One strategy class and where it came from (``built-in``, a file path, an entry point...)."""

    name: str
    cls: type
    source: str


# -- what a class is --------------------------------------------------------------------------
def _bt_strategy_base():
    bt = sys.modules.get("backtrader")
    return getattr(bt, "Strategy", None) if bt is not None else None


def kind(cls: Any) -> str | None:
    """``"rule"``, ``"backtrader"`` or None for anything that is not a strategy class."""
    if not isinstance(cls, type):
        return None
    if issubclass(cls, AllocationRule) and cls is not AllocationRule:
        return "rule"
    base = _bt_strategy_base()
    if base is not None and issubclass(cls, base) and cls is not base:
        return "backtrader"
    return None


def dashed(class_name: str) -> str:
    """``SmaCross`` -> ``sma-cross``, ``SMACross`` -> ``sma-cross``, ``my_rule`` -> ``my-rule``."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1-\2", class_name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", s)
    return s.replace("_", "-").lower()


def strategy_name(cls: type) -> str:
    """The name a strategy is run by: ``name`` (rules) or ``r2k_name`` (backtrader), else the dashed class name."""
    own = getattr(cls, "name", "") if kind(cls) == "rule" else getattr(cls, "r2k_name", "")
    return (own or dashed(cls.__name__)).strip().lower()


def describe(cls: type) -> str:
    """The docstring's first two lines, joined: what the strategy does."""
    doc = (cls.__doc__ or "").strip().splitlines()
    return " ".join(line.strip() for line in doc[:2] if line.strip())


def param_defaults(cls: type) -> dict[str, Any]:
    """Parameter -> default for either kind (a backtrader class's ``params`` may be a tuple, a dict
    or, once backtrader's metaclass has processed it, its own params class)."""
    p = cls.params
    if isinstance(p, dict):
        return dict(p)
    if isinstance(p, (tuple, list)):
        return {k: v for k, v in p}
    return dict(p._getitems())


def symbols(cls: type) -> list[str]:
    """The data feeds of a backtrader strategy, in order (``self.datas[0]`` first)."""
    return [str(s).strip().upper() for s in getattr(cls, "r2k_symbols", None) or ["IWM"]]


def source_file(cls: type) -> Path | None:
    try:
        import inspect  # deferred, like hashlib and traceback: `r2k strategies list` must start fast

        return Path(inspect.getfile(cls)).resolve()
    except (TypeError, OSError):
        return None


def source_info(cls: type) -> dict[str, str] | None:
    """``{"path", "sha256"}`` of the file that defines ``cls``, for the run manifest (None if unknown)."""
    path = source_file(cls)
    if path is None or not path.is_file():
        return None
    import hashlib

    return {"path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def reference(cls: type) -> str:
    """A reference that finds ``cls`` again in any process: ``/abs/file.py:Class`` for a file loaded by
    path (its module name is private to this process), else ``module:Class``."""
    if cls.__module__.startswith("r2k_user_"):
        return f"{source_file(cls)}:{cls.__qualname__}"
    return f"{cls.__module__}:{cls.__qualname__}"


def strategy_info(cls: type) -> dict[str, Any]:
    """Name, kind, description, parameter defaults and source file of a strategy class of either kind."""
    k = kind(cls)
    if k is None:
        raise UsageError(f"{cls!r} is neither an AllocationRule nor a backtrader Strategy subclass")
    path = source_file(cls)
    info: dict[str, Any] = {"name": strategy_name(cls), "kind": k, "description": describe(cls),
                            "params": param_defaults(cls), "source": str(path) if path else None}
    if k == "rule":
        info["schedule"] = cls.schedule
    else:
        info["symbols"] = symbols(cls)
    info["run_defaults"] = run_defaults_text(cls)
    return info


def run_defaults_text(cls: type) -> str:
    """The run settings a preset brings (dca: "--contribute 500 --every month"), "" for none."""
    d = getattr(cls, "run_defaults", None) or {}
    if not d:
        return ""
    words = [f"--{k.replace('_', '-')} {v:g}" if isinstance(v, float) else f"--{k.replace('_', '-')} {v}"
             for k, v in d.items()]
    text = " ".join(words)
    if "contribute" in d:
        text += f" (${d['contribute']:,.0f} added at the start of every {d.get('every', 'month')})"
    return text


def valid_params_text(cls: type) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in param_defaults(cls).items()) or "(none)"


def validate_params(cls: type, overrides: dict[str, Any]) -> dict[str, Any]:
    """Every parameter's value with ``overrides`` coerced to the defaults' types (both kinds).

    An unknown key or a bad value is a UsageError that lists the valid parameters; for a rule its
    own ``check()`` runs too.
    """
    defaults = param_defaults(cls)
    name = strategy_name(cls)
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise UsageError(f"unknown parameter {', '.join(unknown)} for {name}; valid: {valid_params_text(cls)}")
    try:
        if kind(cls) == "rule":
            return cls(**overrides).param_values()
        return {k: coerce(overrides[k], v, k) if k in overrides else v for k, v in defaults.items()}
    except UsageError as exc:
        msg = str(exc)
        if "valid:" in msg:
            raise
        raise UsageError(f"{msg}; valid parameters of {name}: {valid_params_text(cls)}") from None


# -- importing user code ----------------------------------------------------------------------
def _location(exc: BaseException, path: Path | None) -> tuple[str | None, int | None]:
    """File and line of an import failure: the last frame in ``path`` (or a SyntaxError's own line)."""
    if isinstance(exc, SyntaxError) and exc.filename and (path is None or _same(exc.filename, path)):
        return exc.filename, exc.lineno
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    if path is not None:
        mine = [f for f in frames if _same(f.filename, path)]
        return str(path), (mine[-1].lineno if mine else None)
    here = str(Path(__file__).resolve())
    user = [f for f in frames if not f.filename.startswith("<") and "importlib" not in f.filename
            and not _same(f.filename, Path(here))]
    if user:
        return user[-1].filename, user[-1].lineno
    return None, None


def _same(filename: str, path: Path) -> bool:
    try:
        return Path(filename).resolve() == path
    except OSError:
        return False


def _error_text(exc: BaseException) -> str:
    msg = exc.msg if isinstance(exc, SyntaxError) else str(exc)
    return f"{type(exc).__name__}: {msg}".replace("\n", " ").strip()


#: resolved path -> (sha256 of the source, module or None, Broken or None)
_FILES: dict[str, tuple[str, Any, Broken | None]] = {}


def import_file(path: str | Path):
    """Import a ``.py`` file under a unique module name; return (module, None) or (None, Broken).

    Cached by content, so the same file is executed once per process unless it changes.
    """
    path = Path(path).expanduser().resolve()
    try:
        source = path.read_bytes()
    except OSError as exc:
        return None, Broken(str(path), None, f"cannot read: {exc.strerror or exc}")
    import hashlib
    import importlib.util

    sha = hashlib.sha256(source).hexdigest()
    cached = _FILES.get(str(path))
    if cached and cached[0] == sha:
        return cached[1], cached[2]
    stem = re.sub(r"\W", "_", path.stem)
    modname = f"r2k_user_{stem}_{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"
    spec = importlib.util.spec_from_file_location(modname, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[modname] = module  # dataclasses and pickling look classes up by module name
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        sys.modules.pop(modname, None)
        _, line = _location(exc, path)
        result = (None, Broken(str(path), line, _error_text(exc)))
    else:
        result = (module, None)
    _FILES[str(path)] = (sha, *result)
    return result


def defined_in(module) -> list[type]:
    """Strategy classes defined in ``module`` itself (imported ones and ``_private`` ones skipped)."""
    out = []
    for attr, obj in vars(module).items():
        if attr.startswith("_") or not isinstance(obj, type) or obj.__module__ != module.__name__:
            continue
        if kind(obj) is not None:
            out.append(obj)
    return out


def _named(cls: type, source: str) -> tuple[Found | None, Broken | None]:
    name = strategy_name(cls)
    if not NAME_RE.match(name):
        return None, Broken(source, None, f"{cls.__name__}: bad strategy name {name!r} (use letters, digits, '-', '.', '_')")
    return Found(name, cls, source), None


def scan_file(path: str | Path) -> tuple[list[Found], list[Broken]]:
    module, broken = import_file(path)
    if broken:
        return [], [broken]
    found, bad = [], []
    src = str(Path(path).expanduser().resolve())
    for cls in defined_in(module):
        f, b = _named(cls, src)
        found += [f] if f else []
        bad += [b] if b else []
    return found, bad


def scan_dir(folder: str | Path) -> tuple[list[Found], list[Broken]]:
    """Every strategy in the ``.py`` files of ``folder`` (not recursive; ``_*.py`` files are skipped)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        return [], [Broken(str(folder), None, "strategy folder does not exist")]
    found: list[Found] = []
    broken: list[Broken] = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith(("_", ".")):
            continue
        f, b = scan_file(path)
        found += f
        broken += b
    return found, broken


def _declared_entry_points() -> list[tuple[str, str, str]]:
    """(name, value, distribution) of every ``r2k.strategies`` entry point, cached on disk.

    Scanning every installed distribution costs ~20 ms, a third of ``r2k strategies list``. The
    cache is keyed by the modification times of the ``sys.path`` folders, which change whenever a
    package is installed or removed, so it is never stale.
    """
    import json
    import sys

    stamp = []
    for entry in sys.path:
        try:
            stamp.append([entry, os.stat(entry or ".").st_mtime_ns])
        except OSError:
            continue
    from r2k.data.home import default_root

    cache = default_root() / "entry_points.json"
    try:
        saved = json.loads(cache.read_text())
        if saved.get("stamp") == stamp:
            return [tuple(e) for e in saved["entries"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    from importlib.metadata import entry_points

    entries = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        entries.append((ep.name, ep.value, getattr(getattr(ep, "dist", None), "name", None) or "?"))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"stamp": stamp, "entries": entries}))
        os.replace(tmp, cache)
    except OSError:
        pass  # a read-only cache dir only costs the scan next time
    return entries


def entry_point_strategies() -> tuple[list[Found], list[Broken]]:
    """Strategies that installed packages declare under the ``r2k.strategies`` entry-point group."""
    found: list[Found] = []
    broken: list[Broken] = []
    seen: set[tuple[str, str]] = set()
    for name, value, dist in _declared_entry_points():
        if (name, value) in seen:  # the same distribution found twice on sys.path
            continue
        seen.add((name, value))
        from importlib.metadata import EntryPoint  # 12 ms: only when some package declares one

        ep = EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)
        source = f"entry point {ep.name} = {ep.value} ({dist})"
        try:
            obj = ep.load()
        except (Exception, SystemExit) as exc:
            file, line = _location(exc, None)
            broken.append(Broken(f"{source} {file}" if file else source, line, _error_text(exc)))
            continue
        if kind(obj) is None:
            broken.append(Broken(source, None, "not an AllocationRule or backtrader Strategy subclass"))
            continue
        f, b = _named(obj, source)
        found += [f] if f else []
        broken += [b] if b else []
    return found, broken


def is_reference(text: str) -> bool:
    """``package.module:Class`` or ``path/to/file.py:Class``."""
    target, sep, attr = text.rpartition(":")
    return bool(sep and target and attr.isidentifier())


def load_reference(ref: str, base: Path | None = None) -> Found:
    """The class named by ``module:Class`` or ``file.py:Class`` (a file path is relative to ``base``)."""
    target, _, attr = ref.rpartition(":")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target).expanduser()
        if base is not None and not path.is_absolute():
            path = base / path
        if not path.is_file():
            raise UsageError(f"strategy file not found: {path}")
        module, broken = import_file(path)
        if broken:
            raise UsageError(f"cannot load strategy {ref}: {broken}")
        source = str(path.resolve())
    else:
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as exc:
            if exc.name and target.startswith(exc.name):
                raise UsageError(f"cannot load strategy {ref}: no module named {exc.name!r}") from None
            file, line = _location(exc, None)
            raise UsageError(f"cannot load strategy {ref}: {Broken(file or target, line, _error_text(exc))}") from None
        except (Exception, SystemExit) as exc:
            file, line = _location(exc, None)
            raise UsageError(f"cannot load strategy {ref}: {Broken(file or target, line, _error_text(exc))}") from None
        source = ref
    obj = getattr(module, attr, None)
    if obj is None:
        raise UsageError(f"{target} defines no {attr}")
    if kind(obj) is None:
        raise UsageError(f"{ref} is not an AllocationRule or backtrader Strategy subclass")
    found, broken = _named(obj, source)
    if broken:
        raise UsageError(str(broken))
    return found
