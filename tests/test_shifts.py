"""Shifts and breaks, shrinkage, absence and fractional staffing (issue 12, mechanisms 2-3)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import ccsim
from ccsim.engine.plan import compile_plan
from ccsim.errors import ScenarioError

from .helpers import single_queue
from .test_workforce import col, model, work

DET = lambda v: {"dist": "deterministic", "value": v}  # noqa: E731


def shift_pool(shifts, **extra) -> dict:
    pool = {"name": "team", "skills": ["general"], "shifts": shifts}
    pool.update(extra)
    return pool


def center(pools, hours=2.0, interval_minutes=60.0, start="00:00", **extra) -> dict:
    data = single_queue(hours=hours, interval_minutes=interval_minutes, warmup_minutes=0, patience=None, **extra)
    data["horizon"]["start"] = start
    data["pools"] = pools
    return data


def presence(m) -> list[tuple[float, int]]:
    return list(zip(m.presence.time, m.presence.delta, strict=True))


class TestShiftsAndBreaks:
    def test_an_agent_finishes_the_current_contact_before_the_break(self):
        data = center([shift_pool([{"start": "00:00", "hours": 2, "count": 1,
                                    "breaks": [{"at": "00:10", "minutes": 10}]}])])
        m = model(data, [0, 700], [900, 60])
        # busy at 00:10 with contact 0 until 900 s, then on break until 00:20 (1200 s)
        assert presence(m) == [(0, 1), (900, -1), (1200, 1)]  # after the horizon: on until the last call
        assert col(m, "answer") == [0, 1200]

    def test_shift_start_and_end_at_their_clock_times(self):
        data = center([shift_pool([{"start": "08:30", "hours": 1, "count": 2}])], start="08:00")
        m = model(data, [0, 60], [10, 10])
        assert col(m, "answer") == [1800, 1800]  # nobody before 08:30
        assert presence(m) == [(1800, 1), (1800, 1), (5400, -1), (5400, -1)]

    def test_breaks_in_a_window_are_spread_over_it(self):
        data = center([shift_pool([{"start": "11:00", "hours": 2, "count": 3,
                                    "breaks": [{"window": ["11:00", "12:00"], "minutes": 20}]}])],
                      start="11:00")
        plan = compile_plan(ccsim.load_scenario(data))
        assert plan.scheduled[0].tolist() == pytest.approx([2.0, 3.0])  # one of three away at any time
        assert plan.staffing.times == (3600.0,)  # the staggered breaks leave two on duty throughout

    def test_a_shift_begun_before_the_horizon_is_on_duty_from_the_start(self):
        data = center([shift_pool([{"start": "07:00", "hours": 4, "count": 5}])], hours=4, start="08:00")
        plan = compile_plan(ccsim.load_scenario(data))
        assert plan.scheduled[0].tolist() == [5, 5, 5, 0]

    def test_night_shift_of_the_day_before_and_days(self):
        data = center([shift_pool([{"start": "22:00", "hours": 8, "count": 2},
                                   {"start": "08:00", "hours": 8, "count": 4, "days": [2]}])],
                      hours=48, interval_minutes=60, start="00:00")
        sched = compile_plan(ccsim.load_scenario(data)).scheduled[0]
        assert sched[:6].tolist() == [2] * 6 and sched[6:8].tolist() == [0, 0]  # yesterday's night shift
        assert sched[8:16].tolist() == [0] * 8 and sched[32:40].tolist() == [4] * 8  # day shift on day 2 only

    def test_shifts_add_to_agents_per_interval(self):
        data = center([shift_pool([{"start": "01:00", "hours": 1, "count": 3}], agents=[1, 2])])
        assert compile_plan(ccsim.load_scenario(data)).scheduled[0].tolist() == [1, 5]

    def test_unpaid_breaks_are_not_paid(self):
        brk = {"at": "01:00", "minutes": 30}
        paid = center([shift_pool([{"start": "00:00", "hours": 2, "count": 4, "breaks": [dict(brk, paid=True)]}],
                                  cost_per_hour=10)], rate=10)
        unpaid = copy.deepcopy(paid)
        unpaid["pools"][0]["shifts"][0]["breaks"][0]["paid"] = False
        a, b = ccsim.run(paid, reps=1).pools.iloc[0], ccsim.run(unpaid, reps=1).pools.iloc[0]
        assert a["staffed_hours"] == b["staffed_hours"] == pytest.approx(6.0)  # 4 agents x 1.5 h on duty
        assert a["paid_hours"] == pytest.approx(8.0) and b["paid_hours"] == pytest.approx(6.0)
        assert a["agent_cost"] == pytest.approx(80.0) and b["agent_cost"] == pytest.approx(60.0)


class TestShrinkageAndFractions:
    def test_fractional_staffing_is_time_shared_within_the_stretch(self):
        data = center([{"name": "team", "skills": ["general"], "agents": 10, "shrinkage": 0.25}], hours=1, rate=0.0)
        plan = compile_plan(ccsim.load_scenario(data))
        assert plan.staffing.initial == (7,) and plan.staffing.times == (900.0, 2700.0)  # 8 for the middle half
        assert plan.staffing.targets == ((8,), (7,))
        r = ccsim.run(data, reps=1).pools.iloc[0]
        assert r["present_hours"] == pytest.approx(7.5) and r["staffed_hours"] == pytest.approx(10.0)

    def test_shrinkage_by_interval(self):
        data = center([{"name": "team", "skills": ["general"], "agents": 20, "shrinkage": [0.5, 0.1]}], rate=0.0)
        plan = compile_plan(ccsim.load_scenario(data))
        assert plan.available[0].tolist() == pytest.approx([10, 18])

    def test_more_shrinkage_lowers_the_service_level(self):
        base = single_queue(rate=560, agents=34, hours=4)
        more = copy.deepcopy(base)
        more["pools"][0]["shrinkage"] = 0.1
        assert ccsim.compare(base, more, reps=6).set_index("kpi").loc["service_level", "ci_high"] < 0


class TestAbsence:
    def test_each_replication_draws_its_own_absentees(self):
        data = center([{"name": "team", "skills": ["general"], "agents": 100, "absence": 0.3}], hours=1, rate=0.0)
        present = ccsim.run(data, reps=40).pools["present_hours"]
        assert present.nunique() > 10  # a day with absentees is a real day, not an average
        ci = 1.96 * present.std() / math.sqrt(len(present))
        assert abs(present.mean() - 70) < max(ci, 1.5)
        assert ccsim.run(data, reps=3).pools["present_hours"].tolist() == present[:3].tolist()  # reproducible

    def test_absence_of_shift_agents_removes_whole_agent_days(self):
        data = center([shift_pool([{"start": "00:00", "hours": 2, "count": 50}], absence=0.5)], rate=0.0)
        hours = ccsim.run(data, reps=5).pools["present_hours"]
        assert all(h % 2 == 0 for h in hours)  # whole agents, absent for their whole shift

    def test_no_absence_leaves_every_other_draw_as_it_was(self):
        base = single_queue(hours=3, agents=31)
        zero = copy.deepcopy(base)
        zero["pools"][0]["shrinkage"] = 0.0
        assert ccsim.run(base, reps=2).to_json_dict()["kpis"] == ccsim.run(zero, reps=2).to_json_dict()["kpis"]

    def test_more_absence_lowers_the_service_level(self):
        base = single_queue(rate=500, agents=34, hours=4)
        absent = copy.deepcopy(base)
        absent["pools"][0]["absence"] = 0.1
        assert ccsim.compare(base, absent, reps=10).set_index("kpi").loc["service_level", "diff"] < 0


@pytest.mark.parametrize("change, fragment", [
    (lambda p: p.update(shifts=None, agents=None), "pools[0].agents: give agents (per interval) or shifts"),
    (lambda p: p["shifts"][0]["breaks"].append({"minutes": 10}), "needs exactly one of 'at'"),
    (lambda p: p["shifts"][0]["breaks"].append({"minutes": 10, "at": "09:00", "after_hours": 1}),
     "got at and after_hours"),
    (lambda p: p["shifts"][0]["breaks"].append({"minutes": 10, "at": "13:00"}), "is not inside the shift"),
    (lambda p: p["shifts"][0]["breaks"].append({"minutes": 60, "window": ["09:00", "09:30"]}), "is shorter than"),
    (lambda p: p["shifts"][0]["breaks"].append({"minutes": 30, "after_hours": 3.9}), "ends after the shift's 4 h"),
    (lambda p: p["shifts"][0].update(days=[3]), "day 3 is after the horizon"),
    (lambda p: p["shifts"][0].update(start="25:00"), "shifts[0].start"),
    (lambda p: p["shifts"][0].update(hours=0), "shifts[0].hours"),
    (lambda p: p.update(shrinkage=1.0), "pools[0].shrinkage: must be below 1"),
    (lambda p: p.update(shrinkage=[0.1, 0.2]), "pools[0].shrinkage: has 2 values"),
    (lambda p: p.update(absence=1.0), "pools[0].absence"),
])
def test_bad_schedule_input(change, fragment):
    data = center([shift_pool([{"start": "08:00", "hours": 4, "count": 3, "breaks": []}])], hours=12,
                  interval_minutes=60, start="08:00")
    change(data["pools"][0])
    with pytest.raises(ScenarioError) as exc:
        ccsim.load_scenario(data)
    assert fragment in str(exc.value)


def test_check_shows_the_presence_derived_from_shifts(tmp_path):
    import yaml

    from .test_cli import ccsim as ccsim_cli

    data = center([shift_pool([{"start": "00:00", "hours": 2, "count": 4, "breaks": [{"at": "00:30", "minutes": 30}]}],
                              shrinkage=0.5)])
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    proc = ccsim_cli("check", path)
    assert proc.returncode == 0, proc.stderr
    assert "scheduled" in proc.stdout and "│ 00:00    │ 2.0 / 1.0 │" in proc.stdout  # all four on break 00:30-01:00
    assert np.isfinite(ccsim.run(data, reps=1).kpis["service_level"].iloc[0])
    assert work  # the trace helpers are shared with tests/test_workforce.py


def test_fractional_agents_per_interval_are_time_shared_not_rounded():
    data = center([{"name": "team", "skills": ["general"], "agents": [2.5, 1.2]}], rate=0.0)
    plan = compile_plan(ccsim.load_scenario(data))
    assert plan.scheduled[0].tolist() == pytest.approx([2.5, 1.2])
    assert plan.staffing.initial == (2,) and plan.staffing.times[:3] == (900.0, 2700.0, 3600.0)
    r = ccsim.run(data, reps=1).pools.iloc[0]
    assert r["present_hours"] == pytest.approx(3.7) and r["paid_hours"] == pytest.approx(3.7)
