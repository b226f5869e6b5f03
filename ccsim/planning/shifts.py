"""From a requirement to a roster: the cheapest shifts, repaired by simulation until they meet the targets.

``ccsim staff`` says the cards team needs 11 agents at 08:00 and 15 at 10:00; a roster is made
of whole shifts with breaks. ``schedule`` chooses how many agents start on each shift option
(:mod:`.shifts_templates`) so that every interval is covered at the least cost (an integer
program, :mod:`.shifts_cover`), then simulates the roster: whole shifts overshoot some
intervals and their breaks undershoot others, and the simulation carries one interval's
backlog into the next. Where a target is missed, the requirement there is raised above what
the roster has on duty, and the program solved again — until the simulated roster meets the
targets, or the rounds run out::

    result = ccsim.schedule("results/bank-staff-20261123-101500", "scenarios/shifts/bank_day.yaml")
    result.roster       # template, pool, start, count, paid hours, cost
    result.coverage     # per interval x pool: required, on duty (breaks out)
    result.kpis         # the targets at the roster, per interval
    result.scenario     # pools[].shifts: ccsim run of it reproduces the figures
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..experiments.executors import Interrupted, interrupt_once
from ..experiments.store import (
    MANIFEST,
    json_ready,
)
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from ..version import __version__
from .shifts_cover import cover
from .shifts_templates import ShiftOption, read_templates, shift_options
from .staffing_eval import Evaluator, Status
from .staffing_goals import goals_for
from .staffing_model import Problem, start
from .staffing_result import write_results

SCHEDULE_FILES = (MANIFEST, "scenario.yaml", "roster.parquet", "coverage.parquet", "kpis.parquet", "rounds.parquet",
                  "schedule.png")


@dataclass
class ScheduleResult:
    """A roster and its proof by simulation (see the module's docstring for the tables)."""

    scenario: Scenario  # with the roster as pools[].shifts and the seed of the simulation
    roster: pd.DataFrame
    coverage: pd.DataFrame
    kpis: pd.DataFrame
    rounds: pd.DataFrame
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        return json_ready({**self.summary, "roster": self.roster.to_dict("records"),
                           "coverage": self.coverage.to_dict("records"), "kpis": self.kpis.to_dict("records"),
                           "notes": self.notes})

    def scenario_yaml(self, command: str | None = None) -> str:
        from .forecast_apply import scenario_yaml

        s = self.summary
        comment = (f"{s['scenario']} with a roster from ccsim schedule: {s['agents']} agents on "
                   f"{s['shifts']} shifts, cost {s['cost']:,.2f}\n" + (f"written by: {command}\n" if command else "")
                   + f"ccsim run FILE --reps {s['replications']} reproduces the figures of the last round.")
        return scenario_yaml(self.scenario.to_dict(), comment)

    def write(self, folder: str | Path, overwrite: bool = False, command: str | None = None) -> Path:
        """Save into ``folder`` (made if missing): manifest, scenario with the roster, the tables."""
        return write_results(folder, "schedule", SCHEDULE_FILES, self, ("roster", "coverage", "kpis", "rounds"),
                             overwrite, command)


def schedule(
    source: Scenario | str | Path | Mapping[str, Any],
    templates: str | Path,
    targets: Any = None,
    *,
    per: str | None = None,
    queues: list[str] | None = None,
    reps: int | None = None,
    confidence: str | None = None,
    seed: int | None = None,
    from_staffing: bool = False,
    max_rounds: int = 8,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[Status], None] | None = None,
) -> ScheduleResult:
    """The cheapest roster of shifts covering a requirement, repaired until its simulation meets the targets.

    Args:
        source: a ``ccsim staff`` results folder (its requirement, targets and settings), or a
            scenario: its analytic (Erlang) requirement for ``targets``, or with ``from_staffing``
            its per-interval agents (e.g. a file written by ``ccsim staff --write``).
        templates: the shift templates file (:mod:`.shifts_templates`).
        targets, per, queues, confidence: as for :func:`ccsim.staff` (default: the folder's).
        reps, seed: replications and seed of the simulation (default: the folder's; the scenario's seed).
        max_rounds: simulate-and-repair rounds at most.

    Raises:
        ScenarioError: bad input (source, templates, targets), or templates that cannot cover.
        Interrupted: on Ctrl-C.
    """
    s, pools, required, request, notes = _requirement(source, targets, queues, from_staffing)
    per = per or request.get("per") or "interval"
    confidence = confidence or request.get("confidence") or "mean"
    reps = reps or request.get("replications") or 20
    targets = targets if targets else request.get("targets")
    queues = queues if queues else request.get("queues")
    if s.horizon_seconds > 24 * 3600 + 1e-6:
        raise ScenarioError([("horizon.hours", "ccsim schedule plans one day: at most 24 hours")], s.name)
    goals, judged_s, more = goals_for(s, targets, queues, pools, per)
    notes += more
    options = shift_options(read_templates(templates), judged_s, pools, str(templates))
    names = [s.pools[p].name for p in pools]
    seed = s.seed if seed is None else seed
    sample = tuple((seed, r) for r in range(reps))
    n = s.n_intervals
    warm = np.arange(1, n + 1) * s.interval_seconds <= s.warmup_seconds + 1e-9
    raised = required.copy()
    rows: list[dict[str, Any]] = []
    ev = Evaluator(judged_s, (), goals, workers, executor, scheduler, progress)
    with interrupt_once():
        try:
            with ev:
                for rnd in range(1, max_rounds + 1):
                    try:
                        counts, exact, asked, solves = cover(judged_s, options, raised, pools, names)
                    except ScenarioError as exc:
                        raise ScenarioError(exc.problems, str(templates)) from None
                    roster_s = with_shifts(judged_s, options, counts, pools, seed)
                    ev.rebase(roster_s)
                    ev.tell("roster", rnd, None)
                    (e,) = ev.evaluate([np.zeros((0, n))], sample)
                    prob = Problem(roster_s, goals, tuple(pools), per, confidence, exact, ~warm,
                                   s.interval_seconds / 3600)
                    prob.first_queues = [q for q, v in enumerate(e.mean("q_offered").sum(axis=1)) if v > 0]
                    missed = _missed(prob, e)
                    cost = float(sum(o.cost * c for o, c in zip(options, counts, strict=True)))
                    rows.append({"round": rnd, "solves": solves, "agents": int(counts.sum()), "cost": cost,
                                 "missing": len(missed), "replications": ev.simulated})
                    if not missed:
                        break
                    if rnd == max_rounds:
                        notes.append(f"the roster still misses the targets at {len(missed)} interval(s) after "
                                     f"{max_rounds} rounds")
                        break
                    for k, g in missed:
                        j = prob.pool_to_add(g, e, exact, k)
                        if j is not None:
                            raised[j, k] = max(raised[j, k], math.floor(exact[j, k] + 1e-9) + 1)
        except (Interrupted, ScenarioError):
            raise
        except KeyboardInterrupt:
            raise Interrupted(ev.simulated, ev.simulated) from None
    return _result(s, roster_s, prob, e, options, counts, exact, required, raised, pools, names, rows, seed, reps,
                   notes, missed)


def with_shifts(s: Scenario, options: list[ShiftOption], counts: np.ndarray, pools: list[int], seed: int) -> Scenario:
    """The scenario with each scheduled pool staffed by its shifts (and no per-interval agents)."""
    data = s.to_dict()
    data["seed"] = seed
    for p in pools:
        shifts = [o.shift.model_copy(update={"count": int(c)}).model_dump(mode="json", exclude_none=True)
                  for o, c in zip(options, counts, strict=True) if o.pool == p and c > 0]
        pool = data["pools"][p]
        pool.pop("agents", None)
        pool["shifts"] = shifts
    return load_scenario(data)


def _missed(prob: Problem, e: Any) -> list[tuple[int, int]]:
    """(interval, goal) pairs to repair: per interval, each interval's first missed goal; per
    day, the three intervals contributing most to a missed goal's shortfall."""
    if prob.per == "interval":
        met = e.met(prob.goals, prob.confidence)
        met[:, ~prob.judged] = True
        return [(int(k), int(np.flatnonzero(~met[:, k])[0])) for k in np.flatnonzero(~met.all(axis=0))]
    met = e.met(prob.goals, prob.confidence, key="day")
    out = []
    mean = e.ci("values")[0]
    weight = e.mean("weight")
    for g in np.flatnonzero(~met):
        goal = prob.goals[g]
        worst = np.where(prob.judged, -np.nan_to_num(goal.margin(mean[g]), nan=0.0) * weight[g], -np.inf)
        out += [(int(k), int(g)) for k in np.argsort(worst)[::-1][:3] if worst[k] > 0]
    return out


def _requirement(source: Any, targets: Any, queues: list[str] | None, from_staffing: bool
                 ) -> tuple[Scenario, list[int], np.ndarray, dict[str, Any], list[str]]:
    """The scenario, the pools to schedule, their requirement (pools x intervals), the folder's
    settings, notes."""
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        folder = Path(source)
        try:
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise ScenarioError([("(folder)", f"not a ccsim staff results folder (no readable {MANIFEST})")],
                                str(folder)) from None
        if manifest.get("kind") != "staff" or manifest.get("status") != "done":
            raise ScenarioError([("(folder)", "not a finished ccsim staff results folder (its manifest says "
                                              f"kind {manifest.get('kind')!r}, status {manifest.get('status')!r})")],
                                str(folder))
        s = load_scenario(folder / "scenario.yaml")
        names = [p.name for p in s.pools]
        pools = [names.index(p) for p in manifest["pools"]]
        required = np.array([s.staffing(s.pools[p]) for p in pools])
        return s, pools, required, dict(manifest.get("request") or {}), [f"requirement: ccsim staff in {folder}"]
    s = load_scenario(source)
    if from_staffing:
        pools = [p for p, pool in enumerate(s.pools) if pool.shifts is None]
        if not pools:
            raise ScenarioError([("pools", "every pool already has shifts: nothing per interval to schedule")], s.name)
        return s, pools, np.array([s.staffing(s.pools[p]) for p in pools]), {}, \
            ["requirement: the scenario's agents per interval"]
    return _analytic(s, targets, queues)


def _analytic(s: Scenario, targets: Any, queues: list[str] | None
              ) -> tuple[Scenario, list[int], np.ndarray, dict[str, Any], list[str]]:
    """Erlang's requirement of every pool that is the only one answering its queue."""
    from .forecast_erlang import single_skill_queues

    fit, skipped = single_skill_queues(s)
    pools = sorted(p for p, pool in enumerate(s.pools) if pool.name in {x.name for x in fit.values()})
    if not pools:
        raise ScenarioError([("(scenario)", "Erlang gives no pool's requirement here ("
                                            + "; ".join(f"{q}: {r}" for q, r in skipped.items())
                                            + "): run ccsim staff and pass its results folder")], s.name)
    goals, judged_s, _ = goals_for(s, targets, queues, pools, "interval")
    prob = Problem(judged_s, goals, tuple(pools), "interval", "mean", np.zeros((len(pools), s.n_intervals)),
                   np.ones(s.n_intervals, bool), s.interval_seconds / 3600)
    required, _ = start(prob, None)
    notes = [f"requirement: Erlang for pool{'s' if len(pools) > 1 else ''} "
             f"{', '.join(s.pools[p].name for p in pools)}"]
    notes += [f"not scheduled: queue {q} ({r})" for q, r in skipped.items()]
    return s, pools, required, {}, notes


def _result(s: Scenario, roster_s: Scenario, prob: Problem, e: Any, options: list[ShiftOption], counts: np.ndarray,
            exact: np.ndarray, required: np.ndarray, raised: np.ndarray, pools: list[int], names: list[str],
            rows: list[dict[str, Any]], seed: int, reps: int, notes: list[str], missed: list) -> ScheduleResult:
    labels = s.interval_labels()
    n = s.n_intervals
    used = [(o, int(c)) for o, c in zip(options, counts, strict=True) if c > 0]
    roster = pd.DataFrame([{"template": o.template, "pool": names[pools.index(o.pool)], "start": o.start,
                            "hours": o.shift.hours, "paid_hours": o.paid_hours,
                            "breaks": "; ".join(_break_text(b) for b in o.shift.breaks), "count": c,
                            "cost_per_agent": o.cost, "cost": o.cost * c} for o, c in used],
                          columns=["template", "pool", "start", "hours", "paid_hours", "breaks", "count",
                                   "cost_per_agent", "cost"])
    coverage = pd.DataFrame({"interval": np.tile(np.arange(n), len(pools)), "clock": np.tile(labels, len(pools)),
                             "pool": np.repeat(names, n), "required": required.ravel(),
                             "raised": raised.ravel(), "coverage": exact.ravel(),
                             "surplus": (exact - required).ravel()})
    kpis = _kpis(prob, e, labels)
    hours = float(sum(o.paid_hours * c for o, c in used))
    summary = {"kind": "schedule", "ccsim_version": __version__, "scenario": s.name,
               "targets": [g.label for g in prob.goals], "per": prob.per, "confidence": prob.confidence,
               "replications": reps, "seed": seed, "pools": names, "shifts": len(used),
               "agents": int(counts.sum()), "paid_hours": hours,
               "required_hours": float(required.sum() * s.interval_seconds / 3600),
               "cost": float(sum(o.cost * c for o, c in used)), "rounds": len(rows),
               "met": not missed, "replications_simulated": rows[-1]["replications"] if rows else 0}
    return ScheduleResult(roster_s, roster, coverage, kpis, pd.DataFrame(rows), summary, notes)


def _kpis(prob: Problem, e: Any, labels: list[str]) -> pd.DataFrame:
    key = "values" if prob.per == "interval" else "day"
    mean, low, high, _ = e.ci(key)
    met = e.met(prob.goals, prob.confidence, key=key)
    rows = []
    for g, goal in enumerate(prob.goals):
        base = {"goal": goal.label, "kpi": goal.target.kpi, "target": goal.target.bound}
        if key == "day":
            rows.append({**base, "mean": mean[g], "ci_low": low[g], "ci_high": high[g],
                         "margin": goal.margin(mean[g]), "met": bool(met[g])})
            continue
        for k, clock in enumerate(labels):
            rows.append({"interval": k, "clock": clock, **base, "mean": mean[g, k], "ci_low": low[g, k],
                         "ci_high": high[g, k], "margin": goal.margin(mean[g, k]),
                         "met": bool(met[g, k] or not prob.judged[k])})
    return pd.DataFrame(rows)


def _break_text(b: Any) -> str:
    where = (f"at {b.at}" if b.at else f"after {b.after_hours:g} h" if b.after_hours is not None
             else f"in {b.window[0]}-{b.window[1]}")
    return f"{b.minutes:g} min {where}" + ("" if b.paid else " (unpaid)")
