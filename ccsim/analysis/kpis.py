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
  redirected, blocked, balked, cleared, messages (with abandoned and in_system they add up to
  arrivals); block_rate = blocked / arrivals; balk_rate = balked / (offered + balked);
  messages_handled = messages an agent handled (a handled message resolves the customer).
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

from collections.abc import Sequence

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
    "blocked",
    "balked",
    "cleared",
    "messages",
    "messages_handled",
    "block_rate",
    "balk_rate",
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
    thresholds: np.ndarray | float | None = None, keys: Sequence[str] | None = None,
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
        keys: the KPIs wanted (default all of CONTACT_KPIS).
    """
    return ContactKpis(records, scenario, end_time, thresholds).grouped(group, n_groups, keys)


class ContactKpis:
    """One replication's contacts, prepared once, summed per group as often as needed.

    The per-contact quantities (waits, flags) are computed once; each grouping (the day, the
    intervals, the queues, the segments) then costs one bincount per KPI asked for.
    """

    def __init__(self, records: ContactRecords, scenario: Scenario, end_time: float,
                 thresholds: np.ndarray | float | None = None):
        c = self.c = records.columns()
        self.scenario = scenario
        if thresholds is None:
            thresholds = scenario.service_level_seconds
        join, answer, end = c["queue_join"], c["answer"], c["end"]
        self.outcome = c["outcome"].astype(np.int64)
        self.offered = ~np.isnan(join)
        self.answered = ~np.isnan(answer)
        self.abandoned = self.outcome == Outcome.ABANDONED
        self.agent_ended = np.isin(self.outcome, AGENT_ENDED)
        self.in_ivr = c["ivr_levels"] > 0
        with np.errstate(invalid="ignore"):
            wait = np.where(self.answered, answer, np.where(np.isnan(end), end_time, end)) - join
            self.wait = np.where(self.offered, wait, 0.0)
            self.in_center = np.where(np.isnan(end), end_time, end) - c["arrival"]
        self.within = self.wait <= thresholds + 1e-9

    def grouped(self, group: np.ndarray, n_groups: int, keys: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        keep = group >= 0
        g = group[keep]
        c = self.c
        s = self.scenario

        def pick(x: np.ndarray) -> np.ndarray:
            return x[keep]

        def count(mask: np.ndarray) -> np.ndarray:
            return np.bincount(g[mask], minlength=n_groups).astype(float)

        def total(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
            if mask is None:
                return np.bincount(g, weights=values, minlength=n_groups)
            return np.bincount(g[mask], weights=values[mask], minlength=n_groups)

        n_out = len(Outcome)
        by_outcome = np.bincount(g * n_out + pick(self.outcome), minlength=n_groups * n_out).reshape(
            n_groups, n_out).astype(float)

        def ended(o: Outcome) -> np.ndarray:
            return by_outcome[:, int(o)]

        offered, answered, abandoned = pick(self.offered), pick(self.answered), pick(self.abandoned)
        agent_ended, in_ivr = pick(self.agent_ended), pick(self.in_ivr)
        wait, within = pick(self.wait), pick(self.within)
        memo: dict[str, np.ndarray] = {}

        def get(key: str) -> np.ndarray:
            if key not in memo:
                memo[key] = formulas[key]()
            return memo[key]

        formulas = {
            "arrivals": lambda: count(np.ones(len(g), bool)),
            "offered": lambda: count(offered),
            "answered": lambda: count(answered),
            "abandoned": lambda: count(abandoned),
            "short_abandons": lambda: count(abandoned & (wait < s.short_abandon_seconds)),
            "in_system": lambda: ended(Outcome.IN_SYSTEM),
            "abandon_rate": lambda: get("abandoned") / get("offered"),
            "p_wait": lambda: count(offered & (wait > 0)) / get("offered"),
            "asa_seconds": lambda: total(wait, answered) / get("answered"),
            "mean_wait_seconds": lambda: total(wait, offered) / get("offered"),
            "service_level": lambda: get(SL_DEFINITIONS[s.service_level_definition]),
            "sl_offered": lambda: get("answered_within") / get("offered"),
            "sl_answered": lambda: get("answered_within") / get("answered"),
            "sl_abandons_excluded": lambda: get("answered_within") / (get("offered") - get("abandoned_within")),
            "sl_abandons_good": lambda: (get("answered_within") + get("abandoned_within")) / get("offered"),
            "answered_within": lambda: count(answered & within),
            "abandoned_within": lambda: count(abandoned & within),
            "aht_seconds": lambda: total(pick(c["talk"]) + pick(c["wrap"]), agent_ended) / get("_agent_ended"),
            "talk_seconds": lambda: total(pick(c["talk"]), agent_ended) / get("_agent_ended"),
            "wrapup_seconds": lambda: total(pick(c["wrap"]), agent_ended) / get("_agent_ended"),
            "_agent_ended": lambda: count(agent_ended),
            "_in_ivr": lambda: count(in_ivr),
            "resolved": lambda: ended(Outcome.RESOLVED),
            "unresolved": lambda: ended(Outcome.UNRESOLVED),
            "contained": lambda: ended(Outcome.CONTAINED),
            "ivr_abandoned": lambda: ended(Outcome.IVR_ABANDONED),
            "hold_abandoned": lambda: ended(Outcome.HOLD_ABANDONED),
            "dropped": lambda: ended(Outcome.DROPPED),
            "redirected": lambda: ended(Outcome.REDIRECTED),
            "blocked": lambda: ended(Outcome.BLOCKED),
            "balked": lambda: ended(Outcome.BALKED),
            "cleared": lambda: ended(Outcome.CLEARED),
            "messages": lambda: ended(Outcome.MESSAGE),
            "messages_handled": lambda: count(pick(c["message"]) == 2),
            "block_rate": lambda: ended(Outcome.BLOCKED) / get("arrivals"),
            "balk_rate": lambda: ended(Outcome.BALKED) / (get("offered") + ended(Outcome.BALKED)),
            "ivr_abandon_rate": lambda: ended(Outcome.IVR_ABANDONED) / get("_in_ivr"),
            "containment_rate": lambda: ended(Outcome.CONTAINED) / get("_in_ivr"),
            "misroute_rate": lambda: count(pick(c["misrouted"]) > 0) / count(in_ivr & offered),
            "transfers_per_contact": lambda: total(pick(c["transfers"]).astype(float)) / get("answered"),
            "lost_intents_per_contact": lambda: total(pick(c["lost_intents"]).astype(float), agent_ended)
            / get("_agent_ended"),
            "hold_abandon_rate": lambda: ended(Outcome.HOLD_ABANDONED) / count(pick(c["holds"]) > 0),
            "callbacks": lambda: count(pick(c["callback"]) == 1),
            "telephony_cost": lambda: total(pick(self.in_center)) / 60.0 * s.telephony_cost_per_minute,
        }
        with np.errstate(invalid="ignore", divide="ignore"):
            return {key: get(key) for key in (keys if keys is not None else CONTACT_KPIS)}


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


def agent_time(work: WorkRecords, presence: PresenceRecords, start: float, end: float
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per agent (pool, agent, busy seconds, present seconds) between ``start`` and ``end``.

    An agent's presence is the stretches between their +1 and -1 presence changes (an agent
    still on duty at the end counts until ``end``); busy time is their work stretches.
    """
    p_pool = np.frombuffer(presence.pool, dtype=np.int16).astype(np.int64)
    p_agent = np.frombuffer(presence.agent, dtype=np.int32).astype(np.int64)
    if not len(p_pool):
        empty = np.zeros(0)
        return empty.astype(np.int64), empty.astype(np.int64), empty, empty
    key_bits = int(p_agent.max()) + 1
    p_key = p_pool * key_bits + p_agent
    p_time = np.frombuffer(presence.time, dtype=float)
    p_delta = np.frombuffer(presence.delta, dtype=np.int32)
    order = np.lexsort((p_time, p_key))
    keys, times, deltas = p_key[order], p_time[order], p_delta[order]
    # Each +1 is followed by that agent's -1 (or nothing: on duty until the end).
    on = np.flatnonzero(deltas > 0)
    nxt = on + 1
    has_off = (nxt < len(keys)) & (keys[np.minimum(nxt, len(keys) - 1)] == keys[on])
    off_time = np.where(has_off, times[np.minimum(nxt, len(keys) - 1)], np.inf)
    stretch = np.clip(np.minimum(off_time, end) - np.maximum(times[on], start), 0, None)
    agents, slot = np.unique(keys[on], return_inverse=True)
    present = np.bincount(slot, weights=stretch, minlength=len(agents)).astype(float)
    w_key = (np.frombuffer(work.pool, dtype=np.int16).astype(np.int64) * key_bits
             + np.frombuffer(work.agent, dtype=np.int32).astype(np.int64))
    w_time = np.clip(np.minimum(np.frombuffer(work.end, dtype=float), end)
                     - np.maximum(np.frombuffer(work.start, dtype=float), start), 0, None)
    position = np.clip(np.searchsorted(agents, w_key), 0, max(len(agents) - 1, 0))
    known = agents[position] == w_key if len(agents) else np.zeros(len(w_key), bool)
    busy = np.bincount(position[known], weights=w_time[known], minlength=len(agents)).astype(float)
    return agents // key_bits, agents % key_bits, busy, present


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
    resolved = np.isin(c["outcome"], RESOLVING) | ((c["outcome"] == Outcome.MESSAGE) & (c["message"] == 2))
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
