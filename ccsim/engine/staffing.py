"""Staffing: from a pool's schedule to the number of agents on duty at every moment.

The cards team works shifts with breaks (:mod:`ccsim.spec.schedule` turns them into
agent-days with stretches on duty), 25% of their time goes to meetings and training
(shrinkage), and on any day each of them may be off sick (absence). The engine needs one
thing: when the number of cards agents on duty changes, and to what. A replication drops the
absent agent-days (one uniform per agent-day from the ``absence`` stream), sums the rest into
a step function of agents on duty, multiplies it by ``1 - shrinkage`` in each interval, and
turns fractional levels into whole agents by time sharing: over a stretch at level 7.4,
seven agents are on duty throughout and an eighth for the middle 40% of it. The result is a
list of change times with each pool's target, which :mod:`ccsim.engine.agents` applies (an
agent going on break or home finishes the current contact first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..spec.schedule import Roster
from ..spec.workforce import Pool


@dataclass(frozen=True)
class Staffing:
    """When the number of agents on duty changes: at each time, the target of every pool."""

    times: tuple[float, ...]  # change times after the start (the start's targets are ``initial``)
    initial: tuple[int, ...]  # per pool, at time 0
    targets: tuple[tuple[int, ...], ...]  # per change time, the target of every pool


def is_simple(pool: Pool) -> bool:
    """Whole agents per interval and nothing else: the staffing changes only at boundaries."""
    whole = all(float(x).is_integer() for x in (pool.agents if isinstance(pool.agents, list) else [pool.agents or 0]))
    return whole and pool.shifts is None and pool.shrinkage is None and pool.absence == 0 and pool.scale == 1


def interval_staffing(counts: np.ndarray, interval: float) -> Staffing:
    """Staffing given per interval (pools x intervals): a change, maybe to the same number, at every boundary."""
    n = counts.shape[1]
    return Staffing(times=tuple(k * interval for k in range(1, n)),
                    initial=tuple(int(x) for x in counts[:, 0]),
                    targets=tuple(tuple(int(x) for x in counts[:, k]) for k in range(1, n)))


def levels(r: Roster, horizon: float, interval: float, present: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Agents on duty as a step function ``(times, level)``: ``level[j]`` holds from ``times[j]``
    to the next time; the first time is 0 and the last the horizon. Fractional after shrinkage.

    ``present``: per agent-day, whether it works (absence); default all.
    """
    keep = np.ones(len(r.start), bool) if present is None else present[r.agent_day]
    edges = np.arange(0.0, horizon + 1e-9, interval)
    times = np.unique(np.concatenate([r.start[keep], r.end[keep], edges, [0.0, horizon]]))
    times = times[(times >= 0) & (times <= horizon)]
    change = np.zeros(len(times))
    np.add.at(change, np.searchsorted(times, r.start[keep]), 1.0)
    np.add.at(change, np.searchsorted(times, r.end[keep]), -1.0)
    level = np.cumsum(change)[:-1] * r.scale
    if r.shrinkage is not None:
        k = np.minimum((times[:-1] // interval).astype(np.int64), len(r.shrinkage) - 1)
        level = level * (1.0 - r.shrinkage[k])
    return times, level


def whole_agents(times: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Time sharing: a stretch at level 7.4 becomes 7 agents, and 8 for the middle 40% of it."""
    out_t = [0.0]
    out_v = []
    for a, b, x in zip(times[:-1], times[1:], level, strict=True):
        whole = math.floor(x + 1e-9)
        frac = x - whole
        if frac < 1e-9 or b <= a:
            out_v.append(whole)
            out_t.append(b)
            continue
        pad = (b - a) * (1 - frac) / 2
        out_v += [whole, whole + 1, whole]
        out_t += [a + pad, b - pad, b]
    t, v = np.array(out_t), np.array(out_v, dtype=np.int64)
    keep = np.concatenate([[True], v[1:] != v[:-1]])  # drop non-changes
    starts = t[:-1][keep]
    return starts, v[keep]


def combine(steps: list[tuple[np.ndarray, np.ndarray]]) -> Staffing:
    """Pools' step functions (start times, whole agents) into one list of changes."""
    times = np.unique(np.concatenate([t for t, _ in steps]))
    times = times[times > 0]
    targets = []
    for t in times:
        targets.append(tuple(int(v[np.searchsorted(tt, t, side="right") - 1]) for tt, v in steps))
    return Staffing(tuple(float(t) for t in times), tuple(int(v[0]) for _, v in steps), tuple(targets))


