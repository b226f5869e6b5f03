"""Executors: where the replications of a run or a sweep are computed, and how they stop.

A planner's laptop has a few cores; the analytics team has a Dask cluster. The work is the
same list of tasks (a sweep point and a chunk of its replications) and each task's result
depends only on its inputs, never on where or in which order it ran, so every executor gives
the same numbers to the last digit. Tasks report back as they finish; a task that raises is
reported with its error instead of stopping the others.

Ctrl-C stops the work at once: a planner who started 200 replications of the wrong staffing
plan should not wait for them. Worker processes ignore Ctrl-C (a terminal sends it to every
process of the command) and are ended by the parent, which never waits for the unfinished
tasks; a Dask run cancels its tasks and closes the cluster it started. While the work stops,
a second Ctrl-C is ignored, so the stopping (bounded to a few seconds) is never cut short and
never leaves a worker behind.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXECUTORS = ("local", "dask")

#: Seconds a worker process gets to end after SIGTERM before it is killed.
_TERMINATE_SECONDS = 2.0


@dataclass
class TaskOutcome:
    """What one task produced: its result, or the error it raised (as text, picklable)."""

    index: int
    result: Any = None
    error: str | None = None


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run or a sweep; says how far it got and where the finished work is.

    A ``KeyboardInterrupt``, so code that does not know it stops as on any Ctrl-C.

    Attributes:
        done: replications finished before the interruption.
        total: replications asked for.
        folder: where the finished work is kept (a sweep's results folder), or None when
            nothing was kept (a run's result is all or nothing).
    """

    def __init__(self, done: int, total: int, folder: Path | None = None):
        self.done, self.total, self.folder = done, total, folder
        super().__init__(str(self))

    def __str__(self) -> str:
        head = f"interrupted after {self.done:,} of {self.total:,} replication{'' if self.total == 1 else 's'}"
        if self.folder is None:
            return f"{head}; nothing was saved"
        return f"{head}; the finished ones are kept in {self.folder} (resume it to finish)"


_stopping = False  # a Ctrl-C was received inside interrupt_once(): the work is stopping
_deferring = 0  # inside deferred_interrupts(): a Ctrl-C waits for the end of the block
_pending = False  # a Ctrl-C arrived while deferred


def _on_interrupt(signum: int, frame: Any) -> None:
    global _stopping, _pending
    if _stopping:
        return  # already stopping: the stopping is bounded, a second Ctrl-C must not cut it short
    if _deferring:
        _pending = True
        return
    _stopping = True
    raise KeyboardInterrupt


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """A Ctrl-C inside the block (within :func:`interrupt_once`) is acted on when it ends: for a
    few lines that must run together, e.g. writing a finished task and counting it as done."""
    global _deferring, _pending, _stopping
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
        if not _deferring and _pending:
            _pending = False
            _stopping = True
            raise KeyboardInterrupt


@contextmanager
def interrupt_once(then_exit: bool = False) -> Iterator[None]:
    """Within the block, the first Ctrl-C raises ``KeyboardInterrupt`` and later ones are ignored.

    The cleanup after the first one (ending workers, marking a sweep's manifest, printing what
    was kept) then always runs to its end. Nested blocks share the outermost one; the previous
    handler is restored when it ends, unless ``then_exit`` (a command that exits after a
    Ctrl-C): then Ctrl-C stays ignored, so a second one cannot cut the exit short. Does
    nothing outside the main thread, or when Ctrl-C is ignored or handled by someone else
    (e.g. a command started in the background).
    """
    global _stopping, _pending
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is _on_interrupt or previous is not signal.default_int_handler:
        yield
        return
    _stopping = False
    signal.signal(signal.SIGINT, _on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN if then_exit and _stopping else previous)
        _stopping = _pending = False


def run_tasks(
    fn: Callable[..., Any],
    tasks: Sequence[tuple],
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> Iterator[TaskOutcome]:
    """Run ``fn(*task)`` for every task; yield an :class:`TaskOutcome` as each finishes.

    On Ctrl-C, or when the caller stops reading (``close()``, or an exception in its loop),
    the unfinished tasks are abandoned at once: worker processes are ended, Dask tasks
    cancelled and a local Dask cluster closed. Use it as ``with contextlib.closing(run_tasks(...))``
    so that this happens even when the loop is left early.

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
    with interrupt_once():
        if executor == "dask":
            yield from _dask(fn, tasks, workers, scheduler)
        elif workers == 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                try:
                    outcome = TaskOutcome(i, fn(*task))
                except Exception:  # a failed task is reported, the others go on
                    outcome = TaskOutcome(i, error=traceback.format_exc(limit=8))
                yield outcome
        else:
            yield from _processes(fn, tasks, workers)


def _ignore_interrupts() -> None:
    """Worker initializer: Ctrl-C is for the parent, which ends the workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # born blocked: see _processes


def _processes(fn: Callable[..., Any], tasks: Sequence[tuple], workers: int) -> Iterator[TaskOutcome]:
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)), initializer=_ignore_interrupts)
    complete = False
    try:
        # The workers are forked while the tasks are submitted. A terminal's Ctrl-C goes to every
        # process of the command, and one arriving before a worker's initializer has run would
        # kill it: so they are born with SIGINT blocked (the mask is inherited) and unblock it
        # once they ignore it. The parent gets a Ctrl-C of those moments when it unblocks.
        main = threading.current_thread() is threading.main_thread()
        if main:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            futures = {pool.submit(fn, *task): i for i, task in enumerate(tasks)}
        finally:
            if main:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        for future in as_completed(futures):
            yield _from_future(futures[future], future)
        complete = True
    finally:
        if complete:
            pool.shutdown(wait=True)  # every task is done: nothing to wait for
        else:
            _end_pool(pool)


def _end_pool(pool: ProcessPoolExecutor) -> None:
    """Abandon the unfinished tasks and end the workers now, without waiting for them."""
    # The pool has no public way to end its workers before Python 3.14 (terminate_workers).
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)  # shutdown() forgets it
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(_TERMINATE_SECONDS)
        if process.is_alive():  # pragma: no cover - a worker stuck in uninterruptible code
            process.kill()
            process.join(_TERMINATE_SECONDS)
    # Let the pool's manager thread see its workers gone and close its wake-up pipe now: left to
    # wind down while Python exits, it could close that pipe just as the exit hook of
    # concurrent.futures writes to it, printing "OSError: Bad file descriptor" after a Ctrl-C
    # (a race in Python 3.11's _ThreadWakeup).
    if manager is not None:
        manager.join(_TERMINATE_SECONDS)


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
    cluster = client = None
    futures: dict[Any, int] = {}
    complete = False
    try:
        if scheduler is None:
            with _children_ignore_interrupts():
                # silence_logs: the workers' warnings about tasks cancelled by a Ctrl-C are noise.
                cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(scheduler or cluster)
        futures = {client.submit(fn, *task, pure=False): i for i, task in enumerate(tasks)}
        for future in dask_completed(list(futures)):
            yield _from_future(futures[future], future)
        complete = True
    finally:
        # Each step is bounded and runs even if the one before failed: a cluster left running
        # would keep its worker processes alive. After a Ctrl-C or an error their own errors
        # (a worker already gone, a timeout) must not hide the reason for stopping.
        steps = [lambda: client.cancel(list(futures), force=True)] if client and futures and not complete else []
        steps += [lambda: client.close(timeout=2 * _TERMINATE_SECONDS)] if client is not None else []
        steps += [lambda: cluster.close(timeout=2 * _TERMINATE_SECONDS)] if cluster is not None else []
        for step in steps:
            try:
                step()
            except Exception:
                if complete:
                    raise


@contextmanager
def _children_ignore_interrupts() -> Iterator[None]:
    """Processes started within ignore Ctrl-C: a terminal sends it to every process of the
    command, and the local Dask cluster's workers are ended by closing the cluster, not by it.
    (A Ctrl-C in these few seconds of start-up is ignored too: Python gives no other way to
    hand ignoring down to a started interpreter.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
