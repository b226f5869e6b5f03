"""Scoring a backtest: the rank of the observed value among the replications is uniform when the
observed value is drawn like a replication, whatever the number of replications and however
many ties; pooled predictions weigh only the intervals they exist for."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ccsim.planning.backtest_score import calibration, pit_histogram, pooled, with_ratios

COUNTS = ["offered", "answered", "abandoned", "answered_within", "wait_answered"]


def exchangeable(reps: int, p_abandon: float, intervals: int = 4000, seed: int = 7):
    """Per interval, the observed day and ``reps`` replications drawn alike: 60 calls, each
    abandoned with ``p_abandon``, the answered within the threshold with 0.6, waits ~ 40 s."""
    rng = np.random.default_rng(seed)
    draws = reps + 1
    offered = np.full((intervals, draws), 60)
    abandoned = rng.binomial(offered, p_abandon)
    answered = offered - abandoned
    within = rng.binomial(answered, 0.6)
    wait = rng.gamma(np.maximum(answered, 1), 40.0) * (answered > 0)
    index = pd.MultiIndex.from_product([pd.date_range("2024-01-01", periods=intervals // 4), ["09:00", "10:00",
                                        "11:00", "12:00"]], names=["date", "interval"])
    def frame(k: int) -> pd.DataFrame:
        return pd.DataFrame({"offered": offered[:, k], "answered": answered[:, k], "abandoned": abandoned[:, k],
                             "answered_within": within[:, k], "wait_answered": wait[:, k]}, index=index)
    observed = with_ratios(frame(0)).rename(columns={"answered_within": "answered_in_sl"})
    sim = pd.concat([frame(k + 1).assign(replication=k) for k in range(reps)]).reset_index()
    return sim, observed


@pytest.mark.parametrize(("reps", "p_abandon"), [(4, 0.1), (20, 0.1), (40, 0.02)])
def test_coverage_is_nominal_for_an_exchangeable_observation(reps, p_abandon):
    sim, observed = exchangeable(reps, p_abandon)
    ranks, coverage = calibration(sim, observed)
    # 4,000 intervals: a coverage's standard error is at most 0.008; the tolerance is 5 of them.
    for kpi, row in coverage.iterrows():
        assert row["coverage50"] == pytest.approx(0.5, abs=0.04), (kpi, reps, row)
        assert row["coverage90"] == pytest.approx(0.9, abs=0.025), (kpi, reps, row)
    histogram = pit_histogram(ranks)
    assert histogram.sum().to_numpy() == pytest.approx(1.0)
    assert np.abs(histogram.to_numpy() - 0.1).max() < 0.025, histogram  # flat, ties or not (p 0.02: many zeros)
    assert (ranks["rank_low"] < ranks["rank_high"]).all()


def test_a_biased_model_is_seen_as_one():
    sim, observed = exchangeable(20, 0.1)
    sim["abandoned"] = np.minimum(sim["offered"], sim["abandoned"] * 2)  # predicts twice the hang-ups
    sim["answered"] = sim["offered"] - sim["abandoned"]
    ranks, coverage = calibration(sim, observed)
    assert coverage.loc["abandon_rate", "coverage90"] < 0.8 and coverage.loc["abandon_rate", "coverage50"] < 0.35
    low = ranks[ranks["kpi"] == "abandon_rate"]["rank"]
    assert low.mean() < 0.25  # the observed value sits low among replications that overpredict


def test_pooled_predictions_weigh_only_the_intervals_they_exist_for():
    index = pd.MultiIndex.from_tuples([("2024-01-01", "09:00"), ("2024-01-02", "09:00")], names=["date", "interval"])
    table = pd.DataFrame({"offered": [100, 100], "answered": [90, 80], "abandoned": [10, 20],
                          "answered_in_sl": [50, 40], "abandon_rate": [0.1, 0.2], "asa_seconds": [30.0, 50.0],
                          "service_level": [0.5, 0.4], "abandon_rate_m": [0.12, np.nan],
                          "asa_seconds_m": [35.0, np.nan], "service_level_m": [0.45, np.nan]}, index=index)
    hour = pooled(table, "interval", ["m"]).iloc[0]
    assert hour["abandon_rate"] == pytest.approx(0.15) and hour["service_level"] == pytest.approx(0.45)
    assert hour["abandon_rate_m"] == pytest.approx(0.12)  # the second day has no prediction: not a zero
    assert hour["service_level_m"] == pytest.approx(0.45) and hour["asa_seconds_m"] == pytest.approx(35.0)
