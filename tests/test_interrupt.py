"""Ctrl-C: one stops the work at once (no worker left behind), says what was kept, exits 130;
a second one during the stopping changes nothing; an interrupted sweep resumes.

The command-line tests send a real SIGINT to the ``ccsim`` entry point, either to the command
alone (``kill -INT``) or to its whole process group, as a terminal's Ctrl-C does. Every wait
has a hard limit, so a hang fails the test instead of blocking the run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import ccsim
from ccsim.experiments.executors import Interrupted, deferred_interrupts, interrupt_once

from .helpers import single_queue

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

#: Hard limits (seconds) of the waits; the work is sized so that waiting for all of it, as
#: before, would take longer than STOP_LIMIT.
START_LIMIT = 120
STOP_LIMIT = 10
PROGRESS = re.compile(r": [\d,]+/[\d,]+ replications? \(\d+%\)$")


def quick_day(tmp_path: Path) -> Path:
    """Half an hour of a small queue: a few milliseconds per replication."""
    path = tmp_path / "quick.yaml"
    path.write_text(yaml.safe_dump(single_queue(hours=0.5, interval_minutes=30, warmup_minutes=0)))
    return path


def sweep_spec(tmp_path: Path) -> Path:
    spec = {"name": "stoppable", "scenario": single_queue(hours=0.5, interval_minutes=30, warmup_minutes=0),
            "reps": 20, "sort": "abandon_rate",
            "vary": {"pools.agents.agents": [26, 28, 30, 32, 34], "segments.all.patience.mean": [60, 90, 120, 180]}}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


class Command:
    """``ccsim`` started in its own process group; stderr read as it comes."""

    def __init__(self, *args, cwd: Path):
        exe = shutil.which("ccsim", path=os.path.dirname(sys.executable)) or shutil.which("ccsim")
        assert exe, "the ccsim entry point is not installed (pip install -e .)"
        # Ctrl-C must reach the command even if this test runs where it is ignored (a
        # background job): the child starts with the default action, as from a terminal.
        self.proc = subprocess.Popen([exe, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True, env={**os.environ, "COLUMNS": "200"},
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines: list[str] = []
        self.working = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if PROGRESS.search(line.rstrip("\n")):
                self.working.set()

    def interrupt(self, group: bool, twice: bool) -> None:
        assert self.working.wait(START_LIMIT), f"no progress line: {self.lines}"
        assert self.proc.poll() is None, "the work ended before it could be interrupted; make it bigger"
        for k in range(2 if twice else 1):
            if k:
                time.sleep(0.05)  # the second Ctrl-C lands while the first is being handled
            if group:
                os.killpg(self.proc.pid, signal.SIGINT)
            else:
                self.proc.send_signal(signal.SIGINT)

    def wait(self) -> tuple[int, str]:
        try:
            code = self.proc.wait(STOP_LIMIT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"ccsim did not stop within {STOP_LIMIT} s of Ctrl-C: {self.lines[-5:]}")
        self.reader.join(STOP_LIMIT)
        return code, "\n".join(self.lines)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def left_in_group(pgid: int) -> list[str]:
    """Live processes (zombies aside) of a process group: workers that outlived the command."""
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(stat.parent.name)
    return live


def assert_nothing_left(pgid: int) -> None:
    if not Path("/proc").is_dir():
        return
    deadline = time.monotonic() + STOP_LIMIT
    while left_in_group(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not left_in_group(pgid), "worker processes outlived the command"


WAYS = [(1, "command", False), (2, "command", False), (2, "group", True)]


@pytest.mark.parametrize("workers, to, twice", WAYS, ids=["1-worker", "2-workers", "2-workers-terminal-twice"])
def test_run_stops_at_once_and_says_nothing_was_saved(tmp_path, workers, to, twice):
    # 12,000 replications: half a minute of work or more, of which only the first 5% is done.
    command = Command("run", quick_day(tmp_path), "--reps", "12000", "--workers", workers, cwd=tmp_path)
    try:
        command.interrupt(group=to == "group", twice=twice)
        code, stderr = command.wait()
    finally:
        command.kill()
    assert code == 130, stderr
    assert "Traceback" not in stderr
    done = int(re.search(r"interrupted after ([\d,]+) of 12,000 replications\.", stderr).group(1).replace(",", ""))
    assert 600 <= done < 12000
    assert "Nothing was saved" in stderr
    assert not (tmp_path / "results").exists()  # the folders made for the results are gone again
    assert_nothing_left(command.proc.pid)


@pytest.mark.parametrize("workers, to, twice", WAYS, ids=["1-worker", "2-workers", "2-workers-terminal-twice"])
def test_sweep_stops_keeps_finished_tasks_and_resumes(tmp_path, workers, to, twice):
    folder = tmp_path / "sweep"
    command = Command("sweep", sweep_spec(tmp_path), "--out", folder, "--workers", workers, cwd=tmp_path)
    try:
        command.interrupt(group=to == "group", twice=twice)
        code, stderr = command.wait()
    finally:
        command.kill()
    assert code == 130, stderr
    assert "Traceback" not in stderr
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["interrupted"]
    done = sum(p["replications_done"] for p in manifest["points"])
    assert 0 < done < 20 * 20
    kept = sum(len(pd.read_parquet(p)) for p in (folder / "tasks").glob("*.parquet"))
    assert kept == done  # every finished task is on disk, whole
    assert f"interrupted after {done} of 400 replications." in stderr
    resume = f"ccsim sweep --resume {shlex.quote(str(folder))}"
    assert resume in stderr.splitlines()[-1]
    assert_nothing_left(command.proc.pid)

    args = shlex.split(stderr.splitlines()[-1].split(": ", 1)[1])[1:]  # the printed command, as typed
    finished = subprocess.run([command.proc.args[0], *args, "--json"], capture_output=True, text=True,
                              cwd=tmp_path, timeout=START_LIMIT)
    assert finished.returncode == 0, finished.stderr
    data = json.loads(finished.stdout)
    assert data["sorted_by"] == "abandon_rate" and len(data["points"]) == 20
    assert all(p["replications"] == 20 for p in data["points"])
    assert json.loads((folder / "manifest.json").read_text())["status"] == "complete"


def test_compare_stops_and_says_nothing_was_saved(tmp_path):
    command = Command("compare", quick_day(tmp_path), "--set", "pools.agents.agents=30", "--reps", "6000",
                      "--workers", 2, cwd=tmp_path)
    try:
        command.interrupt(group=True, twice=False)
        code, stderr = command.wait()
    finally:
        command.kill()
    assert code == 130 and "Traceback" not in stderr, stderr
    assert re.search(r"interrupted after [\d,]+ of 12,000 replications\.", stderr)
    assert "Nothing was saved: a comparison is written only when both runs are done." in stderr
    assert not (tmp_path / "results").exists()
    assert_nothing_left(command.proc.pid)


# -------------------------------------------------------------------------------------------------
# The Python API: the same Ctrl-C, raised from inside the work (the progress callback).


def ctrl_c_at(first: int):
    """A progress callback that presses Ctrl-C (SIGINT to this process) once ``first`` are done."""

    def progress(done: int, total: int) -> None:
        if done >= first:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # the handler raises at once; never reached

    return progress


@pytest.fixture
def python_ctrl_c():
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("Ctrl-C is handled by someone else in this test process")
    yield
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    # No worker left: the parent has ended them; give the system a moment to reap them.
    for _ in range(100):
        if not multiprocessing.active_children():
            break
        time.sleep(0.1)
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("workers", [1, 2])
def test_api_run_raises_interrupted(python_ctrl_c, workers):
    with pytest.raises(Interrupted) as info:
        ccsim.run(single_queue(hours=0.5, warmup_minutes=0, interval_minutes=30), reps=400, workers=workers,
                  progress=ctrl_c_at(3))
    assert isinstance(info.value, KeyboardInterrupt) and info.value.folder is None
    assert 3 <= info.value.done < 400 and info.value.total == 400
    assert "nothing was saved" in str(info.value)


def test_api_sweep_interrupted_then_resumed_equals_uninterrupted(python_ctrl_c, tmp_path):
    spec = yaml.safe_load(sweep_spec(tmp_path).read_text())
    with pytest.raises(Interrupted) as info:
        ccsim.sweep(spec, workers=2, out=tmp_path / "s", progress=ctrl_c_at(20))
    assert info.value.folder == tmp_path / "s" and 20 <= info.value.done < 400
    assert json.loads((tmp_path / "s" / "manifest.json").read_text())["status"] == "interrupted"
    resumed = ccsim.sweep(resume=tmp_path / "s", workers=1)
    assert resumed.computed_replications == 400 - info.value.done
    whole = ccsim.sweep(spec, workers=1, out=tmp_path / "whole")
    pd.testing.assert_frame_equal(resumed.runs, whole.runs, check_exact=True)


@pytest.mark.slow
def test_api_dask_run_cancels_and_closes_its_cluster(python_ctrl_c):
    pytest.importorskip("distributed", reason="the [dask] extra is not installed")
    with pytest.raises(Interrupted):
        ccsim.run(single_queue(hours=0.5, warmup_minutes=0, interval_minutes=30), reps=400, workers=2,
                  executor="dask", progress=ctrl_c_at(3))


def test_a_second_ctrl_c_while_stopping_is_ignored(python_ctrl_c):
    stopped_cleanly = False
    with interrupt_once():
        try:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)  # interrupted at once
        except KeyboardInterrupt:
            os.kill(os.getpid(), signal.SIGINT)  # while cleaning up: ignored
            time.sleep(0.01)
            stopped_cleanly = True
    assert stopped_cleanly


def test_a_ctrl_c_in_a_deferred_block_waits_for_its_end(python_ctrl_c):
    steps = []
    with interrupt_once(), pytest.raises(KeyboardInterrupt):
        with deferred_interrupts():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
            steps.append("written")  # still runs: the task is written and counted together
            steps.append("counted")
        steps.append("never")
    assert steps == ["written", "counted"]
