"""Invariants of the whole model with every mechanism on (hypothesis): each contact ends in
exactly one outcome, the counts add up, per-queue counts add up to the center's, occupancy
stays in [0, 1], and the same seed gives the same results."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

import ccsim
from ccsim.engine.model import Model
from ccsim.engine.records import Outcome
from ccsim.engine.streams import Streams

from .strategies import center_scenarios

ENDS = ["resolved", "abandoned", "blocked", "balked", "cleared", "messages", "in_system", "unresolved", "contained",
        "ivr_abandoned", "hold_abandoned", "dropped", "redirected"]


@settings(max_examples=60, deadline=None)
@given(center_scenarios())
def test_every_contact_ends_once_and_the_counts_add_up(data):
    result = ccsim.run(data, reps=1)
    k = result.kpis.iloc[0]
    assert k[ENDS].sum() == k["arrivals"]
    assert k["offered"] <= k["arrivals"]  # busy signals and balks at the first queue are never offered
    q = result.queues
    for count in ("offered", "answered", "abandoned", "answered_within"):
        assert q[count].sum() == k[count]
    occupancy = result.pools["occupancy"].dropna()
    assert ((occupancy >= -1e-9) & (occupancy <= 1 + 1e-9)).all()
    for rate in ("abandon_rate", "service_level", "p_wait", "sl_answered", "block_rate", "balk_rate"):
        assert np.isnan(k[rate]) or -1e-9 <= k[rate] <= 1 + 1e-9, rate


@settings(max_examples=40, deadline=None)
@given(center_scenarios())
def test_records_are_consistent_and_reproducible(data):
    s = ccsim.load_scenario(data)
    a = Model(s, Streams(s.seed, 0)).run()
    r = a.records.columns()
    outcome = r["outcome"]
    ended = outcome != Outcome.IN_SYSTEM
    assert np.isnan(r["end"][~ended]).all() and not np.isnan(r["end"][ended]).any()
    assert (r["end"][ended] >= r["arrival"][ended] - 1e-9).all()
    never_offered = np.isin(outcome, [Outcome.BLOCKED, Outcome.BALKED])
    assert (np.isnan(r["queue_join"][never_offered]) | (r["queues"][never_offered] > 1)).all()
    assert set(np.unique(r["message"][outcome != Outcome.MESSAGE])) <= {0}
    assert (r["wrap"] >= 0).all() and (r["talk"] >= -1e-9).all()
    b = Model(s, Streams(s.seed, 0)).run().records.columns()
    for name in ("outcome", "end", "answer", "agent"):
        assert np.array_equal(r[name], b[name], equal_nan=True), name
