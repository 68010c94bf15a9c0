"""The design's arrows, checked on the source: data knows nothing of the others; strategies only data;
reports never runner or strategies; inside runner, execution never imports orchestration or commands,
and orchestration never imports commands."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROOMS = {"data": "r2k.data", "strategies": "r2k.strategies", "runner": "r2k.runner", "reports": "r2k.reports"}
ALLOWED = {
    "r2k.data": {"r2k.data"},
    "r2k.strategies": {"r2k.strategies", "r2k.data"},
    "r2k.reports": {"r2k.reports", "r2k.data"},
    "r2k.runner": {"r2k.runner", "r2k.strategies", "r2k.data", "r2k.reports"},
}
#: runner's layers (see runner/__init__.py): each may import only its own layer and those below
EXECUTION = {"engine", "basis", "batch", "plan", "schedule", "sizing", "drift", "execution", "vector_executor",
             "bt_executor", "bt_feed", "bt_strategy", "result", "spec", "usercode", "interrupt", "labels", "safe_child",
             "progress", "flows", "workers", "kernels", "sweep_kernel", "sweep_inputs"}
COMMANDS_PREFIX = "cli"


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every ``r2k...`` import in a file, including those inside functions."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("r2k")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("r2k"):
            if node.module == "r2k.runner" or node.module.count(".") == 1:
                out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
    return out


def room_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def layer_of(module: str) -> str | None:
    """commands / orchestration / execution for an ``r2k.runner.X`` module."""
    parts = module.split(".")
    if parts[:2] != ["r2k", "runner"] or len(parts) < 3:
        return None
    name = parts[2]
    if name.startswith(COMMANDS_PREFIX) or name == "__main__":
        return "commands"
    return "execution" if name in EXECUTION else "orchestration"


RANK = {"execution": 0, "orchestration": 1, "commands": 2}


def sources():
    for folder, package in ROOMS.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield path, package + "." + ".".join(path.relative_to(ROOT / folder).with_suffix("").parts)


@pytest.mark.parametrize("path,module", list(sources()), ids=lambda v: str(v) if isinstance(v, str) else v.name)
def test_imports_follow_the_design(path, module):
    mine = room_of(module)
    for line, target in imports(path):
        assert room_of(target) in ALLOWED[mine], f"{path.relative_to(ROOT)}:{line} imports {target} ({mine} may not)"
        a, b = layer_of(module), layer_of(target)
        if a and b and not module.endswith("__init__"):
            assert RANK[b] <= RANK[a], f"{path.relative_to(ROOT)}:{line}: {a} module imports {b} module {target}"


def test_the_checker_sees_a_wrong_arrow(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("def f():\n    from r2k.runner.engine import run\n")
    assert imports(bad) == [(2, "r2k.runner.engine")] and room_of("r2k.runner.engine") not in ALLOWED["r2k.reports"]
    assert RANK[layer_of("r2k.runner.cli_run")] > RANK[layer_of("r2k.runner.engine")]
