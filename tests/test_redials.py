"""Customers and redials: a customer who hangs up may call again, as a new contact."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ccsim
from ccsim.engine.model import Model
from ccsim.engine.streams import Streams
from ccsim.errors import ScenarioError
from ccsim.spec.loading import load_scenario

from .helpers import single_queue
from .test_center import callers, trace


def with_redial(data: dict, probability: float, delay: dict | None = None, max_contacts: int = 5) -> dict:
    data["segments"][0]["redial"] = {"after_abandon": probability,
                                     "delay": delay or {"dist": "exponential", "mean": 300},
                                     "max_contacts": max_contacts}
    return data


def test_trace_of_a_customer_who_calls_back_until_the_limit():
    data = with_redial(single_queue(hours=1, warmup_minutes=0, interval_minutes=60, agents=1), 1.0,
                       {"dist": "deterministic", "value": 100}, max_contacts=3)
    data["segments"][0]["patience"] = {"dist": "deterministic", "value": 5}
    s = load_scenario(data)
    c = Model(s, Streams(1, 0), callers=callers([0, 10], [1000, 1000], patience=[math.inf, 5])).run()
    rec = c.records.columns()
    assert rec["customer"].tolist() == [0, 1, 1, 1]
    assert rec["attempt"].tolist() == [0, 0, 1, 2]
    assert rec["arrival"].tolist() == [0, 10, 115, 220]  # hung up at 15, 120, 225; called 100 s later
    assert [t[4] for t in trace(c)] == ["RESOLVED", "ABANDONED", "ABANDONED", "ABANDONED"]


def test_no_redial_probability_means_one_contact_per_customer():
    data = with_redial(single_queue(hours=3, warmup_minutes=0, agents=28), 0.0)
    result = ccsim.run(data, reps=2)
    assert (result.contacts.groupby(["replication", "customer"]).size() == 1).all()
    assert (result.kpis["customers"] == result.kpis["arrivals"]).all()
    assert (result.kpis["repeat_contact_rate"] == 0).all()
    assert (result.kpis["fcr"] == result.kpis["resolution_rate"]).all()


def test_more_redials_more_contacts_same_callers():
    low = ccsim.run(with_redial(single_queue(hours=3, warmup_minutes=0, agents=28), 0.2), reps=3)
    high = ccsim.run(with_redial(single_queue(hours=3, warmup_minutes=0, agents=28), 0.9), reps=3)
    for r in range(3):
        a = low.contacts[(low.contacts.replication == r) & (low.contacts.attempt == 0)]
        b = high.contacts[(high.contacts.replication == r) & (high.contacts.attempt == 0)]
        assert np.array_equal(a["arrival"], b["arrival"])  # common random numbers: the same first calls
    assert (high.kpis["repeat_contact_rate"] > low.kpis["repeat_contact_rate"]).all()
    assert (high.kpis["arrivals"] > low.kpis["arrivals"]).all()
    assert (high.kpis["customers"] == low.kpis["customers"]).all()
    # customers who call again get resolved later: resolution catches up with what FCR missed
    assert (high.kpis["resolution_rate"] > high.kpis["fcr"]).all()


def test_no_redials_after_the_center_closes():
    data = with_redial(single_queue(hours=1, warmup_minutes=0, agents=25), 1.0,
                       {"dist": "deterministic", "value": 3600})
    result = ccsim.run(data, reps=2)
    assert (result.contacts["attempt"] == 0).all()


def test_redials_without_streams_are_refused():
    data = with_redial(single_queue(hours=1, warmup_minutes=0), 0.5)
    with pytest.raises(ValueError, match="streams"):
        Model(load_scenario(data), callers=callers([0], [10]))


@pytest.mark.parametrize("change, path", [
    ({"after_abandon": 1.5}, "segments[0].redial.after_abandon"),
    ({"max_contacts": 0}, "segments[0].redial.max_contacts"),
    ({"delay": {"dist": "exponential"}}, "segments[0].redial.delay.mean"),
    ({"delay": None}, "segments[0].redial.delay"),
    ({"after_hangup": 0.3}, "segments[0].redial.after_hangup"),
])
def test_bad_redial_keys(change, path):
    data = with_redial(single_queue(), 0.5)
    data["segments"][0]["redial"].update(change)
    if change.get("delay", 1) is None:
        del data["segments"][0]["redial"]["delay"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(data)
    assert [p for p, _ in info.value.problems] == [path]
