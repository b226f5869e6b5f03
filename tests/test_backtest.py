"""Backtests: on days the simulator wrote (small errors, calibrated intervals), the job
(resume, workers, Ctrl-C), the command line, and the bank's log (skipped without the data)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import yaml

from ccsim.errors import ScenarioError
from ccsim.experiments.executors import Interrupted
from ccsim.planning.backtest import backtest, execute_backtest, prepare_backtest
from ccsim.planning.backtest_score import pit_histogram
from ccsim.planning.calibrate import calibrate, write_calibration
from ccsim.planning.calibrate_synthetic import LOG_FORMAT, write_log
from ccsim.planning.cdr import read_cdr
from ccsim.planning.observed import erlang_a_reference

from .helpers import BANK_DATA
from .test_calibrate import TEST, TRAIN, simulated_log
from .test_cli import assert_clean_error, ccsim


@pytest.fixture(scope="module")
def calls() -> pd.DataFrame:
    return simulated_log()


@pytest.fixture(scope="module")
def calibrated(calls, tmp_path_factory):
    """A scenario calibrated on the first 20 simulated days (no fit: the truth has nothing to fit)."""
    result = calibrate(calls, TRAIN, days="all", hours="7-12", fit_grid=None, training_reps=0, workers=1)
    path = tmp_path_factory.mktemp("calibrated") / "center.yaml"
    write_calibration(result, path)
    return result, path


def test_small_errors_on_the_simulators_own_days(calls, calibrated):
    result, path = calibrated
    b = backtest(path, calls, TEST, reps=20, workers=1)
    assert b.settings["test_days"] == 20 and len(b.table) == 100
    hour = b.errors.loc[("pooled by hour", "ccsim")]
    # The scenario is the truth up to estimation: by hour of day within a point or two.
    assert hour["abandon_rate_mae"] < 1.5 and hour["service_level_mae"] < 3.5 and hour["asa_seconds_mae"] < 5
    assert abs(hour["service_level_bias"]) < 3
    erlang = erlang_a_reference(calls, patience_seconds=result.erlang_patience, call_types="A", gap_minutes=10,
                                idle_minutes=60, dates=("2024-01-27", "2024-02-15"), hours=(7, 12))
    assert b.errors.loc[("per interval", "erlang_a")].to_dict() == pytest.approx(
        erlang.errors.loc["per interval"].to_dict(), rel=1e-3)  # side by side: the reference (patience to 0.01 s)
    summary = json.loads(json.dumps(b.summary()))
    assert summary["errors"]["pooled by day"]["ccsim"]["service_level_mae"] >= 0


def test_calibrated_coverage_on_the_simulators_own_days(calls, calibrated):
    """Conditioned on what the simulation can know (the day's count of calls, not its service
    times), the observed values fall inside the predictive intervals as often as they should."""
    _, path = calibrated
    b = backtest(path, calls, TEST, reps=20, workers=1, arrivals="exact", service="scenario")
    for kpi, row in b.coverage.iterrows():
        assert abs(row["coverage50"] - 0.5) < 0.12, (kpi, row)
        assert abs(row["coverage90"] - 0.9) < 0.08, (kpi, row)
    histogram = pit_histogram(b.ranks)
    assert histogram.to_numpy().max() < 0.25  # no tenth holds more than a quarter of the intervals


def test_resume_and_workers_give_the_same_results(calls, calibrated, tmp_path):
    _, path = calibrated
    whole = backtest(path, calls, TEST, reps=4, workers=1, out=tmp_path / "whole")
    assert json.loads((tmp_path / "whole" / "manifest.json").read_text())["status"] == "complete"
    assert len(list((tmp_path / "whole" / "tasks").glob("d*.parquet"))) == 20
    # An interrupted run: half of its days on disk, the manifest says so.
    shutil.copytree(tmp_path / "whole", tmp_path / "half")
    for task in sorted((tmp_path / "half" / "tasks").glob("d*.parquet"))[::2]:
        task.unlink()
    manifest = json.loads((tmp_path / "half" / "manifest.json").read_text())
    (tmp_path / "half" / "manifest.json").write_text(json.dumps({**manifest, "status": "interrupted"}))
    (tmp_path / "half" / "tasks" / ".d000001.parquet.123.tmp").write_text("half-written")
    resumed = backtest(resume=tmp_path / "half", log=calls, workers=2)
    for table in ("table", "errors", "ranks", "coverage", "bands", "by_hour", "by_day", "sim"):
        pd.testing.assert_frame_equal(getattr(resumed, table), getattr(whole, table))
    assert not list((tmp_path / "half" / "tasks").glob(".*.tmp"))
    parallel = backtest(path, calls, TEST, reps=4, workers=2)
    pd.testing.assert_frame_equal(parallel.table, whole.table)


def test_an_interruption_keeps_the_finished_days(calls, calibrated, tmp_path):
    _, path = calibrated
    prepared = prepare_backtest(str(path), calls, TEST, reps=2, out=tmp_path / "bt")
    calls_made = []

    def stop_after_three(done: int, total: int) -> None:
        calls_made.append(done)
        if done >= 6:
            raise KeyboardInterrupt
    with pytest.raises(Interrupted) as info:
        execute_backtest(prepared, workers=1, progress=stop_after_three)
    assert info.value.folder == tmp_path / "bt" and info.value.done == 6
    assert json.loads((tmp_path / "bt" / "manifest.json").read_text())["status"] == "interrupted"
    assert len(list((tmp_path / "bt" / "tasks").glob("d*.parquet"))) == 3
    finished = backtest(resume=tmp_path / "bt", log=calls, workers=1)
    assert len(finished.table) == 100


def test_refused_periods_and_scenarios(calls, calibrated, tmp_path):
    _, path = calibrated
    with pytest.raises(ScenarioError, match="overlaps the training period"):
        backtest(path, calls, "2024-01-20..2024-01-30", reps=1)
    with pytest.raises(ScenarioError, match="empty period"):
        backtest(path, calls, "2030-01..2030-02", reps=1)
    with pytest.raises(ScenarioError, match="--test"):
        backtest(path, calls, "2024-02-31..2024-03-01", reps=1)
    other = yaml.safe_load(path.read_text())
    other["intents"][0]["name"] = other["intents"][0]["skill"] = other["pools"][0]["skills"][0] = "Z"
    with pytest.raises(ScenarioError, match="not call types of the log"):
        backtest(other, calls, TEST, reps=1, erlang_patience=300)
    with pytest.raises(ScenarioError, match="--erlang-patience"):
        backtest(yaml.safe_load(path.read_text()), calls, TEST, reps=1)


# -------------------------------------------------------------------------------------------------
# Two call types sharing agents: scoring one of them, names with dashes, nothing after training


TWO_TYPES = {
    "name": "two-types", "seed": 5,
    "horizon": {"hours": 5, "interval_minutes": 60, "start": "07:00"},
    "segments": [{"name": "callers", "share": 1.0}],
    "intents": [{"name": "A", "skill": "A", "rate_per_hour": [60, 90, 100, 80, 60],
                 "handle_time": {"dist": "lognormal", "mean": 180, "cv": 1.0},
                 "patience": {"dist": "exponential", "mean": 300}},
                {"name": "B-vip", "skill": "B-vip", "rate_per_hour": 30,
                 "handle_time": {"dist": "exponential", "mean": 150},
                 "patience": {"dist": "exponential", "mean": 100}}],
    "pools": [{"name": "a", "agents": 3, "skills": ["A"]}, {"name": "both", "agents": 3, "skills": ["A", "B-vip"]},
              {"name": "vip", "agents": 1.5, "skills": ["B-vip"]}],
}
TWO_TRAIN, TWO_TEST = "2024-01-07..2024-01-14", "2024-01-15..2024-01-20"


@pytest.fixture(scope="module")
def two_types():
    calls = simulated_log(TWO_TYPES, days=14)
    result = calibrate(calls, TWO_TRAIN, days="all", hours="7-12", fit_grid=None, training_reps=0, workers=1)
    return calls, result


def test_pools_by_skill_set_keep_type_names_with_dashes(two_types):
    _, result = two_types
    skills = {p["name"]: p["skills"] for p in result.data["pools"]}
    assert skills == {"A": ["A"], "A-B-vip": ["A", "B-vip"], "B-vip": ["B-vip"]}
    present = result.presence.groupby(level="interval").mean().mean()
    assert present["A-B-vip"] > 2.5 and present["B-vip"] > 1.0  # nobody's calls left without agents


def test_backtest_scores_the_types_asked_for(two_types, tmp_path):
    calls, result = two_types
    path = tmp_path / "two.yaml"
    write_calibration(result, path)
    prepared = prepare_backtest(str(path), calls, TWO_TEST, reps=2, types=["B-vip"])
    assert prepared.settings["scored"] == ["B-vip"]
    assert prepared.settings["erlang_patience"] == pytest.approx(result.patience["B-vip"].exponential_mean, abs=0.01)
    b = execute_backtest(prepared, workers=1)
    assert set(b.sim["queue"]) == {"B-vip"}
    offered_b = calls[(calls["call_type"] == "B-vip") & (calls["date"] >= "2024-01-15") & calls["wait"].notna()]
    assert b.table["offered"].sum() == len(offered_b)
    everything = backtest(path, calls, TWO_TEST, reps=2, workers=1)
    assert everything.settings["scored"] == ["A", "B-vip"] and everything.table["offered"].sum() > len(offered_b)


def test_a_scenario_whose_queues_are_not_named_by_the_call_types(two_types, tmp_path):
    calls, result = two_types
    data = yaml.safe_load(result.yaml())
    rename = {"A": "general", "B-vip": "premium"}
    for intent in data["intents"]:
        intent["skill"] = rename[intent["skill"]]
    for pool in data["pools"]:
        pool["skills"] = [rename[s] for s in pool["skills"]]
    b = backtest(data, calls, TWO_TEST, reps=4, workers=1, erlang_patience=result.erlang_patience)
    assert b.errors.loc[("pooled by hour", "ccsim"), "abandon_rate_mae"] < 5  # agents found: not all abandoned


def test_nothing_after_the_training_period_changes_the_calibration(two_types):
    calls, result = two_types
    first, last = pd.Timestamp("2024-01-07"), pd.Timestamp("2024-01-14")
    only_training = calls[calls["date"].between(first, last).to_numpy()]
    # After training, the agents of pool "a" take the B-vip calls too: other skill sets.
    later = (calls["date"] > last) & (calls["call_type"] == "B-vip") & calls["agent"].notna()
    changed = calls.assign(agent=calls["agent"].mask(later, "a-0"))
    for log in (only_training, changed):
        again = calibrate(log, TWO_TRAIN, days="all", hours="7-12", fit_grid=None, training_reps=0, workers=1)
        pd.testing.assert_frame_equal(again.erlang.errors, result.erlang.errors)
        pd.testing.assert_frame_equal(again.presence, result.presence)
        assert again.data == result.data


def test_logs_a_calibration_cannot_use(two_types):
    calls, _ = two_types
    with pytest.raises(ScenarioError, match="names its agent"):
        calibrate(calls.assign(agent=None), TWO_TRAIN, days="all", hours="7-12", fit_grid=None, training_reps=0)
    b_served = (calls["call_type"] == "B-vip") & (calls["outcome"] == "served")
    unanswered = calls.assign(outcome=calls["outcome"].mask(b_served, "abandoned"),
                              service_time=calls["service_time"].mask(b_served))
    with pytest.raises(ScenarioError, match="no answered B-vip call"):
        calibrate(unanswered, TWO_TRAIN, days="all", hours="7-12", fit_grid=None, training_reps=0)
    with pytest.raises(ScenarioError, match="--interval"):
        calibrate(calls, TWO_TRAIN, days="all", hours="7-10", interval=45, fit_grid=None, training_reps=0)
    with pytest.raises(ScenarioError, match="--reps"):
        prepare_backtest(TWO_TYPES, calls, TWO_TEST, reps=1001, erlang_patience=100)


# -------------------------------------------------------------------------------------------------
# The command line


@pytest.fixture(scope="module")
def log_files(calls, tmp_path_factory):
    folder = tmp_path_factory.mktemp("log")
    write_log(calls, folder / "calls.csv")
    (folder / "format.yaml").write_text(yaml.safe_dump(LOG_FORMAT))
    assert len(read_cdr(folder / "calls.csv", folder / "format.yaml")) == len(calls)
    return folder / "calls.csv", folder / "format.yaml"


@pytest.mark.slow
def test_cli_calibrate_then_backtest(log_files, tmp_path):
    log, mapping = log_files
    scenario = tmp_path / "center.yaml"
    proc = ccsim("calibrate", log, "--format", mapping, "--train", "2024-01-07..2024-01-16", "--days", "all",
                 "--hours", "7-12", "--no-fit", "--replay-reps", "2", "--workers", "1", "--out", scenario, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["types"] == ["A"] and data["fitted"] == {} and data["training_errors"]["pooled by hour"]["ccsim"]
    folder = tmp_path / "center-calibration"
    assert (folder / "report.html").is_file() and (folder / "patience_A.png").is_file()
    assert "Patience by call type and priority" in (folder / "report.html").read_text(encoding="utf-8")
    again = ccsim("calibrate", log, "--format", mapping, "--train", TRAIN, "--out", scenario)
    assert_clean_error(again, "exists", "--overwrite")
    out = tmp_path / "bt"
    proc = ccsim("backtest", scenario, log, "--format", mapping, "--test", "2024-01-27..2024-01-31", "--reps", "3",
                 "--workers", "1", "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "pooled by hour" in proc.stdout and "erlang a" in proc.stdout
    assert (out / "report.html").is_file() and (out / "by_hour.png").is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["test_days"] == 5 and summary["reps"] == 3
    overlap = ccsim("backtest", scenario, log, "--format", mapping, "--test", "2024-01-10..2024-01-30")
    assert_clean_error(overlap, "--test", "overlaps the training period")


def test_cli_errors_exit_2(log_files, calibrated, tmp_path):
    log, mapping = log_files
    _, scenario = calibrated
    for option, value in (("--arrivals", "sometimes"), ("--service", "weekly"), ("--reps", "5000")):
        assert_clean_error(ccsim("backtest", scenario, log, "--format", mapping, "--test", TEST, option, value,
                                 "--out", tmp_path / "bt"), option)
        assert not (tmp_path / "bt").exists()  # checked before anything is written: no empty folder left
    out = tmp_path / "x.yaml"
    # Every problem found before anything is read, one line each.
    assert_clean_error(ccsim("calibrate", tmp_path / "nowhere", "--train", "2024-13..2024-14", "--days", "Sun-Fun",
                             "--out", out), "LOG:", "does not exist", "--train:", "not a month", "--days:")
    assert_clean_error(ccsim("calibrate", log, "--format", mapping, "--train", "2030-01..2030-02", "--out", out),
                       "--train:", "empty period")
    assert_clean_error(ccsim("backtest", tmp_path / "none.yaml", tmp_path / "nowhere", "--test", TEST),
                       "SCENARIO:", "LOG:")
    assert_clean_error(ccsim("backtest", "--resume", tmp_path), "--resume:", "not a ccsim results folder")
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="sends SIGINT to a process group")
def test_cli_ctrl_c_then_resume(log_files, calibrated, tmp_path):
    log, mapping = log_files
    _, scenario = calibrated
    out = tmp_path / "bt"
    exe = shutil.which("ccsim", path=os.path.dirname(sys.executable)) or shutil.which("ccsim")
    proc = subprocess.Popen([exe, "backtest", str(scenario), str(log), "--format", str(mapping), "--test", TEST,
                             "--reps", "150", "--workers", "2", "--out", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            # A shell's background job (as CI may be) ignores Ctrl-C, and a child inherits that.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 120
    while not list((out / "tasks").glob("d*.parquet")) if (out / "tasks").is_dir() else True:
        assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "ccsim backtest --resume" in stderr and "Traceback" not in stderr
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    finished = ccsim("backtest", "--resume", out, "--workers", "2", "--json")
    assert finished.returncode == 0, finished.stderr
    assert json.loads(finished.stdout)["test_days"] == 20


# -------------------------------------------------------------------------------------------------
# The bank's log


@pytest.mark.slow
def test_bank_backtest_a_week_beside_erlang_a(tmp_path):
    if not BANK_DATA.is_dir():
        pytest.skip(f"real call-log data not found at {BANK_DATA} (shared/ is not beside the repo)")
    bank = read_cdr(BANK_DATA, "anonymous_bank")
    result = calibrate(bank, "1999-05..1999-06", types=["PS"], fit_grid=None, training_reps=0, workers=2)
    path = tmp_path / "bank_ps.yaml"
    write_calibration(result, path)
    b = backtest(path, bank, "1999-07-04..1999-07-08", reps=5, workers=2)
    assert b.settings["test_days"] == 5 and len(b.table) > 70
    reference = erlang_a_reference(bank, patience_seconds=result.erlang_patience, call_types="PS", gap_minutes=10,
                                   idle_minutes=60, dates=("1999-07-04", "1999-07-08"),
                                   weekdays=("Sun", "Mon", "Tue", "Wed", "Thu"), hours=(7, 24))
    assert b.errors.loc[("per interval", "erlang_a"), "service_level_mae"] == pytest.approx(
        reference.errors.loc["per interval", "service_level_mae"])
    assert np.isfinite(b.errors.to_numpy()).all()
