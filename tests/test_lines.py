"""Callers who meet a full center, a wait, or closing time: lines and queue capacity (busy
signals), balking, messages, clearing the queue at closing, retrials, busy days and chat
concurrency (issue 12 mechanisms 7-10 and 12, issue 16 part 5)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from scipy import stats

import ccsim
from ccsim.analysis import erlang
from ccsim.engine.records import Outcome
from ccsim.errors import ScenarioError

from .helpers import single_queue
from .test_workforce import DET, col, model

INF = math.inf


def one_agent(**extra) -> dict:
    data = single_queue(hours=1, interval_minutes=60, warmup_minutes=0, agents=1, patience=None)
    data.update(extra)
    return data


def outcomes(m) -> list[str]:
    return [Outcome(o).name for o in col(m, "outcome")]


class TestBusySignals:
    def test_lines_limit_the_whole_center(self):
        m = model(one_agent(lines=2), [0, 1, 2, 3], [100, 100, 100, 100])
        assert outcomes(m) == ["RESOLVED", "RESOLVED", "BLOCKED", "BLOCKED"]
        assert col(m, "end")[2:] == [2, 3] and math.isnan(col(m, "queue_join")[2])

    def test_a_full_queue_gives_a_busy_signal(self):
        data = one_agent(queues=[{"skill": "general", "capacity": 1}])
        m = model(data, [0, 1, 2, 150], [100, 100, 100, 10])
        assert outcomes(m) == ["RESOLVED", "RESOLVED", "BLOCKED", "RESOLVED"]
        k = ccsim.run(dict(data, horizon={"hours": 1, "interval_minutes": 60}), reps=1).kpis.iloc[0]
        assert k["offered"] + k["blocked"] == k["arrivals"]

    def test_blocked_callers_may_call_again(self):
        data = single_queue(rate=900, agents=5, hours=2, patience=60, queues=[{"skill": "general", "capacity": 2}])
        data["segments"][0]["redial"] = {"after_abandon": 0.0, "after_blocked": 0.8,
                                        "delay": {"dist": "exponential", "mean": 300}}
        k = ccsim.run(data, reps=2).kpis
        assert (k["blocked"] > 0).all() and (k["repeat_contact_rate"] > 0.2).all()


class TestBalking:
    def test_callers_who_must_wait_may_hang_up_at_once(self):
        data = one_agent()
        data["segments"][0]["balk"] = {"probability": 1.0}
        m = model(data, [0, 1, 2], [100, 100, 100])
        assert outcomes(m) == ["RESOLVED", "BALKED", "BALKED"]  # the first found the agent free

    def test_the_longer_the_announced_wait_the_more_balk(self):
        data = single_queue(rate=700, agents=32, hours=3, patience=300)
        data["segments"][0]["balk"] = {"probability": 0.0, "per_minute": 0.5}
        k = ccsim.run(data, reps=3).kpis
        assert (k["balked"] > 0).all() and (k["balk_rate"] < 0.5).all()
        assert (k["offered"] + k["balked"] == k["arrivals"]).all()


class TestClosing:
    def test_clear_disconnects_callers_still_waiting_and_lets_agents_finish(self):
        data = one_agent()
        data["horizon"]["drain"] = "clear"
        m = model(data, [0, 10, 20], [3605, 100, 100])  # the agent is busy at closing (3600 s)
        assert outcomes(m) == ["RESOLVED", "CLEARED", "CLEARED"]
        assert col(m, "end") == [3605, 3600, 3600]
        data["horizon"]["drain"] = True
        assert outcomes(model(data, [0, 10, 20], [3605, 100, 100])) == ["RESOLVED"] * 3

    def test_waits_of_cleared_callers_end_at_closing(self):
        data = single_queue(rate=600, agents=0, hours=1, warmup_minutes=0, patience=None)
        data["horizon"]["drain"] = "clear"
        k = ccsim.run(data, reps=1).kpis.iloc[0]
        assert k["cleared"] == k["arrivals"] and k["p_wait"] == 1.0 and k["mean_wait_seconds"] > 1000

    def test_no_agent_ever_and_drain_true_waits_run_to_the_horizon(self):
        data = single_queue(rate=600, agents=0, hours=1, warmup_minutes=0, patience=None)
        k = ccsim.run(data, reps=1).kpis.iloc[0]
        assert k["in_system"] == k["arrivals"] and k["p_wait"] == 1.0  # every one waited


class TestMessages:
    def test_a_caller_leaves_a_message_and_an_agent_handles_it_later(self):
        data = one_agent(queues=[{"skill": "general", "message": {"after": 30, "accept": 1.0}}])
        m = model(data, [0, 10], [100, 50])
        assert outcomes(m) == ["RESOLVED", "MESSAGE"]
        assert col(m, "end") == [100, 40] and col(m, "message") == [0, 2]  # handled from 100 to 150
        assert math.isnan(col(m, "answer")[1]) and col(m, "talk") == [100, 50]

    def test_share_leaving_a_message_is_p_wait_longer_than_t(self):
        """M/M/c without abandonment: P(W > T) = C(c, a) exp(-(c mu - lambda) T)."""
        lam, aht, c, t = 500.0, 180.0, 27, 30.0
        data = single_queue(rate=lam, aht=aht, agents=c, patience=None, hours=10, warmup_minutes=60,
                            interval_minutes=600, queues=[{"skill": "general", "message": {"after": t, "accept": 1}}])
        k = ccsim.run(data, reps=12).kpis
        share = k["messages"] / k["offered"]
        exact = erlang.erlang_c(lam, aht, c).p_wait * math.exp(-(c / aht - lam / 3600) * t)
        low, high = stats.t.interval(0.999, len(share) - 1, loc=share.mean(), scale=stats.sem(share))
        assert low <= exact <= high, (low, high, exact)
        assert (k["messages_handled"] <= k["messages"]).all()

    def test_an_offer_never_reached_changes_nothing(self):
        base = single_queue(hours=3, agents=31)
        offer = copy.deepcopy(base)
        offer["queues"] = [{"skill": "general", "message": {"after": 10_000, "accept": 1.0}}]
        a, b = ccsim.run(base, reps=2).to_json_dict()["kpis"], ccsim.run(offer, reps=2).to_json_dict()["kpis"]
        assert {k: v for k, v in a.items()} == {k: v for k, v in b.items()}

    def test_a_handled_message_resolves_the_customer(self):
        data = single_queue(rate=900, agents=20, hours=2, patience=None,
                            queues=[{"skill": "general", "message": {"after": 20, "accept": 1.0}}])
        k = ccsim.run(data, reps=1).kpis.iloc[0]
        assert k["messages_handled"] > 0
        assert k["resolution_rate"] * k["customers"] == pytest.approx(k["resolved"] + k["messages_handled"])


class TestRetrials:
    def test_a_retry_keeps_the_calls_handle_time(self):
        data = single_queue(rate=300, agents=2, hours=2, patience=30, warmup_minutes=0)
        data["segments"][0]["redial"] = {"after_abandon": 1.0, "delay": DET(60), "max_contacts": 3, "mode": "retry"}
        c = ccsim.run(data, reps=1).contacts
        again = c[c["attempt"] > 0]
        first = c[c["attempt"] == 0].set_index("customer")["handle_time"]
        assert len(again) and np.allclose(again["handle_time"].to_numpy(), first[again["customer"]].to_numpy())


class TestBusyDays:
    def test_each_day_scatters_around_the_forecast(self):
        data = single_queue(rate=600, agents=40, hours=24, warmup_minutes=0)
        data["arrivals"]["busyness_cv"] = 0.15
        arrivals = ccsim.run(data, reps=30).kpis["arrivals"]
        assert arrivals.mean() == pytest.approx(14_400, rel=0.08)
        assert arrivals.std() / arrivals.mean() == pytest.approx(0.15, abs=0.06)  # Poisson alone: 0.008

    def test_without_it_every_other_draw_stays_the_same(self):
        base = single_queue(hours=3, agents=31)
        zero = copy.deepcopy(base)
        zero["arrivals"]["busyness_cv"] = 0
        assert ccsim.run(base, reps=2).to_json_dict()["kpis"] == ccsim.run(zero, reps=2).to_json_dict()["kpis"]


class TestChat:
    def chat(self, **pool) -> dict:
        data = one_agent()
        data["pools"][0].update(concurrency=3, **pool)
        return data

    def test_an_agent_holds_several_conversations(self):
        m = model(self.chat(), [0, 1, 2, 3], [100, 100, 100, 10])
        assert col(m, "answer") == [0, 1, 2, 100]

    def test_each_conversation_is_slower_the_more_are_held(self):
        m = model(self.chat(slowdown=[1.0, 1.5, 2.0]), [0, 1, 2], [100, 100, 100])
        assert col(m, "end") == [100, 151, 202]

    def test_an_agent_going_home_finishes_every_conversation(self):
        data = self.chat()
        data["horizon"] = {"hours": 2, "interval_minutes": 60, "warmup_minutes": 0}
        data["pools"][0]["agents"] = [1, 0]
        m = model(data, [3590, 3595, 3700], [100, 200, 10])
        assert col(m, "end")[:2] == [3690, 3795] and math.isnan(col(m, "answer")[2])
        assert list(zip(m.presence.time, m.presence.delta, strict=True)) == [(0, 1), (3795, -1)]

    def test_occupancy_counts_slots(self):
        data = single_queue(rate=560, agents=8, hours=4, patience=120)
        data["pools"][0]["concurrency"] = 4
        occ = ccsim.run(data, reps=2).pools["occupancy"]
        assert (occ > 0.5).all() and (occ <= 1.0).all()


@pytest.mark.parametrize("change, fragment", [
    (lambda d: d.update(lines=-1), "lines"),
    (lambda d: d.update(queues=[{"skill": "general", "capacity": -2}]), "queues[0].capacity"),
    (lambda d: d.update(queues=[{"skill": "general", "message": {"after": 10}}]), "queues[0].message.accept"),
    (lambda d: d["segments"][0].update(balk={"probability": 1.5}), "segments[0].balk.probability"),
    (lambda d: d["horizon"].update(drain="later"), "horizon.drain"),
    (lambda d: d["arrivals"].update(busyness_cv=-0.1), "arrivals.busyness_cv"),
    (lambda d: d["pools"][0].update(concurrency=0), "pools[0].concurrency"),
    (lambda d: d["pools"][0].update(concurrency=2, slowdown=[1.0]), "pools[0].slowdown: has 1 values"),
    (lambda d: d["segments"][0].update(redial={"after_abandon": 0.5, "delay": DET(5), "mode": "again"}),
     "segments[0].redial.mode"),
])
def test_bad_input(change, fragment):
    data = single_queue()
    change(data)
    with pytest.raises(ScenarioError) as exc:
        ccsim.load_scenario(data)
    assert fragment in str(exc.value)


def test_every_contact_ends_in_exactly_one_outcome_with_all_of_it():
    data = single_queue(rate=900, agents=12, hours=2, patience=90, lines=30,
                        queues=[{"skill": "general", "capacity": 25, "message": {"after": 45, "accept": 0.5}}])
    data["horizon"]["drain"] = "clear"
    data["segments"][0]["balk"] = {"probability": 0.05, "per_minute": 0.01}
    data["segments"][0]["redial"] = {"after_abandon": 0.5, "delay": {"dist": "exponential", "mean": 200}}
    data["pools"][0]["concurrency"] = 2
    k = ccsim.run(data, reps=2).kpis
    ends = ["resolved", "abandoned", "blocked", "balked", "cleared", "messages", "in_system", "unresolved",
            "contained", "ivr_abandoned", "hold_abandoned", "dropped", "redirected"]
    assert (k[ends].sum(axis=1) == k["arrivals"]).all()
    assert (k[["blocked", "balked", "cleared", "messages"]] > 0).all().all()
    assert INF > 0


class TestScales:
    def test_arrivals_scale_multiplies_every_rate(self):
        data = single_queue(rate=[300, 600], hours=2, interval_minutes=60)
        data["arrivals"]["scale"] = 1.5
        s = ccsim.load_scenario(data)
        assert s.rates_per_hour().tolist() == [450, 900] and s.intent_rates().sum() == 1350

    def test_pool_scale_multiplies_agents_on_duty(self):
        data = single_queue(agents=[10, 20], hours=2, interval_minutes=60, rate=0.0)
        data["pools"][0]["scale"] = 1.25
        plan = ccsim.engine.plan.compile_plan(ccsim.load_scenario(data))
        assert plan.scheduled[0].tolist() == [12.5, 25.0]
        assert ccsim.run(data, reps=1).pools["present_hours"].iloc[0] == pytest.approx(25.0)  # after the warm-up hour


def test_a_redirect_counts_as_one_of_the_customers_contacts():
    data = single_queue(hours=1, interval_minutes=60, warmup_minutes=0, rate=200, agents=10)
    data["channels"] = [{"name": "chat", "share": 0.5, "skill": "general",
                         "redirect": {"intents": ["general"], "to": "voice", "delay": DET(30)}},
                        {"name": "voice", "share": 0.5}]
    data["segments"][0]["redial"] = {"after_abandon": 0.0, "delay": DET(60), "max_contacts": 1}
    c = ccsim.run(data, reps=1).contacts
    assert c.groupby("customer").size().max() == 1  # max_contacts: 1 means one contact
    data["segments"][0]["redial"]["max_contacts"] = 2
    c = ccsim.run(data, reps=1).contacts
    assert c.groupby("customer").size().max() == 2
