"""A run folder's dated CSVs: the fast date column writes what pandas' date_format writes."""

import numpy as np
import pandas as pd
import pytest

from r2k.reports.runfolder import dated_csv


@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_dated_csv_equals_pandas_date_format(tmp_path, unit):
    days = pd.bdate_range("1999-12-30", periods=400).as_unit(unit)
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"value": rng.random(400) * 1e5, "cash": rng.random(400)}, index=days)
    frame.iloc[3, 1] = np.nan
    dated_csv(frame, tmp_path / "fast.csv", "%.10g")
    frame.rename_axis("date").to_csv(tmp_path / "slow.csv", date_format="%Y-%m-%d", float_format="%.10g")
    text = (tmp_path / "fast.csv").read_text()
    assert text == (tmp_path / "slow.csv").read_text()
    assert text.splitlines()[:2] == ["date,value,cash", f"1999-12-30,{frame.iloc[0, 0]:.10g},{frame.iloc[0, 1]:.10g}"]
