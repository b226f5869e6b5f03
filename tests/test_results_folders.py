"""Results folders: checked before anything is simulated, sensible default names, the
contacts table only when it is small (or asked for), sizes reported, the user's umask."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import ccsim
from ccsim.cli import run as cli_run
from ccsim.experiments import runner, store
from ccsim.experiments.store import FolderError, FolderNotEmptyError, atomic_write_text, prepare_folder

from .helpers import single_queue
from .test_cli import assert_clean_error
from .test_cli import ccsim as ccsim_cli

PROGRESS = re.compile(r"replications? \(\d+%\)")


def scenario_file(tmp_path: Path, file: str = "small.yaml", **changes) -> Path:
    data = single_queue(hours=2, warmup_minutes=0)
    data.update(changes)
    path = tmp_path / file
    path.write_text(yaml.safe_dump(data))
    return path


def sweep_file(tmp_path: Path, **changes) -> Path:
    spec = {"name": "folders", "scenario": single_queue(hours=1, warmup_minutes=0), "reps": 2,
            "vary": {"pools.agents.agents": [28, 32]}}
    spec.update(changes)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def refused_before_simulating(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert_clean_error(proc, *fragments)
    assert not PROGRESS.search(proc.stderr), "it simulated before refusing"


class TestCheckedFirst:
    def test_out_under_a_file(self, tmp_path):
        blocker = tmp_path / "somefile"
        blocker.write_text("mine")
        a = scenario_file(tmp_path)
        for args in (("run", a), ("compare", a, "--set", "pools.agents.agents=30"), ("sweep", sweep_file(tmp_path))):
            proc = ccsim_cli(*args, "--out", blocker / "res")
            refused_before_simulating(proc, "--out:", f"{blocker} is a file, not a folder")
        assert blocker.read_text() == "mine"

    def test_out_name_too_long_for_the_file_system(self, tmp_path):
        limit = os.pathconf(tmp_path, "PC_NAME_MAX")
        long = tmp_path / ("x" * (limit + 45))
        for args in (("run", scenario_file(tmp_path)), ("sweep", sweep_file(tmp_path))):
            refused_before_simulating(ccsim_cli(*args, "--out", long), f"allows at most {limit}")

    def test_folders_holding_results(self, tmp_path):
        full = tmp_path / "full"
        full.mkdir()
        (full / "kpis.parquet").write_text("an older run")
        refused_before_simulating(ccsim_cli("run", scenario_file(tmp_path), "--out", full),
                                  "already holds results (kpis.parquet)", "--overwrite")
        refused_before_simulating(ccsim_cli("compare", scenario_file(tmp_path), "--set", "pools.agents.agents=30",
                                            "--out", full), "is not an empty folder")
        refused_before_simulating(ccsim_cli("sweep", sweep_file(tmp_path), "--out", full), "is not empty")
        assert (full / "kpis.parquet").read_text() == "an older run"

    def test_a_folder_that_cannot_be_written(self, tmp_path, monkeypatch):
        def denied(*args, **kwargs):
            raise PermissionError(errno.EACCES, "Permission denied")

        monkeypatch.setattr(store.tempfile, "mkstemp", denied)
        with pytest.raises(FolderError, match="cannot write in .*: permission denied"):
            prepare_folder(tmp_path / "new")
        assert not (tmp_path / "new").exists()  # made for the check, removed again

    @pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root may write anywhere")
    def test_a_read_only_folder(self, tmp_path):
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        try:
            refused_before_simulating(ccsim_cli("run", scenario_file(tmp_path), "--out", locked / "res"),
                                      "permission denied")
        finally:
            locked.chmod(0o700)

    def test_prepare_folder_rules(self, tmp_path):
        assert prepare_folder(tmp_path / "a" / "b") == tmp_path / "a" and (tmp_path / "a" / "b").is_dir()
        assert prepare_folder(tmp_path / "a" / "b") is None  # exists, empty: fine
        (tmp_path / "a" / "b" / "notes.txt").write_text("mine")
        assert prepare_folder(tmp_path / "a" / "b", results=["kpis.parquet"]) is None  # not results
        with pytest.raises(FolderNotEmptyError, match=r"not empty \(notes.txt\)"):
            prepare_folder(tmp_path / "a" / "b")
        with pytest.raises(FileExistsError):  # what callers of RunResult.write catch
            prepare_folder(tmp_path / "a" / "b")
        (tmp_path / "a" / "b" / "kpis.parquet").write_text("old")
        assert prepare_folder(tmp_path / "a" / "b", results=["kpis.parquet"], overwrite=True) is None
        assert not list((tmp_path / "a" / "b").glob(".*tmp"))  # the probe is gone

    def test_discard_removes_only_what_was_made_and_is_empty(self, tmp_path):
        created = prepare_folder(tmp_path / "results" / "run-1")
        store.discard_folder(tmp_path / "results" / "run-1", created)
        assert not (tmp_path / "results").exists()  # both made for the run, both empty
        (tmp_path / "results").mkdir()
        (tmp_path / "results" / "older-run").mkdir()
        created = prepare_folder(tmp_path / "results" / "run-2")
        assert created == tmp_path / "results" / "run-2"
        store.discard_folder(tmp_path / "results" / "run-2", created)
        assert [p.name for p in (tmp_path / "results").iterdir()] == ["older-run"]
        kept = prepare_folder(tmp_path / "results" / "run-3")
        (tmp_path / "results" / "run-3" / "kpis.parquet").write_text("written")
        store.discard_folder(tmp_path / "results" / "run-3", kept)
        assert (tmp_path / "results" / "run-3" / "kpis.parquet").is_file()


class TestDefaultNames:
    def test_a_long_scenario_name_gets_a_short_folder(self, tmp_path):
        name = "monday-" + "with-the-new-ivr-menu-" * 14  # 315 characters
        path = scenario_file(tmp_path, name=name)
        proc = ccsim_cli("run", path, "--reps", "1", "--json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        folder = Path(json.loads(proc.stdout)["folder"])
        assert folder.parent == Path("results") and len(folder.name) <= store.FOLDER_NAME_CHARS + 20
        assert folder.name.startswith("monday-with-the-new-ivr-menu-")
        assert json.loads((tmp_path / folder / "manifest.json").read_text())["name"] == name  # whole name kept

        compared = ccsim_cli("compare", path, "--set", "pools.agents.agents=30", "--reps", "2", "--json", cwd=tmp_path)
        assert compared.returncode == 0, compared.stderr
        assert len(Path(json.loads(compared.stdout)["folder"]).name) <= store.FOLDER_NAME_CHARS + 20

    def test_two_long_names_stay_apart(self):
        a = store.default_folder("north-site-" * 10 + "early")
        b = store.default_folder("north-site-" * 10 + "late")
        assert a != b and len(a.name) == len(b.name)
        assert store.default_folder("short").name.startswith("short-")


class TestContacts:
    def test_the_default_rule(self):
        s = ccsim.load_scenario(single_queue(rate=600, hours=4))  # 2,400 expected contacts a day
        assert runner.expected_contacts(s) == pytest.approx(2400)
        assert runner.keeps_contacts(s, 83) and not runner.keeps_contacts(s, 84)  # 200,000 / 2,400 = 83.3
        assert cli_run.CONTACTS_LIMIT == runner.CONTACTS_LIMIT  # the --help text says the same number

    def test_keep_contacts_none_true_false(self, monkeypatch):
        data = single_queue(hours=1, warmup_minutes=0)  # 600 expected contacts
        monkeypatch.setattr(runner, "CONTACTS_LIMIT", 1000)
        assert ccsim.run(data, reps=1).contacts is not None  # 600 <= 1,000
        assert ccsim.run(data, reps=2).contacts is None  # 1,200 > 1,000
        assert ccsim.run(data, reps=2, keep_contacts=True).contacts is not None
        assert ccsim.run(data, reps=1, keep_contacts=False).contacts is None

    def test_cli_switch_and_default(self, tmp_path):
        busy = scenario_file(tmp_path, file="busy.yaml", horizon={"hours": 1, "interval_minutes": 30},
                             arrivals={"rate_per_hour": 2100}, pools=[{"name": "agents", "agents": 120,
                                                                       "skills": ["general"]}])
        default = ccsim_cli("run", busy, "--reps", "100", "--workers", "1", "--out", tmp_path / "default")
        assert default.returncode == 0, default.stderr
        assert not (tmp_path / "default" / "contacts.parquet").exists()
        assert "contacts.parquet not written (about 210,000 contacts expected in 100 replications, more than " \
               "200,000; --contacts keeps them)" in default.stdout
        forced = ccsim_cli("run", busy, "--reps", "100", "--workers", "1", "--contacts", "--out", tmp_path / "forced")
        assert forced.returncode == 0, forced.stderr
        rows = len(pd.read_parquet(tmp_path / "forced" / "contacts.parquet"))
        assert rows > 200_000 and re.search(rf"contacts\.parquet +{rows:,} rows +[\d.]+ MB", forced.stdout)

        small = scenario_file(tmp_path)
        dropped = ccsim_cli("run", small, "--reps", "2", "--no-contacts", "--out", tmp_path / "dropped")
        assert dropped.returncode == 0, dropped.stderr
        assert not (tmp_path / "dropped" / "contacts.parquet").exists()
        assert "contacts.parquet not written (--no-contacts)" in dropped.stdout
        kept = ccsim_cli("run", small, "--reps", "2", "--out", tmp_path / "kept")
        assert kept.returncode == 0 and (tmp_path / "kept" / "contacts.parquet").is_file()

    def test_each_table_is_listed_with_rows_and_size(self, tmp_path):
        proc = ccsim_cli("run", scenario_file(tmp_path), "--reps", "2", "--out", tmp_path / "r")
        assert proc.returncode == 0, proc.stderr
        assert f"results written to {tmp_path / 'r'}/" in proc.stdout
        for table in ("kpis", "intervals", "pools", "contacts"):
            frame = pd.read_parquet(tmp_path / "r" / f"{table}.parquet")
            size = (tmp_path / "r" / f"{table}.parquet").stat().st_size
            shown = (f"{size:,} B" if size < 1000 else f"{size / 1000:,.1f} kB" if size < 1e6
                     else f"{size / 1e6:,.1f} MB")
            assert re.search(rf"{table}\.parquet +{len(frame):,} rows? +{re.escape(shown)}", proc.stdout), proc.stdout

    def test_one_replication_is_singular(self, tmp_path):
        proc = ccsim_cli("run", scenario_file(tmp_path), "--reps", "1", "--workers", "1", "--no-save")
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.splitlines() == ["test: 1/1 replication (100%)"]


class TestPermissions:
    @pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX permissions")
    @pytest.mark.parametrize("umask", [0o022, 0o027, 0o077, 0o002])
    def test_files_follow_the_umask(self, tmp_path, umask):
        previous = os.umask(umask)
        try:
            atomic_write_text(tmp_path / "report.txt", "for the team")
        finally:
            os.umask(previous)
        assert stat.S_IMODE((tmp_path / "report.txt").stat().st_mode) == 0o666 & ~umask

    @pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX permissions")
    def test_a_run_and_a_sweep_under_umask_027(self, tmp_path):
        exe = shutil.which("ccsim", path=os.path.dirname(sys.executable)) or shutil.which("ccsim")
        cwd = tmp_path / "cwd"
        cwd.mkdir()
        for args in (["run", str(scenario_file(tmp_path)), "--reps", "2", "--out", "run"],
                     ["sweep", str(sweep_file(tmp_path)), "--out", "sweep", "--workers", "1"]):
            proc = subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=300,
                                  preexec_fn=lambda: os.umask(0o027))
            assert proc.returncode == 0, proc.stderr
        files = [p for p in cwd.rglob("*") if p.is_file()]
        assert {"kpis.parquet", "manifest.json", "runs.parquet", "spec.yaml"} <= {p.name for p in files}
        assert any(p.parent.name == "tasks" for p in files)
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o640, path
        for path in [p for p in cwd.rglob("*") if p.is_dir()]:
            assert stat.S_IMODE(path.stat().st_mode) == 0o750, path


def test_summaries_become_plain_json():
    import numpy as np

    value = {"rate": np.float32(0.5), "pair": (1, np.int64(2)), "nan": float("nan"), "ok": np.bool_(True),
             3: [np.inf, -np.inf, "text", None]}
    plain = store.json_ready(value)
    assert plain == {"rate": 0.5, "pair": [1, 2], "nan": None, "ok": True, "3": [None, None, "text", None]}
    assert json.loads(json.dumps(plain, allow_nan=False)) == plain
    assert type(plain["pair"][1]) is int and type(plain["ok"]) is bool
