"""The README says what r2k does: its strategy list is the registry's, its sample output is what the
commands print (run here on the real snapshot), its setup steps are the ones CI runs."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from r2k.runner.cli import cli
from r2k.strategies import discovery, registry
from tests.util import needs_real_data, real_home  # noqa: F401  (real_home is a fixture)

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
#: ``<!-- output of: COMMAND -->`` then a fenced block: COMMAND prints exactly that block
OUTPUT_BLOCKS = re.findall(r"<!-- output of: (r2k [^>]*?) -->\n```\n(.*?)```", README, flags=re.S)


def section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    nxt = README.find("\n## ", start + 1)
    return README[start: nxt if nxt > 0 else None]


def test_the_built_in_strategy_table_is_the_registry():
    rows = re.findall(r"^\| `([a-z-]+)` \| (.+?) \|$", section("Built-in strategies"), flags=re.M)
    assert rows, "no table under '## Built-in strategies'"
    assert [name for name, _ in rows] == registry.names()
    for name, line in rows:  # the description's first sentence (what `strategies list` shows first)
        line = line.replace("\\|", "|")  # a | inside a Markdown table cell is written \|
        desc = discovery.strategy_info(registry.resolve(name))["description"]
        assert line.endswith(".") and (desc == line or desc.startswith(line + " ")), (name, desc)


def test_setup_makes_a_venv_before_installing():
    setup = section("Set up and test")
    steps = re.findall(r"^(python3 -m venv \.venv|source \.venv/bin/activate|pip install -e \"\.\[test\]\"|python -m pytest)",
                       setup, flags=re.M)
    assert steps == ["python3 -m venv .venv", "source .venv/bin/activate", 'pip install -e ".[test]"', "python -m pytest"]
    assert re.search(r"install took \*\*[\d.]+ minutes\*\*", setup)


def test_the_first_compare_example_is_iwm_vs_spy_vs_qqq():
    first = re.search(r"^r2k compare .*$", README, flags=re.M).group(0)
    cmds = [c for c, _ in OUTPUT_BLOCKS if c.startswith("r2k compare")]
    assert "--symbols IWM,SPY,QQQ" in first and cmds and "--symbols IWM,SPY,QQQ" in cmds[0]


def _normal(text: str) -> str:
    """Run-folder hashes name the spec (and move when a spec field is added): compared as HASH."""
    return re.sub(r"-[0-9a-f]{10}\b", "-HASH", text).rstrip("\n")


@needs_real_data
@pytest.mark.parametrize("command,block", OUTPUT_BLOCKS, ids=[c.split(" --")[0] for c, _ in OUTPUT_BLOCKS])
def test_sample_output_is_what_the_command_prints(command, block, real_home, tmp_path, monkeypatch):  # noqa: F811
    """Tear sheets are replaced by a stub file (what they contain is not printed); every printed line is real."""
    import shlex

    import r2k.runner.comparison as comparison
    import r2k.runner.result as result

    monkeypatch.setattr(result.Result, "tearsheet", lambda self, path: Path(path).write_text("stub") and Path(path))
    monkeypatch.setattr(comparison, "start_pool", lambda n: ThreadPoolExecutor(max_workers=1))
    monkeypatch.setattr(comparison, "_render_tearsheet", lambda r, path, *a, **k: Path(path).write_text("stub") and path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(discovery.ENV_VAR, raising=False)
    args = shlex.split(command)[1:]
    res = CliRunner().invoke(cli, args, env={"R2K_HOME": str(real_home)})
    assert res.exit_code == 0, res.output
    assert _normal(res.stdout) == _normal(block), (
        f"README.md's block after '<!-- output of: {command} -->' differs from what it prints; paste this:\n"
        f"{res.stdout}")
