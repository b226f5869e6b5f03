"""``ccsim compare`` and ``ccsim sweep``: many runs on the same callers.

``ccsim compare scenarios/ivr_menu.yaml scenarios/ivr_menu_flat.yaml`` runs both menus on the
same callers and prints, KPI by KPI, the paired difference flat − deep with its 95% CI and a
verdict; more files compare each with the first. ``ccsim sweep SPEC`` runs a scenario at every
point of a grid or a Latin hypercube and prints the points best first. Shares are shown in %,
their differences and half-widths in percentage points (pts), costs in the scenario's currency.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import (
    JSON_HELP,
    REPORT_HELP,
    SCHEDULER_HELP,
    SET_HELP,
    WORKERS_HELP,
    err,
    executor_option,
    fail,
    fmt,
    half_width,
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
    files: Annotated[list[Path], typer.Argument(
        metavar="SCENARIO", show_default=False,
        help="scenario A, the baseline, then one or more scenarios B, each compared with A (YAML); "
             "with A alone, B is A with the --set changes")],
    overrides: Annotated[Optional[list[str]], typer.Option(
        "--set", help="change every B (with A alone: make B from A): " + SET_HELP)] = None,
    reps: Annotated[int, typer.Option(min=2, help="replications of each scenario, paired by replication")] = 10,
    seed: Annotated[Optional[int], typer.Option(min=0, help="seed every scenario uses; default: A's")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    workers: Annotated[Optional[int], typer.Option(help=WORKERS_HELP)] = None,
    executor: Annotated[str, executor_option()] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help=SCHEDULER_HELP)] = None,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="results folder, empty or new (default: results/<a>-vs-<b>-<time>)")] = None,
    no_save: Annotated[bool, typer.Option("--no-save", help="write no results folder")] = False,
    with_report: Annotated[bool, typer.Option("--report", help=REPORT_HELP)] = False,
) -> None:
    """Compare B (and C, ...) with A on the same callers: paired differences B − A, 95% CIs and verdicts."""
    from ..experiments.compare import comparison_name, run_comparison, unique_labels, variant_label
    from ..experiments.executors import Interrupted, interrupt_once
    from ..experiments.store import default_folder, discard_folder

    file_a, others = files[0], files[1:]
    if not others and not overrides:
        raise fail(["compare needs scenario B, or --set overrides that turn A into B"])
    a = load(file_a)
    variants = [load(f, overrides) for f in others] if others else [load(file_a, overrides)]
    placement = where(workers, executor, scheduler)
    if no_save and (out_dir is not None or with_report):
        raise fail(["--no-save: cannot be combined with --out or --report"])
    labels = unique_labels([variant_label(v.name, overrides or ()) for v in variants])
    target = None if no_save else (out_dir or default_folder(comparison_name(a.name, labels)))
    created = None
    if target is not None:  # checked (and made) now, not after the simulation
        created = output_folder(target, out_dir is not None, full=f"{target} is not an empty folder; choose another")
    seed = a.seed if seed is None else seed
    total = (1 + len(variants)) * reps
    done = [0]  # replications finished (A's, then each B's), for the message after a Ctrl-C
    with interrupt_once(then_exit=True):  # one Ctrl-C stops it all; what follows it is not cut short
        try:
            with progress(f"{a.name} vs {', '.join(labels)}", total, show=not as_json) as report_progress:
                def tick(finished: int, total: int) -> None:
                    done[0] = finished
                    if report_progress:
                        report_progress(finished, total)

                comparison = run_comparison(a, variants, reps=reps, seed=seed, progress=tick, labels=labels,
                                            **placement)
        except Interrupted as exc:
            if target is not None:
                discard_folder(target, created)
            exc.done, exc.total = done[0], total  # of all the runs, not of the one that was stopped
            runs = "both runs are" if len(variants) == 1 else f"all {1 + len(variants)} runs are"
            raise stopped(exc, [f"Nothing was saved: a comparison is written only when {runs} done."]) from None
        except BaseException:
            if target is not None:
                discard_folder(target, created)
            raise
    if target is not None:
        comparison.write(target)
        if with_report:
            write_report(target)
    if as_json:
        typer.echo(json.dumps(_compare_json(comparison, target), allow_nan=False))
        return
    _print_comparison(comparison, file_a, others)
    if target is not None:
        print_files(target, comparison.files(), " (with report.html)" if with_report else "")


def _compare_json(comparison, target: Optional[Path]) -> dict:
    """``a``, ``b`` and ``kpis`` of the first B (as with two scenarios), and ``comparisons``:
    one ``{"b", "kpis"}`` per B."""
    from ..experiments.results import json_float

    def kpis(part) -> dict:
        return {row.kpi: {"a": json_float(row.a_mean), "b": json_float(row.b_mean), "diff": json_float(row.diff),
                          "ci_low": json_float(row.ci_low), "ci_high": json_float(row.ci_high),
                          "verdict": row.verdict, "variance_reduction": json_float(row.variance_reduction)}
                for row in part.itertuples(index=False)}

    table = comparison.table
    each = [{"b": label, "kpis": kpis(table[table["b"] == label])} for label in comparison.labels]
    return {"a": comparison.a.name, "b": comparison.b_label, "variants": comparison.labels,
            "replications": comparison.replications, "seed": comparison.seed, "kpis": each[0]["kpis"],
            "comparisons": each, "folder": str(target) if target else None}


def _print_comparison(comparison, file_a: Path, others: list[Path]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from ..experiments.results import JOURNEY_KPIS

    table = comparison.table
    labels = comparison.labels
    several = len(labels) > 1
    currency = getattr(comparison.a, "currency", None)
    sources = [str(f) for f in others] or [str(file_a)]
    lines = [f"A: {comparison.a.name} ({file_a})"]
    for k, (label, source) in enumerate(zip(labels, sources, strict=True)):
        lines.append(f"{'B' if not several else f'B{k + 1}'}: {label} ({source})")
    out_table = Table(title=f"B − A, paired over {plural(comparison.replications, 'replication')} "
                            f"(seed {comparison.seed})\n" + escape("\n".join(lines)))
    columns = ["KPI", *(["scenario B"] if several else []), "A", "B", "B − A", "95% CI", "verdict", "CRN variance ÷"]
    for column in columns:
        out_table.add_column(column, justify="left" if column in ("KPI", "scenario B", "verdict") else "right",
                             overflow="fold")
    colours = {"better": "green", "worse": "red"}
    quiet = table["kpi"].isin(JOURNEY_KPIS) & ~(table["a_mean"] > 0) & ~(table["b_mean"] > 0)
    absent = quiet.groupby(table["kpi"]).transform("all")  # 0 or undefined in A and every B
    notes = ["differences of shares in percentage points (pts)"]
    if absent.any():
        notes.append(f"{table.loc[absent, 'kpi'].nunique()} more KPIs are 0 or undefined in all (--json lists "
                     "every KPI)")
    out_table.caption = "; ".join(notes)
    shown = table[~absent]
    order = list(dict.fromkeys(shown["kpi"]))
    shown = shown.assign(_k=shown["kpi"].map({k: i for i, k in enumerate(order)})).sort_values("_k", kind="stable")
    for row in shown.itertuples(index=False):
        ci = "–" if math.isnan(row.ci_low) else \
            f"{fmt(row.kpi, row.ci_low, True, currency)} … {fmt(row.kpi, row.ci_high, True, currency)}"
        reduction = "–" if math.isnan(row.variance_reduction) else f"{row.variance_reduction:.1f}"
        style = colours.get(row.verdict, "")
        out_table.add_row(row.kpi, *([escape(row.b)] if several else []), fmt(row.kpi, row.a_mean, currency=currency),
                          fmt(row.kpi, row.b_mean, currency=currency), fmt(row.kpi, row.diff, True, currency), ci,
                          f"[{style}]{row.verdict}[/]" if style else row.verdict, reduction)
    out.print(out_table)


SWEEP_COLUMNS = ("service_level", "abandon_rate", "asa_seconds", "agent_cost")


def sweep(
    spec: Annotated[Optional[Path], typer.Argument(help="sweep spec (YAML); not needed with --resume")] = None,
    reps: Annotated[Optional[int], typer.Option(min=1, help="replications per point (default: the spec's)")] = None,
    workers: Annotated[Optional[int], typer.Option(help=WORKERS_HELP)] = None,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="results folder, empty or new (default: results/<name>-<time>)")] = None,
    resume: Annotated[Optional[Path], typer.Option(help="continue the interrupted sweep in this folder")] = None,
    sort: Annotated[Optional[str], typer.Option(help="KPI to sort the printed points by, best first")] = None,
    overrides: Annotated[Optional[list[str]], typer.Option(
        "--set", help="change the base scenario: " + SET_HELP)] = None,
    executor: Annotated[str, executor_option()] = "local",
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
        _print_sweep(result, table, sort, getattr(prepared.scenarios[0], "currency", None) if prepared.scenarios
                     else None)
    if result.failed:
        for point, error in sorted(result.failed.items()):
            err.print(f"[bold red]point {point} failed:[/] {error}", highlight=False, soft_wrap=True)
        err.print(f"{plural(len(result.failed), 'point')} failed; see {result.folder}/{MANIFEST}. "
                  f"Fix the cause and run: ccsim sweep --resume {shlex.quote(str(result.folder))}",
                  highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(code=1)


def _jsonable(value):
    return value.item() if hasattr(value, "item") else value


def _print_sweep(result, table, sort: str, currency: Optional[str] = None) -> None:
    from rich.markup import escape
    from rich.table import Table

    shown = [c for c in (sort, *SWEEP_COLUMNS) if c in table.columns]
    shown = list(dict.fromkeys(shown))
    t = Table(title=f"{result.name}: {plural(len(result.points), 'point')}, sorted by {sort} (best first)",
              caption="mean ± half-width of the 95% CI (of a share: in percentage points, pts)")
    # Nothing is cut to "…": long parameter paths break after their dots, values fold.
    headers = {"point": "point", **{p: _header(p) for p in result.params}, **{k: _header(k) for k in shown}}
    # Headers keep whole lines where the terminal has room for them; else they fold too.
    room = sum(_widest(h) + 3 for h in headers.values()) + 1 <= out.width
    for header in headers.values():
        t.add_column(escape(header), justify="right", overflow="fold", min_width=_widest(header) if room else None)
    for _, row in table.head(30).iterrows():
        cells = [str(int(row["point"])), *(escape(_cell(row[p])) for p in result.params)]
        for k in shown:
            cells.append(fmt(k, row[k], currency=currency) + half_width(k, row[f"{k}_ci_low"], row[f"{k}_ci_high"],
                                                                       currency))
        t.add_row(*cells)
    out.print(t)
    if len(table) > 30:
        out.print(f"(30 of {len(table):,} points shown; all are in {result.folder}/points.parquet)")
    print_files(result.folder, ["runs.parquet", "points.parquet"],
                " (runs: point x replication; points: mean and 95% CI per point)")


def _header(name: str, width: int = 8) -> str:
    """A column header on several lines, broken after dots and underscores: ``pools.tier1.`` /
    ``flexibility``, ``service_`` / ``level``."""
    import re

    lines: list[str] = []
    for part in re.split(r"(?<=[._])", name):
        if lines and len(lines[-1]) + len(part) <= width:
            lines[-1] += part
        else:
            lines.append(part)
    return "\n".join(lines)


def _widest(header: str) -> int:
    return max(len(line) for line in header.splitlines())


def _cell(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
