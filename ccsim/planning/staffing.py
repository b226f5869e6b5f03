"""Simulation-based staffing: the fewest agents per interval and pool that meet the targets.

"600 calls an hour at the peak, 3-minute calls, 80% answered within 20 seconds: how many
agents, half hour by half hour?" Erlang answers for one queue of identical calls. A center
with an IVR, overflow between pools, transfers, redials and lognormal handle times needs the
simulation::

    result = ccsim.staff("scenarios/retail_bank_day.yaml", "sl=0.8@20", reps=20)
    result.staffing      # per interval x pool: current and required agents
    result.kpis          # per interval x target: the KPI on fresh seeds, CI, margin
    result.summary       # agent-hours, cost, before/after, the proof, the search's figures

The search (:mod:`.staffing_search`, :mod:`.staffing_day`) starts from the analytic
requirement (:mod:`.staffing_model`), judges every plan on the same sample of simulated days
(common random numbers: replication r of seed s sees the same callers whatever the
staffing), and ends with a proof: a verification run on fresh seeds meets the targets in
every interval it claims, and every single-agent removal makes an interval (or the day) miss.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..experiments.executors import EXECUTORS, Interrupted, interrupt_once
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from ..version import __version__
from .staffing_day import prove_day, search_day
from .staffing_eval import Evaluation, Evaluator, Status, staffed
from .staffing_goals import CONFIDENCES, PERS, goals_for
from .staffing_model import Problem, judged_pools, start
from .staffing_result import StaffingResult, tables
from .staffing_search import Search, prove_intervals, search_intervals, verify

#: Verification rounds at most (a failed one adds its replications to the sample).
VERIFY_ROUNDS = 3


class StaffingInterrupted(Interrupted):
    """Ctrl-C stopped a staffing search. ``plan`` is the cheapest plan found so far that met the
    targets on the search sample (agents per free pool and interval; not verified, not proven
    minimal), or None; ``pools`` its pools, ``phase`` and ``round`` where the search was."""

    def __init__(self, done: int, phase: str, round_: int, plan: np.ndarray | None, pools: list[str]):
        self.phase, self.round, self.plan, self.pools = phase, round_, plan, pools
        super().__init__(done, done)

    def __str__(self) -> str:
        return (f"staffing search interrupted in round {self.round} ({self.phase}) after {self.done:,} simulated "
                "replications")


def staff(
    scenario: Scenario | str | Path | Mapping[str, Any],
    targets: Any = None,
    *,
    per: str = "interval",
    pools: list[str] | None = None,
    queues: list[str] | None = None,
    reps: int = 20,
    confidence: str = "mean",
    seed: int | None = None,
    verify_seed: int | None = None,
    prove: bool = True,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[Status], None] | None = None,
) -> StaffingResult:
    """The fewest agents per interval and pool meeting the targets, by simulation.

    Args:
        scenario: a Scenario, a YAML file or a dict.
        targets: ``"sl=0.8@20,asa<=30"`` (the syntax of ``ccsim erlang --target``: sl, asa,
            abandon, pwait, occ), a list of them, or None: each queue's own goal
            (``queues[].service_level.target``).
        per: ``"interval"`` (every interval meets the targets) or ``"day"`` (the day's KPIs do).
        pools: the pools to staff (default: every pool staffed per interval; pools with shifts
            keep them). A pool no target judges keeps its staffing (see ``notes``).
        queues: judge the targets on these queues' own KPIs instead of the whole center's.
        reps: replications (simulated days) of the sample every plan is judged on, and of the
            verification run.
        confidence: ``"mean"``: the mean over the replications meets the target; ``"lower"``:
            the unfavourable 95% confidence bound does (lower bound of a service level, upper
            bound of the others).
        seed: the search sample's seed (default: the scenario's); ``verify_seed`` the fresh one of
            the verification (default: seed + 1).
        prove: simulate every single-agent removal at the end (local minimality); a removal the
            proof finds possible is made, and the plan verified again.
        workers, executor, scheduler: where the replications run (as for :func:`ccsim.run`;
            default: every core).
        progress: called with a :class:`~ccsim.planning.staffing_eval.Status` as the work goes on.

    Raises:
        ScenarioError: bad targets, pools, queues or options (one problem per line).
        StaffingInterrupted: on Ctrl-C, with the best plan found so far.
    """
    s = load_scenario(scenario)
    _check_options(s, reps, confidence, per, executor, workers)
    free = free_pools(s, pools)
    goals, judged_s, notes = goals_for(s, targets, queues, list(free), per)
    seed = s.seed if seed is None else int(seed)
    verify_seed = seed + 1 if verify_seed is None else int(verify_seed)
    if verify_seed == seed:
        raise ScenarioError([("--verify-seed", "must differ from the search seed: the verification needs fresh "
                                                "callers")], s.name)
    n = s.n_intervals
    warm = np.arange(1, n + 1) * s.interval_seconds <= s.warmup_seconds + 1e-9
    if warm.all():
        raise ScenarioError([("horizon.warmup_minutes", "covers every interval: nothing is left to staff")], s.name)
    current = np.array([s.staffing(s.pools[p]) for p in free], float).reshape(len(free), n)
    prob = Problem(judged_s, goals, free, per, confidence, current, ~warm, s.interval_seconds / 3600)
    sample = tuple((seed, r) for r in range(reps))
    started = time.time()
    ev = Evaluator(judged_s, free, goals, workers, executor, scheduler, progress)
    run = Search(prob, ev, sample)
    with interrupt_once():
        try:
            with ev:
                (pilot,) = run.evaluate([current], "current")
                keep, more = judged_pools(prob, pilot)
                notes += more
                if not keep:
                    raise ScenarioError([("--pool", "no pool to staff is judged by the targets: " + "; ".join(more))],
                                        s.name)
                if keep != free:
                    rows = [free.index(p) for p in keep]
                    free, current = keep, current[rows]
                    prob = Problem(judged_s, goals, free, per, confidence, current, ~warm, prob.hours)
                    prob.first_queues = run.prob.first_queues
                    ev.free = free
                    run.prob = prob
                    (pilot,) = run.evaluate([current], "current")
                x, how = start(prob, pilot)
                notes += [f"start: {h}" for h in how]
                search, proof = (search_intervals, prove_intervals) if per == "interval" else (search_day, prove_day)
                x, found = search(run, x)
                attempt = 0
                while True:
                    attempt += 1
                    fresh = tuple((verify_seed, r) for r in range(reps))
                    verified, ok = verify(run, x, fresh)
                    failing = ~ok.all(axis=0) if per == "interval" else ~ok
                    if per == "interval":
                        failing[sorted(run.unreachable)] = False
                    if not failing.any() or attempt == VERIFY_ROUNDS:
                        break
                    notes.append(f"verification with seed {verify_seed} missed in {int(failing.sum())} "
                                 f"{'interval' if per == 'interval' else 'target'}(s): its replications joined the "
                                 "sample and the search went on")
                    run.sample = run.sample + fresh
                    verify_seed = _next_seed(verify_seed, seed)
                    x, found = search(run, x)
                if prove:
                    x, found, changed = proof(run, x, found)
                    if changed:  # the proof took agents away: verify the plan afresh
                        verify_seed = _next_seed(verify_seed, seed)
                        fresh = tuple((verify_seed, r) for r in range(reps))
                        verified, ok = verify(run, x, fresh)
                        attempt += 1
                (before,) = ev.evaluate([current], fresh)
        except (Interrupted, ScenarioError):
            raise
        except KeyboardInterrupt:
            best = run.best
            raise StaffingInterrupted(ev.simulated, ev.status.phase, ev.status.round, best,
                                      [s.pools[p].name for p in free]) from None
    request = {"targets": _texts(targets), "queues": list(queues) if queues else None, "per": per,
               "confidence": confidence, "replications": reps}
    result = _result(s, judged_s, prob, run, x, found, verified, ok, before, seed, verify_seed, reps, attempt,
                     notes, started)
    result.summary["request"] = request
    return result


def _texts(targets: Any) -> list[str] | None:
    """The targets as texts (``sl=0.8@20``), for a results folder that ``ccsim schedule`` reads."""
    if targets is None or (isinstance(targets, (list, tuple)) and not targets):
        return None
    from ..analysis.erlang_targets import parse_targets

    return [t.text for t in parse_targets(targets)]


def _next_seed(used: int, seed: int) -> int:
    """A fresh verification seed: the next one that is not the search's."""
    used += 1
    return used + 1 if used == seed else used


def free_pools(s: Scenario, names: list[str] | None) -> tuple[int, ...]:
    """The pools whose staffing may change: the named ones, or every pool staffed per interval."""
    known = [p.name for p in s.pools]
    if not names:
        free = tuple(p for p, pool in enumerate(s.pools) if pool.shifts is None)
        if not free:
            raise ScenarioError([("pools", "every pool is staffed by shifts; ccsim staff changes agents per "
                                           "interval (use ccsim schedule for shifts)")], s.name)
        return free
    problems = []
    for name in names:
        if name not in known:
            problems.append(("--pool", f"no pool '{name}' (pools: {', '.join(known)})"))
        elif s.pools[known.index(name)].shifts is not None:
            problems.append(("--pool", f"pool '{name}' is staffed by shifts, which ccsim staff keeps; it changes "
                                       "agents per interval (ccsim schedule turns a requirement into shifts)"))
    if problems:
        raise ScenarioError(problems, s.name)
    return tuple(sorted({known.index(name) for name in names}))


def _check_options(s: Scenario, reps: int, confidence: str, per: str, executor: str, workers: int | None) -> None:
    problems = []
    if not isinstance(reps, int) or reps < 1:
        problems.append(("--reps", f"must be at least 1, got {reps!r}"))
    elif confidence == "lower" and reps < 2:
        problems.append(("--reps", "--confidence lower needs at least 2 replications (a confidence bound)"))
    if confidence not in CONFIDENCES:
        problems.append(("--confidence", f"must be one of {', '.join(CONFIDENCES)}, got {confidence!r}"))
    if per not in PERS:
        problems.append(("--per", f"must be one of {', '.join(PERS)}, got {per!r}"))
    if executor not in EXECUTORS:
        problems.append(("--executor", f"unknown executor '{executor}'; allowed: {', '.join(EXECUTORS)}"))
    if workers is not None and workers < 1:
        problems.append(("--workers", f"must be at least 1, got {workers}"))
    if problems:
        raise ScenarioError(problems, s.name)


def _result(s: Scenario, judged_s: Scenario, prob: Problem, run: Search, x: np.ndarray, found: Evaluation,
            verified: Evaluation, ok: np.ndarray, before: Evaluation, seed: int, verify_seed: int, reps: int,
            attempts: int, notes: list[str], started: float) -> StaffingResult:
    from ..engine.plan import compile_plan

    pools = [s.pools[p].name for p in prob.free]
    labels = s.interval_labels()
    final = staffed(judged_s, prob.free, x)
    data = final.to_dict()
    data["seed"] = verify_seed
    for p in prob.free:
        data["pools"][p]["agents"] = [int(round(v)) for v in final.pools[p].agents]
    written = load_scenario(data)
    warm = ~prob.judged
    staffing, kpis, intervals, checks, rounds = tables(prob, run, x, found, verified, ok, before, labels, pools, warm)
    paid_now = np.asarray(compile_plan(s).paid_hours, float)
    paid_new = np.asarray(compile_plan(written).paid_hours, float)
    rate = np.array([p.cost_per_hour for p in s.pools])
    hours = {"current": {p.name: float(paid_now[i].sum()) for i, p in enumerate(s.pools)},
             "required": {p.name: float(paid_new[i].sum()) for i, p in enumerate(s.pools)}}
    hours["current"]["all"] = float(paid_now.sum())
    hours["required"]["all"] = float(paid_new.sum())
    cost = {"current": float((paid_now.sum(axis=1) * rate).sum()),
            "required": float((paid_new.sum(axis=1) * rate).sum())}
    day = {}
    for name, e in (("current", before), ("required", verified)):
        day[name] = {k: _triple(np.array([r["kpis"][k] for r in e.reps]), k) for k in e.reps[0]["kpis"]}
    passed = int(sum(c["passed"] for c in run.checks))
    key = "values" if prob.per == "interval" else "day"
    fresh = verified.ci(key)[0]
    below = np.stack([~g.met(fresh[i]) for i, g in enumerate(prob.goals)])
    if key == "values":
        below = below[:, prob.judged].any(axis=0)
    unmet = sorted(run.unreachable)
    judged_n = int(prob.judged.sum())
    claims = ok[:, prob.judged].all(axis=0) if prob.per == "interval" else ok
    summary = {
        "kind": "staff", "ccsim_version": __version__, "scenario": s.name, "targets": [g.label for g in prob.goals],
        "per": prob.per, "confidence": prob.confidence, "replications": reps, "seed": seed,
        "verify_seed": verify_seed, "pools": pools,
        "fixed_pools": [p.name for i, p in enumerate(s.pools) if i not in prob.free],
        "agent_hours": hours, "cost": cost, "day": day,
        "proof": {
            "verified": bool(claims.all()), "verification_rounds": attempts,
            "verified_intervals": int(claims.sum()) if prob.per == "interval" else None,
            "judged_intervals": judged_n if prob.per == "interval" else None,
            "fresh_mean_below_target": int(below.sum()),
            "checks": len(run.checks), "checks_passed": passed,
            "checks_same_interval": int(sum(c["passed"] and c["same"] for c in run.checks)),
            "proofs": run.proofs, "unreachable": [labels[k] for k in unmet]},
        "search": {"rounds": len(run.history), "replications": run.ev.simulated,
                   "sample": len(run.sample), "naive_replications": _naive(prob, x, reps),
                   "seconds": round(time.time() - started, 2)},
        "status": "done" if claims.all() and not unmet and passed == len(run.checks) else "incomplete",
    }
    return StaffingResult(s, written, staffing, kpis, intervals, checks, rounds, summary, notes)


def _naive(prob: Problem, x: np.ndarray, reps: int) -> int:
    """Replications of a naive search: every judged interval and pool, every count from 0 up to
    the one found, each on the same number of replications."""
    return int(((x[:, prob.judged] + 1).sum()) * reps)


def _triple(values: np.ndarray, kpi: str) -> dict[str, float]:
    from ..analysis.stats import mean_ci_array
    from .staffing_goals import SHARES

    mean, low, high, _ = mean_ci_array(values[:, None], kpi in SHARES)
    return {"mean": float(mean[0]), "ci_low": float(low[0]), "ci_high": float(high[0])}


__all__ = ["StaffingInterrupted", "StaffingResult", "Status", "free_pools", "staff"]
