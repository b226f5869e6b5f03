"""Executors: where the replications of a run or a sweep are computed.

A planner's laptop has a few cores; the analytics team has a Dask cluster. The work is the
same list of tasks (a sweep point and a chunk of its replications) and each task's result
depends only on its inputs, never on where or in which order it ran, so every executor gives
the same numbers to the last digit. Tasks report back as they finish; a task that raises is
reported with its error instead of stopping the others.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

EXECUTORS = ("local", "dask")


@dataclass
class TaskOutcome:
    """What one task produced: its result, or the error it raised (as text, picklable)."""

    index: int
    result: Any = None
    error: str | None = None


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> Iterator[TaskOutcome]:
    """Run ``fn(*task)`` for every task; yield an :class:`TaskOutcome` as each finishes.

    Args:
        workers: local worker processes (None: every core; 1: in this process), or the
            number of workers of a local Dask cluster.
        executor: ``"local"`` (processes on this machine) or ``"dask"``.
        scheduler: address of an existing Dask scheduler (``tcp://host:8786``); without it
            ``executor="dask"`` starts a local cluster for the duration of the work.
    """
    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; allowed: {', '.join(EXECUTORS)}")
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if executor == "dask":
        yield from _dask(fn, tasks, workers, scheduler)
    elif workers == 1 or len(tasks) <= 1:
        for i, task in enumerate(tasks):
            try:
                yield TaskOutcome(i, fn(*task))
            except Exception:  # a failed task is reported, the others go on
                yield TaskOutcome(i, error=traceback.format_exc(limit=8))
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(tasks))) as pool:
            futures = {pool.submit(fn, *task): i for i, task in enumerate(tasks)}
            for future in as_completed(futures):
                yield _from_future(futures[future], future)


def _from_future(index: int, future: Any) -> TaskOutcome:
    exc = future.exception()
    if exc is None:
        return TaskOutcome(index, future.result())
    # A worker's traceback travels as the exception's cause (concurrent.futures and Dask).
    text = "".join(traceback.format_exception(exc))
    return TaskOutcome(index, error=text)


def _dask(fn: Callable[..., Any], tasks: Sequence[tuple], workers: int, scheduler: str | None) -> Iterator[TaskOutcome]:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:  # pragma: no cover - depends on the install
        raise RuntimeError('the dask executor needs the [dask] extra: pip install -e ".[dask]"') from None
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
    try:
        with Client(scheduler or cluster) as client:
            futures = {client.submit(fn, *task, pure=False): i for i, task in enumerate(tasks)}
            for future in dask_completed(list(futures)):
                yield _from_future(futures[future], future)
    finally:
        if cluster is not None:
            cluster.close()
