"""Agents: who is on duty in each pool, who is free, and what a free agent does next.

The generalists' pool has 24 agents at 10:00 and 18 at 14:00. At each change the pool's
number on duty moves to its new target: new agents start at once; agents who leave go at
once if they are free, and finish their current contact first if not (that overtime counts
as time present). A free agent takes the next eligible caller from the first of its skills
that has one (:meth:`Queues.next_for`), else waits; the agent who has waited longest is the
next to answer an arriving caller (a line of free agents per pool).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .plan import Plan
from .queues import Queues
from .records import PresenceRecords
from .staffing import Staffing
from .steps import later


@dataclass(eq=False)
class PoolState:
    """The agents of one pool during a replication."""

    index: int
    name: str
    # (priority line, line, after) for each skill of the pool, in the order listed: where a
    # free agent looks.
    routes: list[tuple[deque, deque, float]]
    idle: deque = field(default_factory=deque)  # free agents, longest idle first
    off_duty: list = field(default_factory=list)  # ids of agents not on shift, for reuse
    present: int = 0  # agents in the center: idle, busy, or finishing before leaving
    leaving: int = 0  # busy agents whose shift has ended
    next_agent: int = 0


class Agents:
    """The pools of one replication, their staffing changes and their free agents.

    ``answer(pool, agent, contact)`` is the journey step an agent takes a contact with; it is
    bound after construction (the journey and the agents call each other).
    """

    def __init__(self, plan: Plan, env, queues: Queues, presence: PresenceRecords):
        self.plan = plan
        self.env = env
        self.presence = presence
        self.pools = [
            PoolState(p.index, p.name, [(queues.priority[k], queues.waiting[k], after) for k, after in p.routes])
            for p in plan.pools
        ]
        #: per queue, the pools that answer at once (in pool order)
        self.first = [[self.pools[p] for p in pools] for pools in plan.first]
        self._next_for = queues.next_for
        self.answer = None  # bound by the model

    def start(self, staffing: Staffing) -> None:
        """Put the first agents on duty and schedule every later change."""
        self._targets = staffing.targets
        for pool, target in zip(self.pools, staffing.initial):
            self.staff(pool, target)
        for k, t in enumerate(staffing.times):
            later(self.env, t, k, self._change)

    def _change(self, event) -> None:
        for pool, target in zip(self.pools, self._targets[event._value]):
            self.staff(pool, target)

    def free(self, pool: PoolState, agent: int) -> None:
        """A free agent leaves if their shift is over, else takes the next caller or waits."""
        if pool.leaving:
            pool.leaving -= 1
            self._leave(pool, agent)
            return
        i = self._next_for(pool.routes, self.env._now)
        if i >= 0:
            self.answer(pool, agent, i)
        else:
            pool.idle.append(agent)

    def staff(self, pool: PoolState, target: int) -> None:
        """Move the pool's number on duty to ``target``."""
        staying = pool.present - pool.leaving
        if target > staying:
            coming = target - staying
            kept = min(pool.leaving, coming)  # busy agents asked to stay on after all
            pool.leaving -= kept
            for _ in range(coming - kept):
                agent = pool.off_duty.pop() if pool.off_duty else self._new_agent(pool)
                pool.present += 1
                self.presence.add(self.env._now, pool.index, +1)
                self.free(pool, agent)
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
