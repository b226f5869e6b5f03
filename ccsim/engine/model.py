"""The contact center as a SimPy model: one replication of one scenario.

A caller rings, walks through the IVR (if the channel has one), and is put in the queue of the
skill the IVR sent them to. The first pool listed for that skill answers as soon as one of its
agents is free; an overflow pool (``after: 30``) may answer once the caller has waited 30
seconds. A caller whose patience runs out hangs up. An agent who finishes a call takes the
oldest caller waiting in its first skill's queue (transferred callers first, when they have
priority), else its second skill's, and so on, or waits for the next call. At each interval
boundary the staffing changes; an agent whose shift ends finishes the current call first.

With a resolution model (scripts, competence, authority, IVR misroutes, research holds,
secondary intents; see :mod:`ccsim.policy`), what an agent does with a contact is decided when
they answer it, from the caller's own pre-drawn uniforms: resolve it, fail, or hand it on to
another queue (a transfer; cold or warm). A contact that ends without being resolved may make
the customer call again. Without one, an answered contact is resolved after its handle time,
by the shortest path (in :meth:`Center._answer`).

Each step of that journey is one small method below. The steps are SimPy events with
callbacks, not a process per caller: a plain caller costs one event to arrive, one to hang up
if they wait, one to finish service, and nothing while waiting; the IVR walk is one more. A
caller who hangs up is not searched for in the queue; the queue skips them when they reach its
head (lazy deletion). Timers carry the queue visit they belong to, so a timer from a caller's
earlier wait never acts on a later one. Everything the KPIs need is written to
:mod:`ccsim.records`.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import simpy
from simpy.events import Timeout

from ..spec.scenario import MAX_SECONDARY, Scenario
from .arrivals import poisson_arrival_times
from .ivr import CONTAINED, HUNG_UP, IvrModel
from .policy import CLOSE, FLEX, pool_policies
from .records import ContactRecords, Outcome, PresenceRecords, WorkRecords
from .streams import Streams

# A contact's state while the simulation runs (kept by the model, not in the records).
ARRIVING, WAITING, SERVING, DONE = 0, 1, 2, 3

# Times compare with a tolerance: ``join + after`` computed on the event heap may differ from
# ``now`` in the last bit.
_EPS = 1e-9

_RESOLVED = int(Outcome.RESOLVED)
_ABANDONED = int(Outcome.ABANDONED)
_UNRESOLVED = int(Outcome.UNRESOLVED)
_HAND_ON = -1  # a service that ends in a handoff, not an outcome

#: Outcomes after which a customer may call again with ``redial.after_abandon``, ``after_unresolved``.
_HUNG_UP = frozenset(map(int, (Outcome.ABANDONED, Outcome.IVR_ABANDONED, Outcome.HOLD_ABANDONED)))
_NOT_RESOLVED = frozenset(map(int, (Outcome.UNRESOLVED, Outcome.DROPPED)))

#: Uniforms per caller for holds: needs research, research time, hang-up on hold, drop.
_HOLD_WIDTH = 4


def resolution_width(s: Scenario) -> int:
    """Uniforms per caller for the resolution model: 3 per agent visit, 1 per secondary intent."""
    return 3 * (s.transfers.max_chain + 1) + MAX_SECONDARY


@dataclass(frozen=True)
class Callers:
    """Everyone who will call in a replication, one entry per contact, in arrival order.

    Drawn from the named streams by :func:`draw_callers`; a test or a replay of a recorded
    day may give them explicitly (the optional columns then take their plain values).
    """

    arrival: np.ndarray
    segment: np.ndarray
    intent: np.ndarray
    patience: np.ndarray  # inf: never hangs up
    handle_time: np.ndarray
    channel: np.ndarray | None = None
    # further intents per caller with their handle times (callers with none are absent)
    secondary: dict[int, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    # per caller, the uniforms of one purpose (rows), when the scenario uses it
    uniforms: dict[str, np.ndarray] = field(default_factory=dict)


def draw_callers(s: Scenario, streams: Streams) -> Callers:
    """Draw every caller of a replication up front, each quantity from its own stream.

    Changing staffing or routing changes none of these (common random numbers). Streams a
    scenario does not use are not drawn from, so adding a mechanism to a scenario leaves the
    callers' other quantities as they were.
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
    channel = None
    uniforms: dict[str, np.ndarray] = {}
    if s.channels is not None:
        u = streams["channels"].random((n, 2))  # which channel; whether a redirect applies
        channel = _pick(np.array([c.share for c in s.channels]), u[:, 0]).astype(np.int8)
        uniforms["channels"] = u[:, 1]
    for name, width in _uniform_widths(s).items():
        uniforms[name] = streams[name].random((n, width))
    secondary = _draw_secondary(s, segment, intent, streams) if any(g.secondary_intents for g in s.segments) else {}
    return Callers(times, segment, intent, patience, handle, channel, secondary, uniforms)


def _uniform_widths(s: Scenario, ivr: IvrModel | None = None) -> dict[str, int]:
    """The per-caller uniforms each purpose the scenario uses needs."""
    widths = {}
    if s.ivr is not None and any(s.uses_ivr(c) for c in s.channel_list()):
        widths["ivr"] = (ivr or IvrModel(s, {k: j for j, k in enumerate(_skills(s))})).width
    if s.resolution_model():
        widths["resolution"] = resolution_width(s)
    if any(i.research is not None for i in s.intents):
        widths["holds"] = _HOLD_WIDTH
    if s.callback is not None:
        widths["callbacks"] = 1
    return widths


def _draw_secondary(s: Scenario, segment: np.ndarray, intent: np.ndarray, streams: Streams):
    """Further intents per caller: each of up to ``max`` present with ``probability``."""
    n = len(segment)
    rng = streams["secondary"]
    present, which, handle = (rng.random((n, MAX_SECONDARY)) for _ in range(3))
    shares = np.array([x.share for x in s.intents])
    out: dict[int, tuple[tuple[int, float], ...]] = {}
    for g, seg in enumerate(s.segments):
        spec = seg.secondary_intents
        if spec is None:
            continue
        counts = (present[:, : spec.max] < spec.probability).sum(axis=1)
        for i in np.flatnonzero((segment == g) & (counts > 0)):
            out[int(i)] = _secondary_of(s, shares, int(intent[i]), int(counts[i]), which[i], handle[i],
                                        spec.time_factor)
    return out


def _secondary_of(s: Scenario, shares: np.ndarray, primary: int, count: int, which: np.ndarray,
                  handle: np.ndarray, factor: float) -> tuple[tuple[int, float], ...]:
    """``count`` intents other than the primary, by their shares, with their handle times."""
    others = shares.copy()
    others[primary] = 0.0
    if others.sum() == 0:  # a scenario with one intent: the further questions are of the same kind
        others[primary] = 1.0
    picked = _pick(others / others.sum(), which[:count])
    return tuple((int(y), factor * float(s.intents[y].handle_time.ppf(handle[j]))) for j, y in enumerate(picked))


def _skills(s: Scenario) -> list[str]:
    """Every skill (queue), in the order the pools list them."""
    skills: list[str] = []
    for pool in s.pools:
        skills += [r.skill for r in pool.skills if r.skill not in skills]
    return skills


@dataclass(eq=False)
class PoolState:
    """The agents of one pool during a replication."""

    index: int
    name: str
    # (priority queue, queue, after) for each skill of the pool, in the order listed: where a
    # free agent looks.
    routes: list[tuple[deque, deque, float]]
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
        s = scenario
        self._redial = [seg.redial for seg in s.segments]
        self._channels = s.channel_list()
        in_run = any(self._redial) or any(c.redirect for c in self._channels)
        if in_run and streams is None:
            raise ValueError("redials and redirects draw from the replication's streams: give them")
        self._streams = streams
        self.scenario = s
        self.env = simpy.Environment()
        self.records = ContactRecords()
        self.work = WorkRecords()
        self.presence = PresenceRecords()
        self._build_routing(s)
        self._build_journey(s, callers)
        n = len(callers.arrival)
        extra = {"channel": callers.channel} if callers.channel is not None else {}
        if callers.secondary:
            extra["secondary"] = np.zeros(n, np.int8)
            extra["secondary"][list(callers.secondary)] = [len(v) for v in callers.secondary.values()]
        self.records.add_batch(callers.arrival, callers.segment, callers.intent, callers.patience,
                               callers.handle_time, **extra)
        self._arrival_times = np.asarray(callers.arrival, dtype=float)
        self._state = array("b", bytes(n))
        self._at = array("h", bytes(2 * n))  # the queue a contact is in (or last was)
        self._joined = array("d", bytes(8 * n))  # when it joined that queue
        self._since = array("d", bytes(8 * n))  # when its current service began
        # The callbacks of the three events a plain caller costs, bound once rather than per event.
        self._on_arrive, self._on_finish, self._on_abandon = self._arrive, self._finish, self._abandon_plain
        self._staffing = [s.staffing(pool) for pool in s.pools]

    # -- assembly -------------------------------------------------------------------------------

    def _build_routing(self, s: Scenario) -> None:
        self.skills = skills = _skills(s)
        self.queues = [deque() for _ in skills]
        self._priority = [deque() for _ in skills]  # transferred contacts, with transfers.priority
        index = self._skill_index = {skill: k for k, skill in enumerate(skills)}
        self.pools = [
            PoolState(p, pool.name, [(self._priority[index[r.skill]], self.queues[index[r.skill]], r.after)
                                     for r in pool.skills])
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

    def _build_journey(self, s: Scenario, callers: Callers) -> None:
        """Everything beyond a plain queue; each piece is None/empty when the scenario lacks it."""
        index = self._skill_index
        self._ivr = IvrModel(s, index) if "ivr" in _uniform_widths(s) else None
        self._channel_ivr = [self._ivr is not None and s.uses_ivr(c) for c in self._channels]
        self._channel_skill = [index[c.skill] if c.skill else -1 for c in self._channels]
        self._redirects = [
            (frozenset(x for x, intent in enumerate(s.intents) if intent.name in c.redirect.intents),
             c.redirect, [ch.name for ch in self._channels].index(c.redirect.to)) if c.redirect else None
            for c in self._channels
        ]
        self._journey = s.resolution_model()
        plain_start = not (self._ivr or any(self._redirects) or any(k >= 0 for k in self._channel_skill))
        self._plain = plain_start and not self._journey and s.callback is None
        self._policies = pool_policies(s, index) if self._journey else []
        self._difficult = [g.difficult for g in s.segments]
        self._research = [x.research for x in s.intents]
        self._reexplain = None if s.context.shared else s.context.reexplain_time
        self._explain: set[int] = set()  # contacts whose next agent must hear the story again
        transfers = s.transfers
        self._max_chain, self._warm_mode = transfers.max_chain, transfers.mode == "warm"
        self._triage_fraction, self._patience_factor = transfers.triage_fraction, transfers.patience_factor
        self._transfer_priority = transfers.priority
        self._plan: dict[int, tuple[int, int]] = {}  # contact -> (outcome or _HAND_ON, target queue)
        self._warm: dict[int, tuple[PoolState, int, float, float]] = {}  # contact -> the agent holding it
        self._secondary = dict(callers.secondary)
        # Rows of uniforms per contact, by purpose; contacts made during the run append theirs.
        self._widths = _uniform_widths(s, self._ivr)
        self._uniforms = {name: callers.uniforms[name].tolist() for name in self._widths}  # floats: fast to index
        self._redirect_u = array("d", callers.uniforms["channels"]) if "channels" in callers.uniforms else None
        hold = s.holds
        rate = getattr(hold.hangup_per_minute, hold.style)
        self._hold_hangup_rate = rate / 60.0
        self._hold_drop_rate = hold.drop_per_minute / 60.0
        self._checkins = (hold.checkin_every_seconds, hold.checkin_seconds) if hold.style == "checkins" else None
        self._callback = s.callback
        self._live = [0] * len(self.skills)  # contacts waiting per queue (for the expected wait)
        self._mean_handle = [0.0] * len(self.skills)
        for k in range(len(self.skills)):
            mine = [x for x in s.intents if index[x.skill] == k]
            if mine:
                self._mean_handle[k] = sum(x.share * x.handle_time.mean for x in mine) / sum(x.share for x in mine)

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
        env.run() if s.horizon.drain else env.run(until=s.horizon_seconds)
        if not self._journey:
            self._book_plain_services()
        if not s.horizon.drain:
            self._close_open_work()
        return self

    def _book_plain_services(self) -> None:
        """The talk time and agent work of every service a plain queue finished, from the records.

        Without a resolution model a service is one agent from answer to end, so the hot path
        (:meth:`_finish`) leaves both to this one vectorized pass after the run.
        """
        c = self.records.columns()
        done = np.flatnonzero(c["outcome"] == _RESOLVED)
        done = done[np.argsort(c["end"][done], kind="stable")]  # in the order they finished
        c["talk"][done] = c["end"][done] - c["answer"][done]
        self.work.add_batch(c["pool"][done], done, c["answer"][done], c["end"][done])

    # -- the journey ----------------------------------------------------------------------------

    def _arrive(self, event: Timeout) -> None:
        i = event._value
        times = self._arrival_times
        if i + 1 < len(times):
            Timeout(self.env, times[i + 1] - self.env._now, i + 1).callbacks.append(self._on_arrive)
        if self._plain:
            self._join_plain(i)
        else:
            self._start(i)

    def _join_plain(self, i: int) -> None:
        """:meth:`_join_queue` for a plain center, where a contact visits one queue, once.

        The Erlang runs spend most of their time here, so it skips what a plain center lacks
        (channels, transfers, callbacks).
        """
        now = self.env._now
        rec = self.records
        k = self._intent_skill[rec.intent[i]]
        rec.queue_join[i] = now
        rec.queues[i] = 1
        self._joined[i] = now
        for pool in self._first[k]:
            if pool.idle:
                self._answer(pool, pool.idle.popleft(), i)
                return
        self._state[i] = WAITING
        self.queues[k].append(i)
        patience = rec.patience[i]
        if patience != math.inf:
            Timeout(self.env, patience, i).callbacks.append(self._on_abandon)
        for after, overflow in self._overflow[k]:
            if after < patience:
                Timeout(self.env, after, i << 8 | 1).callbacks.append(overflow)

    def _abandon_plain(self, event: Timeout) -> None:
        i = event._value
        if self._state[i] == WAITING:  # else answered already
            self._state[i] = DONE
            rec = self.records
            rec.end[i] = self.env._now
            rec.outcome[i] = _ABANDONED
            redial = self._redial[rec.segment[i]]
            if redial is not None:
                self._maybe_call_again(i, redial, redial.after_abandon)

    def _start(self, i: int) -> None:
        """A contact begins: a channel redirect, the IVR, or straight to a queue."""
        rec = self.records
        c = rec.channel[i]
        redirect = self._redirects[c]
        if redirect is not None and rec.intent[i] in redirect[0] and self._redirect_u[i] < redirect[1].probability:
            self._redirect(i, redirect[1], redirect[2])
        elif self._channel_ivr[c]:
            walk = self._ivr.walk(rec.intent[i], rec.segment[i], self._uniforms["ivr"][i])
            rec.ivr_levels[i] = walk.levels
            rec.misrouted[i] = walk.misrouted
            Timeout(self.env, walk.seconds, (i, walk.end, walk.skill)).callbacks.append(self._leave_ivr)
        else:
            k = self._channel_skill[c]
            self._join_queue(i, k if k >= 0 else self._intent_skill[rec.intent[i]])

    def _leave_ivr(self, event: Timeout) -> None:
        i, end, skill = event._value
        if end == HUNG_UP:
            self._end(i, Outcome.IVR_ABANDONED)
        elif end == CONTAINED:
            self._end(i, Outcome.CONTAINED)
        else:
            self._join_queue(i, skill)

    def _redirect(self, i: int, redirect, channel: int) -> None:
        """The channel tells the customer to use another one: this contact ends, a new one follows."""
        self._end(i, Outcome.REDIRECTED)
        rng = self._streams["channels"]
        delay = float(redirect.delay.ppf(rng.random()))
        if self.env._now + delay < self.scenario.horizon_seconds:
            Timeout(self.env, delay, (i, channel)).callbacks.append(self._call_again)

    def _join_queue(self, i: int, k: int) -> None:
        now = self.env._now
        rec = self.records
        visit = rec.queues[i] + 1
        rec.queues[i] = visit
        if visit == 1:
            rec.queue_join[i] = now
        self._at[i] = k
        self._joined[i] = now
        for pool in self._first[k]:
            if pool.idle:
                self._answer(pool, pool.idle.popleft(), i)
                return
        self._state[i] = WAITING
        transfers = rec.transfers[i]
        if transfers and self._transfer_priority:
            self._priority[k].append(i)
        else:
            self.queues[k].append(i)
        patience = rec.patience[i]
        if transfers:
            patience *= self._patience_factor ** transfers
        if self._callback is not None:
            self._live[k] += 1
            if rec.callback[i] == 0 and self._expected_wait(k) > self._callback.threshold_seconds:
                accepted = self._uniforms["callbacks"][i][0] < self._callback.accept
                rec.callback[i] = 1 if accepted else 2
                if accepted:
                    patience = math.inf  # keeps their place; the agent calls them back
        token = i << 8 | (visit & 0xFF)
        if patience != math.inf:
            Timeout(self.env, patience, token).callbacks.append(self._abandon)
        for after, overflow in self._overflow[k]:
            if after < patience:
                Timeout(self.env, after, token).callbacks.append(overflow)

    def _expected_wait(self, k: int) -> float:
        """What the center would announce: position in queue × mean handle time / agents answering."""
        agents = sum(pool.present for pool in self._first[k])
        return self._live[k] * self._mean_handle[k] / max(agents, 1)

    def _waiting(self, token: int) -> bool:
        """Whether the timer ``token`` belongs to a wait that is still going on."""
        i = token >> 8
        return self._state[i] == WAITING and (self.records.queues[i] & 0xFF) == (token & 0xFF)

    def _abandon(self, event: Timeout) -> None:
        token = event._value
        if self._waiting(token):  # else answered already, or a timer of an earlier wait
            i = token >> 8
            if self._callback is not None:
                self._live[self._at[i]] -= 1
            self._end(i, Outcome.ABANDONED)

    def _end(self, i: int, outcome: int) -> None:
        """The contact ends (other than resolved by an agent of a plain queue); maybe a redial."""
        self._state[i] = DONE
        rec = self.records
        rec.end[i] = self.env._now
        rec.outcome[i] = outcome
        if self._warm and i in self._warm:
            self._release_warm(i)
        redial = self._redial[rec.segment[i]]
        if redial is None:
            return
        if outcome in _HUNG_UP:
            self._maybe_call_again(i, redial, redial.after_abandon)
        elif outcome in _NOT_RESOLVED:
            self._maybe_call_again(i, redial, redial.after_unresolved)

    def _maybe_call_again(self, i: int, redial, probability: float) -> None:
        """A customer who did not get an answer may call again later, unless the center has closed by then."""
        rec = self.records
        rng = self._streams["redials"]
        if rec.attempt[i] + 1 >= redial.max_contacts or rng.random() >= probability:
            return
        delay = float(redial.delay.ppf(rng.random()))
        if self.env._now + delay < self.scenario.horizon_seconds:  # after closing: another day's call
            Timeout(self.env, delay, (i, rec.channel[i])).callbacks.append(self._call_again)

    def _call_again(self, event: Timeout) -> None:
        """The same customer, the same question, a new contact with fresh patience and handle time.

        After a redirect the new contact is in the other channel, and the customer tells the
        story again (unless context is shared).
        """
        i, channel = event._value
        rec = self.records
        streams = self._streams
        segment, intent = rec.segment[i], rec.intent[i]
        spec = self.scenario.segments[segment].patience
        patience = float(spec.ppf(streams["patience"].random())) if spec is not None else math.inf
        handle = float(self.scenario.intents[intent].handle_time.ppf(streams["handle_times"].random()))
        j = rec.add_contact(customer=rec.customer[i], attempt=rec.attempt[i] + 1, channel=channel,
                            arrival=self.env._now, segment=segment, intent=intent, secondary=rec.secondary[i],
                            patience=patience, handle_time=handle)
        for name, width in self._widths.items():
            self._uniforms[name].append(streams[name].random(width).tolist())
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
        self._start(j)

    def _make_overflow(self, pool: PoolState, k: int):
        """The callback that lets ``pool`` take a caller who has waited long enough in queue k."""
        queue, priority = self.queues[k], self._priority[k]
        after = next(r[2] for r in pool.routes if r[1] is queue)

        def overflow(event: Timeout) -> None:
            # Callers ahead of this one in its deque became eligible earlier and found no free
            # agent, so if this caller still waits the head of its deque is an eligible caller;
            # a transferred caller with priority goes first if it has waited long enough too.
            if pool.idle and self._waiting(event._value):
                self._skip_gone(priority)
                if priority and self._joined[priority[0]] + after <= self.env._now + _EPS:
                    self._answer(pool, pool.idle.popleft(), priority.popleft())
                else:
                    self._skip_gone(queue)
                    self._answer(pool, pool.idle.popleft(), queue.popleft())

        return overflow

    def _answer(self, pool: PoolState, agent: int, i: int) -> None:
        rec = self.records
        if not self._plain and self._callback is not None and self._state[i] == WAITING:
            self._live[self._at[i]] -= 1
        self._state[i] = SERVING
        rec.pool[i] = pool.index
        rec.agent[i] = agent
        if self._journey:
            self._serve_journey(pool, agent, i)
        else:  # a plain queue: resolved in its handle time (inline: every Erlang run passes here)
            rec.answer[i] = self.env._now
            Timeout(self.env, rec.handle_time[i], i).callbacks.append(self._on_finish)

    def _finish(self, event: Timeout) -> None:
        """A plain queue's service ends (its talk and work are booked after the run)."""
        i = event._value
        rec = self.records
        self._state[i] = DONE
        rec.end[i] = self.env._now
        rec.outcome[i] = _RESOLVED
        self._agent_free(self.pools[rec.pool[i]], rec.agent[i])

    def _serve_journey(self, pool: PoolState, agent: int, i: int) -> None:
        """What the agent does with the contact, decided now from the caller's uniforms.

        Three uniforms per agent visit: offloading a difficult caller, resolving (competence
        in script, flexibility off it), and re-explanation time; one per secondary intent.
        """
        rec = self.records
        now = self.env._now
        if self._warm and i in self._warm:
            self._release_warm(i)
        if rec.queues[i] == 1 or math.isnan(rec.answer[i]):
            rec.answer[i] = now
        self._since[i] = now
        policy = self._policies[pool.index]
        u = self._uniforms["resolution"][i]
        v = 3 * rec.transfers[i]
        x = rec.intent[i]
        base = rec.handle_time[i]
        extra = 0.0
        if i in self._explain:
            self._explain.discard(i)
            extra = float(self._reexplain.ppf(u[v + 2]))
        triage = base * self._triage_fraction + extra
        if policy.offload and self._difficult[rec.segment[i]] and u[v] < policy.offload:
            return self._plan_end(i, triage, _HAND_ON, policy.offload_target)
        rule = policy.rule[x]
        if rule == CLOSE:
            resolved = u[v + 1] < policy.competence
            talk = base + extra
        elif rule == FLEX and u[v + 1] < policy.flexibility:
            resolved = True
            talk = base * policy.off_script_factor + extra
        else:
            return self._plan_end(i, triage, _HAND_ON, policy.target[x])
        if rec.secondary[i]:
            talk += self._secondary_intents(i, policy, u, resolved)
        outcome = _RESOLVED if resolved else _UNRESOLVED
        research = self._research[x]
        if research is not None:
            row = self._uniforms["holds"][i]
            if row[0] < research.probability:
                talk, outcome = self._research_hold(i, research, row, talk, outcome)
        self._plan_end(i, talk, outcome, -1)

    def _secondary_intents(self, i: int, policy, u: list[float], resolved: bool) -> float:
        """Extra time for the further intents the agent handles; the others are lost."""
        width = len(u) - MAX_SECONDARY
        extra, handled = 0.0, 0
        if resolved:
            for s, (y, handle) in enumerate(self._secondary[i]):
                if policy.covers[y] and policy.may_close[y]:
                    extra += handle
                    handled += 1
                elif policy.may_close[y] and u[width + s] < policy.flexibility:
                    extra += handle * policy.off_script_factor
                    handled += 1
        self.records.lost_intents[i] = self.records.secondary[i] - handled
        return extra

    def _research_hold(self, i: int, research, row: list[float], talk: float, outcome: int) -> tuple[float, int]:
        """Half-way through the call the caller waits on hold while the agent looks it up.

        Check-ins add agent time; the caller may hang up on hold (a rate set by the hold style)
        or the line may drop. Returns the time until the service ends, and how it ends.
        """
        self.records.holds[i] += 1
        hold = float(research.time.ppf(row[1]))
        if self._checkins is not None:
            every, seconds = self._checkins
            hold += math.floor(hold / every) * seconds
        hang_up = -math.log1p(-row[2]) / self._hold_hangup_rate if self._hold_hangup_rate else math.inf
        drop = -math.log1p(-row[3]) / self._hold_drop_rate if self._hold_drop_rate else math.inf
        if min(hang_up, drop) < hold:
            self.records.lost_intents[i] = self.records.secondary[i]
            if hang_up <= drop:
                return talk / 2 + hang_up, int(Outcome.HOLD_ABANDONED)
            return talk / 2 + drop, int(Outcome.DROPPED)
        return talk + hold, outcome

    def _plan_end(self, i: int, duration: float, outcome: int, target: int) -> None:
        self._plan[i] = (outcome, target)
        Timeout(self.env, duration, i).callbacks.append(self._served)

    def _served(self, event: Timeout) -> None:
        """The service ends: the contact ends, or is handed on to another queue."""
        i = event._value
        outcome, target = self._plan.pop(i)
        rec = self.records
        now = self.env._now
        since = self._since[i]
        rec.talk[i] += now - since
        pool = self.pools[rec.pool[i]]
        agent = rec.agent[i]
        if outcome != _HAND_ON:
            self.work.add(pool.index, i, since, now)
            self._end(i, outcome)
            self._agent_free(pool, agent)
        elif target < 0 or rec.transfers[i] >= self._max_chain:
            self.work.add(pool.index, i, since, now)
            rec.lost_intents[i] = rec.secondary[i]
            self._end(i, Outcome.UNRESOLVED)  # nowhere to go, or passed on too often
            self._agent_free(pool, agent)
        else:
            rec.transfers[i] += 1
            if self._warm_mode:
                self._warm[i] = (pool, agent, since, now)  # stays on the line until the next agent answers
                self._join_queue(i, target)
            else:
                self.work.add(pool.index, i, since, now)
                if self._reexplain is not None:
                    self._explain.add(i)
                self._join_queue(i, target)
                self._agent_free(pool, agent)

    def _release_warm(self, i: int) -> None:
        """The agent who held a warm transfer is free: the next agent answered, or the caller left."""
        pool, agent, since, handed = self._warm.pop(i)
        now = self.env._now
        self.records.talk[i] += now - handed
        self.work.add(pool.index, i, since, now)
        self._agent_free(pool, agent)

    def _agent_free(self, pool: PoolState, agent: int) -> None:
        """A free agent leaves if their shift is over, else takes the next caller or waits."""
        if pool.leaving:
            pool.leaving -= 1
            self._leave(pool, agent)
            return
        now = self.env._now
        state = self._state
        joined = self._joined
        for priority, queue, after in pool.routes:
            if priority:
                self._skip_gone(priority)
                if priority and (after == 0 or joined[priority[0]] + after <= now + _EPS):
                    self._answer(pool, agent, priority.popleft())
                    return
            while queue and state[queue[0]] != WAITING:
                queue.popleft()  # callers who hung up while waiting
            if queue and (after == 0 or joined[queue[0]] + after <= now + _EPS):
                self._answer(pool, agent, queue.popleft())
                return
        pool.idle.append(agent)

    def _skip_gone(self, queue: deque) -> None:
        state = self._state
        while queue and state[queue[0]] != WAITING:
            queue.popleft()

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
        start = rec.answer if not self._journey else self._since
        for i, state in enumerate(self._state):
            if state == SERVING:
                self.work.add(rec.pool[i], i, start[i], now)
        for i, (pool, _, since, _) in self._warm.items():
            self.work.add(pool.index, i, since, now)


def _pick(shares: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the category each uniform falls in, by cumulative shares."""
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, u, side="right").astype(np.int16)
