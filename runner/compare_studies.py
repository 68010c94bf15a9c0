"""Optional sections of a comparison: every start date (``windows``) and what could have happened
(``simulate``) for each member, computed from the member's finished result over the common window.

They answer "was the common window a lucky one?" beside the one-path summary, with the same
definitions as ``r2k windows`` and ``r2k simulate`` (the same functions run here).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from r2k.data.errors import UsageError


@dataclass(frozen=True)
class StudyRequest:
    """Which sections to add: ``windows`` (every start month x holding length) and ``paths``
    bootstrap histories of ``years`` (0 paths: none)."""

    windows: bool = False
    paths: int = 0
    years: float | None = 20
    block_months: float = 12
    seed: int = 1

    def __post_init__(self) -> None:
        if self.paths < 0:
            raise UsageError(f"--simulate must be a number of paths >= 0, not {self.paths}")

    @property
    def any(self) -> bool:
        return self.windows or self.paths > 0


@dataclass(frozen=True)
class Study:
    """One section: ``kind`` is "windows" or "simulation"; ``result`` the study's own result."""

    kind: str
    label: str
    result: object


def run_studies(request: StudyRequest, results: dict, *, cpi: pd.Series | None, say) -> list[Study]:
    """The requested studies for every member (label -> finished Result), in member order.

    A member whose window is too short for a study gets a warning instead of a section.
    """
    from r2k.runner.simulation import simulate
    from r2k.runner.windows_study import windows

    out: list[Study] = []
    for label, result in results.items():
        if request.windows:
            try:
                out.append(Study("windows", label, windows(result)))
            except UsageError as exc:
                say(f"{label}: no every-start-date section: {exc}")
        if request.paths:
            try:
                sim = simulate(result, paths=request.paths, years=request.years, block_months=request.block_months,
                               seed=request.seed, cpi=cpi)
                out.append(Study("simulation", label, sim))
            except UsageError as exc:
                say(f"{label}: no simulation section: {exc}")
    return out

