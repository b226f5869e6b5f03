"""Arrivals: an exact piecewise-constant Poisson process, and streams that do not interfere."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from ccsim.engine.arrivals import poisson_arrival_times
from ccsim.engine.callers import draw_callers
from ccsim.engine.plan import compile_plan
from ccsim.engine.streams import Streams, stream_key
from ccsim.spec.loading import load_scenario

from .helpers import single_queue


def test_counts_per_interval_follow_the_rates():
    rates = np.array([0, 60, 600, 1200, 60, 0], float)
    reps = 400
    counts = np.zeros((reps, len(rates)))
    for r in range(reps):
        t = poisson_arrival_times(rates, 1800, np.random.default_rng(r))
        counts[r] = np.bincount((t // 1800).astype(int), minlength=len(rates))
    expected = rates / 2
    assert counts[:, 0].sum() == 0 and counts[:, -1].sum() == 0
    mean, sd = counts.mean(axis=0), counts.std(axis=0, ddof=1)
    half = stats.t.ppf(0.9995, reps - 1) * sd / np.sqrt(reps)
    assert np.all(np.abs(mean - expected)[1:-1] < half[1:-1])
    # Poisson: variance equals the mean (within sampling error of the variance).
    assert np.allclose(sd[1:-1] ** 2 / expected[1:-1], 1.0, atol=0.25)


def test_times_are_sorted_and_uniform_within_an_interval():
    t = poisson_arrival_times(np.array([3600.0]), 3600, np.random.default_rng(3))
    assert np.all(np.diff(t) >= 0) and t.min() >= 0 and t.max() < 3600
    # Given the count, times are uniform on the interval (Kolmogorov-Smirnov).
    assert stats.kstest(t / 3600, "uniform").pvalue > 0.001


def test_rate_jump_is_exact_not_smoothed():
    t = poisson_arrival_times(np.array([0.0, 36000.0]), 60, np.random.default_rng(0))
    assert t.min() >= 60


def test_same_seed_same_stream_and_names_are_independent():
    a, b = Streams(5, 0), Streams(5, 0)
    assert np.array_equal(a["arrivals"].random(5), b["arrivals"].random(5))
    assert not np.array_equal(Streams(5, 0)["arrivals"].random(5), Streams(5, 1)["arrivals"].random(5))
    assert not np.array_equal(Streams(5, 0)["arrivals"].random(5), Streams(5, 0)["patience"].random(5))
    assert stream_key("arrivals") == 3612958146  # fixed forever: changing it changes every result
    with pytest.raises(KeyError):
        Streams(1, 0)["nope"]


def test_common_random_numbers_across_staffing_and_routing():
    """Changing staffing (or adding a pool) leaves every caller exactly as it was."""
    base = load_scenario(single_queue(agents=30))
    other = single_queue(agents=[20, 40, 20, 40, 20, 40, 20, 40])
    other["pools"].append({"name": "backup", "agents": 5, "skills": [{"skill": "general", "after": 20}]})
    other = load_scenario(other)
    a = draw_callers(compile_plan(base), Streams(9, 2))
    b = draw_callers(compile_plan(other), Streams(9, 2))
    for field in ("arrival", "segment", "intent", "patience", "handle_time"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


def test_patience_quantiles_are_common_when_the_mean_changes():
    a = draw_callers(compile_plan(load_scenario(single_queue(patience=100))), Streams(1, 0))
    b = draw_callers(compile_plan(load_scenario(single_queue(patience=200))), Streams(1, 0))
    assert np.array_equal(a.arrival, b.arrival)
    assert np.allclose(b.patience, 2 * a.patience)
