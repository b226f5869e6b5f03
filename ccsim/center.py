"""The contact center as a SimPy model: one replication of one scenario.

A caller rings, is put in the queue of the skill their question needs, and waits. The first
pool listed for that skill answers as soon as one of its agents is free; an overflow pool
(``after: 30``) may answer once the caller has waited 30 seconds. A caller whose patience runs
out hangs up. An agent who finishes a call takes the oldest caller waiting in its first skill's
queue, else its second skill's, and so on, or waits for the next call. At each interval
boundary the staffing changes; an agent whose shift ends finishes the current call first.

Each step of that journey is one small method below. The steps are SimPy events with
callbacks, not a process per caller: a caller costs one event to arrive, one to hang up if they
wait, one to finish service, and nothing while waiting. A caller who hangs up is not searched
for in the queue; the queue skips them when they reach its head (lazy deletion). Everything
the KPIs need is written to :mod:`ccsim.records`.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import Timeout

from .arrivals import poisson_arrival_times
from .records import ContactRecords, Outcome, PresenceRecords, WorkRecords
from .scenario import Scenario
from .streams import Streams

# A contact's state while the simulation runs (kept by the model, not in the records).
ARRIVING, WAITING, SERVING, DONE = 0, 1, 2, 3

# Times compare with a tolerance: ``join + after`` computed on the event heap may differ from
# ``now`` in the last bit.
_EPS = 1e-9

_ANSWERED = int(Outcome.ANSWERED)
_ABANDONED = int(Outcome.ABANDONED)


@dataclass(frozen=True)
class Callers:
    """Everyone who will call in a replication, one entry per contact, in arrival order.

    Drawn from the named streams by :func:`draw_callers`; a test or a replay of a recorded
    day may give them explicitly.
    """

    arrival: np.ndarray
    segment: np.ndarray
    intent: np.ndarray
    patience: np.ndarray  # inf: never hangs up
    handle_time: np.ndarray


def draw_callers(s: Scenario, streams: Streams) -> Callers:
    """Draw every caller of a replication up front, each quantity from its own stream.

    Changing staffing or routing changes none of these (common random numbers).
    """
    times = poisson_arrival_times(s.rates_per_hour(), s.interval_seconds, streams["arrivals"])
    n = len(times)
    segment = _pick(np.array([g.share for g in s.segments]), streams["segments"].random(n))
    intent = _pick(np.array([i.share for i in s.intents]), streams["intents"].random(n))
    patience = np.full(n, np.inf)
    u = streams["patience"].random(n)
    for g, seg in enumerate(s.segments):
        if seg.patience is not None:
            mask = segment == g
            patience[mask] = seg.patience.ppf(u[mask])
    handle = np.empty(n)
    u = streams["handle_times"].random(n)
    for k, spec in enumerate(s.intents):
        mask = intent == k
        handle[mask] = spec.handle_time.ppf(u[mask])
    return Callers(times, segment, intent, patience, handle)


@dataclass(eq=False)
class PoolState:
    """The agents of one pool during a replication."""

    index: int
    name: str
    # (queue, after) for each skill of the pool, in the order listed: where a free agent looks.
    routes: list[tuple[deque, float]]
    idle: deque = field(default_factory=deque)  # free agents, longest idle first
    off_duty: list = field(default_factory=list)  # ids of agents not on shift, for reuse
    present: int = 0  # agents in the center: idle, busy, or finishing before leaving
    leaving: int = 0  # busy agents whose shift has ended
    next_agent: int = 0


class Center:
    """The model of one replication, assembled from a scenario.

    Example:
        >>> center = Center(scenario, Streams(scenario.seed, replication=0))
        >>> center.run()
        >>> center.records.outcome  # one code per contact
    """

    def __init__(self, scenario: Scenario, streams: Streams | None = None, callers: Callers | None = None):
        if callers is None:
            if streams is None:
                raise ValueError("give the replication's streams, or the callers explicitly")
            callers = draw_callers(scenario, streams)
        self._redial = [seg.redial for seg in scenario.segments]
        if any(self._redial) and streams is None:
            raise ValueError("redials draw from the replication's streams: give them")
        self._streams = streams
        self.scenario = scenario
        self.env = simpy.Environment()
        self.records = ContactRecords()
        self.work = WorkRecords()
        self.presence = PresenceRecords()
        self._build_routing(scenario)
        self.records.add_batch(callers.arrival, callers.segment, callers.intent, callers.patience,
                               callers.handle_time)
        self._arrival_times = np.asarray(callers.arrival, dtype=float)
        self._state = array("b", bytes(len(self._arrival_times)))
        self._staffing = [scenario.staffing(pool) for pool in scenario.pools]

    # -- assembly -------------------------------------------------------------------------------

    def _build_routing(self, s: Scenario) -> None:
        skills: list[str] = []
        for pool in s.pools:
            skills += [r.skill for r in pool.skills if r.skill not in skills]
        self.skills = skills
        self.queues = [deque() for _ in skills]
        index = {skill: k for k, skill in enumerate(skills)}
        self.pools = [
            PoolState(p, pool.name, [(self.queues[index[r.skill]], r.after) for r in pool.skills])
            for p, pool in enumerate(s.pools)
        ]
        # For each skill: the pools that answer at once, and the overflow pools with their delay.
        self._first = [[] for _ in skills]
        self._overflow = [[] for _ in skills]
        for p, pool in enumerate(s.pools):
            for r in pool.skills:
                k = index[r.skill]
                if r.after > 0:
                    self._overflow[k].append((r.after, self._make_overflow(self.pools[p], k)))
                else:
                    self._first[k].append(self.pools[p])
        self._intent_skill = [index[intent.skill] for intent in s.intents]

    # -- running --------------------------------------------------------------------------------

    def run(self) -> "Center":
        s = self.scenario
        env = self.env
        for pool in self.pools:
            self._staff(pool, int(self._staffing[pool.index][0]))
        for k in range(1, s.n_intervals):
            Timeout(env, k * s.interval_seconds, k).callbacks.append(self._shift_change)
        if len(self._arrival_times):
            Timeout(env, self._arrival_times[0], 0).callbacks.append(self._arrive)
        if s.horizon.drain:
            env.run()
        else:
            env.run(until=s.horizon_seconds)
            self._close_open_work()
        return self

    # -- the journey ----------------------------------------------------------------------------

    def _arrive(self, event: Timeout) -> None:
        i = event._value
        times = self._arrival_times
        if i + 1 < len(times):
            Timeout(self.env, times[i + 1] - self.env._now, i + 1).callbacks.append(self._arrive)
        self._join_queue(i)

    def _join_queue(self, i: int) -> None:
        now = self.env._now
        k = self._intent_skill[self.records.intent[i]]
        self.records.queue_join[i] = now
        for pool in self._first[k]:
            if pool.idle:
                self._answer(pool, pool.idle.popleft(), i)
                return
        self._state[i] = WAITING
        self.queues[k].append(i)
        patience = self.records.patience[i]
        if patience != math.inf:
            Timeout(self.env, patience, i).callbacks.append(self._abandon)
        for after, overflow in self._overflow[k]:
            if after < patience:
                Timeout(self.env, after, i).callbacks.append(overflow)

    def _abandon(self, event: Timeout) -> None:
        i = event._value
        if self._state[i] == WAITING:  # else answered already: a stale timer
            self._state[i] = DONE
            self.records.end[i] = self.env._now
            self.records.outcome[i] = _ABANDONED
            if self._redial[self.records.segment[i]] is not None:
                self._maybe_call_again(i)

    def _maybe_call_again(self, i: int) -> None:
        """A customer who hung up may call again later, unless the center has closed by then."""
        rec = self.records
        redial = self._redial[rec.segment[i]]
        rng = self._streams["redials"]
        if rec.attempt[i] + 1 >= redial.max_contacts or rng.random() >= redial.after_abandon:
            return
        delay = float(redial.delay.ppf(rng.random()))
        if self.env._now + delay < self.scenario.horizon_seconds:  # after closing: another day's call
            Timeout(self.env, delay, i).callbacks.append(self._call_again)

    def _call_again(self, event: Timeout) -> None:
        """The same customer, the same question, a new contact with fresh patience and handle time."""
        i = event._value
        rec = self.records
        segment, intent = rec.segment[i], rec.intent[i]
        spec = self.scenario.segments[segment].patience
        patience = float(spec.ppf(self._streams["patience"].random())) if spec is not None else math.inf
        handle = float(self.scenario.intents[intent].handle_time.ppf(self._streams["handle_times"].random()))
        j = rec.add_contact(rec.customer[i], rec.attempt[i] + 1, self.env._now, segment, intent, patience, handle)
        self._state.append(ARRIVING)
        self._join_queue(j)

    def _make_overflow(self, pool: PoolState, k: int):
        """The callback that lets ``pool`` take a caller who has waited long enough in queue k."""
        queue = self.queues[k]

        def overflow(event: Timeout) -> None:
            # Callers ahead of this one became eligible earlier and found no free agent, so if
            # this caller still waits the head of the queue is an eligible caller.
            if self._state[event._value] == WAITING and pool.idle:
                self._answer(pool, pool.idle.popleft(), self._pop_waiting(queue))

        return overflow

    def _answer(self, pool: PoolState, agent: int, i: int) -> None:
        rec = self.records
        rec.answer[i] = self.env._now
        rec.pool[i] = pool.index
        rec.agent[i] = agent
        self._state[i] = SERVING
        Timeout(self.env, rec.handle_time[i], i).callbacks.append(self._finish)

    def _finish(self, event: Timeout) -> None:
        i = event._value
        rec = self.records
        now = self.env._now
        self._state[i] = DONE
        rec.end[i] = now
        rec.outcome[i] = _ANSWERED
        p = rec.pool[i]
        self.work.add(p, rec.answer[i], now)
        self._agent_free(self.pools[p], rec.agent[i])

    def _agent_free(self, pool: PoolState, agent: int) -> None:
        """A free agent leaves if their shift is over, else takes the next caller or waits."""
        if pool.leaving:
            pool.leaving -= 1
            self._leave(pool, agent)
            return
        now = self.env._now
        state = self._state
        join = self.records.queue_join
        for queue, after in pool.routes:
            while queue and state[queue[0]] != WAITING:
                queue.popleft()  # callers who hung up while waiting
            if queue and (after == 0 or join[queue[0]] + after <= now + _EPS):
                self._answer(pool, agent, queue.popleft())
                return
        pool.idle.append(agent)

    def _pop_waiting(self, queue: deque) -> int:
        state = self._state
        while state[queue[0]] != WAITING:
            queue.popleft()
        return queue.popleft()

    # -- staffing -------------------------------------------------------------------------------

    def _shift_change(self, event: Timeout) -> None:
        for pool in self.pools:
            self._staff(pool, int(self._staffing[pool.index][event._value]))

    def _staff(self, pool: PoolState, target: int) -> None:
        staying = pool.present - pool.leaving
        if target > staying:
            coming = target - staying
            kept = min(pool.leaving, coming)  # busy agents asked to stay on after all
            pool.leaving -= kept
            for _ in range(coming - kept):
                agent = pool.off_duty.pop() if pool.off_duty else self._new_agent(pool)
                pool.present += 1
                self.presence.add(self.env._now, pool.index, +1)
                self._agent_free(pool, agent)
        elif target < staying:
            going = staying - target
            while going and pool.idle:
                self._leave(pool, pool.idle.pop())
                going -= 1
            pool.leaving += going  # these finish their current contact first

    def _leave(self, pool: PoolState, agent: int) -> None:
        pool.present -= 1
        pool.off_duty.append(agent)
        self.presence.add(self.env._now, pool.index, -1)

    @staticmethod
    def _new_agent(pool: PoolState) -> int:
        pool.next_agent += 1
        return pool.next_agent - 1

    def _close_open_work(self) -> None:
        """At a hard stop (no drain) the calls in progress count as work up to the end."""
        now = self.env._now
        rec = self.records
        for i, state in enumerate(self._state):
            if state == SERVING:
                self.work.add(rec.pool[i], rec.answer[i], now)


def _pick(shares: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the category each uniform falls in, by cumulative shares."""
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, u, side="right").astype(np.int16)
