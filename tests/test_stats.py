"""Confidence intervals over replications: inside each KPI's range, the Wilson interval for
shares, and coverage measured on known binomial cases (fixed seeds, tolerances from the
binomial uncertainty of the coverage itself)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsim.analysis.stats import _t_interval, is_rate, kpi_range, mean_ci, mean_ci_array, proportion_ci, summarize


def test_the_issues_cases_stay_in_range():
    # Few replications: a t interval of 59%–103% service level, an ASA of -3.5 s.
    sl = np.array([0.62, 0.97])
    assert _t_interval(sl, 0.95)[2] > 1  # what the plain t interval does
    mean, low, high = mean_ci(sl, kpi="service_level")
    assert 0 <= low <= mean <= high <= 1
    asa = np.array([2.0, 9.0])
    assert _t_interval(asa, 0.95)[1] < 0
    mean, low, high = mean_ci(asa, kpi="asa_seconds")
    assert low == 0 and high > mean == 5.5


@pytest.mark.parametrize("kpi, expected", [
    ("service_level", (0, 1)), ("abandon_rate", (0, 1)), ("fcr", (0, 1)), ("occupancy", (0, 1)),
    ("occupancy:tier1", (0, 1)), ("share", (0, 1)), ("asa_seconds", (0, math.inf)), ("arrivals", (0, math.inf)),
    ("cost_per_resolved", (0, math.inf)), ("staffed_hours", (0, math.inf)), ("effort_steps", (0, math.inf)),
    ("transfers_per_contact", (0, math.inf)), ("my_own_column", None), (None, None),
])
def test_kpi_ranges(kpi, expected):
    assert kpi_range(kpi) == expected


def test_without_a_kpi_the_plain_t_interval():
    # A difference (compare) may be negative: nothing clipped, symmetric.
    diff = np.array([-0.3, 0.1, 0.05])
    assert mean_ci(diff) == _t_interval(diff, 0.95)
    mean, low, high = mean_ci(diff)
    assert low < -0.3 and high - mean == pytest.approx(mean - low)


def test_degenerate_cases():
    assert all(math.isnan(v) for v in mean_ci(np.array([]), kpi="service_level"))
    mean, low, high = mean_ci(np.array([0.8, np.nan]), kpi="service_level")
    assert mean == 0.8 and math.isnan(low) and math.isnan(high)  # one replication: no interval
    assert mean_ci(np.array([1.0, 1.0, 1.0]), kpi="service_level") == (1.0, 1.0, 1.0)
    assert mean_ci(np.array([4.0, 4.0]), kpi="asa_seconds") == (4.0, 4.0, 4.0)


def test_wilson_interval_properties():
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(2, 8))
        values = rng.beta(rng.uniform(0.2, 30), rng.uniform(0.2, 3), size=n)
        mean, low, high = proportion_ci(values)
        assert 0 <= low <= mean <= high <= 1  # in range, around the mean
    # Near 100% it leans away from the bound: more room below the mean than above it.
    mean, low, high = proportion_ci(np.array([0.81, 0.93, 0.99]))
    assert high - mean < mean - low and high < 1
    # With many replications far from the bounds it is the t interval.
    values = rng.binomial(2000, 0.6, size=200) / 2000
    assert proportion_ci(values)[1:] == pytest.approx(_t_interval(values, 0.95)[1:], abs=2e-4)


def test_values_outside_0_1_are_not_treated_as_shares():
    # A bad column named like a share: the t interval, clipped, rather than nonsense.
    mean, low, high = mean_ci(np.array([0.5, 1.5]), kpi="service_level")
    assert mean == 1.0 and low == 0 and high == 1


def coverage(method, p: float, n: int, m: int, overdispersion: float, trials: int = 3000, seed: int = 11):
    """Share of intervals covering p: each replication's share is binomial(m, p_r)/m, with
    p_r = p (coin flips) or beta-distributed around p (days differ more than coin flips)."""
    rng = np.random.default_rng(seed)
    if overdispersion:
        a, b = p * (1 / overdispersion - 1), (1 - p) * (1 / overdispersion - 1)
        days = rng.beta(a, b, size=(trials, n))
    else:
        days = np.full((trials, n), p)
    values = rng.binomial(m, days) / m
    hits = 0
    for x in values:
        _, low, high = method(x)
        hits += low <= p <= high
    return hits / trials


def clipped_t(x):
    mean, low, high = _t_interval(x, 0.95)
    return mean, max(low, 0.0), min(high, 1.0)


def tolerance(coverage_rate: float, trials: int = 3000) -> float:
    """Three standard errors of a coverage estimated from ``trials`` intervals."""
    return 3 * math.sqrt(coverage_rate * (1 - coverage_rate) / trials)


@pytest.mark.parametrize("p, n", [(0.5, 3), (0.8, 3), (0.8, 5), (0.9, 10)])
def test_coverage_of_binomial_shares(p, n):
    # Replications of 500 contacts each, coin flips: the Wilson interval covers about 95%.
    covered = coverage(proportion_ci, p, n, 500, 0)
    assert covered >= 0.95 - tolerance(0.95)


@pytest.mark.parametrize("n", [3, 5])
def test_wilson_covers_shares_near_100_percent_better_than_t(n):
    # Days that differ more than coin flips (beta-binomial), service level near 98%: the t
    # interval covers about 88%, the Wilson interval 93-94% (3,000 intervals each).
    wilson = coverage(proportion_ci, 0.98, n, 500, 0.02)
    t = coverage(clipped_t, 0.98, n, 500, 0.02)
    assert wilson >= 0.935 - tolerance(0.935)
    assert wilson - t > 2 * tolerance(0.9)


def test_summarize_uses_each_columns_range():
    frame = pd.DataFrame({"replication": [0, 1], "service_level": [0.62, 0.97], "asa_seconds": [2.0, 9.0],
                          "arrivals": [100, 140], "custom": [-1.0, 1.0]})
    table = summarize(frame, ["service_level", "asa_seconds", "arrivals", "custom"]).set_index("kpi")
    assert 0 <= table.loc["service_level", "ci_low"] and table.loc["service_level", "ci_high"] <= 1
    assert table.loc["asa_seconds", "ci_low"] == 0 and table.loc["arrivals", "ci_low"] == 0
    assert table.loc["custom", "ci_low"] < -1  # a column ccsim does not know: not clipped


def test_is_rate():
    assert is_rate("fcr") and is_rate("occupancy:tier1") and is_rate("agent_occupancy_max")
    assert not is_rate("asa_seconds") and not is_rate("cost_per_resolved")


def test_run_summary_intervals_stay_in_range():
    import ccsim

    from .helpers import single_queue

    result = ccsim.run(single_queue(hours=1, warmup_minutes=0, agents=29), reps=2, keep_contacts=False)
    summary = result.summary()
    for kpi, row in summary.dropna().iterrows():
        low, high = kpi_range(kpi) or (-math.inf, math.inf)
        assert low <= row.ci_low <= row["mean"] <= row.ci_high <= high, kpi
    per_interval = result.interval_summary().dropna()
    assert (per_interval["ci_low"] >= 0).all()
    shares = per_interval[per_interval["kpi"].map(is_rate)]
    assert (shares["ci_high"] <= 1).all()


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=2, max_size=12),
       st.lists(st.floats(0, 5000, allow_nan=False), min_size=2, max_size=12))
def test_the_array_version_agrees_with_mean_ci(shares, seconds):
    """stats.mean_ci_array (used by staffing searches over many intervals at once) gives the
    interval ccsim run reports, for shares and for times."""
    for values, kpi in ((shares, "service_level"), (seconds, "asa_seconds")):
        x = np.array(values)
        mean, low, high, n = mean_ci_array(x[:, None], kpi == "service_level")
        expected = mean_ci(x, kpi=kpi)
        assert n[0] == len(x)
        np.testing.assert_allclose([mean[0], low[0], high[0]], expected, rtol=1e-9, atol=1e-12)
