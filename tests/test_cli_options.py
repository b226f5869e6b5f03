"""The command line as a planner meets it: --version, shell completion, --executor as a choice
list, help that matches the README, tables that are not cut, units that say what they are."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ccsim.version import __version__

from .helpers import ROOT, single_queue
from .test_cli import ccsim, fresh_folder


def run_cli(*args: str, columns: int = 80, env: dict | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed ``ccsim`` in a terminal of ``columns`` characters (and extra environment)."""
    exe = shutil.which("ccsim", path=os.path.dirname(sys.executable)) or shutil.which("ccsim")
    cwd = cwd if cwd is not None else fresh_folder()
    environment = {**os.environ, "COLUMNS": str(columns), **(env or {})}
    return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=environment, cwd=cwd,
                          timeout=300)


def test_version():
    proc = ccsim("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"ccsim {__version__}"


def test_help_lists_the_commands_and_completion():
    proc = ccsim("--help")
    assert proc.returncode == 0
    for word in ("--version", "--install-completion", "--show-completion", "run", "compare", "sweep", "report",
                 "export", "check", "trace", "erlang"):
        assert word in proc.stdout, word


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine to detect")
def test_show_completion_prints_the_script_for_the_shell():
    exe = shutil.which("ccsim", path=os.path.dirname(sys.executable)) or shutil.which("ccsim")
    proc = subprocess.run(["bash", "-c", f"'{exe}' --show-completion"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "_CCSIM_COMPLETE=complete_bash" in proc.stdout and "complete " in proc.stdout


def test_completion_offers_commands_and_executors():
    commands = run_cli(env={"_CCSIM_COMPLETE": "complete_bash", "COMP_WORDS": "ccsim exp", "COMP_CWORD": "1"})
    assert commands.stdout.split() == ["export"]
    for command in ("compare", "sweep"):
        words = f"ccsim {command} --executor "
        values = run_cli(env={"_CCSIM_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": words})
        assert '"local"' in values.stdout and '"dask"' in values.stdout, command


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_executor_is_a_choice_list(command):
    proc = run_cli(command, "--help", columns=200)
    line = next(line for line in proc.stdout.splitlines() if "--executor" in line)
    assert "[local|dask]" in line and "local (worker processes on this machine) or dask" in line


def test_an_unknown_executor_is_refused_with_the_choices(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(single_queue(hours=1, warmup_minutes=0)))
    proc = ccsim("compare", path, "--set", "seed=2", "--executor", "spark")
    assert proc.returncode == 2 and "unknown executor 'spark'; allowed: local, dask" in proc.stderr


def readme_synopsis(command: str) -> list[str]:
    """The options of a command's synopsis lines in the README (`ccsim COMMAND ...`)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.startswith(f"`ccsim {command} ")]
    return sorted({option for line in lines for option in re.findall(r"--[a-z][a-z-]*", line)})


@pytest.mark.parametrize("command", ["compare", "sweep", "report", "export"])
def test_help_has_every_option_the_readme_names(command):
    proc = run_cli(command, "--help", columns=200)
    assert proc.returncode == 0
    for option in readme_synopsis(command):
        assert option in proc.stdout, f"ccsim {command} --help lacks {option}, which the README names"


def test_compare_help_says_it_takes_several_scenarios():
    proc = run_cli("compare", "--help", columns=200)
    assert "{SCENARIO}..." in proc.stdout and "then one or more scenarios B, each compared with A" in proc.stdout


@pytest.fixture(scope="module")
def sweep_spec(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spec")
    spec = {"name": "options", "scenario": single_queue(hours=1, warmup_minutes=0), "reps": 2,
            "vary": {"pools.agents.agents": [30, 34], "segments.all.patience.mean": [60, 240]}}
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def table_columns(text: str, border: str) -> list[str]:
    """The columns of a Rich table, each cell's lines joined top to bottom: ``border`` is ``┃``
    for the header, ``│`` for the body."""
    rows = [line.split(border)[1:-1] for line in text.splitlines() if line.startswith(border)]
    if not rows:
        return []
    glue = "" if border == "┃" else " "  # a header folds inside words; values between words
    return [" ".join(glue.join(row[k].strip() for row in rows).split()) for k in range(len(rows[0]))]


@pytest.mark.parametrize("columns", [80, 120])
def test_sweep_table_headers_are_never_cut(sweep_spec, tmp_path, columns):
    proc = run_cli("sweep", sweep_spec, "--workers", "1", "--out", tmp_path / "out", columns=columns)
    assert proc.returncode == 0, proc.stderr
    assert "…" not in proc.stdout
    headers = table_columns(proc.stdout, "┃")
    assert headers == ["point", "pools.agents.agents", "segments.all.patience.mean", "service_level", "abandon_rate",
                       "asa_seconds", "agent_cost"]
    values = dict(zip(headers, table_columns(proc.stdout, "│"), strict=True))
    # Half-widths of shares are percentage points; of times, seconds.
    assert re.search(r"\d%\s*± \d+\.\d\d pts", values["service_level"]), values["service_level"]
    assert re.search(r"s\s*± \d+\.\d s", values["asa_seconds"]), values["asa_seconds"]
    assert not re.search(r"± [\d.]+%", proc.stdout)


def test_one_replication_is_singular(sweep_spec, tmp_path):
    proc = run_cli("sweep", sweep_spec, "--reps", "1", "--workers", "1", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    assert "1 replications" not in proc.stdout + proc.stderr


def test_compare_costs_in_the_scenarios_currency(tmp_path):
    from ccsim.spec.scenario import Scenario

    if "currency" not in Scenario.model_fields:
        pytest.skip("the scenario has no currency key yet (ccsim/spec/scenario.py)")
    data = single_queue(hours=1, warmup_minutes=0, currency="EUR")
    data["pools"][0]["cost_per_hour"] = 30
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    proc = run_cli("compare", path, "--set", "pools.agents.agents=36", "--reps", "2", "--no-save", columns=200)
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if "agent_cost" in line)
    assert re.search(r"[\d,.]+ EUR", row) and re.search(r"\+[\d,.]+ EUR", row)
