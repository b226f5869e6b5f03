"""``ccsim run``, ``check``, ``trace`` and ``report``: one scenario, one results folder."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .common import (
    EXECUTOR_HELP,
    JSON_HELP,
    REPORT_HELP,
    SCHEDULER_HELP,
    SET_HELP,
    WORKERS_HELP,
    fail,
    fmt,
    load,
    out,
    progress,
    where,
    write_report,
)

if TYPE_CHECKING:
    from ..experiments.results import RunResult


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(check)
    app.command("trace")(trace_command)
    app.command()(report)


def run(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML)")],
    reps: Annotated[int, typer.Option(min=1, help="replications (independent simulated days)")] = 10,
    seed: Annotated[Optional[int], typer.Option(min=0, help="seed; default: the scenario's")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="results folder (default: results/<name>-<time>)")] = None,
    overwrite: Annotated[bool, typer.Option(help="allow --out to replace results already in the folder")] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="write no results folder")] = False,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=SET_HELP)] = None,
    workers: Annotated[Optional[int], typer.Option(help=WORKERS_HELP)] = None,
    executor: Annotated[str, typer.Option(help=EXECUTOR_HELP)] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help=SCHEDULER_HELP)] = None,
    with_report: Annotated[bool, typer.Option("--report", help=REPORT_HELP)] = False,
) -> None:
    """Run a scenario and print its KPIs with 95% confidence intervals."""
    scenario = load(file, overrides)
    placement = where(workers, executor, scheduler)
    if no_save and (out_dir is not None or with_report):
        raise fail(["--no-save: cannot be combined with --out or --report"])
    from ..experiments.store import default_folder

    target = None if no_save else (out_dir if out_dir is not None else default_folder(scenario.name))
    if target is not None:
        _check_run_folder(target, overwrite)
    from ..experiments.runner import run as run_scenario

    with progress(scenario.name, reps, show=not as_json) as report_progress:
        result = run_scenario(scenario, reps=reps, seed=seed, progress=report_progress, **placement)
    if target is not None:
        result.write(target, overwrite=overwrite)
        if with_report:
            write_report(target)
    if as_json:
        typer.echo(json.dumps({**result.to_json_dict(), "folder": str(target) if target else None}, allow_nan=False))
        return
    _print_run(result)
    if target is not None:
        out.print(f"results written to {target}/" + (" (with report.html)" if with_report else ""))


def _check_run_folder(folder: Path, overwrite: bool) -> None:
    """Refuse before running, not after: the user should not wait to be told no."""
    from ..experiments.results import RUN_FILES

    if folder.exists() and not folder.is_dir():
        raise fail([f"--out: {folder} exists and is not a folder"])
    existing = [name for name in RUN_FILES if (folder / name).exists()]
    if existing and not overwrite:
        raise fail([f"--out: {folder} already holds results ({', '.join(existing)}); choose another folder "
                     "or pass --overwrite"])


def _print_run(result: "RunResult") -> None:
    from rich.table import Table

    from ..experiments.results import JOURNEY_KPIS

    s = result.scenario
    table = Table(title=f"{s.name} — {result.replications} replications, seed {result.seed}"
                  f" (KPIs after {s.horizon.warmup_minutes:g} min warm-up)")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    summary = result.summary()
    hidden = [kpi for kpi in JOURNEY_KPIS if not summary.loc[kpi, "mean"] > 0]  # 0, or NaN: undefined
    for kpi, row in summary.drop(index=hidden).iterrows():
        ci = "–" if math.isnan(row.ci_low) else f"{fmt(kpi, row.ci_low)} … {fmt(kpi, row.ci_high)}"
        table.add_row(kpi, fmt(kpi, row["mean"]), ci)
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
        ci = "–" if math.isnan(occ.ci_low) else f"{fmt('occupancy', occ.ci_low)} … {fmt('occupancy', occ.ci_high)}"
        pools.add_row(pool.name, fmt("occupancy", occ["mean"]), ci,
                      f"{summary.loc[(pool.name, 'staffed_hours')]['mean']:,.1f}",
                      f"{summary.loc[(pool.name, 'handled')]['mean']:,.1f}")
    out.print(pools)
    rate = result.simulated_contacts / result.simulation_seconds if result.simulation_seconds else float("nan")
    out.print(f"simulated {result.simulated_contacts:,} contacts in {result.simulation_seconds:.2f} s "
              f"({rate:,.0f} contacts/s)", style="dim")


def _print_chains(result: "RunResult") -> None:
    """Answered contacts by how often they were transferred: the transfer-chain distribution."""
    from rich.table import Table

    chains = Table(title="transfer chains (answered contacts)")
    for column in ("transfers", "contacts", "share", "95% CI"):
        chains.add_column(column, justify="right")
    summary = result.chain_summary().set_index(["transfers", "kpi"])
    lengths = sorted({t for t, _ in summary.index})
    last = max((t for t in lengths if summary.loc[(t, "contacts")]["mean"] > 0), default=0)
    for t in lengths[: last + 1]:
        share = summary.loc[(t, "share")]
        ci = "–" if math.isnan(share.ci_low) else f"{fmt('share', share.ci_low)} … {fmt('share', share.ci_high)}"
        chains.add_row(str(t), f"{summary.loc[(t, 'contacts')]['mean']:,.1f}", fmt("share", share["mean"]), ci)
    out.print(chains)


def check(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML)")],
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Validate a scenario and say what it contains."""
    import numpy as np

    s = load(file, overrides)
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
    offered = rates * sum(i.share * i.handle_time.mean for i in s.intents) / 3600
    agents = np.sum([s.staffing(p) for p in s.pools], axis=0)
    short = [s.interval_labels()[k] for k in range(s.n_intervals) if offered[k] >= agents[k] and offered[k] > 0]
    out.print(f"  offered load at the peak: {offered[peak]:.1f} Erlangs for {agents[peak]} agents")
    if short:
        out.print(f"  [yellow]note:[/] offered load reaches the staffing in {len(short)} interval(s) "
                  f"(first {short[0]}): callers will queue until they abandon")


def report(
    folder: Annotated[Path, typer.Argument(help="a results folder of ccsim run, sweep or compare")],
    open_: Annotated[bool, typer.Option("--open", help="open the report in the web browser")] = False,
    kpi: Annotated[Optional[str], typer.Option(help="sweeps: the KPI to plot (default: the spec's sort)")] = None,
    target: Annotated[Optional[float], typer.Option(help="target line for the KPI, e.g. 0.8 (default: 80% for service level)")] = None,
) -> None:
    """Write report.html (self-contained) and a PNG per plot into a results folder."""
    import webbrowser

    from ..experiments.store import MANIFEST

    if not (folder / MANIFEST).is_file():
        raise fail([f"{folder}: not a ccsim results folder (no {MANIFEST})"])
    page = write_report(folder, kpi, target)
    out.print(f"report written to {page}")
    if open_:
        webbrowser.open(page.resolve().as_uri())


def trace_command(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML)")],
    customer: Annotated[Optional[int], typer.Option(min=0, help="customer number (default: one who called back, or waited)")] = None,
    seed: Annotated[Optional[int], typer.Option(min=0, help="seed; default: the scenario's")] = None,
    replication: Annotated[int, typer.Option(min=0, help="which replication")] = 0,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=SET_HELP)] = None,
) -> None:
    """Print one customer's path through the center as a timeline."""
    from ..presentation.trace import trace as trace_customer

    scenario = load(file, overrides)
    try:
        lines = trace_customer(scenario, customer=customer, seed=seed, replication=replication)
    except ValueError as exc:
        raise fail([f"--customer: {exc}"]) from None
    out.print(lines[0], style="bold", highlight=False)
    for line in lines[1:]:
        out.print("  " + line, highlight=False, soft_wrap=True)
