"""The journey of a contact: arrival, IVR, queue, answer, service, transfer, end, redial.

A caller rings and walks through the IVR (if the channel has one), or is told to use another
channel; then joins the queue of the skill the IVR sent them to. The first pool listed for
that skill answers as soon as one of its agents is free; an overflow pool (``after: 30``) may
answer once the caller has waited 30 seconds. A caller whose patience runs out hangs up, and
may call again later. An agent serves the caller (:mod:`ccsim.engine.service` decides how
that ends) and the contact ends, or is handed on to another queue, cold (the agent is free)
or warm (the agent stays on the line until the next one answers).

Each step is one small method, run as the callback of a SimPy event: a plain caller costs one
event to arrive, one to hang up if they wait, one to finish service, and nothing while
waiting. Timers carry the queue visit they belong to (``contact << 8 | visit``), so a timer
from a caller's earlier wait never acts on a later one. A center without IVR, transfers,
callbacks or a resolution model takes a shorter path (``join_plain``, ``finish``): every
Erlang run spends its time there.
"""

from __future__ import annotations

import math

from .endings import Endings
from .ivr import CONTAINED, HUNG_UP
from .plan import CLEAR
from .queues import DONE, SERVING, WAITING
from .records import Outcome
from .service import HAND_ON
from .steps import later

_RESOLVED = int(Outcome.RESOLVED)
_ABANDONED = int(Outcome.ABANDONED)

#: Outcomes after which a customer may call again with ``redial.after_abandon``, ``after_unresolved``.
_HUNG_UP = frozenset(map(int, (Outcome.ABANDONED, Outcome.IVR_ABANDONED, Outcome.HOLD_ABANDONED)))
_NOT_RESOLVED = frozenset(map(int, (Outcome.UNRESOLVED, Outcome.DROPPED)))
_TURNED_AWAY = frozenset(map(int, (Outcome.BLOCKED, Outcome.BALKED)))


class Journey(Endings):
    """The steps of every contact's journey in one replication (the model wires the parts)."""

    def __init__(self, model, callers):
        plan = self.plan = model.plan
        self.env = model.env
        self.records = model.records
        self.work = model.work
        self._streams = model.streams
        self._state, self._at, self._joined, self._since = model.state, model.at, model.joined, model.since
        self.queues = model.queues
        self.agents = model.agents
        self.service = model.service
        self._uniforms = model.uniforms
        self._secondary = model.secondary
        self._explain = model.explain
        self._redirect_u = model.redirect_u
        self._ivr_patience = model.ivr_patience or []
        self._arrival_times = model.arrival_times
        self._lines = self.queues.lines
        self._fresh_class, self._transfer_class = plan.fresh_class, plan.transfer_class
        self._weighted = plan.weighted_classes
        self._live = self.queues.live
        # Arriving contacts go to the first listed pool with a free agent, by an inline loop,
        # unless some queue routes by another rule (then the agents pick).
        self._pool_order = all(rule == "pool_order" for rule in plan.selection)
        self._pick = self.agents.pick
        self._first = self.agents.first
        self._intent_skill = plan.intent_skill
        self._overflow = [[(after, self._make_overflow(self.agents.pools[p], k)) for after, p in plan.overflow[k]]
                          for k in range(len(plan.skills))]
        self._redial = plan.redial
        self._ivr = plan.ivr
        self._channel_ivr = plan.channel_ivr
        self._channel_skill = plan.channel_skill
        self._redirects = plan.redirects
        self._plain = plan.plain
        self._journey = plan.journey
        self._max_chain, self._warm_mode = plan.max_chain, plan.warm_transfers
        self._patience_factor, self._transfer_priority = plan.transfer_patience_factor, plan.transfer_priority
        self._reexplain = plan.reexplain
        self._callback = plan.callback
        self._mean_handle = plan.mean_handle
        self._horizon = plan.horizon
        self._widths = plan.uniform_widths
        self._speed = plan.speed
        self._wraps = model.wraps
        self._wrap_factor = plan.wrapup_factor
        self._limit, self._in_center = plan.lines, 0  # contacts the center holds, and holds now
        self._capacity, self._message_offer, self._balk = plan.capacity, plan.message, plan.balk
        self._count_live = plan.callback is not None or any(c is not None for c in plan.capacity) or any(plan.balk)
        self._clearing = plan.end_of_day == CLEAR
        self._messages = any(m is not None for m in plan.message)
        # Whether a contact that must wait meets anything beyond a plain line (one test, not four).
        self._waits_plainly = not (self._clearing or self._count_live or self._messages)
        self._outcome_of: dict[int, tuple[int, int]] = {}  # contact -> (outcome or HAND_ON, target queue)
        self.warm: dict[int, tuple[object, int, float, float]] = {}  # contact -> the agent holding it
        # The callbacks of the three events a plain caller costs, bound once rather than per event.
        self._on_arrive, self._on_finish, self._on_abandon = self.arrive, self.finish, self.abandon_plain
        self._free = self.agents.free
        # The journey's steps too (a bound method made per event cost every service and timer).
        self._on_served, self._on_leave_ivr, self._on_timeout = self.served, self.leave_ivr, self.abandon
        self._on_call_again, self._decide, self._add_work = self.call_again, self.service.decide, self.work.add
        self._pools = self.agents.pools

    # -- arrival ----------------------------------------------------------------------------------

    def arrive(self, event) -> None:
        i = event._value
        times = self._arrival_times
        if i + 1 < len(times):
            later(self.env, times[i + 1] - self.env._now, i + 1, self._on_arrive)
        if self._plain:
            self.join_plain(i)
        else:
            self.start(i)

    def join_plain(self, i: int) -> None:
        """:meth:`join_queue` for a plain center, where a contact visits one queue, once.

        The Erlang runs spend most of their time here, so it skips what a plain center lacks
        (channels, transfers, callbacks).
        """
        now = self.env._now
        rec = self.records
        k = self._intent_skill[rec.intent[i]]
        rec.queue_join[i] = now
        rec.queues[i] = 1
        self._joined[i] = now
        if self._pool_order:
            for pool in self._first[k]:
                if pool.idle:
                    self.answer(pool, pool.idle.popleft(), i)
                    return
        else:
            pool, agent = self._pick(k, i)
            if pool is not None:
                self.answer(pool, agent, i)
                return
        self._state[i] = WAITING
        self._lines[k][self._fresh_class[rec.segment[i]]].append(i)
        patience = rec.patience[i]
        if patience != math.inf:
            later(self.env, patience, i, self._on_abandon)
        for after, overflow in self._overflow[k]:
            if after < patience:
                later(self.env, after, i << 8 | 1, overflow)

    def abandon_plain(self, event) -> None:
        i = event._value
        if self._state[i] == WAITING:  # else answered already
            self._state[i] = DONE
            rec = self.records
            rec.end[i] = self.env._now
            rec.outcome[i] = _ABANDONED
            redial = self._redial[rec.segment[i]]
            if redial is not None:
                self._maybe_call_again(i, redial, redial.after_abandon)

    def start(self, i: int) -> None:
        """A contact begins: a busy signal, a channel redirect, the IVR, or straight to a queue."""
        if self._limit is not None:
            if self._in_center >= self._limit:
                self._turn_away(i)
                return
            self._in_center += 1
        rec = self.records
        c = rec.channel[i]
        redirect = self._redirects[c]
        if redirect is not None and rec.intent[i] in redirect[0] and self._redirect_u[i] < redirect[1].probability:
            self.redirect(i, redirect[1], redirect[2])
        elif self._channel_ivr[c]:
            patience = self._ivr_patience[i] if i < len(self._ivr_patience) else None
            end, skill, seconds, levels, misrouted = self._ivr.route(rec.intent[i], rec.segment[i],
                                                                     self._uniforms["ivr"][i], patience)
            rec.ivr_levels[i] = levels
            rec.misrouted[i] = misrouted
            later(self.env, seconds, (i, end, skill), self._on_leave_ivr)
        else:
            k = self._channel_skill[c]
            self.join_queue(i, k if k >= 0 else self._intent_skill[rec.intent[i]])

    def leave_ivr(self, event) -> None:
        i, end, skill = event._value
        if end == HUNG_UP:
            self.end(i, Outcome.IVR_ABANDONED)
        elif end == CONTAINED:
            self.end(i, Outcome.CONTAINED)
        else:
            self.join_queue(i, skill)

    # -- waiting ----------------------------------------------------------------------------------

    def join_queue(self, i: int, k: int) -> None:
        now = self.env._now
        rec = self.records
        visit = rec.queues[i] + 1
        rec.queues[i] = visit
        if visit == 1:
            rec.queue_join[i] = now
            rec.queue[i] = k
        self._at[i] = k
        self._joined[i] = now
        if self._pool_order:
            for pool in self._first[k]:
                if pool.idle:
                    self.answer(pool, pool.idle.popleft(), i)
                    return
        else:
            pool, agent = self._pick(k, i, visit - 1)
            if pool is not None:
                self.answer(pool, agent, i)
                return
        if not self._waits_plainly and self._clearing and now >= self._horizon:
            self.end(i, Outcome.CLEARED)  # the center has closed its queues
            return
        if self._count_live:
            capacity = self._capacity[k]
            if capacity is not None and self._live[k] >= capacity:
                self._refuse(i, visit, Outcome.BLOCKED)  # the queue is full: a busy signal
                return
            if visit == 1 and self._balks(i, k):
                self._refuse(i, visit, Outcome.BALKED)
                return
            self._live[k] += 1
        self._state[i] = WAITING
        transfers = rec.transfers[i]
        self._lines[k][(self._transfer_class if transfers else self._fresh_class)[rec.segment[i]]].append(i)
        patience = rec.patience[i]
        if transfers:
            patience *= self._patience_factor ** transfers
        if self._callback is not None:
            if rec.callback[i] == 0 and self.expected_wait(k) > self._callback.threshold_seconds:
                accepted = self._uniforms["callbacks"][i][0] < self._callback.accept
                rec.callback[i] = 1 if accepted else 2
                if accepted:
                    patience = math.inf  # keeps their place; the agent calls them back
        token = i << 8 | (visit & 0xFF)
        if patience != math.inf:
            later(self.env, patience, token, self._on_timeout)
        for after, overflow in self._overflow[k]:
            if after < patience:
                later(self.env, after, token, overflow)
        if self._messages:
            offer = self._message_offer[k]
            if offer is not None and offer.after < patience:
                later(self.env, offer.after, token, self._offer_message)

    def still_waiting(self, token: int) -> bool:
        """Whether the timer ``token`` belongs to a caller's wait that is still going on (a message
        left in the line is not a caller waiting)."""
        i = token >> 8
        rec = self.records
        return self._state[i] == WAITING and (rec.queues[i] & 0xFF) == (token & 0xFF) and rec.message[i] != 1

    def abandon(self, event) -> None:
        token = event._value
        if self.still_waiting(token):  # else answered already, or a timer of an earlier wait
            i = token >> 8
            if self._count_live:
                self._live[self._at[i]] -= 1
            self.end(i, Outcome.ABANDONED)

    def _make_overflow(self, pool, k: int):
        """The callback that lets ``pool`` take a caller who has waited long enough in queue k.

        When the timer of a caller still waiting fires, the pool (if it has a free agent) takes
        the contact of queue k it would take now: that caller, or one ahead of them (an earlier
        caller of the same line became eligible earlier and found no free agent; a caller of a
        line served first goes first if they have waited long enough too).
        """
        lines = self._lines[k]
        after = next(r[1] for r in pool.routes if r[0] is lines)
        eligible_in, pop_idle = self.queues.eligible_in, self.agents.pop_idle
        weighted = self._weighted

        def overflow(event) -> None:
            if pool.idle and self.still_waiting(event._value):
                j = eligible_in(k, after, self.env._now, weighted)
                if j >= 0:
                    self.answer(pool, pop_idle(pool), j)

        return overflow

    # -- service ----------------------------------------------------------------------------------

    def answer(self, pool, agent: int, i: int) -> None:
        rec = self.records
        if self._count_live and self._state[i] == WAITING and rec.message[i] != 1:
            self._live[self._at[i]] -= 1
        self._state[i] = SERVING
        rec.pool[i] = pool.index
        rec.agent[i] = agent
        if self._messages and rec.message[i] == 1:
            self._serve_message(pool, agent, i)
        elif self._journey:
            self.serve(pool, i, pool.slowdown[pool.idle.load[agent] - 1] if pool.slowdown is not None else 1.0)
        else:  # a plain queue: resolved in its handle time (inline: every Erlang run passes here)
            rec.answer[i] = self.env._now
            handle = rec.handle_time[i]
            if self._speed is not None:
                handle *= self._speed[pool.index][rec.intent[i]]
            if pool.slowdown is not None:  # a chat agent holding more conversations is slower on each
                handle *= pool.slowdown[pool.idle.load[agent] - 1]
            later(self.env, handle, i, self._on_finish)

    def finish(self, event) -> None:
        """A plain queue's service ends (its talk and work are booked after the run)."""
        i = event._value
        rec = self.records
        self._state[i] = DONE
        rec.end[i] = self.env._now
        rec.outcome[i] = _RESOLVED
        if self._limit is not None:
            self._in_center -= 1
        pool = self.agents.pools[rec.pool[i]]
        if self._wraps is None:
            self._free(pool, rec.agent[i])
        else:
            self._wrap_up(pool, rec.agent[i], i, 0)

    def _release(self, pool, agent: int, i: int, visit: int, since: float, now: float) -> None:
        """The agent's service of ``i`` ends: book the work (and after-call work), then the
        agent is free."""
        if self._wraps is None:
            self._add_work(pool.index, i, agent, since, now)
            self._free(pool, agent)
        else:
            self._add_work(pool.index, i, agent, since, now + self._wrap_up(pool, agent, i, visit))

    def _wrap_up(self, pool, agent: int, i: int, visit: int) -> float:
        """After the caller leaves, the agent finishes the contact's after-call work, then is free.

        Returns the after-call work's length (0: free at once).
        """
        wrap = self._wraps[i][visit] * self._wrap_factor[pool.index] if self._wraps is not None else 0.0
        if wrap > 0:
            self.records.wrap[i] += wrap
            later(self.env, wrap, (pool, agent), self._wrapped)
        else:
            self._free(pool, agent)
        return wrap

    def _wrapped(self, event) -> None:
        pool, agent = event._value
        self._free(pool, agent)

    def serve(self, pool, i: int, slowdown: float = 1.0) -> None:
        """The resolution model decides now how the service ends; an event marks when."""
        rec = self.records
        now = self.env._now
        if self.warm and i in self.warm:
            self.release_warm(i)
        if rec.queues[i] == 1 or math.isnan(rec.answer[i]):
            rec.answer[i] = now
        self._since[i] = now
        duration, outcome, target = self._decide(pool.index, i, slowdown)
        self._outcome_of[i] = (outcome, target)
        later(self.env, duration, i, self._on_served)

    def served(self, event) -> None:
        """The service ends: the contact ends, or is handed on to another queue."""
        i = event._value
        outcome, target = self._outcome_of.pop(i)
        rec = self.records
        now = self.env._now
        since = self._since[i]
        rec.talk[i] += now - since
        pool = self._pools[rec.pool[i]]
        agent = rec.agent[i]
        visit = rec.transfers[i]
        if outcome != HAND_ON:
            self.end(i, outcome)
            self._release(pool, agent, i, visit, since, now)
        elif target < 0 or visit >= self._max_chain:
            rec.lost_intents[i] = rec.secondary[i]
            self.end(i, Outcome.UNRESOLVED)  # nowhere to go, or passed on too often
            self._release(pool, agent, i, visit, since, now)
        else:
            rec.transfers[i] += 1
            if self._warm_mode:
                self.warm[i] = (pool, agent, since, now, visit)  # on the line until the next agent answers
                self.join_queue(i, target)
            else:
                if self._reexplain is not None:
                    self._explain.add(i)
                self.join_queue(i, target)
                self._release(pool, agent, i, visit, since, now)

    def planned_end(self, i: int) -> tuple[int, int]:
        """How the service in progress of ``i`` will end: (outcome or HAND_ON, target queue)."""
        return self._outcome_of[i]

    def release_warm(self, i: int) -> None:
        """The agent who held a warm transfer is free: the next agent answered, or the caller left."""
        pool, agent, since, handed, visit = self.warm.pop(i)
        now = self.env._now
        self.records.talk[i] += now - handed
        self._release(pool, agent, i, visit, since, now)
