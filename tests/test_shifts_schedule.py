"""``ccsim schedule``: the cheapest roster of shifts covering a requirement, repaired by simulation.

The integer program is checked against brute force on a case small enough to enumerate; the
coverage against the engine's own schedule (breaks in windows spread over the agents); the
whole command on a small center from a ``ccsim staff`` folder, a scenario's Erlang
requirement and a scenario's agents; bad templates exit 2 with a clear message.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

import ccsim
from ccsim.errors import ScenarioError
from ccsim.planning.shifts_cover import cover, coverage, presence, solve
from ccsim.planning.shifts_templates import TemplateFile, read_templates, shift_options

from .helpers import single_queue
from .test_cli import assert_clean_error
from .test_cli import ccsim as cli

TEMPLATES = {"templates": [
    {"name": "long", "start": {"from": "00:00", "to": "01:00", "every_minutes": 30}, "hours": 2,
     "breaks": [{"window_after_hours": [0.5, 1.5], "minutes": 15}], "cost_per_hour": 10},
    {"name": "short", "start": ["00:00", "01:00"], "hours": 1, "cost_per_shift": 12},
]}


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def small(**extra) -> dict:
    return single_queue(rate=[200.0, 300.0, 300.0, 200.0], hours=2, warmup_minutes=0, **extra)


class TestIntegerProgram:
    def test_the_roster_covers_the_requirement_at_the_least_cost_found_by_brute_force(self):
        s = ccsim.load_scenario(single_queue(hours=4, interval_minutes=60, warmup_minutes=0))
        templates = TemplateFile.model_validate({"templates": [
            {"name": "one", "start": ["00:00", "01:00", "02:00", "03:00"], "hours": 1, "cost_per_shift": 12},
            {"name": "two", "start": ["00:00", "01:00", "02:00"], "hours": 2, "cost_per_shift": 20},
            {"name": "three", "start": ["00:00", "01:00"], "hours": 3, "cost_per_shift": 27, "max": 1},
        ]})
        options = shift_options(templates, s, [0])
        a = presence(s, options)
        need = np.array([[2.0, 3.0, 3.0, 1.0]])
        counts = solve(options, a, need, [0], ["agents"], s.interval_labels())
        cost = np.array([o.cost for o in options])
        assert (counts @ a >= need[0] - 1e-9).all()
        best = np.inf
        for combo in itertools.product(range(4), repeat=len(options)):
            y = np.array(combo)
            if y[-2:].sum() <= 1 and (y @ a >= need[0] - 1e-9).all():
                best = min(best, float(y @ cost))
        assert float(counts @ cost) == pytest.approx(best)

    def test_breaks_in_a_window_are_covered_as_the_engine_spreads_them(self):
        s = ccsim.load_scenario(small())
        options = shift_options(TemplateFile.model_validate(TEMPLATES), s, [0])
        need = np.array([[7.0, 11.0, 12.0, 6.0]])
        counts, exact, asked, solves = cover(s, options, need, [0], ["agents"])
        assert (exact >= need - 1e-9).all()
        assert np.allclose(exact, coverage(s, options, counts, [0]))
        # the engine's presence: a roster scenario's scheduled agents per interval
        shifts = [o.shift.model_copy(update={"count": int(c)}).model_dump(mode="json", exclude_none=True)
                  for o, c in zip(options, counts, strict=True) if c]
        engine = ccsim.load_scenario(small(pools=[{"name": "agents", "skills": ["general"], "shifts": shifts}]))
        assert np.allclose(engine.staffing(engine.pools[0]), exact[0])

    def test_a_requirement_no_template_reaches_is_refused(self):
        s = ccsim.load_scenario(small())
        late = TemplateFile.model_validate({"templates": [{"name": "early", "start": "00:00", "hours": 1}]})
        with pytest.raises(ScenarioError, match="needs agents at 01:00, 01:30, but no template's shift"):
            cover(s, shift_options(late, s, [0]), np.array([[1.0, 1.0, 1.0, 1.0]]), [0], ["agents"])


@pytest.mark.parametrize("change, fragment", [
    ({"templates": []}, "templates"),
    ({"templates": [{"name": "x", "start": "25:00", "hours": 2}]}, "clock time"),
    ({"templates": [{"name": "x", "start": "08:00", "hours": 2, "shift": 1}]}, "shift"),
    ({"templates": [{"name": "x", "start": "08:00", "hours": 2, "breaks": [{"after_hours": 2, "minutes": 15}]}]},
     "ends after the shift"),
    ({"templates": [{"name": "x", "start": "08:00", "hours": 2, "breaks": [{"minutes": 15}]}]}, "exactly one of"),
    ({"templates": [{"name": "x", "start": "08:00", "hours": 2, "min": 3, "max": 1}]}, "min (3) is above max (1)"),
    ({"templates": [{"name": "x", "start": "08:00", "hours": 2, "cost_per_hour": 1, "cost_per_shift": 8}]},
     "not both"),
    ({"templates": [{"name": "x", "start": "08:00", "hours": 2}, {"name": "x", "start": "09:00", "hours": 2}]},
     "twice: x"),
])
def test_bad_templates_are_refused_naming_where(tmp_path, change, fragment):
    with pytest.raises(ScenarioError) as info:
        read_templates(write(tmp_path / "t.yaml", change))
    assert fragment in str(info.value)


def test_templates_are_checked_against_the_pools_and_breaks(tmp_path):
    s = ccsim.load_scenario(small())
    with pytest.raises(ScenarioError, match="nobody: not a pool being scheduled"):
        shift_options(TemplateFile.model_validate({"templates": [
            {"name": "x", "pools": ["nobody"], "start": "00:00", "hours": 2}]}), s, [0])
    with pytest.raises(ScenarioError, match="at 03:00 is outside the shift"):
        shift_options(TemplateFile.model_validate({"templates": [
            {"name": "x", "start": "00:00", "hours": 2, "breaks": [{"at": "03:00", "minutes": 10}]}]}), s, [0])
    with pytest.raises(ScenarioError, match="costs nothing"):
        shift_options(TemplateFile.model_validate({"templates": [
            {"name": "x", "start": "00:00", "hours": 2},
            {"name": "y", "start": "00:00", "hours": 1, "cost_per_shift": 3}]}), s, [0])


@pytest.fixture(scope="module")
def staffed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("staff") / "out"
    ccsim.staff(small(), "sl=0.8@20", reps=6, workers=1).write(folder)
    return folder


class TestSchedule:
    def test_from_a_staff_folder_the_roster_meets_the_targets(self, staffed, tmp_path):
        result = ccsim.schedule(staffed, write(tmp_path / "t.yaml", TEMPLATES), workers=1)
        s = result.summary
        assert s["met"] and s["targets"] == ["sl=0.8@20"] and s["replications"] == 6
        assert result.kpis["met"].all() and (result.kpis["mean"] >= 0.8).all()
        assert (result.coverage["coverage"] >= result.coverage["required"] - 1e-9).all()
        assert s["cost"] == pytest.approx(result.roster["cost"].sum()) and s["agents"] == result.roster["count"].sum()
        pool = result.scenario.pools[0]
        assert pool.agents is None and sum(sh.count for sh in pool.shifts) == s["agents"]
        assert all(sh.breaks for sh in pool.shifts if sh.hours == 2)
        # ccsim run of the roster scenario reproduces the figures of the last round
        run = ccsim.run(result.scenario, reps=6, keep_contacts=False).interval_summary()
        sl = run[run["kpi"] == "service_level"].sort_values("clock")["mean"].to_numpy()
        assert np.allclose(sl, result.kpis.sort_values("interval")["mean"].to_numpy())

    def test_a_roster_that_misses_is_repaired_round_by_round(self, tmp_path):
        # Erlang's requirement for exponential calls, but the calls are lognormal with cv 2: the
        # first roster misses, the requirement is raised where it does, until the roster meets it.
        data = small(intents=[{"name": "general", "share": 1.0, "skill": "general",
                               "handle_time": {"dist": "lognormal", "mean": 180, "cv": 2.0}}])
        result = ccsim.schedule(data, write(tmp_path / "t.yaml", TEMPLATES), "sl=0.85@20", reps=6, workers=1)
        assert result.summary["rounds"] >= 2 and result.summary["met"]
        assert (result.coverage["raised"] >= result.coverage["required"]).all()
        assert (result.coverage["raised"] > result.coverage["required"]).any()
        assert result.rounds["missing"].iloc[0] > 0 and result.rounds["missing"].iloc[-1] == 0

    def test_from_a_scenarios_agents(self, tmp_path):
        data = small(agents=[14, 19, 19, 14])
        result = ccsim.schedule(data, write(tmp_path / "t.yaml", TEMPLATES), "sl=0.5@20", from_staffing=True,
                                reps=4, workers=1, max_rounds=1)
        assert (result.coverage["required"].to_numpy() == [14, 19, 19, 14]).all()
        assert (result.coverage["coverage"] >= result.coverage["required"] - 1e-9).all()


def test_cli_schedule_json_folder_and_write(staffed, tmp_path):
    out, roster = tmp_path / "out", tmp_path / "roster.yaml"
    proc = cli("schedule", staffed, "--templates", write(tmp_path / "t.yaml", TEMPLATES), "--workers", "1",
               "--json", "--out", out, "--write", roster)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["met"] and data["roster"] and data["folder"] == str(out)
    for name in ("manifest.json", "scenario.yaml", "roster.parquet", "coverage.parquet", "schedule.png"):
        assert (out / name).is_file(), name
    assert ccsim.load_scenario(roster).pools[0].shifts


def test_cli_schedule_prints_the_roster(staffed, tmp_path):
    proc = cli("schedule", staffed, "--templates", write(tmp_path / "t.yaml", TEMPLATES), "--workers", "1",
               "--no-save")
    assert proc.returncode == 0, proc.stderr
    for words in ("roster:", "long", "coverage", "meets the targets", "paid hours"):
        assert words in proc.stdout, proc.stdout


@pytest.mark.parametrize("templates, extra, fragments", [
    ({"templates": [{"name": "x", "start": "25:00", "hours": 2}]}, [], ["t.yaml", "clock time"]),
    ({"templates": [{"name": "x", "start": "08:00", "hours": 2}]}, [], ["t.yaml", "no template's shift is on duty"]),
    ({"templates": [{"name": "x", "start": "00:00", "hours": 2, "pools": ["cards"]}]}, [],
     ["templates[0].pools", "cards: not a pool"]),
    ({"templates": [{"name": "x", "start": "00:00", "hours": 2, "max": 1}]}, [], ["maximum counts"]),
    (TEMPLATES, ["--per", "week"], ["--per"]),
    (TEMPLATES, ["--target", "sl=2"], ["--target"]),
])
def test_cli_schedule_bad_input_exits_2(staffed, tmp_path, templates, extra, fragments):
    proc = cli("schedule", staffed, "--templates", write(tmp_path / "t.yaml", templates), "--no-save", *extra)
    assert_clean_error(proc, *fragments)


def test_cli_schedule_bad_sources_exit_2(tmp_path):
    t = write(tmp_path / "t.yaml", TEMPLATES)
    assert_clean_error(cli("schedule", tmp_path / "missing", "--templates", t, "--no-save"), "no such file")
    assert_clean_error(cli("schedule", tmp_path, "--templates", t, "--no-save"), "not a ccsim staff results folder")
    assert_clean_error(cli("schedule", write(tmp_path / "s.yaml", small()), "--templates", tmp_path / "no.yaml"),
                       "--templates", "no such file")
    long = write(tmp_path / "long.yaml", single_queue(hours=48, warmup_minutes=0))
    assert_clean_error(cli("schedule", long, "--templates", t, "--target", "sl=0.8@20", "--no-save"),
                       "one day")
