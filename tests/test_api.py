"""The notebook API: what ``import ccsim`` offers and what a run returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ccsim
from ccsim.analysis.kpis import CONTACT_KPIS

from .helpers import SCENARIOS, single_queue


def test_exported_members():
    assert set(ccsim.__all__) == {"__version__", "Comparison", "compare", "erlang", "load_results", "load_scenario",
                                  "run", "simulate", "sweep", "SweepResult", "Outcome", "write_report", "trace",
                                  "staff", "schedule", "calibrate", "backtest", "RunResult", "Scenario",
                                  "ScenarioError", "plots"}
    for name in ccsim.__all__:
        assert hasattr(ccsim, name)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        ccsim.nonsense  # noqa: B018


def test_import_ccsim_is_light():
    """``import ccsim`` (and so every CLI command) loads no heavy library until a name is used."""
    import subprocess
    import sys

    code = ("import sys, ccsim, ccsim.cli; heavy = [m for m in ('pandas', 'scipy', 'matplotlib', 'pyarrow', 'simpy')"
            " if m in sys.modules]; print(','.join(heavy))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "", f"imported at start-up: {proc.stdout.strip()}"


@pytest.fixture(scope="module")
def result() -> ccsim.RunResult:
    return ccsim.run(SCENARIOS / "retail_bank_day.yaml", reps=3)


def test_run_returns_dataframes(result):
    s = result.scenario
    assert isinstance(result.kpis, pd.DataFrame) and list(result.kpis["replication"]) == [0, 1, 2]
    assert set(CONTACT_KPIS) <= set(result.kpis.columns)
    assert len(result.intervals) == 3 * s.n_intervals
    assert result.intervals["clock"].iloc[0] == "08:00"
    assert result.intervals["start"].iloc[1] == pd.Timedelta(hours=8, minutes=30)  # a time index works
    assert result.intervals["arrivals"].dtype == "int64" and result.kpis["answered"].dtype == "int64"
    assert list(result.pools["pool"].cat.categories) == [p.name for p in s.pools]
    assert len(result.pools) == 3 * len(s.pools)
    assert len(result.pool_intervals) == 3 * len(s.pools) * s.n_intervals
    assert result.contacts is not None and len(result.contacts) == result.simulated_contacts
    assert set(result.contacts["outcome"].cat.categories) == {o.name.lower() for o in ccsim.Outcome}


def test_summary_has_a_ci_per_kpi(result):
    summary = result.summary()
    assert list(summary.columns) == ["mean", "ci_low", "ci_high", "n"]
    row = summary.loc["service_level"]
    assert row.ci_low <= row["mean"] <= row.ci_high
    assert set(result.pool_summary()["pool"]) == {"generalists", "cards", "mortgage_specialists"}
    assert len(result.interval_summary()) == result.scenario.n_intervals * 6


def test_intervals_show_the_staffing_plan(result):
    first = result.intervals[result.intervals["replication"] == 0]
    assert first["staffed"].tolist()[:2] == [16 + 11 + 5, 16 + 11 + 5]
    occupancy = result.pool_intervals.dropna(subset=["occupancy"])["occupancy"]
    assert occupancy.between(0, 1 + 1e-9).all()


def test_run_accepts_a_dict_and_a_seed():
    a = ccsim.run(single_queue(hours=1, warmup_minutes=0), reps=2, seed=3, keep_contacts=False)
    b = ccsim.run(single_queue(hours=1, warmup_minutes=0), reps=2, seed=3, keep_contacts=False)
    assert a.contacts is None and a.seed == 3
    pd.testing.assert_frame_equal(a.kpis, b.kpis)


def test_reps_must_be_positive():
    with pytest.raises(ValueError):
        ccsim.run(single_queue(), reps=0)


def test_warmup_is_excluded():
    data = single_queue(hours=2, warmup_minutes=60, interval_minutes=60)
    result = ccsim.run(data, reps=1)
    contacts = result.contacts
    assert result.kpis["arrivals"].iloc[0] == (contacts["arrival"] >= 3600).sum()
    assert result.intervals["warmup"].tolist() == [True, False]
    # agent hours count from the end of the warm-up
    assert result.pools["staffed_hours"].iloc[0] == 32


def test_per_interval_kpis_follow_time_varying_arrivals_and_staffing():
    data = single_queue(hours=4, warmup_minutes=0, interval_minutes=60, rate=[60, 600, 60, 600],
                        agents=[10, 10, 40, 40], patience=None)
    result = ccsim.run(data, reps=5, keep_contacts=False)
    mean = result.intervals.groupby("interval")[["arrivals", "p_wait"]].mean()
    assert np.allclose(mean["arrivals"], [60, 600, 60, 600], rtol=0.15)
    # 600/h with 10 agents (30 Erlangs) queues badly; 600/h with 40 agents barely queues
    assert mean["p_wait"][1] > 0.9 and mean["p_wait"][3] < 0.3


def test_overwrite_leaves_no_file_of_the_older_run(tmp_path):
    data = single_queue(hours=1, warmup_minutes=0)
    ccsim.run(data, reps=1).write(tmp_path)
    assert (tmp_path / "contacts.parquet").exists()
    with pytest.raises(FileExistsError):
        ccsim.run(data, reps=1, keep_contacts=False).write(tmp_path)
    ccsim.run(data, reps=2, keep_contacts=False).write(tmp_path, overwrite=True)
    assert not (tmp_path / "contacts.parquet").exists()
    assert len(pd.read_parquet(tmp_path / "kpis.parquet")) == 2
