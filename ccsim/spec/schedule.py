"""A pool's schedule: its agent-days and their stretches on duty, from counts or shifts.

The cards team has ten agents on the 08:00 shift with a 15-minute break at 10:00 and a
30-minute lunch somewhere between 11:30 and 14:00, and six on the 12:00 shift. Every
scheduled agent of a day is an *agent-day* with stretches on duty: an agent of a shift from
its start to its end minus its breaks (breaks in a window are spread evenly over it, one agent
after another); for staffing given as a count per interval, agent-day ``j`` of a day is on
duty in the intervals where the count is above ``j``. From these come the agents scheduled
per interval that ``ccsim check`` shows, the paid hours that agent cost is made of, and the
engine's staffing timeline (:mod:`ccsim.engine.staffing`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .base import clock_seconds
from .workforce import Break, Pool, Shift

if TYPE_CHECKING:
    from .scenario import Scenario

DAY = 86400.0


@dataclass(frozen=True)
class Roster:
    """The agent-days of one pool and their stretches on duty (seconds from the horizon start)."""

    start: np.ndarray  # per stretch
    end: np.ndarray
    agent_day: np.ndarray  # per stretch: which agent-day it belongs to
    n_agent_days: int
    paid_seconds: np.ndarray  # per agent-day: paid time (on duty plus paid breaks)
    shrinkage: np.ndarray | None  # per interval, or None
    absence: float
    scale: float = 1.0  # agents on duty times this (a planner's what-if)


def roster(s: Scenario, pool: Pool) -> Roster:
    """Every agent-day of the pool with its stretches on duty."""
    starts: list[float] = []
    ends: list[float] = []
    owner: list[int] = []
    paid: list[float] = []
    horizon = s.horizon_seconds
    interval = s.interval_seconds
    if pool.agents is not None:
        counts = np.broadcast_to(np.asarray(pool.agents, dtype=float), (s.n_intervals,))
        day_of = (np.arange(s.n_intervals) * interval // DAY).astype(int)
        for day in np.unique(day_of):
            mine = np.flatnonzero(day_of == day)
            for j in range(math.ceil(counts[mine].max(initial=0) - 1e-9)):
                on = mine[counts[mine] >= j + 1 - 1e-9]  # intervals agent-day j works throughout
                part = mine[(counts[mine] > j + 1e-9) & (counts[mine] < j + 1 - 1e-9)]
                agent = len(paid)
                if len(on):  # consecutive intervals make one stretch
                    breaks = np.flatnonzero(np.diff(on) > 1)
                    first = np.concatenate([[on[0]], on[breaks + 1]])
                    last = np.concatenate([on[breaks], [on[-1]]])
                    for a, b in zip(first, last, strict=True):
                        starts.append(a * interval)
                        ends.append((b + 1) * interval)
                        owner.append(agent)
                # a fraction of an agent: on duty for that share of the interval, in its middle
                share = counts[part] - j
                for k, f in zip(part, share, strict=True):
                    pad = interval * (1 - f) / 2
                    starts.append(k * interval + pad)
                    ends.append((k + 1) * interval - pad)
                    owner.append(agent)
                paid.append(float((len(on) + share.sum()) * interval))
    origin = clock_seconds(s.horizon.start)
    n_days = math.ceil(horizon / DAY) + 1  # a shift of the day before may run into the horizon
    for shift in pool.shifts or ():
        days = shift.days if shift.days is not None else range(0, n_days + 1)
        for day in days:
            begin = _shift_start(shift, day, origin)
            finish = begin + shift.hours * 3600
            if finish <= 0 or begin >= horizon:
                continue
            for k in range(shift.count):
                off = [_break_span(b, begin, finish, k, shift.count, origin) for b in shift.breaks]
                on = _subtract((begin, finish), off)
                agent = len(paid)
                for a, b in on:
                    a, b = max(a, 0.0), min(b, horizon)
                    if b > a:
                        starts.append(a)
                        ends.append(b)
                        owner.append(agent)
                unpaid = sum(e - a for (a, e), br in zip(off, shift.breaks, strict=True) if not br.paid)
                paid.append(max(0.0, min(finish, horizon) - max(begin, 0.0) - unpaid))
    shrink = None
    if pool.shrinkage is not None:
        shrink = np.broadcast_to(np.asarray(pool.shrinkage, dtype=float), (s.n_intervals,)).copy()
    return Roster(np.array(starts, float), np.array(ends, float), np.array(owner, np.int64), len(paid),
                  np.array(paid, float), shrink, pool.absence, pool.scale)


def _shift_start(shift: Shift, day: int, origin: float) -> float:
    """Seconds from the horizon start to the shift's start on ``day`` (1 = the horizon's first day).

    Negative for a shift that began before the horizon (its agents are on duty from the start);
    ``day`` 0 is the day before, whose night shifts may run into the horizon.
    """
    return (day - 1) * DAY + (clock_seconds(shift.start) - origin)


def _break_span(b: Break, begin: float, finish: float, k: int, count: int, origin: float) -> tuple[float, float]:
    length = b.minutes * 60
    if b.after_hours is not None:
        start = begin + b.after_hours * 3600
    elif b.at is not None:
        start = _same_day(clock_seconds(b.at) - origin, begin)
    else:
        lo = _same_day(clock_seconds(b.window[0]) - origin, begin)
        hi = _same_day(clock_seconds(b.window[1]) - origin, lo)
        latest = max(lo, hi - length)
        start = lo if count == 1 else lo + (latest - lo) * k / (count - 1)
    return start, start + length


def _same_day(offset: float, reference: float) -> float:
    """The clock time ``offset`` (seconds from the horizon's first start) on or just after ``reference``."""
    days = math.floor((reference - offset) / DAY)
    t = offset + days * DAY
    return t if t >= reference - 1e-6 else t + DAY


def _subtract(span: tuple[float, float], holes: list[tuple[float, float]]) -> list[tuple[float, float]]:
    pieces = [span]
    for a, b in sorted(holes):
        out = []
        for x, y in pieces:
            if b <= x or a >= y:
                out.append((x, y))
                continue
            if a > x:
                out.append((x, a))
            if b < y:
                out.append((b, y))
        pieces = out
    return pieces


def schedule_table(s: Scenario, rosters: list[Roster]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pool and interval: agents scheduled (time-average, before absence and shrinkage),
    available (after expected absence and shrinkage) and paid hours."""
    n, interval = s.n_intervals, s.interval_seconds
    edges = np.arange(n + 1) * interval
    scheduled = np.zeros((len(rosters), n))
    available = np.zeros((len(rosters), n))
    paid = np.zeros((len(rosters), n))
    for p, r in enumerate(rosters):
        overlap = np.clip(np.minimum(r.end[:, None], edges[None, 1:]) - np.maximum(r.start[:, None], edges[None, :-1]),
                          0, None)
        scheduled[p] = overlap.sum(axis=0) / interval * r.scale
        shrink = r.shrinkage if r.shrinkage is not None else 0.0
        available[p] = scheduled[p] * (1 - shrink) * (1 - r.absence)
        # paid time beyond the stretches on duty (paid breaks) is spread over the agent-day's span
        on_duty = np.bincount(r.agent_day, weights=r.end - r.start, minlength=r.n_agent_days).astype(float)
        ratio = np.divide(r.paid_seconds, on_duty, out=np.ones_like(on_duty), where=on_duty > 0)
        paid[p] = (overlap * ratio[r.agent_day][:, None]).sum(axis=0) / 3600 * r.scale
    return scheduled, available, paid
