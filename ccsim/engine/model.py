"""The model of one replication: one simulated day of one center.

The plan (:mod:`ccsim.engine.plan`) says how the center is built; the model holds what
happens on one day: the SimPy environment, the replication's random streams, the callers
drawn for the day (:mod:`ccsim.engine.callers`), and the records the KPIs are computed from
(:mod:`ccsim.engine.records`). It wires the parts — the queues' waiting lines
(:mod:`~ccsim.engine.queues`), the pools and their staffing (:mod:`~ccsim.engine.agents`),
what an agent does with a contact (:mod:`~ccsim.engine.service`) and the journey steps that
move a contact along (:mod:`~ccsim.engine.journey`) — and runs the day.

Example:
    >>> model = Model(compile_plan(scenario), Streams(scenario.seed, replication=0)).run()
    >>> model.records.outcome  # one code per contact
"""

from __future__ import annotations

from array import array

import numpy as np
import simpy

from ..spec.scenario import Scenario
from .agents import Agents
from .callers import Callers, Rows, draw_callers
from .journey import Journey
from .plan import CLEAR, STOP, Plan, compile_plan
from .queues import SERVING, Queues
from .records import ContactRecords, Outcome, PresenceRecords, WorkRecords
from .service import Service
from .staffing import Staffing, combine, levels, whole_agents
from .steps import later
from .streams import Streams

_RESOLVED = int(Outcome.RESOLVED)


class Model:
    """One replication of a center.

    Args:
        plan: the compiled scenario (a Scenario is compiled here, for convenience).
        streams: the replication's random streams.
        callers: the day's callers, when given explicitly (a test, a replayed day);
            otherwise drawn from ``streams``.
    """

    #: The parts a model is built from; a subclass may swap one (a traced journey, say).
    journey_class = Journey
    service_class = Service

    def __init__(self, plan: Plan | Scenario, streams: Streams | None = None, callers: Callers | None = None):
        if isinstance(plan, Scenario):
            plan = compile_plan(plan)
        self.plan = plan
        if callers is None:
            if streams is None:
                raise ValueError("give the replication's streams, or the callers explicitly")
            callers = draw_callers(plan, streams)
        in_run = any(plan.redial) or any(plan.redirects)
        if in_run and streams is None:
            raise ValueError("redials and redirects draw from the replication's streams: give them")
        self.streams = streams
        self.env = simpy.Environment()
        self.records = ContactRecords()
        self.work = WorkRecords()
        self.presence = PresenceRecords()
        n = len(callers.arrival)
        extra = {"channel": callers.channel} if callers.channel is not None else {}
        if callers.secondary:
            extra["secondary"] = np.zeros(n, np.int8)
            extra["secondary"][list(callers.secondary)] = [len(v) for v in callers.secondary.values()]
        self.records.add_batch(callers.arrival, callers.segment, callers.intent, callers.patience,
                               callers.handle_time, **extra)
        self.arrival_times = np.asarray(callers.arrival, dtype=float)
        # Per contact, while the day runs: its state, the queue it is in (or last was), when
        # it joined that queue, and when its current service began.
        self.state = array("b", bytes(n))
        self.at = array("h", bytes(2 * n))
        self.joined = array("d", bytes(8 * n))
        self.since = array("d", bytes(8 * n))
        # Rows of uniforms per contact, by purpose (floats in lists: fast to index); contacts
        # made during the run append theirs.
        self.uniforms = {name: Rows(callers.uniforms[name]) for name in plan.uniform_widths}
        self.redirect_u = array("d", callers.uniforms["channels"]) if "channels" in callers.uniforms else None
        # IVR patience of the day's callers, drawn at once (a redial's is drawn when it calls)
        self.ivr_patience = (plan.ivr.patience(callers.segment, callers.uniforms["ivr"][:, 0]).tolist()
                             if plan.ivr is not None and "ivr" in callers.uniforms else None)
        self.secondary = dict(callers.secondary)
        self.wraps = _after_call_work(plan, callers) if plan.wrapup is not None else None
        self.explain: set[int] = set()  # contacts whose next agent must hear the story again
        self.queues = Queues(len(plan.skills), plan.n_classes, plan.class_weight, self.state, self.joined)
        self.agents = Agents(plan, self.env, self.queues, self.presence, self.uniforms.get("routing"))
        self.service = self.service_class(plan, self.records, self.uniforms, self.secondary, self.explain)
        self.journey = self.journey_class(self, callers)
        self.agents.answer = self.journey.answer
        self.staffing = plan.staffing if plan.rosters is None else self._absences(streams)

    @property
    def scenario(self) -> Scenario:
        return self.plan.scenario

    @property
    def skills(self) -> tuple[str, ...]:
        return self.plan.skills

    def run(self) -> Model:
        """Simulate the day; the records then hold what happened."""
        plan = self.plan
        env = self.env
        self.agents.start(self.staffing)
        if len(self.arrival_times):
            later(env, self.arrival_times[0], 0, self.journey.arrive)
        if plan.end_of_day == CLEAR:
            later(env, plan.horizon, None, self.journey.close)
        env.run(until=plan.horizon) if plan.end_of_day == STOP else env.run()
        if not plan.journey:
            self._book_plain_services()
        if plan.end_of_day == STOP:
            self._close_open_work()
        return self

    def _absences(self, streams: Streams | None) -> Staffing:
        """Today's staffing: each scheduled agent-day is absent with the pool's probability."""
        if streams is None:
            raise ValueError("absence draws from the replication's streams: give them")
        rng = streams["absence"]
        steps = []
        for r in self.plan.rosters:
            present = rng.random(r.n_agent_days) >= r.absence  # one draw per agent-day, in the roster's order
            steps.append(whole_agents(*levels(r, self.plan.horizon, self.plan.interval, present)))
        return combine(steps)

    def _book_plain_services(self) -> None:
        """The talk time and agent work of every service a plain queue finished, from the records.

        Without a resolution model a service is one agent from answer to end, so the hot path
        (:meth:`Journey.finish`) leaves both to this one vectorized pass after the run.
        """
        c = self.records.columns()
        joined = ~np.isnan(c["queue_join"]) & (c["queue"] < 0)  # the plain path leaves it to this pass
        c["queue"][joined] = np.asarray(self.plan.intent_skill, dtype=np.int16)[c["intent"][joined]]
        done = np.flatnonzero(c["outcome"] == _RESOLVED)
        done = done[np.argsort(c["end"][done], kind="stable")]  # in the order they finished
        c["talk"][done] = c["end"][done] - c["answer"][done]
        self.work.add_batch(c["pool"][done], done, c["agent"][done], c["answer"][done],
                            c["end"][done] + c["wrap"][done])

    def _close_open_work(self) -> None:
        """At a hard stop the calls in progress count as work up to the end."""
        now = self.env._now
        rec = self.records
        start = rec.answer if not self.plan.journey else self.since
        for i, state in enumerate(self.state):
            if state == SERVING:
                self.work.add(rec.pool[i], i, rec.agent[i], start[i], now)
        for i, (pool, agent, since, _, _) in self.journey.warm.items():
            self.work.add(pool.index, i, agent, since, now)


def _after_call_work(plan: Plan, callers: Callers) -> list[list[float]]:
    """Per contact, the after-call work of each agent visit (seconds, before the pool's factor)."""
    u = callers.uniforms["wrapup"]
    wrap = np.zeros_like(u)
    for x, spec in enumerate(plan.wrapup):
        if spec is not None:
            mask = callers.intent == x
            wrap[mask] = spec.ppf(u[mask])
    return wrap.tolist()
