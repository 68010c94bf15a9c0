"""``r2k runs``: the run folders under a folder, with what each holds."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("folder", required=False, default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
def runs(folder: Path) -> None:
    """List the run folders under FOLDER (default: here): label, window, CAGR, created."""
    from r2k.reports.runfolder import find_runs

    rows = find_runs(folder)
    if not rows:
        click.echo(f"no run folders under {folder}")
        return
    cells = [(r["label"], f"{r['start']}..{r['end']}", "-" if r["cagr"] is None else f"{100 * r['cagr']:.2f}%",
              r["created"][:16].replace("T", " "), str(Path(r["path"]).relative_to(folder) if folder != Path(".")
                                                     else r["path"])) for r in rows]
    head = ("label", "window", "CAGR", "created (UTC)", "folder")
    for line in _layout(head, cells):
        click.echo(line)


def _layout(head: tuple[str, ...], cells: list[tuple[str, ...]]) -> list[str]:
    """One line per run when that fits a 100-column terminal; else each run's label on a line of
    its own and the rest indented below it, the folder on a third line if still too wide (long
    labels and compare-member folders made the one-line table 130+ columns wide, and a wrapped
    row is unreadable)."""
    from r2k.reports.terminal import WIDTH

    def grid(rows: list[tuple[str, ...]], right: int, indent: str = "") -> list[str]:
        widths = [max(len(c[i]) for c in rows) for i in range(len(rows[0]))]
        return [(indent + "  ".join(c.rjust(w) if i == right else c.ljust(w)
                                    for i, (c, w) in enumerate(zip(row, widths, strict=True)))).rstrip()
                for row in rows]

    lines = grid([head, *cells], right=2)  # CAGR right-aligned
    if max(len(x) for x in lines) <= WIDTH:
        return lines
    rest = grid([head[1:], *(c[1:] for c in cells)], right=1, indent="  ")
    if max(len(x) for x in rest) <= WIDTH:
        out = [head[0], rest[0]]
        for cell, line in zip(cells, rest[1:], strict=True):
            out += [cell[0], line]
        return out
    # a compare member's folder is long too: the folder on a third line
    mid = grid([head[1:-1], *(c[1:-1] for c in cells)], right=1, indent="  ")
    out = [head[0], mid[0], f"  {head[-1]}"]
    for cell, line in zip(cells, mid[1:], strict=True):
        out += [cell[0], line, f"  {cell[-1]}"]
    return out
