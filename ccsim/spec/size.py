"""How big a validated scenario's day is: intervals, contacts, memory, menus heard.

A file can pass every per-key limit (:mod:`ccsim.spec.limits`) and still describe a day that
cannot be simulated here: a million calls an hour for a week, or an IVR so deep that a caller
hears more menus than the records count. These checks run on the validated scenario, before
anything is allocated, and say how big the day would be.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

from .base import MAX_SECONDARY
from .limits import MAX_CONTACTS, MAX_INTERVALS, count_text

if TYPE_CHECKING:
    from .scenario import Scenario

#: Memory of one contact during a replication: its records, its draws, its state in the run
#: and its rows in the KPI tables (measured: about 180 bytes, rounded up) ...
BYTES_PER_CONTACT = 250
#: ... plus this per uniform pre-drawn for it (8 bytes, and a Python float while the day runs).
BYTES_PER_UNIFORM = 40
#: ... and per agent arriving or leaving at an interval boundary.
BYTES_PER_STAFFING_CHANGE = 40
#: A replication may use at most this share of the machine's memory.
MEMORY_SHARE = 0.5
#: Menus a caller may hear (replays included) are counted in 8 bits.
MAX_MENUS_HEARD = 120


def interval_problems(s: Scenario) -> list[tuple[str, str]]:
    """Too many planning intervals (checked before anything builds per-interval tables)."""
    n = s.horizon_seconds / s.interval_seconds
    if n <= MAX_INTERVALS + 0.5:
        return []
    return [("horizon.interval_minutes", f"{s.horizon.hours:g} h in intervals of {s.horizon.interval_minutes:g} min "
             f"make {count_text(n)} intervals; at most {count_text(MAX_INTERVALS)} (use longer intervals)")]


def uniforms_per_contact(s: Scenario) -> int:
    """Random numbers pre-drawn per contact (as the engine's plan draws them; an estimate)."""
    width = 2 if s.channels is not None else 0
    if s.ivr is not None:
        width += 2 + len(s.ivr.menus) * (s.ivr.max_replays + 1)
    if s.resolution_model():
        width += 3 * (s.transfers.max_chain + 1) + MAX_SECONDARY
    if any(i.research is not None for i in s.intents):
        width += 4
    if s.callback is not None:
        width += 1
    visits = s.transfers.max_chain + 1 if s.resolution_model() else 1
    if any(i.wrapup is not None for i in s.intents):
        width += visits
    if s.routing.agent_selection == "random" or any(q.agent_selection == "random" for q in s.queues or ()):
        width += visits
    if any(g.balk is not None for g in s.segments):
        width += 1
    if any(q.message is not None for q in s.queues or ()):
        width += visits
    return width


def expected_contacts(s: Scenario) -> float:
    """Contacts one replication is expected to make, with a margin: arrivals, redials, redirects."""
    arrivals = float(s.rates_per_hour().sum()) * s.interval_seconds / 3600.0
    redials = sum(g.share * _contacts_per_customer(g.redial) for g in s.segments)
    redirects = 1.0 + sum(c.share * c.redirect.probability for c in s.channels or () if c.redirect is not None)
    mean = arrivals * max(redials, 1.0) * redirects
    return mean + 5.0 * math.sqrt(mean)


def _contacts_per_customer(redial: Any) -> float:
    """At most: every contact ends in a way that may bring a redial."""
    if redial is None:
        return 1.0
    p = max(redial.after_abandon, redial.after_unresolved)
    m = redial.max_contacts
    return float(m) if p >= 1 else (1.0 - p**m) / (1.0 - p)


def staffing_changes(s: Scenario) -> int:
    """Agents arriving or leaving at interval boundaries over the day."""
    total = 0
    for pool in s.pools:
        agents = s.staffing(pool)
        total += int(agents[0]) + int(abs(agents[1:] - agents[:-1]).sum()) if len(agents) else 0
    return total


def memory_bytes(s: Scenario) -> float:
    """Memory one replication needs, roughly."""
    per_contact = BYTES_PER_CONTACT + BYTES_PER_UNIFORM * uniforms_per_contact(s)
    return expected_contacts(s) * per_contact + staffing_changes(s) * BYTES_PER_STAFFING_CHANGE


def machine_memory() -> float | None:
    """This machine's memory in bytes (None where the system does not say)."""
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):
        return None


def size_problems(s: Scenario) -> list[tuple[str, str]]:
    """A replication that would not fit in memory; an IVR deeper than the records can count."""
    problems: list[tuple[str, str]] = []
    where = "arrivals.rate_per_hour" if getattr(s.arrivals, "rate_per_hour", None) is not None else "intents"
    contacts = expected_contacts(s)
    need = memory_bytes(s)
    memory = machine_memory()
    size = f"one replication would simulate about {count_text(contacts)} contacts and need about {_gb(need)} of memory"
    if contacts > MAX_CONTACTS:
        problems.append((where, f"{size}; at most {count_text(MAX_CONTACTS)} contacts per replication: shorten the "
                         "horizon or lower the arrival rates"))
    elif memory is not None and need > MEMORY_SHARE * memory:
        problems.append((where, f"{size}, more than half of this machine's {_gb(memory)}: shorten the horizon, "
                         "lower the arrival rates or simplify the journey"))
    if s.ivr is not None:
        depth = _menu_depth(s)
        heard = depth * (s.ivr.max_replays + 1)
        if heard > MAX_MENUS_HEARD:
            problems.append(("ivr.menus", f"menus nest {depth} deep with max_replays {s.ivr.max_replays}: a caller "
                             f"may hear {heard} menus; at most {MAX_MENUS_HEARD} (nest fewer menus or allow fewer "
                             "replays)"))
    return problems


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.0f} MB"


def _menu_depth(s: Scenario) -> int:
    """Menus on the longest path from the root (the menus form a tree: checked before)."""
    ivr = s.ivr
    assert ivr is not None
    children = {m.name: [o.menu for o in m.options if o.menu is not None] for m in ivr.menus}
    level = {ivr.root or ivr.menus[0].name: 1}
    frontier = list(level)
    while frontier:
        name = frontier.pop()
        for child in children.get(name, ()):
            if child not in level:
                level[child] = level[name] + 1
                frontier.append(child)
    return max(level.values())
