"""Lump sum vs DCA has two benchmark rows (one per money plan); the compare page's charts draw them
in two different greys, so the legend tells them apart (both were #444444)."""

import re

from r2k.data.store import Store
from tests.util import invoke, put_prices, random_walk


def test_two_benchmark_rows_get_two_colours(tmp_path, monkeypatch):
    st = Store(tmp_path / "home")
    put_prices(st, "AAA", random_walk(800, seed=5, start="2018-01-01"))
    put_prices(st, "SPY", random_walk(800, seed=6, start="2018-01-01"))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "cmp"
    res = invoke("compare", "buy-and-hold symbol=AAA cash=12000", "dca symbol=AAA cash=0 contribute=500",
                 "--benchmark", "SPY", "--offline", "--no-tearsheet", "--out", out, env={"R2K_HOME": str(st.root)})
    assert res.exit_code == 0, res.output
    assert res.stdout.count("SPY (like ") >= 2  # two benchmark rows, as the terminal shows
    page = (out / "index.html").read_text(encoding="utf-8")
    # the annual-returns bars: one colour per series index
    bars = re.findall(r'<rect class="s" data-s="(\d+)"[^>]*fill="(#[0-9a-fA-F]{6})"', page)
    colours = {}
    for s, colour in bars:
        colours.setdefault(s, set()).add(colour)
    assert len(colours) == 4 and all(len(c) == 1 for c in colours.values())
    assert len({next(iter(c)) for c in colours.values()}) == 4  # four series, four colours
