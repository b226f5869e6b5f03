"""Running replications: from a scenario to tables of KPIs.

A planner asks "what happens on a day like this?" and gets the answer over many simulated
days: replication r of a scenario with seed s always simulates the same callers, whatever
else is being run, so a run can be repeated, split across workers, or compared with another
staffing plan caller by caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .center import Center
from .executors import run_tasks
from .kpis import CONTACT_KPIS, chain_counts, contact_kpis, customer_kpis, pool_time
from .records import contacts_frame
from .results import RunResult
from .scenario import Scenario, load_scenario
from .streams import Streams


@dataclass
class Replication:
    """The tables of one replication (small, picklable: what a worker sends back)."""

    replication: int
    kpis: dict[str, float]
    intervals: pd.DataFrame
    pools: pd.DataFrame
    pool_intervals: pd.DataFrame
    chains: pd.DataFrame
    contacts: pd.DataFrame | None
    seconds: float
    n_contacts: int


def simulate(scenario: Scenario, seed: int, replication: int, keep_contacts: bool = True) -> Replication:
    """Simulate one replication and compute its KPIs from the records."""
    started = time.perf_counter()
    center = Center(scenario, Streams(seed, replication)).run()
    elapsed = time.perf_counter() - started
    return _tables(scenario, center, replication, keep_contacts, elapsed)


def _tables(s: Scenario, center: Center, replication: int, keep_contacts: bool, elapsed: float) -> Replication:
    rec = center.records
    arrival = np.frombuffer(rec.arrival, dtype=float)
    n_int = s.n_intervals
    end_time = center.env.now
    warm = s.warmup_seconds

    # Contact KPIs: the whole replication (after warm-up) and each arrival interval.
    after_warmup = np.where(arrival >= warm, 0, -1)
    overall = {k: float(v[0]) for k, v in contact_kpis(rec, s, after_warmup, 1, end_time).items()}
    overall.update(customer_kpis(rec, warm))
    interval_of = np.minimum((arrival // s.interval_seconds).astype(np.int64), n_int - 1)
    per_interval = contact_kpis(rec, s, interval_of, n_int, end_time)

    # Agent time: cumulative busy/present seconds at every boundary and at the warm-up's end.
    edges = np.arange(n_int + 1) * s.interval_seconds
    busy, present = pool_time(center.work, center.presence, len(s.pools), np.append(edges, warm))
    busy_int, present_int = np.diff(busy[:, :-1], axis=1), np.diff(present[:, :-1], axis=1)
    busy_run = busy[:, n_int] - busy[:, -1]  # from the warm-up's end to the horizon
    present_run = present[:, n_int] - present[:, -1]

    labels = s.interval_labels()
    intervals = pd.DataFrame(
        {
            "replication": replication,
            "interval": np.arange(n_int),
            "start": labels,
            "warmup": edges[1:] <= warm,
            **per_interval,
            "staffed": np.sum([s.staffing(p) for p in s.pools], axis=0),
        }
    )
    staffing = np.array([s.staffing(p) for p in s.pools], dtype=float)  # pools x intervals
    # Services: one per agent who served a contact (a transferred contact counts in each pool).
    served_by = np.frombuffer(center.work.pool, dtype=np.int16)
    served = np.frombuffer(center.work.contact, dtype=np.int32)
    handled = np.bincount(served_by[arrival[served] >= warm], minlength=len(s.pools))
    # Scheduled hours after warm-up: whole intervals after it plus the part of the one it ends in.
    overlap = np.clip(edges[1:], warm, None) - np.clip(edges[:-1], warm, None)
    pools = pd.DataFrame(
        {
            "replication": replication,
            "pool": [p.name for p in s.pools],
            "staffed_hours": staffing @ overlap / 3600.0,
            "present_hours": present_run / 3600.0,
            "busy_hours": busy_run / 3600.0,
            "occupancy": _ratio(busy_run, present_run),
            "handled": handled.astype(float),
            "agent_cost": staffing @ overlap / 3600.0 * np.array([p.cost_per_hour for p in s.pools]),
        }
    )
    pool_intervals = pd.DataFrame(
        {
            "replication": replication,
            "pool": np.repeat([p.name for p in s.pools], n_int),
            "interval": np.tile(np.arange(n_int), len(s.pools)),
            "start": np.tile(labels, len(s.pools)),
            "staffed": staffing.ravel(),
            "present_hours": present_int.ravel() / 3600.0,
            "busy_hours": busy_int.ravel() / 3600.0,
            "occupancy": _ratio(busy_int, present_int).ravel(),
        }
    )
    overall["agent_cost"] = float(pools["agent_cost"].sum())
    overall["cost"] = overall["agent_cost"] + overall["telephony_cost"]
    resolved_customers = overall["resolution_rate"] * overall["customers"]
    overall["cost_per_resolved"] = overall["cost"] / resolved_customers if resolved_customers > 0 else np.nan
    lengths = np.arange(s.transfers.max_chain + 1)
    counts = chain_counts(rec, arrival >= warm, s.transfers.max_chain)
    chains = pd.DataFrame({"replication": replication, "transfers": lengths, "contacts": counts,
                           "share": counts / counts.sum() if counts.sum() else np.nan})
    contacts = contacts_frame(rec, s, replication) if keep_contacts else None
    return Replication(replication, overall, intervals, pools, pool_intervals, chains, contacts, elapsed, len(rec))


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def run(
    scenario: Scenario | str | Path | Mapping[str, Any],
    reps: int = 10,
    seed: int | None = None,
    keep_contacts: bool = True,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = 1,
    executor: str = "local",
    scheduler: str | None = None,
) -> RunResult:
    """Run ``reps`` replications of a scenario and collect their KPIs.

    Args:
        scenario: a Scenario, a path to a YAML file, or a dict.
        reps: number of independent replications (simulated days).
        seed: overrides the scenario's seed.
        keep_contacts: keep the per-contact records (``RunResult.contacts``).
        progress: called as ``progress(done, total)`` after each replication.
        workers: worker processes; 1 runs in this process, None uses every core. The results
            are identical whatever the number: replication r always uses stream r.
        executor: ``"local"`` or ``"dask"`` (see :mod:`ccsim.executors`); ``scheduler``: the
            address of a Dask scheduler (none: a local Dask cluster).

    Raises:
        RuntimeError: if a replication raised (with its traceback).

    Example:
        >>> result = ccsim.run("scenarios/erlang_a.yaml", reps=5)
        >>> result.summary()
    """
    s = load_scenario(scenario)
    if reps < 1:
        raise ValueError("reps must be at least 1")
    seed = s.seed if seed is None else seed
    started = time.time()
    done: list[Replication] = []
    tasks = [(s, seed, r, keep_contacts) for r in range(reps)]
    for outcome in run_tasks(simulate, tasks, workers=workers, executor=executor, scheduler=scheduler):
        if outcome.error is not None:
            raise RuntimeError(f"replication {outcome.index} of {s.name} failed:\n{outcome.error}")
        done.append(outcome.result)
        if progress:
            progress(len(done), reps)
    # Sorted by replication inside from_replications: the order of completion never matters.
    return RunResult.from_replications(s, seed, done, started=started, finished=time.time())


__all__ = ["run", "simulate", "Replication", "CONTACT_KPIS"]
