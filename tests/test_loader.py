"""Getting data: first fetch, incremental tail refresh, re-adjustment, offline and failures."""

import datetime as dt

import pandas as pd
import pytest

from r2k.data import loader
from r2k.data.errors import DataError, DataUnavailable
from r2k.data.store import Store
from tests.util import FakeProvider, random_walk, write_csv


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "store")


def test_second_fetch_asks_only_for_the_tail(store):
    full = random_walk(500)
    prov = FakeProvider("yahoo", {"IWM": full.iloc[:400]})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    assert prov.calls == [("IWM", None, None)]
    prov.frames["IWM"] = full
    got, what = loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    tail_start = pd.Timestamp(prov.calls[1][1])
    # only about the overlap window plus the new rows was asked for
    assert full.index[399] - tail_start <= pd.Timedelta(days=loader.OVERLAP_DAYS)
    assert "+100 rows" in what
    pd.testing.assert_frame_equal(got.data, full, check_freq=False)


def test_readjusted_history_triggers_a_full_refetch(store):
    full = random_walk(300)
    prov = FakeProvider("yahoo", {"IWM": full.iloc[:200]})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    readjusted = full.copy()
    readjusted["adj_close"] *= 0.99  # a dividend re-scaled all of history
    prov.frames["IWM"] = readjusted
    got, what = loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    assert loader.READJUSTED in what
    assert prov.calls[-1] == ("IWM", None, None)
    pd.testing.assert_series_equal(got.data["adj_close"], readjusted["adj_close"], check_freq=False)


def test_offline_missing_symbol_says_how_to_get_it(store):
    with pytest.raises(DataError, match="r2k data fetch IWM"):
        loader.get("IWM", series=False, store=store, offline=True, warn=print)


def test_stale_symbol_refresh_failure_warns_and_uses_cache(store, monkeypatch):
    prov = FakeProvider("yahoo", {"IWM": random_walk(100, start="2019-01-01")})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    old = loader._now() - dt.timedelta(days=2)
    monkeypatch.setattr(loader, "_now", lambda: old + dt.timedelta(days=2))
    # pretend the last fetch was long ago
    st = store.read("prices", "IWM")
    st.meta.fetched_at = old.isoformat()
    store.write("prices", "IWM", st.data, st.meta)
    prov.fail = DataUnavailable("IWM: no answer within 30 s")
    warnings = []
    got = loader.get("IWM", series=False, store=store, offline=False, warn=warnings.append, providers={"prices": prov})
    assert len(got.data) == 100
    assert warnings and "using cached data through" in warnings[0] and got.meta.end in warnings[0]


def test_offline_never_calls_the_provider(store):
    prov = FakeProvider("yahoo", {"IWM": random_walk(50, start="2019-01-01")})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    n = len(prov.calls)
    loader.get("IWM", series=False, store=store, offline=True, warn=print, providers={"prices": prov})
    assert len(prov.calls) == n


def test_csv_imports_are_not_refreshed(store, tmp_path):
    write_csv(tmp_path / "csv", "IWM", random_walk(50, start="2019-01-01"))
    loader.import_folder(tmp_path / "csv", store, print)
    prov = FakeProvider("yahoo", {})
    loader.get("IWM", series=False, store=store, offline=False, warn=print, providers={"prices": prov})
    assert prov.calls == []


def test_import_skips_broken_files_and_imports_the_rest(store, tmp_path):
    folder = tmp_path / "csv"
    write_csv(folder, "IWM", random_walk(30))
    (folder / "BAD.csv").write_text("nothing,here\n")
    warnings = []
    metas = loader.import_folder(folder, store, warnings.append)
    assert [m.name for m in metas] == ["IWM"]
    assert any("BAD" in w for w in warnings)


def test_corrupt_store_file_is_refetched_when_online(store):
    prov = FakeProvider("yahoo", {"IWM": random_walk(60)})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    path = store.path("prices", "IWM")
    path.write_bytes(b"garbage")
    warnings = []
    got = loader.get("IWM", series=False, store=store, offline=False, warn=warnings.append, providers={"prices": prov})
    assert len(got.data) == 60 and any("unreadable" in w for w in warnings)


def test_last_expected_close_skips_weekends():
    assert loader.last_expected_close(dt.date(2024, 6, 10)) == dt.date(2024, 6, 7)  # Monday -> Friday
    assert loader.last_expected_close(dt.date(2024, 6, 12)) == dt.date(2024, 6, 11)


def test_a_refresh_that_stops_short_keeps_the_stored_tail(store):
    """A valid answer that ends before the stored end (or skips a day) never deletes history."""
    full = random_walk(300)
    prov = FakeProvider("yahoo", {"IWM": full})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    short = full.iloc[:294].drop(full.index[290])  # 6 rows short at the end, one day missing inside
    prov.frames["IWM"] = short
    got, _ = loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    assert len(got.data) == 300
    pd.testing.assert_frame_equal(got.data, full, check_freq=False)


def test_a_refresh_corrects_and_adds_rows(store):
    full = random_walk(300)
    prov = FakeProvider("yahoo", {"IWM": full.iloc[:250]})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    newer = full.copy()
    newer.iloc[-1, newer.columns.get_loc("volume")] += 1  # a corrected last row beyond the old end
    prov.frames["IWM"] = newer
    got, what = loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    assert "+50 rows" in what
    pd.testing.assert_frame_equal(got.data, newer, check_freq=False)


def test_a_shorter_readjusted_history_leaves_the_store_unchanged(store):
    full = random_walk(300)
    prov = FakeProvider("yahoo", {"IWM": full})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    readjusted = full.iloc[:297].copy()
    readjusted["adj_close"] *= 0.99
    prov.frames["IWM"] = readjusted
    with pytest.raises(DataUnavailable, match="kept the stored history"):
        loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    pd.testing.assert_frame_equal(store.read("prices", "IWM").data, full, check_freq=False)


def test_a_full_replacement_is_said_in_one_line(store, monkeypatch):
    full = random_walk(300, start="2019-01-01")
    prov = FakeProvider("yahoo", {"IWM": full.iloc[:200]})
    loader.fetch("IWM", series=False, store=store, providers={"prices": prov})
    st = store.read("prices", "IWM")
    st.meta.fetched_at = (loader._now() - dt.timedelta(days=2)).isoformat()
    store.write("prices", "IWM", st.data, st.meta)
    readjusted = full.copy()
    readjusted["adj_close"] *= 0.99
    prov.frames["IWM"] = readjusted
    warnings = []
    loader.get("IWM", series=False, store=store, offline=False, warn=warnings.append, providers={"prices": prov})
    assert len(warnings) == 1 and "replaced all of it" in warnings[0]
