"""``ccsim compare`` and ``ccsim sweep``: many runs on the same callers."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (
    EXECUTOR_HELP,
    JSON_HELP,
    REPORT_HELP,
    SCHEDULER_HELP,
    SET_HELP,
    WORKERS_HELP,
    err,
    fail,
    fmt,
    load,
    out,
    output_folder,
    plural,
    print_files,
    progress,
    stopped,
    where,
    write_report,
)


def register(app: typer.Typer) -> None:
    app.command()(compare)
    app.command()(sweep)


def compare(
    file_a: Annotated[Path, typer.Argument(help="scenario A, the baseline (YAML)")],
    file_b: Annotated[Optional[Path], typer.Argument(help="scenario B; omit to compare A with A plus --set")] = None,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help="change B: " + SET_HELP)] = None,
    reps: Annotated[int, typer.Option(min=2, help="replications of each, paired by replication")] = 10,
    seed: Annotated[Optional[int], typer.Option(min=0, help="seed both use; default: A's")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    workers: Annotated[Optional[int], typer.Option(help=WORKERS_HELP)] = None,
    executor: Annotated[str, typer.Option(help=EXECUTOR_HELP)] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help=SCHEDULER_HELP)] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="results folder (default: results/<a>-vs-<b>-<time>)")] = None,
    no_save: Annotated[bool, typer.Option("--no-save", help="write no results folder")] = False,
    with_report: Annotated[bool, typer.Option("--report", help=REPORT_HELP)] = False,
) -> None:
    """Compare B with A on the same callers: paired differences, 95% CIs and verdicts."""
    from rich.table import Table

    from ..experiments.compare import run_comparison
    from ..experiments.executors import Interrupted, interrupt_once
    from ..experiments.results import JOURNEY_KPIS, json_float
    from ..experiments.store import default_folder, discard_folder

    if file_b is None and not overrides:
        raise fail(["compare needs scenario B, or --set overrides that turn A into B"])
    a = load(file_a)
    b = load(file_b, overrides) if file_b is not None else load(file_a, overrides)
    placement = where(workers, executor, scheduler)
    if no_save and (out_dir is not None or with_report):
        raise fail(["--no-save: cannot be combined with --out or --report"])
    target = None if no_save else (out_dir or default_folder(f"{a.name}-vs-{b.name}"))
    created = None
    if target is not None:  # checked (and made) now, not after the simulation
        created = output_folder(target, out_dir is not None, full=f"{target} is not an empty folder; choose another")
    seed = a.seed if seed is None else seed
    done = [0]  # replications finished (A's, then B's), for the message after a Ctrl-C
    with interrupt_once(then_exit=True):  # one Ctrl-C stops it all; what follows it is not cut short
        try:
            with progress(f"{a.name} vs {b.name}", 2 * reps, show=not as_json) as report_progress:
                def tick(finished: int, total: int) -> None:
                    done[0] = finished
                    if report_progress:
                        report_progress(finished, total)

                comparison = run_comparison(a, b, reps=reps, seed=seed, progress=tick, **placement)
        except Interrupted as exc:
            if target is not None:
                discard_folder(target, created)
            exc.done, exc.total = done[0], 2 * reps  # of both runs, not of the one that was stopped
            raise stopped(exc, ["Nothing was saved: a comparison is written only when both runs are done."]) from None
        except BaseException:
            if target is not None:
                discard_folder(target, created)
            raise
    table = comparison.table
    if target is not None:
        comparison.write(target)
        if with_report:
            write_report(target)
    if as_json:
        kpis = {row.kpi: {"a": json_float(row.a_mean), "b": json_float(row.b_mean), "diff": json_float(row.diff),
                          "ci_low": json_float(row.ci_low), "ci_high": json_float(row.ci_high), "verdict": row.verdict,
                          "variance_reduction": json_float(row.variance_reduction)}
                for row in table.itertuples(index=False)}
        typer.echo(json.dumps({"a": a.name, "b": b.name, "replications": reps, "seed": seed, "kpis": kpis,
                               "folder": str(target) if target else None}, allow_nan=False))
        return
    what = str(file_b) if file_b is not None else f"{file_a} with " + ", ".join(overrides or [])
    out_table = Table(title=f"B − A, paired over {plural(reps, 'replication')} (seed {seed})\nA: {file_a}\nB: {what}")
    for column in ("KPI", "A", "B", "B − A", "95% CI", "verdict", "CRN variance ÷"):
        out_table.add_column(column, justify="left" if column in ("KPI", "verdict") else "right")
    colours = {"better": "green", "worse": "red"}
    absent = table["kpi"].isin(JOURNEY_KPIS) & ~(table["a_mean"] > 0) & ~(table["b_mean"] > 0)
    if absent.any():
        out_table.caption = f"{absent.sum()} more KPIs are 0 or undefined in both (--json lists every KPI)"
    for row in table[~absent].itertuples(index=False):
        ci = "–" if math.isnan(row.ci_low) else f"{_fmt_diff(row.kpi, row.ci_low)} … {_fmt_diff(row.kpi, row.ci_high)}"
        reduction = "–" if math.isnan(row.variance_reduction) else f"{row.variance_reduction:.1f}"
        style = colours.get(row.verdict, "")
        out_table.add_row(row.kpi, fmt(row.kpi, row.a_mean), fmt(row.kpi, row.b_mean),
                          _fmt_diff(row.kpi, row.diff), ci,
                          f"[{style}]{row.verdict}[/]" if style else row.verdict, reduction)
    out.print(out_table)
    if target is not None:
        print_files(target, ["comparison.parquet", "kpis_a.parquet", "kpis_b.parquet"],
                    " (with report.html)" if with_report else "")


def _fmt_diff(kpi: str, value: float) -> str:
    return fmt(kpi, value, signed=True)


SWEEP_COLUMNS = ("service_level", "abandon_rate", "asa_seconds", "agent_cost")


SWEEP_COLUMNS = ("service_level", "abandon_rate", "asa_seconds", "agent_cost")


def sweep(
    spec: Annotated[Optional[Path], typer.Argument(help="sweep spec (YAML); not needed with --resume")] = None,
    reps: Annotated[Optional[int], typer.Option(min=1, help="replications per point (default: the spec's)")] = None,
    workers: Annotated[Optional[int], typer.Option(help=WORKERS_HELP)] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="results folder (default: results/<name>-<time>)")] = None,
    resume: Annotated[Optional[Path], typer.Option(help="continue the interrupted sweep in this folder")] = None,
    sort: Annotated[Optional[str], typer.Option(help="KPI to sort the printed points by, best first")] = None,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help="change the base scenario: " + SET_HELP)] = None,
    executor: Annotated[str, typer.Option(help=EXECUTOR_HELP)] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help=SCHEDULER_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    with_report: Annotated[bool, typer.Option("--report", help=REPORT_HELP)] = False,
) -> None:
    """Run a scenario over a grid or a Latin hypercube of values; every point sees the same callers."""
    import shlex

    from ..errors import ScenarioError
    from ..experiments.executors import Interrupted, interrupt_once
    from ..experiments.results import RUN_KPIS, json_float
    from ..experiments.store import MANIFEST, FolderError
    from ..experiments.sweeps import execute_sweep, prepare_sweep

    placement = where(workers, executor, scheduler)
    problems = []
    if (spec is None) == (resume is None):
        problems.append("sweep needs a spec file, or --resume FOLDER (not both)")
    if resume is not None and (reps is not None or out_dir is not None or overrides):
        problems.append("--resume continues with the folder's own scenario, replications and folder: "
                        "drop --reps/--out/--set")
    if resume is not None and not (resume / MANIFEST).is_file():
        problems.append(f"--resume: {resume} is not a ccsim results folder (no {MANIFEST})")
    if sort is not None and sort not in RUN_KPIS and not sort.startswith("occupancy:"):
        problems.append(f"--sort: unknown KPI '{sort}'; allowed: {', '.join(RUN_KPIS)}, occupancy:POOL")
    if problems:
        raise fail(problems)
    try:  # the spec counted and checked at every point, the folder made: all before simulating
        prepared = prepare_sweep(spec, reps=reps, out=out_dir, resume=resume, overrides=overrides or ())
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None
    except FolderError as exc:
        raise fail([f"--resume: {exc}" if resume is not None else f"--out: {exc}" if out_dir is not None
                    else f"results folder: {exc}; choose one with --out"]) from None
    with interrupt_once(then_exit=True):  # one Ctrl-C stops it all; what follows it is not cut short
        try:
            with progress(prepared.spec.name, prepared.total, show=not as_json) as report_progress:
                result = execute_sweep(prepared, progress=report_progress, **placement)
        except Interrupted as exc:
            kept = (f"The finished replications are kept in {prepared.folder}/" if exc.done else
                    f"No replication had finished yet; {prepared.folder}/ keeps the sweep's spec and scenario")
            raise stopped(exc, [
                f"{kept} (manifest.json says \"interrupted\").",
                f"To finish the sweep: ccsim sweep --resume {shlex.quote(str(prepared.folder))}",
            ]) from None
    sort = sort or result.sort or "service_level"  # a resumed sweep sorts as its stored spec says
    table = result.summary(sort) if len(result.points) else result.points
    if with_report and len(result.points):
        write_report(result.folder, kpi=sort)
    if as_json:
        points = [{"point": int(row["point"]), "params": {p: _jsonable(row[p]) for p in result.params},
                   "replications": int(row["replications"]),
                   "kpis": {k: {"mean": json_float(row[k]), "ci_low": json_float(row[f"{k}_ci_low"]),
                                "ci_high": json_float(row[f"{k}_ci_high"])} for k in RUN_KPIS}}
                  for _, row in table.iterrows()]
        typer.echo(json.dumps({"sweep": result.name, "folder": str(result.folder), "sorted_by": sort,
                               "points": points, "failed": {str(k): v for k, v in result.failed.items()}},
                              allow_nan=False))
    else:
        _print_sweep(result, table, sort)
    if result.failed:
        for point, error in sorted(result.failed.items()):
            err.print(f"[bold red]point {point} failed:[/] {error}", highlight=False, soft_wrap=True)
        err.print(f"{plural(len(result.failed), 'point')} failed; see {result.folder}/{MANIFEST}. "
                  f"Fix the cause and run: ccsim sweep --resume {shlex.quote(str(result.folder))}",
                  highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(code=1)


def _jsonable(value):
    return value.item() if hasattr(value, "item") else value


def _print_sweep(result, table, sort: str) -> None:
    from rich.table import Table

    shown = [c for c in (sort, *SWEEP_COLUMNS) if c in table.columns]
    shown = list(dict.fromkeys(shown))
    t = Table(title=f"{result.name}: {plural(len(result.points), 'point')}, sorted by {sort} (best first)")
    t.add_column("point", justify="right")
    for p in result.params:
        t.add_column(p, justify="right")
    for k in shown:
        t.add_column(k, justify="right")
    for _, row in table.head(30).iterrows():
        cells = [str(int(row["point"])), *(_cell(row[p]) for p in result.params)]
        for k in shown:
            ci = "" if math.isnan(row[f"{k}_ci_low"]) else f" ± {fmt(k, (row[f'{k}_ci_high'] - row[f'{k}_ci_low']) / 2)}"
            cells.append(fmt(k, row[k]) + ci)
        t.add_row(*cells)
    out.print(t)
    if len(table) > 30:
        out.print(f"(30 of {len(table):,} points shown; all are in {result.folder}/points.parquet)")
    print_files(result.folder, ["runs.parquet", "points.parquet"],
                " (runs: point x replication; points: mean and 95% CI per point)")


def _cell(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
