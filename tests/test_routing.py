"""Routing: customer priorities, which waiting contact a freed agent takes, and which free agent
an arriving contact goes to (issue 12 mechanisms 5-6, issue 16 part 4)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim.analysis import erlang
from ccsim.errors import ScenarioError

from .helpers import single_queue
from .test_workforce import DET, col, model


def vip_center(**routing) -> dict:
    data = single_queue(hours=1, interval_minutes=60, warmup_minutes=0, agents=1, patience=None)
    data["segments"] = [{"name": "regular", "share": 0.5}, {"name": "vip", "share": 0.5, "priority": 1,
                                                            "priority_weight": 2.0}]
    if routing:
        data["routing"] = routing
    return data


class TestPriorities:
    def test_a_vip_who_arrives_later_is_answered_first(self):
        m = model(vip_center(), [0, 10, 20], [100, 10, 10], segment=[0, 0, 1])
        assert col(m, "answer") == [0, 110, 100]

    def test_weighted_priorities_let_a_long_wait_go_first(self):
        # at 100 s: regular waited 90 s (x1), VIP 80 s (x2): the VIP; regular 100 s vs VIP 40 s x 2: the regular
        m = model(vip_center(priorities="weighted"), [0, 10, 20], [100, 10, 10], segment=[0, 0, 1])
        assert col(m, "answer") == [0, 110, 100]
        m = model(vip_center(priorities="weighted"), [0, 0.0001, 60], [100, 10, 10], segment=[0, 0, 1])
        assert col(m, "answer") == [0, 100, 110]

    def test_two_class_mmc_high_priority_wait_agrees_with_the_formula(self):
        """Non-preemptive priority M/M/c (Cobham): W1 = C / (c mu (1 - rho1)), W2 = C / (c mu (1 - rho1)(1 - rho))."""
        lam, aht, c, share = 500.0, 180.0, 30, 0.3
        data = single_queue(rate=lam, aht=aht, agents=c, patience=None, hours=10, warmup_minutes=60,
                            interval_minutes=600)
        data["segments"] = [{"name": "low", "share": 1 - share}, {"name": "high", "share": share, "priority": 1}]
        seg = ccsim.run(data, reps=12).segments
        mu = 1 / aht
        wait_c = erlang.erlang_c(lam, aht, c).p_wait
        rho1, rho = share * lam / 3600 / (c * mu), lam / 3600 / (c * mu)
        expected = {"high": wait_c / (c * mu * (1 - rho1)), "low": wait_c / (c * mu * (1 - rho1) * (1 - rho))}
        for name, value in expected.items():
            x = seg[seg["segment"] == name]["mean_wait_seconds"]
            ci = stats.t.interval(0.999, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
            assert ci[0] <= value <= ci[1], (name, ci, value)

    def test_transferred_priority_still_comes_before_every_segment(self):
        data = vip_center()
        data["transfers"] = {"priority": True}
        plan = ccsim.engine.plan.compile_plan(ccsim.load_scenario(data))
        assert plan.n_classes == 4 and plan.transfer_class == (1, 0) and plan.fresh_class == (3, 2)


class TestTakes:
    def two_skills(self, takes: str, weights=None) -> dict:
        data = single_queue(hours=1, interval_minutes=60, warmup_minutes=0, patience=None)
        data["intents"] = [{"name": "a", "share": 0.5, "skill": "a", "handle_time": DET(100)},
                           {"name": "b", "share": 0.5, "skill": "b", "handle_time": DET(100)}]
        pool = {"name": "p", "agents": 1, "skills": ["a", "b"], "takes": takes}
        if weights:
            pool["skill_weights"] = weights
        data["pools"] = [pool]
        return data

    def test_skill_order_takes_the_first_skill_with_a_caller(self):
        m = model(self.two_skills("skill_order"), [0, 10, 20], [100, 100, 100], intent=[0, 1, 0])
        assert col(m, "answer") == [0, 200, 100]

    def test_longest_waiting_takes_the_oldest_caller_across_skills(self):
        m = model(self.two_skills("longest_waiting"), [0, 10, 20], [100, 100, 100], intent=[0, 1, 0])
        assert col(m, "answer") == [0, 100, 200]

    def test_weighted_longest_waiting(self):
        m = model(self.two_skills("longest_waiting", {"a": 3.0}), [0, 10, 20], [100, 100, 100], intent=[0, 1, 0])
        assert col(m, "answer") == [0, 200, 100]  # a's 80 s x 3 beats b's 90 s


class TestAgentSelection:
    @staticmethod
    def identical_pools(rule: str, hours: float = 6) -> dict:
        data = single_queue(rate=500, agents=16, hours=hours, patience=150)
        data["pools"] = [{"name": "first", "agents": 16, "skills": ["general"]},
                         {"name": "second", "agents": 16, "skills": ["general"]}]
        data["routing"] = {"agent_selection": rule}
        return data

    def test_the_rule_cannot_matter_to_callers_when_the_pools_are_identical(self):
        kpis = {rule: ccsim.run(self.identical_pools(rule), reps=3).to_json_dict()["kpis"]
                for rule in ("pool_order", "longest_idle", "random", "least_occupied")}
        for rule in ("longest_idle", "random", "least_occupied"):
            for kpi in ("offered", "answered", "abandoned", "service_level", "asa_seconds"):
                assert kpis[rule][kpi] == kpis["pool_order"][kpi], (rule, kpi)

    def test_occupancy_by_rule(self):
        occupancy = {}
        for rule in ("pool_order", "longest_idle", "random", "least_occupied"):
            pools = ccsim.run(self.identical_pools(rule), reps=8).pools
            occupancy[rule] = pools.pivot(index="replication", columns="pool", values="occupancy")
        diff = occupancy["pool_order"]["first"] - occupancy["pool_order"]["second"]
        assert diff.min() > 0.05  # the first listed pool does more of the work
        for rule in ("longest_idle", "random", "least_occupied"):
            d = occupancy[rule]["first"] - occupancy[rule]["second"]
            ci = stats.t.interval(0.999, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
            assert ci[0] <= 0 <= ci[1], (rule, ci)

    def test_the_spread_of_occupancy_across_a_pools_agents_is_reported(self):
        pools = ccsim.run(self.identical_pools("longest_idle"), reps=3).pools
        assert (pools["agent_occupancy_min"] <= pools["occupancy"] + 1e-9).all()
        assert (pools["occupancy"] <= pools["agent_occupancy_max"] + 1e-9).all()
        assert (pools["agent_occupancy_sd"] < 0.05).all()  # identical agents, longest idle first: even work
        uneven = self.identical_pools("pool_order")
        uneven["pools"][1]["agents"] = [16] * 6 + [4] * 6  # most of its agents leave at 03:00
        spread = ccsim.run(uneven, reps=3).pools.set_index(["replication", "pool"])["agent_occupancy_sd"]
        assert (spread.xs("second", level="pool") > spread.xs("first", level="pool")).all()

    def test_a_queue_may_override_the_scenarios_rule(self):
        data = self.identical_pools("pool_order")
        data["queues"] = [{"skill": "general", "agent_selection": "longest_idle"}]
        s = ccsim.load_scenario(data)
        assert s.agent_selection_of("general") == "longest_idle"
        assert ccsim.engine.plan.compile_plan(s).selection == ("longest_idle",)


@pytest.mark.parametrize("change, fragment", [
    (lambda d: d["pools"][0].update(skill_weights={"loans": 2}), "pools[0].skill_weights.loans: 'loans' is not"),
    (lambda d: d["pools"][0].update(takes="random"), "pools[0].takes"),
    (lambda d: d.update(routing={"agent_selection": "cheapest"}), "routing.agent_selection"),
    (lambda d: d.update(routing={"priorities": "fair"}), "routing.priorities"),
    (lambda d: d["segments"][0].update(priority=-1), "segments[0].priority"),
    (lambda d: d["segments"][0].update(priority_weight=0), "segments[0].priority_weight"),
])
def test_bad_routing_input(change, fragment):
    data = single_queue()
    change(data)
    with pytest.raises(ScenarioError) as exc:
        ccsim.load_scenario(data)
    assert fragment in str(exc.value)


def test_priorities_leave_a_plain_center_as_it_was():
    base = single_queue(hours=3, agents=31)
    same = copy.deepcopy(base)
    same["segments"][0]["priority"] = 3
    same["routing"] = {"agent_selection": "pool_order"}
    assert ccsim.run(base, reps=2).to_json_dict()["kpis"] == ccsim.run(same, reps=2).to_json_dict()["kpis"]
    assert math.isfinite(np.float64(1.0))
