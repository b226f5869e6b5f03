"""Trace: one customer's path through the center, as a timeline a planner can read.

"What actually happened to the caller who was transferred three times?" A trace simulates one
replication and tells one customer's story: when each contact arrived and about what, what
they chose in the IVR, which queues they joined, how long they waited, who answered, what the
agent did (resolved, failed, handed on, put them on hold), how it ended, and when they called
again. The story is told by a subclass of the engine that notes each step of one customer as
it happens; the engine itself is unchanged, so the replication is the same one ``ccsim run``
simulates.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..engine.model import _HAND_ON, Center
from ..engine.records import Outcome
from ..engine.streams import Streams
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario

_ENDINGS = {
    Outcome.ABANDONED: "hangs up in the queue",
    Outcome.UNRESOLVED: "ends unresolved",
    Outcome.CONTAINED: "resolved in self-service",
    Outcome.IVR_ABANDONED: "hangs up in the IVR",
    Outcome.HOLD_ABANDONED: "hangs up on hold",
    Outcome.DROPPED: "the line drops on hold",
    Outcome.REDIRECTED: "is told to use another channel",
}


def trace(
    scenario: Scenario | str | Path | Mapping[str, Any],
    customer: int | None = None,
    seed: int | None = None,
    replication: int = 0,
) -> list[str]:
    """The timeline of one customer in one replication, one line per event.

    Args:
        customer: the customer's number; default: the first who was transferred, else the
            first who called more than once, else the first who had to wait, else the first.

    Raises:
        ValueError: if the replication has no such customer.
    """
    s = load_scenario(scenario)
    seed = s.seed if seed is None else seed
    if customer is None:
        r = Center(s, Streams(seed, replication)).run().records.columns()
        if len(r["customer"]) == 0:
            raise ValueError("no contact arrived in this replication")
        customer = _interesting_customer(r)
    center = _TracedCenter(s, Streams(seed, replication), customer).run()
    r = center.records.columns()
    mine = np.flatnonzero(r["customer"] == customer)
    if len(mine) == 0:
        top = int(r["customer"].max()) if len(r["customer"]) else -1
        raise ValueError(f"no customer {customer} in replication {replication} (customers 0-{top})")
    segment = s.segments[r["segment"][mine[0]]].name
    clock = _clock(s)
    lines = [f"customer {customer} (segment {segment}) — {s.name}, replication {replication}, seed {seed}"]
    center.note_unfinished()
    lines += [f"{clock(t)}  {text}" for t, _, text in sorted(center.log)]
    return lines


def _interesting_customer(r: dict[str, np.ndarray]) -> int:
    for mask in (r["transfers"] > 0, r["attempt"] > 0,
                 (np.nan_to_num(r["answer"], nan=np.inf) - r["queue_join"]) > 0):
        found = np.flatnonzero(mask)
        if len(found):
            return int(r["customer"][found[0]])
    return int(r["customer"][0])


class _TracedCenter(Center):
    """The engine, noting every step of one customer's contacts in ``log``."""

    def __init__(self, scenario: Scenario, streams: Streams, customer: int):
        super().__init__(scenario, streams)
        self.customer = customer
        self.log: list[tuple[float, int, str]] = []
        self._contact_no: dict[int, int] = {}
        self._last_channel = -1
        self._plain = False  # every contact through _start, where arrivals are noted

    def _mine(self, i: int) -> bool:
        return self.records.customer[i] == self.customer

    def _note(self, text: str, at: float | None = None) -> None:
        self.log.append((self.env._now if at is None else at, len(self.log), text))

    def _start(self, i: int) -> None:
        if self._mine(i):
            self._note_arrival(i)
        super()._start(i)
        if self._mine(i) and self.records.ivr_levels[i]:
            rec = self.records
            walk = self._ivr.walk(rec.intent[i], rec.segment[i], self._uniforms["ivr"][i], explain=True)
            now = self.env._now
            for seconds, step in walk.steps:
                self._note(f"  IVR: {step}", at=now + seconds)
            if walk.skill >= 0 and walk.misrouted:
                self._note(f"  IVR: sent to the {self.skills[walk.skill]} queue, not the one for its question",
                           at=now + walk.seconds)

    def _note_arrival(self, i: int) -> None:
        s, rec = self.scenario, self.records
        k = self._contact_no[i] = len(self._contact_no) + 1
        attempt = rec.attempt[i]
        kind = "first contact" if attempt == 0 else f"redial {attempt}"
        if attempt and rec.channel[i] != self._last_channel:
            kind = f"contact {attempt + 1}, after a redirect"
        self._last_channel = rec.channel[i]
        channel = f" by {self._channels[rec.channel[i]].name}" if s.channels is not None else ""
        patience = rec.patience[i]
        further = self._secondary.get(i, ())
        also = f" (also: {', '.join(s.intents[y].name for y, _ in further)})" if further else ""
        self._note(f"contact {k} ({kind}){channel} arrives: {s.intents[rec.intent[i]].name}{also}, "
                   f"patience {'unlimited' if math.isinf(patience) else duration(patience)}")

    def _leave_ivr(self, event) -> None:
        i, _, _ = event._value
        if self._mine(i):
            self._note(f"leaves the IVR after {duration(self.env._now - self.records.arrival[i])}")
        super()._leave_ivr(event)

    def _join_queue(self, i: int, k: int) -> None:
        mine = self._mine(i)
        if mine:
            n = self.records.transfers[i]
            self._note(f"joins the {self.skills[k]} queue" + (f" (transfer {n})" if n else ""))
        super()._join_queue(i, k)
        if mine and self.records.callback[i] == 1 and self._state[i] == 1:
            self._note("accepts a callback: keeps their place and hangs up")

    def _answer(self, pool, agent: int, i: int) -> None:
        if self._mine(i):
            how = "called back" if self.records.callback[i] == 1 else "answered"
            self._note(f"{how} by {pool.name} agent {agent} after waiting {duration(self.env._now - self._joined[i])}")
        super()._answer(pool, agent, i)

    def _research_hold(self, i, research, row, talk, outcome):
        result = super()._research_hold(i, research, row, talk, outcome)
        if self._mine(i):
            self._note("put on hold while the agent researches", at=self.env._now + talk / 2)
        return result

    def _served(self, event) -> None:
        i = event._value
        if self._mine(i):
            self._note_service_end(i)
        super()._served(event)

    def _note_service_end(self, i: int) -> None:
        outcome, target = self._plan[i]
        rec = self.records
        took = duration(self.env._now - self._since[i])
        if outcome != _HAND_ON:
            further = ""
            if rec.secondary[i]:
                handled = rec.secondary[i] - rec.lost_intents[i]
                further = f"; {handled} of {rec.secondary[i]} further questions handled, {rec.lost_intents[i]} lost"
            self._note(f"{'resolved' if outcome == Outcome.RESOLVED else _ENDINGS[Outcome(outcome)]} after {took} "
                       f"with the agent{further}")
        elif target < 0:
            self._note(f"the agent cannot resolve it and has no one to pass it to: ends unresolved after {took}")
        elif rec.transfers[i] >= self.scenario.transfers.max_chain:
            self._note(f"would be transferred again, but the chain is at its maximum: ends unresolved after {took}")
        else:
            self._note(f"the agent hands it on to the {self.skills[target]} queue after {took} "
                       f"({self.scenario.transfers.mode} transfer)")

    def _finish(self, event) -> None:
        i = event._value
        if self._mine(i):
            self._note(f"done after {duration(self.env._now - self.records.answer[i])} with the agent: resolved")
        super()._finish(event)

    def _end(self, i: int, outcome: Outcome) -> None:
        if self._mine(i) and outcome in (Outcome.ABANDONED, Outcome.IVR_ABANDONED, Outcome.CONTAINED,
                                         Outcome.REDIRECTED):
            if outcome == Outcome.ABANDONED:
                self._note(f"hangs up after waiting {duration(self.env._now - self._joined[i])}")
            else:
                self._note(_ENDINGS[outcome])
        super()._end(i, outcome)

    def note_unfinished(self) -> None:
        """Contacts of the customer still in the center when the simulation stopped."""
        rec = self.records
        for i in self._contact_no:
            if rec.outcome[i] == Outcome.IN_SYSTEM:
                where = "with the agent" if self._state[i] == 2 else "waiting"
                self._note(f"still {where} when the simulation stopped")


def _clock(s: Scenario):
    hh, mm = (int(x) for x in s.horizon.start.split(":"))
    origin = hh * 3600 + mm * 60

    def clock(t: float) -> str:
        day, rest = divmod(int(origin + t), 86400)
        text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
        return text if day == 0 else f"d{day + 1} {text}"

    return clock


def duration(seconds: float) -> str:
    """``83.2`` -> ``'1 min 23 s'``."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
