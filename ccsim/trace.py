"""Trace: one customer's path through the center, as a timeline a planner can read.

"What actually happened to the caller who gave up twice?" A trace simulates one replication
and tells one customer's story from the records: when each contact arrived and about what,
which queue it joined, how long it waited, who answered or when the caller hung up, and when
they called again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .center import Center
from .records import Outcome
from .scenario import Scenario, load_scenario
from .streams import Streams


def trace(
    scenario: Scenario | str | Path | Mapping[str, Any],
    customer: int | None = None,
    seed: int | None = None,
    replication: int = 0,
) -> list[str]:
    """The timeline of one customer in one replication, one line per event.

    Args:
        customer: the customer's number; default: the first who called more than once, else
            the first who had to wait, else the first.

    Raises:
        ValueError: if the replication has no such customer.
    """
    s = load_scenario(scenario)
    seed = s.seed if seed is None else seed
    center = Center(s, Streams(seed, replication)).run()
    r = center.records.columns()
    if len(r["customer"]) == 0:
        raise ValueError("no contact arrived in this replication")
    if customer is None:
        customer = _interesting_customer(r)
    mine = np.flatnonzero(r["customer"] == customer)
    if len(mine) == 0:
        raise ValueError(f"no customer {customer} in replication {replication} "
                         f"(customers 0-{int(r['customer'].max())})")
    segment = s.segments[r["segment"][mine[0]]].name
    lines = [f"customer {customer} (segment {segment}) — {s.name}, replication {replication}, seed {seed}"]
    for k, i in enumerate(mine):
        lines += _contact_lines(s, r, i, k, center.env.now)
    return lines


def _interesting_customer(r: dict[str, np.ndarray]) -> int:
    repeated = np.flatnonzero(r["attempt"] > 0)
    if len(repeated):
        return int(r["customer"][repeated[0]])
    waited = np.flatnonzero((np.nan_to_num(r["answer"], nan=np.inf) - r["queue_join"]) > 0)
    return int(r["customer"][waited[0]]) if len(waited) else int(r["customer"][0])


def _contact_lines(s: Scenario, r: dict[str, np.ndarray], i: int, k: int, stopped: float) -> list[str]:
    intent = s.intents[r["intent"][i]]
    patience = r["patience"][i]
    clock = _clock(s)
    kind = "first contact" if r["attempt"][i] == 0 else f"redial {r['attempt'][i]}"
    lines = [f"{clock(r['arrival'][i])}  contact {k + 1} ({kind}) arrives: {intent.name}, "
             f"patience {'unlimited' if math.isinf(patience) else duration(patience)}"]
    if np.isnan(r["queue_join"][i]):
        return lines
    join = r["queue_join"][i]
    lines.append(f"{clock(join)}  joins the {intent.skill} queue")
    outcome = Outcome(r["outcome"][i])
    if not np.isnan(r["answer"][i]):
        pool = s.pools[r["pool"][i]].name
        lines.append(f"{clock(r['answer'][i])}  answered by {pool} agent {r['agent'][i]} after waiting "
                     f"{duration(r['answer'][i] - join)}")
        if outcome == Outcome.ANSWERED:
            lines.append(f"{clock(r['end'][i])}  done after {duration(r['end'][i] - r['answer'][i])} "
                         "with the agent: resolved")
        else:
            lines.append(f"{clock(stopped)}  still with the agent when the simulation stopped")
    elif outcome == Outcome.ABANDONED:
        lines.append(f"{clock(r['end'][i])}  hangs up after waiting {duration(r['end'][i] - join)}")
    else:
        lines.append(f"{clock(stopped)}  still waiting when the simulation stopped")
    return lines


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
