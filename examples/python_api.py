"""r2k from Python: one run, then lump sum against monthly investing with the same money.

    python examples/python_api.py --offline          # after `r2k data import` of IWM and SPY

The same functions the CLI calls; nothing is written unless you call .save().
"""

import sys

import r2k.runner as r2k


def main(offline: bool) -> None:
    res = r2k.run("buy-and-hold", symbol="IWM", offline=offline)
    print(res.label, f"{res.start:%Y-%m-%d}..{res.end:%Y-%m-%d}")
    print(res.summary().to_string(float_format=lambda v: f"{v:,.4f}"))

    # the same total money: $500 a month for every month of the window, or all of it on day one
    months = len(res.equity.index.to_period("M").unique())
    cmp = r2k.compare([f"buy-and-hold symbol=IWM cash={500 * months}", "dca symbol=IWM cash=0 contribute=500"],
                      offline=offline)
    print()
    print(cmp.summary[["name", "contributed", "final_value", "cagr", "xirr"]].to_string(index=False))


if __name__ == "__main__":
    main("--offline" in sys.argv[1:])
