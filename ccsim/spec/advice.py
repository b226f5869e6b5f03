"""Advice: warnings about a valid scenario that will probably not do what the planner meant.

A scenario can be valid and still say something odd. Card calls arrive from 08:00 to 20:00
but the only pool with the ``cards`` skill is staffed from 20:00: every card caller waits
until the end of the day, or hangs up. A pool is staffed for a skill no intent needs: its
agents sit idle all day. Neither is an error (a planner may test exactly that), so the
scenario loads; :func:`scenario_warnings` says it in one line each, for ``ccsim check`` and
``ccsim run`` to print before the results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .scenario import Scenario

#: Interval ranges quoted in one warning at most.
MAX_RANGES = 3


def scenario_warnings(scenario: Scenario) -> list[str]:
    """One line per warning (no "warning:" prefix), naming the queue or pool and the intervals.

    Example:
        ``queue 'cards': contacts arrive (08:00–20:00) but no pool serving it is staffed in any
        interval, and its callers never hang up: they wait unanswered until the simulation ends``
    """
    s = scenario
    demand = _demand(s)
    staffed = _staffed(s)
    warnings = []
    for skill, arriving in demand.items():
        on_duty = staffed.get(skill, np.zeros_like(arriving))
        uncovered = (arriving > 0) & (on_duty <= 0)
        if not uncovered.any():
            continue
        patient = _never_hang_up(s, skill)
        if not (on_duty > 0).any():
            tail = {"all": ", and its callers never hang up: they wait unanswered until the simulation ends",
                    "some": ": callers with a patience abandon, the others wait unanswered until the simulation ends",
                    "none": ": every caller will abandon"}[patient]
            warnings.append(f"queue '{skill}': contacts arrive ({_ranges(s, arriving > 0)}) but no pool serving it "
                            f"is staffed in any interval{tail}")
        else:
            tail = {"all": ", and its callers never hang up: they wait for the next agents on duty",
                    "some": ": callers wait for the next agents on duty, or abandon",
                    "none": ": callers wait for the next agents on duty, or abandon"}[patient]
            warnings.append(f"queue '{skill}': contacts arrive at {_ranges(s, uncovered)} when no pool serving it "
                            f"is staffed{tail}")
    reached = set(demand) | _other_targets(s)
    for pool in s.pools:
        skills = [r.skill for r in pool.skills]
        agents = s.staffing(pool)
        if agents.max(initial=0) > 0 and not reached.intersection(skills):
            warnings.append(f"pool '{pool.name}': no contact needs its skills ({', '.join(skills)}); its agents "
                            "stay idle")
    return warnings


def _demand(s: Scenario) -> dict[str, np.ndarray]:
    """Arrivals per hour in each interval, by the queue (skill) they join first."""
    n = s.n_intervals
    rates = s.intent_rates() if hasattr(s, "intent_rates") else np.outer([i.share for i in s.intents],
                                                                          s.rates_per_hour())
    rates = np.asarray(rates, dtype=float).reshape(len(s.intents), n)
    direct = [c for c in s.channels or () if c.skill is not None]
    rest = 1.0 - sum(c.share for c in direct)
    demand: dict[str, np.ndarray] = {}
    for intent, row in zip(s.intents, rates, strict=True):
        demand[intent.skill] = demand.get(intent.skill, np.zeros(n)) + rest * row
    total = rates.sum(axis=0)
    for c in direct:
        demand[c.skill] = demand.get(c.skill, np.zeros(n)) + c.share * total
    return demand


def _staffed(s: Scenario) -> dict[str, np.ndarray]:
    """Agents on duty for each skill (first or overflow) in each interval."""
    staffed: dict[str, np.ndarray] = {}
    for pool in s.pools:
        agents = s.staffing(pool).astype(float)
        for route in pool.skills:
            staffed[route.skill] = staffed.get(route.skill, np.zeros(s.n_intervals)) + agents
    return staffed


def _never_hang_up(s: Scenario, skill: str) -> str:
    """Whether the callers of a queue never hang up: 'all', 'some' or 'none'."""
    intents = [i for i in s.intents if i.skill == skill]
    forever = [getattr(i, "patience", None) is None and g.patience is None for i in intents for g in s.segments]
    return "all" if forever and all(forever) else "some" if any(forever) else "none"


def _other_targets(s: Scenario) -> set[str]:
    """Queues contacts reach other than by their intent: escalations, channels, the IVR."""
    found = {p.escalate_to for p in s.pools if p.escalate_to}
    found |= {c.skill for c in s.channels or () if c.skill}
    if s.ivr is not None:
        found |= {o.skill for m in s.ivr.menus for o in m.options if o.skill}
        if s.ivr.zero_out is not None:
            found.add(s.ivr.zero_out.skill)
    return found


def _ranges(s: Scenario, mask: np.ndarray) -> str:
    """``08:00–12:00, 14:00–15:00`` for the intervals where ``mask`` holds."""
    labels = s.interval_labels()
    runs: list[tuple[int, int]] = []
    for k in np.flatnonzero(mask):
        if runs and runs[-1][1] == k - 1:
            runs[-1] = (runs[-1][0], int(k))
        else:
            runs.append((int(k), int(k)))
    shown = [f"{labels[a]}–{_end_label(s, labels, b)}" for a, b in runs[:MAX_RANGES]]
    more = len(runs) - MAX_RANGES
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _end_label(s: Scenario, labels: list[str], k: int) -> str:
    """The clock time at the end of interval ``k``."""
    if k + 1 < len(labels):
        return labels[k + 1]
    hh, mm = (int(x) for x in s.horizon.start.split(":"))
    minutes = int(round(hh * 60 + mm + (k + 1) * s.horizon.interval_minutes))
    day, rest = divmod(minutes, 24 * 60)
    label = f"{rest // 60:02d}:{rest % 60:02d}"
    return label if day == 0 else f"d{day + 1} {label}"
