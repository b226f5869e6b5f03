"""Simulating staffing plans in batches, on the same callers every time.

The staffing search asks many questions of one kind: "with 23 generalists at 10:00 instead of
24, does 10:00 still make 80%?" Each question is a staffing plan (agents per interval of the
pools being staffed) simulated on a fixed sample of days: replication r of seed s sees the same
callers whatever the staffing (common random numbers), so the difference between two plans is
the staffing, not the luck of the draw. A batch of plans is cut into tasks (a plan and some of
its replications) and run on the executors of :mod:`ccsim.experiments.executors` (worker
processes or Dask); a worker sends back only the few numbers per interval the search reads.
A plan asked again on the same sample is answered from memory.
"""

from __future__ import annotations

import math
import signal
import threading
import warnings
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..analysis.stats import mean_ci_array
from ..engine.plan import compile_plan
from ..experiments.executors import run_tasks
from ..experiments.runner import simulate
from ..spec.scenario import Scenario
from .staffing_goals import SHARES, Goal, judged_value

#: Day KPIs kept for the before/after summary.
DAY_KPIS = ("offered", "answered", "abandoned", "service_level", "asa_seconds", "abandon_rate", "p_wait",
            "agent_cost")

Sample = tuple[tuple[int, int], ...]  # (seed, replication) pairs


def staffed(base: Scenario, free: Sequence[int], agents: np.ndarray) -> Scenario:
    """The scenario with pools ``free`` staffed ``agents`` (one row per pool, one column per interval)."""
    pools = list(base.pools)
    for row, p in enumerate(free):
        pools[p] = pools[p].model_copy(update={"agents": [float(v) for v in agents[row]]})
    return base.model_copy(update={"pools": pools})


def measure(base: Scenario, free: tuple[int, ...], agents: np.ndarray, pairs: Sample,
            spec: tuple[tuple[str, int, str], ...]) -> list[dict[str, Any]]:
    """Simulate one plan on some (seed, replication) pairs; the numbers the search reads, per pair."""
    s = staffed(base, free, agents)
    plan = compile_plan(s)
    n, nq, npools = s.n_intervals, len(plan.skills), len(s.pools)
    out = []
    for seed, r in pairs:
        rep = simulate(plan, seed, r, keep_contacts=False)
        t = rep.tables
        qi, pi = t["queue_intervals"], t["pool_intervals"]
        values, day, weight = np.empty((len(spec), n)), np.empty(len(spec)), np.empty((len(spec), n))
        for g, (scope, index, column) in enumerate(spec):
            per = "answered" if column == "asa_seconds" else "offered"
            if scope == "center":
                values[g], day[g], weight[g] = t["intervals"][column], rep.kpis[column], t["intervals"][per]
            elif scope == "queue":
                values[g] = qi[column].reshape(nq, n)[index]
                day[g] = t["queues"][column][index]
                weight[g] = qi[per].reshape(nq, n)[index]
            else:
                values[g] = pi["occupancy"].reshape(npools, n)[index]
                day[g] = t["pools"]["occupancy"][index]
                weight[g] = pi["present_hours"].reshape(npools, n)[index]
        out.append({
            "values": values, "day": day, "weight": weight,
            "offered": np.asarray(t["intervals"]["offered"], float),
            "q_offered": np.asarray(qi["offered"], float).reshape(nq, n),
            "q_service_level": qi["service_level"].reshape(nq, n), "q_asa_seconds": qi["asa_seconds"].reshape(nq, n),
            "q_abandon_rate": qi["abandon_rate"].reshape(nq, n),
            "occupancy": pi["occupancy"].reshape(npools, n), "busy": pi["busy_hours"].reshape(npools, n),
            "kpis": {k: float(rep.kpis[k]) for k in DAY_KPIS},
            "interval_kpis": {k: np.asarray(t["intervals"][k], float)
                              for k in ("arrivals", "offered", "service_level", "asa_seconds", "abandon_rate")},
        })
    return out


@dataclass
class Evaluation:
    """One staffing plan simulated on a sample: per replication, the numbers of :func:`measure`."""

    agents: np.ndarray
    sample: Sample
    reps: list[dict[str, Any]]
    kpis: tuple[str, ...] = ()  # per goal: the KPI its values are
    _ci: dict[str, tuple] = field(default_factory=dict, repr=False)

    def stack(self, key: str) -> np.ndarray:
        return np.stack([r[key] for r in self.reps])

    def ci(self, key: str = "values") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, 95% bounds and count over the replications of ``values`` (goals x intervals) or ``day``."""
        if key not in self._ci:
            stacked = self.stack(key)
            shares = np.array([kpi in SHARES for kpi in self.kpis]).reshape((-1,) + (1,) * (stacked.ndim - 2))
            self._ci[key] = mean_ci_array(stacked, shares)
        return self._ci[key]

    def mean(self, key: str) -> np.ndarray:
        """The mean over the replications (NaN left out; NaN where no replication has a value)."""
        stacked = self.stack(key)
        if not np.isnan(stacked).any():
            return stacked.mean(axis=0)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(stacked, axis=0)

    def judged(self, goals: Sequence[Goal], confidence: str, key: str = "values") -> np.ndarray:
        """The value each goal is judged on (goals x intervals, or goals for ``day``)."""
        mean, low, high, _ = self.ci(key)
        return np.stack([judged_value(g, mean[i], low[i], high[i], confidence) for i, g in enumerate(goals)])

    def met(self, goals: Sequence[Goal], confidence: str, key: str = "values") -> np.ndarray:
        value = self.judged(goals, confidence, key)
        return np.stack([g.met(value[i]) for i, g in enumerate(goals)])


@dataclass
class Status:
    """Where the search is, for a progress display."""

    phase: str
    round: int
    moving: int | None  # intervals whose staffing changed in the last step
    done: int = 0  # replications of this batch finished
    total: int = 0
    simulated: int = 0  # replications simulated so far in all


class Evaluator:
    """Runs batches of plans on a sample, with a memory of the plans already simulated.

    Use it as a context manager: with ``executor="dask"`` and no scheduler it starts one local
    Dask cluster for the whole search (not one per batch) and closes it at the end.
    """

    def __init__(self, base: Scenario, free: tuple[int, ...], goals: Sequence[Goal], workers: int | None = None,
                 executor: str = "local", scheduler: str | None = None,
                 progress: Callable[[Status], None] | None = None):
        self.base, self.free = base, free
        self.spec = tuple((g.scope, g.index, g.target.kpi if g.scope != "pool" else "occupancy") for g in goals)
        self.workers = workers if workers is not None else _cores()
        self.executor, self.scheduler = executor, scheduler
        self.progress = progress
        self.simulated = 0
        self.status = Status("start", 0, None)
        self._memory: dict[tuple[bytes, Sample], Evaluation] = {}
        self._cluster: Any = None

    def __enter__(self) -> Evaluator:
        if self.executor == "dask" and self.scheduler is None:
            self._cluster = _local_cluster(self.workers)
            self.scheduler = self._cluster.scheduler_address
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._cluster is not None:
            try:
                self._cluster.close(timeout=4)
            except Exception:  # a cluster already gone must not hide why the search stopped
                pass
            self._cluster = None

    def evaluate(self, plans: Sequence[np.ndarray], sample: Sample) -> list[Evaluation]:
        """Each plan simulated on the sample (plans already simulated on it are not run again)."""
        keys = [(np.ascontiguousarray(a, dtype=float).tobytes(), sample) for a in plans]
        unique: dict[tuple, int] = {}
        for i, key in enumerate(keys):
            if key not in self._memory:
                unique.setdefault(key, i)
        jobs = list(unique.values())
        if jobs:
            chunk = max(1, min(len(sample), math.ceil(len(sample) * len(jobs) / (4 * self.workers))))
            pieces = [sample[a:a + chunk] for a in range(0, len(sample), chunk)]
            tasks = [(self.base, self.free, np.asarray(plans[i], float), piece, self.spec)
                     for i in jobs for piece in pieces]
            results: list[Any] = [None] * len(tasks)
            self.status.done, self.status.total = 0, len(jobs) * len(sample)
            self._tell()
            with closing(run_tasks(measure, tasks, workers=self.workers, executor=self.executor,
                                   scheduler=self.scheduler)) as outcomes:
                for outcome in outcomes:
                    if outcome.error is not None:
                        raise RuntimeError(f"a simulation of the staffing search failed:\n{outcome.error}")
                    results[outcome.index] = outcome.result
                    self.status.done += len(outcome.result)
                    self.simulated += len(outcome.result)
                    self.status.simulated = self.simulated
                    self._tell()
            for n, i in enumerate(jobs):
                reps = [r for part in results[n * len(pieces):(n + 1) * len(pieces)] for r in part]
                self._memory[keys[i]] = Evaluation(np.asarray(plans[i], float).copy(), sample, reps,
                                                   tuple(kpi for _, _, kpi in self.spec))
        return [self._memory[key] for key in keys]

    def rebase(self, base: Scenario) -> None:
        """Simulate plans of another scenario from now on (what was simulated is forgotten)."""
        self.base = base
        self._memory.clear()

    def tell(self, phase: str, round_: int, moving: int | None) -> None:
        self.status.phase, self.status.round, self.status.moving = phase, round_, moving
        self._tell()

    def _tell(self) -> None:
        if self.progress is not None:
            self.progress(self.status)


def _cores() -> int:
    import os

    return os.cpu_count() or 1


def _local_cluster(workers: int) -> Any:
    """A local Dask cluster whose workers ignore Ctrl-C (the search ends them by closing it)."""
    import logging

    try:
        from distributed import LocalCluster
    except ImportError:  # pragma: no cover - depends on the install
        raise RuntimeError('the dask executor needs the [dask] extra: pip install -e ".[dask]"') from None
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=None, silence_logs=logging.ERROR)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
