"""One real day, replayed: its own volume and agents, the calibrated behaviour, many times.

On Tuesday 1999-07-13, 118 regular-service calls reached the queue between 10:00 and 11:00,
their service took 196 s on average, and the log shows 6.3 agents at work for them. A
backtest (and the fit of a calibration) simulates that day with exactly those inputs — the
ones an Erlang A calculator would get — and everything else from the calibrated scenario:
patience, the shape of the handle times, after-call work, the reserve. This module builds a
day's scenario (:func:`day_scenario`) from the day's :class:`DayInputs` and simulates
replications of it into counts per queue and interval (:func:`simulate_day`).

The day's scenario is the calibrated one with, per interval:

- each intent (named by its call type) getting the day's offered calls as its rate per hour,
  and its handle time scaled to the day's mean service time in the interval, as Erlang A
  gets it (where no call was answered, the scenario's own factor; ``service="scenario"``:
  always the scenario's own, for a prediction that does not know the day's service times);
- the pools that answer at once replaced by the day's pools (agents by skill set, present
  for the modelled types, fractional); pools that only take overflow (the reserve) kept;
- no busyness and no redials: the day's volume is known, its redials are in it.

Arrivals are drawn either as the scenario says (``"poisson"``: a Poisson process at the
day's rate, so a replication's count varies around the day's) or conditioned on the day's
count (``"exact"``: that many calls, at times uniform within the interval, which is what a
Poisson process is given its count).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..engine.callers import Callers, draw_handle_time, draw_patience, pick
from ..engine.model import Model
from ..engine.plan import Plan, compile_plan
from ..engine.records import Outcome
from ..engine.streams import Streams
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from . import observed
from .calibrate_inputs import pool_types
from .calibrate_period import Period

#: Counts kept per replication, queue and interval (a queue's KPIs are ratios of these).
COUNTS = ("offered", "answered", "abandoned", "answered_within", "wait_answered")


@dataclass(frozen=True)
class DayInputs:
    """What one day of the log gives the simulation: per call type and interval, the offered
    calls and their mean service time; per pool and interval, the agents present."""

    date: pd.Timestamp
    offered: dict[str, list[float]]
    service_mean: dict[str, list[float | None]]
    presence: dict[str, list[float]]


def day_inputs(calls: pd.DataFrame, types: Sequence[str], period: Period, pools: dict[str, str],
               gap_minutes: float, idle_minutes: float) -> list[DayInputs]:
    """The inputs of every day of the period that has calls (in date order).

    ``pools``: agent -> pool name (:func:`~ccsim.planning.calibrate_inputs.skill_sets`).
    """
    from .calibrate_inputs import presence

    kpis = observed.interval_kpis(calls, interval_minutes=period.interval_minutes, call_types=list(types),
                                  by_type=True, **period.select)
    labels = period.labels()
    agents = presence(calls, types, period, pools, gap_minutes, idle_minutes)
    days = []
    for date in sorted(kpis.index.get_level_values("date").unique()):
        mine = kpis.xs(date, level="date")
        offered, service = {}, {}
        for call_type in types:
            rows = mine.xs(call_type, level="call_type") if call_type in mine.index.get_level_values(
                "call_type") else mine.iloc[:0]
            offered[call_type] = rows["offered"].reindex(labels, fill_value=0).astype(float).tolist()
            means = rows["mean_service_seconds"].reindex(labels)
            service[call_type] = [None if pd.isna(x) else round(float(x), 3) for x in means]
        here = agents.loc[date] if date in agents.index.get_level_values("date") else agents.iloc[:0]
        present = {str(pool): here[pool].reindex(labels, fill_value=0.0).round(4).tolist()
                   for pool in here.columns if here[pool].sum() > 0}
        days.append(DayInputs(pd.Timestamp(date), offered, service, present))
    return days


def reserve_pools(scenario: Scenario) -> list[str]:
    """Pools that only take overflow (every skill with ``after`` > 0): kept on every day."""
    return [p.name for p in scenario.pools if all(r.after > 0 for r in p.skills)]


SERVICE = ("day", "scenario")


def day_scenario(base: Scenario, day: DayInputs, service: str = "day") -> Scenario:
    """The calibrated scenario with the day's volume, service times and agents (module docstring).

    ``service="scenario"`` keeps the scenario's own handle times (its hourly factors) instead
    of the day's mean service time per interval.
    """
    data = copy.deepcopy(base.to_dict())
    n = base.n_intervals
    for intent in data["intents"]:
        name = intent["name"]
        offered = day.offered.get(name, [0.0] * n)
        intent.pop("share", None)
        intent["rate_per_hour"] = [x * 60.0 / base.horizon.interval_minutes for x in offered]
        own = intent.get("handle_time_factor") or 1.0
        own = own if isinstance(own, list) else [own] * n
        mean = next(i for i in base.intents if i.name == name).handle_time.mean
        served = day.service_mean.get(name, [None] * n) if service == "day" else [None] * n
        intent["handle_time_factor"] = [round(s / mean, 4) if s else f for s, f in zip(served, own, strict=True)]
    data["arrivals"] = {"scale": 1.0, "busyness_cv": 0.0}
    for segment in data["segments"]:
        segment["redial"] = None
    kept = reserve_pools(base)
    template = next((p for p in data["pools"] if p["name"] not in kept), data["pools"][0])
    skill_of = {i.name: i.skill for i in base.intents}  # pools are named by call types, queues by skills
    pools = []
    for name, agents in day.presence.items():
        pool = {k: v for k, v in template.items() if k not in ("name", "agents", "skills", "shifts", "skill_weights",
                                                                "proficiency", "shrinkage", "script", "escalate_to")}
        skills = list(dict.fromkeys(skill_of[t] for t in pool_types(name, list(skill_of))))
        pools.append({**pool, "name": name, "agents": agents, "skills": skills})
    served = {s for p in pools for s in p["skills"]}
    for intent in data["intents"]:  # a type nobody was there for today: a pool of no one
        if intent["skill"] not in served:
            pools.append({**{k: v for k, v in template.items() if k in ("takes",)}, "name": f"{intent['skill']}-none",
                          "agents": 0, "skills": [intent["skill"]]})
            served.add(intent["skill"])
    data["pools"] = pools + [p for p in data["pools"] if p["name"] in kept]
    data["name"] = f"{base.name}-{day.date:%Y%m%d}"
    return load_scenario(data)


def day_key(date: pd.Timestamp) -> int:
    """A day's number (days since 1970-01-01): replication r of the day uses stream
    ``day_key * 1000 + r``, so every day and replication has its own callers, whatever ran before."""
    return int((pd.Timestamp(date) - pd.Timestamp("1970-01-01")).days)


ARRIVALS = ("poisson", "exact")


def simulate_day(scenario: Scenario, seed: int, key: int, replications: Sequence[int],
                 queues: Sequence[str] | None = None, arrivals: str = "poisson") -> dict[str, Any]:
    """Simulate replications of a day: counts (:data:`COUNTS`) per replication x queue x interval.

    Returns ``{"key", "replications", "queues", "counts"}`` with ``counts`` an array
    (replications x queues x intervals x counts) of float32: small to send from a worker.
    """
    plan = compile_plan(scenario)
    names = list(queues) if queues is not None else list(plan.skills)
    index = [plan.skills.index(q) for q in names]
    n = plan.n_intervals
    out = np.zeros((len(replications), len(names), n, len(COUNTS)), dtype=np.float32)
    counts = np.rint(scenario.intent_rates() * plan.interval / 3600.0).astype(np.int64) if arrivals == "exact" \
        else None
    for j, r in enumerate(replications):
        streams = Streams(seed, key * 1000 + int(r))
        callers = exact_callers(plan, streams, counts) if counts is not None else None
        model = Model(plan, streams, callers).run()
        out[j] = _counts(model, index, n, plan.interval, np.asarray(plan.sl_seconds)[index])
    return {"key": key, "replications": list(replications), "queues": names, "counts": out}


def exact_callers(plan: Plan, streams: Streams, counts: np.ndarray) -> Callers:
    """The callers of a replication with exactly ``counts[intent, interval]`` arrivals, at times
    uniform within their interval; everything else drawn as :func:`~ccsim.engine.callers.draw_callers` does."""
    n_int = counts.shape[1]
    per_interval = counts.sum(axis=0)
    rng = streams["arrivals"]
    offsets = rng.random(int(per_interval.sum())) * plan.interval
    times = np.repeat(np.arange(n_int) * plan.interval, per_interval) + offsets
    intent = np.concatenate([np.repeat(np.arange(counts.shape[0]), counts[:, k]) for k in range(n_int)]
                            ).astype(np.int16) if len(times) else np.zeros(0, np.int16)
    order = np.argsort(times, kind="stable")
    times, intent = times[order], intent[order]
    n = len(times)
    slot = np.minimum((times // plan.interval).astype(np.int64), plan.n_intervals - 1)
    segment = pick(plan.segment_shares, streams["segments"].random(n))
    patience = draw_patience(plan, segment, intent, slot, streams["patience"].random(n))
    handle = draw_handle_time(plan, intent, slot, streams["handle_times"].random(n))
    uniforms = {name: streams[name].random((n, width)) for name, width in plan.uniform_widths.items()}
    return Callers(times, segment, intent, patience, handle, None, {}, uniforms)


def _counts(model: Model, queues: list[int], n: int, width: float, thresholds: np.ndarray) -> np.ndarray:
    """Per queue and interval of arrival, from the contact records: offered (reached the queue,
    a balk there included), answered, abandoned (in the queue, or balked), answered within
    the queue's threshold, and the summed wait of the answered."""
    c = model.records.columns()
    outcome = np.asarray(c["outcome"])
    queue = np.asarray(c["queue"]).astype(np.int64)
    balked = outcome == int(Outcome.BALKED)
    queue = np.where(balked, np.asarray(model.plan.intent_skill)[np.asarray(c["intent"])], queue)
    slot = np.minimum((np.asarray(c["arrival"]) // width).astype(np.int64), n - 1)
    answer = np.asarray(c["answer"])
    answered = ~np.isnan(answer)
    wait = np.where(answered, answer - np.asarray(c["queue_join"]), 0.0)
    abandoned = (outcome == int(Outcome.ABANDONED)) | balked
    out = np.zeros((len(queues), n, len(COUNTS)))
    for j, k in enumerate(queues):
        mine = queue == k
        s = slot[mine]
        within = answered[mine] & (wait[mine] <= thresholds[j] + 1e-9)
        for m, weights in enumerate((None, answered[mine], abandoned[mine], within, wait[mine])):
            out[j, :, m] = np.bincount(s, weights=weights, minlength=n)[:n]
    return out
