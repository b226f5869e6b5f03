"""The customer journey: IVR, resolution, transfers, holds, secondary intents, redirects, callbacks.

For each mechanism: exact traces on tiny hand-made callers (what it does in isolation), a
test that it is absent when its setting says so, and a direction-of-effect test on the same
callers (common random numbers) over several replications.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import ccsim
import ccsim.analysis.kpis
from ccsim.engine.callers import Callers
from ccsim.engine.ivr import CONTAINED, HUNG_UP, QUEUE, IvrModel
from ccsim.engine.model import Model
from ccsim.engine.plan import compile_plan
from ccsim.engine.records import Outcome
from ccsim.engine.streams import Streams
from ccsim.spec.loading import load_scenario

from .helpers import single_queue
from .strategies import journey_scenarios

INF = math.inf
DET = lambda v: {"dist": "deterministic", "value": v}  # noqa: E731


def two_tier(**extra) -> dict:
    """Intent a (front, 100 s), b (back, 200 s), c (front, needs authority 1); one agent per pool."""
    data = single_queue(hours=1, interval_minutes=60, warmup_minutes=0, patience=None)
    data["intents"] = [
        {"name": "a", "share": 0.5, "skill": "front", "handle_time": DET(100)},
        {"name": "b", "share": 0.3, "skill": "back", "handle_time": DET(200)},
        {"name": "c", "share": 0.2, "skill": "front", "authority": 1, "handle_time": DET(100)},
    ]
    data["pools"] = [
        {"name": "front", "agents": 1, "skills": ["front"], "escalate_to": "back"},
        {"name": "back", "agents": 1, "skills": ["back"], "authority": 1, "script": "all"},
    ]
    for key, value in extra.items():
        data[key] = value
    return data


def run_callers(data: dict, arrival, intent, patience=None, segment=None, secondary=None, channel=None,
                uniform: float = 0.5) -> Model:
    """Run explicit callers (handle times from the intents' deterministic values)."""
    s = load_scenario(data)
    n = len(arrival)
    handle = np.array([s.intents[k].handle_time.ppf(0.5) for k in intent], float)
    uniforms = {name: np.full((n, width), uniform) for name, width in compile_plan(s).uniform_widths.items()}
    if s.channels is not None:
        uniforms["channels"] = np.full(n, uniform)  # whether a redirect applies
    callers = Callers(
        arrival=np.asarray(arrival, float),
        segment=np.asarray(segment if segment is not None else [0] * n, np.int16),
        intent=np.asarray(intent, np.int16),
        patience=np.asarray(patience if patience is not None else [INF] * n, float),
        handle_time=handle,
        channel=None if channel is None else np.asarray(channel, np.int8),
        secondary=secondary or {},
        uniforms=uniforms,
    )
    return Model(s, Streams(s.seed, 0), callers=callers).run()


def column(c: Model, name: str) -> list:
    return np.frombuffer(getattr(c.records, name), dtype=getattr(c.records, name).typecode).tolist()


def outcomes(c: Model) -> list[str]:
    return [Outcome(o).name for o in column(c, "outcome")]


def work(c: Model) -> list[tuple]:
    return [(c.scenario.pools[p].name, i, s, e) for p, i, s, e in
            zip(c.work.pool, c.work.contact, c.work.start, c.work.end)]


def run(data: dict, reps: int = 3) -> ccsim.RunResult:
    return ccsim.run(data, reps=reps, workers=1)


# -- agent resolution -------------------------------------------------------------------------


class TestResolution:
    def test_in_script_intents_are_resolved_in_their_handle_time(self):
        c = run_callers(two_tier(), [0], [0])
        assert outcomes(c) == ["RESOLVED"] and column(c, "end") == [100] and column(c, "transfers") == [0]

    def test_competence_zero_ends_unresolved_after_the_full_handle_time(self):
        data = two_tier()
        data["pools"][0]["competence"] = 0.0
        c = run_callers(data, [0], [0])
        assert outcomes(c) == ["UNRESOLVED"] and column(c, "end") == [100] and column(c, "talk") == [100]

    def test_missing_authority_escalates_after_triage(self):
        c = run_callers(two_tier(), [0], [2])  # c needs authority 1: front escalates to back
        assert outcomes(c) == ["RESOLVED"]
        assert column(c, "transfers") == [1] and column(c, "queues") == [2]
        assert work(c) == [("front", 0, 0, 30), ("back", 0, 30, 130)]  # triage: 30% of 100 s

    def test_flexible_agent_resolves_off_script_at_the_off_script_time(self):
        data = two_tier()
        data["pools"][0].update(script=["a"], flexibility=1.0, off_script_time_factor=1.5, authority=1)
        c = run_callers(data, [0], [2])
        assert outcomes(c) == ["RESOLVED"] and column(c, "end") == [150] and column(c, "transfers") == [0]

    def test_rigid_agent_without_a_target_ends_unresolved(self):
        data = two_tier()
        del data["pools"][0]["escalate_to"]
        c = run_callers(data, [0], [2])
        assert outcomes(c) == ["UNRESOLVED"] and column(c, "end") == [30] and column(c, "transfers") == [0]

    def test_offload_sends_difficult_callers_to_escalation_whatever_they_ask(self):
        data = two_tier()
        data["segments"] = [{"name": "easy", "share": 0.5}, {"name": "hard", "share": 0.5, "difficult": True}]
        data["pools"][0]["offload"] = 1.0
        c = run_callers(data, [0, 1000], [0, 0], segment=[0, 1])
        assert column(c, "transfers") == [0, 1]
        assert work(c)[1:] == [("front", 1, 1000, 1030), ("back", 1, 1030, 1130)]


# -- transfers --------------------------------------------------------------------------------


class TestTransfers:
    def test_cold_transfer_frees_the_first_agent_and_adds_re_explanation(self):
        data = two_tier(channels=[{"name": "voice", "share": 1.0, "skill": "front"}],
                        context={"reexplain_time": DET(20)})
        data["pools"][0]["agents"] = 2
        c = run_callers(data, [0, 1], [1, 1])  # both need back; everything lands in front first
        # 0: front 0-60 (triage), back 60-280 (200 + 20 re-explaining); 1: front 1-61, waits for back
        assert work(c) == [("front", 0, 0, 60), ("front", 1, 1, 61), ("back", 0, 60, 280), ("back", 1, 280, 500)]
        assert column(c, "answer") == [0, 1]  # the first answer
        assert column(c, "talk") == [280, 280] and column(c, "transfers") == [1, 1]

    def test_warm_transfer_holds_the_first_agent_until_the_next_answers(self):
        data = two_tier(channels=[{"name": "voice", "share": 1.0, "skill": "front"}],
                        context={"reexplain_time": DET(20)}, transfers={"mode": "warm"})
        data["pools"][0]["agents"] = 2
        c = run_callers(data, [0, 1], [1, 1])
        # no re-explanation: the first agent introduces the caller; front agent 1 stays on the
        # line with caller 1 from 61 until back answers at 260
        assert sorted(work(c)) == [("back", 0, 60, 260), ("back", 1, 260, 460),
                                   ("front", 0, 0, 60), ("front", 1, 1, 260)]
        assert column(c, "talk") == [260, 459]

    def test_shared_context_means_no_re_explanation(self):
        data = two_tier(channels=[{"name": "voice", "share": 1.0, "skill": "front"}],
                        context={"shared": True, "reexplain_time": DET(20)})
        c = run_callers(data, [0], [1])
        assert column(c, "end") == [260]

    def test_max_chain_zero_means_no_transfers(self):
        data = two_tier(transfers={"max_chain": 0})
        c = run_callers(data, [0], [2])
        assert outcomes(c) == ["UNRESOLVED"] and column(c, "transfers") == [0] and column(c, "end") == [30]

    def test_chain_limit_ends_a_ping_pong_unresolved(self):
        # neither script covers a: back sends it to front (its skill), front escalates it to back, ...
        data = two_tier(transfers={"max_chain": 3}, channels=[{"name": "voice", "share": 1.0, "skill": "back"}])
        data["pools"][0].update(script=["b"])  # front's script does not cover a
        data["pools"][1].update(script=["b"])  # back's neither
        c = run_callers(data, [0], [0])
        assert outcomes(c) == ["UNRESOLVED"] and column(c, "transfers") == [3] and column(c, "queues") == [4]

    def test_patience_shrinks_per_transfer(self):
        for factor, hangs_up_at in ((1.0, 131), (0.5, 81)):
            data = two_tier(transfers={"patience_factor": factor})
            # 0 keeps back busy 0-200; 1 (intent c) is escalated at 31 and waits with patience 100 x factor
            c = run_callers(data, [0, 1], [1, 2], patience=[INF, 100])
            assert outcomes(c) == ["RESOLVED", "ABANDONED"] and column(c, "end")[1] == hangs_up_at

    def test_priority_serves_transferred_contacts_first(self):
        for priority, order in ((False, [2, 1]), (True, [1, 2])):
            data = two_tier(transfers={"priority": priority})
            # back busy 0-200 with 0; 2 (intent b) joins back at 10; 1 (intent c) is escalated at 31
            c = run_callers(data, [0, 1, 10], [1, 2, 1])
            answered = [i for pool, i, start, _ in sorted(work(c), key=lambda w: w[2])
                        if pool == "back" and start >= 200]
            assert answered == order, priority

    def test_transfer_chain_kpis(self):
        result = run(ccsim.load_scenario("scenarios/transfer_chain.yaml", ["horizon.hours=3"]), reps=2)
        chains = result.chains
        assert set(chains["transfers"]) == set(range(5))
        for _, part in chains.groupby("replication"):
            assert part["share"].sum() == pytest.approx(1.0)
            k = result.kpis.set_index("replication").loc[part["replication"].iloc[0]]
            assert part["contacts"].sum() == k["answered"]
            assert (part["transfers"] * part["contacts"]).sum() / k["answered"] == pytest.approx(
                k["transfers_per_contact"])
        assert (chains.loc[chains.transfers == 2, "contacts"] > 0).all()  # refunds: tier 1 -> billing -> specialists


def test_more_flexibility_more_fcr_fewer_transfers_same_callers():
    # enough tier-1 agents that the longer off-script calls do not overload them
    base = ccsim.load_scenario("scenarios/transfer_chain.yaml", ["horizon.hours=4", "pools.tier1.agents=20"])
    rigid = run(base, reps=4)
    flexible = run(ccsim.load_scenario(base, ["pools.tier1.flexibility=0.8"]), reps=4)
    assert (flexible.kpis["transfers_per_contact"] < rigid.kpis["transfers_per_contact"]).all()
    assert (flexible.kpis["fcr"] > rigid.kpis["fcr"]).all()
    assert (flexible.kpis["customers"] == rigid.kpis["customers"]).all()


def test_shared_context_lowers_handle_time_same_callers():
    base = ccsim.load_scenario("scenarios/transfer_chain.yaml", ["horizon.hours=3"])
    silo = run(base)
    shared = run(ccsim.load_scenario(base, ["context.shared=true"]))
    assert (shared.kpis["aht_seconds"] < silo.kpis["aht_seconds"]).all()


def test_warm_transfers_keep_the_first_pool_busier():
    base = ccsim.load_scenario("scenarios/transfer_chain.yaml", ["horizon.hours=3", "pools.tier1.agents=18"])
    cold = run(base)
    warm = run(ccsim.load_scenario(base, ["transfers.mode=warm"]))
    tier1 = lambda r: r.pools[r.pools["pool"] == "tier1"]["busy_hours"].to_numpy()  # noqa: E731
    assert (tier1(warm) > tier1(cold)).all()


# -- IVR --------------------------------------------------------------------------------------


def ivr_center(**ivr) -> dict:
    """Three intents over two skills, a two-level menu."""
    data = single_queue(hours=2, interval_minutes=60, warmup_minutes=0, rate=300, agents=30)
    data["intents"] = [
        {"name": "balance", "share": 0.4, "skill": "general", "handle_time": {"dist": "exponential", "mean": 120}},
        {"name": "lost_card", "share": 0.3, "skill": "cards", "handle_time": {"dist": "exponential", "mean": 120}},
        {"name": "activate", "share": 0.3, "skill": "cards", "handle_time": {"dist": "exponential", "mean": 60}},
    ]
    data["pools"] = [{"name": "general", "agents": 20, "skills": ["general"]},
                     {"name": "cards", "agents": 20, "skills": ["cards"]}]
    data["ivr"] = {
        "menus": [
            {"name": "main", "message_seconds": 10, "clarity": 0.8,
             "options": [{"label": "accounts", "skill": "general"}, {"label": "cards", "menu": "cards"}]},
            {"name": "cards", "message_seconds": 10, "clarity": 0.8,
             "options": [{"label": "lost", "skill": "cards", "intents": ["lost_card"]},
                         {"label": "activate", "intents": ["activate"], "containment": 0.5, "seconds": 30}]},
        ],
        **ivr,
    }
    return data


class TestIvrWalk:
    def model(self, **ivr) -> IvrModel:
        s = load_scenario(ivr_center(**ivr))
        return IvrModel(s, {"general": 0, "cards": 1})

    def row(self, model: IvrModel, *choices: float, patience: float = 0.5, contain: float = 0.9) -> np.ndarray:
        u = np.full(model.width, 0.5)
        u[0], u[1] = patience, contain
        u[2:2 + len(choices)] = choices
        return u

    def test_the_right_options_lead_to_the_intents_queue(self):
        m = self.model()
        walk = m.walk(1, 0, self.row(m, 0.1, 0.1))  # lost card: cards, then lost
        assert (walk.end, walk.skill, walk.seconds, walk.levels, walk.misrouted) == (QUEUE, 1, 20, 2, False)

    def test_a_wrong_option_is_a_misroute(self):
        m = self.model()
        walk = m.walk(1, 0, self.row(m, 0.9))  # confused at the main menu: the only wrong option is accounts
        assert (walk.end, walk.skill, walk.levels, walk.misrouted) == (QUEUE, 0, 1, True)

    def test_replay_then_right(self):
        m = self.model(replay=1.0)
        walk = m.walk(0, 0, self.row(m, 0.9, 0.1))
        assert (walk.skill, walk.levels, walk.seconds, walk.misrouted) == (0, 2, 20, False)

    def test_replays_are_limited(self):
        m = self.model(replay=1.0, max_replays=1)
        walk = m.walk(1, 0, self.row(m, 0.9, 0.9, 0.9))  # replays once, then must pick a wrong option
        assert walk.levels == 2 and walk.misrouted

    def test_zero_out(self):
        m = self.model(zero_out={"skill": "general", "share": 1.0})
        walk = m.walk(1, 0, self.row(m, 0.9))
        assert (walk.end, walk.skill, walk.misrouted) == (QUEUE, 0, False)

    def test_containment(self):
        m = self.model()
        contained = m.walk(2, 0, self.row(m, 0.1, 0.1, contain=0.2))
        assert (contained.end, contained.seconds) == (CONTAINED, 50)
        not_contained = m.walk(2, 0, self.row(m, 0.1, 0.1, contain=0.7))
        assert (not_contained.end, not_contained.skill, not_contained.misrouted) == (QUEUE, 1, False)

    def test_ivr_patience_runs_out(self):
        data = ivr_center()
        data["segments"][0]["ivr_patience"] = DET(15)
        m = IvrModel(load_scenario(data), {"general": 0, "cards": 1})
        walk = m.walk(1, 0, self.row(m, 0.1, 0.1))
        assert (walk.end, walk.seconds, walk.levels) == (HUNG_UP, 15, 2)

    def test_ivr_skill_scales_the_chance_of_the_right_option(self):
        data = ivr_center()
        data["segments"][0]["ivr_skill"] = 0.5  # right with u < 0.8 x 0.5 = 0.4
        m = IvrModel(load_scenario(data), {"general": 0, "cards": 1})
        assert not m.walk(1, 0, self.row(m, 0.39, 0.1)).misrouted
        assert m.walk(1, 0, self.row(m, 0.41)).misrouted


class TestIvrInTheCenter:
    def test_clear_menus_without_replay_never_misroute(self):
        data = ivr_center()
        for menu in data["ivr"]["menus"]:
            menu["clarity"] = 1.0
        result = run(data, reps=2)
        assert (result.kpis["misroute_rate"] == 0).all() and (result.kpis["transfers_per_contact"] == 0).all()
        c = result.contacts
        assert set(c.loc[c.intent == "balance", "ivr_levels"]) == {1}
        assert set(c.loc[c.intent != "balance", "ivr_levels"]) == {2}

    def test_misrouted_callers_are_transferred_to_their_queue(self):
        result = run(ivr_center(), reps=2)
        c = result.contacts
        misrouted = c[(c.misrouted > 0) & c.answer.notna() & (c.outcome == "resolved")]
        assert len(misrouted) > 20 and (misrouted.transfers == 1).all()
        assert ((misrouted.pool == "cards") == (misrouted.intent != "balance")).all()

    def test_clearer_menus_fewer_misroutes_same_callers(self):
        unclear = run(ivr_center(), reps=3)
        data = ivr_center()
        for menu in data["ivr"]["menus"]:
            menu["clarity"] = 0.95
        clear = run(data, reps=3)
        assert (clear.kpis["misroute_rate"] < unclear.kpis["misroute_rate"]).all()
        assert (clear.kpis["effort_steps"] < unclear.kpis["effort_steps"]).all()
        assert (clear.kpis["arrivals"] == unclear.kpis["arrivals"]).all()

    def test_containment_rate_and_ivr_abandonment(self):
        data = ivr_center()
        data["segments"][0]["ivr_patience"] = {"dist": "exponential", "mean": 60}
        k = run(data, reps=2).kpis
        assert (k["contained"] > 0).all() and (k["ivr_abandoned"] > 0).all()
        assert np.allclose(k["offered"] + k["contained"] + k["ivr_abandoned"], k["arrivals"])
        assert np.allclose(k["ivr_abandon_rate"], k["ivr_abandoned"] / k["arrivals"])

    def test_a_channel_without_ivr_skips_it(self):
        data = ivr_center(zero_out=None)
        data["channels"] = [{"name": "voice", "share": 0.5}, {"name": "app", "share": 0.5, "ivr": False}]
        c = run(data, reps=1).contacts
        assert (c.loc[c.channel == "app", "ivr_levels"] == 0).all()
        assert (c.loc[c.channel == "voice", "ivr_levels"] > 0).all()


# -- research holds ---------------------------------------------------------------------------


def with_research(style: str = "music", hazard: float = 0.0, drop: float = 0.0, **holds) -> dict:
    data = two_tier()
    data["intents"][0]["research"] = {"probability": 1.0, "time": DET(60)}
    data["holds"] = {"style": style, "hangup_per_minute": {style: hazard}, "drop_per_minute": drop, **holds}
    return data


class TestHolds:
    def test_a_research_hold_adds_its_time(self):
        c = run_callers(with_research(), [0], [0])
        assert outcomes(c) == ["RESOLVED"] and column(c, "end") == [160] and column(c, "holds") == [1]

    def test_check_ins_cost_agent_time(self):
        c = run_callers(with_research("checkins", checkin_every_seconds=25, checkin_seconds=5), [0], [0])
        assert column(c, "end") == [170]  # two check-ins in a 60 s hold

    def test_hang_up_on_hold(self):
        c = run_callers(with_research(hazard=60.0), [0], [0])  # one per second: gone within the hold
        assert outcomes(c) == ["HOLD_ABANDONED"] and 50 < column(c, "end")[0] < 110

    def test_technical_drop(self):
        c = run_callers(with_research(drop=60.0), [0], [0])
        assert outcomes(c) == ["DROPPED"]

    def test_check_ins_fewer_hang_ups_on_hold_same_callers(self):
        music = run(ccsim.load_scenario("scenarios/hold_styles.yaml", ["horizon.hours=3"]))
        checkins = run(ccsim.load_scenario("scenarios/hold_styles.yaml", ["horizon.hours=3", "holds.style=checkins"]))
        assert (checkins.kpis["hold_abandon_rate"] < music.kpis["hold_abandon_rate"]).all()
        assert (checkins.kpis["customers"] == music.kpis["customers"]).all()


# -- secondary intents ------------------------------------------------------------------------


class TestSecondaryIntents:
    def test_rigid_agent_loses_an_intent_outside_its_script(self):
        data = two_tier()
        data["pools"][0]["script"] = ["a"]
        c = run_callers(data, [0], [0], secondary={0: ((1, 40.0),)})
        assert column(c, "secondary") == [1] and column(c, "lost_intents") == [1] and column(c, "end") == [100]

    def test_flexible_agent_handles_it_off_script(self):
        data = two_tier()
        data["pools"][0].update(script=["a"], flexibility=1.0, off_script_time_factor=1.5)
        c = run_callers(data, [0], [0], secondary={0: ((1, 40.0),)})
        assert column(c, "lost_intents") == [0] and column(c, "end") == [160]

    def test_in_script_further_intents_are_handled(self):
        data = two_tier()
        data["pools"][0]["script"] = ["a", "b"]
        c = run_callers(data, [0], [0], secondary={0: ((1, 40.0),)})
        assert column(c, "lost_intents") == [0] and column(c, "end") == [140]

    def test_flexible_agents_lose_fewer_intents_same_callers(self):
        base = ccsim.load_scenario("scenarios/multi_intent.yaml", ["horizon.hours=4"])
        rigid = run(base)
        flexible = run(ccsim.load_scenario(base, ["pools.service.flexibility=0.8", "pools.chat.flexibility=0.8"]))
        assert (flexible.kpis["lost_intents_per_contact"] < rigid.kpis["lost_intents_per_contact"]).all()
        assert (flexible.kpis["customers"] == rigid.kpis["customers"]).all()

    def test_secondary_intents_drawn_only_when_configured(self):
        data = single_queue(hours=2, warmup_minutes=0)
        plain = run(data, reps=1).contacts
        data["segments"][0]["secondary_intents"] = {"probability": 0.5, "max": 3}
        more = run(data, reps=1).contacts
        assert (plain.secondary == 0).all()
        share = (more.secondary > 0).mean()
        assert 0.8 < share < 0.95  # 1 - 0.5^3 = 0.875
        assert np.array_equal(plain.arrival, more.arrival)  # the other quantities are as before


# -- redials, redirects, callbacks --------------------------------------------------------------


def test_unresolved_customers_call_again_when_they_would():
    data = two_tier()
    data["pools"][0]["competence"] = 0.0
    data["segments"][0]["redial"] = {"after_abandon": 0.0, "after_unresolved": 1.0, "delay": DET(50),
                                     "max_contacts": 3}
    c = run_callers(data, [0], [0])
    assert column(c, "customer") == [0, 0, 0] and column(c, "arrival") == [0, 150, 300]
    assert outcomes(c) == ["UNRESOLVED"] * 3
    data["segments"][0]["redial"]["after_unresolved"] = 0.0
    assert column(run_callers(data, [0], [0]), "customer") == [0]


class TestRedirect:
    def data(self, probability: float) -> dict:
        data = two_tier(channels=[
            {"name": "voice", "share": 0.5},
            {"name": "chat", "share": 0.5, "skill": "front",
             "redirect": {"intents": ["b"], "to": "voice", "probability": probability, "delay": DET(300)}},
        ], context={"reexplain_time": DET(20)})
        return data

    def test_a_redirected_contact_becomes_a_voice_contact_of_the_same_customer(self):
        c = run_callers(self.data(1.0), [0, 10], [1, 0], channel=[1, 1])
        assert column(c, "customer") == [0, 1, 0] and column(c, "channel") == [1, 1, 0]
        assert outcomes(c) == ["REDIRECTED", "RESOLVED", "RESOLVED"]
        assert column(c, "arrival")[2] == 300 and column(c, "end")[2] == 300 + 200 + 20  # told the story again
        assert column(c, "end")[0] == 0  # the chat ends at once

    def test_no_redirect_with_probability_zero(self):
        k = run(self.data(0.0) | {"horizon": {"hours": 2, "interval_minutes": 60}}, reps=1).kpis
        assert (k["redirected"] == 0).all() and (k["customers"] == k["arrivals"]).all()


class TestCallback:
    def test_accepting_callers_keep_their_place_and_never_abandon(self):
        data = single_queue(hours=1, interval_minutes=60, warmup_minutes=0, agents=1)
        data["callback"] = {"threshold_seconds": 150, "accept": 1.0}
        data["intents"][0]["handle_time"] = DET(100)
        c = run_callers(data, [0, 1, 2], [0, 0, 0], patience=[INF, 30, 30])
        # the announced wait is position x mean handle time / agents: 1 hears 100 s (no offer)
        # and hangs up at 31; 2 hears 200 s, accepts, and is called back when 0 is done
        assert column(c, "callback") == [0, 0, 1]
        assert outcomes(c) == ["RESOLVED", "ABANDONED", "RESOLVED"] and column(c, "answer")[2] == 100

    def test_callbacks_cut_abandonment_same_callers(self):
        data = single_queue(hours=3, warmup_minutes=0, agents=30)
        without = run(data)
        data["callback"] = {"threshold_seconds": 30, "accept": 0.6}
        withcb = run(data)
        assert (withcb.kpis["callbacks"] > 0).all()
        assert (withcb.kpis["abandon_rate"] < without.kpis["abandon_rate"]).all()
        assert (without.kpis["callbacks"] == 0).all()


# -- absent mechanisms ----------------------------------------------------------------------------


def test_default_journey_keys_change_nothing():
    """Writing every journey section with neutral values gives the plain queue's results."""
    plain = single_queue(hours=3, warmup_minutes=0)
    neutral = copy.deepcopy(plain)
    neutral.update(transfers={"mode": "cold", "max_chain": 5}, context={"shared": False},
                   holds={"style": "music"}, channels=[{"name": "voice", "share": 1.0}])
    neutral["pools"][0].update(flexibility=0.0, authority=0)
    a, b = run(plain, reps=2), run(neutral, reps=2)
    assert a.kpis.equals(b.kpis)


# -- invariants on generated scenarios ------------------------------------------------------------

_HUNG_UP = {Outcome.ABANDONED, Outcome.IVR_ABANDONED, Outcome.HOLD_ABANDONED}
_AGAIN = _HUNG_UP | {Outcome.UNRESOLVED, Outcome.DROPPED, Outcome.REDIRECTED}
_NOT_QUEUED = {Outcome.CONTAINED, Outcome.IVR_ABANDONED, Outcome.REDIRECTED, Outcome.IN_SYSTEM}
_ANSWERED = {Outcome.RESOLVED, Outcome.UNRESOLVED, Outcome.HOLD_ABANDONED, Outcome.DROPPED, Outcome.ABANDONED,
             Outcome.IN_SYSTEM}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey_scenarios())
def test_journey_bookkeeping_adds_up(data):
    s = load_scenario(data)
    c = Model(s, Streams(s.seed, 0)).run()
    r = c.records.columns()
    outcome = [Outcome(o) for o in r["outcome"]]
    queued = ~np.isnan(r["queue_join"])
    answered = ~np.isnan(r["answer"])
    for i, o in enumerate(outcome):
        assert (o == Outcome.IN_SYSTEM) == np.isnan(r["end"][i])
        if not queued[i]:
            assert o in _NOT_QUEUED and r["transfers"][i] == 0 and not answered[i]
        elif not answered[i]:
            assert o in (Outcome.ABANDONED, Outcome.IN_SYSTEM)
        else:
            assert o in _ANSWERED and r["queues"][i] == r["transfers"][i] + 1
    assert (r["transfers"] <= s.transfers.max_chain).all()
    assert (r["lost_intents"] <= r["secondary"]).all()
    assert not (r["misrouted"] & (r["ivr_levels"] == 0)).any()
    ended = ~np.isnan(r["end"])
    assert (r["end"][ended] >= r["arrival"][ended] - 1e-9).all()
    # contacts of one customer: one after another, each after the previous one did not resolve it
    order = np.lexsort((r["attempt"], r["customer"]))
    for a, b in zip(order[:-1], order[1:]):
        if r["customer"][a] == r["customer"][b]:
            assert r["attempt"][b] == r["attempt"][a] + 1
            assert outcome[a] in _AGAIN and r["arrival"][b] >= r["end"][a] - 1e-9
    # the KPI counts add up to the arrivals
    k = ccsim.analysis.kpis.contact_kpis(c.records, s, np.zeros(len(c.records), np.int64), 1, c.env.now)
    parts = ("resolved", "unresolved", "contained", "ivr_abandoned", "hold_abandoned", "dropped", "redirected",
             "abandoned", "in_system")
    assert sum(k[p][0] for p in parts) == k["arrivals"][0] == len(c.records)
    # agent work: never negative, and never outside the simulated time
    start, end = np.frombuffer(c.work.start), np.frombuffer(c.work.end)
    assert (end >= start - 1e-9).all() and (end <= c.env.now + 1e-9).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey_scenarios())
def test_journey_is_deterministic(data):
    s = load_scenario(data)
    a = Model(s, Streams(s.seed, 1)).run().records.columns()
    b = Model(s, Streams(s.seed, 1)).run().records.columns()
    for name in a:
        assert np.array_equal(a[name], b[name], equal_nan=True), name


# -- bad input ------------------------------------------------------------------------------------


def full_journey() -> dict:
    """A valid scenario with every journey section, for breaking one key at a time."""
    data = ivr_center(replay=0.3, zero_out={"skill": "general", "share": 0.2})
    data["segments"][0].update(ivr_skill=0.9, ivr_patience=DET(120), difficult=True,
                               secondary_intents={"probability": 0.2, "max": 2},
                               redial={"after_abandon": 0.5, "after_unresolved": 0.5, "delay": DET(600)})
    data["intents"][0].update(authority=1, research={"probability": 0.3, "time": DET(60)})
    data["pools"][0].update(script=["balance"], flexibility=0.5, off_script_time_factor=1.5, competence=0.9,
                            authority=1, offload=0.1, escalate_to="cards")
    data.update(
        channels=[{"name": "voice", "share": 0.7},
                  {"name": "chat", "share": 0.3, "skill": "general",
                   "redirect": {"intents": ["lost_card"], "to": "voice", "delay": DET(300)}}],
        transfers={"mode": "warm", "max_chain": 3, "patience_factor": 0.8, "priority": True},
        context={"shared": False, "reexplain_time": DET(30)},
        holds={"style": "checkins", "checkin_every_seconds": 60, "checkin_seconds": 10, "drop_per_minute": 0.01},
        callback={"threshold_seconds": 120, "accept": 0.5},
        telephony_cost_per_minute=0.02,
    )
    return data


def test_the_full_journey_scenario_is_valid():
    assert load_scenario(full_journey()).resolution_model()


def _set(path: str, value):
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return change


_DELETE = object()

BAD = [
    # segments
    ("segments.0.ivr_skill", 1.5, "segments[0].ivr_skill", "less than or equal to 1"),
    ("segments.0.ivr_patience", {"dist": "exponential"}, "segments[0].ivr_patience.mean", "required"),
    ("segments.0.difficult", "very", "segments[0].difficult", "boolean"),
    ("segments.0.secondary_intents.probability", 2, "segments[0].secondary_intents.probability", "less than"),
    ("segments.0.secondary_intents.max", 9, "segments[0].secondary_intents.max", "less than or equal to 5"),
    ("segments.0.secondary_intents.time_factor", 0, "segments[0].secondary_intents.time_factor", "greater than 0"),
    ("segments.0.redial.after_unresolved", -0.1, "segments[0].redial.after_unresolved", "greater than or equal"),
    # intents
    ("intents.0.authority", -1, "intents[0].authority", "greater than or equal to 0"),
    ("intents.0.research.probability", 1.1, "intents[0].research.probability", "less than or equal to 1"),
    ("intents.0.research.time", None, "intents[0].research.time", ""),
    # pools
    ("pools.0.script", ["balance", "nope"], "pools[0].script[1]", "no intent named 'nope'"),
    ("pools.0.script", "some", "pools[0].script", ""),
    ("pools.0.flexibility", 2, "pools[0].flexibility", "less than or equal to 1"),
    ("pools.0.off_script_time_factor", 0, "pools[0].off_script_time_factor", "greater than 0"),
    ("pools.0.competence", -0.5, "pools[0].competence", "greater than or equal to 0"),
    ("pools.0.authority", 1.5, "pools[0].authority", "integer"),
    ("pools.0.offload", 3, "pools[0].offload", "less than or equal to 1"),
    ("pools.0.escalate_to", "nowhere", "pools[0].escalate_to", "not served by any pool"),
    ("pools.0.escalate_to", "general", "pools[0].escalate_to", "is a skill of this pool"),
    ("pools.0.escalate_to", _DELETE, "pools[0].offload", "set pools[].escalate_to"),
    # transfers, context, holds, callback, telephony
    ("transfers.mode", "lukewarm", "transfers.mode", "'cold' or 'warm'"),
    ("transfers.max_chain", 50, "transfers.max_chain", "less than or equal to 20"),
    ("transfers.patience_factor", 0, "transfers.patience_factor", "greater than 0"),
    ("transfers.priority", "yes please", "transfers.priority", "boolean"),
    ("transfers.triage_fraction", 0, "transfers.triage_fraction", "greater than 0"),
    ("transfers.hops", 2, "transfers.hops", "unknown key"),
    ("context.shared", "maybe", "context.shared", "boolean"),
    ("context.reexplain_time", 30, "context.reexplain_time", ""),
    ("holds.style", "jazz", "holds.style", "'music', 'ads', 'silence' or 'checkins'"),
    ("holds.hangup_per_minute", {"jazz": 0.1}, "holds.hangup_per_minute.jazz", "unknown key"),
    ("holds.checkin_every_seconds", 0, "holds.checkin_every_seconds", "greater than 0"),
    ("holds.checkin_seconds", -1, "holds.checkin_seconds", "greater than or equal to 0"),
    ("holds.drop_per_minute", -1, "holds.drop_per_minute", "greater than or equal to 0"),
    ("callback.threshold_seconds", -5, "callback.threshold_seconds", "greater than or equal to 0"),
    ("callback.accept", 2, "callback.accept", "less than or equal to 1"),
    ("telephony_cost_per_minute", -1, "telephony_cost_per_minute", "greater than or equal to 0"),
    # channels
    ("channels.0.share", 0.5, "channels", "shares sum to 0.8"),
    ("channels.1.name", "voice", "channels[1].name", "already the name of channels[0]"),
    ("channels.1.skill", "nothing", "channels[1].skill", "not served by any pool"),
    ("channels.1.ivr", True, "channels[1].skill", "not both"),
    ("channels.1.redirect.to", "fax", "channels[1].redirect.to", "no channel named 'fax'"),
    ("channels.1.redirect.to", "chat", "channels[1].redirect.to", "cannot redirect to itself"),
    ("channels.1.redirect.intents", ["x"], "channels[1].redirect.intents[0]", "no intent named 'x'"),
    ("channels.1.redirect.intents", [], "channels[1].redirect.intents", "at least 1"),
    ("channels.1.redirect.probability", 7, "channels[1].redirect.probability", "less than or equal to 1"),
    ("channels.1.redirect.delay", _DELETE, "channels[1].redirect.delay", "required"),
    # IVR
    ("ivr.root", "start", "ivr.root", "no menu named 'start'"),
    ("ivr.replay", 1.5, "ivr.replay", "less than or equal to 1"),
    ("ivr.max_replays", 9, "ivr.max_replays", "less than or equal to 5"),
    ("ivr.zero_out.skill", "operators", "ivr.zero_out.skill", "not served by any pool"),
    ("ivr.zero_out.share", 0.9, "ivr.zero_out.share", "sum to more than 1"),
    ("ivr.menus.0.clarity", 1.2, "ivr.menus[0].clarity", "less than or equal to 1"),
    ("ivr.menus.0.message_seconds", -1, "ivr.menus[0].message_seconds", "greater than or equal to 0"),
    ("ivr.menus.0.options", [], "ivr.menus[0].options", "at least 1"),
    ("ivr.menus.1.name", "main", "ivr.menus[1].name", "already the name of ivr.menus[0]"),
    ("ivr.menus.0.options.1.menu", "elsewhere", "ivr.menus[0].options[1].menu", "no menu named 'elsewhere'"),
    ("ivr.menus.0.options.1.menu", "main", "ivr.menus[0].options[1].menu", "must form a tree"),
    ("ivr.menus.0.options.0", {"label": "x"}, "ivr.menus[0].options[0]", "needs 'menu', 'skill' or 'containment'"),
    ("ivr.menus.0.options.0", {"menu": "cards", "skill": "general"}, "ivr.menus[0].options[0]", "got menu and skill"),
    ("ivr.menus.0.options.0", {"containment": 0.5}, "ivr.menus[0].options[0]", "needs the 'intents'"),
    ("ivr.menus.0.options.0.skill", "vip", "ivr.menus[0].options[0].skill", "not served by any pool"),
    ("ivr.menus.1.options.0.intents", ["x"], "ivr.menus[1].options[0].intents[0]", "no intent named 'x'"),
    ("ivr.menus.1.options.1.containment", 1.5, "ivr.menus[1].options[1].containment", "less than or equal to 1"),
]


@pytest.mark.parametrize("key, value, where, fragment", BAD, ids=[f"{b[0]}={b[1]!r}"[:60] for b in BAD])
def test_bad_journey_keys_name_the_field(key, value, where, fragment):
    data = full_journey()
    _set(key, value)(data)
    with pytest.raises(ccsim.ScenarioError) as info:
        load_scenario(data)
    found = info.value.problems
    assert len(found) == 1, found
    path, message = found[0]
    assert path == where and fragment in message, found[0]


def test_an_unreachable_menu_is_named():
    data = full_journey()
    data["ivr"]["menus"].append({"name": "orphan", "options": [{"skill": "general"}]})
    with pytest.raises(ccsim.ScenarioError) as info:
        load_scenario(data)
    assert info.value.problems == [("ivr.menus[2]", "menu 'orphan' cannot be reached from the root menu 'main'")]


def test_a_bad_journey_key_through_the_cli(tmp_path):
    import yaml

    from .test_cli import assert_clean_error
    from .test_cli import ccsim as ccsim_cli

    data = full_journey()
    data["transfers"]["mode"] = "lukewarm"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    assert_clean_error(ccsim_cli("run", path, "--no-save"), "transfers.mode", "'cold' or 'warm'")


# -- the CLI ----------------------------------------------------------------------------------------

ISSUE_KPIS = ("ivr_abandon_rate", "misroute_rate", "containment_rate", "fcr", "resolution_rate",
              "transfers_per_contact", "repeat_contact_rate", "lost_intents_per_contact", "effort_steps",
              "hold_abandon_rate", "callbacks", "cost_per_resolved")


def test_run_json_has_the_journey_kpis_and_chain_lengths():
    import json

    from .helpers import ROOT
    from .test_cli import ccsim as ccsim_cli

    proc = ccsim_cli("run", "scenarios/transfer_chain.yaml", "--reps", "2", "--set", "horizon.hours=2",
                     "--no-save", "--json", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    for kpi in ISSUE_KPIS:
        assert set(out["kpis"][kpi]) == {"mean", "ci_low", "ci_high"}, kpi
    chains = out["transfer_chains"]
    assert set(chains) == {"0", "1", "2", "3", "4"}
    assert sum(chains[n]["share"]["mean"] for n in chains) == pytest.approx(1.0)
    assert chains["2"]["contacts"]["mean"] > 0


def test_run_table_shows_the_chain_distribution_and_hides_absent_mechanisms():
    from .helpers import ROOT
    from .test_cli import ccsim as ccsim_cli

    proc = ccsim_cli("run", "scenarios/transfer_chain.yaml", "--reps", "2", "--set", "horizon.hours=2",
                     "--no-save", cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "transfer chains" in proc.stdout and "transfers_per_contact" in proc.stdout
    assert "misroute_rate" not in proc.stdout  # no IVR in this scenario
    assert "more KPIs are 0 or undefined" in proc.stdout
    plain = ccsim_cli("run", "scenarios/erlang_a.yaml", "--reps", "2", "--set", "horizon.hours=3", "--no-save",
                      cwd=ROOT)
    assert "transfer chains" not in plain.stdout and "hold_abandon_rate" not in plain.stdout


def test_results_folder_has_the_chain_table(tmp_path):
    result = ccsim.run(ccsim.load_scenario("scenarios/transfer_chain.yaml", ["horizon.hours=2"]), reps=2)
    folder = result.write(tmp_path / "r")
    back = ccsim.load_results(folder)
    assert back.chains.equals(result.chains)
