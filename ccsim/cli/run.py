"""``ccsim run``, ``check``, ``trace`` and ``report``: one scenario, one results folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

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

if TYPE_CHECKING:
    pass


#: Kept in step with ccsim.experiments.runner.CONTACTS_LIMIT (not imported here: --help stays fast).
CONTACTS_LIMIT = 200_000
CONTACTS_HELP = (f"keep the per-contact table (contacts.parquet) or not; default: keep it when the run is expected "
                 f"to have at most {CONTACTS_LIMIT:,} contacts in all (expected contacts of a day x replications)")


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
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out", help="results folder (default: results/<name>-<time>)")] = None,
    overwrite: Annotated[bool, typer.Option(help="allow --out to replace results already in the folder")] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="write no results folder")] = False,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=SET_HELP)] = None,
    workers: Annotated[Optional[int], typer.Option(help=WORKERS_HELP)] = None,
    executor: Annotated[str, executor_option()] = "local",
    scheduler: Annotated[Optional[str], typer.Option(help=SCHEDULER_HELP)] = None,
    with_report: Annotated[bool, typer.Option("--report", help=REPORT_HELP)] = False,
    contacts: Annotated[Optional[bool], typer.Option("--contacts/--no-contacts", help=CONTACTS_HELP)] = None,
) -> None:
    """Run a scenario and print its KPIs with 95% confidence intervals."""
    scenario = load(file, overrides)
    placement = where(workers, executor, scheduler)
    if no_save and (out_dir is not None or with_report):
        raise fail(["--no-save: cannot be combined with --out or --report"])
    from ..experiments.executors import Interrupted, interrupt_once
    from ..experiments.results import RUN_FILES
    from ..experiments.runner import expected_contacts, keeps_contacts
    from ..experiments.runner import run as run_scenario
    from ..experiments.store import default_folder, discard_folder

    target = None if no_save else (out_dir if out_dir is not None else default_folder(scenario.name))
    created = None
    if target is not None:  # checked (and made) now, not after the simulation
        created = output_folder(target, out_dir is not None, RUN_FILES, overwrite)
    keep = keeps_contacts(scenario, reps) if contacts is None else contacts
    with interrupt_once(then_exit=True):  # one Ctrl-C stops it all; what follows it is not cut short
        try:
            with progress(scenario.name, reps, show=not as_json) as report_progress:
                result = run_scenario(scenario, reps=reps, seed=seed, keep_contacts=keep, progress=report_progress,
                                      **placement)
        except Interrupted as exc:
            if target is not None:
                discard_folder(target, created)
            raise stopped(exc, ["Nothing was saved: a run's results are written only when all its replications "
                                "are done. Run it again (with fewer --reps if time is short)."]) from None
        except BaseException:
            if target is not None:
                discard_folder(target, created)
            raise
        try:
            if target is not None:
                result.write(target, overwrite=overwrite)
        except KeyboardInterrupt:
            err.print(f"interrupted while saving: {target}/ is incomplete (its manifest says \"writing\")",
                      highlight=False, markup=False)
            raise typer.Exit(code=130) from None
    if target is not None and with_report:
        write_report(target)
    if as_json:
        typer.echo(json.dumps({**result.to_json_dict(), "folder": str(target) if target else None}, allow_nan=False))
        return
    from .views import print_run

    print_run(result)
    if target is not None:
        print_files(target, [name for name in RUN_FILES if name.endswith(".parquet")],
                    " (with report.html)" if with_report else "")
        if not keep:
            expected = expected_contacts(scenario) * reps
            why = "--no-contacts" if contacts is False else (
                f"about {expected:,.0f} contacts expected in {plural(reps, 'replication')}, more than "
                f"{CONTACTS_LIMIT:,}; --contacts keeps them")
            out.print(f"  contacts.parquet not written ({why})", highlight=False, soft_wrap=True)


def check(
    file: Annotated[Path, typer.Argument(help="scenario file (YAML)")],
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help=SET_HELP)] = None,
    intervals: Annotated[Optional[bool], typer.Option(
        "--intervals/--no-intervals",
        help="print the per-interval tables (contacts per queue, agents per pool); "
             "default: up to 48 intervals")] = None,
) -> None:
    """Validate a scenario and say what it contains."""
    from .views import describe

    describe(load(file, overrides), file, intervals)


def report(
    folder: Annotated[Path, typer.Argument(help="a results folder of ccsim run, sweep, compare, staff or schedule")],
    open_: Annotated[bool, typer.Option("--open", help="open the report in the web browser")] = False,
    kpi: Annotated[Optional[str], typer.Option(help="sweeps: the KPI to plot (default: the spec's sort)")] = None,
    target: Annotated[Optional[float], typer.Option(
        help="target line for the KPI, e.g. 0.8 (default: 80% for service level)")] = None,
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
    customer: Annotated[Optional[int], typer.Option(
        min=0, help="customer number (default: one who called back, or waited)")] = None,
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
