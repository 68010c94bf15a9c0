"""``r2k strategies list|show|new``: what strategies exist, what one does, and a file to start from."""

from __future__ import annotations

from pathlib import Path

import click

from r2k.runner.cli_common import warn

strategy_path_option = click.option(
    "--strategy-path", "strategy_path", multiple=True, metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder of strategy .py files (repeatable; also $R2K_STRATEGY_PATH, os.pathsep-separated).",
)


def _fmt_params(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items()) or "(none)"


@click.group("strategies")
def strategies() -> None:
    """List, inspect and create strategies (built-in and your own)."""


@strategies.command("list")
@strategy_path_option
def list_(strategy_path) -> None:
    """Every strategy r2k can run: name, kind, source, description and parameters."""
    import textwrap

    from r2k.data.errors import UsageError
    from r2k.reports.terminal import WIDTH
    from r2k.strategies import discovery, registry

    cat = registry.Registry.with_paths(strategy_path).catalog()
    for name in sorted(cat.entries):
        entries = cat.entries[name]
        for entry in entries:
            mark = "  DUPLICATE" if len(entries) > 1 else ""
            cls = entry.load()
            info = discovery.strategy_info(cls)
            click.echo(f"{name}  [{info['kind']}]  {entry.source}{mark}")
            # the docstring's first two lines (the README's rule), wrapped to a 100-column terminal
            for line in textwrap.wrap(info["description"] or "(no description)", WIDTH, initial_indent="    ",
                                      subsequent_indent="    ", break_on_hyphens=False):
                click.echo(line)
            for line in textwrap.wrap(f"params: {_fmt_params(info['params'])}", WIDTH, initial_indent="    ",
                                      subsequent_indent="      ", break_on_hyphens=False):
                click.echo(line)
    for b in cat.broken:
        click.echo(f"BROKEN  {b}")
    if cat.broken:
        warn(f"{len(cat.broken)} strategy source(s) could not be loaded (marked BROKEN)")
    conflicts = cat.conflicts()
    if conflicts:
        raise UsageError("; ".join(conflicts))


@strategies.command("show")
@click.argument("name")
@strategy_path_option
def show(name, strategy_path) -> None:
    """Description, parameters (defaults and types) and source file of strategy NAME."""
    import inspect

    from r2k.strategies import discovery, registry

    cls = registry.Registry.with_paths(strategy_path).resolve(name)
    info = discovery.strategy_info(cls)
    kind = "allocation rule" if info["kind"] == "rule" else "backtrader strategy"
    click.echo(f"{info['name']}: {kind}")
    click.echo(f"source:   {info['source'] or '(unknown)'}")
    if info["kind"] == "rule":
        click.echo(f"schedule: {info['schedule']}")
        try:
            rule = cls()
            click.echo(f"holds:    {', '.join(rule.assets())}")
            reads = list(rule.signals()) + list(rule.series())
            if reads:
                click.echo(f"reads:    {', '.join(reads)}")
        except Exception:  # a rule whose defaults do not validate still shows its parameters
            pass
    else:
        click.echo(f"feeds:    {', '.join(info['symbols'])}")
    if info.get("run_defaults"):
        click.echo(f"run defaults: {info['run_defaults']}")
    from r2k.reports.terminal import wrap_lines

    doc = inspect.cleandoc(cls.__doc__ or "") or "(no description)"
    click.echo("")
    click.echo("\n".join(wrap_lines(doc.splitlines())))  # a long docstring line fits 100 columns
    click.echo("")
    click.echo("parameters (-p key=value):")
    params = info["params"]
    if not params:
        click.echo("  (none)")
    width = max((len(k) for k in params), default=0)
    for k, v in params.items():
        typ = "any" if v is None else type(v).__name__
        click.echo(f"  {k:<{width}}  {typ:<5}  default {v!r}")


@strategies.command("new")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Folder to write NAME.py into (created if missing).")
@click.option("--kind", type=click.Choice(["rule", "backtrader"]), default="rule", show_default=True,
              help="An allocation rule, or a plain backtrader Strategy subclass.")
def new(name, folder, kind) -> None:
    """Write a strategy template called NAME that runs as written."""
    from r2k.data.errors import UsageError
    from r2k.strategies import registry, templates

    name = registry.canonical_name(name)  # my_rule -> my-rule (the file is my_rule.py; both spellings run it)
    if name in registry.BUILTINS:
        raise UsageError(f"{name} is a built-in strategy; choose another name")
    text = templates.render(name, kind, str(folder))
    target = folder / templates.file_name(name)
    if target.exists():
        raise UsageError(f"{target} already exists; not overwriting it")
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    click.echo(f"wrote {target}")
    click.echo(f"run it: r2k run {name} --strategy-path {folder}")
