"""The ``ccsim`` command: a thin layer over the Python API.

``ccsim run scenarios/erlang_a.yaml --reps 20`` is ``ccsim.run(load_scenario(...), reps=20)``
with a table printed; ``ccsim check`` validates a file and says what is in it; ``ccsim
erlang`` prints the analytic Erlang C / Erlang A values a planner knows from their calculator.
Bad input of any kind ends with one message per problem on stderr and exit code 2.
"""

from __future__ import annotations

import os

# The command line draws into files, never windows: no display needed, none opened.
os.environ.setdefault("MPLBACKEND", "Agg")

import json
import math
import sys
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from .analysis import erlang as erlang_mod
from .errors import ScenarioError
from .experiments.compare import run_comparison
from .experiments.executors import EXECUTORS
from .experiments.results import JOURNEY_KPIS, RUN_FILES, RUN_KPIS, RunResult, format_kpi, json_float
from .experiments.runner import run as run_scenario
from .experiments.store import MANIFEST, default_folder, read_manifest
from .experiments.sweeps import load_spec
from .experiments.sweeps import sweep as run_sweep
from .presentation.report import write_report
from .presentation.trace import trace as trace_customer
from .spec.loading import load_scenario
from .spec.scenario import Scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="ccsim: simulate a contact center and read its KPIs with confidence intervals.",
)
out = Console()
err = Console(stderr=True)

def _fail(messages: list[str]) -> typer.Exit:
    for message in messages:
        err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


SET_HELP = "change one value: PATH=VALUE, e.g. pools.tier1.agents=28 (repeatable)"
WORKERS_HELP = "worker processes (default: all cores; 1 runs in this process); results do not depend on it"


def _load(path: Path, overrides: Optional[list[str]] = None) -> Scenario:
    try:
        return load_scenario(path, overrides or ())
    except ScenarioError as exc:
        raise _fail(str(exc).splitlines()) from None


EXECUTOR_HELP = "where to run: local (worker processes) or dask"
SCHEDULER_HELP = "Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: start a local Dask cluster)"


def _where(workers: Optional[int], executor: str, scheduler: Optional[str]) -> dict:
    problems = []
    if workers is not None and workers < 1:
        problems.append(f"--workers: must be at least 1, got {workers}")
    if executor not in EXECUTORS:
        problems.append(f"--executor: unknown executor '{executor}'; allowed: {', '.join(EXECUTORS)}")
    if scheduler is not None and executor != "dask":
        problems.append("--scheduler: goes with --executor dask")
    if problems:
        raise _fail(problems)
    return {"workers": workers, "executor": executor, "scheduler": scheduler}


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML)")],
    reps: Annotated[int, typer.Option(min=1, help="replications (independent simulated days)")] = 10,
    seed: Annotated[Optional[int], typer.Option(min=0, help="seed; default: the scenario's")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object to stdout")] = False,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="results folder (default: results/<name>-<time>)")] = None,
    overwrite: Annotated[bool, typer.Option(help="allow --out to replace results already in the folder")] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="write no results folder")] = False,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=SET_HELP)] = None,
    workers: Annotated[Optional[int], typer.Option(help=WORKERS_HELP)] = None,
    executor: Annotated[str, typer.Option(help=EXECUTOR_HELP)] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help=SCHEDULER_HELP)] = None,
    with_report: Annotated[bool, typer.Option("--report", help="also write report.html into the results folder")] = False,
) -> None:
    """Run a scenario and print its KPIs with 95% confidence intervals."""
    scenario = _load(file, overrides)
    where = _where(workers, executor, scheduler)
    if no_save and (out_dir is not None or with_report):
        raise _fail(["--no-save: cannot be combined with --out or --report"])
    target = None if no_save else (out_dir if out_dir is not None else default_folder(scenario.name))
    if target is not None:
        _check_run_folder(target, overwrite)
    with _progress(scenario.name, reps, show=not as_json) as progress:
        result = run_scenario(scenario, reps=reps, seed=seed, progress=progress, **where)
    if target is not None:
        result.write(target, overwrite=overwrite)
        if with_report:
            _write_report(target)
    if as_json:
        typer.echo(json.dumps({**result.to_json_dict(), "folder": str(target) if target else None}, allow_nan=False))
        return
    _print_run(result)
    if target is not None:
        out.print(f"results written to {target}/" + (" (with report.html)" if with_report else ""))


def _check_run_folder(folder: Path, overwrite: bool) -> None:
    """Refuse before running, not after: the user should not wait to be told no."""
    if folder.exists() and not folder.is_dir():
        raise _fail([f"--out: {folder} exists and is not a folder"])
    existing = [name for name in RUN_FILES if (folder / name).exists()]
    if existing and not overwrite:
        raise _fail([f"--out: {folder} already holds results ({', '.join(existing)}); choose another folder "
                     "or pass --overwrite"])


@contextmanager
def _progress(label: str, total: int, show: bool) -> Iterator[Optional[Callable[[int, int], None]]]:
    """A progress callback: a bar on a terminal, a line per 5% of the work elsewhere (a log,
    a pipe), nothing when ``show`` is false (``--json``)."""
    if not show:
        yield None
    elif not err.is_terminal:
        shown = [0]  # twentieths of the work already reported

        def line(done: int, total: int) -> None:
            step = done * 20 // total
            if step > shown[0]:
                shown[0] = step
                print(f"{label}: {done}/{total} replications ({100 * done // total}%)", file=sys.stderr, flush=True)

        yield line
    else:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(f"{label}: replications", total=total)
            yield lambda done, total: bar.update(task, completed=done)


def _fmt(kpi: str, value: float) -> str:
    return format_kpi(kpi, value)


def _print_run(result: RunResult) -> None:
    s = result.scenario
    table = Table(title=f"{s.name} — {result.replications} replications, seed {result.seed}"
                  f" (KPIs after {s.horizon.warmup_minutes:g} min warm-up)")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    summary = result.summary()
    hidden = [kpi for kpi in JOURNEY_KPIS if not summary.loc[kpi, "mean"] > 0]  # 0, or NaN: undefined
    for kpi, row in summary.drop(index=hidden).iterrows():
        ci = "–" if math.isnan(row.ci_low) else f"{_fmt(kpi, row.ci_low)} … {_fmt(kpi, row.ci_high)}"
        table.add_row(kpi, _fmt(kpi, row["mean"]), ci)
    if hidden:
        table.caption = f"{len(hidden)} more KPIs are 0 or undefined in this scenario (--json lists every KPI)"
    out.print(table)
    if (result.chains["transfers"] > 0).any() and result.chains.loc[result.chains["transfers"] > 0, "contacts"].sum():
        _print_chains(result)
    pools = Table(title="pools")
    for column in ("pool", "occupancy", "95% CI", "staffed hours", "handled"):
        pools.add_column(column, justify="left" if column == "pool" else "right")
    summary = result.pool_summary().set_index(["pool", "kpi"])
    for pool in s.pools:
        occ = summary.loc[(pool.name, "occupancy")]
        ci = "–" if math.isnan(occ.ci_low) else f"{_fmt('occupancy', occ.ci_low)} … {_fmt('occupancy', occ.ci_high)}"
        pools.add_row(pool.name, _fmt("occupancy", occ["mean"]), ci,
                      f"{summary.loc[(pool.name, 'staffed_hours')]['mean']:,.1f}",
                      f"{summary.loc[(pool.name, 'handled')]['mean']:,.1f}")
    out.print(pools)
    rate = result.simulated_contacts / result.simulation_seconds if result.simulation_seconds else float("nan")
    out.print(f"simulated {result.simulated_contacts:,} contacts in {result.simulation_seconds:.2f} s "
              f"({rate:,.0f} contacts/s)", style="dim")


def _print_chains(result: RunResult) -> None:
    """Answered contacts by how often they were transferred: the transfer-chain distribution."""
    chains = Table(title="transfer chains (answered contacts)")
    for column in ("transfers", "contacts", "share", "95% CI"):
        chains.add_column(column, justify="right")
    summary = result.chain_summary().set_index(["transfers", "kpi"])
    lengths = sorted({t for t, _ in summary.index})
    last = max((t for t in lengths if summary.loc[(t, "contacts")]["mean"] > 0), default=0)
    for t in lengths[: last + 1]:
        share = summary.loc[(t, "share")]
        ci = "–" if math.isnan(share.ci_low) else f"{_fmt('share', share.ci_low)} … {_fmt('share', share.ci_high)}"
        chains.add_row(str(t), f"{summary.loc[(t, 'contacts')]['mean']:,.1f}", _fmt("share", share["mean"]), ci)
    out.print(chains)


@app.command()
def check(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML)")],
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Validate a scenario and say what it contains."""
    s = _load(file, overrides)
    rates = s.rates_per_hour()
    hours = s.interval_seconds / 3600
    out.print(f"[bold]{s.name}[/]: valid scenario ({file})")
    out.print(f"  horizon: {s.horizon.hours:g} h from {s.horizon.start} in {s.n_intervals} intervals of "
              f"{s.horizon.interval_minutes:g} min; warm-up {s.horizon.warmup_minutes:g} min; seed {s.seed}; "
              f"{'callers still in the center at the end are served' if s.horizon.drain else 'hard stop at the end'}")
    peak = int(np.argmax(rates))
    out.print(f"  arrivals: {rates.sum() * hours:,.0f} expected contacts; peak {rates[peak]:,.0f}/h at "
              f"{s.interval_labels()[peak]}")
    for g in s.segments:
        patience = f"patience mean {g.patience.mean:.0f} s ({g.patience.dist})" if g.patience else "never abandons"
        out.print(f"  segment {g.name}: {100 * g.share:.0f}%, {patience}")
    for i in s.intents:
        out.print(f"  intent {i.name}: {100 * i.share:.0f}%, skill {i.skill}, handle time mean "
                  f"{i.handle_time.mean:.0f} s ({i.handle_time.dist})")
    for p in s.pools:
        staff = s.staffing(p)
        skills = ", ".join(r.skill if not r.after else f"{r.skill} (overflow after {r.after:g} s)" for r in p.skills)
        out.print(f"  pool {p.name}: {staff.min()}–{staff.max()} agents, {staff.sum() * hours:,.0f} agent-hours; "
                  f"skills: {skills}")
    load = rates * sum(i.share * i.handle_time.mean for i in s.intents) / 3600
    agents = np.sum([s.staffing(p) for p in s.pools], axis=0)
    short = [s.interval_labels()[k] for k in range(s.n_intervals) if load[k] >= agents[k] and load[k] > 0]
    out.print(f"  offered load at the peak: {load[peak]:.1f} Erlangs for {agents[peak]} agents")
    if short:
        out.print(f"  [yellow]note:[/] offered load reaches the staffing in {len(short)} interval(s) "
                  f"(first {short[0]}): callers will queue until they abandon")


@app.command()
def compare(
    file_a: Annotated[Path, typer.Argument(help="scenario A, the baseline (YAML)")],
    file_b: Annotated[Optional[Path], typer.Argument(help="scenario B; omit to compare A with A plus --set")] = None,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help="change B: " + SET_HELP)] = None,
    reps: Annotated[int, typer.Option(min=2, help="replications of each, paired by replication")] = 10,
    seed: Annotated[Optional[int], typer.Option(min=0, help="seed both use; default: A's")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object to stdout")] = False,
    workers: Annotated[Optional[int], typer.Option(help=WORKERS_HELP)] = None,
    executor: Annotated[str, typer.Option(help=EXECUTOR_HELP)] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help=SCHEDULER_HELP)] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="results folder (default: results/<a>-vs-<b>-<time>)")] = None,
    no_save: Annotated[bool, typer.Option("--no-save", help="write no results folder")] = False,
    with_report: Annotated[bool, typer.Option("--report", help="also write report.html into the results folder")] = False,
) -> None:
    """Compare B with A on the same callers: paired differences, 95% CIs and verdicts."""
    if file_b is None and not overrides:
        raise _fail(["compare needs scenario B, or --set overrides that turn A into B"])
    a = _load(file_a)
    b = _load(file_b, overrides) if file_b is not None else _load(file_a, overrides)
    where = _where(workers, executor, scheduler)
    if no_save and (out_dir is not None or with_report):
        raise _fail(["--no-save: cannot be combined with --out or --report"])
    if out_dir is not None and out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise _fail([f"--out: {out_dir} is not an empty folder; choose another"])
    target = None if no_save else (out_dir or default_folder(f"{a.name}-vs-{b.name}"))
    seed = a.seed if seed is None else seed
    with _progress(f"{a.name} vs {b.name}", 2 * reps, show=not as_json) as progress:
        comparison = run_comparison(a, b, reps=reps, seed=seed, progress=progress, **where)
    table = comparison.table
    if target is not None:
        comparison.write(target)
        if with_report:
            _write_report(target)
    if as_json:
        kpis = {row.kpi: {"a": json_float(row.a_mean), "b": json_float(row.b_mean), "diff": json_float(row.diff),
                          "ci_low": json_float(row.ci_low), "ci_high": json_float(row.ci_high), "verdict": row.verdict,
                          "variance_reduction": json_float(row.variance_reduction)}
                for row in table.itertuples(index=False)}
        typer.echo(json.dumps({"a": a.name, "b": b.name, "replications": reps, "seed": seed, "kpis": kpis,
                               "folder": str(target) if target else None}, allow_nan=False))
        return
    what = str(file_b) if file_b is not None else f"{file_a} with " + ", ".join(overrides or [])
    out_table = Table(title=f"B − A, paired over {reps} replications (seed {seed})\nA: {file_a}\nB: {what}")
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
        out_table.add_row(row.kpi, _fmt(row.kpi, row.a_mean), _fmt(row.kpi, row.b_mean),
                          _fmt_diff(row.kpi, row.diff), ci,
                          f"[{style}]{row.verdict}[/]" if style else row.verdict, reduction)
    out.print(out_table)
    if target is not None:
        out.print(f"results written to {target}/")


def _fmt_diff(kpi: str, value: float) -> str:
    return format_kpi(kpi, value, signed=True)


SWEEP_COLUMNS = ("service_level", "abandon_rate", "asa_seconds", "agent_cost")


@app.command()
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
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object to stdout")] = False,
    with_report: Annotated[bool, typer.Option("--report", help="also write report.html into the results folder")] = False,
) -> None:
    """Run a scenario over a grid or a Latin hypercube of values; every point sees the same callers."""
    where = _where(workers, executor, scheduler)
    problems = []
    if (spec is None) == (resume is None):
        problems.append("sweep needs a spec file, or --resume FOLDER (not both)")
    if resume is not None and (reps is not None or out_dir is not None or overrides):
        problems.append("--resume continues with the folder's own scenario, replications and folder: "
                        "drop --reps/--out/--set")
    if resume is not None and not (resume / MANIFEST).is_file():
        problems.append(f"--resume: {resume} is not a ccsim results folder (no {MANIFEST})")
    if problems:
        raise _fail(problems)
    try:
        if spec is not None:
            spec_obj, _, points, _ = load_spec(spec, overrides or ())
            total = len(points) * (reps or spec_obj.reps)
        else:
            spec_obj, manifest = None, read_manifest(resume)
            total = len(manifest.get("points", [])) * manifest["replications"]
        if sort is not None and sort not in (*RUN_KPIS,) and not sort.startswith("occupancy:"):
            raise _fail([f"--sort: unknown KPI '{sort}'; allowed: {', '.join(RUN_KPIS)}, occupancy:POOL"])
        label = spec_obj.name if spec_obj else str(resume)
        with _progress(label, total, show=not as_json) as progress:
            result = run_sweep(spec, reps=reps, out=out_dir, resume=resume, progress=progress,
                               overrides=overrides or (), **where)
    except ScenarioError as exc:
        raise _fail(str(exc).splitlines()) from None
    except FileExistsError as exc:
        raise _fail([f"--out: {exc}"]) from None
    sort = sort or (spec_obj.sort if spec_obj else None) or "service_level"
    table = result.summary(sort) if len(result.points) else result.points
    if with_report and len(result.points):
        _write_report(result.folder, kpi=sort)
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
        err.print(f"{len(result.failed)} point(s) failed; see {result.folder}/{MANIFEST}. "
                  f"Fix the cause and run: ccsim sweep --resume {result.folder}")
        raise typer.Exit(code=1)


def _jsonable(value):
    return value.item() if hasattr(value, "item") else value


def _print_sweep(result, table, sort: str) -> None:
    shown = [c for c in (sort, *SWEEP_COLUMNS) if c in table.columns]
    shown = list(dict.fromkeys(shown))
    t = Table(title=f"{result.name}: {len(result.points)} points, sorted by {sort} (best first)")
    t.add_column("point", justify="right")
    for p in result.params:
        t.add_column(p, justify="right")
    for k in shown:
        t.add_column(k, justify="right")
    for _, row in table.head(30).iterrows():
        cells = [str(int(row["point"])), *(_cell(row[p]) for p in result.params)]
        for k in shown:
            ci = "" if math.isnan(row[f"{k}_ci_low"]) else f" ± {_fmt(k, (row[f'{k}_ci_high'] - row[f'{k}_ci_low']) / 2)}"
            cells.append(_fmt(k, row[k]) + ci)
        t.add_row(*cells)
    out.print(t)
    if len(table) > 30:
        out.print(f"(30 of {len(table)} points shown; all are in {result.folder}/points.parquet)")
    out.print(f"results written to {result.folder}/ (runs.parquet: point x replication; points.parquet: "
              f"mean and 95% CI per point)")


def _cell(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@app.command()
def report(
    folder: Annotated[Path, typer.Argument(help="a results folder of ccsim run, sweep or compare")],
    open_: Annotated[bool, typer.Option("--open", help="open the report in the web browser")] = False,
    kpi: Annotated[Optional[str], typer.Option(help="sweeps: the KPI to plot (default: the spec's sort)")] = None,
    target: Annotated[Optional[float], typer.Option(help="target line for the KPI, e.g. 0.8 (default: 80% for service level)")] = None,
) -> None:
    """Write report.html (self-contained) and a PNG per plot into a results folder."""
    if not (folder / MANIFEST).is_file():
        raise _fail([f"{folder}: not a ccsim results folder (no {MANIFEST})"])
    page = _write_report(folder, kpi, target)
    out.print(f"report written to {page}")
    if open_:
        webbrowser.open(page.resolve().as_uri())


def _write_report(folder: Path, kpi: Optional[str] = None, target: Optional[float] = None) -> Path:
    try:
        return write_report(folder, kpi=kpi, target=target)
    except ValueError as exc:
        raise _fail([str(exc)]) from None


@app.command("trace")
def trace_command(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML)")],
    customer: Annotated[Optional[int], typer.Option(min=0, help="customer number (default: one who called back, or waited)")] = None,
    seed: Annotated[Optional[int], typer.Option(min=0, help="seed; default: the scenario's")] = None,
    replication: Annotated[int, typer.Option(min=0, help="which replication")] = 0,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Print one customer's path through the center as a timeline."""
    scenario = _load(file, overrides)
    try:
        lines = trace_customer(scenario, customer=customer, seed=seed, replication=replication)
    except ValueError as exc:
        raise _fail([f"--customer: {exc}"]) from None
    out.print(lines[0], style="bold", highlight=False)
    for line in lines[1:]:
        out.print("  " + line, highlight=False, soft_wrap=True)


@app.command()
def erlang(
    rate_per_hour: Annotated[float, typer.Option(help="arrivals per hour (> 0)")],
    aht: Annotated[float, typer.Option(help="mean handle time, seconds (> 0)")],
    agents: Annotated[int, typer.Option(min=1, help="agents")],
    patience: Annotated[Optional[float], typer.Option(help="mean patience, seconds (> 0; Erlang A); omit for Erlang C")] = None,
    sl_seconds: Annotated[float, typer.Option(min=0, help="service-level threshold, seconds")] = 20.0,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Analytic Erlang C (no patience) or Erlang A values for one queue."""
    bad = [f"--{name}: must be > 0, got {value:g}" for name, value in
           (("rate-per-hour", rate_per_hour), ("aht", aht), ("patience", patience))
           if value is not None and not value > 0]
    if bad:
        raise _fail(bad)
    try:
        if patience is None:
            result = erlang_mod.erlang_c(rate_per_hour, aht, agents, sl_seconds)
        else:
            result = erlang_mod.erlang_a(rate_per_hour, aht, agents, patience, sl_seconds)
    except ValueError as exc:
        raise _fail([str(exc)]) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    title = "Erlang C (M/M/n)" if patience is None else f"Erlang A (M/M/n+M, patience {patience:g} s)"
    table = Table(title=f"{title}: {rate_per_hour:g}/h, AHT {aht:g} s, {agents} agents")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, value in result.as_dict().items():
        if key != "model":
            table.add_row(key, f"{value:.2f} Erlangs" if key == "offered_load" else _fmt(key, value))
    out.print(table)


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
