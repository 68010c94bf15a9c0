"""Errors a user can act on.

Every layer raises these with a message written for the user; the CLI prints the message as one
line on stderr and exits with ``exit_code`` (2 for usage errors, 1 for runtime errors).
"""

from __future__ import annotations


class R2KError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""

    exit_code = 1


class UsageError(R2KError):
    """Bad input on the command line or in a config file (exit 2)."""

    exit_code = 2


class DataError(R2KError):
    """Data is missing, malformed or fails validation (exit 1)."""


class DataUnavailable(DataError):
    """A provider could not deliver data: network down, rate-limited, unknown symbol."""


class StoreCorrupt(DataError):
    """A file in the local store cannot be read or fails its checksum."""


class EngineError(R2KError):
    """A backtest did not run as specified (e.g. an order was rejected)."""


class StoreUnwritable(DataError):
    """The store's folder cannot be written (read-only, full, permissions); nothing was changed."""


class StoreBusy(DataError):
    """Another process held a store lock for longer than the lock timeout."""
