"""The staffing problem: which pools change, what each goal judges, and where the search starts.

A bank's generalists, card specialists and mortgage specialists all help with card calls;
the wait KPIs are measured at the first queue a caller joins. So a goal on the whole center
judges every pool that answers a queue callers join first; a goal on the cards queue judges
the pools that answer cards; an occupancy ceiling judges its own pool; the abandon rate
(hang-ups in any queue) judges every pool. A pool that no goal judges keeps its staffing: a
search would otherwise be free to empty it.

The start is the analytic requirement where Erlang describes the pool's work (a pool that is
the only one answering its queue, and answers nothing else: :func:`forecast_erlang.single_skill_queues`),
else a proportional guess: the work the pool did at the current staffing (its busy hours per
interval), staffed by Erlang for the same target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..analysis.erlang_staffing import required_agents
from ..analysis.erlang_targets import Target
from ..engine.plan import compile_plan
from ..spec.scenario import Scenario
from .forecast_erlang import erlang_requirement, single_skill_queues
from .staffing_eval import Evaluation
from .staffing_goals import Goal, Queueing, agent_step

#: KPIs of a center goal that the first queue joined decides (wait KPIs).
WAIT_KPIS = ("service_level", "asa_seconds", "p_wait")
_QUEUE_COLUMN = {"service_level": "q_service_level", "asa_seconds": "q_asa_seconds", "abandon_rate": "q_abandon_rate",
                 "p_wait": "q_service_level"}


@dataclass
class Problem:
    """Everything the search needs to know besides the simulations."""

    scenario: Scenario  # as judged (service-level thresholds set)
    goals: list[Goal]
    free: tuple[int, ...]  # pool numbers being staffed (rows of a plan)
    per: str
    confidence: str
    current: np.ndarray  # free pools x intervals: the scenario's agents
    judged: np.ndarray  # per interval: judged (False: warm-up)
    hours: float  # interval length
    duty: np.ndarray = field(init=False)  # free pools x intervals: agents on duty per scheduled agent
    cost: np.ndarray = field(init=False)  # per free pool: cost per agent-hour (weights of choices)
    cap: np.ndarray = field(init=False)  # per free pool: most agents per interval the search may use
    on_duty: np.ndarray = field(init=False)  # pools x intervals: on duty at the current staffing
    mean_handle: np.ndarray = field(init=False)  # per queue
    patience: float | None = field(init=False)
    primary: list[list[int]] = field(init=False)  # per queue: pools answering at once
    serving: list[list[int]] = field(init=False)  # per queue: pools answering at all
    first_queues: list[int] = field(init=False)  # queues callers join first

    def __post_init__(self) -> None:
        s = self.scenario
        n = s.n_intervals
        plan = compile_plan(s)
        self.on_duty = np.asarray(plan.available, float).reshape(len(s.pools), n)
        self.duty = np.array([_duty(s, p) for p in self.free]).reshape(len(self.free), n)
        costs = np.array([s.pools[p].cost_per_hour * s.pools[p].scale for p in self.free], float)
        self.cost = costs if (costs > 0).all() else np.ones(len(self.free))
        self.cap = np.full(len(self.free), 1e9)
        self.mean_handle = np.array(plan.mean_handle, float)
        self.patience = _patience(s)
        queues = s.queue_names()
        self.primary = [[p for p, pool in enumerate(s.pools) for r in pool.skills if r.skill == q and r.after == 0]
                        for q in queues]
        self.serving = [[p for p, pool in enumerate(s.pools) for r in pool.skills if r.skill == q] for q in queues]
        self.first_queues = list(range(len(queues)))

    # -- structure ------------------------------------------------------------------------------

    @property
    def first(self) -> int:
        """The first judged interval (warm-up intervals take its staffing)."""
        return int(np.flatnonzero(self.judged)[0])

    def tie(self, agents: np.ndarray) -> np.ndarray:
        """Warm-up intervals staffed like the first judged one (they are not judged themselves)."""
        agents[:, ~self.judged] = agents[:, [self.first]]
        return agents

    def scope_pools(self, goal: Goal) -> list[int]:
        """Every pool (free or not) that works for the goal."""
        if goal.scope == "pool":
            return [goal.index]
        if goal.scope == "queue":
            return self.serving[goal.index]
        if goal.target.kpi in WAIT_KPIS:
            return sorted({p for q in self.first_queues for p in self.serving[q]})
        return list(range(len(self.scenario.pools)))

    def rows_for(self, goal: Goal) -> list[int]:
        """The free pools (rows) a goal judges."""
        pools = set(self.scope_pools(goal))
        return [j for j, p in enumerate(self.free) if p in pools]

    def judges(self, row: int) -> list[int]:
        """The goals that judge a free pool."""
        return [g for g, goal in enumerate(self.goals) if row in self.rows_for(goal)]

    # -- the Erlang view of one interval ---------------------------------------------------------

    def agents_in(self, goal: Goal, agents: np.ndarray, k: int) -> float:
        """Agents on duty for the goal in interval k with the free pools staffed ``agents`` (for a
        queue, the pools answering it at once, if any)."""
        pools = self.scope_pools(goal)
        if goal.scope == "queue" and self.primary[goal.index]:
            pools = self.primary[goal.index]
        total = 0.0
        for p in pools:
            if p in self.free:
                j = self.free.index(p)
                total += agents[j, k] * self.duty[j, k]
            else:
                total += self.on_duty[p, k]
        return total

    def queueing(self, goal: Goal, e: Evaluation, k: int) -> Queueing | None:
        if goal.scope == "pool":
            return None
        if goal.scope == "queue":
            offered = e.mean("q_offered")[goal.index, k]
            aht = self.mean_handle[goal.index]
        else:
            by_queue = e.mean("q_offered")[:, k]
            offered = float(e.mean("offered")[k])
            aht = float(by_queue @ self.mean_handle / by_queue.sum()) if by_queue.sum() > 0 else 0.0
        if not offered > 0:
            return None
        return Queueing(offered / self.hours, aht, self.patience)

    def step(self, g: int, e: Evaluation, agents: np.ndarray, k: int, value: float) -> float | None:
        """Agents on duty the goal's scope needs added (negative: could lose) in interval k."""
        goal = self.goals[g]
        occupancy = e.mean("occupancy")[goal.index, k] if goal.scope == "pool" else None
        return agent_step(goal, self.queueing(goal, e, k), self.agents_in(goal, agents, k), value, occupancy)

    # -- which pool --------------------------------------------------------------------------------

    def pool_to_add(self, g: int, e: Evaluation, agents: np.ndarray, k: int) -> int | None:
        """The free pool to give an agent when goal g misses in interval k.

        For a center goal, the queue that falls shortest (contacts offered times the shortfall of
        its own KPI) decides: a pool answering it at once, else one answering it at all. For a
        queue goal, a pool answering that queue at once. Among those, the busiest (highest
        occupancy in the interval), then the cheapest.
        """
        goal = self.goals[g]
        rows = [j for j in self.rows_for(goal) if agents[j, k] + 1 <= self.cap[j]]
        if not rows:
            return None
        preferred: list[int] = []
        if goal.scope == "center":
            offered = e.mean("q_offered")[:, k]
            values = e.mean(_QUEUE_COLUMN[goal.target.kpi])[:, k]
            bound = goal.target.bound if goal.target.kpi != "p_wait" else 1.0
            short = []
            for q in self.first_queues:
                v = values[q]
                gap = (bound - v if goal.floor or goal.target.kpi == "p_wait" else v - bound) if np.isfinite(v) else 0.0
                short.append((offered[q] * max(gap, 0.0), offered[q], q))
            if short:
                q = max(short)[2]
                preferred = [j for j in rows if self.free[j] in self.primary[q]] or \
                    [j for j in rows if self.free[j] in self.serving[q]]
        elif goal.scope == "queue":
            preferred = [j for j in rows if self.free[j] in self.primary[goal.index]]
        rows = preferred or rows
        occupancy = e.mean("occupancy")[:, k]
        return max(rows, key=lambda j: (_finite(occupancy[self.free[j]]), -self.cost[j]))

    def pool_to_remove(self, e: Evaluation, rows: list[int], k: int) -> int:
        """Of the pools that could lose an agent in interval k, the least busy, then the dearest."""
        occupancy = e.mean("occupancy")[:, k]
        return min(rows, key=lambda j: (_finite(occupancy[self.free[j]]), -self.cost[j]))


def _finite(x: float) -> float:
    return float(x) if np.isfinite(x) else 0.0


def _duty(s: Scenario, p: int) -> np.ndarray:
    """Agents on duty per scheduled agent in each interval: shrinkage, absence and scale."""
    pool = s.pools[p]
    shrink = np.broadcast_to(np.asarray(pool.shrinkage if pool.shrinkage is not None else 0.0, float),
                             (s.n_intervals,))
    return (1 - shrink) * (1 - pool.absence) * pool.scale


def _patience(s: Scenario) -> float | None:
    """The callers' mean patience (share-weighted over segments; callers who never hang up lengthen it)."""
    finite = [(g.share, g.patience.mean) for g in s.segments if g.patience is not None]
    if not finite:
        return None
    share = sum(w for w, _ in finite)
    return sum(w * m for w, m in finite) / share / share


def judged_pools(prob: Problem, pilot: Evaluation) -> tuple[tuple[int, ...], list[str]]:
    """The free pools some goal judges, and a note for each one that no goal does.

    The queues callers join first are read from the pilot run (queues with contacts offered).
    """
    offered = pilot.mean("q_offered").sum(axis=1)
    prob.first_queues = [q for q in range(len(offered)) if offered[q] > 0]
    keep, notes = [], []
    names = prob.scenario.queue_names()
    for j, p in enumerate(prob.free):
        if prob.judges(j):
            keep.append(p)
            continue
        pool = prob.scenario.pools[p]
        skills = ", ".join(r.skill for r in pool.skills)
        notes.append(f"pool {pool.name} keeps its staffing: no target judges it (it answers {skills}, which callers "
                     "reach only by transfer, and the wait KPIs are those of the first queue joined; an abandon or "
                     "occupancy target, e.g. abandon<=0.05 or occ<=0.9, would judge it)"
                     if not any(names.index(r.skill) in prob.first_queues for r in pool.skills)
                     else f"pool {pool.name} keeps its staffing: no target judges it")
    return tuple(keep), notes


def start(prob: Problem, pilot: Evaluation | None) -> tuple[np.ndarray, list[str]]:
    """The analytic start: Erlang where it describes a pool's work, else its measured work in the
    pilot run (None: no work measured) staffed by Erlang."""
    s = prob.scenario
    n = s.n_intervals
    x = np.zeros((len(prob.free), n))
    how = []
    fit, _ = single_skill_queues(s)
    by_pool = {pool.name: q for q, pool in fit.items()}
    busy = pilot.mean("busy") if pilot is not None else np.zeros((len(s.pools), n))
    occupancy = pilot.mean("occupancy") if pilot is not None else np.zeros((len(s.pools), n))
    for j, p in enumerate(prob.free):
        pool = s.pools[p]
        goals = [prob.goals[g] for g in prob.judges(j)]
        waits = [g.target for g in goals if g.target.kpi != "occupancy"]
        occ = min((g.target.bound for g in goals if g.target.kpi == "occupancy"), default=None)
        need = None
        wanted = waits + ([Target("occupancy", occ)] if occ is not None else [])
        if pool.name in by_pool and wanted:
            try:
                table = erlang_requirement(s, wanted, queues=[by_pool[pool.name]])
                need = table["required"].to_numpy(float)
                how.append(f"{pool.name}: Erlang {'A' if prob.patience else 'C'} for queue {by_pool[pool.name]}")
            except (ValueError, KeyError):
                need = None
        if need is None:
            load = busy[p] / prob.hours  # agents busy on average: the work done at the current staffing
            queue = s.queue_names().index(pool.skills[0].skill)
            aht = prob.mean_handle[queue] or 180.0
            need = np.array([_erlang_agents(load[k], aht, waits, occ, prob.patience) for k in range(n)])
            saturated = occupancy[p] > 0.97
            need = np.where(saturated, np.maximum(need, prob.on_duty[p]), need)
            how.append(f"{pool.name}: its measured work staffed by Erlang (proportional guess)")
        with np.errstate(invalid="ignore", divide="ignore"):
            x[j] = np.ceil(np.where(prob.duty[j] > 0, need / prob.duty[j], need) - 1e-9)
    x = prob.tie(np.maximum(x, 0))
    prob.cap = np.maximum(20.0, 3 * np.maximum(x.max(axis=1), prob.current.max(axis=1)))
    return x, how


def _erlang_agents(load: float, aht: float, targets: list[Target], occ: float | None, patience: float | None) -> float:
    """Agents on duty Erlang gives a load (in busy agents) for the targets; 0 without load."""
    if not load > 1e-9:
        return 0.0
    rate = load * 3600.0 / aht
    try:
        return float(required_agents(rate, aht, targets or None, patience, max_occupancy=occ).required)
    except ValueError:
        return math.ceil(load / (occ or 0.85))
