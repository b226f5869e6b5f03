"""Agents as centers really have them: after-call work and proficiency per skill (issue 12)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import ccsim
from ccsim.engine.callers import Callers
from ccsim.engine.model import Model
from ccsim.engine.plan import compile_plan
from ccsim.engine.streams import Streams
from ccsim.errors import ScenarioError

from .helpers import single_queue

INF = math.inf
DET = lambda v: {"dist": "deterministic", "value": v}  # noqa: E731


def model(data: dict, arrival, handle, intent=None, patience=None, segment=None) -> Model:
    s = ccsim.load_scenario(data)
    plan = compile_plan(s)
    n = len(arrival)
    callers = Callers(
        arrival=np.asarray(arrival, float),
        segment=np.asarray(segment if segment is not None else [0] * n, np.int16),
        intent=np.asarray(intent if intent is not None else [0] * n, np.int16),
        patience=np.asarray(patience if patience is not None else [INF] * n, float),
        handle_time=np.asarray(handle, float),
        uniforms={name: np.full((n, width), 0.5) for name, width in plan.uniform_widths.items()},
    )
    return Model(plan, Streams(s.seed, 0), callers=callers).run()


def col(m: Model, name: str) -> list:
    return np.frombuffer(getattr(m.records, name), dtype=getattr(m.records, name).typecode).tolist()


def work(m: Model) -> list[tuple]:
    return sorted(zip(m.work.pool, m.work.contact, m.work.start, m.work.end))


def one_agent(**intent) -> dict:
    data = single_queue(hours=1, interval_minutes=60, warmup_minutes=0, agents=1, patience=None)
    data["intents"][0].update(intent)
    return data


class TestAfterCallWork:
    def test_the_agent_stays_busy_after_the_caller_leaves(self):
        m = model(one_agent(wrapup=DET(5)), [0, 1], [10, 10])
        assert col(m, "answer") == [0, 15] and col(m, "end") == [10, 25]  # the second waits for the wrap-up
        assert col(m, "wrap") == [5, 5] and col(m, "talk") == [10, 10]
        assert work(m) == [(0, 0, 0, 15), (0, 1, 15, 30)]

    def test_pool_factor_scales_it(self):
        data = one_agent(wrapup=DET(10))
        data["pools"][0]["wrapup_factor"] = 0.5
        assert col(model(data, [0, 1], [10, 10]), "answer") == [0, 15]

    def test_aht_and_occupancy_count_it_the_callers_time_does_not(self):
        data = single_queue(hours=2, warmup_minutes=0, agents=40, telephony_cost_per_minute=1.0)
        base = ccsim.run(data, reps=2).kpis
        data["intents"][0]["wrapup"] = DET(30)
        wrapped = ccsim.run(data, reps=2)
        k = wrapped.kpis
        assert np.allclose(k["aht_seconds"] - k["talk_seconds"], 30) and np.allclose(k["wrapup_seconds"], 30)
        assert np.allclose(k["talk_seconds"], base["aht_seconds"], rtol=0.05)
        # the caller's minutes (telephony) do not include the agent's after-call work
        assert np.allclose(k["telephony_cost"], base["telephony_cost"], rtol=0.05)
        assert (wrapped.pools["occupancy"] > ccsim.run(single_queue(hours=2, warmup_minutes=0, agents=40),
                                                       reps=2).pools["occupancy"]).all()

    def test_zero_wrapup_is_bit_identical_to_none(self):
        data = single_queue(hours=3, agents=31)
        zero = copy.deepcopy(data)
        zero["intents"][0]["wrapup"] = DET(0)
        a, b = ccsim.run(data, reps=3).to_json_dict(), ccsim.run(zero, reps=3).to_json_dict()
        assert a["kpis"] == b["kpis"] and a["pools"] == b["pools"]

    def test_littles_law_busy_agents_are_answered_rate_times_talk_plus_wrapup(self):
        data = single_queue(rate=500, agents=40, hours=10, warmup_minutes=60, interval_minutes=60)
        data["intents"][0]["wrapup"] = {"dist": "exponential", "mean": 40}
        r = ccsim.run(data, reps=4)
        hours = 9.0
        for rep in range(4):
            k = r.kpis.iloc[rep]
            busy_agents = r.pools.iloc[rep]["busy_hours"] / hours
            assert busy_agents == pytest.approx(k["answered"] / (hours * 3600) * k["aht_seconds"], rel=0.02)

    def test_more_after_call_work_never_improves_the_service_level(self):
        data = single_queue(rate=560, agents=32, hours=4)
        more = copy.deepcopy(data)
        more["intents"][0]["wrapup"] = {"dist": "exponential", "mean": 20}
        table = ccsim.compare(data, more, reps=6).set_index("kpi")
        assert table.loc["service_level", "ci_high"] < 0 and table.loc["aht_seconds", "ci_low"] > 0

    def test_each_agent_of_a_transfer_chain_wraps_up(self):
        data = single_queue(hours=1, interval_minutes=60, warmup_minutes=0, patience=None)
        data["intents"] = [{"name": "x", "share": 1.0, "skill": "back", "handle_time": DET(100), "wrapup": DET(7)}]
        data["pools"] = [{"name": "front", "agents": 1, "skills": ["front"], "script": [], "escalate_to": "back"},
                         {"name": "back", "agents": 1, "skills": ["back"]}]
        data["channels"] = [{"name": "voice", "share": 1.0, "skill": "front"}]
        m = model(data, [0], [100])
        assert col(m, "wrap") == [14]  # 7 s after the triage, 7 s after the resolution
        assert work(m) == [(0, 0, 0, 37), (1, 0, 30, 137)]


class TestProficiency:
    def test_a_pool_is_faster_on_one_skill_and_slower_on_another(self):
        data = single_queue(hours=1, interval_minutes=60, warmup_minutes=0, patience=None)
        data["intents"] = [{"name": "a", "share": 0.5, "skill": "a", "handle_time": DET(100)},
                           {"name": "b", "share": 0.5, "skill": "b", "handle_time": DET(100)}]
        data["pools"] = [{"name": "p", "agents": 2, "skills": ["a", "b"], "proficiency": {"a": 0.8, "b": 1.5}}]
        m = model(data, [0, 0], [100, 100], intent=[0, 1])
        assert col(m, "end") == [80, 150]

    def test_no_proficiency_is_bit_identical_to_all_ones(self):
        data = single_queue(hours=2, agents=31)
        ones = copy.deepcopy(data)
        ones["pools"][0]["proficiency"] = {"general": 1.0}
        assert ccsim.run(data, reps=2).to_json_dict()["kpis"] == ccsim.run(ones, reps=2).to_json_dict()["kpis"]


@pytest.mark.parametrize("change, fragment", [
    (lambda d: d["pools"][0].update(proficiency={"loans": 0.9}), "pools[0].proficiency.loans: 'loans' is not a skill"),
    (lambda d: d["pools"][0].update(proficiency={"general": 0}), "pools[0].proficiency.general"),
    (lambda d: d["pools"][0].update(wrapup_factor=-1), "pools[0].wrapup_factor"),
    (lambda d: d["intents"][0].update(wrapup={"dist": "exponential", "mean": -3}), "intents[0].wrapup"),
    (lambda d: d["intents"][0].update(wrapup=12), "intents[0].wrapup"),
])
def test_bad_workforce_input(change, fragment):
    data = single_queue()
    change(data)
    with pytest.raises(ScenarioError) as exc:
        ccsim.load_scenario(data)
    assert fragment in str(exc.value)
