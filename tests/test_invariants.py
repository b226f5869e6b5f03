"""Invariants that hold for every scenario: conservation, determinism, Little's law, staffing."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from ccsim.analysis.kpis import step_cumulative
from ccsim.engine.model import Model
from ccsim.engine.records import Outcome
from ccsim.engine.streams import Streams
from ccsim.experiments.runner import simulate
from ccsim.spec.loading import load_scenario

from .strategies import scenarios

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run_center(data: dict, replication: int = 0) -> Model:
    s = load_scenario(data)
    return Model(s, Streams(s.seed, replication)).run()


@SETTINGS
@given(scenarios())
def test_every_contact_ends_in_exactly_one_outcome(data):
    c = run_center(data)
    r = c.records.columns()
    outcome = r["outcome"]
    answered = ~np.isnan(r["answer"])
    ended = ~np.isnan(r["end"])
    assert set(np.unique(outcome)) <= {o.value for o in Outcome}
    # answered contacts were answered once, after arriving and joining the queue
    assert np.all(r["queue_join"] >= r["arrival"] - 1e-9)  # the clock may round by an ulp
    assert np.all(r["answer"][answered] >= r["queue_join"][answered] - 1e-9)
    # outcome and timestamps tell the same story
    assert np.all(ended[outcome == Outcome.RESOLVED]) and np.all(answered[outcome == Outcome.RESOLVED])
    assert np.all(ended[outcome == Outcome.ABANDONED]) and not np.any(answered[outcome == Outcome.ABANDONED])
    # a caller hangs up exactly when their patience runs out
    ab = outcome == Outcome.ABANDONED
    assert np.allclose(r["end"][ab] - r["queue_join"][ab], r["patience"][ab])
    # served for exactly the drawn handle time
    done = outcome == Outcome.RESOLVED
    assert np.allclose(r["end"][done] - r["answer"][done], r["handle_time"][done])
    # still in the center only when the simulation stopped, or no one could ever answer
    if c.scenario.horizon.drain:
        stuck = outcome == Outcome.IN_SYSTEM
        assert not np.any(answered[stuck]) and np.all(np.isinf(r["patience"][stuck]))
    # the bookkeeping adds up
    counts = np.bincount(outcome, minlength=3)
    assert counts.sum() == len(c.records)
    # customers: attempts 0, 1, 2, ... each after the previous one hung up, never past the limit
    for customer in np.unique(r["customer"]):
        mine = np.flatnonzero(r["customer"] == customer)
        assert r["attempt"][mine].tolist() == list(range(len(mine)))
        redial = c.scenario.segments[r["segment"][mine[0]]].redial
        assert len(mine) <= (redial.max_contacts if redial else 1)
        for before, after in zip(mine[:-1], mine[1:]):
            assert outcome[before] == Outcome.ABANDONED and r["arrival"][after] >= r["end"][before]
            assert r["arrival"][after] < c.scenario.horizon_seconds


@SETTINGS
@given(scenarios())
def test_same_seed_same_records(data):
    a, b = run_center(data), run_center(data)
    for name, column in a.records.columns().items():
        assert np.array_equal(column, b.records.columns()[name], equal_nan=True), name


@SETTINGS
@given(scenarios())
def test_agents_busy_never_exceed_agents_present(data):
    c = run_center(data)
    for p in range(len(c.scenario.pools)):
        work = np.frombuffer(c.work.pool, np.int16) == p
        starts, ends = np.frombuffer(c.work.start)[work], np.frombuffer(c.work.end)[work]
        here = np.frombuffer(c.presence.pool, np.int16) == p
        times = np.frombuffer(c.presence.time)[here]
        deltas = np.frombuffer(c.presence.delta, np.int32)[here]
        # check at every moment something changes (just after it)
        moments = np.unique(np.concatenate([starts, ends, times, [0.0]])) + 1e-7
        busy = (starts[:, None] <= moments).sum(0) - (ends[:, None] <= moments).sum(0)
        present = np.array([deltas[times <= m].sum() for m in moments])
        assert np.all(present >= 0) and np.all(busy <= present)
        # at each interval's middle with nobody finishing overtime, presence equals the plan
        plan = c.scenario.staffing(c.scenario.pools[p])
        mid = (np.arange(len(plan)) + 0.5) * c.scenario.interval_seconds
        present_mid = np.array([deltas[times <= m].sum() for m in mid])
        assert np.all(present_mid >= plan)


@SETTINGS
@given(scenarios())
def test_littles_law_holds_for_every_queue(data):
    """Time-average queue length = arrival rate into the queue x mean wait, over the whole run."""
    c = run_center(data)
    r = c.records.columns()
    end_time = c.env.now
    skill_of_intent = np.array([c.skills.index(i.skill) for i in c.scenario.intents])
    offered = ~np.isnan(r["queue_join"])
    leave = np.where(~np.isnan(r["answer"]), r["answer"], np.where(np.isnan(r["end"]), end_time, r["end"]))
    for k in range(len(c.skills)):
        mine = offered & (skill_of_intent[r["intent"]] == k)
        join, out = r["queue_join"][mine], leave[mine]
        if not mine.any() or end_time == 0:
            continue
        area = step_cumulative(np.concatenate([join, out]),
                               np.concatenate([np.ones(len(join)), -np.ones(len(out))]), np.array([end_time]))[0]
        lam = mine.sum() / end_time
        mean_wait = float(np.mean(out - join))
        assert np.isclose(area / end_time, lam * mean_wait, rtol=1e-9, atol=1e-9)


@SETTINGS
@given(scenarios())
def test_kpis_are_consistent(data):
    s = load_scenario(data)
    rep = simulate(s, s.seed, 0)
    k = rep.kpis
    assert k["offered"] == k["arrivals"]  # no IVR yet: every arrival reaches a queue
    if k["customers"]:
        assert 0 <= k["fcr"] <= k["resolution_rate"] <= 1 and 0 <= k["repeat_contact_rate"] < 1
    # still in the center = waiting, or (at a hard stop) answered and still being served
    waiting = k["offered"] - k["answered"] - k["abandoned"]
    assert 0 <= waiting <= k["in_system"]
    if s.horizon.drain:
        assert waiting == k["in_system"]
    assert k["short_abandons"] <= k["abandoned"]
    for rate in ("abandon_rate", "p_wait", "service_level"):
        assert np.isnan(k[rate]) or 0 <= k[rate] <= 1
    assert np.all((rep.pools["occupancy"].dropna() >= 0) & (rep.pools["occupancy"].dropna() <= 1 + 1e-9))
    # the intervals after warm-up add up to the replication
    after = rep.intervals[~rep.intervals["warmup"]]
    if s.warmup_seconds % s.interval_seconds == 0:
        for count in ("arrivals", "offered", "answered", "abandoned"):
            assert after[count].sum() == k[count]
