"""The staffing search over the day: the cheapest plan whose day-long KPIs meet the targets.

"80% answered in 20 seconds over the day" lets a quiet 19:30 carry a busy 10:00. Each
interval's agents are worth what they add to the day's KPI: an agent at 10:00 answers many
calls in time, one at 19:30 few. The search estimates that worth for every interval and pool
from the Erlang-calibrated view of the interval (:func:`staffing_goals.agent_step`'s effective
agents), weighted by the interval's share of the day's contacts, and per unit of cost:

1. while a day target is missed, add one agent where an agent is worth most per cost;
2. remove agents where they are worth least per cost, as many as half the room to the target
   is predicted to allow; a batch after which the day misses is halved until one removal is
   left, which is then not tried again;
3. prove as per interval: every single removal, simulated alone, must make the day miss.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..analysis.erlang_staffing import evaluate_targets
from .staffing_eval import Evaluation
from .staffing_goals import Goal, Queueing, agents_at
from .staffing_search import APPROACH_ROUNDS, Search, _minus, prove_and_prune

#: Worst values of each KPI (no steady state): nobody answered in time, everybody waits.
_WORST = {"service_level": 0.0, "asa_seconds": 3600.0, "abandon_rate": 1.0, "p_wait": 1.0}


def search_day(run: Search, start: np.ndarray) -> tuple[np.ndarray, Evaluation]:
    """The cheapest plan (by the greedy worth per cost) whose day KPIs meet the goals on the sample."""
    if run.locked is None:
        run.locked = np.zeros(start.shape, bool)
    run.locked[:] = False
    x, e = _approach(run, start.copy())
    return _prune(run, x, e)


def prove_day(run: Search, x: np.ndarray, e: Evaluation) -> tuple[np.ndarray, Evaluation, bool]:
    """Every single removal must make the day miss; one that does not is made, and the proof repeated."""
    x, e, changed = prove_and_prune(run, x, e, _prove, _prune)
    return run.prob.tie(x), e, changed


def day_met(run: Search, e: Evaluation) -> np.ndarray:
    return e.met(run.prob.goals, run.prob.confidence, key="day")


def _margins(run: Search, e: Evaluation) -> np.ndarray:
    value = e.judged(run.prob.goals, run.prob.confidence, key="day")
    return np.array([g.margin(value[i]) for i, g in enumerate(run.prob.goals)])


def _approach(run: Search, x: np.ndarray) -> tuple[np.ndarray, Evaluation]:
    prob = run.prob
    moved = None
    for _ in range(APPROACH_ROUNDS):
        (e,) = run.evaluate([x], "approach", moved)
        missed = np.flatnonzero(~day_met(run, e))
        if not len(missed):
            return x, e
        margins = _margins(run, e)
        worth = _worth(run, e, x, +1)
        score = []
        for j in range(len(prob.free)):
            for k in np.flatnonzero(prob.judged):
                if x[j, k] + 1 <= prob.cap[j]:
                    gain = sum(max(worth[g][j, k], 0.0) / max(-margins[g], 1e-9) for g in missed)
                    score.append((gain / prob.cost[j], j, int(k)))
        if not score:
            run.unreachable.update(int(k) for k in np.flatnonzero(prob.judged))
            return x, e
        score.sort(reverse=True)
        chosen, total = [], np.zeros(len(prob.goals))
        for _, j, k in score:
            chosen.append((j, k))
            total += np.array([max(worth[g][j, k], 0.0) for g in range(len(prob.goals))])
            if all(total[g] >= 1.5 * -margins[g] for g in missed):
                break
        for j, k in chosen:
            x[j, k] += 1
        prob.tie(x)
        moved = len({k for _, k in chosen})
    (e,) = run.evaluate([x], "approach", moved)
    return x, e


def _prune(run: Search, x: np.ndarray, e: Evaluation) -> tuple[np.ndarray, Evaluation]:
    prob = run.prob
    tries = 0
    while tries < 4 * prob.judged.sum() * len(prob.free):
        if not day_met(run, e).all():
            return x, e
        margins = _margins(run, e)
        loss = _worth(run, e, x, -1)
        room = (x >= 1) & prob.judged[None, :] & ~run.locked
        pairs = [(j, int(k)) for j in range(len(prob.free)) for k in np.flatnonzero(room[j])]
        if not pairs:
            return x, e

        pairs.sort(key=lambda pair, loss=loss, margins=margins: _price(prob, loss, margins, pair))
        batch, spent = [], np.zeros(len(prob.goals))
        for j, k in pairs:
            more = np.array([max(-loss[g][j, k], 0.0) for g in range(len(prob.goals))])
            if batch and ((spent + more) > 0.5 * margins).any():
                break
            batch.append((j, k))
            spent += more
        while batch:
            tries += 1
            trial = _minus(prob, x, batch)
            (f,) = run.evaluate([trial], "prune", len({k for _, k in batch}))
            if day_met(run, f).all():
                x, e = trial, f
                break
            if len(batch) == 1:
                run.locked[batch[0]] = True
                break
            batch = batch[:len(batch) // 2]
    return x, e


def _price(prob: Any, loss: list[np.ndarray], margins: np.ndarray, pair: tuple[int, int]) -> float:
    """What a removal costs in room to the targets (the goal it eats most into), per unit of cost saved."""
    j, k = pair
    worst = max(max(-loss[g][j, k], 0.0) / max(margins[g], 1e-9) for g in range(len(prob.goals)))
    return worst / prob.cost[j]


def _prove(run: Search, x: np.ndarray, e: Evaluation) -> list[dict[str, Any]]:
    prob = run.prob
    base = ~day_met(run, e)
    pairs = [(j, int(k)) for j in range(len(prob.free)) for k in np.flatnonzero(prob.judged) if x[j, k] >= 1]
    if not pairs:
        return []
    found = run.evaluate([_minus(prob, x, [pair]) for pair in pairs], "proof", len(pairs))
    checks = []
    for (j, k), f in zip(pairs, found, strict=True):
        new = np.flatnonzero(~day_met(run, f) & ~base)
        checks.append({"row": j, "interval": k, "passed": bool(len(new)), "missed": [], "goals": [int(g) for g in new],
                       "same": False})
    return checks


def _worth(run: Search, e: Evaluation, x: np.ndarray, sign: int) -> list[np.ndarray]:
    """Per goal (free pools x intervals): the change of the day's value (towards the good side
    positive) when one agent of the pool is added (sign +1) or removed (-1) in the interval."""
    prob = run.prob
    mean = e.ci("values")[0]
    weight = e.mean("weight")
    out = []
    for g, goal in enumerate(prob.goals):
        total = np.nansum(weight[g][prob.judged])
        table = np.zeros((len(prob.free), x.shape[1]))
        rows = prob.rows_for(goal)
        for k in np.flatnonzero(prob.judged):
            if not total > 0 or not np.isfinite(mean[g, k]) or weight[g, k] <= 0:
                continue
            q = prob.queueing(goal, e, k)
            n = prob.agents_in(goal, x, k)
            for j in rows:
                dn = sign * prob.duty[j, k]
                change = _change(goal, q, n, dn, mean[g, k])
                table[j, k] = goal.margin(mean[g, k] + change) - goal.margin(mean[g, k])
            table[:, k] *= weight[g, k] / total
        out.append(table)
    return out


def _change(goal: Goal, q: Queueing | None, n: float, dn: float, value: float) -> float:
    """The KPI's change when the scope's agents go from n to n + dn (Erlang-calibrated)."""
    if goal.target.kpi == "occupancy":
        return value * (n / (n + dn) - 1) if n + dn > 0 else 1.0 - value
    if q is None:
        return 0.0
    have = agents_at(goal, q, value)
    if have is None:
        return 0.0
    return _erlang(goal, q, have + dn) - _erlang(goal, q, have)


def _erlang(goal: Goal, q: Queueing, agents: float) -> float:
    """The goal's KPI by Erlang C/A at fractional agents (linear between whole numbers)."""
    lo = math.floor(agents)
    share = agents - lo
    values = []
    for m in (lo, lo + 1):
        if m < 1:
            values.append(_WORST[goal.target.kpi])
            continue
        _, found = evaluate_targets(q.rate, q.aht, m, [goal.target], q.patience, goal.target.sl_seconds or 20.0)
        v = next(iter(found.values()))
        values.append(_WORST[goal.target.kpi] if not np.isfinite(v) else v)
    return values[0] + share * (values[1] - values[0])
