"""The withdrawal, inflation and real-dollar options ``r2k run`` and ``r2k compare`` share.

They only collect values: every check lives in the spec (runner.spec), so a config file, a
compare member's ``withdraw=...`` and the Python API's keywords are judged the same way.
"""

from __future__ import annotations

import functools

import click

#: The spec settings these options set (each option's parameter name is its setting's name).
FLOW_KEYS = ("withdraw", "withdraw_pct", "withdraw_from", "inflation_adjust", "real")


def flow_options(fn):
    """Add the options; the command receives them as one ``flow_settings`` dict (unset ones absent)."""
    opts = [
        click.option("--withdraw", type=float, default=None, metavar="DOLLARS",
                     help="Withdraw this many dollars at the start of every --every period."),
        click.option("--withdraw-pct", type=float, default=None, metavar="PERCENT",
                     help="Or withdraw this percent of the account value at the start of every period."),
        click.option("--withdraw-from", default=None, metavar="YYYY-MM-DD",
                     help="Withdrawals start here (contributions stop here) [default: the run's start]."),
        click.option("--inflation-adjust", is_flag=True, default=None,
                     help="Grow contributions and --withdraw dollars with CPI (as published by each day)."),
        click.option("--real", is_flag=True, default=None,
                     help="Also report balances and returns in dollars of the run's end month (CPIAUCSL)."),
    ]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        settings = {k: kwargs.pop(k) for k in FLOW_KEYS}
        return fn(*args, flow_settings={k: v for k, v in settings.items() if v is not None}, **kwargs)

    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper
