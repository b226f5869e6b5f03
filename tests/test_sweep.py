"""Sweeps: expansion, bad specs, CRN across points, identical results on every executor,
failing points, and resuming after the process is killed."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import ccsim
from ccsim.errors import ScenarioError
from ccsim.experiments import sweep_spec
from ccsim.experiments import sweeps as sweep_mod
from ccsim.experiments.sweeps import Range, expand_grid, expand_lhs, load_spec

from .helpers import SCENARIOS, single_queue
from .test_cli import assert_clean_error
from .test_cli import ccsim as ccsim_cli


def small_spec(**changes) -> dict:
    spec = {
        "name": "small-sweep",
        "scenario": single_queue(hours=2, warmup_minutes=0, agents=30, rate=600),
        "reps": 3,
        "vary": {"pools.agents.agents": [28, 32], "segments.all.patience.mean": [60, 180]},
    }
    spec.update(changes)
    return spec


def fail_at(point: int, message: str):
    """A stand-in for ``simulate_chunk`` whose simulation of one point raises."""
    real = sweep_mod.simulate_chunk

    def flaky(scenario, seed, k, replications):
        if k == point:
            raise RuntimeError(message)
        return real(scenario, seed, k, replications)

    return flaky


def write_spec(tmp_path: Path, spec: dict) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


class TestExpansion:
    def test_grid_is_every_combination_last_path_fastest(self):
        points = expand_grid({"a": [1, 2], "b": ["x", "y", "z"]})
        assert points == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 1, "b": "z"},
                          {"a": 2, "b": "x"}, {"a": 2, "b": "y"}, {"a": 2, "b": "z"}]

    def test_latin_hypercube_has_one_point_per_stratum(self):
        points = expand_lhs({"x": Range(low=0, high=10), "n": Range(low=5, high=14, integer=True)}, 10, seed=3)
        xs = np.array([p["x"] for p in points])
        assert sorted((xs // 1).astype(int).tolist()) == list(range(10))  # one point in each tenth
        assert sorted(p["n"] for p in points) == list(range(5, 15))  # whole numbers, each once
        assert all(isinstance(p["n"], int) for p in points)

    def test_latin_hypercube_is_reproducible_by_seed(self):
        ranges = {"x": Range(low=0, high=1)}
        assert expand_lhs(ranges, 5, seed=1) == expand_lhs(ranges, 5, seed=1)
        assert expand_lhs(ranges, 5, seed=1) != expand_lhs(ranges, 5, seed=2)

    def test_shipped_specs_are_valid(self):
        spec, base, points, scenarios = load_spec(SCENARIOS / "sweeps" / "staffing_vs_flexibility.yaml")
        assert len(points) == 28 and base.name == "transfer-chain"
        assert scenarios[0].pools[0].agents == 12 and scenarios[0].pools[0].flexibility == 0
        assert scenarios[-1].pools[0].agents == 18 and scenarios[-1].pools[0].flexibility == 0.9
        spec, _, points, _ = load_spec(SCENARIOS / "sweeps" / "lhs_example.yaml")
        assert len(points) == spec.points == 20


class TestBadSpecs:
    @pytest.mark.parametrize("changes, where, fragment", [
        ({"sample": {"x": {"low": 0, "high": 1}}, "points": 3}, "(top level)", "either 'vary'"),
        ({"vary": None}, "(top level)", "either 'vary'"),
        ({"vary": None, "sample": {"arrivals.rate_per_hour": {"low": 1, "high": 2}}}, "(top level)", "needs 'points'"),
        ({"vary": {"pools.agents.agents": []}}, "(top level)", "at least one value"),
        ({"sort": "happiness"}, "(top level)", "unknown KPI 'happiness'"),
        ({"reps": 0}, "reps", "greater than or equal to 1"),
        ({"varry": {}}, "varry", "unknown key"),
        ({"vary": None, "sample": {"seed": {"low": 3, "high": 1}}, "points": 2}, "sample.seed", "at least low"),
    ])
    def test_spec_rules(self, changes, where, fragment):
        with pytest.raises(ScenarioError) as info:
            load_spec(small_spec(**changes))
        assert any(path == where and fragment in message for path, message in info.value.problems), info.value.problems

    def test_unknown_path_names_the_vary_entry(self):
        with pytest.raises(ScenarioError) as info:
            load_spec(small_spec(vary={"pools.nobody.agents": [1]}))
        path, message = info.value.problems[0]
        assert path == "vary.pools.nobody.agents" and "no item named 'nobody'" in message

    def test_invalid_value_names_the_scenario_path_and_the_point(self):
        with pytest.raises(ScenarioError) as info:
            load_spec(small_spec(vary={"pools.agents.agents": [3, -1]}))
        (path, message), = info.value.problems
        assert path == "pools[0].agents" and "point 1: pools.agents.agents=-1" in message

    def test_missing_base_scenario_file(self, tmp_path):
        path = write_spec(tmp_path, small_spec(scenario="nope.yaml"))
        with pytest.raises(ScenarioError, match="no such file"):
            load_spec(path)

    def test_cli_bad_spec_and_arguments(self, tmp_path):
        path = write_spec(tmp_path, small_spec(vary={"pools.nobody.agents": [1]}))
        assert_clean_error(ccsim_cli("sweep", path), "vary.pools.nobody.agents")
        assert_clean_error(ccsim_cli("sweep"), "needs a spec file, or --resume")
        assert_clean_error(ccsim_cli("sweep", "--resume", tmp_path), "not a ccsim results folder")
        good = write_spec(tmp_path, small_spec())
        assert_clean_error(ccsim_cli("sweep", good, "--sort", "joy"), "--sort: unknown KPI 'joy'")
        (tmp_path / "full").mkdir()
        (tmp_path / "full" / "mine.txt").write_text("keep")
        assert_clean_error(ccsim_cli("sweep", good, "--out", tmp_path / "full"), "is not empty")
        assert (tmp_path / "full" / "mine.txt").read_text() == "keep"


class TestRunning:
    def test_tables_and_common_random_numbers(self, tmp_path):
        result = ccsim.sweep(small_spec(), workers=1, out=tmp_path / "s")
        runs = result.runs
        assert len(runs) == 4 * 3 and list(runs.columns[:4]) == ["point", "pools.agents.agents",
                                                                 "segments.all.patience.mean", "replication"]
        # replication r of every point saw the same callers
        arrivals = runs.pivot(index="replication", columns="point", values="arrivals")
        assert (arrivals.nunique(axis=1) == 1).all()
        # more agents, less waiting, for the same callers
        by = result.points.set_index(["pools.agents.agents", "segments.all.patience.mean"])
        assert by.loc[(32, 180), "p_wait"] < by.loc[(28, 180), "p_wait"]
        expected = {"service_level", "service_level_ci_low", "service_level_ci_high", "occupancy:agents"}
        assert expected <= set(result.points.columns)
        ordered = result.summary("abandon_rate")["abandon_rate"].tolist()
        assert ordered == sorted(ordered)  # lower is better: best first
        assert result.summary("service_level")["service_level"].is_monotonic_decreasing
        manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
        assert manifest["status"] == "complete" and manifest["replications"] == 3
        assert [p["status"] for p in manifest["points"]] == ["done"] * 4
        loaded = ccsim.load_results(tmp_path / "s")
        pd.testing.assert_frame_equal(loaded.runs, result.runs)

    @pytest.mark.slow
    def test_identical_for_one_two_workers_and_dask(self, tmp_path):
        pytest.importorskip("distributed", reason="the [dask] extra is not installed")
        one = ccsim.sweep(small_spec(), workers=1, out=tmp_path / "one").runs
        two = ccsim.sweep(small_spec(), workers=2, out=tmp_path / "two").runs
        dask = ccsim.sweep(small_spec(), workers=2, out=tmp_path / "dask", executor="dask").runs
        pd.testing.assert_frame_equal(one, two, check_exact=True)
        pd.testing.assert_frame_equal(one, dask, check_exact=True)

    def test_a_failing_point_is_recorded_and_retried_on_resume(self, tmp_path, monkeypatch):
        real = sweep_mod.simulate_chunk
        monkeypatch.setattr(sweep_mod, "simulate_chunk", fail_at(1, "agent database unavailable"))
        result = ccsim.sweep(small_spec(), workers=1, out=tmp_path / "s")
        assert list(result.failed) == [1] and "agent database unavailable" in result.failed[1]
        assert set(result.runs["point"]) == {0, 2, 3}
        manifest = json.loads((tmp_path / "s" / "manifest.json").read_text())
        assert manifest["status"] == "failed"
        assert [p["status"] for p in manifest["points"]] == ["done", "failed", "done", "done"]
        assert "agent database unavailable" in manifest["errors"]["1"]

        monkeypatch.setattr(sweep_mod, "simulate_chunk", real)
        resumed = ccsim.sweep(resume=tmp_path / "s", workers=1)
        assert resumed.failed == {} and resumed.computed_replications == 3  # only point 1's
        fresh = ccsim.sweep(small_spec(), workers=1, out=tmp_path / "fresh")
        pd.testing.assert_frame_equal(resumed.runs, fresh.runs, check_exact=True)
        assert json.loads((tmp_path / "s" / "manifest.json").read_text())["status"] == "complete"


@pytest.mark.slow
def test_resume_after_sigkill(tmp_path):
    """Kill the sweep process mid-way with SIGKILL; resume; nothing finished is recomputed, no
    file is half-written, and the tables equal those of an uninterrupted sweep."""
    spec = small_spec(reps=4, vary={"pools.agents.agents": [26, 28, 30, 32, 34, 36]})
    spec["scenario"] = single_queue(hours=12, warmup_minutes=0, rate=600)
    path = write_spec(tmp_path, spec)
    folder = tmp_path / "killed"
    exe = ccsim_cli.__globals__["shutil"].which("ccsim", path=os.path.dirname(ccsim_cli.__globals__["sys"].executable))
    proc = subprocess.Popen([exe, "sweep", str(path), "--out", str(folder), "--workers", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((folder / "tasks").glob("*.parquet"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p: p.stat().st_mtime_ns for p in (folder / "tasks").glob("*.parquet")}
    assert 2 <= len(finished) < 6 * 4, "the sweep should have been killed mid-way"
    for p in folder.rglob("*.parquet"):
        pd.read_parquet(p)  # every file on disk is whole
    assert json.loads((folder / "manifest.json").read_text())["status"] == "running"

    resumed = ccsim_cli("sweep", "--resume", folder, "--workers", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    for p, mtime in finished.items():
        assert p.stat().st_mtime_ns == mtime  # read back, not recomputed
    assert not list(folder.rglob(".*.tmp"))
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"

    whole = ccsim.sweep(path, workers=1, out=tmp_path / "whole")
    got = ccsim.load_results(folder)
    pd.testing.assert_frame_equal(got.runs, whole.runs, check_exact=True)
    pd.testing.assert_frame_equal(got.points, whole.points, check_exact=True)


def test_cli_sweep_json(tmp_path):
    path = write_spec(tmp_path, small_spec(reps=2))
    proc = ccsim_cli("sweep", path, "--out", tmp_path / "out", "--workers", "2", "--json", "--sort", "p_wait")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["sweep"] == "small-sweep" and data["sorted_by"] == "p_wait" and data["failed"] == {}
    assert len(data["points"]) == 4 and data["points"][0]["replications"] == 2
    waits = [p["kpis"]["p_wait"]["mean"] for p in data["points"]]
    assert waits == sorted(waits)
    assert data["points"][0]["params"]["pools.agents.agents"] == 32
    assert (tmp_path / "out" / "runs.parquet").is_file() and (tmp_path / "out" / "points.parquet").is_file()
    table = ccsim_cli("sweep", path, "--out", tmp_path / "out2", "--workers", "1")
    assert table.returncode == 0 and "sorted by service_level" in table.stdout


def test_cli_reports_failed_points_and_exits_non_zero(tmp_path, monkeypatch):
    """In-process (typer's runner) so that one point's simulation can be made to raise."""
    from typer.testing import CliRunner

    from ccsim.cli import app

    real = sweep_mod.simulate_chunk
    monkeypatch.setattr(sweep_mod, "simulate_chunk", fail_at(2, "queue table corrupted"))
    path = write_spec(tmp_path, small_spec(reps=2))
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "s"), "--workers", "1"])
    assert result.exit_code == 1
    output = result.output + (result.stderr if hasattr(result, "stderr") else "")
    assert "point 2 failed" in output and "queue table corrupted" in output
    assert "ccsim sweep --resume" in output
    monkeypatch.setattr(sweep_mod, "simulate_chunk", real)
    again = CliRunner().invoke(app, ["sweep", "--resume", str(tmp_path / "s"), "--workers", "1"])
    assert again.exit_code == 0, again.output


def test_overrides_change_the_base_scenario(tmp_path):
    quiet = ccsim.sweep(small_spec(reps=2), workers=1, out=tmp_path / "q", overrides=["arrivals.rate_per_hour=300"])
    busy = ccsim.sweep(small_spec(reps=2), workers=1, out=tmp_path / "b")
    assert quiet.runs["arrivals"].mean() < 0.6 * busy.runs["arrivals"].mean()
    stored = yaml.safe_load((tmp_path / "q" / "scenario.yaml").read_text())
    assert stored["arrivals"]["rate_per_hour"] == 300  # a resume uses what the sweep started with
    assert_clean_error(ccsim_cli("sweep", "--resume", tmp_path / "q", "--set", "seed=3"), "drop --reps/--out/--set")


class TestSize:
    """Points are counted from the spec before any is made; a bad value is reported once."""

    def test_a_huge_grid_is_refused_before_any_point_is_made(self, monkeypatch):
        def never(*args, **kwargs):
            raise AssertionError("the points were made before they were counted")

        monkeypatch.setattr(sweep_spec, "expand_grid", never)
        monkeypatch.setattr(sweep_spec, "expand_lhs", never)
        vary = {f"pools.agents.agents{k}": list(range(10)) for k in range(9)}  # 10^9 points
        with pytest.raises(ScenarioError) as info:
            load_spec(small_spec(vary=vary))
        (path, message), = info.value.problems
        assert "1,000,000,000 points" in message and f"at most {sweep_mod.MAX_POINTS:,} points" in message
        with pytest.raises(ScenarioError, match="1,000,000,000 points asked for; a sweep has at most 100,000"):
            load_spec(small_spec(vary=None, sample={"arrivals.rate_per_hour": {"low": 1, "high": 2}},
                                 points=1_000_000_000))

    def test_the_limit_is_the_count(self):
        spec = sweep_mod.SweepSpec.model_validate(small_spec(vary={"a": [1, 2, 3], "b": [1, 2], "c": [5]}))
        assert sweep_mod.count_points(spec) == len(sweep_mod.expand(spec)) == 6
        at_limit = {"a": list(range(100)), "b": list(range(1000))}  # exactly MAX_POINTS: allowed
        assert sweep_mod.count_points(sweep_mod.SweepSpec.model_validate(small_spec(vary=at_limit))) == 100_000
        with pytest.raises(ValueError, match="the grid has 100,001 points"):  # one more: refused
            sweep_mod.SweepSpec.model_validate(small_spec(vary={"a": list(range(100_001))}))

    def test_cli_refuses_a_huge_sweep_with_exit_2(self, tmp_path):
        path = write_spec(tmp_path, small_spec(vary=None, sample={"arrivals.rate_per_hour": {"low": 1, "high": 2}},
                                               points=1_000_000_000))
        proc = ccsim_cli("sweep", path, "--out", tmp_path / "never")
        assert_clean_error(proc, "1,000,000,000 points", "at most 100,000 points")
        assert not (tmp_path / "never").exists()

    def test_a_path_that_fails_at_every_point_is_reported_once(self):
        with pytest.raises(ScenarioError) as info:
            load_spec(small_spec(vary={"pools.nobody.agents": [1, 2, 3], "segments.all.patience.mean": [60, 120]}))
        (path, message), = info.value.problems
        assert path == "vary.pools.nobody.agents" and "no item named 'nobody'" in message
        assert "at all 6 points" in message

    def test_a_bad_value_lists_the_points_that_have_it(self):
        with pytest.raises(ScenarioError) as info:
            load_spec(small_spec(vary={"pools.agents.agents": [-1, 30], "segments.all.patience.mean": [60, 120, 180]}))
        (path, message), = info.value.problems
        assert path == "pools[0].agents" and "at 3 points: 0, 1, 2" in message
        assert "point 0: pools.agents.agents=-1, segments.all.patience.mean=60" in message

    def test_at_most_twenty_different_problems(self):
        with pytest.raises(ScenarioError) as info:
            load_spec(small_spec(vary={"pools.agents.agents": list(range(-30, 0)), "segments.all.patience.mean": [60]}))
        problems = info.value.problems
        assert len(problems) == sweep_mod.MAX_PROBLEMS + 1
        assert len({message for _, message in problems}) == len(problems)  # no line twice
        assert problems[-1] == ("vary", "and 10 more different problems (fix these first)")


def test_resume_uses_the_stored_spec(tmp_path):
    """Name, sort, replications (--reps included) and seed come from the folder, not defaults."""
    spec = small_spec(name="stored", sort="abandon_rate", seed=11, reps=5)
    path = write_spec(tmp_path, spec)
    folder = tmp_path / "s"
    whole = ccsim_cli("sweep", path, "--out", folder, "--reps", "2", "--workers", "1", "--json")
    assert whole.returncode == 0, whole.stderr
    expected = pd.read_parquet(folder / "runs.parquet")
    for task in sorted((folder / "tasks").glob("*.parquet"))[1:]:  # as if stopped after the first task
        task.unlink()
    (folder / "runs.parquet").unlink()
    (folder / "points.parquet").unlink()
    resumed = ccsim_cli("sweep", "--resume", folder, "--workers", "2", "--json")
    assert resumed.returncode == 0, resumed.stderr
    data = json.loads(resumed.stdout)
    assert data["sweep"] == "stored" and data["sorted_by"] == "abandon_rate"
    rates = [p["kpis"]["abandon_rate"]["mean"] for p in data["points"]]
    assert rates == sorted(rates)
    assert [p["replications"] for p in data["points"]] == [2] * 4  # --reps 2, not the spec's 5
    runs = pd.read_parquet(folder / "runs.parquet")
    pd.testing.assert_frame_equal(runs, expected, check_exact=True)  # same seed: same numbers
    table = ccsim_cli("sweep", "--resume", folder, "--workers", "1")
    assert "sorted by abandon_rate" in table.stdout and "stored: 4 points" in table.stdout
    assert ccsim.load_results(folder).sort == "abandon_rate"


def test_resume_refuses_points_that_no_longer_match(tmp_path):
    folder = tmp_path / "s"
    ccsim.sweep(small_spec(reps=1), workers=1, out=folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["points"][0]["params"]["pools.agents.agents"] = 99
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ScenarioError, match="differ from those in its manifest"):
        ccsim.sweep(resume=folder)


def test_one_point_one_replication_is_singular(tmp_path):
    path = write_spec(tmp_path, small_spec(reps=1, vary={"pools.agents.agents": [30]}))
    proc = ccsim_cli("sweep", path, "--out", tmp_path / "one", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert "small-sweep: 1 point," in proc.stdout and "1 points" not in proc.stdout
    assert proc.stderr.splitlines() == ["small-sweep: 1/1 replication (100%)"]
    assert re.search(r"runs\.parquet +1 row ", proc.stdout)
