"""Covering a requirement with shifts at the least cost: an integer program.

The cards team needs 11 agents at 08:00, 14 at 09:00, 15 at 10:00, ... Each shift option
(a template starting at a time) puts an agent on duty for some intervals — less in the
intervals where breaks fall. How many agents should start on each option so that every
interval has at least the agents required, at the least cost? With ``y[o]`` the agents on
option ``o``, ``a[o, k]`` the share of interval ``k`` one of them is on duty, and ``c[o]`` its
cost: minimize ``sum(c * y)`` subject to ``sum(a[:, k] * y) >= required[k]`` for every pool and
interval, each template's total between its ``min`` and ``max``, ``y`` whole numbers — solved
by ``scipy.optimize.milp`` (HiGHS branch and bound, proven optimal), pool by pool.

Breaks in a window are taken one agent after another, their starts spread evenly over the
window (:mod:`ccsim.spec.schedule`): with many agents on a shift its presence in an interval
is the average over the window, which is what ``a`` holds; with few, the breaks bunch at the
window's ends. The exact presence of a roster is computed by the engine's own schedule code
(:func:`coverage`), and where it falls short of the requirement the requirement is raised by
the shortfall and the program solved again.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from ..errors import ScenarioError
from ..spec.scenario import Scenario
from ..spec.schedule import roster, schedule_table
from .shifts_templates import ShiftOption

#: Agents per option when computing the average presence of a shift (breaks spread evenly).
SPREAD = 60
#: Rounds of raising the requirement where the exact presence falls short.
EXACT_ROUNDS = 10


def presence(s: Scenario, options: list[ShiftOption]) -> np.ndarray:
    """``a``: options x intervals, agents on duty (time average) per agent on the option, breaks
    spread evenly over their windows (as with many agents)."""
    out = np.zeros((len(options), s.n_intervals))
    for i, o in enumerate(options):
        out[i] = _scheduled(s, o.pool, [(o.shift, SPREAD)]) / SPREAD
    return out


def coverage(s: Scenario, options: list[ShiftOption], counts: np.ndarray, pools: list[int]) -> np.ndarray:
    """The exact agents on duty (time average per interval, before shrinkage and absence) of a
    roster: pools x intervals, in the order of ``pools``."""
    out = np.zeros((len(pools), s.n_intervals))
    for row, p in enumerate(pools):
        shifts = [(o.shift, int(c)) for o, c in zip(options, counts, strict=True) if o.pool == p and c > 0]
        if shifts:
            out[row] = _scheduled(s, p, shifts)
    return out


def _scheduled(s: Scenario, p: int, shifts: list) -> np.ndarray:
    pool = s.pools[p].model_copy(update={
        "agents": None, "scale": 1.0, "absence": 0.0, "shrinkage": None,
        "shifts": [shift.model_copy(update={"count": count}) for shift, count in shifts]})
    return schedule_table(s, [roster(s, pool)])[0][0]


def solve(options: list[ShiftOption], a: np.ndarray, required: np.ndarray, pools: list[int],
          names: list[str], labels: list[str], time_limit: float = 60.0) -> np.ndarray:
    """The cheapest whole numbers of agents per option covering ``required`` (pools x intervals).

    The program separates by pool (a shift option staffs one pool; a template's min and max
    hold per pool), so each pool's is solved on its own: a few dozen variables, proven optimal
    in well under a second.

    Raises:
        ScenarioError: no roster covers the requirement, saying where (an interval no template
            reaches, or the templates' maximum counts).
    """
    _uncoverable(options, a, required, pools, names, labels)
    counts = np.zeros(len(options), np.int64)
    priced = any(o.cost > 0 for o in options)
    for r, p in enumerate(pools):
        mine = [i for i, o in enumerate(options) if o.pool == p]
        need = required[r] > 1e-9
        rows, lower, upper = [a[mine][:, need].T], [required[r, need] - 1e-7], [np.full(need.sum(), np.inf)]
        groups: dict[str, list[int]] = defaultdict(list)
        for col, i in enumerate(mine):
            groups[options[i].template].append(col)
        for members in groups.values():
            o = options[mine[members[0]]]
            if o.min > 0 or o.max is not None:
                row = np.zeros((1, len(mine)))
                row[0, members] = 1.0
                rows.append(row)
                lower.append([o.min])
                upper.append([np.inf if o.max is None else o.max])
        # no costs given anywhere: the fewest paid hours
        cost = np.array([options[i].cost if priced else options[i].paid_hours for i in mine], float)
        found = milp(cost, integrality=np.ones(len(mine)), bounds=Bounds(0, np.inf),
                     constraints=[LinearConstraint(np.vstack(rows), np.concatenate(lower), np.concatenate(upper))],
                     options={"time_limit": time_limit})
        if found.x is None:
            limited = sorted({f"{o.template}: max {o.max}" for o in (options[i] for i in mine) if o.max is not None})
            raise ScenarioError([("templates", f"no roster of these templates covers pool {names[r]}'s requirement"
                                               + (f"; the maximum counts may be too low ({', '.join(limited)})"
                                                  if limited else f" ({found.message})"))], "schedule")
        counts[mine] = np.round(found.x).astype(np.int64)
    return counts


def _uncoverable(options: list[ShiftOption], a: np.ndarray, required: np.ndarray, pools: list[int],
                 names: list[str], labels: list[str]) -> None:
    problems = []
    for r, p in enumerate(pools):
        reach = a[[i for i, o in enumerate(options) if o.pool == p]].sum(axis=0) if options else 0 * required[r]
        gaps = [labels[k] for k in range(required.shape[1]) if required[r, k] > 1e-9 and reach[k] <= 1e-9]
        if gaps:
            shown = ", ".join(gaps[:6]) + (f" and {len(gaps) - 6} more" if len(gaps) > 6 else "")
            problems.append(("templates", f"pool {names[r]} needs agents at {shown}, but no template's shift is on "
                                          "duty then; add start times or longer shifts"))
    if problems:
        raise ScenarioError(problems, "schedule")


def cover(s: Scenario, options: list[ShiftOption], required: np.ndarray, pools: list[int], names: list[str]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """The cheapest roster whose exact presence covers ``required``.

    Returns:
        counts per option, the exact coverage (pools x intervals), the requirement the program
        was finally given (raised where breaks bunched), and the number of solves.
    """
    a = presence(s, options)
    labels = s.interval_labels()
    asked = required.astype(float).copy()
    for solves in range(1, EXACT_ROUNDS + 1):
        counts = solve(options, a, asked, pools, names, labels)
        exact = coverage(s, options, counts, pools)
        short = required - exact
        if not (short > 1e-6).any():
            return counts, exact, asked, solves
        asked = asked + np.clip(short, 0, None)
    return counts, exact, asked, EXACT_ROUNDS
