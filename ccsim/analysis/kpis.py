"""KPIs: the numbers a planner reads, computed from the records of one replication.

"Of the 600 callers between 10:00 and 10:30, how many waited, how long, how many hung up, and
how busy were the agents?" Every definition here is the one in DESIGN.md:

- arrivals: contacts that entered the center; offered: contacts that reached a queue;
  answered, abandoned: of those offered.
- wait: time from joining the queue to being answered or hanging up.
- abandon_rate = abandoned / offered; short abandons (wait under ``short_abandon_seconds``)
  are counted separately as ``short_abandons`` and stay in ``abandoned``.
- p_wait = offered contacts that waited at all / offered.
- asa_seconds = mean wait of answered contacts; mean_wait_seconds = mean wait of all offered.
- service_level = answered within ``service_level_seconds`` / offered.
- aht_seconds = mean handle time of contacts whose service ended.
- occupancy of a pool = busy agent time / agent time present (staffing plus the overtime of
  agents finishing a call after their shift).
- customers: distinct people (a redial or a redirect is a new contact of the same customer);
  repeat_contact_rate = their contacts after the first / all their contacts;
  fcr = customers whose first contact ended resolved (by an agent or in self-service) /
  customers; resolution_rate = customers resolved on any contact by the end / customers;
  effort_steps = per customer, IVR menus heard + queues joined + transfers + repeat contacts.
- outcome counts: resolved, unresolved, contained, ivr_abandoned, hold_abandoned, dropped,
  redirected (with abandoned and in_system they add up to arrivals).
- ivr_abandon_rate, containment_rate = hung up in / resolved by the IVR / contacts that entered
  it; misroute_rate = contacts the IVR sent to a queue not meant for their intent / contacts
  it sent to a queue.
- transfers_per_contact = transfers / answered contacts; transfer chains: the number of
  answered contacts with 0, 1, 2, ... transfers (:func:`chain_counts`).
- lost_intents_per_contact = secondary intents the last agent left unhandled / contacts an
  agent ended (resolved, unresolved, hung up on hold, dropped).
- hold_abandon_rate = hung up on a research hold / contacts put on hold.
- callbacks = contacts that accepted a callback offer.
- aht_seconds = mean agent time (talk, holds, check-ins, every agent of a transfer chain) of
  contacts an agent ended.
- telephony_cost = minutes from arrival to end × ``telephony_cost_per_minute``.

Contacts are counted in the interval they arrived in; contacts that arrived during the
warm-up are left out of the replication's KPIs. Agent time is counted from the end of the
warm-up to the end of the horizon.
"""

from __future__ import annotations

import numpy as np

from ..engine.records import RESOLVING, ContactRecords, Outcome, PresenceRecords, WorkRecords
from ..spec.scenario import Scenario

#: Contact KPIs, in the order they are reported.
CONTACT_KPIS = (
    "arrivals",
    "offered",
    "answered",
    "abandoned",
    "short_abandons",
    "in_system",
    "abandon_rate",
    "p_wait",
    "asa_seconds",
    "mean_wait_seconds",
    "service_level",
    "sl_offered",
    "sl_answered",
    "sl_abandons_excluded",
    "sl_abandons_good",
    "answered_within",
    "abandoned_within",
    "aht_seconds",
    "talk_seconds",
    "wrapup_seconds",
    "resolved",
    "unresolved",
    "contained",
    "ivr_abandoned",
    "hold_abandoned",
    "dropped",
    "redirected",
    "ivr_abandon_rate",
    "containment_rate",
    "misroute_rate",
    "transfers_per_contact",
    "lost_intents_per_contact",
    "hold_abandon_rate",
    "callbacks",
    "telephony_cost",
)

#: Customer KPIs, per replication (a customer belongs to the replication's KPIs when their
#: first contact arrived after the warm-up).
CUSTOMER_KPIS = ("customers", "repeat_contact_rate", "fcr", "resolution_rate", "effort_steps")

#: Pool KPIs, per pool.
POOL_KPIS = ("staffed_hours", "present_hours", "busy_hours", "occupancy", "handled")


#: Service-level definitions (``service_level_definition``) and the KPI holding each.
SL_DEFINITIONS = {"offered": "sl_offered", "answered": "sl_answered", "abandons_excluded": "sl_abandons_excluded",
                  "abandons_good": "sl_abandons_good"}


def contact_kpis(
    records: ContactRecords, scenario: Scenario, group: np.ndarray, n_groups: int, end_time: float,
    thresholds: np.ndarray | float | None = None,
) -> dict[str, np.ndarray]:
    """Contact KPIs per group (e.g. per arrival interval); contacts with group -1 are left out.

    Args:
        records: the contacts of one replication.
        scenario: for the short-abandon threshold, the service-level definition and costs.
        group: the group of each contact, 0..n_groups-1, or -1 to leave it out.
        n_groups: the number of groups.
        end_time: when the simulation stopped: the wait of a caller still waiting ends there.
        thresholds: each contact's service-level threshold T (its first queue's), or one for
            all; default the scenario's ``service_level_seconds``.
    """
    c = records.columns()
    keep = group >= 0
    g = group[keep]
    if thresholds is None:
        thresholds = scenario.service_level_seconds
    limit = thresholds[keep] if isinstance(thresholds, np.ndarray) else thresholds
    join, answer, end = c["queue_join"][keep], c["answer"][keep], c["end"][keep]
    outcome = c["outcome"][keep]
    offered = ~np.isnan(join)
    answered = ~np.isnan(answer)
    abandoned = outcome == Outcome.ABANDONED
    agent_ended = np.isin(outcome, AGENT_ENDED)
    in_ivr = c["ivr_levels"][keep] > 0
    held = c["holds"][keep] > 0
    with np.errstate(invalid="ignore"):
        wait = np.where(answered, answer, np.where(np.isnan(end), end_time, end)) - join
        wait = np.where(offered, wait, 0.0)
        in_center = np.where(np.isnan(end), end_time, end) - c["arrival"][keep]

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(g[mask], minlength=n_groups).astype(float)

    def total(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        if mask is None:
            return np.bincount(g, weights=values, minlength=n_groups)
        return np.bincount(g[mask], weights=values[mask], minlength=n_groups)

    def ended(o: Outcome) -> np.ndarray:
        return count(outcome == o)

    n_offered = count(offered)
    n_answered = count(answered)
    n_ivr = count(in_ivr)
    within = wait <= limit + 1e-9
    n_within = count(answered & within)
    n_abandoned_within = count(abandoned & within)
    with np.errstate(invalid="ignore", divide="ignore"):
        levels = {
            "sl_offered": n_within / n_offered,
            "sl_answered": n_within / n_answered,
            "sl_abandons_excluded": n_within / (n_offered - n_abandoned_within),
            "sl_abandons_good": (n_within + n_abandoned_within) / n_offered,
        }
        return {
            "arrivals": count(np.ones(len(g), bool)),
            "offered": n_offered,
            "answered": n_answered,
            "abandoned": count(abandoned),
            "short_abandons": count(abandoned & (wait < scenario.short_abandon_seconds)),
            "in_system": ended(Outcome.IN_SYSTEM),
            "abandon_rate": count(abandoned) / n_offered,
            "p_wait": count(offered & (wait > 0)) / n_offered,
            "asa_seconds": total(wait, answered) / n_answered,
            "mean_wait_seconds": total(wait, offered) / n_offered,
            "service_level": levels[SL_DEFINITIONS[scenario.service_level_definition]],
            **levels,
            "answered_within": n_within,
            "abandoned_within": n_abandoned_within,
            "aht_seconds": total(c["talk"][keep] + c["wrap"][keep], agent_ended) / count(agent_ended),
            "talk_seconds": total(c["talk"][keep], agent_ended) / count(agent_ended),
            "wrapup_seconds": total(c["wrap"][keep], agent_ended) / count(agent_ended),
            "resolved": ended(Outcome.RESOLVED),
            "unresolved": ended(Outcome.UNRESOLVED),
            "contained": ended(Outcome.CONTAINED),
            "ivr_abandoned": ended(Outcome.IVR_ABANDONED),
            "hold_abandoned": ended(Outcome.HOLD_ABANDONED),
            "dropped": ended(Outcome.DROPPED),
            "redirected": ended(Outcome.REDIRECTED),
            "ivr_abandon_rate": ended(Outcome.IVR_ABANDONED) / n_ivr,
            "containment_rate": ended(Outcome.CONTAINED) / n_ivr,
            "misroute_rate": count(c["misrouted"][keep] > 0) / count(in_ivr & offered),
            "transfers_per_contact": total(c["transfers"][keep].astype(float)) / n_answered,
            "lost_intents_per_contact": total(c["lost_intents"][keep].astype(float), agent_ended) / count(agent_ended),
            "hold_abandon_rate": ended(Outcome.HOLD_ABANDONED) / count(held),
            "callbacks": count(c["callback"][keep] == 1),
            "telephony_cost": total(in_center) / 60.0 * scenario.telephony_cost_per_minute,
        }


#: Outcomes of contacts an agent ended (the AHT and lost intents are over these).
AGENT_ENDED = (Outcome.RESOLVED, Outcome.UNRESOLVED, Outcome.HOLD_ABANDONED, Outcome.DROPPED)


def chain_counts(records: ContactRecords, keep: np.ndarray, max_chain: int) -> np.ndarray:
    """Answered contacts (among ``keep``) by transfer-chain length 0..max_chain."""
    c = records.columns()
    answered = keep & ~np.isnan(c["answer"])
    return np.bincount(c["transfers"][answered], minlength=max_chain + 1)[: max_chain + 1].astype(float)


def step_cumulative(times: np.ndarray, deltas: np.ndarray, points: np.ndarray) -> np.ndarray:
    """∫₀ˣ f for each x in ``points``, where f jumps by ``deltas[j]`` at ``times[j]`` (f = 0 before).

    Used for agent time: f is the number of agents present (or busy) at each moment.
    """
    points = np.asarray(points, dtype=float)
    if len(times) == 0:
        return np.zeros_like(points)
    order = np.argsort(times, kind="stable")
    t = np.asarray(times, dtype=float)[order]
    level = np.cumsum(np.asarray(deltas, dtype=float)[order])
    at_t = np.concatenate([[0.0], np.cumsum(np.diff(t) * level[:-1])])  # integral up to t[j]
    j = np.searchsorted(t, points, side="right") - 1
    jc = np.clip(j, 0, None)
    return np.where(j >= 0, at_t[jc] + level[jc] * (points - t[jc]), 0.0)


def pool_time(
    work: WorkRecords, presence: PresenceRecords, n_pools: int, points: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative busy and present agent-seconds of each pool at ``points`` (shape pools x points)."""
    busy = np.empty((n_pools, len(points)))
    present = np.empty((n_pools, len(points)))
    w_pool = np.frombuffer(work.pool, dtype=np.int16)
    w_start = np.frombuffer(work.start, dtype=float)
    w_end = np.frombuffer(work.end, dtype=float)
    p_pool = np.frombuffer(presence.pool, dtype=np.int16)
    p_time = np.frombuffer(presence.time, dtype=float)
    p_delta = np.frombuffer(presence.delta, dtype=np.int32)
    for p in range(n_pools):
        mine = w_pool == p
        times = np.concatenate([w_start[mine], w_end[mine]])
        deltas = np.concatenate([np.ones(mine.sum()), -np.ones(mine.sum())])
        busy[p] = step_cumulative(times, deltas, points)
        here = p_pool == p
        present[p] = step_cumulative(p_time[here], p_delta[here], points)
    return busy, present


def customer_kpis(records: ContactRecords, warmup_seconds: float) -> dict[str, float]:
    """Customer KPIs of one replication (customers whose first contact came after the warm-up).

    A customer's number is the index of their first contact, so per-customer flags are plain
    boolean arrays indexed by it (no sorting).
    """
    c = records.columns()
    customer = c["customer"]
    first = c["attempt"] == 0
    counted = np.zeros(len(customer), bool)  # per customer number: counted in this replication
    counted[customer[first & (c["arrival"] >= warmup_seconds)]] = True
    mine = counted[customer]
    resolved = np.isin(c["outcome"], RESOLVING)
    n = int(counted.sum())
    solved = np.zeros(len(customer), bool)
    solved[customer[mine & resolved]] = True
    steps = c["ivr_levels"].astype(float) + c["queues"] + c["transfers"] + ~first
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "customers": float(n),
            "repeat_contact_rate": float((mine & ~first).sum() / mine.sum()) if mine.any() else np.nan,
            "fcr": float((mine & first & resolved).sum() / n) if n else np.nan,
            "resolution_rate": float(solved.sum() / n) if n else np.nan,
            "effort_steps": float(steps[mine].sum() / n) if n else np.nan,
        }
