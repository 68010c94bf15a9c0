"""The ``r2k`` command line. It only parses and validates, then calls plain functions.

Heavy libraries (pandas, backtrader, numba, yfinance, matplotlib) are imported inside the
commands that need them, so ``r2k --help`` stays instant.
"""

from __future__ import annotations

import os
import sys

import click

from r2k.data.errors import R2KError
from r2k.runner.interrupt import sigterm_as_interrupt

_DEBUG = False


def _echo_err(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)


#: command -> (module, attribute, one-line help). Modules load only when their command runs, so
#: `r2k --help` and `r2k strategies list` stay instant; tests/test_cli.py checks the help lines.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("r2k.runner.cli_run", "run", "Backtest STRATEGY (a name, package.module:Class or file.py:Class) and "
            "write a run folder."),
    "compare": ("r2k.runner.cli_compare", "compare", "Compare strategies (or run folders) over one common window: "
                "index.html, summary.csv/json."),
    "sweep": ("r2k.runner.cli_sweep", "sweep", "Run STRATEGY for every combination of the -g grid over one window "
              "and rank the results."),
    "walkforward": ("r2k.runner.cli_sweep", "walkforward", "Walk-forward test of STRATEGY: pick the best -g "
                    "combination on each training window, run it on the next."),
    "windows": ("r2k.runner.cli_sim", "windows_cmd", "Every start month x every holding length (whole years) of "
                "STRATEGY's history."),
    "simulate": ("r2k.runner.cli_sim", "simulate_cmd", "A stationary block bootstrap of STRATEGY's history: "
                 "percentiles, probabilities, a fan chart."),
    "strategies": ("r2k.runner.cli_strategies", "strategies", "List, inspect and create strategies (built-in and "
                   "your own)."),
    "data": ("r2k.runner.cli_data", "data", "Get price history and economic series into the local store."),
    "table": ("r2k.runner.cli_tables", "table", "Investor tables: month-by-month and calendar-year total returns."),
    "tracking": ("r2k.runner.cli_tables", "tracking_cmd", "Tracking difference and tracking error of ETF against "
                 "INDEX (e.g."),
    "runs": ("r2k.runner.cli_runs", "runs", "List the run folders under FOLDER (default: here): label, window, CAGR, "
             "created."),
    "regimes": ("r2k.runner.cli_tables", "regimes_cmd", "Return, volatility and max drawdown while the Fed eases, "
                "tightens or holds, and in NBER recessions."),
    "events": ("r2k.runner.cli_lab", "events", "Small vs large caps after the Fed's first cuts or hikes, through NBER "
               "recessions, or after your dates."),
    "seasonality": ("r2k.runner.cli_lab", "seasonality_cmd", "Calendar months, turn of the year, sell in May and the "
                    "Russell reconstitution window of SYMBOL."),
    "indexes": ("r2k.runner.cli_lab", "indexes_cmd", "Which small-cap fund? CAGR, volatility, drawdown, yearly gaps and "
                "tracking of SYMBOLS [IWM IJR VTWO ^RUT]."),
}


class R2KGroup(click.Group):
    """A group whose errors are one line on stderr with exit 2 (usage) or 1 (runtime).

    Its commands load lazily from ``COMMANDS``.
    """

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx, name):
        if name in COMMANDS and name not in self.commands:
            import importlib

            module, attr, _ = COMMANDS[name]
            self.add_command(getattr(importlib.import_module(module), attr), name)
        return super().get_command(ctx, name)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][2] if name in COMMANDS else self.get_command(ctx, name).get_short_help_str())
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        global _DEBUG
        argv = list(sys.argv[1:] if args is None else args)
        _DEBUG = "--debug" in argv or os.environ.get("R2K_DEBUG") == "1"
        try:
            with sigterm_as_interrupt():  # SIGTERM stops like Ctrl-C: temp folders removed, workers ended
                rv = super().main(argv, prog_name or "r2k", complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.Abort as exc:  # click turns Ctrl-C into Abort: it still exits 130
            interrupted = isinstance(exc.__cause__, KeyboardInterrupt)
            _echo_err("interrupted" if interrupted else "aborted")
            code = 130 if interrupted else 1
        except click.ClickException as exc:
            _echo_err(exc.format_message())
            code = exc.exit_code
        except R2KError as exc:
            if _DEBUG:
                _print_traceback()
            _echo_err(str(exc))
            code = exc.exit_code
        except KeyboardInterrupt:
            _echo_err("interrupted")
            code = 130
        except Exception as exc:  # a bug or an unexpected library failure: still one line
            if _DEBUG:
                _print_traceback()
            from r2k.data.envfail import describe

            known = describe(exc)  # a full disk, a read-only folder, a date past 2262: not a bug
            _echo_err(known or f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
            code = 1
        else:
            code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=R2KGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "--version", package_name="r2k", prog_name="r2k", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=None, envvar="R2K_TIMEOUT", show_envvar=True,
              help="Seconds of network time for the whole command: every Yahoo/FRED request and retry together; "
                   "one name gets at most 30 of them [default: 60].")
@click.pass_context
def cli(ctx: click.Context, debug: bool, timeout: float | None) -> None:
    """r2k: backtests for small-cap (Russell 2000) investing, with honest numbers.

    \b
    Quick start (offline, from CSV files):
      r2k data import ../shared/data/prices
      r2k data import ../shared/data/fred
      r2k run buy-and-hold --symbol IWM --start 2005-01-01 --end 2024-12-31 --benchmark SPY --offline
    """
    from r2k.data.budget import NetBudget

    ctx.obj = NetBudget(timeout)  # the command's network budget; store_option hands it to the Store


def _print_traceback() -> None:
    import traceback  # only with --debug: a few ms off every start

    traceback.print_exc()


def main() -> None:
    cli.main()
