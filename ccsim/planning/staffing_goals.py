"""What ``ccsim staff`` must achieve: targets bound to where they are measured, and how they are judged.

"80% answered within 20 seconds in every half hour" is a target on the whole center's
interval KPIs; "each queue its own goal" puts one on every queue (cards 80% in 20 s, mortgage
70% in 60 s); ``occ<=0.85`` is a ceiling on every changed pool's occupancy. A :class:`Goal` is
one target with its scope (the center, a queue, a pool). Targets use the syntax of
``ccsim erlang --target`` (:mod:`ccsim.analysis.erlang_targets`).

A goal is judged on the simulated replications, interval by interval (or over the day): with
``confidence="mean"`` the mean over the replications must meet the target; with ``"lower"`` the
95% confidence bound on the unfavourable side must (the lower bound of a service level, the
upper bound of an ASA, abandon rate, P(wait) or occupancy). The wait KPIs are those of the
first queue a contact joins (as everywhere in ccsim); the abandon rate counts hang-ups in any
queue, also after a transfer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..analysis.erlang_targets import ALLOWED, Target, parse_targets
from ..errors import ScenarioError
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario

CONFIDENCES = ("mean", "lower")
PERS = ("interval", "day")
#: The KPI column each target reads, and whether a queue's tables have it.
COLUMNS = {"service_level": "service_level", "asa_seconds": "asa_seconds", "abandon_rate": "abandon_rate",
           "p_wait": "p_wait", "occupancy": "occupancy"}


@dataclass(frozen=True)
class Goal:
    """One target and where it is measured: ``scope`` is ``center``, ``queue`` or ``pool``."""

    target: Target
    scope: str
    index: int = -1  # the queue's or pool's number (-1: the center)
    name: str = ""

    @property
    def label(self) -> str:
        """``sl=0.8@20``, ``cards: sl=0.8@20``, ``generalists: occ<=0.85``."""
        return self.target.text if self.scope == "center" else f"{self.name}: {self.target.text}"

    @property
    def floor(self) -> bool:
        """True for a service level (at least), False for the ceilings (at most)."""
        return self.target.kpi == "service_level"

    def margin(self, value: Any) -> Any:
        """How far a value is on the good side of the target (negative: missed)."""
        return value - self.target.bound if self.floor else self.target.bound - value

    def met(self, value: Any) -> Any:
        """Whether values meet the target (NaN: nothing to judge, counts as met)."""
        v = np.asarray(value, dtype=float)
        slack = 1e-12 * abs(self.target.bound)
        ok = v >= self.target.bound - slack if self.floor else v <= self.target.bound + slack
        return ok | np.isnan(v)


def goals_for(s: Scenario, targets: Any, queues: list[str] | None, pools: list[int], per: str,
              source: str | None = None) -> tuple[list[Goal], Scenario, list[str]]:
    """The goals, the scenario they are judged on (service-level thresholds set), and notes.

    Args:
        targets: ``"sl=0.8@20,asa<=30"``, a list, or None: each queue's own goal
            (``queues[].service_level.target``).
        queues: judge the targets on these queues' own KPIs (None: the whole center; with no
            targets: every queue with a goal).
        pools: the numbers of the pools whose staffing changes (occupancy targets bind them).
        per: ``interval`` or ``day``.

    Raises:
        ScenarioError: bad targets, unknown queues, a target a queue's tables cannot judge.
    """
    where = source or s.name
    if per not in PERS:
        raise ScenarioError([("--per", f"must be one of {', '.join(PERS)}, got {per!r}")], where)
    names = s.queue_names()
    unknown = [q for q in queues or () if q not in names]
    if unknown:
        raise ScenarioError([("--queue", f"no queue '{q}' (queues: {', '.join(names)})") for q in unknown], where)
    notes: list[str] = []
    if targets is None or (isinstance(targets, (list, tuple)) and not targets):
        parsed = _queue_goals(s, queues, where)
    else:
        try:
            parsed = list(parse_targets(targets))
        except ValueError as exc:
            raise ScenarioError([("--target", line) for line in str(exc).splitlines() if line != ALLOWED]
                                + [("--target", ALLOWED)], where) from None
        parsed = _scoped(s, parsed, queues, where)
    goals: list[Goal] = []
    for goal in parsed:
        if goal.target.kpi == "occupancy" and goal.scope == "center":
            goals += [Goal(goal.target, "pool", p, s.pools[p].name) for p in pools]
        else:
            goals.append(goal)
    if not goals:
        raise ScenarioError([("--target", "no target left to judge (an occupancy target binds only the pools "
                                          "being staffed)")], where)
    goals, judged, more = _thresholds(s, goals, where)
    return goals, judged, notes + more


def _queue_goals(s: Scenario, queues: list[str] | None, where: str) -> list[Goal]:
    names = s.queue_names()
    goals = []
    for q in queues or names:
        settings = s.queue_settings(q)
        goal = settings.service_level if settings is not None else None
        if goal is None or goal.target is None:
            if queues:
                raise ScenarioError([("--queue", f"queue '{q}' has no goal (queues[].service_level.target); "
                                                 "give --target")], where)
            continue
        goals.append(Goal(Target("service_level", goal.target, goal.seconds), "queue", names.index(q), q))
    if not goals:
        raise ScenarioError([("--target", "required: no queue of the scenario has a goal of its own "
                                          "(queues[].service_level.target); e.g. --target sl=0.8@20")], where)
    return goals


def _scoped(s: Scenario, parsed: list[Target], queues: list[str] | None, where: str) -> list[Goal]:
    names = s.queue_names()
    if not queues:
        return [Goal(t, "center") for t in parsed]
    goals, problems = [], []
    for t in parsed:
        if t.kpi == "occupancy":
            goals.append(Goal(t, "center"))  # bound to the pools later
        elif t.kpi == "p_wait":
            problems.append(("--target", f"'{t.text}': P(wait) is measured for the whole center, not per queue; "
                                         "drop --queue or this target"))
        else:
            goals += [Goal(t, "queue", names.index(q), q) for q in queues]
    if problems:
        raise ScenarioError(problems, where)
    return goals


def _thresholds(s: Scenario, goals: list[Goal], where: str) -> tuple[list[Goal], Scenario, list[str]]:
    """Fill in service-level thresholds; set the scenario's where a target names another one.

    The tables count 'answered within T' at each contact's first queue's threshold, so a
    target ``sl=0.8@20`` on the center needs every queue at 20 s, and one on queue ``cards``
    needs cards at 20 s.
    """
    data = s.to_dict()
    settings = {q["skill"]: q for q in data.get("queues") or []}
    notes, out = [], []
    center = {g.target.sl_seconds for g in goals if g.scope == "center" and g.floor and g.target.sl_seconds is not None}
    if len(center) > 1:
        raise ScenarioError([("--target", "service-level targets for the whole center must share one threshold, got "
                                          + ", ".join(f"@{t:g}" for t in sorted(center)))], where)
    changed = False
    if center:
        (seconds,) = center
        own = {q: s.service_level_seconds_of(q) for q in s.queue_names()}
        if s.service_level_seconds != seconds or any(v != seconds for v in own.values()):
            notes.append(f"service level measured at {seconds:g} s for every queue (the target's threshold)")
            data["service_level_seconds"] = seconds
            for q in own:
                if q in settings and settings[q].get("service_level") is not None:
                    settings[q]["service_level"]["seconds"] = seconds
            changed = True
    per_queue: dict[str, float] = {}
    for g in goals:
        if g.scope == "queue" and g.floor and g.target.sl_seconds is not None:
            if per_queue.setdefault(g.name, g.target.sl_seconds) != g.target.sl_seconds:
                raise ScenarioError([("--target", f"queue '{g.name}': service-level targets must share one "
                                                  "threshold")], where)
    for q, seconds in per_queue.items():
        if s.service_level_seconds_of(q) != seconds:
            entry = settings.setdefault(q, {"skill": q})
            entry["service_level"] = {**(entry.get("service_level") or {}), "seconds": seconds}
            notes.append(f"queue {q}: service level measured at {seconds:g} s (the target's threshold)")
            changed = True
    if settings:
        data["queues"] = list(settings.values())
    judged = load_scenario(data) if changed else s
    for g in goals:
        if g.floor and g.target.sl_seconds is None:
            seconds = judged.service_level_seconds if g.scope == "center" else judged.service_level_seconds_of(g.name)
            g = replace(g, target=replace(g.target, sl_seconds=seconds))
        out.append(g)
    return out, judged, notes


# -------------------------------------------------------------------------------------------------
# Judging a sample of replications


SHARES = ("service_level", "abandon_rate", "p_wait", "occupancy")


def judged_value(goal: Goal, mean: np.ndarray, low: np.ndarray, high: np.ndarray, confidence: str) -> np.ndarray:
    """The value a goal is judged on: the mean, or the unfavourable 95% bound (the mean where
    the bound is undefined: fewer than two replications with contacts)."""
    if confidence == "mean":
        return mean
    bound = low if goal.floor else high
    return np.where(np.isnan(bound), mean, bound)


# -------------------------------------------------------------------------------------------------
# Erlang as a local model of an interval: how many agents a shortfall is worth


@dataclass(frozen=True)
class Queueing:
    """The Erlang parameters of a scope in one interval (rate per hour, AHT, mean patience)."""

    rate: float
    aht: float
    patience: float | None


def agents_at(goal: Goal, q: Queueing, value: float) -> float | None:
    """The (fractional) agents at which Erlang C/A gives ``value`` of the goal's KPI: the
    'effective agents' of a simulated interval. None when Erlang cannot say."""
    kpi = goal.target.kpi
    if kpi == "occupancy" or q.rate <= 0 or q.aht <= 0 or not math.isfinite(value):
        return None
    if kpi == "service_level":
        value = min(max(value, 0.005), 0.995)
    elif kpi == "asa_seconds":
        value = max(value, 0.05)
    else:
        value = min(max(value, 1e-4), 0.9999)
        if kpi == "abandon_rate" and q.patience is None:
            return None
    return _fractional(Target(kpi, value, goal.target.sl_seconds), q)


def agents_needed(goal: Goal, q: Queueing) -> float | None:
    """The fractional agents at which Erlang C/A meets the goal's target exactly."""
    if goal.target.kpi == "occupancy" or q.rate <= 0 or q.aht <= 0:
        return None
    if goal.target.kpi == "abandon_rate" and q.patience is None:
        return None
    return _fractional(goal.target, q)


_CACHE: dict[tuple, float | None] = {}


def _fractional(target: Target, q: Queueing) -> float | None:
    from ..analysis.erlang_staffing import required_agents

    key = (target, round(q.rate, 6), round(q.aht, 6), q.patience)
    if key not in _CACHE:
        try:
            _CACHE[key] = required_agents(q.rate, q.aht, target, q.patience, target.sl_seconds or 20.0).fractional
        except ValueError:
            _CACHE[key] = None
        if len(_CACHE) > 200_000:
            _CACHE.clear()
    return _CACHE[key]


def agent_step(goal: Goal, q: Queueing | None, agents: float, value: float, occupancy: float | None = None
               ) -> float | None:
    """Agents on duty to add (positive) or that could go (negative) for the goal to be just met.

    The simulated interval is read as an Erlang queue with ``agents`` shifted so that Erlang
    gives the simulated value; the step is the Erlang requirement minus those effective agents.
    Occupancy, busy time over agents present, scales as 1 / agents.
    """
    if goal.target.kpi == "occupancy":
        if occupancy is None or not math.isfinite(occupancy) or agents <= 0:
            return None
        return agents * occupancy / goal.target.bound - agents
    if q is None:
        return None
    have = agents_at(goal, q, value)
    need = agents_needed(goal, q)
    if have is None or need is None:
        return None
    return need - have
