"""The simulation agrees with Erlang C and Erlang A where their assumptions hold.

One queue, one pool, exponential handle times, no IVR, transfers or redials: the model is
M/M/n (Erlang C) or M/M/n+M (Erlang A). For each parameter point the simulated P(wait),
abandon rate, mean wait, ASA and service level must contain the analytic value in their 99.9%
confidence interval over independent replications. Seeds are fixed, so the outcome is the same
on every run; the interval width (not a hand-picked tolerance) says how close is close.
"""

from __future__ import annotations

import functools

import pytest

import ccsim
from ccsim.analysis import erlang
from ccsim.analysis.stats import mean_ci

from .helpers import single_queue

KPIS = ("p_wait", "abandon_rate", "mean_wait_seconds", "asa_seconds", "service_level")

# (id, rate per hour, AHT s, agents, mean patience s or None, simulated hours, replications)
POINTS = [
    ("small-erlang-c", 120, 300, 12, None, 12, 20),
    ("medium-erlang-c", 600, 180, 33, None, 8, 20),
    ("medium-erlang-a", 600, 180, 32, 120, 8, 20),
    ("overloaded-erlang-a", 900, 180, 40, 60, 6, 20),  # 45 Erlangs on 40 agents
    ("large-erlang-a", 11400, 180, 600, 120, 2, 20),  # 570 Erlangs on 600 agents
    ("large-erlang-c", 11400, 180, 590, None, 2, 20),
    ("large-overloaded-erlang-a", 13000, 180, 600, 300, 2, 20),  # 650 Erlangs on 600 agents
]


@functools.cache
def simulated(name: str) -> ccsim.RunResult:
    _, rate, aht, agents, patience, hours, reps = next(p for p in POINTS if p[0] == name)
    scenario = single_queue(rate=rate, aht=aht, agents=agents, patience=patience, hours=hours + 1,
                            warmup_minutes=60, interval_minutes=60, seed=2026)
    return ccsim.run(scenario, reps=reps, keep_contacts=False)


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS, ids=[p[0] for p in POINTS])
def test_simulation_agrees_with_analytic(point):
    name, rate, aht, agents, patience, hours, reps = point
    if patience is None:
        expected = erlang.erlang_c(rate, aht, agents, sl_seconds=20)
    else:
        expected = erlang.erlang_a(rate, aht, agents, patience, sl_seconds=20)
    result = simulated(name)
    failures = []
    for kpi in KPIS:
        mean, low, high = mean_ci(result.kpis[kpi].to_numpy(), confidence=0.999)
        truth = getattr(expected, kpi)
        if kpi == "abandon_rate" and patience is None:
            assert mean == 0
            continue
        if not (low <= truth <= high):
            failures.append(f"{kpi}: analytic {truth:.5g} outside 99.9% CI [{low:.5g}, {high:.5g}] (mean {mean:.5g})")
    occupancy = result.pools["occupancy"].to_numpy()
    mean, low, high = mean_ci(occupancy, confidence=0.999)
    if not (low <= expected.occupancy <= high):
        failures.append(f"occupancy: analytic {expected.occupancy:.5g} outside [{low:.5g}, {high:.5g}]")
    assert not failures, "\n".join(failures)


@pytest.mark.slow
@pytest.mark.parametrize("other_agents", [31, 33])
def test_the_check_tells_one_agent_apart(other_agents):
    """The intervals are narrow enough that the analytic values for 31 or 33 agents fall outside
    the simulation of 32: the agreement above is not a tolerance that lets anything through."""
    result = simulated("medium-erlang-a")
    wrong = erlang.erlang_a(600, 180, other_agents, 120)
    _, low, high = mean_ci(result.kpis["p_wait"].to_numpy(), confidence=0.999)
    assert not (low <= wrong.p_wait <= high)
