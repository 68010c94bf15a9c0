"""What the user sees while waiting: numbers first, progress on a terminal, silence on a pipe.

The terminal cases run the real CLI in a child process whose stderr is a pseudo-terminal
(os.openpty), so ``isatty()`` is the operating system's answer, not a mock. The tear sheet
renderer is replaced in the child by a fake that waits until the summary is on stdout (or times
out and says so): the order is checked by what the fake saw, never by timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from r2k.runner.cli import cli
from tests.util import home_with, random_walk

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def synth_home(tmp_path, monkeypatch):
    return home_with(tmp_path, monkeypatch, {name: random_walk(1500, seed=seed, start="2010-01-01")
                                             for name, seed in (("IWM", 11), ("SPY", 12), ("QQQ", 13))})


#: Child prelude: fake tear sheets that record whether the summary (stdout file) and metrics.json
#: existed when rendering began, then the real CLI.
PRELUDE = textwrap.dedent("""
    import json, os, sys, time
    from pathlib import Path
    from concurrent.futures import ThreadPoolExecutor
    OUT, SEEN = Path(os.environ["T_STDOUT"]), Path(os.environ["T_SEEN"])

    def wait_for_summary(marker):
        deadline = time.time() + 30
        while marker not in OUT.read_text() and time.time() < deadline:
            time.sleep(0.05)
        return marker in OUT.read_text()

    import r2k.runner.result as result_mod
    def fake_tearsheet(self, path):
        seen = {"summary_printed": wait_for_summary("Final balance"),
                "metrics_written": (Path(path).parent / "metrics.json").is_file()}
        time.sleep(1.2)  # long enough for the ticker to tick
        SEEN.write_text(json.dumps(seen))
        Path(path).write_text("<html></html>")
        return Path(path)
    result_mod.Result.tearsheet = fake_tearsheet

    import r2k.runner.comparison as cmp_mod
    def fake_render(returns, path, *args, **kwargs):
        seen = {"summary_printed": wait_for_summary("common window")}
        with SEEN.open("a") as f:
            f.write(json.dumps(seen) + "\\n")
        Path(path).write_text("<html></html>")
        return path
    cmp_mod._render_tearsheet = fake_render
    cmp_mod.start_pool = lambda n: ThreadPoolExecutor(max_workers=n)

    from r2k.runner.cli import main
    sys.argv = ["r2k", *sys.argv[1:]]
    main()
""")


def run_on_pty(tmp_path: Path, *args: str) -> tuple[str, str, int, Path]:
    """Run ``r2k ARGS`` with stderr on a pseudo-terminal and stdout in a file: (stdout, stderr, rc, seen file)."""
    out, seen = tmp_path / "stdout.txt", tmp_path / "seen.txt"
    out.write_text("")
    master, slave = os.openpty()
    env = {**os.environ, "T_STDOUT": str(out), "T_SEEN": str(seen)}
    env.pop("R2K_OFFLINE", None)
    with out.open("w") as fout:
        proc = subprocess.Popen([sys.executable, "-c", PRELUDE, *args], stdout=fout, stderr=slave,
                                stdin=subprocess.DEVNULL, env=env, cwd=tmp_path)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    rc = proc.wait(timeout=120)
    return out.read_text(), b"".join(chunks).decode(errors="replace"), rc, seen


def test_run_prints_summary_and_writes_files_before_the_tear_sheet_with_a_ticker_on_a_terminal(synth_home, tmp_path):
    stdout, stderr, rc, seen = run_on_pty(tmp_path, "run", "buy-and-hold", "--offline", "--out", str(tmp_path / "r"))
    assert rc == 0, stderr
    assert json.loads(seen.read_text()) == {"summary_printed": True, "metrics_written": True}
    assert stdout.index("Final balance") < stdout.index("tear sheet:")
    assert "rendering the tear sheet ..." in stderr and "rendering the tear sheet: done in" in stderr
    assert "s\r" in stderr.replace("...", "")  # the elapsed seconds were rewritten in place while it rendered


def test_run_on_a_pipe_prints_no_progress(synth_home, tmp_path, monkeypatch):
    import r2k.runner.result as result_mod

    monkeypatch.setattr(result_mod.Result, "tearsheet", lambda self, path: Path(path).write_text("x") and Path(path))
    res = CliRunner().invoke(cli, ["run", "buy-and-hold", "--offline", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    assert res.stderr == "" and "tear sheet:" in res.stdout


def test_compare_prints_summary_before_tear_sheets_and_counts_on_a_terminal(synth_home, tmp_path):
    stdout, stderr, rc, seen = run_on_pty(tmp_path, "compare", "buy-and-hold", "--symbols", "IWM,QQQ", "--offline",
                                          "--out", str(tmp_path / "c"))
    assert rc == 0, stderr
    sheets = [json.loads(line) for line in seen.read_text().splitlines()]
    assert sheets == [{"summary_printed": True}] * 2
    assert stdout.index("common window") < stdout.index("comparison folder:")
    assert "backtests 2/2" in stderr and "tear sheets 2/2" in stderr and "ETA" in stderr
    assert (tmp_path / "c" / "buy-and-hold-IWM" / "tearsheet.html").is_file()


def test_compare_on_a_pipe_prints_no_progress(synth_home, tmp_path):
    res = CliRunner().invoke(cli, ["compare", "buy-and-hold", "--symbols", "IWM,QQQ", "--offline", "--no-tearsheet",
                                   "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "backtests" not in res.stderr and "\r" not in res.stderr and "common window" in res.stdout


def test_walkforward_counts_windows_on_a_terminal_and_not_on_a_pipe(synth_home, tmp_path):
    args = ["walkforward", "trend-filter", "-g", "window=20,40", "-p", "risk_off=SPY", "--train", "2y", "--test", "1y",
            "--workers", "1", "--offline", "--benchmark", "none", "--no-tearsheet"]
    stdout, stderr, rc, _ = run_on_pty(tmp_path, *args, "--out", str(tmp_path / "w1"))
    assert rc == 0, stderr
    # synthetic data 2010-01-01 + 1500 business days: 2-year training, 1-year tests -> 4 windows, + the hindsight run
    assert "walk-forward windows 5/5" in stderr and "walk-forward windows 0/5" in stderr
    assert "walk-forward folder:" in stdout
    res = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "w2")])
    assert res.exit_code == 0, res.output
    assert "walk-forward windows" not in res.stderr and "\r" not in res.stderr


def test_ticker_and_progress_write_nothing_to_a_pipe_and_rewrite_a_terminal_line():
    from r2k.runner.progress import Progress, Ticker

    master, slave = os.openpty()
    try:
        with open(slave, "w", closefd=False) as tty, open(os.devnull, "w") as pipe:
            for stream in (tty, pipe):
                with Progress(3, stream=stream, label="x") as bar:
                    bar.step()
                with Ticker("y", stream=stream, every=0.05):
                    import time

                    time.sleep(0.2)
        text = os.read(master, 4096).decode()
    finally:
        os.close(master)
        os.close(slave)
    assert text.startswith("\rx 0/3\rx 1/3") and "\ry ... 0s" in text and "\ry: done in" in text
