"""What every ``ccsim`` command shares: the consoles, clean errors, loading, progress.

Nothing here imports pandas, scipy or matplotlib: a command pays for those only when it
runs, so ``ccsim --help`` and ``ccsim erlang`` start at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console

if TYPE_CHECKING:
    from ..spec.scenario import Scenario

# The command line draws into files, never windows: no display needed, none opened.
os.environ.setdefault("MPLBACKEND", "Agg")

out = Console()
err = Console(stderr=True)

from ..experiments.executors import EXECUTORS  # noqa: E402  (a light module: no heavy imports)

SET_HELP = "change one value: PATH=VALUE, e.g. pools.tier1.agents=28 (repeatable)"
WORKERS_HELP = "worker processes (default: all cores; 1 runs in this process); results do not depend on it"
EXECUTOR_HELP = "where to run: local (worker processes) or dask"
SCHEDULER_HELP = "Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: start a local Dask cluster)"
REPORT_HELP = "also write report.html into the results folder"
JSON_HELP = "print one JSON object to stdout"


def fail(messages: list[str]) -> typer.Exit:
    """Print one line per problem on stderr; the caller raises the returned exit (code 2)."""
    for message in messages:
        err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True, markup=True)
    return typer.Exit(code=2)


def load(path: Path, overrides: Optional[list[str]] = None) -> "Scenario":
    """A validated scenario, or a clean exit 2 listing every problem."""
    from ..errors import ScenarioError
    from ..spec.loading import load_scenario

    try:
        return load_scenario(path, overrides or ())
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None


def where(workers: Optional[int], executor: str, scheduler: Optional[str]) -> dict:
    problems = []
    if workers is not None and workers < 1:
        problems.append(f"--workers: must be at least 1, got {workers}")
    if executor not in EXECUTORS:
        problems.append(f"--executor: unknown executor '{executor}'; allowed: {', '.join(EXECUTORS)}")
    if scheduler is not None and executor != "dask":
        problems.append("--scheduler: goes with --executor dask")
    if problems:
        raise fail(problems)
    return {"workers": workers, "executor": executor, "scheduler": scheduler}


@contextmanager
def progress(label: str, total: int, show: bool, unit: str = "replications"
             ) -> Iterator[Optional[Callable[[int, int], None]]]:
    """A progress callback: a bar on a terminal, a line per 5% of the work elsewhere (a log,
    a pipe), nothing when ``show`` is false (``--json``)."""
    if not show:
        yield None
    elif not err.is_terminal:
        shown = [0]  # twentieths of the work already reported

        def line(done: int, total: int) -> None:
            step = done * 20 // max(total, 1)
            if step > shown[0]:
                shown[0] = step
                print(f"{label}: {done}/{total} {unit} ({100 * done // max(total, 1)}%)", file=sys.stderr,
                      flush=True)

        yield line
    else:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(f"{label}: {unit}", total=total)
            yield lambda done, total: bar.update(task, completed=done)


def fmt(kpi: str, value: float, signed: bool = False) -> str:
    from ..analysis.formats import format_kpi

    return format_kpi(kpi, value, signed=signed)


def write_report(folder: Path, kpi: Optional[str] = None, target: Optional[float] = None) -> Path:
    from ..presentation.report import write_report as write

    try:
        return write(folder, kpi=kpi, target=target)
    except ValueError as exc:
        raise fail([str(exc)]) from None
