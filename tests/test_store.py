"""The local store: round trip, atomic writes, corrupt files are detected and never used."""

import json
from pathlib import Path

import pandas as pd
import pytest

from r2k.data.errors import StoreCorrupt
from r2k.data.store import Meta, Store, content_hash
from tests.util import price_frame, random_walk


def _meta(name="IWM"):
    return Meta(name=name, kind="prices", source="yahoo", fetched_at="2025-01-01T00:00:00+00:00",
                adjustment="x", start="", end="", rows=0, sha256="")


def test_round_trip_keeps_values_and_metadata(tmp_path):
    st = Store(tmp_path)
    df = random_walk(300)
    st.write("prices", "IWM", df, _meta())
    got = st.read("prices", "IWM")
    pd.testing.assert_frame_equal(got.data, df, check_freq=False)
    assert got.meta.rows == 300
    assert got.meta.start == df.index[0].strftime("%Y-%m-%d") and got.meta.end == df.index[-1].strftime("%Y-%m-%d")
    assert got.meta.sha256 == content_hash(df)
    assert st.read_meta("prices", "IWM").source == "yahoo"
    assert st.names("prices") == ["IWM"]


def test_caret_symbols_are_stored(tmp_path):
    st = Store(tmp_path)
    st.write("prices", "^RUT", price_frame([1, 2, 3]), _meta("^RUT"))
    assert st.names("prices") == ["^RUT"]


def test_crash_mid_write_leaves_previous_version(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    st = Store(tmp_path)
    old = price_frame([1, 2, 3])
    st.write("prices", "IWM", old, _meta())
    real = pq.write_table

    def crash(table, where, **kw):
        real(table.slice(0, 1), where, **kw)  # something was written...
        raise KeyboardInterrupt  # ...then the process is killed

    monkeypatch.setattr(pq, "write_table", crash)
    with pytest.raises(KeyboardInterrupt):
        st.write("prices", "IWM", price_frame([5, 6, 7, 8]), _meta())
    monkeypatch.setattr(pq, "write_table", real)
    got = st.read("prices", "IWM")
    pd.testing.assert_frame_equal(got.data, old, check_freq=False)
    assert [p.name for p in (tmp_path / "prices").iterdir()] == ["IWM.parquet"]  # no temp file left


def test_truncated_file_is_detected(tmp_path):
    st = Store(tmp_path)
    st.write("prices", "IWM", random_walk(100), _meta())
    path = st.path("prices", "IWM")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(StoreCorrupt, match="IWM"):
        st.read("prices", "IWM")
    with pytest.raises(StoreCorrupt):
        st.read_meta("prices", "IWM")


def test_checksum_mismatch_is_detected(tmp_path):
    import pyarrow.parquet as pq

    st = Store(tmp_path)
    st.write("prices", "IWM", price_frame([1, 2, 3]), _meta())
    path = st.path("prices", "IWM")
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[b"r2k"])
    meta["sha256"] = "0" * 64  # the data no longer matches what was recorded
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, b"r2k": json.dumps(meta).encode()}), path)
    with pytest.raises(StoreCorrupt, match="checksum"):
        st.read("prices", "IWM")


def test_default_root_honours_r2k_home(tmp_path, monkeypatch):
    monkeypatch.setenv("R2K_HOME", str(tmp_path / "h"))
    assert Store().root == tmp_path / "h"


def test_default_root_is_the_platform_cache_dir(monkeypatch):
    from platformdirs import user_cache_dir

    from r2k.data.home import default_root

    monkeypatch.delenv("R2K_HOME", raising=False)
    assert default_root() == Path(user_cache_dir("r2k", appauthor=False))
