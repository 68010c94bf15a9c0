"""The ``r2k`` command line. It only parses and validates, then calls plain functions.

Heavy libraries (pandas, backtrader, quantstats, yfinance, matplotlib) are imported inside the
commands that need them, so ``r2k --help`` stays instant.
"""

from __future__ import annotations

import os
import sys
import traceback

import click

from r2k.data.errors import R2KError

_DEBUG = False


def _echo_err(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)


class R2KGroup(click.Group):
    """A group whose errors are one line on stderr with exit 2 (usage) or 1 (runtime)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        global _DEBUG
        argv = list(sys.argv[1:] if args is None else args)
        _DEBUG = "--debug" in argv or os.environ.get("R2K_DEBUG") == "1"
        try:
            rv = super().main(argv, prog_name or "r2k", complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            code = exc.exit_code
        except click.Abort:
            _echo_err("aborted")
            code = 1
        except click.ClickException as exc:
            _echo_err(exc.format_message())
            code = exc.exit_code
        except R2KError as exc:
            if _DEBUG:
                traceback.print_exc()
            _echo_err(str(exc))
            code = exc.exit_code
        except KeyboardInterrupt:
            _echo_err("interrupted")
            code = 130
        except Exception as exc:  # a bug or an unexpected library failure: still one line
            if _DEBUG:
                traceback.print_exc()
            _echo_err(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)")
            code = 1
        else:
            code = rv if isinstance(rv, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


@click.group(cls=R2KGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "--version", package_name="r2k", prog_name="r2k", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=None,
              help="Hard wall-clock limit in seconds for each Yahoo/FRED request [default: 30, or $R2K_TIMEOUT].")
def cli(debug: bool, timeout: float | None) -> None:
    """r2k: backtests for small-cap (Russell 2000) investing, with honest numbers.

    \b
    Quick start (offline, from CSV files):
      r2k data import ../shared/data/prices
      r2k data import ../shared/data/fred
      r2k run buy-and-hold --symbol IWM --start 2005-01-01 --end 2024-12-31 --benchmark SPY --offline
    """
    if timeout is not None:  # every provider reads it (r2k.data.net.default_timeout)
        os.environ["R2K_TIMEOUT"] = repr(timeout)


from r2k.runner import cli_data, cli_run, cli_strategies, cli_sweep  # noqa: E402  (commands register on import)

cli.add_command(cli_data.data)
cli.add_command(cli_run.run)
cli.add_command(cli_strategies.strategies)
cli.add_command(cli_sweep.sweep)
cli.add_command(cli_sweep.walkforward)

from r2k.runner import cli_tables  # noqa: E402

cli.add_command(cli_tables.table)
cli.add_command(cli_tables.tracking_cmd)
cli.add_command(cli_tables.regimes_cmd)

from r2k.runner import cli_compare  # noqa: E402

cli.add_command(cli_compare.compare)


def main() -> None:
    cli.main()
