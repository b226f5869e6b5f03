"""A multi-queue center: each queue's own volume by interval, handle time and patience by
interval, and its own service-level threshold (issue 16, parts 1-3)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import ccsim
from ccsim.analysis import erlang
from ccsim.errors import ScenarioError

from .helpers import single_queue


def two_queues(hours=4.0, rates=((300, 400, 500, 300), (100, 50, 50, 150)), agents=(20, 6), **extra) -> dict:
    """General and cards callers on their own daily shapes, each served by its own pool."""
    data = {
        "name": "two-queues",
        "seed": 5,
        "horizon": {"hours": hours, "interval_minutes": 60 * hours / len(rates[0])},
        "segments": [{"name": "all", "share": 1.0, "patience": {"dist": "exponential", "mean": 120}}],
        "intents": [
            {"name": "general", "rate_per_hour": list(rates[0]), "skill": "general",
             "handle_time": {"dist": "exponential", "mean": 180}},
            {"name": "cards", "rate_per_hour": list(rates[1]), "skill": "cards",
             "handle_time": {"dist": "exponential", "mean": 240}},
        ],
        "pools": [{"name": "gen", "agents": agents[0], "skills": ["general"]},
                  {"name": "card", "agents": agents[1], "skills": ["cards"]}],
    }
    data.update(extra)
    return data


def alone(data: dict, keep: int) -> dict:
    """The same center with one of its two queues only."""
    one = copy.deepcopy(data)
    one["intents"] = [one["intents"][keep]]
    one["pools"] = [one["pools"][keep]]
    return one


class TestVolumesPerQueue:
    def test_each_queue_arrives_on_its_own_daily_shape(self):
        result = ccsim.run(two_queues(hours=4, rates=((600, 0, 600, 0), (0, 300, 0, 300))), reps=3)
        qi = result.queue_intervals.groupby(["queue", "interval"])["offered"].mean().unstack()
        assert (qi.loc["general", [1, 3]] == 0).all() and (qi.loc["cards", [0, 2]] == 0).all()
        assert qi.loc["general", 0] > 500 and qi.loc["cards", 1] > 250

    def test_decomposition_two_separate_queues_behave_like_two_centers(self):
        """Two queues with separate pools give, within CIs, what each gives alone."""
        data = two_queues()
        together = ccsim.run(data, reps=30).queues.set_index(["queue", "replication"])
        for keep, name in enumerate(("general", "cards")):
            apart = ccsim.run(alone(data, keep), reps=30, seed=99).kpis
            for kpi in ("service_level", "abandon_rate", "asa_seconds"):
                a = together.loc[name][kpi].to_numpy()
                b = apart[kpi].to_numpy()
                test = stats.ttest_ind(a, b, equal_var=False)
                assert test.pvalue > 0.001, (name, kpi, a.mean(), b.mean())

    def test_constant_shares_written_per_interval_give_the_same_results_bit_for_bit(self):
        base = single_queue(hours=4, interval_minutes=60, agents=30)
        base["intents"] = [
            {"name": "a", "share": 0.3, "skill": "general", "handle_time": {"dist": "exponential", "mean": 180}},
            {"name": "b", "share": 0.7, "skill": "general", "handle_time": {"dist": "lognormal", "mean": 200, "cv": 1}},
        ]
        listed = copy.deepcopy(base)
        listed["intents"][0]["share"] = [0.3] * 4
        listed["intents"][1]["share"] = [0.7] * 4
        a, b = ccsim.run(base, reps=3), ccsim.run(listed, reps=3)
        assert a.to_json_dict()["kpis"] == b.to_json_dict()["kpis"]

    def test_intent_rates_equal_to_shares_of_the_total_give_the_same_results_bit_for_bit(self):
        shares = single_queue(hours=2, interval_minutes=60, rate=600, agents=30)
        shares["intents"] = [
            {"name": "a", "share": 0.25, "skill": "general", "handle_time": {"dist": "exponential", "mean": 180}},
            {"name": "b", "share": 0.75, "skill": "general", "handle_time": {"dist": "exponential", "mean": 170}},
        ]
        rates = copy.deepcopy(shares)
        del rates["arrivals"]
        rates["intents"][0]["rate_per_hour"], rates["intents"][1]["rate_per_hour"] = 150, 450
        del rates["intents"][0]["share"], rates["intents"][1]["share"]
        assert ccsim.run(shares, reps=2).to_json_dict()["kpis"] == ccsim.run(rates, reps=2).to_json_dict()["kpis"]

    def test_shares_that_vary_by_interval_move_the_mix(self):
        data = single_queue(hours=2, interval_minutes=60, rate=600, agents=60)
        data["intents"] = [
            {"name": "a", "share": [0.9, 0.1], "skill": "general", "handle_time": {"dist": "exponential", "mean": 60}},
            {"name": "b", "share": [0.1, 0.9], "skill": "general", "handle_time": {"dist": "exponential", "mean": 60}},
        ]
        c = ccsim.run(data, reps=2).contacts
        first = c[c["arrival"] < 3600]
        assert (first["intent"] == "a").mean() == pytest.approx(0.9, abs=0.03)
        assert (c[c["arrival"] >= 3600]["intent"] == "a").mean() == pytest.approx(0.1, abs=0.03)


class TestByInterval:
    def test_handle_time_factor_agrees_with_erlang_a_at_the_scaled_handle_time(self):
        """A long interval at handle-time factor 1.5 is Erlang A with AHT 1.5 x 120 s."""
        data = single_queue(rate=600, aht=120, agents=32, patience=120, hours=8, warmup_minutes=60,
                            interval_minutes=480)
        data["intents"][0]["handle_time_factor"] = [1.5]
        k = ccsim.run(data, reps=12).kpis
        ref = erlang.erlang_a(600, 180, 32, 120)
        for kpi in ("abandon_rate", "service_level", "asa_seconds"):
            ci = stats.t.interval(0.999, len(k) - 1, loc=k[kpi].mean(), scale=stats.sem(k[kpi]))
            assert ci[0] <= getattr(ref, kpi) <= ci[1], (kpi, ci, getattr(ref, kpi))

    def test_doubling_the_afternoons_handle_time_never_lowers_its_waits(self):
        base = single_queue(rate=500, aht=180, agents=30, patience=200, hours=8, warmup_minutes=0,
                            interval_minutes=60)
        longer = copy.deepcopy(base)
        longer["intents"][0]["handle_time_factor"] = [1, 1, 1, 1, 2, 2, 2, 2]
        table = ccsim.compare(base, longer, reps=8)  # the same callers in both (CRN)
        afternoon = [ccsim.run(x, reps=8).intervals.query("interval >= 4")["mean_wait_seconds"].mean()
                     for x in (base, longer)]
        assert afternoon[1] > afternoon[0]
        assert table.set_index("kpi").loc["mean_wait_seconds", "ci_low"] > 0

    def test_patience_by_interval_and_by_intent(self):
        data = two_queues(hours=2, rates=((300, 300), (300, 300)), agents=(0, 0))  # nobody answers
        data["segments"][0]["patience_factor"] = [1, 2]
        data["intents"][1]["patience"] = {"dist": "deterministic", "value": 30}
        c = ccsim.run(data, reps=1).contacts
        waits = c.groupby(["intent", c["arrival"] >= 3600], observed=True)["wait"].mean()
        assert waits[("general", True)] == pytest.approx(2 * waits[("general", False)], rel=0.15)
        assert waits[("cards", False)] == pytest.approx(30) and waits[("cards", True)] == pytest.approx(30)


class TestServiceLevelPerQueue:
    def test_each_queue_agrees_with_erlang_c_at_its_own_threshold(self):
        data = two_queues(hours=8, rates=((400,) * 8, (200,) * 8), agents=(24, 15))
        data["segments"][0].pop("patience")
        data["horizon"]["warmup_minutes"] = 60
        data["queues"] = [{"skill": "general", "service_level": {"seconds": 10}},
                          {"skill": "cards", "service_level": {"seconds": 60, "target": 0.9}}]
        q = ccsim.run(data, reps=15).queues
        for name, rate, aht, agents, t in (("general", 400, 180, 24, 10), ("cards", 200, 240, 15, 60)):
            values = q[q["queue"] == name]["service_level"]
            ci = stats.t.interval(0.999, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
            ref = erlang.erlang_c(rate, aht, agents, t).service_level
            assert ci[0] <= ref <= ci[1], (name, ci, ref)

    def test_center_service_level_is_offered_weighted_at_each_queues_threshold(self):
        data = two_queues()
        data["queues"] = [{"skill": "cards", "service_level": {"seconds": 60}}]
        result = ccsim.run(data, reps=2)
        q = result.queues
        for r in (0, 1):
            mine = q[q["replication"] == r]
            k = result.kpis.set_index("replication").loc[r]
            assert k["answered_within"] == mine["answered_within"].sum()
            assert k["service_level"] == pytest.approx(mine["answered_within"].sum() / mine["offered"].sum())
        assert result.to_json_dict()["queues"]["cards"]["sl_seconds"] == 60

    def test_other_service_level_definitions_are_reported(self):
        data = single_queue(hours=2, warmup_minutes=0, agents=28, patience=60, short_abandon_seconds=5)
        k = ccsim.run(data, reps=2).kpis.iloc[0]
        assert k["sl_offered"] == k["service_level"] == k["answered_within"] / k["offered"]
        assert k["sl_answered"] == k["answered_within"] / k["answered"]
        assert k["sl_abandons_excluded"] == k["answered_within"] / (k["offered"] - k["abandoned_within"])
        assert k["sl_abandons_good"] == (k["answered_within"] + k["abandoned_within"]) / k["offered"]
        data["service_level_definition"] = "answered"
        assert ccsim.run(data, reps=2).kpis.iloc[0]["service_level"] == k["sl_answered"]


@settings(max_examples=15, deadline=None)
@given(rates=st.lists(st.lists(st.floats(0, 300), min_size=2, max_size=2), min_size=2, max_size=3),
       agents=st.integers(0, 8), seed=st.integers(0, 1000))
def test_per_queue_counts_add_up_to_the_center(rates, agents, seed):
    data = {
        "name": "q", "seed": seed, "horizon": {"hours": 1, "interval_minutes": 30},
        "segments": [{"name": "all", "share": 1.0, "patience": {"dist": "exponential", "mean": 60}}],
        "intents": [{"name": f"i{k}", "rate_per_hour": r, "skill": f"s{k % 2}",
                     "handle_time": {"dist": "exponential", "mean": 120}} for k, r in enumerate(rates)],
        "pools": [{"name": "p0", "agents": agents, "skills": ["s0", {"skill": "s1", "after": 30}]},
                  {"name": "p1", "agents": agents, "skills": ["s1"]}],
    }
    result = ccsim.run(data, reps=1)
    k, q, qi = result.kpis.iloc[0], result.queues, result.queue_intervals
    for count in ("offered", "answered", "abandoned", "answered_within"):
        assert q[count].sum() == k[count] == qi[count].sum()
    assert result.intervals["arrivals"].sum() == k["arrivals"]


class TestBadInput:
    @pytest.mark.parametrize("change, fragment", [
        (lambda d: d["intents"][0].update(rate_per_hour=[1, 2, 3]), "intents[0].rate_per_hour: has 3 values"),
        (lambda d: d["intents"][0].update(handle_time_factor=[1, 2]), "intents[0].handle_time_factor: has 2 values"),
        (lambda d: d["segments"][0].update(patience_factor=[1] * 9), "segments[0].patience_factor: has 9 values"),
        (lambda d: d.update(queues=[{"skill": "loans", "service_level": {"seconds": 20}}]),
         "queues[0].skill: 'loans' is not served by any pool"),
        (lambda d: d.update(queues=[{"skill": "cards"}, {"skill": "cards"}]), "queues[1].skill: 'cards' already"),
        (lambda d: d["intents"][0].update(share=0.5), "intents[0].share: there is no arrivals.rate_per_hour"),
        (lambda d: d["intents"][0].pop("rate_per_hour"), "intents[0].rate_per_hour: is required"),
        (lambda d: d.update(arrivals={"rate_per_hour": 100}), "give each intent a share"),
        (lambda d: d["intents"][0].update(rate_per_hour=-5), "intents[0].rate_per_hour"),
        (lambda d: d["intents"][0].update(rate_per_hour=math.nan), "intents[0].rate_per_hour"),
        (lambda d: d["intents"][0].update(handle_time_factor=math.inf), "intents[0].handle_time_factor"),
        (lambda d: d.update(queues=[{"skill": "cards", "service_level": {"seconds": 20, "target": 1.5}}]),
         "queues[0].service_level.target"),
    ])
    def test_bad_multi_queue_input(self, change, fragment):
        data = two_queues()
        change(data)
        with pytest.raises(ScenarioError) as exc:
            ccsim.load_scenario(data)
        assert fragment in str(exc.value)

    def test_shares_by_interval_must_sum_to_one_in_every_interval(self):
        data = single_queue(hours=2, interval_minutes=60)
        data["intents"] = [
            {"name": "a", "share": [0.5, 0.2], "skill": "general", "handle_time": {"dist": "exponential", "mean": 60}},
            {"name": "b", "share": [0.5, 0.7], "skill": "general", "handle_time": {"dist": "exponential", "mean": 60}},
        ]
        message = r"shares must sum to 1 in every interval; they do not at 01:00 \(0.9\)"
        with pytest.raises(ScenarioError, match=message):
            ccsim.load_scenario(data)


def test_check_shows_each_queues_volume_per_interval(tmp_path):
    import yaml

    from .test_cli import ccsim as ccsim_cli

    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(two_queues()))
    proc = ccsim_cli("check", path)
    assert proc.returncode == 0, proc.stderr
    assert "expected contacts per interval and queue" in proc.stdout
    assert "┃ interval ┃ general ┃ cards ┃ total ┃" in proc.stdout
    assert "│ 01:00    │   400.0 │  50.0 │ 450.0 │" in proc.stdout


def test_run_json_and_table_have_the_queues(tmp_path):
    import json

    import yaml

    from .test_cli import ccsim as ccsim_cli

    data = two_queues(queues=[{"skill": "cards", "service_level": {"seconds": 60}}])
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump(data))
    out = json.loads(ccsim_cli("run", path, "--reps", "2", "--json", "--no-save").stdout)
    assert set(out["queues"]) == {"general", "cards"} and out["queues"]["cards"]["sl_seconds"] == 60
    assert {"service_level", "offered", "asa_seconds"} <= set(out["queues"]["general"])
    assert set(out["segments"]) == {"all"}
    table = ccsim_cli("run", path, "--reps", "2", "--no-save").stdout
    assert "queues (by the first queue" in table and "cards" in table
    assert np.isfinite(out["kpis"]["sl_answered"]["mean"])
