"""A run folder the README names in a command (`r2k compare runs/buy-and-hold-IWM-HASH dca`) is the
folder the quick start's run really writes, so the command works when pasted. Its hash names the
spec: when a spec field is added it moves, and this test says what to write instead."""

import re
from pathlib import Path

from r2k.runner.api import make_spec
from r2k.runner.labels import folder_name

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_the_quick_start_run_folder_named_in_the_readme_is_the_real_one():
    spec = make_spec("buy-and-hold", symbol="IWM", start="2005-01-01", end="2024-12-31", benchmark="SPY",
                     offline=True)  # the quick start's `r2k run` command
    named = set(re.findall(r"runs/(buy-and-hold-IWM-[0-9a-f]{10})\b", README))
    assert named, "the README names the quick start's run folder"
    assert named == {folder_name(spec)}, f"README.md: write runs/{folder_name(spec)} (the folder the run writes)"
