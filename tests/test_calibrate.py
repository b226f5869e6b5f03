"""Calibration from a call log: on a log the simulator wrote (the true parameters are known),
then on the bank's log (skipped without the data)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import ccsim
from ccsim.errors import ScenarioError
from ccsim.planning import observed
from ccsim.planning.calibrate import calibrate, calibration_folder, distribution_mean, read_metadata, write_calibration
from ccsim.planning.calibrate_period import parse_dates, parse_days, parse_hours
from ccsim.planning.calibrate_synthetic import LOG_FORMAT, calls_from_contacts, write_log
from ccsim.planning.cdr import read_cdr

from .helpers import BANK_DATA

RATES = [60, 90, 120, 90, 60]
AGENTS = [4, 5.5, 7, 6, 4.5]  # fractional: time-shared, and must come back fractional
TRUE = {
    "name": "synthetic", "seed": 3,
    "horizon": {"hours": 5, "interval_minutes": 60, "start": "07:00"},
    "segments": [{"name": "callers", "share": 1.0}],
    "intents": [{"name": "A", "skill": "A", "rate_per_hour": RATES,
                 "handle_time": {"dist": "lognormal", "mean": 180, "cv": 1.0},
                 "patience": {"dist": "exponential", "mean": 300}}],
    "pools": [{"name": "agents", "agents": AGENTS, "skills": ["A"]}],
}
TRAIN = "2024-01-07..2024-01-26"  # 20 days; the simulated log has 40 (replication r = 2024-01-07 + r)
TEST = "2024-01-27..2024-02-15"


def simulated_log(scenario: dict = TRUE, days: int = 40) -> pd.DataFrame:
    result = ccsim.run(scenario, reps=days, keep_contacts=True, workers=1)
    return calls_from_contacts(result.contacts, result.scenario)


@pytest.fixture(scope="module")
def calls() -> pd.DataFrame:
    return simulated_log()


@pytest.fixture(scope="module")
def calibration(calls):
    return calibrate(calls, "2024-01-07..2024-02-05", days="all", hours="7-12", fit_grid=None, training_reps=0,
                     workers=1)


def test_arrivals_recovered_within_their_ci(calibration):
    offered = calibration.arrivals.offered["A"].to_numpy()
    days = calibration.arrivals.days
    assert days == 30
    # The mean of 30 Poisson counts: standard error sqrt(rate / 30); 3 of them either side.
    assert np.all(np.abs(offered - RATES) <= 3 * np.sqrt(np.array(RATES) / days)), offered
    assert calibration.arrivals.busyness_cv < 0.05  # no busier or quieter days were simulated
    assert calibration.data["intents"][0]["rate_per_hour"] == pytest.approx(offered.tolist())  # no redials here


def test_handle_times_recovered(calibration):
    fit = calibration.handle_times["A"]
    standard_error = 180 * 1.0 / np.sqrt(fit.calls)
    assert abs(fit.mean - 180) <= 3 * standard_error
    assert fit.chosen["dist"] == "lognormal"  # the true family, and close enough to be used (KS < 0.01)
    assert fit.chosen["mean"] == pytest.approx(180, abs=3 * standard_error)
    assert fit.chosen["cv"] == pytest.approx(1.0, abs=0.06)
    assert fit.fits.iloc[0]["family"] == "lognormal"


def test_patience_recovered(calibration):
    fit = calibration.patience["A"]
    curve = fit.curve.set_index("time")
    for t in (30, 60, 120, 240):
        row = curve[curve.index <= t].iloc[-1]
        assert row["low"] <= np.exp(-t / 300) <= row["high"], (t, row)  # the truth inside the 95 % band
    hung_up = int((fit.curve["hung_up"]).sum())
    assert abs(fit.exponential_mean - 300) <= 3 * 300 / np.sqrt(hung_up)
    assert distribution_mean(fit.distribution) == pytest.approx(300, rel=0.1)
    assert fit.distribution["dist"] == "survival"


def test_agents_present_recovered_fractional(calibration):
    presence = calibration.presence.groupby(level="interval").mean()["A"].to_numpy()
    # Rebuilt from the services: an agent idle before a first call is not seen, so at most a
    # few percent low; never rounded to whole agents.
    assert np.all(presence <= np.array(AGENTS) + 0.05), presence
    assert np.all(presence >= 0.95 * np.array(AGENTS)), presence
    assert abs(presence[1] - 5.5) < 0.2 and abs(presence[4] - 4.5) < 0.2
    pool = calibration.data["pools"][0]
    assert pool["skills"] == ["A"] and pool["agents"] == pytest.approx(presence, abs=1e-3)


def test_scenario_written_loads_and_runs(calibration, tmp_path):
    path = tmp_path / "center.yaml"
    write_calibration(calibration, path)
    text = path.read_text()
    assert text.startswith("# ") and "training period" in text
    scenario = ccsim.load_scenario(path)
    assert [i.name for i in scenario.intents] == ["A"] and scenario.horizon.start == "07:00"
    result = ccsim.run(scenario, reps=2, workers=1)
    assert result.summary().loc["offered", "mean"] > 0
    meta = read_metadata(path)
    assert meta["types"] == ["A"] and meta["erlang_patience"] == pytest.approx(calibration.erlang_patience, abs=0.01)
    assert (calibration_folder(path) / "calibration.json").is_file()
    with pytest.raises(ScenarioError, match="exists"):
        write_calibration(calibration, path)
    write_calibration(calibration, path, overwrite=True)


def test_fit_finds_the_after_call_work(calls):
    truth = json.loads(json.dumps(TRUE))
    truth["intents"][0]["wrapup"] = {"dist": "exponential", "mean": 40}
    wrapped = simulated_log(truth, days=16)
    grid = {"coarse": {"wrapup": [0, 40, 80], "reserve": [0], "reserve_after": [60], "balk": [0]},
            "fine": {"wrapup": [0, 20, 40, 60, 80]}}
    result = calibrate(wrapped, "2024-01-07..2024-01-22", days="all", hours="7-12", fit_grid=grid, fit_reps=2,
                       training_reps=0, workers=1)
    assert result.fit.best["wrapup"] in (20, 40, 60), result.fit.grid
    assert result.fit.grid["objective"].min() < 1  # better than Erlang A, which knows nothing of it
    assert result.data["intents"][0]["wrapup"] == {"dist": "exponential", "mean": result.fit.best["wrapup"]}


def test_bad_periods_and_types(calls):
    with pytest.raises(ScenarioError, match="--train"):
        calibrate(calls, "2024-13-01..2024-14-01", fit_grid=None)
    with pytest.raises(ScenarioError, match="empty period"):
        calibrate(calls, "2030-01..2030-02", hours="7-12", fit_grid=None)
    with pytest.raises(ScenarioError, match="no Z calls"):
        calibrate(calls, TRAIN, days="all", hours="7-12", types=["Z"], fit_grid=None)
    with pytest.raises(ScenarioError) as info:
        calibrate(calls, "2024-02-01..2024-01-01", days="Sun-Funday", hours="25-3", fit_grid=None)
    paths = [p for p, _ in info.value.problems]
    assert paths == ["--train", "--days", "--hours"]


def test_period_parsing():
    assert parse_dates("1999-07..1999-10") == (pd.Timestamp("1999-07-01"), pd.Timestamp("1999-10-31"))
    assert parse_dates("1999-02-03") == (pd.Timestamp("1999-02-03"),) * 2
    assert parse_days("Sun-Thu") == ("Sun", "Mon", "Tue", "Wed", "Thu")
    assert parse_days("Fri-Sun,Wed") == ("Fri", "Sat", "Sun", "Wed")
    assert parse_hours("7-24") == (7, 24)
    for bad in ("1999-02-30..1999-03-01", "1999/01/01..1999/02/01", "a..b..c"):
        with pytest.raises(ValueError):
            parse_dates(bad)
    with pytest.raises(ValueError, match="not a day of the week"):
        parse_days("Sun-Xyz")


def test_idle_gaps_count_as_presence_only_when_nobody_waited():
    """Agent X serves at 08:00 and 08:40. With nobody waiting in between they were idle, at
    work (idle_minutes=60 chains them); with a caller waiting 08:10-08:30 they were away."""
    def call(arrival, start=None, end=None, wait=0.0, agent=None, outcome="served"):
        return {"date": pd.Timestamp("2024-01-07"), "arrival": arrival, "queue_entry": arrival if wait else np.nan,
                "wait": wait, "service_start": start, "service_end": end, "service_time": None if start is None
                else end - start, "outcome": outcome, "agent": agent, "call_type": "A"}
    base = [call(8 * 3600, 8 * 3600, 8 * 3600 + 300, agent="X"), call(8 * 3600 + 2400, 8 * 3600 + 2400,
                                                                        8 * 3600 + 2700, agent="X")]
    idle = pd.DataFrame(base).astype({"agent": "string"})
    busy = pd.DataFrame(base + [call(8 * 3600 + 600, wait=1200.0, outcome="abandoned")]).astype({"agent": "string"})
    assert len(observed.presence_stretches(idle, 10, idle_minutes=60)) == 1
    assert len(observed.presence_stretches(idle, 10)) == 2  # the plain rule: a 35-minute gap is an absence
    assert len(observed.presence_stretches(busy, 10, idle_minutes=60)) == 2


def test_presence_in_a_period_ignores_the_days_after_it():
    """A type-B caller waits through X's gap on day 1; X serves only A that day, so the gap is
    idle time and X is present all along. On day 2 X serves a B call: that must not reach back
    into day 1 (the training period) and turn the gap into an absence."""
    def call(date, arrival, start=None, wait=0.0, agent=None, call_type="A", outcome="served"):
        return {"date": pd.Timestamp(date), "arrival": arrival, "queue_entry": arrival if wait else np.nan,
                "wait": wait, "service_start": start, "service_end": None if start is None else start + 300,
                "service_time": None if start is None else 300.0, "outcome": outcome, "agent": agent,
                "call_type": call_type}
    day1 = [call("2024-01-07", 28_800, 28_800, agent="X"), call("2024-01-07", 31_200, 31_200, agent="X"),
            call("2024-01-07", 29_400, wait=1200.0, call_type="B", outcome="abandoned")]
    day2 = [call("2024-01-08", 28_800, 28_800, agent="X", call_type="B")]
    calls = pd.DataFrame(day1 + day2).astype({"agent": "string"})
    kept = {"dates": ("2024-01-07", "2024-01-07"), "interval_minutes": 60, "gap_minutes": 10, "idle_minutes": 60}
    alone = observed.agent_presence(calls.iloc[:3], **kept)["agents_present"]
    assert alone.iloc[0] == pytest.approx(0.75)  # 08:00-08:45 at work: the gap was idle for want of A calls
    pd.testing.assert_series_equal(observed.agent_presence(calls, **kept)["agents_present"], alone)


def test_synthetic_log_round_trip(calls, tmp_path):
    day = calls[calls["date"] == calls["date"].min()]
    path = write_log(day, tmp_path / "log.csv")
    back = read_cdr(path, LOG_FORMAT)
    assert len(back) == len(day)
    assert back["outcome"].tolist() == day["outcome"].tolist()
    for column in ("arrival", "wait", "service_start", "service_time"):
        np.testing.assert_allclose(back[column].to_numpy(dtype=float), day[column].to_numpy(dtype=float))
    assert back["agent"].fillna("").tolist() == day["agent"].fillna("").tolist()


# -------------------------------------------------------------------------------------------------
# The bank's log


@pytest.fixture(scope="module")
def bank():
    if not BANK_DATA.is_dir():
        pytest.skip(f"real call-log data not found at {BANK_DATA} (shared/ is not beside the repo)")
    return read_cdr(BANK_DATA, "anonymous_bank")


@pytest.mark.slow
def test_bank_calibration_inputs(bank, tmp_path):
    result = calibrate(bank, "1999-01..1999-06", types=["PS"], fit_grid=None, training_reps=0, workers=1)
    assert len(result.train_days) == result.arrivals.days == 127  # Sun-Thu, January to June
    assert result.erlang_patience == pytest.approx(424.4, abs=0.5)  # the README's 424 s
    assert 175 < result.handle_times["PS"].mean < 195 and result.handle_times["PS"].chosen["dist"] == "empirical"
    km = result.patience["PS"]
    assert distribution_mean(km.distribution) > 2 * km.exponential_mean  # the hazard falls with the wait
    assert 0.3 < result.redials.probability < 0.6
    peak = result.presence.groupby(level="interval").mean()["PS"]
    assert peak.idxmax() in ("10:00", "11:00", "12:00", "13:00", "14:00") and 4 < peak.max() < 8
    assert result.data["horizon"] == {"hours": 17, "interval_minutes": 60.0, "start": "07:00", "drain": True}
    path = tmp_path / "bank_ps.yaml"
    write_calibration(result, path)
    assert yaml.safe_load(path.read_text())["intents"][0]["name"] == "PS"


def test_a_pool_name_that_would_be_a_call_type_is_refused():
    """Pools are named by their types joined with '-': agents serving A and B form pool 'A-B',
    which cannot be told apart from a call type named 'A-B'."""
    from ccsim.planning.calibrate_inputs import skill_sets
    from ccsim.planning.calibrate_period import Period

    rows = [{"date": pd.Timestamp("2024-01-07"), "arrival": 28_800.0 + 600 * k, "queue_entry": np.nan, "wait": 0.0,
             "service_start": 28_800.0 + 600 * k, "service_end": 29_000.0 + 600 * k, "service_time": 200.0,
             "outcome": "served", "agent": agent, "call_type": t}
            for k, (agent, t) in enumerate([("X", "A"), ("X", "B"), ("Y", "A-B")])]
    calls = pd.DataFrame(rows).astype({"agent": "string"})
    period = Period(pd.Timestamp("2024-01-07"), pd.Timestamp("2024-01-07"))
    assert skill_sets(calls, ["A", "B"], period) == {"X": "A-B"}  # Y serves none of these
    with pytest.raises(ScenarioError, match="a call type of its own"):
        skill_sets(calls, ["A", "B", "A-B"], period)
