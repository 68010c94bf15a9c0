"""The withdrawal, inflation and real-dollar options ``r2k run`` and ``r2k compare`` share.

``r2k windows`` and ``r2k simulate`` take the same money plan (``plan_options``: all but
``--real``; simulate prints real balances of its own, windows compares two sides' nominal CAGRs),
so a withdrawal plan that ``r2k run`` takes can be cut into windows or bootstrapped from the CLI
too, as the Python API already allowed.

They only collect values: every check lives in the spec (runner.spec), so a config file, a
compare member's ``withdraw=...`` and the Python API's keywords are judged the same way.
"""

from __future__ import annotations

import functools

import click

#: The spec settings these options set (each option's parameter name is its setting's name).
FLOW_KEYS = ("withdraw", "withdraw_pct", "withdraw_from", "inflation_adjust", "real")


#: The options, each named by the setting it sets.
_OPTIONS = {
    "withdraw": click.option("--withdraw", type=float, default=None, metavar="DOLLARS",
                             help="Withdraw this many dollars at the start of every --every period."),
    "withdraw_pct": click.option("--withdraw-pct", type=float, default=None, metavar="PERCENT",
                                 help="Or withdraw this percent of the account value at the start of every period."),
    "withdraw_from": click.option("--withdraw-from", default=None, metavar="YYYY-MM-DD",
                                  help="Withdrawals start here (contributions stop here) [default: the run's start]."),
    "inflation_adjust": click.option("--inflation-adjust", is_flag=True, default=None,
                                     help="Grow contributions and --withdraw dollars with CPI (as published by each day)."),
    "real": click.option("--real", is_flag=True, default=None,
                         help="Also report balances and returns in dollars of the run's end month (CPIAUCSL)."),
}


def _options(keys: tuple[str, ...]):
    """A decorator adding ``keys``' options; the command receives them as one ``flow_settings`` dict (unset ones absent)."""
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            settings = {k: kwargs.pop(k) for k in keys}
            return fn(*args, flow_settings={k: v for k, v in settings.items() if v is not None}, **kwargs)

        for key in reversed(keys):
            wrapper = _OPTIONS[key](wrapper)
        return wrapper
    return decorate


#: Every flow option (``r2k run``, ``r2k compare``).
flow_options = _options(FLOW_KEYS)
#: The money plan without ``--real`` (``r2k windows``, ``r2k simulate``).
PLAN_KEYS = tuple(k for k in FLOW_KEYS if k != "real")
plan_options = _options(PLAN_KEYS)
