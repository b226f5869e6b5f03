"""How contacts end: outcomes, busy signals, messages, closing time, and calling again.

A caller who hangs up, is told to use another channel, finds every line busy, balks at the
announced wait, leaves a message (an agent handles it later, without the caller) or is still
waiting when the center closes: each contact ends in exactly one outcome, written here. A
customer whose contact ended without an answer may call again later (a redial: the same
question as a new contact, or the same call again), unless the center has closed by then.
These are the journey's last steps; :class:`~ccsim.engine.journey.Journey` inherits them, so
every step reads the same per-contact state.
"""

from __future__ import annotations

import math

from .callers import handle_time_of, patience_of
from .queues import ARRIVING, DONE, WAITING
from .records import Outcome
from .steps import later

#: Outcomes after which a customer may call again with ``redial.after_abandon``, ``after_unresolved``.
_HUNG_UP = frozenset(map(int, (Outcome.ABANDONED, Outcome.IVR_ABANDONED, Outcome.HOLD_ABANDONED)))
_NOT_RESOLVED = frozenset(map(int, (Outcome.UNRESOLVED, Outcome.DROPPED)))
_TURNED_AWAY = frozenset(map(int, (Outcome.BLOCKED, Outcome.BALKED)))
#: Outcomes after which a redial may follow at all: most contacts end resolved, and skip the check.
_MAY_REDIAL = _HUNG_UP | _NOT_RESOLVED | _TURNED_AWAY


class Endings:
    """The last steps of a contact's journey (a part of :class:`Journey`, sharing its state)."""

    def redirect(self, i: int, redirect, channel: int) -> None:
        """The channel tells the customer to use another one: this contact ends, a new one follows."""
        self.end(i, Outcome.REDIRECTED)
        rng = self._streams["channels"]
        delay = float(redirect.delay.ppf(rng.random()))
        limit = self._redial[self.records.segment[i]]
        if limit is not None and self.records.attempt[i] + 1 >= limit.max_contacts:
            return  # the follow-up would be one contact more than the customer makes
        if self.env._now + delay < self._horizon:
            later(self.env, delay, (i, channel), self._on_call_again)

    def _refuse(self, i: int, visit: int, outcome: Outcome) -> None:
        """A busy signal or a balk at a queue: the contact ends; at its first queue it was never offered."""
        if visit == 1:
            rec = self.records
            rec.queue_join[i] = math.nan
            rec.queue[i] = -1
            rec.queues[i] = 0
        self.end(i, outcome)

    def _balks(self, i: int, k: int) -> bool:
        """Whether a caller who must wait hangs up at once (more likely the longer the announced wait)."""
        spec = self._balk[self.records.segment[i]]
        if spec is None:
            return False
        chance = min(spec.max, spec.probability + spec.per_minute * self.expected_wait(k) / 60.0)
        return self._uniforms["balking"][i][0] < chance

    def expected_wait(self, k: int) -> float:
        """What the center would announce: position in queue × mean handle time / agents answering."""
        agents = sum(pool.present for pool in self._first[k])
        return self._live[k] * self._mean_handle[k] / max(agents, 1)

    def _turn_away(self, i: int) -> None:
        """Every line busy: a busy signal at arrival (counted in arrivals, never offered)."""
        self._state[i] = DONE
        rec = self.records
        rec.end[i] = self.env._now
        rec.outcome[i] = Outcome.BLOCKED
        self._after_end(i, Outcome.BLOCKED)

    def _offer_message(self, event) -> None:
        """A caller who has waited long enough may leave a message: they hang up, the message waits."""
        token = event._value
        if not self.still_waiting(token):
            return
        i = token >> 8
        rec = self.records
        row = self._uniforms["messages"][i]
        if row[min(rec.queues[i], len(row)) - 1] >= self._message_offer[self._at[i]].accept:
            return
        rec.message[i] = 1
        rec.outcome[i] = Outcome.MESSAGE
        rec.end[i] = self.env._now  # the caller's time ends; the message keeps its place in line
        if self._count_live:
            self._live[self._at[i]] -= 1
        if self._limit is not None:
            self._in_center -= 1

    def _serve_message(self, pool, agent: int, i: int) -> None:
        """An agent handles a message a caller left: the handle time, without the caller."""
        self._since[i] = self.env._now
        duration = self.records.handle_time[i]
        if self._speed is not None:
            duration *= self._speed[pool.index][self.records.intent[i]]
        later(self.env, duration, (pool, agent, i), self._message_handled)

    def _message_handled(self, event) -> None:
        pool, agent, i = event._value
        rec = self.records
        now = self.env._now
        self._state[i] = DONE
        rec.message[i] = 2
        rec.talk[i] += now - self._since[i]
        self.work.add(pool.index, i, agent, self._since[i], now + self._wrap_up(pool, agent, i, 0))

    def close(self, event) -> None:
        """Closing time (``drain: clear``): callers still waiting are disconnected; messages stay."""
        rec = self.records
        for k, lines in enumerate(self._lines):
            for line in lines:
                for i in list(line):
                    if self._state[i] == WAITING and rec.message[i] != 1:
                        if self._count_live:
                            self._live[k] -= 1
                        self.end(i, Outcome.CLEARED)

    def end(self, i: int, outcome: int) -> None:
        """The contact ends (other than resolved by an agent of a plain queue); maybe a redial."""
        self._state[i] = DONE
        rec = self.records
        rec.end[i] = self.env._now
        rec.outcome[i] = outcome
        if self._limit is not None:
            self._in_center -= 1
        if self.warm and i in self.warm:
            self.release_warm(i)
        if outcome in _MAY_REDIAL and self._redial[rec.segment[i]] is not None:
            self._after_end(i, outcome)

    def _after_end(self, i: int, outcome: int) -> None:
        """A customer who did not get an answer may call again."""
        redial = self._redial[self.records.segment[i]]
        if redial is None:
            return
        if outcome in _HUNG_UP:
            self._maybe_call_again(i, redial, redial.after_abandon)
        elif outcome in _NOT_RESOLVED:
            self._maybe_call_again(i, redial, redial.after_unresolved)
        elif outcome in _TURNED_AWAY:
            chance = redial.after_blocked if redial.after_blocked is not None else redial.after_abandon
            self._maybe_call_again(i, redial, chance)

    def _maybe_call_again(self, i: int, redial, probability: float) -> None:
        """A customer who did not get an answer may call again later, unless the center has closed by then."""
        rec = self.records
        rng = self._streams["redials"]
        if rec.attempt[i] + 1 >= redial.max_contacts or rng.random() >= probability:
            return
        delay = float(redial.delay.ppf(rng.random()))
        if self.env._now + delay < self._horizon:  # after closing: another day's call
            later(self.env, delay, (i, rec.channel[i]), self._on_call_again)

    def call_again(self, event) -> None:
        """The same customer, the same question, a new contact with fresh patience and handle time.

        After a redirect the new contact is in the other channel, and the customer tells the
        story again (unless context is shared).
        """
        i, channel = event._value
        rec = self.records
        streams = self._streams
        plan = self.plan
        segment, intent = rec.segment[i], rec.intent[i]
        interval = min(int(self.env._now // plan.interval), plan.n_intervals - 1)
        patience = patience_of(plan, segment, intent, interval, streams["patience"].random())
        if self._redial[segment] is not None and self._redial[segment].mode == "retry" and channel == rec.channel[i]:
            handle = rec.handle_time[i]  # the same call again
        else:
            handle = handle_time_of(plan, intent, interval, streams["handle_times"].random())
        j = rec.add_contact(customer=rec.customer[i], attempt=rec.attempt[i] + 1, channel=channel,
                            arrival=self.env._now, segment=segment, intent=intent, secondary=rec.secondary[i],
                            patience=patience, handle_time=handle)
        for name, width in self._widths.items():
            self._uniforms[name].append(streams[name].random(width))
        if self._wraps is not None:
            spec = plan.wrapup[intent]
            row = self._uniforms["wrapup"][j]
            self._wraps.append([float(spec.ppf(u)) for u in row] if spec is not None else [0.0] * len(row))
        if self._redirect_u is not None:
            self._redirect_u.append(streams["channels"].random())
        if i in self._secondary:
            self._secondary[j] = self._secondary[i]
        if channel != rec.channel[i] and self._reexplain is not None:
            self._explain.add(j)
        self._state.append(ARRIVING)
        self._at.append(0)
        self._joined.append(0.0)
        self._since.append(0.0)
        self.start(j)
