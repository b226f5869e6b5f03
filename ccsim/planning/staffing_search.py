"""The staffing search, interval by interval: approach, prune, prove.

1. **Approach** (Erlang-calibrated steps). Simulate the plan; read each interval as an Erlang
   queue whose agents are shifted until Erlang gives the simulated value (the 'effective
   agents'); the step is Erlang's requirement minus those effective agents — add where the
   target is missed, remove where it holds with room to spare, all intervals at once. The
   simulation carries what one interval leaves to the next (a backlog at 10:30 after a short
   10:00), so the steps are recalibrated each round; an interval whose step changed direction
   moves one agent at a time from then on.
2. **Prune** (one agent at a time). Try one agent fewer in every third interval that meets
   its targets (removals three intervals apart hardly touch each other's KPIs); keep the
   removals after which every interval still meets them; an interval missing after the
   removals sends back the removal nearest to it, and that one is not tried again. With
   several pools each pool's removals are first tried apart, and each interval loses an agent
   of the dearest pool that can spare one.
3. **Proof**. Every single removal (one agent, one interval, one pool) is simulated alone on the
   same sample: it must make some interval miss (local minimality). A removal that does not is
   made and the proof repeated once; what the second proof finds is reported. A verification
   run with fresh seeds must not contradict the claim in any interval (:func:`verify`); where
   it does, its replications join the sample and the search goes on from the plan it had.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from .staffing_eval import Evaluation, Evaluator, Sample
from .staffing_model import Problem

#: Rounds of the approach at most (each one batch of replications).
APPROACH_ROUNDS = 30
#: Proofs (full rounds of single removals) at most: a removal the first finds possible is
#: made and the plan proven again; what the last finds is reported, not made.
PROOFS = 2
#: Removals tried together are this many intervals apart (a removal at 10:00 changes 09:30,
#: whose callers still wait at 10:00, and 10:30, which inherits the backlog).
STRIDE = 3


@dataclass
class Search:
    """The state of a search: the sample it judges on, its history, what it has learnt."""

    prob: Problem
    ev: Evaluator
    sample: Sample
    history: list[dict[str, Any]] = field(default_factory=list)
    locked: np.ndarray | None = None  # free pools x intervals: removals known (tentatively) to fail
    unreachable: set[int] = field(default_factory=set)  # intervals no free pool can help
    checks: list[dict[str, Any]] = field(default_factory=list)
    proofs: int = 0
    best: np.ndarray | None = None  # the cheapest plan seen that meets the goals on the sample
    best_cost: float = math.inf

    def evaluate(self, plans: list[np.ndarray], phase: str, moving: int | None = None) -> list[Evaluation]:
        before = self.ev.simulated
        self.ev.tell(phase, len(self.history) + 1, moving)
        found = self.ev.evaluate(plans, self.sample)
        for plan, f in zip(plans, found, strict=True):
            cost = float((plan * self.prob.cost[:, None]).sum())
            if cost < self.best_cost and self.feasible(f):
                self.best, self.best_cost = plan.copy(), cost
        self.history.append({"round": len(self.history) + 1, "phase": phase, "plans": len(plans),
                             "moving": moving, "replications": self.ev.simulated - before,
                             "missing": self.missing_count(found[0]) if len(found) == 1 else None})
        return found

    def feasible(self, e: Evaluation) -> bool:
        """Every goal met on the sample (intervals no pool can help aside)."""
        if self.prob.per == "day":
            return bool(e.met(self.prob.goals, self.prob.confidence, key="day").all())
        miss = self.missing(e)
        miss[sorted(self.unreachable)] = False
        return not miss.any()

    def missing_count(self, e: Evaluation) -> int:
        if self.prob.per == "day":
            return int((~e.met(self.prob.goals, self.prob.confidence, key="day")).sum())
        return int(self.missing(e).sum())

    def met(self, e: Evaluation) -> np.ndarray:
        """Goals x intervals: the goal holds (warm-up intervals always do)."""
        met = e.met(self.prob.goals, self.prob.confidence)
        met[:, ~self.prob.judged] = True
        return met

    def missing(self, e: Evaluation) -> np.ndarray:
        return ~self.met(e).all(axis=0)


def search_intervals(run: Search, start: np.ndarray) -> tuple[np.ndarray, Evaluation]:
    """The fewest agents per interval and pool meeting every goal in every judged interval (on the sample)."""
    if run.locked is None:
        run.locked = np.zeros(start.shape, bool)
    run.locked[:] = False
    x, e = approach(run, start.copy())
    if run.unreachable:  # no staffing of these pools meets the goals there: back to the start, left alone
        lost = sorted(run.unreachable)
        x[:, lost] = start[:, lost]
        (e,) = run.evaluate([run.prob.tie(x)], "approach", len(lost))
        run.locked[:, lost] = True
    return prune(run, x, e)


def prove_intervals(run: Search, x: np.ndarray, e: Evaluation) -> tuple[np.ndarray, Evaluation, bool]:
    """Prove local minimality; a removal the proof finds possible is made and the proof repeated.

    Returns the plan, its evaluation, and whether the proof changed the plan.
    """
    return prove_and_prune(run, x, e, prove_minimal, prune)


def prove_and_prune(run: Search, x: np.ndarray, e: Evaluation, prove: Any, prune_spare: Any
                    ) -> tuple[np.ndarray, Evaluation, bool]:
    """Up to PROOFS rounds: ``prove`` checks every single removal; the removals that keep the
    targets met are made by ``prune_spare`` (everything else locked), and the proof is repeated.
    Per interval and per day differ only in how they prove and prune."""
    changed = False
    for attempt in range(PROOFS):
        run.checks = prove(run, x, e)
        run.proofs += 1
        spare = [(c["row"], c["interval"]) for c in run.checks if not c["passed"]]
        if not spare or attempt == PROOFS - 1:  # the checks reported are those of the plan returned
            break
        run.locked[:] = True
        for j, k in spare:
            run.locked[j, k] = False
        y, e = prune_spare(run, x, e)
        changed = changed or bool((y != x).any())
        x = y
    run.locked[:] = False
    return x, e, changed


def approach(run: Search, x: np.ndarray) -> tuple[np.ndarray, Evaluation]:
    """Erlang-calibrated steps until every interval meets its goals and none has room to spare."""
    prob = run.prob
    n = x.shape[1]
    flipped = np.zeros(n, bool)
    last = np.zeros(n, int)
    moved: int | None = None
    e = None
    for _ in range(APPROACH_ROUNDS):
        (e,) = run.evaluate([x], "approach", moved)
        moves = _moves(run, x, e, flipped)
        if not moves:
            return x, e
        for k, (j, d) in moves.items():
            direction = 1 if d > 0 else -1
            if last[k] and direction != last[k]:
                flipped[k] = True
            last[k] = direction
            x[j, k] += d
        prob.tie(x)
        moved = len(moves)
    (e,) = run.evaluate([x], "approach", moved)
    return x, e


def _moves(run: Search, x: np.ndarray, e: Evaluation, flipped: np.ndarray) -> dict[int, tuple[int, int]]:
    """Per interval, (pool row, agents to add or remove) from the Erlang-calibrated steps."""
    prob = run.prob
    met = run.met(e)
    value = e.judged(prob.goals, prob.confidence)
    moves: dict[int, tuple[int, int]] = {}
    for k in np.flatnonzero(prob.judged):
        missed = np.flatnonzero(~met[:, k])
        if len(missed):
            best = None
            for g in missed:
                j = prob.pool_to_add(int(g), e, x, k)
                if j is None:
                    continue
                step = prob.step(int(g), e, x, k, value[g, k])
                add = 1 if step is None or step <= 0 else math.ceil(step / max(prob.duty[j, k], 1e-9) - 1e-9)
                limit = 1 if flipped[k] else max(2, math.ceil(0.5 * x[j, k]))
                add = int(min(max(add, 1), limit, prob.cap[j] - x[j, k]))
                if add >= 1 and (best is None or add > best[1]):
                    best = (j, add)
            if best is None:
                run.unreachable.add(int(k))
            else:
                moves[int(k)] = best
            continue
        if flipped[k]:
            continue
        spare = []
        for j in range(len(prob.free)):
            if x[j, k] < 1:
                continue
            steps = [prob.step(g, e, x, k, value[g, k]) for g in prob.judges(j)]
            if not steps or any(s is None for s in steps):
                continue
            room = -max(steps) / max(prob.duty[j, k], 1e-9)
            r = int(min(math.floor(room + 1e-9), max(1, math.floor(0.25 * x[j, k])), x[j, k]))
            if r >= 1:
                spare.append((j, r))
        if spare:
            j = prob.pool_to_remove(e, [j for j, _ in spare], k)
            moves[int(k)] = (j, -dict(spare)[j])
    return moves


def prune(run: Search, x: np.ndarray, e: Evaluation) -> tuple[np.ndarray, Evaluation]:
    """One agent fewer wherever every interval still meets its goals afterwards."""
    prob = run.prob
    locked = run.locked
    every = np.arange(x.shape[1])
    turn = 0
    while True:
        miss = run.missing(e)
        room = (x >= 1) & prob.judged[None, :] & ~miss[None, :] & ~locked
        if not room.any():
            return x, e
        for _ in range(STRIDE):  # intervals STRIDE apart: one removal hardly changes the others' KPIs
            here = room & (every % STRIDE == turn)[None, :]
            turn = (turn + 1) % STRIDE
            if here.any():
                room = here
                break
        rows = [j for j in range(len(prob.free)) if room[j].any()]
        if len(prob.free) == 1:
            chosen = {int(k): 0 for k in np.flatnonzero(room[0])}
        else:
            probes = [_minus(prob, x, [(j, k) for k in np.flatnonzero(room[j])]) for j in rows]
            found = run.evaluate(probes, "prune", int(room.any(axis=0).sum()))
            chosen = {}
            for k in np.flatnonzero(room.any(axis=0)):
                fits = [j for j, f in zip(rows, found, strict=True)
                        if room[j, k] and not (run.missing(f) & ~miss)[max(k - 1, 0):k + 1].any()]
                for j, f in zip(rows, found, strict=True):
                    if room[j, k] and (run.missing(f) & ~miss)[k]:
                        locked[j, k] = True
                if fits:
                    occupancy = e.mean("occupancy")[:, k]
                    chosen[int(k)] = max(fits, key=lambda j: (prob.cost[j], -_nan0(occupancy[prob.free[j]])))
                else:  # no pool could spare one here while the others' removals were tried: not again
                    locked[[j for j in rows if room[j, k]], k] = True
            if not chosen:
                continue
        while chosen:
            trial = _minus(prob, x, list((j, k) for k, j in chosen.items()))
            (f,) = run.evaluate([trial], "prune", len(chosen))
            new = np.flatnonzero(run.missing(f) & ~miss)
            if not len(new):
                x, e = trial, f
                break
            for m in new:  # send back the removals around each new miss; the nearest is not tried again
                if not chosen:
                    break
                nearest = min(chosen, key=lambda k: (k != m, abs(k - m) + (0.5 if k > m else 0)))
                locked[chosen.pop(nearest), nearest] = True
                for k in range(m - 2, m + 2):
                    chosen.pop(k, None)


def prove_minimal(run: Search, x: np.ndarray, e: Evaluation) -> list[dict[str, Any]]:
    """Every single removal simulated alone: which intervals it makes miss (none: not minimal)."""
    prob = run.prob
    base = run.missing(e)
    pairs = [(j, int(k)) for j in range(len(prob.free)) for k in np.flatnonzero(prob.judged)
             if x[j, k] >= 1 and k not in run.unreachable]
    if not pairs:
        return []
    found = run.evaluate([_minus(prob, x, [pair]) for pair in pairs], "proof", len(pairs))
    checks = []
    for (j, k), f in zip(pairs, found, strict=True):
        new = np.flatnonzero(run.missing(f) & ~base)
        checks.append({"row": j, "interval": k, "passed": bool(len(new)), "missed": [int(m) for m in new],
                       "same": bool(k in new)})
    return checks


def _minus(prob: Problem, x: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    y = x.copy()
    for j, k in pairs:
        y[j, k] -= 1
    return prob.tie(y)


def _nan0(v: float) -> float:
    return float(v) if np.isfinite(v) else 0.0


def verify(run: Search, x: np.ndarray, sample: Sample) -> tuple[Evaluation, np.ndarray]:
    """The plan on fresh seeds: goals x intervals (or goals, per day) where the claim stands.

    Each interval's claim (the mean meets the target; with ``lower``, with 95% confidence)
    stands unless the fresh sample shows a significant shortfall there, judged for all the
    claims together (family-wise 5%, Bonferroni): the fresh mean plus t(1 - 0.05/claims)
    standard errors (minus, for a ceiling) must reach the target. A fresh mean a little below
    the target is no contradiction: with 20 days an interval's service level is known to a
    few points, and ``ccsim run`` shows it as such.
    """
    prob = run.prob
    before = run.ev.simulated
    run.ev.tell("verify", len(run.history) + 1, None)
    (v,) = run.ev.evaluate([x], sample)
    key = "values" if prob.per == "interval" else "day"
    values = v.stack(key)
    mean = v.ci(key)[0]
    n = (~np.isnan(values)).sum(axis=0)
    claims = max(1, int(prob.judged.sum()) * len(prob.goals) if key == "values" else len(prob.goals))
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        half = stats.t.ppf(1 - 0.05 / claims, np.maximum(n - 1, 1)) * np.nanstd(values, axis=0, ddof=1) / np.sqrt(n)
    half = np.where(n >= 2, half, 0.0)
    floors = np.array([g.floor for g in prob.goals]).reshape((-1,) + (1,) * (mean.ndim - 1))
    shown = np.where(floors, mean + half, mean - half)
    ok = np.stack([g.met(shown[i]) for i, g in enumerate(prob.goals)])
    if prob.per == "interval":
        ok[:, ~prob.judged] = True
    run.history.append({"round": len(run.history) + 1, "phase": "verify", "plans": 1, "moving": None,
                        "replications": run.ev.simulated - before, "missing": int((~ok).any(axis=0).sum())
                        if ok.ndim == 2 else int((~ok).sum())})
    return v, ok
