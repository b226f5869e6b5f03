"""Running replications: from a scenario to tables of KPIs.

A planner asks "what happens on a day like this?" and gets the answer over many simulated
days: replication r of a scenario with seed s always simulates the same callers, whatever
else is being run, so a run can be repeated, split across workers, or compared with another
staffing plan caller by caller.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

from ..analysis.kpis import CONTACT_KPIS
from ..analysis.tables import Replication, replication_tables
from ..engine.model import Model
from ..engine.plan import Plan, compile_plan
from ..engine.streams import Streams
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from .executors import Interrupted, interrupt_once, run_tasks
from .results import RunResult


def simulate(plan: Plan | Scenario, seed: int, replication: int, keep_contacts: bool = True) -> Replication:
    """Simulate one replication and compute its tables from the records.

    ``plan`` is the compiled scenario (:func:`~ccsim.engine.plan.compile_plan`); a Scenario is
    compiled here, which a run of many replications should not pay for each time.
    """
    if isinstance(plan, Scenario):
        plan = compile_plan(plan)
    started = time.perf_counter()
    model = Model(plan, Streams(seed, replication)).run()
    elapsed = time.perf_counter() - started
    rep = replication_tables(plan.scenario, model, replication, keep_contacts, elapsed)
    rep.scenario = plan.scenario
    return rep


def _simulate_remote(plan: Plan, seed: int, replication: int, keep_contacts: bool) -> Replication:
    """:func:`simulate` in a worker: the scenario stays home (the caller has it)."""
    rep = simulate(plan, seed, replication, keep_contacts)
    rep.scenario = None
    return rep


#: The per-contact table is kept by default only when a run is expected to have at most this
#: many contacts in all (expected contacts of a day × replications): 200,000 contacts are
#: about 13 MB of Parquet, while 100 replications of a busy day would be hundreds of MB.
CONTACTS_LIMIT = 200_000


def expected_contacts(scenario: Scenario) -> float:
    """Contacts one replication is expected to have: the arrival rates over the horizon."""
    return float(scenario.rates_per_hour().sum() * scenario.interval_seconds / 3600)


def keeps_contacts(scenario: Scenario, reps: int) -> bool:
    """The default for ``keep_contacts``: keep the per-contact table when the run is expected to
    have at most :data:`CONTACTS_LIMIT` contacts in all (expected contacts × replications)."""
    return expected_contacts(scenario) * reps <= CONTACTS_LIMIT


def run(
    scenario: Scenario | str | Path | Mapping[str, Any],
    reps: int = 10,
    seed: int | None = None,
    keep_contacts: bool | None = None,
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
        keep_contacts: keep the per-contact records (``RunResult.contacts``): True or False,
            or None (default) to keep them when the run is expected to have at most
            :data:`CONTACTS_LIMIT` (200,000) contacts in all, see :func:`keeps_contacts`.
        progress: called as ``progress(done, total)`` after each replication.
        workers: worker processes; 1 runs in this process, None uses every core. The results
            are identical whatever the number: replication r always uses stream r.
        executor: ``"local"`` or ``"dask"`` (see :mod:`ccsim.executors`); ``scheduler``: the
            address of a Dask scheduler (none: a local Dask cluster).

    Raises:
        RuntimeError: if a replication raised (with its traceback).
        Interrupted: on Ctrl-C (a ``KeyboardInterrupt``): the workers are stopped at once and
            nothing is returned; ``done`` says how many replications had finished.

    Example:
        >>> result = ccsim.run("scenarios/erlang_a.yaml", reps=5)
        >>> result.summary()
    """
    s = load_scenario(scenario)
    if reps < 1:
        raise ValueError("reps must be at least 1")
    seed = s.seed if seed is None else seed
    keep = keeps_contacts(s, reps) if keep_contacts is None else bool(keep_contacts)
    started = time.time()
    done: list[Replication] = []
    plan = compile_plan(s)  # once for the run, shared by every replication
    tasks = [(plan, seed, r, keep) for r in range(reps)]
    with interrupt_once():
        try:
            with closing(run_tasks(_simulate_remote, tasks, workers=workers, executor=executor,
                                   scheduler=scheduler)) as outcomes:
                for outcome in outcomes:
                    if outcome.error is not None:
                        raise RuntimeError(f"replication {outcome.index} of {s.name} failed:\n{outcome.error}")
                    done.append(outcome.result)
                    if progress:
                        progress(len(done), reps)
            # Sorted by replication inside from_replications: the order of completion never matters.
            return RunResult.from_replications(s, seed, done, started=started, finished=time.time())
        except Interrupted:
            raise
        except KeyboardInterrupt:
            raise Interrupted(len(done), reps) from None


__all__ = ["run", "simulate", "Replication", "CONTACT_KPIS"]
