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

from ..engine.journey import Journey
from ..engine.model import Model
from ..engine.plan import Plan, compile_plan
from ..engine.queues import SERVING, WAITING
from ..engine.records import Outcome
from ..engine.service import HAND_ON, Service
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
    plan = compile_plan(s)
    if customer is None:
        r = Model(plan, Streams(seed, replication)).run().records.columns()
        if len(r["customer"]) == 0:
            raise ValueError("no contact arrived in this replication")
        customer = _interesting_customer(r)
    center = _TracedModel(plan, Streams(seed, replication), customer).run()
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


class _TracedJourney(Journey):
    """The journey steps, noting every step of one customer's contacts in the model's ``log``."""

    def __init__(self, model: _TracedModel, callers):
        super().__init__(model, callers)
        self.model = model
        self._plain = False  # every contact through start(), where arrivals are noted

    def _mine(self, i: int) -> bool:
        return self.records.customer[i] == self.model.customer

    def _note(self, text: str, at: float | None = None) -> None:
        self.model.note(text, at)

    def start(self, i: int) -> None:
        if self._mine(i):
            self._note_arrival(i)
        super().start(i)
        if self._mine(i) and self.records.ivr_levels[i]:
            rec = self.records
            walk = self._ivr.walk(rec.intent[i], rec.segment[i], self._uniforms["ivr"][i], explain=True)
            now = self.env._now
            for seconds, step in walk.steps:
                self._note(f"  IVR: {step}", at=now + seconds)
            if walk.skill >= 0 and walk.misrouted:
                self._note(f"  IVR: sent to the {self.plan.skills[walk.skill]} queue, not the one for its question",
                           at=now + walk.seconds)

    def _note_arrival(self, i: int) -> None:
        s, rec, model = self.plan.scenario, self.records, self.model
        k = model.contact_no[i] = len(model.contact_no) + 1
        attempt = rec.attempt[i]
        kind = "first contact" if attempt == 0 else f"redial {attempt}"
        if attempt and rec.channel[i] != model.last_channel:
            kind = f"contact {attempt + 1}, after a redirect"
        model.last_channel = rec.channel[i]
        channel = f" by {s.channel_list()[rec.channel[i]].name}" if s.channels is not None else ""
        patience = rec.patience[i]
        further = self._secondary.get(i, ())
        also = f" (also: {', '.join(s.intents[y].name for y, _ in further)})" if further else ""
        self._note(f"contact {k} ({kind}){channel} arrives: {s.intents[rec.intent[i]].name}{also}, "
                   f"patience {'unlimited' if math.isinf(patience) else duration(patience)}")

    def leave_ivr(self, event) -> None:
        i, _, _ = event._value
        if self._mine(i):
            self._note(f"leaves the IVR after {duration(self.env._now - self.records.arrival[i])}")
        super().leave_ivr(event)

    def join_queue(self, i: int, k: int) -> None:
        mine = self._mine(i)
        if mine:
            n = self.records.transfers[i]
            self._note(f"joins the {self.plan.skills[k]} queue" + (f" (transfer {n})" if n else ""))
        super().join_queue(i, k)
        if mine and self.records.callback[i] == 1 and self._state[i] == WAITING:
            self._note("accepts a callback: keeps their place and hangs up")

    def answer(self, pool, agent: int, i: int) -> None:
        if self._mine(i):
            how = "called back" if self.records.callback[i] == 1 else "answered"
            self._note(f"{how} by {pool.name} agent {agent} after waiting {duration(self.env._now - self._joined[i])}")
        super().answer(pool, agent, i)

    def served(self, event) -> None:
        i = event._value
        if self._mine(i):
            self._note_service_end(i)
        super().served(event)

    def _note_service_end(self, i: int) -> None:
        outcome, target = self.planned_end(i)
        rec = self.records
        took = duration(self.env._now - self._since[i])
        if outcome != HAND_ON:
            further = ""
            if rec.secondary[i]:
                handled = rec.secondary[i] - rec.lost_intents[i]
                further = f"; {handled} of {rec.secondary[i]} further questions handled, {rec.lost_intents[i]} lost"
            self._note(f"{'resolved' if outcome == Outcome.RESOLVED else _ENDINGS[Outcome(outcome)]} after {took} "
                       f"with the agent{further}")
        elif target < 0:
            self._note(f"the agent cannot resolve it and has no one to pass it to: ends unresolved after {took}")
        elif rec.transfers[i] >= self.plan.max_chain:
            self._note(f"would be transferred again, but the chain is at its maximum: ends unresolved after {took}")
        else:
            self._note(f"the agent hands it on to the {self.plan.skills[target]} queue after {took} "
                       f"({self.plan.scenario.transfers.mode} transfer)")

    def finish(self, event) -> None:
        i = event._value
        if self._mine(i):
            self._note(f"done after {duration(self.env._now - self.records.answer[i])} with the agent: resolved")
        super().finish(event)

    def end(self, i: int, outcome: Outcome) -> None:
        if self._mine(i) and outcome in (Outcome.ABANDONED, Outcome.IVR_ABANDONED, Outcome.CONTAINED,
                                         Outcome.REDIRECTED):
            if outcome == Outcome.ABANDONED:
                self._note(f"hangs up after waiting {duration(self.env._now - self._joined[i])}")
            else:
                self._note(_ENDINGS[outcome])
        super().end(i, outcome)


class _TracedService(Service):
    """The service decisions, noting a research hold of the traced customer."""

    model: _TracedModel

    def research_hold(self, i, research, row, talk, outcome):
        result = super().research_hold(i, research, row, talk, outcome)
        if self.records.customer[i] == self.model.customer:
            self.model.note("put on hold while the agent researches", at=self.model.env._now + talk / 2)
        return result


class _TracedModel(Model):
    """The engine with a traced journey: the same replication ``ccsim run`` simulates."""

    journey_class = _TracedJourney
    service_class = _TracedService

    def __init__(self, plan: Plan, streams: Streams, customer: int):
        self.customer = customer
        self.log: list[tuple[float, int, str]] = []
        self.contact_no: dict[int, int] = {}
        self.last_channel = -1
        super().__init__(plan, streams)
        self.service.model = self

    def note(self, text: str, at: float | None = None) -> None:
        self.log.append((self.env._now if at is None else at, len(self.log), text))

    def note_unfinished(self) -> None:
        """Contacts of the customer still in the center when the simulation stopped."""
        rec = self.records
        for i in self.contact_no:
            if rec.outcome[i] == Outcome.IN_SYSTEM:
                where = "with the agent" if self.state[i] == SERVING else "waiting"
                self.note(f"still {where} when the simulation stopped")


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
