"""The tear sheet's "EOY Returns vs Benchmark" chart puts each year's bars at that year's label.

Under pandas 3, quantstats 0.0.86 drew them at period ordinals (2019 at x=49) while labelling
positions 0..n-1, so bars and years disagreed. The chart quantstats builds during a real
``tearsheet.render`` is captured and every bar is checked against yearly returns computed here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from r2k.reports import tearsheet


def _returns(start: str, end: str, seed: int, name: str) -> pd.Series:
    idx = pd.bdate_range(start, end)
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(0.0004, 0.012, len(idx)), index=idx, name=name)


@pytest.mark.parametrize("start", ["2010-03-15", "2018-03-15"])  # > 10 years and <= 10 (quantstats labels them differently)
def test_eoy_bars_sit_at_their_year_labels(tmp_path, monkeypatch, start):
    from quantstats._plotting import core

    figs = []
    original = core.plot_returns_bars

    def spy(*args, **kwargs):
        fig = original(*args, **kwargs)
        figs.append(fig)
        return fig

    monkeypatch.setattr(core, "plot_returns_bars", spy)
    rets = _returns(start, "2024-06-28", 1, "returns")
    bench = _returns(start, "2024-06-28", 2, "SPY")
    tearsheet.render(rets, tmp_path / "t.html", "EOY check", bench)
    assert len(figs) == 1 and figs[0] is not None
    ax = figs[0].axes[0]

    at_label = {t.get_text(): float(x) for x, t in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True) if t.get_text()}
    bars = [(p.get_x() + p.get_width() / 2, p.get_height()) for c in ax.containers for p in c.patches]
    years = sorted(set(rets.index.year))
    assert sorted(at_label) == [str(y) for y in years]
    assert len(bars) == 2 * len(years)
    for series in (rets, bench):
        yearly = (1 + series).groupby(series.index.year).prod() - 1  # independent of quantstats
        for year, value in yearly.items():
            centre = [x for x, h in bars if abs(h - value) < 1e-9]
            assert len(centre) == 1, (series.name, year)
            assert abs(centre[0] - at_label[str(year)]) < 0.5, (series.name, year, centre[0], at_label[str(year)])
    assert pd.plotting.plot_params["x_compat"] is False  # the render's setting does not leak
