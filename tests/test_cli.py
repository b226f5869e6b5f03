"""The ``ccsim`` command through its real entry point (a subprocess, as a planner runs it)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import pytest
import yaml

import ccsim as ccsim_api

from .helpers import SCENARIOS, single_queue

REQUIRED_KPIS = {"arrivals", "offered", "answered", "abandoned", "abandon_rate", "p_wait", "asa_seconds",
                 "mean_wait_seconds", "service_level", "aht_seconds"}


# Fresh folders for commands that save results, removed when the test session ends.
_SCRATCH = tempfile.TemporaryDirectory(prefix="ccsim-cli-")


def fresh_folder() -> Path:
    return Path(tempfile.mkdtemp(dir=_SCRATCH.name))


def ccsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``ccsim``; by default in a fresh empty folder (runs save results there)."""
    cwd = cwd if cwd is not None else fresh_folder()
    exe = shutil.which("ccsim", path=os.path.dirname(sys.executable)) or shutil.which("ccsim")
    assert exe, "the ccsim entry point is not installed (pip install -e .)"
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=300)


def small_file(tmp_path: Path, **changes) -> Path:
    data = single_queue(hours=2, warmup_minutes=0)
    data.update(changes)
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def assert_clean_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr


class TestRun:
    def test_json_output(self, tmp_path):
        proc = ccsim("run", small_file(tmp_path), "--reps", "3", "--json")
        assert proc.returncode == 0, proc.stderr
        data = json.loads(proc.stdout)
        assert data["scenario"] == "test" and data["replications"] == 3
        assert REQUIRED_KPIS <= set(data["kpis"])
        for value in data["kpis"].values():
            assert set(value) == {"mean", "ci_low", "ci_high"}
        assert set(data["pools"]["agents"]["occupancy"]) == {"mean", "ci_low", "ci_high"}
        assert proc.stderr == ""

    def test_seed_option_changes_and_fixes_results(self, tmp_path):
        path = small_file(tmp_path)
        a = json.loads(ccsim("run", path, "--reps", "2", "--json", "--seed", "5").stdout)
        b = json.loads(ccsim("run", path, "--reps", "2", "--json", "--seed", "5").stdout)
        c = json.loads(ccsim("run", path, "--reps", "2", "--json", "--seed", "6").stdout)
        assert a["kpis"] == b["kpis"] and a["kpis"] != c["kpis"] and a["seed"] == 5
        assert a["folder"] != b["folder"]  # each run keeps its own results folder

    def test_table_output(self):
        proc = ccsim("run", SCENARIOS / "erlang_a.yaml", "--reps", "2")
        assert proc.returncode == 0, proc.stderr
        for word in ("service_level", "95% CI", "occupancy", "agents"):
            assert word in proc.stdout

    def test_out_writes_tables_and_refuses_to_overwrite(self, tmp_path):
        out = tmp_path / "res"
        proc = ccsim("run", small_file(tmp_path), "--reps", "2", "--out", out)
        assert proc.returncode == 0, proc.stderr
        for name in ("scenario.yaml", "summary.json", "kpis.parquet", "intervals.parquet", "pools.parquet",
                     "pool_intervals.parquet", "contacts.parquet"):
            assert (out / name).is_file(), name
        assert len(pd.read_parquet(out / "kpis.parquet")) == 2
        assert set(pd.read_parquet(out / "contacts.parquet")["replication"]) == {0, 1}
        assert yaml.safe_load((out / "scenario.yaml").read_text())["name"] == "test"
        assert not list(out.glob(".*tmp"))  # no temporary files left behind
        before = (out / "kpis.parquet").read_bytes()
        again = ccsim("run", small_file(tmp_path), "--reps", "3", "--out", out)
        assert_clean_error(again, "already holds results", "--overwrite")
        assert (out / "kpis.parquet").read_bytes() == before
        forced = ccsim("run", small_file(tmp_path), "--reps", "3", "--out", out, "--overwrite")
        assert forced.returncode == 0 and len(pd.read_parquet(out / "kpis.parquet")) == 3

    def test_out_must_be_a_folder(self, tmp_path):
        target = tmp_path / "file.txt"
        target.write_text("mine")
        assert_clean_error(ccsim("run", small_file(tmp_path), "--out", target), "not a folder")
        assert target.read_text() == "mine"


class TestBadInput:
    def test_invalid_scenario(self, tmp_path):
        data = single_queue()
        data["pools"][0]["agents"] = [1, 2]
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(data))
        for command in ("run", "check"):
            assert_clean_error(ccsim(command, path), "pools[0].agents", "has 2 values")

    def test_missing_file(self, tmp_path):
        assert_clean_error(ccsim("run", tmp_path / "nope.yaml"), "no such file")

    def test_yaml_syntax(self, tmp_path):
        path = tmp_path / "bad.yaml"
        path.write_text("name: [unclosed\n")
        assert_clean_error(ccsim("check", path), "not valid YAML")

    @pytest.mark.parametrize("args", [("--reps", "0"), ("--reps", "many"), ("--seed", "-1"), ("--bogus",)])
    def test_bad_options(self, tmp_path, args):
        proc = ccsim("run", small_file(tmp_path), *args)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr

    def test_erlang_bad_values(self):
        assert_clean_error(ccsim("erlang", "--rate-per-hour", "0", "--aht", "180", "--agents", "3"), "--rate-per-hour")
        assert_clean_error(ccsim("erlang", "--rate-per-hour", "600", "--aht", "180", "--agents", "30"),
                           "grows without bound")


def test_check_describes_the_scenario():
    proc = ccsim("check", SCENARIOS / "retail_bank_day.yaml")
    assert proc.returncode == 0, proc.stderr
    for fragment in ("retail-bank-day", "valid scenario", "24 intervals", "peak", "generalists",
                     "overflow after 60 s", "mortgage_specialists"):
        assert fragment in proc.stdout


def test_erlang_command_prints_the_analytic_values():
    proc = ccsim("erlang", "--rate-per-hour", "600", "--aht", "180", "--agents", "32", "--patience", "120", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["model"] == "erlang_a" and 0.05 < data["abandon_rate"] < 0.052
    table = ccsim("erlang", "--rate-per-hour", "600", "--aht", "180", "--agents", "33")
    assert "Erlang C" in table.stdout and "p_wait" in table.stdout


def test_help_lists_the_commands():
    proc = ccsim("--help")
    assert proc.returncode == 0
    for command in ("run", "check", "erlang"):
        assert command in proc.stdout


def test_progress_lines_when_not_on_a_terminal(tmp_path):
    proc = ccsim("run", small_file(tmp_path), "--reps", "4", "--workers", "1", "--no-save")
    assert proc.returncode == 0
    assert proc.stderr.splitlines() == [f"test: {k}/4 replications ({25 * k}%)" for k in range(1, 5)]
    quiet = ccsim("run", small_file(tmp_path), "--reps", "4", "--json", "--no-save")
    assert quiet.stderr == ""


def test_run_saves_a_results_folder_by_default(tmp_path):
    proc = ccsim("run", small_file(tmp_path), "--reps", "2", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    folder = Path(json.loads(proc.stdout)["folder"])
    assert folder.parent == Path("results") and (tmp_path / folder / "manifest.json").is_file()
    manifest = json.loads((tmp_path / folder / "manifest.json").read_text())
    assert manifest["kind"] == "run" and manifest["replications"] == 2 and manifest["seed"] == 1
    assert "ccsim run" in manifest["command"] and manifest["status"] == "complete"
    loaded = ccsim_api.load_results(tmp_path / folder)
    assert len(loaded.kpis) == 2


def test_no_save_writes_nothing(tmp_path):
    proc = ccsim("run", small_file(tmp_path), "--reps", "2", "--no-save", cwd=tmp_path)
    assert proc.returncode == 0 and not (tmp_path / "results").exists()
    assert_clean_error(ccsim("run", small_file(tmp_path), "--no-save", "--out", tmp_path / "x"), "--no-save")


def test_executor_options_are_checked(tmp_path):
    assert_clean_error(ccsim("run", small_file(tmp_path), "--executor", "spark"), "unknown executor 'spark'")
    assert_clean_error(ccsim("run", small_file(tmp_path), "--scheduler", "tcp://127.0.0.1:1"),
                       "goes with --executor dask")


def test_progress_lines_every_five_percent(tmp_path):
    proc = ccsim("run", small_file(tmp_path, horizon={"hours": 0.25, "interval_minutes": 15}), "--reps", "100",
                 "--workers", "1", "--no-save")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 20 and lines[0] == "test: 5/100 replications (5%)" and lines[-1].endswith("(100%)")


def test_check_of_a_long_horizon_leaves_out_the_interval_tables_unless_asked():
    week = SCENARIOS / "call_center_week.yaml"
    short = ccsim("check", week)
    assert short.returncode == 0, short.stderr
    assert "168 intervals: ccsim check --intervals prints the per-interval tables" in short.stdout
    full = ccsim("check", week, "--intervals")
    assert "scheduled (shifts less breaks" in full.stdout and "│ 10:00    │ 20.5 / 17.5 │" in full.stdout
