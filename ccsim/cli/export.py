"""``ccsim export``: a results folder's tables for a spreadsheet.

``ccsim export results/retail-bank-day-20261123-101500 --xlsx`` writes
``retail-bank-day.xlsx`` into the folder: the KPIs with their confidence intervals, the
same per interval, per pool and per queue, and the values of every simulated day, a sheet
each; ``--csv`` writes them as CSV files into ``export/``. Nothing is overwritten unasked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import fail, file_size, out


def register(app: typer.Typer) -> None:
    app.command("export")(export)


def export(
    folder: Annotated[Path, typer.Argument(help="a results folder of ccsim run, sweep or compare")],
    csv: Annotated[bool, typer.Option("--csv", help="CSV files, one per table, in a folder (default: FOLDER/export/)")]
    = False,
    xlsx: Annotated[bool, typer.Option(
        "--xlsx", help="one Excel workbook, a sheet per table (default: FOLDER/<name>.xlsx); needs openpyxl "
                       "(pip install 'ccsim\\[xlsx]')")]
    = False,
    out_path: Annotated[Optional[Path], typer.Option(
        "--out", help="where to write: the workbook's file, or the folder of the CSV files")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="replace files that already exist")] = False,
) -> None:
    """Write the KPI and per-interval tables of a results folder for a spreadsheet (CSV or Excel)."""
    from ..experiments.store import MANIFEST

    problems = []
    if csv == xlsx:
        problems.append("export: choose one format, --csv or --xlsx")
    if not (folder / MANIFEST).is_file():
        problems.append(f"{folder}: not a ccsim results folder (no {MANIFEST})")
    if problems:
        raise fail(problems)
    from ..experiments.export import export_results

    try:
        written = export_results(folder, "csv" if csv else "xlsx", out=out_path, overwrite=overwrite)
    except ModuleNotFoundError as exc:
        raise fail([f"--xlsx: {exc}"]) from None
    except FileExistsError as exc:
        raise fail([f"--out: {exc}" if out_path is not None else str(exc)]) from None
    except (OSError, ValueError) as exc:
        raise fail([str(exc)]) from None
    where = written[0].parent if csv else written[0]
    out.print(f"exported to {where}{'/' if csv else ''}", highlight=False)
    width = max(len(p.name) for p in written)
    for path in written:
        out.print(f"  {path.name:<{width}}  {file_size(path.stat().st_size):>9}", highlight=False)
