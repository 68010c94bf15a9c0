"""What r2k prints fits a 100-column terminal whatever the labels' length: `r2k run`'s summary wraps a
long label over header lines (never pushing each value onto a line of its own), `r2k runs` puts each
run's label on a line of its own when one line per run would not fit."""

import json
import re
from pathlib import Path

import pytest

from r2k.data.store import Store
from r2k.runner.engine import run
from r2k.runner.spec import RunSpec
from tests.util import invoke, needs_real_data, one_line_error, put_prices, random_walk


@pytest.fixture
def store(tmp_path):
    st = Store(tmp_path)
    put_prices(st, "AAA", random_walk(300, seed=1))
    put_prices(st, "BBB", random_walk(300, seed=3))
    put_prices(st, "SPY", random_walk(300, seed=2))
    return st


def _value_rows(text: str) -> dict[str, list[str]]:
    """Row label -> the values on that line (split on runs of 2+ spaces), for the table's rows."""
    rows = {}
    for line in text.splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        if parts[0] in ("Initial balance", "Final balance", "CAGR (time-weighted)", "Trades"):
            rows[parts[0]] = parts[1:]
    return rows


def test_long_label_wraps_the_header_not_the_rows(store):
    from r2k.reports.summary import format_summary

    spec = RunSpec("portfolio", {"weights": "AAA:50,BBB:50", "band_relative": 25.0}, contribute=500.0,
                   benchmark="SPY")
    res = run(spec, store=store, offline=True)
    assert len(res.label) > 40  # e.g. "portfolio AAA:50,BBB:50 $500/month band_relative=25"
    text = format_summary(res)
    assert max(len(x) for x in text.splitlines()) <= 100
    rows = _value_rows(text)
    # every row holds the strategy's value and the benchmark's on one line
    assert len(rows["Initial balance"]) == 2 and len(rows["Final balance"]) == 2
    assert rows["Trades"][1] == "-"
    assert float(rows["Final balance"][0].replace(",", "")) == pytest.approx(res.metrics["final_value"], abs=0.01)
    assert float(rows["Final balance"][1].replace(",", "")) == pytest.approx(float(res.benchmark_value.iloc[-1]),
                                                                             abs=0.01)
    # the label is all there, over the header lines above the first row
    lines = text.splitlines()
    head = " ".join(lines[1:next(i for i, x in enumerate(lines) if x.startswith("Initial balance"))])
    for word in res.label.split() + res.benchmark_label().split():
        assert word in head


def test_runs_listing_fits_100_columns_with_long_labels(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = {"R2K_HOME": str(store.root)}
    for band in ("10", "25"):
        res = invoke("run", "portfolio", "-p", "weights=AAA:50,BBB:50", "-p", f"band_relative={band}",
                     "--contribute", "500", "--benchmark", "SPY", "--offline", "--no-tearsheet", env=env)
        assert res.exit_code == 0, res.output
    res = invoke("runs", env=env)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(len(x) for x in lines) <= 100
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 2
    check_runs_listing(tmp_path, lines, folders)
    # compare members live in nested folders with long names: still within 100 columns
    res = invoke("compare", "buy-and-hold symbol=AAA cash=120000", "dca symbol=AAA cash=0 contribute=500",
                 "--benchmark", "SPY", "--offline", "--no-tearsheet", env=env)
    assert res.exit_code == 0, res.output
    res = invoke("runs", env=env)
    lines = res.stdout.splitlines()
    assert res.exit_code == 0 and max(len(x) for x in lines) <= 100
    members = sorted(p.parent for p in (tmp_path / "runs").glob("compare-*/*/metrics.json"))
    assert len(members) == 2 and len(str(Path("runs") / members[0].parent.name / members[0].name)) > 40
    check_runs_listing(tmp_path, lines, folders + members)


def check_runs_listing(tmp_path, lines: list[str], folders: list[Path]) -> None:
    """Each folder's line (its path relative to the cwd) with its own CAGR and label near it."""
    for folder in folders:
        metrics = json.loads((folder / "metrics.json").read_text())
        label = json.loads((folder / "manifest.json").read_text())["label"]
        rel = str(folder.relative_to(tmp_path))
        row = next(i for i, x in enumerate(lines) if x.rstrip().endswith(rel))
        near = " ".join(lines[max(0, row - 2): row + 1])
        assert f"{100 * metrics['cagr']:.2f}%" in near  # the run's own CAGR beside its folder
        assert len(label) > 25 and label in near


def test_strategies_list_shows_the_two_line_description_within_100_columns(tmp_path):
    """README: "the docstring's first two lines are the description `strategies list` shows"; the
    list used to print the first line only, cutting portfolio's sentence after "rebalance to them"."""
    folder = tmp_path / "mine"
    folder.mkdir()
    first = "Hold AAA while a condition that takes a long sentence to state, with many words, holds,"
    second = "else hold BBB; decided on the first trading day of every month from closes known then."
    (folder / "mine.py").write_text(
        "from r2k.strategies.base import AllocationRule\n\n\n"
        "class Mine(AllocationRule):\n"
        f'    """{first}\n    {second}\n\n    A third line that is not part of the description.\n    """\n\n'
        '    name = "mine"\n    params = {"symbol": "AAA"}\n\n'
        "    def assets(self):\n        return [self.symbol]\n\n"
        "    def target(self, view):\n        return {self.symbol: 1.0}\n", encoding="utf-8")
    res = invoke("strategies", "list", "--strategy-path", folder)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert max(len(x) for x in lines) <= 100
    at = next(i for i, x in enumerate(lines) if x.startswith("mine  [rule]"))
    desc = []
    for line in lines[at + 1:]:
        if line.strip().startswith("params:"):
            break
        desc.append(line.strip())
    assert " ".join(desc) == f"{first} {second}"
    assert "third line" not in res.stdout
    from r2k.strategies.portfolio import Portfolio  # the built-in whose sentence was cut

    doc = [x.strip() for x in Portfolio.__doc__.strip().splitlines()[:2]]
    assert " ".join(" ".join(x.split()) for x in lines).count(" ".join(doc)) == 1


def test_walkforward_table_fits_100_columns(store, tmp_path):
    out = tmp_path / "wf"
    res = invoke("walkforward", "trend-filter", "-g", "window=20,40", "-p", "symbol=AAA", "-p", "risk_off=SPY",
                 "--train", "6m", "--test", "3m", "--offline", "--workers", "1", "--benchmark", "none", "--out", out,
                 "--no-tearsheet", env={"R2K_HOME": str(store.root)})
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    table = lines[: lines.index("")]
    assert max(len(x) for x in table) <= 100  # was 113 with a one-line header
    import pandas as pd

    windows = pd.read_csv(out / "windows.csv")
    body = table[-len(windows):]
    for line, (_, w) in zip(body, windows.iterrows(), strict=True):
        cells = line.split()
        assert cells[0] == f"{w['train_start']}..{w['train_end']}" and cells[2] == f"window={w['p.window']}"
        assert cells[4] == f"{100 * w['test_return']:.2f}%"


def test_lab_text_tables_split_into_column_blocks_within_100_columns():
    """`r2k events`/`seasonality` tables were up to 486 columns wide; each block repeats the row keys."""
    import numpy as np
    import pandas as pd

    from r2k.reports.lab_output import LabResult, text_table

    rng = np.random.default_rng(3)
    wide = pd.DataFrame({"horizon": [21, 21, 65], "series": ["IWM", "SPY", "IWM"],
                         **{f"measure_{i:02d}": rng.normal(size=3) for i in range(14)},
                         "verdict": ["no conclusion (interval contains 0)"] * 3})
    text = text_table(wide, "summary (%)")
    lines = text.splitlines()
    assert max(len(x) for x in lines) <= 100
    # every value is shown once, in percent with 2 decimals, on the row of its keys
    for col in [c for c in wide.columns if c.startswith("measure_")]:
        heads = [i for i, x in enumerate(lines) if col in x.split()]
        assert len(heads) == 1
        head = lines[heads[0]].split()
        for r in range(3):
            row = lines[heads[0] + 2 + r].split()
            assert row[:2] == [str(wide["horizon"][r]), wide["series"][r]]
            assert row[head.index(col)] == f"{100 * wide[col][r]:.2f}"
    narrow = wide[["horizon", "series", "measure_00"]]
    assert text_table(narrow, "t").splitlines()[0] == "t"  # a table that fits is one block, as before
    res = LabResult("x", "t", {"summary": wide}, notes=["a note " * 40])
    assert max(len(x) for x in res.text().splitlines()) <= 100


def test_windows_and_simulate_text_fit_100_columns(tmp_path):
    """Their tables fit; the sentences around them (116 and 220 columns) are wrapped too."""
    from r2k.runner import simulate, windows

    st = Store(tmp_path / "home")
    put_prices(st, "AAA", random_walk(900, seed=7, start="2016-01-01"))
    put_prices(st, "SPY", random_walk(900, seed=8, start="2016-01-01"))
    w = windows("dca", symbol="AAA", benchmark="SPY", offline=True, home=st.root)
    text = w.text()
    assert max(len(x) for x in text.splitlines()) <= 100
    assert "won: share of windows whose CAGR beat the benchmark's" in " ".join(x.strip() for x in text.splitlines())
    rows = [x for x in text.splitlines() if re.match(r"^\s+\d+\s+\d+\s+\d+%", x)]
    assert len(rows) == len(w.summary)  # one line per holding length, as before
    s = simulate("dca", symbol="AAA", benchmark="SPY", offline=True, home=st.root, paths=50, years=1,
                 block_months=2, seed=1)
    text = s.text()
    assert max(len(x) for x in text.splitlines()) <= 100
    assert "stationary block bootstrap" in " ".join(x.strip() for x in text.splitlines())


def test_markdown_tables_wider_than_100_columns_split_into_blocks():
    """`r2k regimes --symbols IWM,SPY` printed a 130-column Markdown table; now blocks of columns,
    each repeating the row labels, every value once."""
    from r2k.reports import tables as T

    cols = [f"{s} {m}" for s in ("IWM", "SPY", "QQQ") for m in ("return", "vol", "max DD")]
    rows = [T.Row(f"regime {k}", [T.Cell(0.001 * (k + 1) * (j + 1)) for j in range(len(cols))]) for k in range(3)]
    md = T.to_markdown(T.Table("title (%)", "regime", cols, rows, notes=["a note"]))
    lines = md.splitlines()
    assert max(len(x) for x in lines if x.startswith("|")) <= 100
    seen = set()
    for head_at, line in enumerate(lines):
        if not line.startswith("|") or line.strip("|").split("|")[0].strip() != "regime":
            continue  # only the header lines
        heads = [c.strip() for c in line.strip("|").split("|")]
        for r in range(3):
            cells = [c.strip() for c in lines[head_at + 2 + r].strip("|").split("|")]
            assert cells[0] == f"regime {r}"
            for h, v in zip(heads[1:], cells[1:], strict=True):
                j = cols.index(h)
                assert v == f"{100 * 0.001 * (r + 1) * (j + 1):.2f}"
                seen.add((r, h))
    assert len(seen) == 3 * len(cols)  # every value shown exactly where it belongs
    assert lines[-1] == "a note"
    narrow = T.to_markdown(T.Table("t", "regime", cols[:2], [T.Row("r", [T.Cell(0.01), T.Cell(0.02)])]))
    assert sum(x.startswith("|:") for x in narrow.splitlines()) == 1  # fits: one table, as before


def test_strategies_show_wraps_a_long_docstring_line(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    long = "Hold AAA " + "while a long condition holds " * 6 + "end."
    (folder / "mine.py").write_text(
        "from r2k.strategies.base import AllocationRule\n\n\n"
        f'class Mine(AllocationRule):\n    """{long}\n    Short second line.\n    """\n\n'
        '    name = "mine"\n    params = {"symbol": "AAA"}\n\n'
        "    def assets(self):\n        return [self.symbol]\n\n"
        "    def target(self, view):\n        return {self.symbol: 1.0}\n", encoding="utf-8")
    res = invoke("strategies", "show", "mine", "--strategy-path", folder)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert len(long) > 100 and max(len(x) for x in lines if not x.startswith("source:")) <= 100
    assert long in " ".join(x.strip() for x in lines) and "Short second line." in lines



@needs_real_data
def test_sweep_and_walkforward_sentences_fit_100_columns(real_home, tmp_path):
    """The sweep's window sentence and verdict, and the walk-forward's decay line, were single lines
    of up to 435 columns; they wrap (only lines holding a path may be longer: a path is not cut).
    Both commands take --symbol as run does."""
    env = {"R2K_HOME": str(real_home)}
    sweep = invoke("sweep", "trend-filter", "--symbol", "IWM", "-g", "window=20:200:30", "--metric", "sharpe",
                   "--start", "2006", "--offline", "--workers", "1", "--out", tmp_path / "sw", env=env)
    walk = invoke("walkforward", "trend-filter", "--symbol", "IWM", "-g", "window=20:200:60", "--train", "3y",
                  "--test", "1y", "--start", "2006", "--end", "2014", "--offline", "--no-tearsheet", "--workers", "1",
                  "--out", tmp_path / "wf", env=env)
    for res, words in ((sweep, ("sweep window 2006-01-03..", "data end", "zero-skill")), (walk, ("decay",))):
        assert res.exit_code == 0, res.output
        lines = [x for x in res.stdout.splitlines() if str(tmp_path) not in x]
        assert max(len(x) for x in lines) <= 100, max(lines, key=len)
        assert all(w in " ".join(res.stdout.split()) for w in words)
    both = invoke("sweep", "trend-filter", "--symbol", "IWM", "-g", "symbol=IWM,SPY", "--offline", env=env)
    assert one_line_error(both, 2) == "error: --symbol and -g symbol=... both set the symbol; give one of them"
