"""``r2k runs``: the run folders under a folder, with what each holds."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("folder", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
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
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(len(head))]
    for row in [head, *cells]:
        click.echo("  ".join(c.rjust(w) if i == 2 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
                   .rstrip())
