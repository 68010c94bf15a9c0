"""Options and helpers shared by the CLI commands."""

from __future__ import annotations

import functools

import click


def warn(msg: str) -> None:
    """One-line warnings on stderr, so stdout stays clean for tables and paths."""
    click.echo(f"warning: {msg}", err=True)


def store_option(fn):
    """``--home DIR``: the store root (default $R2K_HOME or the user cache dir); passes ``store``."""

    @click.option("--home", "home", default=None, envvar="R2K_HOME", show_envvar=True,
                  help="Folder of the local data store [default: the user cache dir].")
    @functools.wraps(fn)
    def wrapper(*args, home=None, **kwargs):
        from r2k.data.store import Store

        return fn(*args, store=Store(home), **kwargs)

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
