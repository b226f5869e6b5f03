"""What every ``ccsim`` command shares: the consoles, clean errors, loading, progress, folders.

Nothing here imports pandas, scipy or matplotlib: a command pays for those only when it
runs, so ``ccsim --help`` and ``ccsim erlang`` start at once.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.console import Console

if TYPE_CHECKING:
    from ..experiments.executors import Interrupted
    from ..spec.scenario import Scenario


out = Console()
err = Console(stderr=True)

from ..experiments.executors import EXECUTORS  # noqa: E402  (a light module: no heavy imports)

SET_HELP = "change one value of the scenario: PATH=VALUE, e.g. pools.tier1.agents=28 (repeatable)"
WORKERS_HELP = "worker processes (default: all cores; 1 runs in this process); results do not depend on it"
EXECUTOR_HELP = "where to run: local (worker processes on this machine) or dask (a Dask cluster)"
#: How --executor shows in --help: the choices (checked by :func:`where`, with ccsim's message).
EXECUTOR_METAVAR = "[" + "|".join(EXECUTORS) + "]"


def executor_option() -> typer.models.OptionInfo:
    """The ``--executor`` option of every command that simulates: a choice list in ``--help``
    and in shell completion; an unknown value is refused by :func:`where`."""
    return typer.Option("--executor", metavar=EXECUTOR_METAVAR, help=EXECUTOR_HELP,
                        autocompletion=lambda: list(EXECUTORS))
SCHEDULER_HELP = "Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: start a local Dask cluster)"
REPORT_HELP = "also write report.html into the results folder"
JSON_HELP = "print one JSON object to stdout"


def plural(n: int, word: str, words: Optional[str] = None) -> str:
    """``1 replication``, ``3 replications``, ``1,200 points``."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def fail(messages: list[str]) -> typer.Exit:
    """Print one line per problem on stderr; the caller raises the returned exit (code 2)."""
    from rich.markup import escape

    for message in messages:  # the message is text, not markup: [xlsx] and [a=b] stay as written
        err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True, markup=True)
    return typer.Exit(code=2)


def load(path: Path, overrides: Optional[list[str]] = None) -> Scenario:
    """A validated scenario, or a clean exit 2 listing every problem."""
    from ..errors import ScenarioError
    from ..spec.loading import load_scenario

    try:
        return load_scenario(path, overrides or ())
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None


def stopped(exc: Interrupted, kept: Sequence[str]) -> typer.Exit:
    """After Ctrl-C: say how far the work got and what was kept; the caller raises the exit (130,
    the shell's code for a command stopped by Ctrl-C)."""
    err.print(f"interrupted after {exc.done:,} of {plural(exc.total, 'replication')}.", highlight=False)
    for line in kept:
        err.print(line, highlight=False, soft_wrap=True, markup=False)
    return typer.Exit(code=130)


def output_folder(folder: Path, given: bool, results: Optional[Sequence[str]] = None, overwrite: bool = False,
                  full: Optional[str] = None) -> Optional[Path]:
    """Check and create a results folder before anything is simulated, or exit 2 saying why
    (``full``: the message when the folder already holds results).

    Returns what ``store.prepare_folder`` does: the first folder made here, for ``discard_folder``.
    """
    from ..experiments.store import FolderError, FolderNotEmptyError, prepare_folder

    try:
        return prepare_folder(folder, results, overwrite)
    except FolderNotEmptyError as exc:
        raise fail([f"--out: {full or exc}"]) from None
    except FolderError as exc:
        raise fail([f"--out: {exc}" if given else f"results folder: {exc}; choose one with --out"]) from None


def print_files(folder: Path, names: Sequence[str], note: str = "") -> None:
    """``results written to DIR/`` and a line per file: its name, rows (tables) and size."""
    from ..experiments.store import describe_files

    out.print(f"results written to {folder}/{note}", highlight=False)
    files = describe_files(folder, names)
    width = max((len(name) for name, _, _ in files), default=0)
    for name, rows, size in files:
        count = plural(rows, "row") if rows is not None else ""
        out.print(f"  {name:<{width}}  {count:>16}  {file_size(size):>9}", highlight=False)


def file_size(size: int) -> str:
    """``812 B``, ``46.7 kB``, ``84.4 MB`` (powers of 1000, as file browsers show them)."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:,} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1000  # type: ignore[assignment]
    raise AssertionError  # pragma: no cover


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
def progress(label: str, total: int, show: bool, unit: str = "replication"
             ) -> Iterator[Optional[Callable[[int, int], None]]]:
    """A progress callback: a bar on a terminal, a line per 5% of the work elsewhere (a log,
    a pipe), nothing when ``show`` is false (``--json``). ``unit`` is singular."""
    units = unit if total == 1 else f"{unit}s"
    if not show:
        yield None
    elif not err.is_terminal:
        shown = [0]  # twentieths of the work already reported

        def line(done: int, total: int) -> None:
            step = done * 20 // max(total, 1)
            if step > shown[0]:
                shown[0] = step
                print(f"{label}: {done:,}/{total:,} {units} ({100 * done // max(total, 1)}%)", file=sys.stderr,
                      flush=True)

        yield line
    else:
        from rich.markup import escape
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(escape(f"{label}: {units}"), total=total)  # a label may hold [a=b]
            yield lambda done, total: bar.update(task, completed=done)


def fmt(kpi: str, value: float, signed: bool = False, currency: Optional[str] = None) -> str:
    """A KPI value as the reports show it: shares in % (differences in points), times in s,
    costs in the scenario's currency when it names one."""
    from ..analysis.formats import format_value

    return format_value(kpi, value, signed=signed, currency=currency)


def half_width(kpi: str, low: float, high: float, currency: Optional[str] = None) -> str:
    """`` ± 1.50 pts`` (a share's half-width is in percentage points), `` ± 2.1 s``; ``''``
    when the interval is undefined."""
    from ..analysis.formats import format_half_width

    text = format_half_width(kpi, low, high, currency)
    return f" {text}" if text else ""


def write_report(folder: Path, kpi: Optional[str] = None, target: Optional[float] = None) -> Path:
    from ..presentation.report import write_report as write

    try:
        return write(folder, kpi=kpi, target=target)
    except ValueError as exc:
        raise fail([str(exc)]) from None
