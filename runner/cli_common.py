"""Options and helpers shared by the CLI commands."""

from __future__ import annotations

import functools

import click


def warn(msg: str) -> None:
    """One-line warnings on stderr, so stdout stays clean for tables and paths.

    On a terminal the line first erases a progress line that may be showing (the next step redraws it).
    """
    import sys

    from r2k.runner.progress import CLEAR_LINE, on_terminal

    click.echo(f"{CLEAR_LINE if on_terminal(sys.stderr) else ''}warning: {msg}", err=True)


def store_option(fn):
    """``--home DIR``: the store root (default $R2K_HOME or the user cache dir); passes ``store``."""

    @click.option("--home", "home", default=None, envvar="R2K_HOME", show_envvar=True,
                  help="Folder of the local data store [default: the user cache dir].")
    @functools.wraps(fn)
    def wrapper(*args, home=None, **kwargs):
        from r2k.data.budget import NetBudget
        from r2k.data.store import Store

        ctx = click.get_current_context(silent=True)
        budget = ctx.find_object(NetBudget) if ctx is not None else None  # made by `r2k --timeout`
        return fn(*args, store=Store(home, network=budget), **kwargs)

    return wrapper


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """``-p key=value`` pairs to a dict (values stay strings; the strategy coerces them)."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not key=value", param_hint="-p")
        out[key.strip()] = value.strip()
    return out


def spec_options(fn):
    """The options every command that builds RunSpecs shares (run, compare, sweep, walkforward)."""
    opts = [
        click.option("--start", default=None,
                     help="First day: YYYY, YYYY-MM or YYYY-MM-DD (2005 = 2005-01-01) [default: first common day of the data]."),
        click.option("--end", default=None,
                     help="Last day: YYYY, YYYY-MM or YYYY-MM-DD (2024 = 2024-12-31) [default: last common day of the data]."),
        click.option("--cash", type=float, default=10_000.0, show_default=True, help="Initial cash in dollars."),
        click.option("--contribute", type=float, default=None,
                     help="Dollars added on the first trading day of every period [default: the strategy's, else 0]."),
        click.option("--every", type=click.Choice(["week", "month", "quarter", "year"]), default=None,
                     help="Contribution period [default: month]."),
        click.option("--benchmark", default="SPY", show_default=True, help="Benchmark symbol, or 'none'."),
        click.option("--fill", type=click.Choice(["next-open", "close"]), default="next-open", show_default=True,
                     help="When orders decided at a close fill."),
        click.option("--commission-bps", type=float, default=0.0, show_default=True,
                     help="Commission in basis points of traded value."),
        click.option("--slippage-bps", type=float, default=0.0, show_default=True,
                     help="Slippage in basis points of traded value."),
        click.option("--whole-shares", is_flag=True, help="Trade whole shares only (default: fractional)."),
        click.option("-p", "params", multiple=True, metavar="KEY=VALUE", help="Strategy parameter (repeatable)."),
        click.option("--stats", type=click.Choice(["daily", "monthly"]), default="daily", show_default=True,
                     help="Returns that volatility, Sharpe and Sortino are computed from."),
        click.option("--rf", default="0", show_default=True,
                     help="Risk-free rate for Sharpe/Sortino: an annual fraction (0.02) or DFF (daily fed funds)."),
        click.option("--offline", is_flag=True, envvar="R2K_OFFLINE", help="Never use the network; use only the local store."),
    ]
    for opt in reversed(opts):
        fn = opt(fn)
    return fn


def engine_option(default: str):
    return click.option("--engine", type=click.Choice(["backtrader", "vector"]), default=None,
                        help=f"Executor [default: {default}].")
