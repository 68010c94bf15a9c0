"""Compare members: what each one runs, with its own settings, and the label that says so.

A member is a strategy followed by ``key=value`` settings (run settings such as ``symbol``,
``cash``, ``contribute``, ``every``, ``fill``, or strategy parameters), e.g.
``"dca symbol=IWM cash=0 contribute=500"``; or a run folder written by ``r2k run`` (loaded, not
re-run). ``NAME:LABEL`` and ``label=`` only name a member. Settings merge through the one spec
builder: shared settings (config file < flags) < ``--symbols`` < the member's own.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from r2k.data.errors import UsageError
from r2k.runner.build import build_spec, parse_member, strategy_of
from r2k.runner.comparison import Entry
from r2k.runner.spec import RunSpec

LABEL_RE = re.compile(r"^[A-Za-z0-9_+-]+$")
TICKER_RE = re.compile(r"^\^?[A-Z]{1,5}$")


def is_run_folder(path: str | Path) -> bool:
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, "manifest.json"))


def split_head(head: str, registry) -> tuple[str, str | None, bool]:
    """``NAME``, ``NAME:LABEL``, ``FOLDER`` or ``FOLDER:LABEL`` -> (name or folder, label, is_folder).

    The text after the last ``:`` is a label only when the text before it is a run folder or
    names a strategy, so ``package.module:Class`` references still work (and take labels too:
    ``package.module:Class:LABEL``).
    """
    if is_run_folder(head):
        return head, None, True
    front, sep, tail = head.rpartition(":")
    if sep and is_run_folder(front):
        return front, tail, True
    if sep and front:
        try:
            registry.resolve(front)
            return front, tail, False
        except UsageError:
            pass
    if not sep and ("/" in head or os.sep in head or os.path.exists(head)):
        raise UsageError(f"{head} is not a run folder (no manifest.json) nor a strategy name")
    return head, None, False


def members_from(members: Sequence[Any], *, shared: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
                 symbols: Sequence[str] = (), labels: Sequence[str | None] | None = None,
                 per_label: Mapping[str, Mapping[str, Any]] | None = None, registry=None,
                 warn: Callable[[str], None] | None = None) -> list[Entry]:
    """Entries (label + spec, or label + run folder) for every member, labels unique and honest.

    ``shared`` is one settings layer or a list of them (lowest first); ``per_label`` maps an
    explicit label to parameters for that member only (``-p LABEL.key=value``).
    """
    from r2k.strategies.registry import Registry

    registry = registry or Registry.with_paths()
    shared_layers = [shared] if isinstance(shared, Mapping) or shared is None else list(shared)
    if not members:
        raise UsageError("nothing to compare: give at least one strategy or run folder")
    wanted: list[tuple[Any, str | None, dict[str, Any]]] = []  # (strategy or folder Path, label, settings)
    for i, m in enumerate(members):
        label = labels[i] if labels is not None and i < len(labels) else None
        if isinstance(m, tuple):
            strategy, settings = m[0], dict(m[1])
            label = settings.pop("label", label)
        elif isinstance(m, type):
            strategy, settings = m, {}
        else:
            head, settings, own = parse_member(str(m))
            name, head_label, is_folder = split_head(head, registry)
            label = own or head_label or label
            if is_folder:
                if settings:
                    raise UsageError(f"{name} is a run folder; its settings are fixed ({', '.join(settings)} given)")
                wanted.append((Path(name), label, {}))  # no label given: the run's own (folder_label)
                continue
            strategy = name
        if label is not None and not LABEL_RE.match(label):
            raise UsageError(f"bad label {label!r}: use letters, digits, '-', '_' and '+'")
        wanted.append((strategy, label, settings))

    expanded: list[tuple[Any, str | None, dict[str, Any]]] = []
    for strategy, label, settings in wanted:
        if not symbols or isinstance(strategy, Path):
            expanded.append((strategy, label, settings))
            continue
        if "symbol" in settings or "symbol" in settings.get("params", {}):
            raise UsageError(f"member {label or strategy} sets its own symbol; --symbols would override it")
        for sym in symbols:
            expanded.append((strategy, f"{label}-{sym.strip('^')}" if label else None, {**settings, "symbol": sym}))

    per_label = per_label or {}
    folders = {strategy.resolve().name: label for strategy, label, _ in expanded if isinstance(strategy, Path)}
    for lab in per_label:
        if lab in folders:
            raise UsageError(f"-p {lab}.KEY: {lab} is a run folder; its parameters are fixed")
        if lab not in {label for _, label, _ in expanded}:
            raise UsageError(f"-p {lab}.KEY=VALUE: no member is labelled {lab!r}")
    entries: list[tuple[str | None, RunSpec | None, Path | None, type | None]] = []
    for strategy, label, settings in expanded:
        if isinstance(strategy, Path):
            if label is not None and label in per_label:
                raise UsageError(f"-p {label}.KEY: {label} is a run folder; its parameters are fixed")
            entries.append((label, None, strategy, None))
            continue
        cls = strategy_of(strategy, registry)
        own = dict(settings)
        if label in per_label:
            own["params"] = {**own.get("params", {}), **per_label[label]}
        spec = build_spec(cls, *[_applicable(layer, cls) for layer in shared_layers], own, registry=registry)
        entries.append((label, spec, None, cls))
    return _labelled(entries, warn)


def _applicable(layer: Mapping[str, Any] | None, cls: type) -> dict[str, Any] | None:
    """A shared layer for one member: shared parameters (and ``symbol``) only where it has them."""
    from r2k.strategies import discovery

    if not layer:
        return None
    defaults = discovery.param_defaults(cls)
    out = {k: v for k, v in layer.items() if k not in ("params", "symbol")}
    params = {k: v for k, v in (layer.get("params") or {}).items() if k in defaults}
    if layer.get("symbol") is not None and "symbol" in defaults:
        params.setdefault("symbol", layer["symbol"])
    out["params"] = params
    return out


def _labelled(entries, warn) -> list[Entry]:
    """Explicit labels as given; the others say what they hold (``runner.labels``), made unique by
    what differs. Two members that would run the same spec are an error."""
    from r2k.runner.labels import label_of, main_symbol

    keys: dict[str, int] = {}
    for i, (_, spec, folder, _) in enumerate(entries):
        ident = spec.key() if spec is not None else str(Path(folder).resolve())
        if ident in keys:
            raise UsageError(f"members {keys[ident] + 1} and {i + 1} are identical; compare different settings")
        keys[ident] = i
    explicit = [lab for lab, *_ in entries if lab is not None]
    dupes = sorted({lab for lab in explicit if explicit.count(lab) > 1})
    if dupes:
        raise UsageError(f"label {dupes[0]!r} is given twice")
    auto = [lab if lab is not None else (label_of(spec, cls) if spec is not None else folder_label(folder))
            for lab, spec, folder, cls in entries]
    for i, (lab, spec, folder, _) in enumerate(entries):  # a loaded run named like another member: add its folder
        if lab is None and spec is None and auto.count(auto[i]) > 1:
            auto[i] = f"{auto[i]} ({Path(folder).resolve().name})"
    for lab in set(auto):
        same = [i for i, a in enumerate(auto) if a == lab and entries[i][0] is None and entries[i][1] is not None]
        if len(same) > 1:
            dicts = [entries[i][1].to_dict() for i in same]
            differs = [k for k in dicts[0] if k not in ("ref", "params") and len({str(d[k]) for d in dicts}) > 1]
            for i, d in zip(same, dicts, strict=True):
                auto[i] = lab + "".join(f" {k}={d[k]}" for k in differs)
    for given, spec, _, cls in entries:
        if given is not None and spec is not None and TICKER_RE.match(given):
            from r2k.data.symbols import canonical_symbol

            held = main_symbol(spec, cls)
            if canonical_symbol(given) != held and warn:
                warn(f"label {given} looks like a ticker, but that member holds {held} "
                     f"(to hold {given}: \"{spec.strategy} symbol={given}\")")
    return [Entry(lab, spec=spec, folder=folder) for lab, (_, spec, folder, _) in zip(auto, entries, strict=True)]


def folder_label(folder: str | Path) -> str:
    """A run folder's own label (its manifest's: what it holds, as ``r2k run`` named it), or the
    folder's name for a manifest written before labels existed."""
    import json

    try:
        label = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8")).get("label")
    except (OSError, ValueError):
        label = None
    return str(label) if label else Path(folder).resolve().name
