"""CSV files in the header spellings common sources write."""

import pandas as pd
import pytest

from r2k.data.csvfolder import read_csv_file
from r2k.data.errors import DataError


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_yahoo_style_headers(tmp_path):
    p = _write(tmp_path, "IWM.csv", "Date,Open,High,Low,Close,Adj Close,Volume\n"
               "2020-01-02,10,11,9,10.5,10.0,100\n2020-01-03,10.5,11,10,11,10.476,200\n")
    item = read_csv_file(p)
    assert (item.kind, item.name) == ("prices", "IWM")
    assert list(item.checked.frame["adj_close"]) == [10.0, 10.476]
    assert list(item.checked.frame["close"]) == [10.5, 11.0]


def test_index_file_name_maps_to_caret_symbol(tmp_path):
    p = _write(tmp_path, "RUT.csv", "date,close\n2020-01-02,1600\n2020-01-03,1610\n")
    item = read_csv_file(p)
    assert item.name == "^RUT"


def test_alpha_vantage_headers_with_dividends(tmp_path):
    p = _write(tmp_path, "SPY.csv", "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount\n"
               "2020-01-02,1,1,1,1,0.9,5,0\n2020-01-03,1,1,1,1,0.9,5,0.25\n")
    f = read_csv_file(p).checked.frame
    assert list(f["dividends"]) == [0.0, 0.25]
    assert list(f["adj_close"]) == [0.9, 0.9]


@pytest.mark.parametrize("header", ["date,value", "DATE,DFF", "observation_date,DFF"])
def test_fred_headers(tmp_path, header):
    p = _write(tmp_path, "DFF.csv", f"{header}\n2020-01-01,1.55\n2020-01-02,.\n2020-01-03,1.54\n")
    item = read_csv_file(p)
    assert (item.kind, item.name) == ("series", "DFF")
    assert list(item.checked.frame.values) == [1.55, 1.54]
    assert item.checked.frame.index[0] == pd.Timestamp("2020-01-01")


def test_garbage_is_a_clear_error(tmp_path):
    p = _write(tmp_path, "IWM.csv", "foo,bar\nx,y\n")
    with pytest.raises(DataError, match="IWM"):
        read_csv_file(p)
