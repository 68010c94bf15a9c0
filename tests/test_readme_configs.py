"""The README's two config files run as written (its compare.toml once had a label r2k refuses:
`label = "IWM buy & hold"` -> "error: bad label 'IWM buy & hold'")."""

import re
import shutil
from pathlib import Path

from tests.util import invoke, needs_real_data, real_home  # noqa: F401  (real_home is a fixture)

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_compare_config_labels_are_accepted():
    """Every member label is one `compare` takes (checked before any data is read)."""
    from r2k.runner.members import LABEL_RE

    labels = re.findall(r'^label = "([^"]*)"', BLOCKS[1], flags=re.M)
    assert labels and all(LABEL_RE.match(x) for x in labels)


@needs_real_data
def test_the_readme_config_files_run(real_home, tmp_path, monkeypatch):  # noqa: F811
    assert len(BLOCKS) >= 2, "README.md: the run.toml and compare.toml blocks"
    shutil.copytree(ROOT / "examples", tmp_path / "examples")  # strategy_path = ["examples"], relative to the file
    (tmp_path / "run.toml").write_text(BLOCKS[0], encoding="utf-8")
    (tmp_path / "compare.toml").write_text(BLOCKS[1], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env = {"R2K_HOME": str(real_home)}
    res = invoke("run", "--config", tmp_path / "run.toml", env=env)
    assert res.exit_code == 0, res.output
    res = invoke("compare", "--config", tmp_path / "compare.toml", "--offline", "--no-tearsheet", env=env)
    assert res.exit_code == 0, res.output
    assert "IWM-hold" in res.stdout
