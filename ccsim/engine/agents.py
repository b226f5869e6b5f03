"""Agents: who is on duty in each pool, who is free, and who answers what.

The generalists' pool has 24 agents at 10:00 and 18 at 14:00 (:mod:`ccsim.engine.staffing`
says when the number changes). At each change the pool moves to its new target: new agents
start at once; agents who leave go at once if they are free, and finish their current contact
first if not (that overtime counts as time present).

Two routing questions are answered here. A freed agent takes the next eligible caller of its
skills (:class:`~ccsim.engine.queues.Queues`: the first skill in the pool's list that has one,
or the longest wait across them), else waits among the pool's free agents. An arriving caller
goes to a free agent of the pools answering its queue by the queue's rule: the first listed
pool with a free agent (the longest idle of it; the default), the longest idle agent of all
those pools (the usual default of real switches), a random free agent, or the free agent of
the pool with the lowest occupancy so far.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .plan import Plan
from .queues import EPS, WAITING, Queues
from .records import PresenceRecords
from .staffing import Staffing
from .steps import later


class Slots:
    """The free conversation slots of a chat pool: agents by the number of conversations they hold.

    A new conversation goes to the least loaded agent with a free slot (among them, the one
    who reached that load first); ``popleft`` assigns it, like taking the longest idle agent
    of a voice pool. An agent who is retiring (going on break or home) gets no new ones.
    """

    def __init__(self, k: int):
        self.k = k
        self.levels = [dict() for _ in range(k)]  # levels[n]: agents holding n conversations (n < k)
        self.load: dict[int, int] = {}
        self.retiring: set[int] = set()

    def __bool__(self) -> bool:
        return any(self.levels)

    def __len__(self) -> int:
        return sum(len(level) for level in self.levels)

    def __getitem__(self, j: int) -> int:
        for level in self.levels:
            if j < len(level):
                return list(level)[j]
            j -= len(level)
        raise IndexError(j)

    def __delitem__(self, j: int) -> None:
        self.assign(self[j])

    def popleft(self) -> int:
        """The least loaded agent with a free slot takes a new conversation."""
        for level in self.levels:
            if level:
                agent = next(iter(level))
                self.assign(agent)
                return agent
        raise IndexError("no free slot")

    def assign(self, agent: int) -> None:
        n = self.load.get(agent, 0)
        self.levels[n].pop(agent, None)
        self.load[agent] = n + 1
        if n + 1 < self.k and agent not in self.retiring:
            self.levels[n + 1][agent] = None

    def release(self, agent: int) -> int:
        """One of the agent's conversations ended; returns how many they still hold."""
        n = self.load[agent]
        self.levels[n].pop(agent, None) if n < self.k else None
        self.load[agent] = n - 1
        if agent not in self.retiring:
            self.levels[n - 1][agent] = None
        return n - 1

    def arrive(self, agent: int) -> None:
        self.load[agent] = 0
        self.levels[0][agent] = None

    def depart(self, agent: int) -> None:
        self.levels[self.load.pop(agent)].pop(agent, None)
        self.retiring.discard(agent)

    def retire(self) -> int | None:
        """Mark the least loaded busy agent to leave once done; None if none is busy."""
        busy = [a for a, n in self.load.items() if n > 0 and a not in self.retiring]
        if not busy:
            return None
        agent = min(busy, key=lambda a: self.load[a])
        self.levels[self.load[agent]].pop(agent, None) if self.load[agent] < self.k else None
        self.retiring.add(agent)
        return agent

    def unretire(self) -> bool:
        """A retiring agent stays on after all (the staffing rose again)."""
        if not self.retiring:
            return False
        agent = self.retiring.pop()
        if self.load[agent] < self.k:
            self.levels[self.load[agent]][agent] = None
        return True


@dataclass(eq=False)
class PoolState:
    """The agents of one pool during a replication."""

    index: int
    name: str
    # (lines, after, weight) for each skill of the pool, in the order listed: where a free agent looks.
    routes: list[tuple[list[deque], float, float]]
    take: object = None  # routes, now -> the contact a free agent takes, or -1
    idle: deque = field(default_factory=deque)  # free agents, longest idle first
    idle_since: dict = field(default_factory=dict)  # agent -> when they became free (longest-idle routing)
    off_duty: list = field(default_factory=list)  # ids of agents not on shift, for reuse
    present: int = 0  # agents in the center: idle, busy, or finishing before leaving
    leaving: int = 0  # busy agents whose shift has ended
    next_agent: int = 0
    # agent-seconds present and busy so far (least-occupied routing), up to ``since``
    present_area: float = 0.0
    busy_area: float = 0.0
    since: float = 0.0
    slowdown: tuple[float, ...] | None = None  # chat: handle-time factor by conversations held


class Agents:
    """The pools of one replication, their staffing changes and their free agents.

    ``answer(pool, agent, contact)`` is the journey step an agent takes a contact with; it is
    bound after construction (the journey and the agents call each other).
    """

    def __init__(self, plan: Plan, env, queues: Queues, presence: PresenceRecords, routing_u=None):
        self.plan = plan
        self.env = env
        self.presence = presence
        weighted = plan.weighted_classes
        self.pools = []
        for p in plan.pools:
            pool = PoolState(p.index, p.name, [(queues.lines[k], after, w) for k, after, w in p.routes])
            if p.concurrency > 1:
                pool.idle = Slots(p.concurrency)
                pool.slowdown = p.slowdown
            if p.takes == "longest_waiting":
                pool.take = lambda routes, now: queues.longest_weighted(routes, now, across_skills=True)
            elif weighted:
                pool.take = lambda routes, now: queues.longest_weighted(routes, now, across_skills=False)
            else:
                pool.take = None  # skill order, strict priorities: Queues.first_eligible, inlined in free()
            self.pools.append(pool)
        #: per queue, the pools that answer at once (in pool order)
        self.first = [[self.pools[p] for p in pools] for pools in plan.first]
        self._selection = plan.selection
        # Whether idle times / occupancy must be kept up to date for the queues' routing rules.
        self._track_idle = "longest_idle" in plan.selection
        self._track_busy = "least_occupied" in plan.selection
        self._routing_u = routing_u
        # per contact, uniforms of the random rule (one per queue visit)
        self._state, self._joined, self._first_eligible = queues.state, queues.joined, queues.first_eligible
        self.answer = None  # bound by the model

    def start(self, staffing: Staffing) -> None:
        """Put the first agents on duty and schedule every later change."""
        self._targets = staffing.targets
        for pool, target in zip(self.pools, staffing.initial, strict=True):
            self.staff(pool, target)
        for k, t in enumerate(staffing.times):
            later(self.env, t, k, self._change)

    def _change(self, event) -> None:
        for pool, target in zip(self.pools, self._targets[event._value], strict=True):
            self.staff(pool, target)

    # -- a freed agent ------------------------------------------------------------------------------

    def free(self, pool: PoolState, agent: int) -> None:
        """A free agent leaves if their shift is over, else takes the next caller or waits."""
        if self._track_busy:
            self._touch(pool)
        if type(pool.idle) is Slots:
            self._free_slot(pool, agent)
            return
        if pool.leaving:
            pool.leaving -= 1
            self._leave(pool, agent)
            return
        now = self.env._now
        if pool.take is None:
            # Queues.first_eligible, inlined: every replication passes here once per contact.
            state, joined = self._state, self._joined
            for lines, after, _ in pool.routes:
                for line in lines:
                    while line and state[line[0]] != WAITING:
                        line.popleft()  # callers who hung up while waiting
                    if line and (after == 0 or joined[line[0]] + after <= now + EPS):
                        self.answer(pool, agent, line.popleft())
                        return
        else:
            i = pool.take(pool.routes, now)
            if i >= 0:
                self.answer(pool, agent, i)
                return
        pool.idle.append(agent)
        if self._track_idle:
            pool.idle_since[agent] = now

    def _take(self, pool: PoolState) -> int:
        """The contact a free agent (or slot) of ``pool`` takes now, or -1."""
        if pool.take is None:
            return self._first_eligible(pool.routes, self.env._now)
        return pool.take(pool.routes, self.env._now)

    def _free_slot(self, pool: PoolState, agent: int) -> None:
        """A chat agent's conversation ended: take another waiting contact, or keep the slot free
        (a retiring agent leaves when the last conversation ends)."""
        slots = pool.idle
        if agent in slots.retiring:
            if slots.release(agent) == 0:
                slots.depart(agent)
                pool.leaving -= 1
                pool.present -= 1
                pool.off_duty.append(agent)
                self.presence.add(self.env._now, pool.index, agent, -1)
            return
        i = self._take(pool)
        if i >= 0:
            self.answer(pool, agent, i)  # one conversation ended, one begins: the load stays
        else:
            slots.release(agent)

    def _fill(self, pool: PoolState, agent: int) -> None:
        """A chat agent coming on duty takes waiting contacts while they have free slots."""
        slots = pool.idle
        slots.arrive(agent)
        while slots.load[agent] < slots.k:
            i = self._take(pool)
            if i < 0:
                return
            slots.assign(agent)
            self.answer(pool, agent, i)

    # -- an arriving contact ------------------------------------------------------------------------

    def pick(self, k: int, i: int, visit: int = 0):
        """A free agent for contact ``i`` arriving at queue ``k``, taken from the idle: ``(pool, agent)``,
        or ``(None, -1)`` when no pool answering the queue at once has one."""
        rule = self._selection[k]
        pools = [pool for pool in self.first[k] if pool.idle]
        if not pools:
            return None, -1
        if rule == "pool_order":
            pool = pools[0]
        elif rule == "longest_idle":
            pool = min(pools, key=lambda p: p.idle_since.get(p.idle[0], 0.0))  # ties: the first listed
        elif rule == "random":
            u = self._routing_u[i][min(visit, len(self._routing_u[i]) - 1)]
            j = min(int(u * sum(len(p.idle) for p in pools)), sum(len(p.idle) for p in pools) - 1)
            for pool in pools:
                if j < len(pool.idle):
                    if self._track_busy:
                        self._touch(pool)
                    agent = pool.idle[j]
                    del pool.idle[j]
                    return pool, agent
                j -= len(pool.idle)
        else:  # least_occupied
            now = self.env._now
            for pool in pools:
                self._touch(pool, now)
            pool = min(pools, key=lambda p: p.busy_area / p.present_area if p.present_area > 0 else 0.0)
        return pool, self.pop_idle(pool)

    def pop_idle(self, pool: PoolState) -> int:
        """The pool's longest idle agent, who stops being idle."""
        if self._track_busy:
            self._touch(pool)
        return pool.idle.popleft()

    # -- staffing -----------------------------------------------------------------------------------

    def staff(self, pool: PoolState, target: int) -> None:
        """Move the pool's number on duty to ``target``."""
        if self._track_busy:
            self._touch(pool)
        if type(pool.idle) is Slots:
            self._staff_chat(pool, target)
            return
        staying = pool.present - pool.leaving
        if target > staying:
            coming = target - staying
            kept = min(pool.leaving, coming)  # busy agents asked to stay on after all
            pool.leaving -= kept
            for _ in range(coming - kept):
                agent = pool.off_duty.pop() if pool.off_duty else self._new_agent(pool)
                pool.present += 1
                self.presence.add(self.env._now, pool.index, agent, +1)
                self.free(pool, agent)
        elif target < staying:
            going = staying - target
            while going and pool.idle:
                self._leave(pool, pool.idle.pop())
                going -= 1
            pool.leaving += going  # these finish their current contact first

    def _staff_chat(self, pool: PoolState, target: int) -> None:
        slots = pool.idle
        staying = pool.present - pool.leaving
        while target > staying and slots.unretire():  # retiring agents asked to stay on
            pool.leaving -= 1
            staying += 1
        while target > staying:
            agent = pool.off_duty.pop() if pool.off_duty else self._new_agent(pool)
            pool.present += 1
            staying += 1
            self.presence.add(self.env._now, pool.index, agent, +1)
            self._fill(pool, agent)
        while target < staying:
            idle = next((a for a in slots.levels[0] if a not in slots.retiring), None)
            if idle is not None:
                slots.depart(idle)
                pool.present -= 1
                pool.off_duty.append(idle)
                self.presence.add(self.env._now, pool.index, idle, -1)
            elif slots.retire() is not None:
                pool.leaving += 1  # finishes their conversations first
            else:
                break
            staying -= 1

    def _leave(self, pool: PoolState, agent: int) -> None:
        pool.present -= 1
        pool.off_duty.append(agent)
        self.presence.add(self.env._now, pool.index, agent, -1)

    def _touch(self, pool: PoolState, now: float | None = None) -> None:
        """Bring the pool's present and busy agent-seconds up to now (before a change)."""
        now = self.env._now if now is None else now
        dt = now - pool.since
        if dt > 0:
            pool.present_area += pool.present * dt
            pool.busy_area += (pool.present - len(pool.idle)) * dt
            pool.since = now

    @staticmethod
    def _new_agent(pool: PoolState) -> int:
        pool.next_agent += 1
        return pool.next_agent - 1
