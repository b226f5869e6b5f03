"""``ccsim staff`` and ``ccsim schedule``: how many agents per interval and pool, and on which shifts.

``ccsim staff scenarios/retail_bank_day.yaml --target sl=0.8@20`` finds the fewest agents per
interval and pool meeting the target by simulation, proves it (fresh seeds, single removals)
and writes a results folder; ``--write FILE`` a scenario with that staffing. ``ccsim schedule
FOLDER --templates shifts.yaml`` turns the requirement into the cheapest roster of shifts and
repairs it by simulation until it meets the targets.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

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
    load,
    out,
    output_folder,
    plural,
    print_files,
    where,
    write_report,
)
from .erlang import TARGET_HELP

REPS_HELP = "replications (simulated days) every plan is judged on, and of the verification run"
CONFIDENCE_HELP = ("mean: the mean over the replications meets the target; lower: its unfavourable 95% confidence "
                   "bound does (lower bound of a service level, upper bound of ASA, abandon rate, occupancy)")
WRITE_HELP = "write the scenario with the staffing found to FILE (ccsim run of it reproduces the verified figures)"


def register(app: typer.Typer) -> None:
    app.command()(staff)
    app.command()(schedule)


def staff(
    file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="scenario file (YAML)")],
    target: Annotated[list[str] | None, typer.Option(metavar="TARGET", help=TARGET_HELP + "; default: each "
                                                         "queue's own goal (queues[].service_level.target)")] = None,
    per: Annotated[str, typer.Option(help="interval: every interval meets the targets; day: the day's KPIs do")
                   ] = "interval",
    pool: Annotated[list[str] | None, typer.Option(metavar="POOL", help="staff only this pool (repeatable; "
                                                       "default: every pool staffed per interval)")] = None,
    queue: Annotated[list[str] | None, typer.Option(metavar="QUEUE", help="judge the targets on this queue's own "
                                                        "KPIs (repeatable; default: the whole center)")] = None,
    reps: Annotated[int, typer.Option(min=1, help=REPS_HELP)] = 20,
    confidence: Annotated[str, typer.Option(help=CONFIDENCE_HELP)] = "mean",
    seed: Annotated[int | None, typer.Option(min=0, help="seed of the search sample; default: the scenario's")
                    ] = None,
    verify_seed: Annotated[int | None, typer.Option(min=0, help="seed of the verification run (fresh callers); "
                                                        "default: seed + 1")] = None,
    proof: Annotated[bool, typer.Option("--proof/--no-proof", help="simulate every single-agent removal at the end "
                                        "(local minimality)")] = True,
    overrides: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
    workers: Annotated[int | None, typer.Option(help=WORKERS_HELP)] = None,
    executor: Annotated[str, typer.Option(help=EXECUTOR_HELP)] = "local",
    scheduler: Annotated[str | None, typer.Option(help=SCHEDULER_HELP)] = None,
    write: Annotated[Path | None, typer.Option(metavar="FILE", help=WRITE_HELP)] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="results folder (default: "
                                                    "results/<name>-staff-<time>)")] = None,
    overwrite: Annotated[bool, typer.Option(help="allow --out and --write to replace what is there")] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="write no results folder")] = False,
    with_report: Annotated[bool, typer.Option("--report", help=REPORT_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """The fewest agents per interval and pool meeting the targets, found and proven by simulation."""
    scenario = load(file, overrides)
    placement = where(workers, executor, scheduler)
    if no_save and (out_dir is not None or with_report):
        raise fail(["--no-save: cannot be combined with --out or --report"])
    check_write(write, file, overwrite)
    from ..errors import ScenarioError
    from ..experiments.executors import interrupt_once
    from ..experiments.store import default_folder, discard_folder
    from ..planning.staffing import StaffingInterrupted
    from ..planning.staffing import staff as find
    from ..planning.staffing_result import STAFF_FILES

    folder = None if no_save else (out_dir if out_dir is not None else default_folder(f"{scenario.name}-staff"))
    created = output_folder(folder, out_dir is not None, STAFF_FILES, overwrite) if folder is not None else None
    with interrupt_once(then_exit=True), _progress(scenario.name, show=not as_json) as tell:
        try:
            result = find(scenario, target or None, per=per, pools=pool, queues=queue, reps=reps,
                          confidence=confidence, seed=seed, verify_seed=verify_seed, prove=proof, progress=tell,
                          **placement)
        except ScenarioError as exc:
            if folder is not None:
                discard_folder(folder, created)
            raise fail(str(exc).splitlines()) from None
        except StaffingInterrupted as exc:
            raise _stopped(exc, scenario, folder, created) from None
        except BaseException:
            if folder is not None:
                discard_folder(folder, created)
            raise
    from .staffing_views import print_staffing

    _deliver(result, folder, write, overwrite, with_report, as_json, STAFF_FILES, print_staffing,
             lambda: _save_figure(folder / "staffing.png", "staffing_figure", result.staffing, result.kpis,
                                  scenario.name),
             f"scenario with this staffing written to {write} (ccsim run {write} --reps "
             f"{result.summary['replications']} reproduces the verified figures)")


def _deliver(result: Any, folder: Path | None, write: Path | None, overwrite: bool, with_report: bool,
             as_json: bool, files: tuple[str, ...], show: Any, save_figure: Any, written: str) -> None:
    """What staff and schedule do with their result: the folder (with its figure and report),
    the scenario file, then the JSON or the tables."""
    words = " ".join(["ccsim", *sys.argv[1:]])
    if folder is not None:
        result.write(folder, overwrite=overwrite, command=words)
        save_figure()
        if with_report:
            write_report(folder)
    if write is not None:
        _write_text(write, result.scenario_yaml(words))
    if as_json:
        typer.echo(json.dumps({**result.to_json_dict(), "folder": str(folder) if folder else None,
                               "written": str(write) if write else None}, allow_nan=False))
        return
    show(result)
    if write is not None:
        out.print(written, highlight=False)
    if folder is not None:
        names = [n for n in files if n != "manifest.json"]
        print_files(folder, names + (["report.html"] if with_report else []))


def check_write(path: Path | None, source: Path, overwrite: bool) -> None:
    """``--write FILE``: never the scenario read, never a folder, never replaced unasked."""
    if path is None:
        return
    if path.exists() and source.exists() and path.resolve() == source.resolve():
        raise fail([f"--write: {path} is the scenario being read; write the new one to another file"])
    if path.is_dir():
        raise fail([f"--write: {path} is a folder; give a file name, e.g. {path / 'staffed.yaml'}"])
    if path.exists() and not overwrite:
        raise fail([f"--write: {path} exists; give another file, or --overwrite to replace it"])
    if not path.parent.is_dir():
        raise fail([f"--write: the folder {path.parent} does not exist"])


def _write_text(path: Path, text: str) -> None:
    from ..experiments.store import atomic_write_text

    atomic_write_text(path, text)


def _save_figure(path: Path, name: str, *args: Any) -> None:
    import matplotlib.pyplot as plt

    from ..presentation import staffing_plots

    figure = getattr(staffing_plots, name)(*args)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _stopped(exc: Any, scenario: Any, folder: Path | None, created: Path | None) -> typer.Exit:
    """After Ctrl-C: keep the best plan found so far (if any) and say so; exit 130."""
    from ..experiments.store import MANIFEST, atomic_write_json, atomic_write_parquet, discard_folder, now_iso

    err.print(f"{exc}.", highlight=False)
    if folder is not None and exc.plan is not None:
        import pandas as pd

        labels = scenario.interval_labels()
        frame = pd.DataFrame({"interval": [k for _ in exc.pools for k in range(len(labels))],
                              "clock": labels * len(exc.pools),
                              "pool": [p for p in exc.pools for _ in labels], "agents": exc.plan.ravel()})
        atomic_write_parquet(folder / "best_so_far.parquet", frame)
        atomic_write_json(folder / MANIFEST, {"kind": "staff", "status": "interrupted", "scenario": scenario.name,
                                              "phase": exc.phase, "round": exc.round, "replications": exc.done,
                                              "written": now_iso()})
        err.print(f"Kept: {folder}/best_so_far.parquet, the cheapest plan found so far that met the targets on the "
                  "search sample (not verified, not proven minimal). Run ccsim staff again for a proven one.",
                  highlight=False, soft_wrap=True)
    else:
        if folder is not None:
            discard_folder(folder, created)
        err.print("Nothing was kept: no plan had met the targets yet.", highlight=False)
    return typer.Exit(code=130)


class _progress:  # noqa: N801 (used as a context manager, like common.progress)
    """The search's progress: a bar per batch with the round, the phase and the intervals still
    moving on a terminal; a line per round elsewhere; nothing with --json."""

    def __init__(self, label: str, show: bool):
        self.label, self.show = label, show
        self.bar = self.task = None
        self.last: tuple = ()

    def __enter__(self) -> Any:
        if not self.show:
            return None
        if err.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=err, transient=True)
            self.bar.__enter__()
            self.task = self.bar.add_task(self.label, total=1)
        return self.tell

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def tell(self, status: Any) -> None:
        moving = "" if status.moving is None else (
            f", {plural(status.moving, 'single removal')}" if status.phase == "proof"
            else f", {plural(status.moving, 'interval')} moving")
        words = f"{self.label}: round {status.round} ({status.phase}{moving})"
        if self.bar is not None:
            self.bar.update(self.task, description=words, completed=status.done, total=max(status.total, 1))
        elif (status.round, status.phase) != self.last:
            self.last = (status.round, status.phase)
            print(f"{words}; {status.simulated:,} replications so far", file=sys.stderr, flush=True)


def schedule(
    source: Annotated[Path, typer.Argument(metavar="REQUIREMENT_OR_SCENARIO", help="a ccsim staff results folder "
                                           "(its requirement and targets), or a scenario (its Erlang requirement, "
                                           "or with --from-staffing its agents per interval)")],
    templates: Annotated[Path, typer.Option(metavar="FILE", help="shift templates (YAML): start times, hours, "
                                            "breaks, cost, min/max")],
    target: Annotated[list[str] | None, typer.Option(metavar="TARGET", help=TARGET_HELP + "; default: the "
                                                         "folder's, else each queue's own goal")] = None,
    per: Annotated[str | None, typer.Option(help="interval or day (default: the folder's, else interval)")] = None,
    queue: Annotated[list[str] | None, typer.Option(metavar="QUEUE", help="judge the targets on this queue's "
                                                        "KPIs (repeatable)")] = None,
    reps: Annotated[int | None, typer.Option(min=1, help="replications of each simulation of the roster "
                                                "(default: the folder's, else 20)")] = None,
    confidence: Annotated[str | None, typer.Option(help=CONFIDENCE_HELP + " (default: the folder's)")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="seed of the simulations; default: the scenario's")
                    ] = None,
    from_staffing: Annotated[bool, typer.Option("--from-staffing", help="a scenario's agents per interval are the "
                                                 "requirement (e.g. a file from ccsim staff --write)")] = False,
    max_rounds: Annotated[int, typer.Option(min=1, help="simulate-and-repair rounds at most")] = 8,
    workers: Annotated[int | None, typer.Option(help=WORKERS_HELP)] = None,
    executor: Annotated[str, typer.Option(help=EXECUTOR_HELP)] = "local",
    scheduler: Annotated[str | None, typer.Option(help=SCHEDULER_HELP)] = None,
    write: Annotated[Path | None, typer.Option(metavar="FILE", help="write the scenario with the roster as "
                                                 "pools[].shifts to FILE")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="results folder (default: "
                                                    "results/<name>-schedule-<time>)")] = None,
    overwrite: Annotated[bool, typer.Option(help="allow --out and --write to replace what is there")] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="write no results folder")] = False,
    with_report: Annotated[bool, typer.Option("--report", help=REPORT_HELP)] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """The cheapest roster of shifts covering a requirement, repaired by simulation until it meets the targets."""
    placement = where(workers, executor, scheduler)
    problems = []
    if not source.exists():
        problems.append(f"{source}: no such file or folder")
    if not templates.is_file():
        problems.append(f"--templates: {templates}: no such file")
    if per is not None and per not in ("interval", "day"):
        problems.append(f"--per: must be interval or day, got '{per}'")
    if confidence is not None and confidence not in ("mean", "lower"):
        problems.append(f"--confidence: must be mean or lower, got '{confidence}'")
    if no_save and (out_dir is not None or with_report):
        problems.append("--no-save: cannot be combined with --out or --report")
    if problems:
        raise fail(problems)
    check_write(write, source, overwrite)
    from ..errors import ScenarioError
    from ..experiments.executors import Interrupted, interrupt_once
    from ..experiments.store import default_folder, discard_folder
    from ..planning.shifts import SCHEDULE_FILES
    from ..planning.shifts import schedule as plan_shifts

    name = source.name if source.is_dir() else source.stem
    folder = None if no_save else (out_dir if out_dir is not None else default_folder(f"{name}-schedule"))
    created = output_folder(folder, out_dir is not None, SCHEDULE_FILES, overwrite) if folder is not None else None
    with interrupt_once(then_exit=True), _progress(name, show=not as_json) as tell:
        try:
            result = plan_shifts(source, templates, target or None, per=per, queues=queue, reps=reps,
                                 confidence=confidence, seed=seed, from_staffing=from_staffing,
                                 max_rounds=max_rounds, progress=tell, **placement)
        except ScenarioError as exc:
            if folder is not None:
                discard_folder(folder, created)
            raise fail(str(exc).splitlines()) from None
        except Interrupted as exc:
            if folder is not None:
                discard_folder(folder, created)
            err.print(f"interrupted after {exc.done:,} simulated replications; nothing was kept.", highlight=False)
            raise typer.Exit(code=130) from None
        except BaseException:
            if folder is not None:
                discard_folder(folder, created)
            raise
    from .staffing_views import print_schedule

    _deliver(result, folder, write, overwrite, with_report, as_json, SCHEDULE_FILES, print_schedule,
             lambda: _save_figure(folder / "schedule.png", "coverage_figure", result.coverage,
                                  result.summary["scenario"]),
             f"scenario with this roster written to {write}")
