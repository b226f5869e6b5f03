"""Export: a results folder's tables for a spreadsheet, each number with its unit.

The staffing meeting works in Excel. ``ccsim export results/retail-bank-day-... --xlsx``
writes one workbook with a sheet per table — the KPIs with their 95% confidence intervals,
the same per interval (means over the simulated days), per pool, per queue, and the raw
per-day values behind them; ``--csv`` writes the same tables as CSV files in a folder. A sweep
gives its points and runs, a comparison its paired table and each scenario's KPIs. Shares
stay fractions (0.812, shown as 81.2% in the workbook), times are in seconds, costs in the
scenario's ``currency``. Nothing is overwritten unless asked.

The units live here too (:func:`kpi_unit`, :func:`format_value`): what a column of an export
means is what a number in a report or a terminal table is shown as.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analysis.formats import COST_KPIS, _missing, format_half_width, format_value, is_rate  # noqa: F401

if TYPE_CHECKING:
    import pandas as pd

#: Cost KPIs: shown in the scenario's ``currency`` when it has one.
#: Counts of customers rather than contacts.
CUSTOMER_COUNTS = frozenset({"customers"})
#: Formats an export writes.
FORMATS = ("csv", "xlsx")
#: Rows a worksheet holds (Excel's limit, header included).
XLSX_MAX_ROWS = 1_048_576


def kpi_unit(kpi: str, currency: str | None = None) -> str:
    """The unit of a KPI's values: ``share`` (0-1), ``s``, the currency (or ``cost``),
    ``contacts``, ``customers``, ``hours``, ``agents`` or ``''`` (a ratio of its own)."""
    from ..analysis.tables import COUNT_COLUMNS

    if is_rate(kpi):
        return "share"
    if kpi.endswith("_seconds"):
        return "s"
    if kpi in COST_KPIS:
        return currency or "cost"
    if kpi in CUSTOMER_COUNTS:
        return "customers"
    if kpi in COUNT_COLUMNS:
        return "contacts"
    if kpi.endswith("_hours"):
        return "hours"
    if kpi == "staffed":
        return "agents"
    return ""


# -------------------------------------------------------------------------------------------------
# The tables of a folder


def export_tables(folder: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a results folder (run, sweep or comparison) as a spreadsheet shows them:
    name -> DataFrame, in the order of the sheets."""
    from .folders import load_results
    from .store import read_manifest

    folder = Path(folder)
    kind = read_manifest(folder).get("kind", "run")
    loaded = load_results(folder)
    if kind == "sweep":
        return {"points": loaded.points, "runs": loaded.runs}
    if kind == "compare":
        tables = {"comparison": loaded.table, "kpis_a": loaded.kpis_a}
        for k, frame in enumerate(loaded.kpis_variants):
            tables["kpis_b" if k == 0 else f"kpis_b{k + 1}"] = frame
        return tables
    return _run_tables(loaded)


def _run_tables(result: Any) -> dict[str, pd.DataFrame]:
    from .results import INTERVAL_SUMMARY_KPIS, POOL_SUMMARY_KPIS

    currency = getattr(result.scenario, "currency", None)
    summary = result.summary().reset_index()
    summary.insert(1, "unit", [kpi_unit(k, currency) for k in summary["kpi"]])
    tables = {"kpis": summary.rename(columns={"n": "replications"})}
    tables["intervals"] = _means(result.intervals, ["interval", "start", "clock"], INTERVAL_SUMMARY_KPIS)
    tables["pools"] = _means(result.pools, ["pool"], POOL_SUMMARY_KPIS)
    tables["pool_intervals"] = _means(result.pool_intervals, ["pool", "interval", "start", "clock"], ("occupancy",))
    for name, keys in (("queues", ["queue"]), ("queue_intervals", ["queue", "interval", "start", "clock"]),
                       ("segments", ["segment"])):
        frame = getattr(result, name, None)
        if frame is not None and len(frame):
            tables[name] = _means(frame, keys, ("service_level", "abandon_rate", "asa_seconds"))
    if result.chains is not None and len(result.chains):
        tables["chains"] = _means(result.chains, ["transfers"], ("share",))
    tables["kpis_by_replication"] = result.kpis
    tables["intervals_by_replication"] = result.intervals
    return tables


def _means(frame: pd.DataFrame, keys: Sequence[str], with_ci: Sequence[str]) -> pd.DataFrame:
    """Per group of ``keys``: the mean over replications of every numeric column, and the
    95% CI (``<kpi>_ci_low``, ``<kpi>_ci_high``) of those in ``with_ci``."""
    import pandas as pd

    from ..analysis.stats import mean_ci

    keys = [k for k in keys if k in frame.columns]
    values = [c for c in frame.columns if c not in (*keys, "replication", "warmup")
              and pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]
    rows = []
    for key, part in frame.groupby(keys, observed=True, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(keys, key, strict=True))
        if "warmup" in part:
            row["warmup"] = bool(part["warmup"].iloc[0])
        for column in values:
            x = part[column].to_numpy(dtype=float)
            if column in with_ci:
                row[column], row[f"{column}_ci_low"], row[f"{column}_ci_high"] = mean_ci(x, kpi=column)
            else:
                row[column] = float(x[~pd.isna(x)].mean()) if (~pd.isna(x)).any() else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------------------------------
# Writing


def export_results(folder: str | Path, format: str = "xlsx", out: str | Path | None = None,
                   overwrite: bool = False) -> list[Path]:
    """Write the tables of a results folder for a spreadsheet; return the files written.

    Args:
        folder: a folder written by ``ccsim run``, ``ccsim sweep`` or ``ccsim compare``.
        format: ``"xlsx"`` (one workbook, a sheet per table; needs openpyxl, the ``[xlsx]``
            extra) or ``"csv"`` (a folder with one CSV file per table, UTF-8 with a byte-order
            mark so that Excel reads the names right).
        out: the workbook file, or the CSV folder; default ``<folder>/<name>.xlsx`` or
            ``<folder>/export/``. An existing folder given for a workbook receives
            ``<name>.xlsx``.
        overwrite: replace files that exist; without it they are never touched.

    Raises:
        FileNotFoundError: ``folder`` is not a results folder.
        FileExistsError: a file to write exists and ``overwrite`` is False (nothing written).
        ModuleNotFoundError: ``xlsx`` without openpyxl (the message says how to install it).
        ValueError: an unknown format, or a table too long for a worksheet.

    Example:
        >>> ccsim.experiments.export.export_results("results/retail-bank-day-20261123-101500", "csv")
    """
    from .store import read_manifest

    folder = Path(folder)
    if format not in FORMATS:
        raise ValueError(f"unknown export format {format!r}; allowed: {', '.join(FORMATS)}")
    name = _slug(str(read_manifest(folder).get("name", folder.name)))
    if format == "xlsx":
        _need_openpyxl()
        target = Path(out) if out is not None else folder / f"{name}.xlsx"
        if target.is_dir():
            target = target / f"{name}.xlsx"
        _refuse_existing([target], overwrite)
        tables = export_tables(folder)
        _write_xlsx(target, tables)
        return [target]
    where = Path(out) if out is not None else folder / "export"
    if where.exists() and not where.is_dir():
        raise FileExistsError(f"{where} is a file, not a folder")
    tables = export_tables(folder)
    targets = [where / f"{table}.csv" for table in tables]
    _refuse_existing(targets, overwrite)
    where.mkdir(parents=True, exist_ok=True)
    from .store import atomic_write

    for target, frame in zip(targets, tables.values(), strict=True):
        atomic_write(target, lambda tmp, f=frame: _for_text(f).to_csv(tmp, index=False, encoding="utf-8-sig"))
    return targets


def _need_openpyxl() -> None:
    try:
        import openpyxl  # noqa: F401
    except ModuleNotFoundError:
        raise ModuleNotFoundError("writing .xlsx needs openpyxl, which is not installed: "
                                  "pip install 'ccsim[xlsx]' (or pip install openpyxl), or export --csv",
                                  name="openpyxl") from None


def _refuse_existing(targets: Sequence[Path], overwrite: bool) -> None:
    present = [t for t in targets if t.exists()]
    if present and not overwrite:
        shown = ", ".join(str(p) for p in present[:3]) + (f" and {len(present) - 3} more" if len(present) > 3 else "")
        raise FileExistsError(f"{shown} already exist{'s' if len(present) == 1 else ''}; "
                              "pass --overwrite (overwrite=True) to replace, or choose another --out")


def _for_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Interval starts as ``08:30:00`` (``32:30:00`` on a second day): what a spreadsheet reads as a time."""
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_timedelta64_dtype(frame[column]):
            seconds = frame[column].dt.total_seconds()
            frame[column] = [_hms(s) for s in seconds]
    return frame


def _hms(seconds: float) -> str:
    if math.isnan(seconds):
        return ""
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _write_xlsx(target: Path, tables: dict[str, pd.DataFrame]) -> None:
    """One sheet per table: header frozen, shares shown in %, interval starts as times."""
    import pandas as pd

    from .store import atomic_write

    for name, frame in tables.items():
        if len(frame) >= XLSX_MAX_ROWS:
            raise ValueError(f"table {name} has {len(frame):,} rows, more than a worksheet holds "
                             f"({XLSX_MAX_ROWS - 1:,}); export --csv instead")

    buffer = io.BytesIO()  # built in memory, then written whole under a temporary name and renamed
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in tables.items():
            sheet = name[:31]  # Excel's limit
            frame.to_excel(writer, sheet_name=sheet, index=False)
            _style(writer.sheets[sheet], frame)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()))


def _style(sheet: Any, frame: pd.DataFrame) -> None:
    import pandas as pd

    sheet.freeze_panes = "A2"
    kpi_of_row = list(frame["kpi"]) if "kpi" in frame.columns else None
    # Levels of a share show in %; a difference of shares is in points, left as a fraction.
    levels = ("a_mean", "b_mean") if "diff" in frame.columns else ("mean", "ci_low", "ci_high")
    for j, column in enumerate(frame.columns, start=1):
        letter = sheet.cell(row=1, column=j).column_letter
        sheet.column_dimensions[letter].width = max(10, min(40, len(str(column)) + 2))
        base = re.sub(r"_ci_(low|high)$", "", str(column))
        if pd.api.types.is_timedelta64_dtype(frame[column]):
            fmt = "[h]:mm:ss"
        elif kpi_of_row is not None and column in levels:
            for i, kpi in enumerate(kpi_of_row, start=2):  # a long table: each row its KPI's format
                if is_rate(str(kpi)):
                    sheet.cell(row=i, column=j).number_format = "0.00%"
            continue
        elif pd.api.types.is_float_dtype(frame[column]) and is_rate(base):
            fmt = "0.0%"
        else:
            continue
        for i in range(2, len(frame) + 2):
            sheet.cell(row=i, column=j).number_format = fmt


def _slug(name: str) -> str:
    """A file-name-safe version of a results folder's name."""
    return re.sub(r"[^A-Za-z0-9_.=+-]+", "_", name).strip("_.") or "results"
