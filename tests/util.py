"""Shared test helpers: synthetic price frames, a store with the real snapshot, a fake provider."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from r2k.data.validate import Checked, validate_prices, validate_series


def real_data_dir() -> Path | None:
    """``$R2K_TEST_DATA`` if set. Set but missing is an error (CI must run the real-data tests)."""
    env = os.environ.get("R2K_TEST_DATA")
    if not env:
        return None
    path = Path(env)
    if not (path / "prices").is_dir():
        raise RuntimeError(f"R2K_TEST_DATA={env} has no prices/ folder")
    return path


needs_real_data = pytest.mark.skipif(
    not os.environ.get("R2K_TEST_DATA"), reason="R2K_TEST_DATA not set (real-data snapshot absent)"
)


def bdays(start: str, n: int) -> pd.DatetimeIndex:
    return pd.bdate_range(start, periods=n, name="date").astype("datetime64[ns]")


def price_frame(closes, start: str = "2020-01-01", opens=None, adj=None) -> pd.DataFrame:
    """A canonical price frame from closes (opens default to closes, adj_close to closes)."""
    closes = np.asarray(closes, dtype=float)
    idx = bdays(start, len(closes))
    opens = closes if opens is None else np.asarray(opens, dtype=float)
    adj = closes if adj is None else np.asarray(adj, dtype=float)
    df = pd.DataFrame(
        {"open": opens, "high": np.maximum(opens, closes), "low": np.minimum(opens, closes),
         "close": closes, "adj_close": adj, "volume": 1000.0, "dividends": 0.0},
        index=idx,
    )
    return df


def random_walk(n: int, seed: int = 0, start: str = "2015-01-01", vol: float = 0.012) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    closes = 100 * np.exp(np.cumsum(rng.normal(0.0003, vol, n)))
    opens = closes * np.exp(rng.normal(0, 0.004, n))
    return price_frame(closes, start, opens=opens)


class FakeProvider:
    """A provider that serves fixed frames and records every (name, start, end) it was asked."""

    def __init__(self, name: str, frames: dict, series: bool = False):
        self.name = name
        self.frames = frames
        self.series = series
        self.calls: list[tuple] = []
        self.fail: Exception | None = None

    def fetch(self, name, start, end) -> Checked:
        self.calls.append((name, None if start is None else str(start), None if end is None else str(end)))
        if self.fail is not None:
            raise self.fail
        data = self.frames[name]
        if start is not None:
            data = data[data.index >= pd.Timestamp(start)]
        if end is not None:
            data = data[data.index <= pd.Timestamp(end)]
        return validate_series(data, name) if self.series else validate_prices(data, name)


def write_csv(folder: Path, name: str, frame: pd.DataFrame) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    frame.rename_axis("date").to_csv(path, date_format="%Y-%m-%d")
    return path


@pytest.fixture(scope="session")
def real_home(tmp_path_factory):
    """A store holding the imported real snapshot (prices and FRED), shared by the session."""
    from click.testing import CliRunner

    from r2k.runner.cli import cli

    data = real_data_dir()
    if data is None:
        pytest.skip("R2K_TEST_DATA not set")
    home = tmp_path_factory.mktemp("real_home")
    for sub in ("prices", "fred"):
        res = CliRunner().invoke(cli, ["data", "import", str(data / sub)], env={"R2K_HOME": str(home)})
        assert res.exit_code == 0, res.output
    return home


def meta_for(name: str, kind: str = "prices"):
    """Store metadata for a frame a test writes directly."""
    from r2k.data.store import Meta

    return Meta(name=name, kind=kind, source="csv:test", fetched_at="2025-01-01T00:00:00+00:00", adjustment="",
                start="", end="", rows=0, sha256="")


def put_prices(store, name: str, frame: pd.DataFrame) -> None:
    store.write("prices", name, frame, meta_for(name))


def invoke(*args, env: dict | None = None):
    """Run the r2k CLI in-process."""
    from click.testing import CliRunner

    from r2k.runner.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


def one_line_error(res, code: int) -> str:
    """Assert the command failed with ``code`` and exactly one ``error:`` line on stderr; return it."""
    assert res.exit_code == code, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.output
    return lines[0]


def home_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, frames: dict[str, pd.DataFrame]):
    """A store at ``tmp_path/home`` holding ``frames`` (symbol -> price frame), made the CLI's
    R2K_HOME, with ``tmp_path`` as the current folder (so run folders land there)."""
    from r2k.data.store import Store

    st = Store(tmp_path / "home")
    for name, frame in frames.items():
        put_prices(st, name, frame)
    monkeypatch.setenv("R2K_HOME", str(st.root))
    monkeypatch.chdir(tmp_path)
    return st


def assert_group_gone(pgid: int, seconds: float = 10.0) -> None:
    """Wait up to ``seconds`` for every process of group ``pgid`` to end; fail if one is left."""
    import os
    import time

    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with pytest.raises(ProcessLookupError):
        os.killpg(pgid, 0)  # a process of that group is still alive
