"""``ccsim staff``: the fewest agents per interval and pool, found and proven by simulation.

The claims are checked independently of the search, through ``ccsim.run``: the staffing meets
the target on the search sample and on fresh seeds, and one agent fewer in any interval makes
an interval miss. Direction tests: a higher target, more calls, or splitting a pooled center
never need fewer agents. Small scenarios, few replications, fixed seeds (never flaky).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import ccsim
from ccsim.planning.staffing import StaffingInterrupted

from .helpers import SCENARIOS, single_queue
from .test_cli import assert_clean_error
from .test_cli import ccsim as cli

REPS = 8


def small(rate=(200.0, 300.0, 300.0, 200.0), **extra) -> dict:
    """Two hours in half hours, one queue (Erlang A), about 15 agents."""
    return single_queue(rate=list(rate), hours=2, warmup_minutes=0, **extra)


def required(result) -> np.ndarray:
    return result.staffing.pivot(index="interval", columns="pool", values="required").to_numpy()


def interval_sl(scenario, reps: int, seed: int | None = None) -> np.ndarray:
    summary = ccsim.run(scenario, reps=reps, seed=seed, keep_contacts=False).interval_summary()
    return summary[summary["kpi"] == "service_level"].sort_values("clock")["mean"].to_numpy()


@pytest.fixture(scope="module")
def found():
    return ccsim.staff(small(), "sl=0.8@20", reps=REPS, workers=1)


class TestProof:
    def test_the_search_sample_meets_the_target_in_every_interval(self, found):
        # ccsim run of the staffed scenario with the search seed: the sample every plan was judged on
        sl = interval_sl(found.staffed, REPS, seed=found.summary["seed"])
        assert (sl >= 0.8).all(), sl
        assert np.allclose(sl, found.kpis.sort_values("interval")["search_mean"].to_numpy())

    def test_one_agent_fewer_in_any_interval_makes_an_interval_miss(self, found):
        x = required(found)[:, 0]
        assert found.summary["proof"]["checks"] == len(x) == found.summary["proof"]["checks_passed"]
        for k in range(len(x)):  # independently of the search: ccsim run with one agent fewer at k
            fewer = small(agents=[int(v) - (i == k) for i, v in enumerate(x)])
            sl = interval_sl(fewer, REPS, seed=found.summary["seed"])
            assert (sl < 0.8).any(), (k, sl)
        assert found.checks["passed"].all() and len(found.checks) == len(x)

    def test_verification_on_fresh_seeds_is_what_ccsim_run_reproduces(self, found):
        s = found.summary
        assert s["verify_seed"] != s["seed"] and found.staffed.seed == s["verify_seed"]
        sl = interval_sl(found.staffed, REPS)  # the written scenario's seed: the verification's
        assert np.allclose(sl, found.kpis.sort_values("interval")["mean"].to_numpy())
        assert s["proof"]["verified"] and s["proof"]["verified_intervals"] == 4 and s["status"] == "done"

    def test_lower_confidence_meets_the_target_on_fresh_seeds(self):
        result = ccsim.staff(small(), "sl=0.8@20", reps=REPS, confidence="lower", workers=1)
        sl = interval_sl(result.staffed, REPS)  # fresh seeds: the mean meets the target everywhere
        assert (sl >= 0.8).all(), sl
        assert (result.kpis["search_mean"] > 0.8).all()
        assert (required(result) >= required(ccsim.staff(small(), "sl=0.8@20", reps=REPS, workers=1,
                                                          prove=False))).all()

    def test_the_result_reports_hours_cost_and_the_search(self, found):
        s = found.summary
        x = required(found)[:, 0]
        assert s["agent_hours"]["required"]["all"] == pytest.approx(x.sum() * 0.5)
        assert s["agent_hours"]["current"]["all"] == pytest.approx(32 * 4 * 0.5)
        assert 0 < s["search"]["replications"] < s["search"]["naive_replications"]
        assert set(found.rounds["phase"]) >= {"current", "approach", "verify", "proof"}


class TestDirections:
    def test_a_higher_target_never_needs_fewer_agents(self):
        low = ccsim.staff(small(), "sl=0.7@20", reps=6, workers=1, prove=False)
        high = ccsim.staff(small(), "sl=0.9@20", reps=6, workers=1, prove=False)
        assert (required(high) >= required(low)).all() and required(high).sum() > required(low).sum()

    def test_more_calls_never_need_fewer_agents(self):
        base = ccsim.staff(small(), "sl=0.8@20", reps=6, workers=1, prove=False)
        busier = ccsim.staff(small(rate=(260.0, 390.0, 390.0, 260.0)), "sl=0.8@20", reps=6, workers=1, prove=False)
        assert (required(busier) >= required(base)).all() and required(busier).sum() > required(base).sum()

    def test_a_pooled_center_needs_no_more_agents_than_split(self):
        intents = [{"name": "a", "share": 0.5, "skill": "a", "handle_time": {"dist": "exponential", "mean": 180}},
                   {"name": "b", "share": 0.5, "skill": "b", "handle_time": {"dist": "exponential", "mean": 180}}]
        split = small(intents=intents, pools=[{"name": "pa", "agents": 10, "skills": ["a"]},
                                              {"name": "pb", "agents": 10, "skills": ["b"]}])
        pooled = small(intents=intents, pools=[{"name": "all", "agents": 20, "skills": ["a", "b"]}])
        a = ccsim.staff(split, "sl=0.8@20", reps=6, workers=1, prove=False)
        b = ccsim.staff(pooled, "sl=0.8@20", reps=6, workers=1, prove=False)
        assert (required(b)[:, 0] <= required(a).sum(axis=1)).all()
        assert required(b).sum() < required(a).sum()

    def test_a_day_target_needs_no_more_than_one_for_every_interval(self):
        day = ccsim.staff(small(), "sl=0.8@20", per="day", reps=6, workers=1)
        every = ccsim.staff(small(), "sl=0.8@20", reps=6, workers=1, prove=False)
        assert required(day).sum() <= required(every).sum()
        assert day.summary["proof"]["verified"] and day.kpis["met"].all()
        assert day.summary["proof"]["checks"] == day.summary["proof"]["checks_passed"] > 0


class TestScopes:
    def test_each_queue_its_own_goal_when_no_target_is_given(self):
        data = small(queues=[{"skill": "general", "service_level": {"seconds": 30, "target": 0.7}}])
        result = ccsim.staff(data, reps=6, workers=1, prove=False)
        assert result.summary["targets"] == ["general: sl=0.7@30"]
        assert (result.kpis["mean"] >= 0.7 - 0.05).all()

    def test_several_pools_with_overflow(self):
        data = small(intents=[{"name": "a", "share": 0.7, "skill": "a", "handle_time": {"dist": "exponential",
                                                                                       "mean": 180}},
                              {"name": "b", "share": 0.3, "skill": "b", "handle_time": {"dist": "exponential",
                                                                                       "mean": 240}}],
                     pools=[{"name": "pa", "agents": 12, "skills": ["a", {"skill": "b", "after": 30}],
                             "cost_per_hour": 30},
                            {"name": "pb", "agents": 6, "skills": ["b"], "cost_per_hour": 40}])
        result = ccsim.staff(data, "sl=0.8@20", reps=6, workers=1)
        assert result.summary["pools"] == ["pa", "pb"]
        proof = result.summary["proof"]
        assert proof["checks"] == proof["checks_passed"] == int((required(result) >= 1).sum())
        assert result.summary["cost"]["required"] == pytest.approx(
            (required(result) * [30, 40]).sum() * 0.5)

    def test_a_pool_only_transfers_reach_is_kept_without_an_abandon_target(self):
        s = ccsim.load_scenario(SCENARIOS / "transfer_chain.yaml", ["horizon.hours=2", "horizon.warmup_minutes=0"])
        result = ccsim.staff(s, "sl=0.8@30", reps=4, workers=1, prove=False)
        assert result.summary["pools"] == ["tier1"]
        assert any("billing keeps its staffing" in note for note in result.notes)

    def test_occupancy_binds_every_pool_staffed(self):
        result = ccsim.staff(small(), "sl=0.5@20,occ<=0.75", reps=6, workers=1, prove=False)
        assert result.summary["targets"] == ["sl=0.5@20", "agents: occ<=0.75"]
        occ = result.kpis[result.kpis["kpi"] == "occupancy"]
        assert (occ["search_mean"] <= 0.75 + 1e-9).all()


def test_results_do_not_depend_on_the_workers():
    one = ccsim.staff(small(), "sl=0.8@20", reps=4, workers=1, prove=False)
    two = ccsim.staff(small(), "sl=0.8@20", reps=4, workers=2, prove=False)
    assert (required(one) == required(two)).all()
    assert np.allclose(one.kpis["mean"], two.kpis["mean"])


@pytest.mark.slow
def test_dask_gives_the_same_staffing():
    pytest.importorskip("distributed")
    local = ccsim.staff(small(), "sl=0.8@20", reps=4, workers=1, prove=False)
    dask = ccsim.staff(small(), "sl=0.8@20", reps=4, workers=2, executor="dask", prove=False)
    assert (required(local) == required(dask)).all()


def test_ctrl_c_in_the_api_keeps_the_best_plan(monkeypatch):
    from ccsim.planning import staffing_eval

    calls = []
    original = staffing_eval.Evaluator.evaluate

    def stop_later(self, plans, sample):
        calls.append(1)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return original(self, plans, sample)

    monkeypatch.setattr(staffing_eval.Evaluator, "evaluate", stop_later)
    with pytest.raises(StaffingInterrupted) as info:
        ccsim.staff(small(), "sl=0.8@20", reps=4, workers=1)
    assert info.value.done > 0 and info.value.plan is not None and info.value.pools == ["agents"]
    assert "interrupted in round" in str(info.value)


# -------------------------------------------------------------------------------------------------
# The command line


def write(tmp_path: Path, data: dict, name: str = "small.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_cli_json_folder_and_write_round_trip(tmp_path):
    path = write(tmp_path, small())
    out, staffed = tmp_path / "out", tmp_path / "staffed.yaml"
    proc = cli("staff", path, "--target", "sl=0.8@20", "--reps", "5", "--workers", "1", "--json", "--out", out,
               "--write", staffed)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["proof"]["verified"] and data["folder"] == str(out) and data["written"] == str(staffed)
    assert len(data["intervals"]) == 4 and data["intervals"][0]["kpis"]["sl=0.8@20"]["met"]
    for name in ("manifest.json", "scenario.yaml", "staffing.parquet", "kpis.parquet", "checks.parquet",
                 "staffing.png"):
        assert (out / name).is_file(), name
    assert json.loads((out / "manifest.json").read_text())["status"] == "done"
    # ccsim run of the written scenario reproduces the verified figures
    sl = interval_sl(ccsim.load_scenario(staffed), 5)
    assert np.allclose(sl, [row["kpis"]["sl=0.8@20"]["mean"] for row in data["intervals"]])
    again = cli("staff", path, "--target", "sl=0.8@20", "--reps", "2", "--no-save", "--write", staffed)
    assert_clean_error(again, "--write", "exists", "--overwrite")


def test_cli_prints_the_table_and_the_proof(tmp_path):
    proc = cli("staff", write(tmp_path, small()), "--target", "sl=0.8@20", "--reps", "4", "--no-save",
               "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    for words in ("32 → ", "agent-hours", "proof: verification with seed 2", "single-agent removals",
                  "naive search"):
        assert words in proc.stdout, proc.stdout
    assert "round 2 (approach" in proc.stderr  # a progress line per round when not on a terminal


@pytest.mark.parametrize("args, fragments", [
    (["--target", "sl=1.2@20"], ["--target", "not a share"]),
    (["--target", "speed<=3"], ["--target", "unknown KPI"]),
    (["--target", "sl=0.8@20", "--pool", "nobody"], ["--pool", "no pool 'nobody'"]),
    (["--target", "sl=0.8@20", "--queue", "nowhere"], ["--queue", "no queue 'nowhere'"]),
    (["--target", "pwait<=0.3", "--queue", "general"], ["--target", "whole center"]),
    (["--target", "sl=0.8@20", "--per", "week"], ["--per", "interval, day"]),
    (["--target", "sl=0.8@20", "--confidence", "maybe"], ["--confidence", "mean, lower"]),
    (["--target", "sl=0.8@20", "--confidence", "lower", "--reps", "1"], ["--reps", "at least 2"]),
    (["--target", "sl=0.8@20", "--workers", "0"], ["--workers"]),
    (["--target", "sl=0.8@20", "--seed", "3", "--verify-seed", "3"], ["--verify-seed", "fresh"]),
    ([], ["--target", "required"]),
])
def test_cli_bad_input_exits_2_with_a_clear_message(tmp_path, args, fragments):
    proc = cli("staff", write(tmp_path, small()), "--reps", "2", "--no-save", *args)
    assert_clean_error(proc, *fragments)


def test_cli_refuses_pools_with_shifts_and_busy_folders(tmp_path):
    shifts = small(pools=[{"name": "agents", "skills": ["general"],
                           "shifts": [{"start": "00:00", "hours": 2, "count": 20}]}])
    proc = cli("staff", write(tmp_path, shifts), "--target", "sl=0.8@20", "--no-save")
    assert_clean_error(proc, "every pool is staffed by shifts", "ccsim schedule")
    proc = cli("staff", write(tmp_path, shifts), "--target", "sl=0.8@20", "--pool", "agents", "--no-save")
    assert_clean_error(proc, "--pool", "staffed by shifts")
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "staffing.parquet").write_text("x")
    proc = cli("staff", write(tmp_path, small()), "--target", "sl=0.8@20", "--out", busy)
    assert_clean_error(proc, "--out", "already holds results")
    proc = cli("staff", write(tmp_path, small()), "--target", "sl=0.8@20", "--out", busy / "staffing.parquet")
    assert_clean_error(proc, "--out")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_cli_ctrl_c_stops_at_once_and_says_what_is_kept(tmp_path):
    path = write(tmp_path, single_queue(rate=600.0, hours=8, warmup_minutes=0))
    exe = Path(sys.executable).parent / "ccsim"
    proc = subprocess.Popen([str(exe), "staff", str(path), "--target", "sl=0.8@20", "--reps", "40", "--out",
                             str(tmp_path / "out"), "--workers", "2"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "COLUMNS": "200"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    deadline = time.monotonic() + 120
    for line in proc.stderr:  # wait until the search is under way (a line per round)
        lines.append(line)
        if "round 3" in line or time.monotonic() > deadline:
            break
    os.killpg(proc.pid, signal.SIGINT)
    try:
        rest = proc.communicate(timeout=20)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("ccsim staff did not stop within 20 s of Ctrl-C")
    text = "".join(lines) + rest
    assert proc.returncode == 130, text
    assert "interrupted in round" in text and "Traceback" not in text
    assert "Kept:" in text or "Nothing was kept" in text
