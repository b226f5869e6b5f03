"""The analytic requirement per queue and interval: agents by Erlang C or Erlang A, hour by hour.

The first answer a planner wants from a forecast: "PS gets 95 calls at 10:00 at 196 s each;
how many agents for 80% in 20 s?" — for every queue and interval, the fewest agents meeting
the targets (:func:`ccsim.analysis.erlang_staffing.requirement_table`), and the agent-hours of
the day. From a forecast file the rate is calls x 60 / interval minutes, the handle time AHT
plus ACW, the patience the file's (or one given); without patience it is Erlang C.

From a scenario it is worked out for the queues Erlang can describe: a single-skill queue,
whose contacts are all answered by one pool that has no other skill and takes it without
overflow, and that no transfer, escalation, channel or zero-out feeds. Its rate is the sum of
its intents' (``Scenario.intent_rates``), its handle time the rate-weighted mean over its
intents of handle time x ``handle_time_factor`` x the pool's proficiency, plus research holds
and after-call work; its patience the callers' mean (an intent's own patience, else its
segments' weighted by share, times the patience factors; callers who never hang up lengthen
it: the mean is divided by the share of callers who may hang up); its threshold the queue's
own; its shrinkage the pool's. Other queues are skipped with the reason: their staffing
needs the simulation (``ccsim staff``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.erlang_staffing import Targets, requirement_table
from ..analysis.erlang_targets import Target, parse_targets
from ..errors import ScenarioError
from ..spec.loading import load_scenario
from ..spec.scenario import Pool, Scenario
from .forecast_read import read_forecast

KPIS = ("p_wait", "abandon_rate", "mean_wait_seconds", "asa_seconds", "service_level", "occupancy")
SKIP_SUFFIX = "simulation-based staffing (ccsim staff) handles it"


@dataclass
class _Queue:
    """What Erlang needs of one queue, per interval."""

    name: str
    labels: list[str]
    rates: np.ndarray
    aht: np.ndarray
    patience: np.ndarray | None  # inf: nobody hangs up in that interval; None: nobody at all
    sl_seconds: float
    targets: Targets
    shrinkage: np.ndarray
    pool: str | None = None
    staffed: np.ndarray | None = None


def erlang_requirement(source: Scenario | pd.DataFrame | str | Path, targets: Targets = None, *,
                       queues: list[str] | None = None, patience_seconds: float | None = None,
                       sl_seconds: float | None = None, shrinkage: float | None = None,
                       max_occupancy: float | None = None) -> pd.DataFrame:
    """Agents each queue needs in each interval, by Erlang C (no patience) or Erlang A.

    Args:
        source: a Scenario or scenario file (``.yaml``), or a forecast file or table.
        targets: ``"sl=0.8@20,asa<=30"`` or a list; None with a scenario: each queue's own goal
            (``queues[].service_level``; queues without one are skipped).
        queues: only these queues (default: all).
        patience_seconds: one mean patience for every queue and interval, instead of the source's.
        sl_seconds: threshold of ``sl=`` targets written without ``@`` (default: a scenario queue's
            own, else 20).
        shrinkage: share of paid time off the phones (default: a scenario pool's, else 0).
        max_occupancy: a ceiling on occupancy, as an ``occ<=`` target.

    Returns:
        One row per queue and interval: queue, interval, volume, rate_per_hour, aht_seconds,
        patience_seconds (NaN: Erlang C), offered_load, required, fractional, shrinkage, scheduled,
        scheduled_fractional, staffed (a scenario's agents), binding and the KPIs at the required
        number. ``attrs``: interval_minutes, queues (name -> model, targets, sl_seconds, pool),
        skipped (name -> reason).

    Raises:
        ScenarioError: a source that cannot be read, or an unknown queue.
        ValueError: a bad target or value, or a target no staffing meets (naming queue and interval).
    """
    if isinstance(source, (str, Path)) and Path(source).suffix.lower() in (".yaml", ".yml"):
        source = load_scenario(source)
    if isinstance(source, Scenario):
        plans, skipped = scenario_queues(source, targets, sl_seconds)
        minutes = source.horizon.interval_minutes
        where = source.name
    else:
        f = source if isinstance(source, pd.DataFrame) and "interval_minutes" in source.attrs \
            else read_forecast(source)
        plans, skipped = _forecast_queues(f, targets, sl_seconds), {}
        minutes, where = f.attrs["interval_minutes"], f.attrs["source"]
    names = [p.name for p in plans] + list(skipped)
    unknown = [q for q in queues or () if q not in names]
    if unknown:
        raise ScenarioError([("--queue", f"no queue '{q}' (queues: {', '.join(names)})") for q in unknown], where)
    chosen = [p for p in plans if not queues or p.name in queues]
    skipped = {q: r for q, r in skipped.items() if not queues or q in queues}
    tables, info = [], {}
    for plan in chosen:
        if patience_seconds is not None:
            plan.patience = np.full(len(plan.rates), float(patience_seconds))
        if shrinkage is not None:
            plan.shrinkage = np.full(len(plan.rates), float(shrinkage))
        table = _requirement(plan, max_occupancy, minutes)
        tables.append(table)
        model = "erlang_c" if table["patience_seconds"].isna().all() else (
            "erlang_a" if table["patience_seconds"].notna().all() else "erlang_a/c")
        info[plan.name] = {"model": model, "targets": table.attrs["targets"], "sl_seconds": table.attrs["sl_seconds"],
                           "pool": plan.pool}
    result = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=["queue", "interval"])
    result.attrs = {"interval_minutes": float(minutes), "queues": info, "skipped": skipped, "source": where}
    return result


def agent_hours(table: pd.DataFrame) -> pd.DataFrame:
    """Per queue (and ``all``): agent-hours required, fractional and scheduled over the day."""
    hours = table.attrs.get("interval_minutes", 60.0) / 60
    sums = table.groupby("queue", sort=False)[["volume", "required", "fractional", "scheduled",
                                               "scheduled_fractional"]].sum()
    sums.loc["all"] = sums.sum()
    sums[["required", "fractional", "scheduled", "scheduled_fractional"]] *= hours
    return sums.rename(columns={"required": "required_hours", "fractional": "fractional_hours",
                                "scheduled": "scheduled_hours", "scheduled_fractional": "scheduled_fractional_hours"})


def _requirement(plan: _Queue, max_occupancy: float | None, minutes: float) -> pd.DataFrame:
    """The requirement table of one queue, Erlang C where nobody hangs up, Erlang A elsewhere."""
    index = pd.Index(plan.labels, name="interval")
    rates = pd.Series(plan.rates, index=index)
    patience = plan.patience
    try:
        goals = _goals(plan.targets, plan.sl_seconds, max_occupancy)
        if patience is None or not np.isfinite(patience).any():
            table = requirement_table(rates, plan.aht, goals, None, plan.sl_seconds)
            table.insert(2, "patience_seconds", math.nan)
        else:
            finite = np.isfinite(patience)
            filler = np.where(finite, patience, 1.0)  # never used: an Erlang C row replaces it
            table = requirement_table(rates, plan.aht, goals, filler, plan.sl_seconds)
            if not finite.all():
                erlang_c = requirement_table(rates[~finite], plan.aht[~finite], goals, None, plan.sl_seconds)
                table = table.astype({"patience_seconds": float})
                table.loc[~finite, erlang_c.columns] = erlang_c.to_numpy()
                table.loc[~finite, "patience_seconds"] = math.nan
    except ValueError as exc:
        raise ValueError(f"queue '{plan.name}': {exc}") from None
    table.loc[table["rate_per_hour"] == 0, "patience_seconds"] = math.nan
    share = plan.shrinkage
    required = table["required"].to_numpy(dtype=float)
    table["shrinkage"] = share
    table["scheduled"] = np.ceil(np.round(required / (1 - share), 9)).astype(np.int64)
    table["scheduled_fractional"] = table["fractional"].to_numpy(dtype=float) / (1 - share)
    table["staffed"] = plan.staffed if plan.staffed is not None else math.nan
    table = table.reset_index()
    table.insert(0, "queue", plan.name)
    table.insert(2, "volume", plan.rates * minutes / 60)
    columns = ["queue", "interval", "volume", "rate_per_hour", "aht_seconds", "patience_seconds", "offered_load",
               "required", "fractional", "shrinkage", "scheduled", "scheduled_fractional", "staffed", "binding", *KPIS]
    table = table[columns]
    table.attrs.update(targets=[t.text for t in goals], sl_seconds=plan.sl_seconds)
    return table


def _goals(targets: Targets, sl_seconds: float, max_occupancy: float | None) -> tuple[Target, ...]:
    """The targets, service-level thresholds filled in and a maximum occupancy as one more."""
    items = [targets] if isinstance(targets, (str, Target)) else list(targets or ())
    goals = list(parse_targets(items)) if items or max_occupancy is None else []
    if max_occupancy is not None:
        if not (isinstance(max_occupancy, (int, float)) and 0 < max_occupancy <= 1):
            raise ValueError(f"max_occupancy must be a share above 0 and at most 1, got {max_occupancy!r}")
        goals.append(Target("occupancy", float(max_occupancy)))
    return tuple(replace(t, sl_seconds=sl_seconds) if t.kpi == "service_level" and t.sl_seconds is None else t
                 for t in goals)


def _forecast_queues(f: pd.DataFrame, targets: Targets, sl_seconds: float | None) -> list[_Queue]:
    minutes = f.attrs["interval_minutes"]
    plans = []
    for queue, rows in f.groupby("queue", sort=False):
        calls = rows["volume"].to_numpy() > 0
        aht = rows["aht_seconds"].fillna(0).to_numpy() + (rows["acw_seconds"].fillna(0).to_numpy()
                                                          if "acw_seconds" in rows else 0)
        patience = None
        if "patience_seconds" in rows:
            patience = np.where(calls, rows["patience_seconds"].to_numpy(), 1.0)
        plans.append(_Queue(str(queue), list(rows["start"]), rows["volume"].to_numpy() * 60 / minutes,
                            np.where(calls, aht, 1.0), patience, 20.0 if sl_seconds is None else sl_seconds,
                            targets, np.zeros(len(rows))))
    return plans


def single_skill_queues(s: Scenario) -> tuple[dict[str, Pool], dict[str, str]]:
    """The queues Erlang can describe, with their pool, and the others with the reason they are not."""
    fit, skipped = {}, {}
    for queue in s.queue_names():
        routes = [(p, r) for p in s.pools for r in p.skills if r.skill == queue]
        reasons = []
        if len(routes) > 1:
            reasons.append("answered by pools " + ", ".join(
                p.name + (f" (overflow after {r.after:g} s)" if r.after > 0 else "") for p, r in routes))
        elif routes:
            pool, route = routes[0]
            others = [r.skill for r in pool.skills if r.skill != queue]
            if others:
                reasons.append(f"pool '{pool.name}' also answers {', '.join(others)}")
            if route.after > 0:
                reasons.append(f"pool '{pool.name}' takes it as an overflow (after {route.after:g} s)")
        if not any(x.skill == queue for x in s.intents):
            reasons.append("no intent calls it directly (its contacts come by transfer)")
        feeders = [p.name for p in s.pools if p.escalate_to == queue]
        if feeders:
            reasons.append(f"pool{'s' if len(feeders) > 1 else ''} {', '.join(feeders)} escalate to it")
        reasons += [f"channel '{c.name}' sends its contacts to it" for c in s.channels or () if c.skill == queue]
        if s.ivr is not None and s.ivr.zero_out is not None and s.ivr.zero_out.skill == queue:
            reasons.append("callers who press 0 in the IVR join it")
        if reasons:
            skipped[queue] = "; ".join(reasons) + f": {SKIP_SUFFIX}"
        else:
            fit[queue] = routes[0][0]
    return fit, skipped


def scenario_queues(s: Scenario, targets: Targets = None, sl_seconds: float | None = None
                    ) -> tuple[list[_Queue], dict[str, str]]:
    """Per single-skill queue, what Erlang needs; and the skipped queues with their reasons."""
    fit, skipped = single_skill_queues(s)
    n = s.n_intervals
    rates = s.intent_rates()
    plans = []
    for queue, pool in fit.items():
        goal = s.queue_settings(queue)
        goal = goal.service_level if goal is not None else None
        mine = targets
        if targets is None:
            if goal is None or goal.target is None:
                skipped[queue] = "no target: give --target, or the queue a goal (queues[].service_level.target)"
                continue
            mine = f"sl={goal.target:g}@{goal.seconds:g}"
        members = [i for i, x in enumerate(s.intents) if x.skill == queue]
        r = rates[members]
        busy = np.array([_busy_seconds(s, s.intents[i], pool, n) for i in members])
        total = r.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            aht = np.where(total > 0, (r * busy).sum(axis=0) / np.where(total > 0, total, 1), busy.mean(axis=0))
        share = _expand(pool.shrinkage if pool.shrinkage is not None else 0.0, n)
        plans.append(_Queue(queue, s.interval_labels(), total, aht, _patience(s, members, r),
                            sl_seconds if sl_seconds is not None else s.service_level_seconds_of(queue), mine,
                            share, pool.name, s.staffing(pool)))
    return plans, skipped


def _busy_seconds(s: Scenario, intent: Any, pool: Pool, n: int) -> np.ndarray:
    """Mean agent time per contact of an intent in each interval: handle time, holds, wrap-up."""
    handle = intent.handle_time.mean * _expand(intent.handle_time_factor or 1.0, n)
    handle = handle * (pool.proficiency or {}).get(intent.skill, 1.0)
    if intent.research is not None:
        handle = handle + intent.research.probability * intent.research.time.mean
    if intent.wrapup is not None:
        handle = handle + intent.wrapup.mean * pool.wrapup_factor
    return handle


def _patience(s: Scenario, members: list[int], rates: np.ndarray) -> np.ndarray | None:
    """The callers' mean patience per interval (inf: nobody hangs up then; None: nobody ever)."""
    n = s.n_intervals
    weighted, finite, total = np.zeros(n), np.zeros(n), np.zeros(n)
    for i, r in zip(members, rates, strict=True):
        x = s.intents[i]
        groups = [(r, x.patience, x.patience_factor)] if x.patience is not None else \
            [(r * g.share, g.patience, g.patience_factor) for g in s.segments]
        for w, dist, factor in groups:
            total += w
            if dist is not None:
                weighted += w * dist.mean * _expand(factor if factor is not None else 1.0, n)
                finite += w
    if not finite.any():
        return None
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(finite > 0, weighted / np.where(finite > 0, finite, 1) * total / np.where(
            finite > 0, finite, 1), np.inf)
    return np.where(total > 0, mean, 1.0)


def _expand(value: float | list[float], n: int) -> np.ndarray:
    return np.asarray(value, dtype=float) if isinstance(value, list) else np.full(n, float(value))
