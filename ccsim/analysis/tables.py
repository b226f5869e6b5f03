"""The tables of one replication: from the engine's records to what a planner reads.

After a simulated day the engine holds flat columns of what happened to each contact and
each agent. This module turns them into the replication's tables: the KPIs of the whole day
after the warm-up, the same per interval, agent time and occupancy per pool (and per pool and
interval), transfer-chain lengths, and, when asked, every contact with readable labels.

A :class:`Replication` keeps its tables as numpy columns — small, picklable, what a worker
sends back — and :func:`frames` turns the replications of a run into DataFrames once, with
the labels (clock times, pool names) added then rather than in every replication.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..engine.records import ContactRecords, Outcome
from ..spec.base import clock_seconds
from ..spec.scenario import Scenario
from .kpis import ContactKpis, agent_time, chain_counts, customer_kpis, pool_time

Columns = dict[str, np.ndarray]

#: The tables of a replication, besides its KPIs and contacts.
TABLES = ("intervals", "pools", "pool_intervals", "chains", "queues", "queue_intervals", "segments")

#: The KPIs kept per queue and per segment (each queue's service level at its own threshold).
GROUP_KPIS = ("arrivals", "offered", "answered", "abandoned", "answered_within", "abandoned_within", "abandon_rate",
              "service_level", "asa_seconds", "mean_wait_seconds")
#: The counts kept per queue and interval.
QUEUE_INTERVAL_KPIS = ("offered", "answered", "abandoned", "answered_within", "abandoned_within", "service_level",
                       "asa_seconds", "abandon_rate")


@dataclass
class Replication:
    """The tables of one replication as columns (``tables[name][column]``)."""

    replication: int
    kpis: dict[str, float]
    tables: dict[str, Columns]
    contacts: pd.DataFrame | None
    seconds: float
    n_contacts: int
    scenario: Scenario | None = None  # for the labels of :meth:`frame`; not sent by workers

    def frame(self, name: str) -> pd.DataFrame:
        """One of its tables as a DataFrame (labels need ``scenario``)."""
        return frames(self.scenario, [self], names=(name,))[name]

    @property
    def intervals(self) -> pd.DataFrame:
        return self.frame("intervals")

    @property
    def pools(self) -> pd.DataFrame:
        return self.frame("pools")


def replication_tables(s: Scenario, model: Any, replication: int, keep_contacts: bool = True,
                       elapsed: float = 0.0) -> Replication:
    """The tables of one replication from a model that has run (its records, work and presence)."""
    rec = model.records
    plan = model.plan
    arrival = np.frombuffer(rec.arrival, dtype=float)
    n_int = s.n_intervals
    # Callers still waiting when the run ends waited until then, and at least to the horizon
    # (a drained run ends at its last event, which may come earlier when nobody answers).
    end_time = max(model.env.now, s.horizon_seconds)
    warm = s.warmup_seconds
    n_pools = len(s.pools)
    queue = np.frombuffer(rec.queue, dtype=np.int16).astype(np.int64)
    n_queues = len(plan.skills)
    thresholds = np.asarray(plan.sl_seconds, dtype=float)[np.maximum(queue, 0)]

    prepared = ContactKpis(rec, s, end_time, thresholds)

    def kpis(group: np.ndarray, n_groups: int, keys=None) -> dict[str, np.ndarray]:
        return prepared.grouped(group, n_groups, keys)

    # Contact KPIs: the whole replication (after warm-up) and each arrival interval.
    counted = arrival >= warm
    overall = {k: float(v[0]) for k, v in kpis(np.where(counted, 0, -1), 1).items()}
    overall.update(customer_kpis(rec, warm))
    interval_of = np.minimum((arrival // s.interval_seconds).astype(np.int64), n_int - 1)
    per_interval = kpis(interval_of, n_int)
    # Per queue (the first joined), per queue and interval, per segment: after the warm-up.
    in_queue = counted & (queue >= 0)
    per_queue = kpis(np.where(in_queue, queue, -1), n_queues, GROUP_KPIS)
    per_queue_interval = kpis(np.where(queue >= 0, queue * n_int + interval_of, -1), n_queues * n_int,
                              QUEUE_INTERVAL_KPIS)
    segment = np.frombuffer(rec.segment, dtype=np.int16).astype(np.int64)
    per_segment = kpis(np.where(counted, segment, -1), len(s.segments), GROUP_KPIS)

    # Agent time: cumulative busy/present seconds at every boundary and at the warm-up's end.
    edges = np.arange(n_int + 1) * s.interval_seconds
    busy, present = pool_time(model.work, model.presence, n_pools, np.append(edges, warm))
    # A chat agent holding k conversations is fully occupied: occupancy counts conversation time over k.
    slots = np.array([p.concurrency for p in s.pools], dtype=float)[:, None]
    busy = busy / slots
    busy_int, present_int = np.diff(busy[:, :-1], axis=1), np.diff(present[:, :-1], axis=1)
    busy_run = busy[:, n_int] - busy[:, -1]  # from the warm-up's end to the horizon
    present_run = present[:, n_int] - present[:, -1]

    staffing = np.asarray(plan.scheduled, dtype=float).reshape(n_pools, n_int)
    spread = _agent_spread(model, n_pools, warm, s.horizon_seconds)
    # Services: one per agent who served a contact (a transferred contact counts in each pool).
    served_by = np.frombuffer(model.work.pool, dtype=np.int16)
    served = np.frombuffer(model.work.contact, dtype=np.int32)
    handled = np.bincount(served_by[arrival[served] >= warm], minlength=n_pools)
    # Scheduled hours after warm-up: whole intervals after it plus the part of the one it ends in.
    overlap = np.clip(edges[1:], warm, None) - np.clip(edges[:-1], warm, None)
    staffed_hours = staffing @ overlap / 3600.0
    fraction_after_warmup = overlap / s.interval_seconds
    paid_hours = np.asarray(plan.paid_hours, dtype=float) @ fraction_after_warmup
    agent_cost = paid_hours * np.array([p.cost_per_hour for p in s.pools])
    tables = {
        "intervals": {"interval": np.arange(n_int), "warmup": edges[1:] <= warm, **per_interval,
                      "staffed": staffing.sum(axis=0)},
        "pools": {"pool": np.arange(n_pools), "staffed_hours": staffed_hours, "paid_hours": paid_hours,
                  "present_hours": present_run / 3600.0,
                  "busy_hours": busy_run / 3600.0, "occupancy": _ratio(busy_run, present_run),
                  "handled": handled.astype(float), "agent_cost": agent_cost, **spread},
        "pool_intervals": {"pool": np.repeat(np.arange(n_pools), n_int), "interval": np.tile(np.arange(n_int), n_pools),
                           "staffed": staffing.ravel(), "present_hours": present_int.ravel() / 3600.0,
                           "busy_hours": busy_int.ravel() / 3600.0, "occupancy": _ratio(busy_int, present_int).ravel()},
    }
    overall["agent_cost"] = float(agent_cost.sum())
    overall["cost"] = overall["agent_cost"] + overall["telephony_cost"]
    resolved_customers = overall["resolution_rate"] * overall["customers"]
    overall["cost_per_resolved"] = overall["cost"] / resolved_customers if resolved_customers > 0 else np.nan
    counts = chain_counts(rec, arrival >= warm, s.transfers.max_chain)
    tables["chains"] = {"transfers": np.arange(s.transfers.max_chain + 1), "contacts": counts,
                        "share": counts / counts.sum() if counts.sum() else np.full(len(counts), np.nan)}
    tables["queues"] = {"queue": np.arange(n_queues), "sl_seconds": np.asarray(plan.sl_seconds, float), **per_queue}
    tables["queue_intervals"] = {"queue": np.repeat(np.arange(n_queues), n_int),
                                 "interval": np.tile(np.arange(n_int), n_queues), **per_queue_interval}
    tables["segments"] = {"segment": np.arange(len(s.segments)), **per_segment}
    contacts = contacts_frame(rec, s, replication) if keep_contacts else None
    return Replication(replication, overall, tables, contacts, elapsed, len(rec))


def frames(s: Scenario, reps: Sequence[Replication], names: Sequence[str] = TABLES) -> dict[str, pd.DataFrame]:
    """The tables of several replications as DataFrames, one row per replication × row.

    Pools, queues and segments are categoricals with the scenario's names (in its order);
    intervals get ``start`` (a Timedelta from midnight of the first day, so a time index
    works) and ``clock`` (the label, ``'08:30'`` or ``'d2 08:30'``); counts are integers.
    """
    out = {}
    categories = {"pool": [p.name for p in s.pools], "queue": s.queue_names(), "segment": [g.name for g in s.segments]}
    labels = np.array(s.interval_labels(), dtype=object)
    origin = clock_seconds(s.horizon.start)
    for name in names:
        parts = [r.tables[name] for r in reps]
        sizes = [len(next(iter(p.values()))) for p in parts]
        data: dict[str, Any] = {"replication": np.repeat([r.replication for r in reps], sizes)}
        for column in parts[0] if parts else ():
            values = np.concatenate([p[column] for p in parts])
            data[column] = values.astype(np.int64) if column in COUNT_COLUMNS else values
        for key, names_ in categories.items():
            if key in data:
                data[key] = pd.Categorical.from_codes(data[key], names_)
        if "interval" in data:
            items = list(data.items())
            at = list(data).index("interval") + 1
            offsets = origin + data["interval"] * s.interval_seconds
            items[at:at] = [("start", pd.to_timedelta(offsets, unit="s")), ("clock", labels[data["interval"]])]
            data = dict(items)
        out[name] = pd.DataFrame(data)
    return out


#: Counts of contacts: integers in the tables (means over replications are floats).
COUNT_COLUMNS = frozenset({"arrivals", "offered", "answered", "abandoned", "short_abandons", "in_system", "resolved",
                           "unresolved", "contained", "ivr_abandoned", "hold_abandoned", "dropped", "redirected",
                           "blocked", "balked", "cleared", "messages", "messages_handled", "answered_within",
                           "abandoned_within", "callbacks", "customers", "contacts"})


#: An agent counts in the spread of occupancy across agents after this much time present.
MIN_AGENT_SECONDS = 1800.0


def _agent_spread(model: Any, n_pools: int, start: float, end: float) -> dict[str, np.ndarray]:
    """Fairness: per pool, how evenly the work fell on its agents (occupancy of each agent
    present at least half an hour: standard deviation, lowest and highest)."""
    pool, _, busy, present = agent_time(model.work, model.presence, start, end)
    busy = busy / np.array([p.concurrency for p in model.plan.scenario.pools], dtype=float)[pool] if len(pool) else busy
    sd, low, high = (np.full(n_pools, np.nan) for _ in range(3))
    enough = present >= MIN_AGENT_SECONDS
    occupancy = np.divide(busy, present, out=np.zeros_like(busy), where=present > 0)
    for p in range(n_pools):
        mine = occupancy[enough & (pool == p)]
        if len(mine):
            sd[p] = mine.std(ddof=1) if len(mine) > 1 else 0.0
            low[p], high[p] = mine.min(), mine.max()
    return {"agent_occupancy_sd": sd, "agent_occupancy_min": low, "agent_occupancy_max": high}


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b > 0, a / np.where(b > 0, b, 1), np.nan)


def contacts_frame(records: ContactRecords, scenario, replication: int) -> pd.DataFrame:
    """The contact records of one replication as a DataFrame with readable labels."""
    cols = records.columns()
    frame = pd.DataFrame({"replication": np.full(len(records), replication, dtype=np.int32),
                          "contact": np.arange(len(records), dtype=np.int64)})
    for name, values in cols.items():
        frame[name] = values
    frame["segment"] = pd.Categorical.from_codes(cols["segment"], [s.name for s in scenario.segments])
    frame["intent"] = pd.Categorical.from_codes(cols["intent"], [i.name for i in scenario.intents])
    frame["channel"] = pd.Categorical.from_codes(cols["channel"], [c.name for c in scenario.channel_list()])
    frame["pool"] = pd.Categorical.from_codes(cols["pool"], [p.name for p in scenario.pools])
    frame["queue"] = pd.Categorical.from_codes(cols["queue"], scenario.queue_names())
    frame["outcome"] = pd.Categorical.from_codes(cols["outcome"], [o.name.lower() for o in Outcome])
    frame["wait"] = np.where(np.isnan(cols["answer"]), cols["end"], cols["answer"]) - cols["queue_join"]
    return frame
