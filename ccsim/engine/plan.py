"""The plan: a scenario compiled once per run into the tables the engine reads.

A planner's file speaks in names ("cards calls go to the cards queue; the generalists help
after 90 seconds"). The engine wants numbers: queue 1, pools 0 and 2, a delay of 90.0. The
plan is that translation, made once for a run and shared by every replication and every
worker: which pools answer each queue at once and which overflow into it, each pool's
staffing timeline, what each pool does with each intent, the IVR tree, the distributions to
draw from. It is immutable and picklable; a replication's model (:mod:`ccsim.engine.model`)
only adds what changes during one simulated day.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..spec.scenario import MAX_SECONDARY, Scenario
from ..spec.schedule import Roster, roster, schedule_table
from .ivr import IvrModel
from .policy import PoolPolicy, pool_policies
from .staffing import Staffing, combine, interval_staffing, is_simple, levels, whole_agents

#: Uniforms per caller for holds: needs research, research time, hang-up on hold, drop.
HOLD_WIDTH = 4

#: How a scenario's day ends: callers still in the center are served (``serve``), the
#: simulation stops at the end of the horizon (``stop``), or callers still waiting are
#: disconnected and those with an agent finish (``clear``).
SERVE, STOP, CLEAR = "serve", "stop", "clear"


@dataclass(frozen=True)
class PoolPlan:
    """One pool, compiled: where its agents look for work."""

    index: int
    name: str
    # (queue, seconds a contact must have waited, weight of a wait there), in the order listed
    routes: tuple[tuple[int, float, float], ...]
    takes: str  # "skill_order" or "longest_waiting"
    concurrency: int = 1  # conversations an agent holds at once
    slowdown: tuple[float, ...] | None = None  # handle-time factor by conversations held (1, 2, ...)


@dataclass(frozen=True)
class Plan:
    """Everything the engine needs from a scenario, as indices and numbers.

    Build it with :func:`compile_plan`. Queues are numbered by skill in the order the pools
    list them; pools, segments, intents and channels by their position in the scenario.
    """

    scenario: Scenario
    # time
    interval: float
    n_intervals: int
    horizon: float
    warmup: float
    end_of_day: str  # SERVE, STOP or CLEAR
    # callers
    rates: np.ndarray  # arrivals per hour, per interval
    segment_shares: np.ndarray
    intent_shares: np.ndarray  # over the day (by volume)
    intent_shares_by_interval: np.ndarray | None  # intents x intervals, when they vary; None: constant
    channel_shares: np.ndarray | None  # None: one voice channel, nothing drawn
    patience: tuple[Any, ...]  # per segment: a distribution or None (never hangs up)
    intent_patience: tuple[Any, ...]  # per intent: a distribution replacing the segment's, or None
    patience_factor: np.ndarray | None  # segments x intervals, or None (all 1)
    intent_patience_factor: np.ndarray | None  # intents x intervals, or None (all 1)
    handle_time: tuple[Any, ...]  # per intent
    handle_factor: np.ndarray | None  # intents x intervals, or None (all 1)
    secondary: tuple[Any, ...]  # per segment: SecondaryIntents or None
    uniform_widths: dict[str, int]  # per purpose drawn per caller: uniforms per caller
    # queues and pools
    skills: tuple[str, ...]
    intent_skill: tuple[int, ...]
    pools: tuple[PoolPlan, ...]
    first: tuple[tuple[int, ...], ...]  # per queue: pools that answer at once, in pool order
    overflow: tuple[tuple[tuple[float, int], ...], ...]  # per queue: (after, pool) of overflow pools
    staffing: Staffing  # the changes in agents on duty (without absence: the same every replication)
    rosters: tuple[Roster, ...] | None  # per pool, when agents may be absent: drawn per replication
    scheduled: np.ndarray  # pools x intervals: agents scheduled (time average, before shrinkage and absence)
    available: np.ndarray  # pools x intervals: expected on duty after shrinkage and absence
    paid_hours: np.ndarray  # pools x intervals: paid agent-hours (on duty and paid breaks)
    mean_handle: tuple[float, ...]  # per queue: mean handle time of its intents (announced waits)
    sl_seconds: tuple[float, ...]  # per queue: its service-level threshold
    selection: tuple[str, ...]  # per queue: which free agent an arriving contact goes to
    # Waiting lines: each queue has n_classes lines, answered in their order (strict) or by the
    # longest wait times the class weight (weighted).
    n_classes: int
    fresh_class: tuple[int, ...]  # per segment: the line of a contact not transferred
    transfer_class: tuple[int, ...]  # per segment: the line of a transferred contact
    class_weight: tuple[float, ...]
    weighted_classes: bool
    speed: tuple[tuple[float, ...], ...] | None  # per pool, per intent: handle-time factor; None: all 1
    wrapup: tuple[Any, ...] | None  # per intent: after-call work distribution or None; None: no after-call work
    wrapup_factor: tuple[float, ...]  # per pool
    # the journey beyond a plain queue
    plain: bool  # one queue visit, service = handle time, nothing else: the engine's shortest path
    journey: bool  # a resolution model: agents may fail, hand on, hold, handle further intents
    ivr: IvrModel | None
    channel_ivr: tuple[bool, ...]
    channel_skill: tuple[int, ...]  # -1: the intent's own queue
    redirects: tuple[Any, ...]  # per channel: (intents, Redirect, target channel) or None
    policies: tuple[PoolPolicy, ...]
    difficult: tuple[bool, ...]
    research: tuple[Any, ...]  # per intent: Research or None
    reexplain: Any  # distribution, or None (shared context, or none given)
    redial: tuple[Any, ...]  # per segment: Redial or None
    max_chain: int
    warm_transfers: bool
    triage_fraction: float
    transfer_patience_factor: float
    transfer_priority: bool
    hold_hangup_rate: float  # per second on hold
    hold_drop_rate: float
    checkins: tuple[float, float] | None  # (every, seconds) with the check-in style
    callback: Any  # Callback or None
    lines: int | None  # contacts the center holds at most (IVR, queues, agents); None: no limit
    capacity: tuple[int | None, ...]  # per queue: callers waiting at most
    message: tuple[Any, ...]  # per queue: MessageOffer or None
    balk: tuple[Any, ...]  # per segment: Balk or None
    busyness_cv: float  # spread of a day's volume around the forecast (0: none)

    def labels(self, kind: str) -> list[str]:
        """Names of ``segments``, ``intents``, ``pools`` or ``channels``, by index."""
        s = self.scenario
        items = s.channel_list() if kind == "channels" else getattr(s, kind)
        return [x.name for x in items]


def compile_plan(s: Scenario) -> Plan:
    """Compile a validated scenario into the engine's plan."""
    skills = s.queue_names()
    index = {skill: k for k, skill in enumerate(skills)}
    n = s.n_intervals
    pools = tuple(
        PoolPlan(p, pool.name, tuple((index[r.skill], r.after, (pool.skill_weights or {}).get(r.skill, 1.0))
                                     for r in pool.skills), pool.takes, pool.concurrency,
                 tuple(pool.slowdown) if pool.slowdown is not None and any(f != 1 for f in pool.slowdown) else None)
        for p, pool in enumerate(s.pools)
    )
    first: list[list[int]] = [[] for _ in skills]
    overflow: list[list[tuple[float, int]]] = [[] for _ in skills]
    for p, pool in enumerate(s.pools):
        for r in pool.skills:
            (overflow[index[r.skill]].append((r.after, p)) if r.after > 0 else first[index[r.skill]].append(p))
    channels = s.channel_list()
    uses_ivr = s.ivr is not None and any(s.uses_ivr(c) for c in channels)
    ivr = IvrModel(s, index) if uses_ivr else None
    channel_skill = tuple(index[c.skill] if c.skill else -1 for c in channels)
    names = [c.name for c in channels]
    redirects = tuple(
        (frozenset(x for x, intent in enumerate(s.intents) if intent.name in c.redirect.intents), c.redirect,
         names.index(c.redirect.to)) if c.redirect else None
        for c in channels
    )
    journey = s.resolution_model()
    plain_start = not (ivr or any(redirects) or any(k >= 0 for k in channel_skill))
    hold = s.holds
    volume = _day_shares(s)
    mean_handle = []
    for k in range(len(skills)):
        mine = [(volume[j], x) for j, x in enumerate(s.intents) if index[x.skill] == k]
        total = sum(v for v, _ in mine)
        mean_handle.append(sum(v * x.handle_time.mean for v, x in mine) / total if total > 0 else 0.0)
    varying = s.arrivals.rate_per_hour is None or any(isinstance(x.share, list) for x in s.intents)
    return Plan(
        scenario=s,
        interval=s.interval_seconds,
        n_intervals=n,
        horizon=s.horizon_seconds,
        warmup=s.warmup_seconds,
        end_of_day={True: SERVE, False: STOP, "clear": CLEAR}[s.horizon.drain],
        rates=_frozen(s.rates_per_hour()),
        segment_shares=_frozen(np.array([g.share for g in s.segments])),
        intent_shares=_frozen(volume),
        intent_shares_by_interval=_frozen(s.intent_shares()) if varying else None,
        channel_shares=_frozen(np.array([c.share for c in s.channels])) if s.channels is not None else None,
        patience=tuple(g.patience for g in s.segments),
        intent_patience=tuple(x.patience for x in s.intents),
        patience_factor=_factors(s, s.segments, "patience_factor"),
        intent_patience_factor=_factors(s, s.intents, "patience_factor"),
        handle_time=tuple(x.handle_time for x in s.intents),
        handle_factor=_factors(s, s.intents, "handle_time_factor"),
        secondary=tuple(g.secondary_intents for g in s.segments),
        uniform_widths=_uniform_widths(s, ivr, journey, [s.agent_selection_of(k) for k in skills]),
        skills=tuple(skills),
        intent_skill=tuple(index[x.skill] for x in s.intents),
        pools=pools,
        first=tuple(map(tuple, first)),
        overflow=tuple(map(tuple, overflow)),
        **_staffing(s),
        mean_handle=tuple(mean_handle),
        sl_seconds=tuple(s.service_level_seconds_of(k) for k in skills),
        selection=tuple(s.agent_selection_of(k) for k in skills),
        **_classes(s),
        speed=tuple(tuple((p.proficiency or {}).get(x.skill, 1.0) for x in s.intents) for p in s.pools)
        if any(p.proficiency for p in s.pools) else None,
        wrapup=tuple(x.wrapup for x in s.intents) if any(x.wrapup for x in s.intents) else None,
        wrapup_factor=tuple(p.wrapup_factor for p in s.pools),
        plain=plain_start and not journey and s.callback is None and s.lines is None
        and not any(s.queue_settings(k) and (s.queue_settings(k).capacity is not None
                                              or s.queue_settings(k).message is not None) for k in skills)
        and not any(g.balk for g in s.segments),
        journey=journey,
        ivr=ivr,
        channel_ivr=tuple(ivr is not None and s.uses_ivr(c) for c in channels),
        channel_skill=channel_skill,
        redirects=redirects,
        policies=tuple(pool_policies(s, index)) if journey else (),
        difficult=tuple(g.difficult for g in s.segments),
        research=tuple(x.research for x in s.intents),
        reexplain=None if s.context.shared else s.context.reexplain_time,
        redial=tuple(g.redial for g in s.segments),
        max_chain=s.transfers.max_chain,
        warm_transfers=s.transfers.mode == "warm",
        triage_fraction=s.transfers.triage_fraction,
        transfer_patience_factor=s.transfers.patience_factor,
        transfer_priority=s.transfers.priority,
        hold_hangup_rate=getattr(hold.hangup_per_minute, hold.style) / 60.0,
        hold_drop_rate=hold.drop_per_minute / 60.0,
        checkins=(hold.checkin_every_seconds, hold.checkin_seconds) if hold.style == "checkins" else None,
        callback=s.callback,
        lines=s.lines,
        capacity=tuple(q.capacity if (q := s.queue_settings(k)) is not None else None for k in skills),
        message=tuple(q.message if (q := s.queue_settings(k)) is not None else None for k in skills),
        balk=tuple(g.balk for g in s.segments),
        busyness_cv=s.arrivals.busyness_cv,
    )


def resolution_width(max_chain: int) -> int:
    """Uniforms per caller for the resolution model: 3 per agent visit, 1 per secondary intent."""
    return 3 * (max_chain + 1) + MAX_SECONDARY


def _uniform_widths(s: Scenario, ivr: IvrModel | None, journey: bool, selection: list[str]) -> dict[str, int]:
    """The per-caller uniforms each purpose the scenario uses needs (in a fixed order)."""
    widths = {}
    if ivr is not None:
        widths["ivr"] = ivr.width
    if journey:
        widths["resolution"] = resolution_width(s.transfers.max_chain)
    if any(i.research is not None for i in s.intents):
        widths["holds"] = HOLD_WIDTH
    if s.callback is not None:
        widths["callbacks"] = 1
    if any(x.wrapup is not None for x in s.intents):
        widths["wrapup"] = s.transfers.max_chain + 1 if journey else 1  # one per agent who serves the contact
    visits = s.transfers.max_chain + 1 if journey else 1
    if "random" in selection:
        widths["routing"] = visits  # one per queue visit
    if any(g.balk for g in s.segments):
        widths["balking"] = 1  # at the first queue
    if any(q.message for q in s.queues or ()):
        widths["messages"] = visits
    return widths


def _staffing(s: Scenario) -> dict[str, Any]:
    """The staffing timeline and the per-interval schedule of every pool."""
    rosters = [roster(s, pool) for pool in s.pools]
    scheduled, available, paid = schedule_table(s, rosters)
    if all(is_simple(pool) for pool in s.pools):
        staffing = interval_staffing(np.rint(scheduled).astype(np.int64), s.interval_seconds)
    else:
        staffing = combine([whole_agents(*levels(r, s.horizon_seconds, s.interval_seconds)) for r in rosters])
    absent = any(pool.absence > 0 for pool in s.pools)
    return {"staffing": staffing, "rosters": tuple(rosters) if absent else None, "scheduled": _frozen(scheduled),
            "available": _frozen(available), "paid_hours": _frozen(paid)}


def _classes(s: Scenario) -> dict[str, Any]:
    """The waiting lines of a queue: by segment priority (highest first), transferred contacts
    with priority before all others. Strict priorities need a line per priority level; weighted
    ones a line per segment (each with its own weight)."""
    weighted = s.routing.priorities == "weighted"
    if weighted:
        order = sorted(range(len(s.segments)), key=lambda g: -s.segments[g].priority)
        rank = {g: order.index(g) for g in range(len(s.segments))}
        weights = [s.segments[g].priority_weight for g in order]
    else:
        levels = sorted({g.priority for g in s.segments}, reverse=True)
        rank = {g: levels.index(seg.priority) for g, seg in enumerate(s.segments)}
        weights = [1.0] * len(levels)
    n = len(weights)
    if s.transfers.priority:  # transferred contacts first, among them by priority too
        return {"n_classes": 2 * n, "fresh_class": tuple(n + rank[g] for g in range(len(s.segments))),
                "transfer_class": tuple(rank[g] for g in range(len(s.segments))),
                "class_weight": tuple(weights * 2), "weighted_classes": weighted}
    fresh = tuple(rank[g] for g in range(len(s.segments)))
    return {"n_classes": n, "fresh_class": fresh, "transfer_class": fresh, "class_weight": tuple(weights),
            "weighted_classes": weighted}


def _day_shares(s: Scenario) -> np.ndarray:
    """Each intent's share of the day's arrivals (the given shares when they are constant)."""
    if s.arrivals.rate_per_hour is not None and not any(isinstance(x.share, list) for x in s.intents):
        return np.array([x.share for x in s.intents], dtype=float)
    volume = s.intent_rates().sum(axis=1)
    return volume / volume.sum() if volume.sum() > 0 else np.full(len(volume), 1.0 / len(volume))


def _factors(s: Scenario, items, key: str) -> np.ndarray | None:
    """Per-interval factors (items x intervals) when any item gives them; None: all 1."""
    if all(getattr(x, key) is None for x in items):
        return None
    n = s.n_intervals
    rows = [np.full(n, 1.0) if getattr(x, key) is None else np.broadcast_to(np.asarray(getattr(x, key), float), (n,))
            for x in items]
    return _frozen(np.array(rows))


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False
    return a
