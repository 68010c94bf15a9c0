"""Symbol names: what the user types, what the store and CSV folders call it.

Yahoo index tickers start with ``^`` (``^RUT``); CSV folders and many data vendors drop the caret
(``RUT.csv``). Economic series are FRED ids (``DFF``) and live in their own namespace.
"""

from __future__ import annotations

import re

from r2k.data.errors import UsageError

#: Index tickers that CSV folders write without their caret.
INDEX_ALIASES = {
    "RUT": "^RUT",
    "GSPC": "^GSPC",
    "SPX": "^GSPC",
    "IXIC": "^IXIC",
    "NDX": "^NDX",
    "DJI": "^DJI",
    "VIX": "^VIX",
    "IRX": "^IRX",
    "TNX": "^TNX",
    "RUA": "^RUA",
    "RUI": "^RUI",
}

#: Yield indices: their "price" is a rate in percent, so zero and negative values are real.
YIELD_SYMBOLS = frozenset({"^IRX", "^FVX", "^TNX", "^TYX"})

#: FRED series r2k knows by name; any other FRED id can be written as ``fred:ID``.
KNOWN_SERIES = frozenset(
    {"DFF", "FEDFUNDS", "DFEDTAR", "DFEDTARU", "DFEDTARL", "DGS10", "DGS3MO", "DGS2", "DTB3",
     "USREC", "USRECD", "T10Y3M", "T10Y2Y", "CPIAUCSL", "UNRATE"}
)

#: Pseudo-symbol for a cash account that accrues the overnight rate (see r2k.data.cash).
CASH = "CASH"

_SYMBOL_RE = re.compile(r"^\^?[A-Z0-9][A-Z0-9.\-=]{0,19}$")


def canonical_symbol(text: str) -> str:
    """Return the canonical price symbol for user text (``rut`` -> ``^RUT``, ``iwm`` -> ``IWM``)."""
    sym = text.strip().upper()
    sym = INDEX_ALIASES.get(sym, sym)
    if not _SYMBOL_RE.match(sym):
        raise UsageError(f"invalid symbol {text!r}: use a ticker such as IWM, SPY or ^RUT")
    return sym


#: What may become a file name in the store: a ticker or a FRED id, never a path.
_STORE_NAME_RE = re.compile(r"^\^?[A-Za-z0-9][A-Za-z0-9._\-=]{0,39}$")


def check_store_name(name: object) -> str:
    """The last gate before a name becomes a file name in the store (data, lock).

    Every symbol and series id reaches the disk through here, whoever declared it (a flag, a
    config file, a user strategy). Slashes, ``..``, NUL, control characters and over-long names
    could make the store read or create files outside its folder, so they are refused.
    """
    if not isinstance(name, str) or not _STORE_NAME_RE.fullmatch(name) or ".." in name:
        raise UsageError(f"invalid symbol {name!r}: use a ticker such as IWM, SPY or ^RUT, or a FRED id such as DFF")
    return name


def declared_symbol(text: object, who: str, *, rewrite: bool = False) -> str:
    """A price symbol a strategy declares: valid, and canonical (or, with ``rewrite``, made so).

    A rule's target weights are keyed by the assets it declares, so an asset is not rewritten
    (``iwm`` would no longer match its weights); a non-canonical one is an error instead.
    Signals are only read, so they are rewritten (``rut`` -> ``^RUT``).
    """
    if not isinstance(text, str):
        raise UsageError(f"strategy {who} declares symbol {text!r}; symbols are strings such as 'IWM'")
    try:
        sym = canonical_symbol(text)
    except UsageError:
        raise UsageError(f"strategy {who} declares invalid symbol {text!r}: use a ticker such as IWM, SPY "
                         "or ^RUT") from None
    if sym != text and not rewrite:
        raise UsageError(f"strategy {who} declares symbol {text!r}; write it as {sym!r}")
    return sym


def is_series(text: str) -> bool:
    """True when ``text`` names an economic series (FRED) rather than a price symbol."""
    t = text.strip()
    return t.lower().startswith("fred:") or t.upper() in KNOWN_SERIES


def canonical_series(text: str) -> str:
    """Return the FRED id for ``DFF`` or ``fred:DFF``."""
    t = text.strip()
    if t.lower().startswith("fred:"):
        t = t[5:]
    sid = t.upper()
    if not re.match(r"^[A-Z0-9_]{1,30}$", sid):
        raise UsageError(f"invalid FRED series id {text!r}")
    return sid


def file_stem(symbol: str) -> str:
    """The file name a CSV folder uses for a symbol: ``^RUT`` -> ``RUT``."""
    return symbol.lstrip("^")


def symbol_from_stem(stem: str) -> str:
    """The symbol a CSV file name stands for: ``RUT`` -> ``^RUT``, ``^RUT`` -> ``^RUT``."""
    return canonical_symbol(stem)
