"""What the log cannot show, fitted by simulation against the training months.

The log shows when each service started and ended, not what the agent did in between: after
a call an agent writes notes, takes a breath, answers a colleague. It shows which agents
served calls in an hour, not when in the hour extra hands (a supervisor, the back office)
picked up the phone because callers had waited long. And it shows that callers who find a
long queue hang up much sooner than callers who find none (in the bank's log the hang-up
rate in the first half minute is eight times higher with six to ten callers ahead), not how
the center told them. These change the waits, cannot be measured from the services, and
are fitted: every training day is simulated with its own volume, service times and agents
(:mod:`ccsim.planning.backtest_days`) for candidate values, and the values that reproduce
the training months' interval KPIs best are kept.

The parameters:

- ``wrapup``: mean after-call work per call, seconds, exponential (the intents' ``wrapup``);
- ``reserve``: agents who answer a call of the modelled types only once it has waited
  ``reserve_after`` seconds (an overflow pool named ``reserve``, all day);
- ``balk``: callers who must wait hang up at once with probability ``balk`` per minute of
  the announced wait (queue position x mean handle time / agents; the segment's ``balk``).

The objective: for abandonment, ASA and service level, the offered-weighted MAE of the point
predictions per interval and pooled by hour of day, each divided by Erlang A's on the same
inputs (so each KPI and level counts alike, and 1 means "as good as Erlang A"), averaged over
the six. The search has two stages, because the parameters act together (after-call work
alone lengthens every wait; with a reserve the longest waits are cut): first every
combination of a coarse grid (:data:`COARSE`), then a pattern search on a finer one
(:data:`FINE`) from the best of those: each parameter is moved one step down or up, the best
move that lowers the objective is taken, until none does. The same callers are simulated at
every point (common random numbers), so the comparisons are of the parameters, not of the
noise; ties go to the smaller values.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..experiments.executors import run_tasks
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from .backtest_days import COUNTS, DayInputs, day_key, day_scenario, simulate_day
from .backtest_score import KPIS, comparison_table, errors, point_predictions, pooled

#: Stage 1: every combination of these.
COARSE: dict[str, list[float]] = {
    "wrapup": [0, 15, 30, 45, 60],
    "reserve": [0, 1, 2],
    "reserve_after": [60],
    "balk": [0, 0.015, 0.03],
}
#: Stage 2: a pattern search on these, one step at a time, from the best of stage 1.
FINE: dict[str, list[float]] = {
    "wrapup": [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 70, 80, 90],
    "reserve": [0, 1, 2, 3, 4],
    "reserve_after": [15, 30, 45, 60, 90, 120, 180, 240],
    "balk": [0, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06],
}
DEFAULT_GRID = {"coarse": COARSE, "fine": FINE}
#: The pattern search stops after this many moves even if one more would help.
MAX_MOVES = 12
#: Balking callers hang up at most with this probability, whatever the announced wait.
BALK_MAX = 0.8
#: The smallest Erlang A error used to scale the objective (pp, s, pp): a reference that is
#: almost exact must not make one KPI outweigh the others a thousandfold.
FLOOR = {"abandon_rate": 0.2, "asa_seconds": 1.0, "service_level": 0.2}
RESERVE = "reserve"


@dataclass
class FitResult:
    """The grid evaluated (one row per point: values, objective, errors) and the values kept."""

    grid: pd.DataFrame
    best: dict[str, float]
    reference: dict[str, float]  # Erlang A's MAE per KPI and level on the training days
    reps: int
    days: int


def with_params(base: Scenario | Mapping, params: Mapping[str, float]) -> Scenario:
    """The scenario with the after-call work and the reserve of ``params``."""
    return load_scenario(params_data(base, params))


def params_data(base: Scenario | Mapping, params: Mapping[str, float]) -> dict:
    """:func:`with_params` as plain scenario data (not validated)."""
    data = copy.deepcopy(base.to_dict() if isinstance(base, Scenario) else dict(base))
    wrap = params.get("wrapup", 0.0)
    for intent in data["intents"]:
        intent["wrapup"] = {"dist": "exponential", "mean": float(wrap)} if wrap > 0 else None
    balk = params.get("balk", 0.0)
    for segment in data["segments"]:
        segment["balk"] = {"probability": 0.0, "per_minute": float(balk), "max": BALK_MAX} if balk > 0 else None
    data["pools"] = [p for p in data["pools"] if p["name"] != RESERVE]
    if params.get("reserve", 0) > 0:
        after = float(params.get("reserve_after", 60.0))
        skills = list(dict.fromkeys(i["skill"] for i in data["intents"]))
        template = data["pools"][0]
        data["pools"].append({"name": RESERVE, "agents": float(params["reserve"]),
                              "skills": [{"skill": s, "after": after} for s in skills],
                              "takes": template.get("takes", "skill_order")})
    return data


def _fit_task(scenario: Scenario, days: list[DayInputs], reps: int, seed: int, arrivals: str = "poisson"
              ) -> pd.DataFrame:
    """Counts summed over replications and queues, per (date, interval), for some days."""
    frames = []
    labels = scenario.interval_labels()
    for day in days:
        result = simulate_day(day_scenario(scenario, day), seed, day_key(day.date), range(reps),
                              queues=list(dict.fromkeys(i.skill for i in scenario.intents)), arrivals=arrivals)
        counts = result["counts"].sum(axis=(0, 1))  # intervals x counts
        frame = pd.DataFrame(counts, columns=list(COUNTS))
        frame["date"], frame["interval"] = day.date, labels
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def evaluate(counts: pd.DataFrame, observed: pd.DataFrame, reference: Mapping[str, float]
             ) -> tuple[float, dict[str, float]]:
    """The objective and the errors of one point's simulated counts against the observed table."""
    table = comparison_table(observed, {"ccsim": point_predictions(counts.set_index(["date", "interval"])
                                                                   .assign(replication=0).reset_index())})
    per_interval = errors(table, "ccsim")
    by_hour = errors(pooled(table, "interval", ["ccsim"]), "ccsim")
    out = {f"interval_{k}": v for k, v in per_interval.items()} | {f"hour_{k}": v for k, v in by_hour.items()}
    ratios = []
    for name, _, _ in KPIS:
        for level in ("interval", "hour"):
            ref = max(reference.get(f"{level}_{name}_mae", np.nan), FLOOR[name])
            value = out[f"{level}_{name}_mae"]
            ratios.append(value / ref if math.isfinite(value) else 10.0)
    return float(np.mean(ratios)), out


def fit(base: Scenario, days: list[DayInputs], observed: pd.DataFrame, reference: Mapping[str, float], *,
        grid: Mapping[str, Mapping[str, Sequence[float]]] = DEFAULT_GRID, reps: int = 4, seed: int = 1,
        workers: int | None = None, progress: Callable[[int, int], None] | None = None) -> FitResult:
    """The two-stage search of the module docstring.

    Args:
        base: the scenario with everything the log shows (no after-call work, reserve, balking).
        days: the training days' inputs; observed: their interval KPIs (per date and interval).
        reference: Erlang A's errors on the same days, ``"<level>_<kpi>_mae"``.
        grid: ``{"coarse": {param: values}, "fine": {param: values}}``; a parameter with one
            value in both is held there. Without ``fine`` there is no second stage.
        reps: replications per day and point (the same callers at every point).
        progress: called as ``progress(done, total)`` in simulated days (the total grows as the
            pattern search goes on).
    """
    coarse = {k: sorted(float(v) for v in values) for k, values in grid["coarse"].items()}
    fine = {k: sorted(set(float(v) for v in values) | set(coarse.get(k, ())))
            for k, values in (grid.get("fine") or {}).items()}
    seen: dict[tuple, tuple[float, dict[str, float]]] = {}
    count = [0, 0]

    def tick(n: int) -> None:
        count[0] += n
        if progress:
            progress(count[0], max(count))

    stage1 = []
    for values in itertools.product(*coarse.values()):
        point = dict(zip(coarse, values, strict=True))
        if point.get("reserve", 0) == 0 and "reserve_after" in point:
            point["reserve_after"] = coarse["reserve_after"][0]
        stage1.append(point)
    stage1 = [dict(k) for k in dict.fromkeys(_key(p) for p in stage1)]
    count[1] += len(stage1) * len(days)
    _evaluate_all(base, days, observed, reference, stage1, seen, reps, seed, workers, tick)
    current = _best(stage1, seen)
    for _ in range(MAX_MOVES if fine else 0):
        moves = []
        for key, values in fine.items():
            if key == "reserve_after" and current.get("reserve", 0) == 0:
                continue  # no reserve: its waiting time changes nothing
            here = current.get(key, 0.0)
            at = int(np.argmin([abs(v - here) for v in values]))
            moves += [{**current, key: values[i]} for i in (at - 1, at + 1) if 0 <= i < len(values)]
        fresh = [p for p in moves if _key(p) not in seen]
        count[1] += len({_key(p) for p in fresh}) * len(days)
        _evaluate_all(base, days, observed, reference, moves, seen, reps, seed, workers, tick)
        best = _best([*moves, current], seen)
        if seen[_key(best)][0] >= seen[_key(current)][0]:
            break
        current = best
    if progress:
        progress(count[0], count[0])
    rows = [{**dict(k), "objective": v[0], **v[1]} for k, v in seen.items()]
    table = pd.DataFrame(rows).sort_values(["objective", *coarse], kind="stable").reset_index(drop=True)
    return FitResult(table, {k: float(v) for k, v in current.items()}, dict(reference), reps, len(days))


def _best(points: list[dict[str, float]], seen: dict) -> dict[str, float]:
    """The point with the lowest objective; among equals, the smallest values."""
    return min(points, key=lambda p: (round(seen[_key(p)][0], 9), *(v for _, v in sorted(p.items()))))


def _key(point: Mapping[str, float]) -> tuple:
    return tuple(sorted(point.items()))


def _evaluate_all(base, days, observed, reference, candidates, seen, reps, seed, workers, tick) -> None:
    """Simulate the points not seen yet (all their days as tasks at once) and record their scores."""
    new = [p for p in dict.fromkeys(_key(p) for p in candidates) if p not in seen]
    if not new:
        return
    scenarios = [with_params(base, dict(k)) for k in new]
    chunk = max(1, math.ceil(len(days) / 8))
    tasks, owners = [], []
    for k, scenario in enumerate(scenarios):
        for first in range(0, len(days), chunk):
            tasks.append((scenario, days[first:first + chunk], reps, seed))
            owners.append(k)
    parts: dict[int, list[pd.DataFrame]] = {k: [] for k in range(len(new))}
    with closing(run_tasks(_fit_task, tasks, workers=workers)) as outcomes:
        for outcome in outcomes:
            if outcome.error is not None:
                raise RuntimeError(f"the fit's simulation failed:\n{outcome.error}")
            parts[owners[outcome.index]].append(outcome.result)
            tick(len(tasks[outcome.index][1]))
    for k, key in enumerate(new):
        seen[key] = evaluate(pd.concat(parts[k], ignore_index=True), observed, reference)
