"""``ccsim calibrate`` and ``ccsim backtest``: a scenario from a call log, and its test on held-out days.

``ccsim calibrate ../shared/data/anonymous_bank_1999 --train 1999-01..1999-06 --types PS --out
bank_ps.yaml`` estimates a scenario from January-June and writes it with its report (in
``bank_ps-calibration/``); ``ccsim backtest bank_ps.yaml ../shared/data/anonymous_bank_1999
--test 1999-07..1999-10`` replays every test day 40 times and prints the errors beside
Erlang A's.
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from .common import (
    JSON_HELP,
    SCHEDULER_HELP,
    WORKERS_HELP,
    err,
    executor_option,
    fail,
    out,
    output_folder,
    plural,
    print_files,
    progress,
    stopped,
    where,
)

FORMAT_HELP = "the log's format: anonymous_bank (built in) or a mapping YAML file (see the README)"
DAYS_HELP = "days of the week modelled: a range (Sun-Thu), a list (Sun,Mon) or all"


def register(app: typer.Typer) -> None:
    app.command()(calibrate)
    app.command()(backtest)


def _types(values: list[str] | None) -> list[str] | None:
    """``--types PS --types NE``, ``--types PS,NE`` or ``--types all`` (None: every type)."""
    if not values:
        return None
    names = [t.strip() for v in values for t in v.split(",") if t.strip()]
    return None if [n.lower() for n in names] == ["all"] else names


def calibrate(
    log: Annotated[Path, typer.Argument(metavar="LOG", help="the call log: a file or a folder of files")],
    train: Annotated[str, typer.Option(metavar="FROM..TO", help="training period, dates or months, inclusive "
                                                                "(e.g. 1999-01-01..1999-06-30 or 1999-01..1999-06)")],
    out_path: Annotated[Path, typer.Option("--out", metavar="SCENARIO.yaml", help="the scenario file to write")],
    days: Annotated[str, typer.Option(help=DAYS_HELP)] = "Sun-Thu",
    hours: Annotated[str, typer.Option(metavar="FROM-TO", help="hours of the day modelled")] = "7-24",
    interval: Annotated[float, typer.Option(metavar="MINUTES", help="interval length in minutes")] = 60,
    types: Annotated[list[str] | None, typer.Option(
        metavar="TYPE", help="call types modelled (repeatable, or comma-separated; default: all)")] = None,
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help=FORMAT_HELP)] = "anonymous_bank",
    overwrite: Annotated[bool, typer.Option(help="replace --out and its report if they exist")] = False,
    no_fit: Annotated[bool, typer.Option("--no-fit", help="skip the fit by simulation (after-call work, "
                                                           "reserve, balking stay off)")] = False,
    fit_reps: Annotated[int, typer.Option(min=1, help="replications per training day in the fit")] = 4,
    replay_reps: Annotated[int, typer.Option(
        min=0, help="replications per training day when the calibrated scenario is replayed for the report "
                    "(0: not replayed)")] = 10,
    sl_seconds: Annotated[float, typer.Option(min=0, help="service-level threshold (s)")] = 20,
    skip_bad_rows: Annotated[bool, typer.Option(help="skip unreadable log rows (listed) instead of stopping")] = False,
    workers: Annotated[int | None, typer.Option(help=WORKERS_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Estimate a scenario from a call log's training period; write it with a calibration report."""
    from ..errors import ScenarioError
    from ..experiments.executors import Interrupted, interrupt_once
    from ..planning.calibrate import calibrate as run_calibration
    from ..planning.calibrate import calibration_folder, check_out, write_calibration
    from ..planning.calibrate_period import period_from
    from ..planning.cdr import read_cdr
    from ..presentation.calibration_plots import write_calibration_report

    where(workers, "local", None)
    problems = []
    if not log.exists():
        problems.append(f"LOG: {log} does not exist (give the log file, or the folder of its files)")
    for check in (lambda: check_out(out_path, overwrite), lambda: period_from(train, days, hours, interval)):
        try:
            check()
        except ScenarioError as exc:
            problems += [f"{p}: {m}" for p, m in exc.problems]
    if problems:
        raise fail(problems)
    try:
        calls = read_cdr(log, format, skip_bad_rows=skip_bad_rows)
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None
    with interrupt_once(then_exit=True):
        try:
            with _progress("calibrate: simulated days", show=not as_json) as tick:
                result = run_calibration(calls, train, days=days, hours=hours, interval=interval, types=_types(types),
                                         format=format, fit_grid=None if no_fit else _grid(), fit_reps=fit_reps,
                                         sl_seconds=sl_seconds, training_reps=replay_reps, workers=workers,
                                         log_name=str(log), progress=tick)
        except ScenarioError as exc:
            raise fail(str(exc).splitlines()) from None
        except Interrupted as exc:
            raise stopped(exc, ["Nothing was written: a calibration is written when it is complete."]) from None
    write_calibration(result, out_path, overwrite)
    folder = calibration_folder(out_path)
    write_calibration_report(result, folder)
    if as_json:
        typer.echo(json.dumps(_calibration_json(result, out_path, folder), allow_nan=False, default=str))
        return
    _print_calibration(result, out_path, folder)


@contextmanager
def _progress(label: str, show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar whose total may change (the fit's is an upper bound, then the replay's):
    a bar on a terminal, a line per 5 % on stderr otherwise, nothing with ``--json``."""
    if not show:
        yield None
    elif not err.is_terminal:
        shown = [0, 0]

        def line(done: int, total: int) -> None:
            step = done * 20 // max(total, 1)
            if total != shown[1]:
                shown[:] = [0, total]
            if step > shown[0]:
                shown[0] = step
                print(f"{label}: {done:,}/{total:,} ({100 * done // max(total, 1)}%)", file=sys.stderr, flush=True)

        yield line
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(label, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)


def _grid() -> dict:
    from ..planning.calibrate_fit import DEFAULT_GRID

    return DEFAULT_GRID


def _calibration_json(result, out_path: Path, folder: Path) -> dict:
    meta = result.metadata()
    training = result.training.summary()["errors"] if result.training is not None else None
    return {"scenario": str(out_path), "report": str(folder / "report.html"), **meta,
            "pools": sorted(set(result.pools.values())), "training_errors": training}


def _print_calibration(result, out_path: Path, folder: Path) -> None:
    from rich.table import Table

    s = result.settings
    out.print(f"[bold]{result.scenario.name}[/]: calibrated on {s.period.describe()} "
              f"({plural(len(result.train_days), 'day')})", highlight=False)
    table = Table(title="per call type", title_justify="left")
    for column in ("type", "offered/day", "handle time", "patience (KM mean)", "exponential patience"):
        table.add_column(column, justify="left" if column in ("type", "handle time") else "right")
    offered = result.arrivals.offered.sum()
    for t, h in result.handle_times.items():
        p = result.patience[t]
        table.add_row(t, f"{offered.get(t, 0):,.0f}", f"{h.chosen['dist']}, mean {h.mean:,.0f} s, cv {h.cv:.2f}",
                      f"{_mean(p.distribution):,.0f} s", f"{p.exponential_mean:,.0f} s")
    out.print(table)
    pools = sorted(set(result.pools.values()))
    out.print(f"pools by skill set: {', '.join(pools)} ({plural(len(result.pools), 'agent')}); busyness cv "
              f"{result.arrivals.busyness_cv:.3f}; redials {result.redials.probability:.1%} of hang-ups",
              highlight=False)
    if result.fit is not None:
        best = ", ".join(f"{k} {v:g}" for k, v in result.fit.best.items())
        out.print(f"fitted on the training days ({plural(len(result.fit.grid), 'point')} tried): {best}",
                  highlight=False)
    if result.training is not None:
        _print_errors(result.training, "training days replayed (in sample)")
    out.print(f"scenario written to {out_path}; report: {folder / 'report.html'}", highlight=False)


def _mean(distribution: dict) -> float:
    from ..planning.calibrate import distribution_mean

    return distribution_mean(distribution)


def _print_errors(result, title: str) -> None:
    from rich.table import Table

    table = Table(title=f"{title}: offered-weighted MAE (bias) — pp for rates, s for ASA", title_justify="left")
    for column in ("level", "model", "abandonment", "ASA", "service level"):
        table.add_column(column, justify="left" if column in ("level", "model") else "right")
    for (level, model), row in result.errors.iterrows():
        table.add_row(level, model.replace("_", " "),
                      *(f"{row[f'{k}_mae']:.2f} ({row[f'{k}_bias']:+.2f})"
                        for k in ("abandon_rate", "asa_seconds", "service_level")))
    out.print(table)
    coverage = result.coverage
    parts = [f"{k.replace('_seconds', '').replace('_', ' ')} {100 * r['coverage50']:.0f}% / "
             f"{100 * r['coverage90']:.0f}%" for k, r in coverage.iterrows()]
    out.print("observed inside the predictive 50% / 90% intervals: " + "; ".join(parts), highlight=False)


def backtest(
    scenario: Annotated[Path | None, typer.Argument(metavar="SCENARIO", help="the calibrated scenario")] = None,
    log: Annotated[Path | None, typer.Argument(metavar="LOG", help="the call log (file or folder)")] = None,
    test: Annotated[str | None, typer.Option(metavar="FROM..TO", help="test period, dates or months, inclusive; "
                                                                        "must not overlap the training period")] = None,
    days: Annotated[str | None, typer.Option(help=DAYS_HELP + " (default: the calibration's)")] = None,
    reps: Annotated[int, typer.Option(min=1, help="replications per test day")] = 40,
    format: Annotated[str, typer.Option("--format", metavar="FORMAT", help=FORMAT_HELP)] = "anonymous_bank",
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="results folder, empty or new (default: results/backtest-<name>-<time>)")] = None,
    resume: Annotated[Path | None, typer.Option(help="continue the interrupted backtest in this folder")] = None,
    erlang_patience: Annotated[float | None, typer.Option(
        min=1, metavar="SECONDS", help="Erlang A's exponential patience (default: the calibration's)")] = None,
    types: Annotated[list[str] | None, typer.Option(
        metavar="TYPE", help="call types scored (repeatable, or comma-separated; default: every intent of the "
                             "scenario, e.g. PS of a whole-center scenario)")] = None,
    arrivals: Annotated[str, typer.Option(
        metavar="poisson|exact", help="poisson: each replication's calls vary around the day's count; exact: "
                                      "exactly the day's count per interval")] = "poisson",
    service: Annotated[str, typer.Option(
        metavar="day|scenario", help="day: handle times scaled to each interval's mean service that day, as "
                                     "Erlang A gets them; scenario: the scenario's own")] = "day",
    workers: Annotated[int | None, typer.Option(help=WORKERS_HELP)] = None,
    executor: Annotated[str, executor_option()] = "local",
    scheduler: Annotated[str | None, typer.Option(help=SCHEDULER_HELP)] = None,
    skip_bad_rows: Annotated[bool, typer.Option(help="skip unreadable log rows (listed) instead of stopping")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Simulate every day of a test period with its own volume and agents; compare with the log and Erlang A."""
    from ..errors import ScenarioError
    from ..experiments.executors import Interrupted, interrupt_once
    from ..experiments.store import MANIFEST, FolderError, default_folder, discard_folder
    from ..planning.backtest import execute_backtest, prepare_backtest
    from ..planning.cdr import read_cdr
    from ..presentation.calibration_plots import write_backtest_report

    placement = where(workers, executor, scheduler)
    problems = []
    if resume is None:
        if scenario is None or log is None:
            problems.append("backtest needs SCENARIO and LOG (or --resume FOLDER)")
        else:
            if not scenario.is_file():
                problems.append(f"SCENARIO: {scenario} is not a file")
            if not log.exists():
                problems.append(f"LOG: {log} does not exist (give the log file, or the folder of its files)")
        if test is None:
            problems.append("--test: give the test period, FROM..TO (e.g. 1999-07-01..1999-10-31)")
    else:
        if scenario is not None or log is not None or test is not None or out_dir is not None or types:
            problems.append("--resume continues with the folder's own scenario, log, period and replications: "
                            "drop SCENARIO, LOG, --test, --types and --out")
        elif not (resume / MANIFEST).is_file():
            problems.append(f"--resume: {resume} is not a ccsim results folder (no {MANIFEST})")
    if problems:
        raise fail(problems)
    folder, created = out_dir, None
    if resume is None:
        folder = out_dir or default_folder(f"backtest-{scenario.stem}")
        created = output_folder(folder, out_dir is not None, full=f"{folder} is not an empty folder; choose another")
    try:
        calls = None if resume is not None else read_cdr(log, format, skip_bad_rows=skip_bad_rows)
        prepared = prepare_backtest(str(scenario) if scenario else None, calls, test,
                                    days=days, reps=reps, format=format, out=folder, resume=resume,
                                    erlang_patience=erlang_patience, arrivals=arrivals, service=service,
                                    types=_types(types), log_name=str(log) if log else None,
                                    skip_bad_rows=skip_bad_rows)
    except (ScenarioError, FolderError) as exc:
        if resume is None:
            discard_folder(folder, created)  # nothing was written in it: leave no empty folder behind
        if isinstance(exc, ScenarioError):
            raise fail(str(exc).splitlines()) from None
        raise fail([f"--resume: {exc}" if resume is not None else f"--out: {exc}"]) from None
    with interrupt_once(then_exit=True):
        try:
            with progress(f"backtest {prepared.scenario.name}", prepared.total, show=not as_json) as tick:
                result = execute_backtest(prepared, progress=tick, **placement)
        except ScenarioError as exc:
            raise fail(str(exc).splitlines()) from None
        except Interrupted as exc:
            raise stopped(exc, [f"The finished days are kept in {prepared.folder}/ (manifest.json says "
                                "\"interrupted\").",
                                f"To finish: ccsim backtest --resume {shlex.quote(str(prepared.folder))}"]) from None
    write_backtest_report(result, result.folder)
    if as_json:
        typer.echo(json.dumps(result.summary(), allow_nan=False, default=str))
        return
    s = result.settings
    out.print(f"[bold]{result.name}[/]: {plural(s['test_days'], 'day')} of {s['test']} ({', '.join(s['days'])}), "
              f"{plural(s['reps'], 'replication')} each, {plural(len(result.table), 'interval')}", highlight=False)
    _print_errors(result, "test days against the log")
    if result.left_out:
        err.print(f"{plural(result.left_out, 'interval')} with calls but no agents or no answered call left out of "
                  "both models' errors", highlight=False)
    print_files(result.folder, ["report.html", "summary.json", "table.parquet", "simulated.parquet"])
