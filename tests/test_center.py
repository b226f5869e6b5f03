"""The engine on tiny deterministic traces: who is answered when, by whom, and who hangs up."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ccsim.engine.callers import Callers
from ccsim.engine.model import Model
from ccsim.engine.records import Outcome
from ccsim.spec.loading import load_scenario

from .helpers import single_queue

INF = math.inf


def scenario(pools=None, hours=1.0, interval_minutes=60.0, drain=True, intents=None):
    data = single_queue(hours=hours, interval_minutes=interval_minutes, warmup_minutes=0)
    data["horizon"]["drain"] = drain
    if pools is not None:
        data["pools"] = pools
    if intents is not None:
        data["intents"] = intents
    return load_scenario(data)


def callers(arrival, handle, patience=None, intent=None):
    n = len(arrival)
    return Callers(
        arrival=np.asarray(arrival, float),
        segment=np.zeros(n, np.int16),
        intent=np.asarray(intent if intent is not None else [0] * n, np.int16),
        patience=np.asarray(patience if patience is not None else [INF] * n, float),
        handle_time=np.asarray(handle, float),
    )


def trace(center: Model) -> list[tuple]:
    """(answer, end, pool, agent, outcome) per contact, NaN as None."""
    r = center.records.columns()
    clean = lambda x: None if np.isnan(x) else round(float(x), 9)  # noqa: E731
    return [(clean(r["answer"][i]), clean(r["end"][i]), int(r["pool"][i]), int(r["agent"][i]),
             Outcome(r["outcome"][i]).name) for i in range(len(center.records))]


class TestSingleAgent:
    def test_fcfs_service(self):
        c = Model(scenario(pools=[{"name": "a", "agents": 1, "skills": ["general"]}]),
                   callers=callers([0, 1, 2], [10, 10, 10])).run()
        assert trace(c) == [(0, 10, 0, 0, "RESOLVED"), (10, 20, 0, 0, "RESOLVED"), (20, 30, 0, 0, "RESOLVED")]
        assert c.records.queue_join.tolist() == [0, 1, 2]

    def test_impatient_callers_hang_up_when_patience_runs_out(self):
        c = Model(scenario(pools=[{"name": "a", "agents": 1, "skills": ["general"]}]),
                   callers=callers([0, 1, 2, 3], [10, 10, 10, 10], patience=[INF, 5, 20, 7])).run()
        # 1 hangs up at 6, 3 at 10 exactly when the agent frees: the event scheduled first
        # (3's patience, scheduled at t=3) fires first, so 2 is served at 10.
        assert trace(c) == [
            (0, 10, 0, 0, "RESOLVED"),
            (None, 6, -1, -1, "ABANDONED"),
            (10, 20, 0, 0, "RESOLVED"),
            (None, 10, -1, -1, "ABANDONED"),
        ]

    def test_answered_before_patience_runs_out_is_not_abandoned(self):
        c = Model(scenario(pools=[{"name": "a", "agents": 1, "skills": ["general"]}]),
                   callers=callers([0, 1], [10, 5], patience=[INF, 30])).run()
        assert trace(c)[1] == (10, 15, 0, 0, "RESOLVED")

    def test_no_agents_and_no_patience_stays_in_the_center(self):
        c = Model(scenario(pools=[{"name": "a", "agents": 0, "skills": ["general"]}]),
                   callers=callers([5], [10])).run()
        assert trace(c) == [(None, None, -1, -1, "IN_SYSTEM")]

    def test_hard_stop_without_drain(self):
        c = Model(scenario(pools=[{"name": "a", "agents": 1, "skills": ["general"]}], drain=False),
                   callers=callers([3590, 3595], [100, 100])).run()
        assert trace(c) == [(3590, None, 0, 0, "IN_SYSTEM"), (None, None, -1, -1, "IN_SYSTEM")]
        # the call in progress counts as agent work up to the end of the horizon
        assert list(c.work.start) == [3590] and list(c.work.end) == [3600]


class TestSeveralAgentsAndPools:
    def test_longest_idle_agent_answers(self):
        c = Model(scenario(pools=[{"name": "a", "agents": 2, "skills": ["general"]}]),
                   callers=callers([0, 1, 20], [5, 5, 5])).run()
        assert [t[3] for t in trace(c)] == [0, 1, 0]

    def test_pools_answer_in_the_order_listed(self):
        pools = [{"name": "first", "agents": 1, "skills": ["general"]},
                 {"name": "second", "agents": 1, "skills": ["general"]}]
        c = Model(scenario(pools=pools), callers=callers([0, 1, 2], [10, 10, 10])).run()
        assert [t[2] for t in trace(c)] == [0, 1, 0]

    def test_overflow_pool_waits_for_its_delay(self):
        pools = [{"name": "main", "agents": 1, "skills": ["general"]},
                 {"name": "backup", "agents": 1, "skills": [{"skill": "general", "after": 30}]}]
        c = Model(scenario(pools=pools), callers=callers([0, 1, 2], [100, 100, 100])).run()
        # 1 waits 30 s then goes to the backup; 2 would reach backup at 32 but it is busy
        # until 131; main frees at 100 and takes 2.
        assert trace(c) == [(0, 100, 0, 0, "RESOLVED"), (31, 131, 1, 0, "RESOLVED"), (100, 200, 0, 0, "RESOLVED")]

    def test_free_overflow_agent_takes_only_callers_past_the_delay(self):
        pools = [{"name": "main", "agents": 1, "skills": ["general"]},
                 {"name": "backup", "agents": 1, "skills": [{"skill": "general", "after": 30}]}]
        # backup busy until 5 with... nobody: it is idle from the start; caller 1 waits 30 s.
        c = Model(scenario(pools=pools), callers=callers([0, 1, 40], [100, 10, 10])).run()
        assert trace(c)[1] == (31, 41, 1, 0, "RESOLVED")
        # caller 2 arrives at 40 while backup is busy and main is busy until 100; backup frees
        # at 41, but caller 2 has waited 1 s < 30 s: backup stays idle, takes it at 70.
        assert trace(c)[2] == (70, 80, 1, 0, "RESOLVED")

    def test_agent_takes_its_first_skill_first(self):
        intents = [
            {"name": "x", "share": 0.5, "skill": "sx", "handle_time": {"dist": "deterministic", "value": 1}},
            {"name": "y", "share": 0.5, "skill": "sy", "handle_time": {"dist": "deterministic", "value": 1}},
        ]
        pools = [{"name": "a", "agents": 1, "skills": ["sy", "sx"]}]
        c = Model(scenario(pools=pools, intents=intents),
                   callers=callers([0, 1, 2], [10, 10, 10], intent=[0, 0, 1])).run()
        # at 10 both queues hold a caller: the agent takes its first skill, sy (caller 2).
        assert [t[0] for t in trace(c)] == [0, 20, 10]


class TestStaffing:
    def test_agents_join_and_leave_at_interval_boundaries(self):
        pools = [{"name": "a", "agents": [0, 1, 0], "skills": ["general"]}]
        s = scenario(pools=pools, hours=3)
        c = Model(s, callers=callers([10, 3700, 7300], [50, 50, 50])).run()
        assert trace(c) == [(3600, 3650, 0, 0, "RESOLVED"), (3700, 3750, 0, 0, "RESOLVED"),
                            (None, None, -1, -1, "IN_SYSTEM")]
        assert list(zip(c.presence.time, c.presence.delta)) == [(3600, 1), (7200, -1)]

    def test_leaving_agent_finishes_the_current_contact_first(self):
        pools = [{"name": "a", "agents": [2, 1], "skills": ["general"]}]
        s = scenario(pools=pools, hours=2)
        c = Model(s, callers=callers([3500, 3550, 3590], [300, 300, 1])).run()
        # both agents busy at 3600; one must leave: the first to finish (agent 0 at 3800).
        assert list(zip(c.presence.time, c.presence.delta)) == [(0, 1), (0, 1), (3800, -1)]
        # caller 2 was waiting; agent 0 leaves instead of taking it, agent 1 takes it at 3850.
        assert trace(c)[2] == (3850, 3851, 0, 1, "RESOLVED")

    def test_staffing_back_up_cancels_a_pending_departure(self):
        pools = [{"name": "a", "agents": [1, 0, 1], "skills": ["general"]}]
        s = scenario(pools=pools, hours=3)
        c = Model(s, callers=callers([3500], [4000])).run()
        # the agent should leave at 3600 but is busy until 7500; at 7200 they are needed again.
        assert list(zip(c.presence.time, c.presence.delta)) == [(0, 1)]

    def test_idle_agents_leave_at_once(self):
        pools = [{"name": "a", "agents": [3, 1], "skills": ["general"]}]
        c = Model(scenario(pools=pools, hours=2), callers=callers([], [])).run()
        assert list(zip(c.presence.time, c.presence.delta)) == [(0, 1)] * 3 + [(3600, -1)] * 2


def test_center_needs_streams_or_callers():
    with pytest.raises(ValueError):
        Model(scenario())
