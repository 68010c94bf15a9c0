"""Two r2k processes on one store: the file lock serialises fetches; readers never see a torn file."""

import multiprocessing as mp
import time
from pathlib import Path

import pandas as pd

from r2k.data import loader
from r2k.data.errors import StoreCorrupt
from r2k.data.store import Meta, Store
from r2k.data.validate import validate_prices
from tests.util import random_walk


class SlowProvider:
    """Serves a frame after a pause and logs when each fetch ran (to prove they never overlap)."""

    name = "yahoo"

    def __init__(self, log: str, seed: int):
        self.log, self.seed = log, seed

    def fetch(self, name, start, end):
        t0 = time.time()
        time.sleep(0.3)
        frame = random_walk(2000, seed=self.seed)
        with open(self.log, "a") as fh:
            fh.write(f"{t0} {time.time()}\n")
        return validate_prices(frame, name)


def _fetch(root: str, log: str, seed: int) -> None:
    loader.fetch("IWM", series=False, store=Store(root), providers={"prices": SlowProvider(log, seed)}, full=True)
    # Leave without interpreter teardown: on a loaded machine pyarrow's C++ statics sometimes abort at
    # exit ("terminate called without an active exception", SIGABRT) after the work is done and the file
    # is closed, which made this test flaky; what it checks (serialised fetches, a valid file) is above.
    import os

    os._exit(0)


def test_concurrent_fetches_are_serialised_and_leave_a_valid_file(tmp_path):
    ctx = mp.get_context("spawn")
    log = str(tmp_path / "log.txt")
    procs = [ctx.Process(target=_fetch, args=(str(tmp_path / "store"), log, seed)) for seed in (1, 2, 3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    spans = sorted(tuple(map(float, line.split())) for line in Path(log).read_text().splitlines())
    assert len(spans) == 3
    for (_, end_a), (start_b, _) in zip(spans, spans[1:], strict=False):
        assert start_b >= end_a - 1e-3  # the lock let one fetch run at a time
    got = Store(tmp_path / "store").read("prices", "IWM")  # checksum verified
    assert any(got.data.equals(random_walk(2000, seed=s)) for s in (1, 2, 3))


def _writer(root: str, stop_at: float) -> None:
    st = Store(root)
    i = 0
    while time.time() < stop_at:
        frame = random_walk(3000, seed=i % 5)
        meta = Meta(name="SPY", kind="prices", source="csv:t", fetched_at="2025-01-01T00:00:00+00:00",
                    adjustment="", start="", end="", rows=0, sha256="")
        st.write("prices", "SPY", frame, meta)
        i += 1


def test_reader_never_sees_a_partial_write(tmp_path):
    root = tmp_path / "store"
    _writer(str(root), time.time() + 0.01)  # one version exists before the race
    ctx = mp.get_context("spawn")
    w = ctx.Process(target=_writer, args=(str(root), time.time() + 2.0))
    w.start()
    reads, corrupt = 0, 0
    deadline = time.time() + 2.0
    st = Store(root)
    while time.time() < deadline:
        try:
            got = st.read("prices", "SPY")
            assert isinstance(got.data, pd.DataFrame) and len(got.data) == 3000
            reads += 1
        except StoreCorrupt:
            corrupt += 1
    w.join(30)
    assert w.exitcode == 0
    assert reads > 20 and corrupt == 0
    assert not [p for p in (root / "prices").iterdir() if p.suffix == ".tmp"]
