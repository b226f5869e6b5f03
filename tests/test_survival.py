"""Patience from censored waits (Kaplan-Meier by scipy), the ``survival`` distribution it
becomes, and a scenario that uses it; the bank's log is skipped without the data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter
from scipy import stats

import ccsim
from ccsim.errors import ScenarioError
from ccsim.planning.cdr import read_cdr
from ccsim.planning.survival import (
    exponential_patience,
    patience_curve,
    patience_distribution,
    patience_hazard,
    patience_summary,
)
from ccsim.spec.distributions import Distribution, Exponential, Survival

from .helpers import BANK_DATA, single_queue

ADAPTER = TypeAdapter(Distribution)


def waits(abandoned=(), served=(), other=(), ignored=(), ivr=0, call_type="A", priority=0, rng=None):
    """Canonical calls with the given waits; ``ivr`` callers hung up before the queue."""
    rows = [(w, "abandoned") for w in abandoned] + [(w, "served") for w in served]
    rows += [(w, "other") for w in other] + [(w, "ignored") for w in ignored] + [(np.nan, "abandoned")] * ivr
    return pd.DataFrame({
        "date": pd.Timestamp("1999-03-07"), "arrival": 36_000.0, "wait": [w for w, _ in rows],
        "outcome": [o for _, o in rows], "call_type": call_type, "priority": priority,
    })


SMALL = waits(abandoned=[10, 30, 30, 50], served=[20, 40, 0], other=[35], ignored=[5], ivr=2)


def test_kaplan_meier_by_hand_and_by_scipy():
    curve = patience_curve(SMALL).set_index("time")
    # 7 callers waited: hang-ups at 10 (1 of 7), 30 (2 of 5), 50 (1 of 1); the answered (20,
    # 40) and the transferred (35) are censored; 0 s waits, IVR hang-ups, ignored calls are out
    assert curve["survival"].to_dict() == pytest.approx({10: 6 / 7, 20: 6 / 7, 30: 18 / 35, 35: 18 / 35,
                                                         40: 18 / 35, 50: 0})
    assert curve["at_risk"].tolist() == [7, 6, 5, 3, 2, 1] and curve["hung_up"].tolist() == [1, 0, 2, 0, 0, 1]
    scipy_sf = stats.ecdf(stats.CensoredData(uncensored=[10, 30, 30, 50], right=[20, 40, 35])).sf
    assert np.allclose(curve["survival"], scipy_sf.probabilities)
    band = curve.dropna()  # the band is undefined where survival reaches 0
    assert (band["low"] <= band["survival"]).all() and (band["survival"] <= band["high"]).all()


def test_hazard_per_stretch_and_exponential_patience():
    h = patience_hazard(SMALL, edges=(0, 30, np.inf))
    # seconds waited in (0, 30]: 10+30+30+30+20+30+30 = 180 with 3 hang-ups; beyond: 20+5+10 with 1
    assert h["exposure_seconds"].tolist() == [180, 35] and h["hung_up"].tolist() == [3, 1]
    assert h["hazard_per_second"].tolist() == pytest.approx([3 / 180, 1 / 35])
    assert exponential_patience(SMALL) == pytest.approx(215 / 4)
    assert exponential_patience(waits(served=[10, 20])) == math.inf


def test_filters_by_type_and_priority():
    calls = pd.concat([waits(abandoned=[10], served=[20]), waits(abandoned=[100], call_type="B", priority=2)])
    assert exponential_patience(calls, "A") == 30 and exponential_patience(calls, priorities=[2]) == 100
    summary = patience_summary(calls, by=("call_type", "priority"), min_at_risk=1)
    assert summary.loc[("A", 0), "waited"] == 2 and summary.loc[("B", 2), "hung_up"] == 1


def piecewise_patience(n, seed):
    """Callers whose hazard of hanging up is 0.004/s for 300 s, then 0.0006/s; each is answered
    after an exponential time of mean 300 s unless they hung up first."""
    rng = np.random.default_rng(seed)
    e = rng.exponential(size=n)  # cumulative hazard reached at the hang-up
    patience = np.where(e < 1.2, e / 0.004, 300 + (e - 1.2) / 0.0006)
    answer = rng.exponential(300, size=n)
    return waits(abandoned=patience[patience < answer], served=answer[patience >= answer])


def true_survival(t):
    return np.where(t < 300, np.exp(-0.004 * t), np.exp(-1.2 - 0.0006 * (t - 300)))


def test_fitted_distribution_follows_the_true_curve():
    calls = piecewise_patience(40_000, seed=11)
    d = patience_distribution(calls)
    assert len(d.times) <= 60 and d.times[0] == 0 and d.survival[0] == 1
    reliable = patience_curve(calls)
    assert d.times[-1] == reliable.loc[reliable["at_risk"] >= 100, "time"].max()
    # S of the model at the quantiles it returns, against the truth: the KM standard error is
    # below 0.006 up to 900 s, so 0.02 is over 3 of them plus the interpolation
    t = np.array([30, 100, 200, 300, 450, 600, 900])
    u = np.linspace(0, 0.999, 20_000)
    model = np.interp(t, d.ppf(u), 1 - u)
    assert np.abs(model - true_survival(t)).max() < 0.02
    # the tail hazard, 0.0006/s, from the last 50-odd hang-ups: 14 % standard error
    assert 1 / d.tail_mean == pytest.approx(0.0006, rel=0.42)
    true_mean = (1 - math.exp(-1.2)) / 0.004 + math.exp(-1.2) / 0.0006
    assert d.mean == pytest.approx(true_mean, rel=0.27)  # over ten seeds: 595 to 794 s for 677 s
    assert exponential_patience(calls) < 0.6 * true_mean  # an exponential fit is far off
    assert len(patience_distribution(calls, max_points=12).times) <= 12
    assert patience_distribution(calls, tail_mean=999).tail_mean == 999


def test_too_little_data_is_refused():
    with pytest.raises(ValueError, match="only 7 callers waited"):
        patience_distribution(SMALL)
    with pytest.raises(ValueError, match="no caller hung up"):
        patience_distribution(waits(served=range(1, 200)))


# ---------------------------------------------------------------------------------------------
# The survival distribution.


def make(**form):
    return ADAPTER.validate_python({"dist": "survival", **form})


def test_one_stretch_without_tail_is_an_exponential():
    d = make(times=[0, 100], survival=[1, 0.5])
    u = np.linspace(0, 0.999, 101)
    twin = Exponential(dist="exponential", mean=100 / math.log(2))
    assert np.allclose(d.ppf(u), twin.ppf(u)) and d.mean == pytest.approx(twin.mean)
    assert float(d.ppf(0.5)) == pytest.approx(100) and np.ndim(d.ppf(0.5)) == 0


@pytest.mark.parametrize("form, mean", [
    ({"times": [0, 100], "survival": [1, 0.5], "tail_mean": 300}, 50 / math.log(2) + 0.5 * 300),
    ({"times": [0, 60, 120], "survival": [1, 0.5, 0]}, 30 / math.log(2) + 0.5 * 60 / 2),
    ({"times": [0, 10, 20, 30], "survival": [1, 0.8, 0.8, 0.5]},
     0.2 * 10 / math.log(1.25) + 0.8 * 10 + 0.3 * 10 / math.log(1.6) + 0.5 * 10 / math.log(1.6)),
])
def test_mean_is_exact_and_sampling_agrees(form, mean):
    d = make(**form)
    assert d.mean == pytest.approx(mean)
    x = d.ppf(np.random.default_rng(3).random(400_000))
    half = stats.norm.ppf(0.9995) * x.std() / math.sqrt(len(x))  # 99.9 % interval
    assert abs(x.mean() - d.mean) < half


def test_quantiles_are_monotone_and_hit_the_points():
    d = make(times=[0, 10, 20, 30, 90], survival=[1, 0.8, 0.8, 0.5, 0.2])
    u = np.linspace(0, 0.9999, 5001)
    x = d.ppf(u)
    assert np.all(np.diff(x) >= 0) and x[0] == 0
    assert d.ppf(np.array([0.2, 0.5, 0.8])) == pytest.approx([10, 30, 90])
    assert not ((x > 10 + 1e-9) & (x < 20 - 1e-9)).any()  # a flat stretch: nobody leaves there
    assert x[-1] > 90  # the tail goes on past the last point
    ended = make(times=[0, 60, 120], survival=[1, 0.5, 0])
    assert ended.ppf(np.array([0.9999999, 1.0])).max() == pytest.approx(120)


BAD_CURVES = [
    ({"times": [0, 10, 20], "survival": [1, 0.5]}, "segments[0].patience",
     "times (3 values) and survival (2 values) must have the same length"),
    ({"times": [5, 10], "survival": [1, 0.5]}, "segments[0].patience",
     "the curve must start at times[0] = 0 with survival[0] = 1 (got 5, 1)"),
    ({"times": [0, 20, 20], "survival": [1, 0.5, 0.4]}, "segments[0].patience",
     "times must increase (times[2] = 20 follows 20)"),
    ({"times": [0, 10, 20], "survival": [1, 0.5, 0.6]}, "segments[0].patience",
     "survival must not increase (survival[2] = 0.6 follows 0.5)"),
    ({"times": [0, 10, 20], "survival": [1, 0, 0]}, "segments[0].patience", "only the last survival value may be 0"),
    ({"times": [0, 10, 20], "survival": [1, 0.5, 0.5]}, "segments[0].patience",
     "the last stretch of the curve is flat, so it gives no tail hazard: give tail_mean"),
    ({"times": [0, 10], "survival": [1, 0], "tail_mean": 60}, "segments[0].patience",
     "tail_mean needs a last survival value above 0"),
    ({"times": [0, 10], "survival": [1, 1.5]}, "segments[0].patience.survival[1]", "less than or equal to 1"),
    ({"times": [0], "survival": [1]}, "segments[0].patience.times", "at least 2 items"),
]


@pytest.mark.parametrize("curve, path, message", BAD_CURVES)
def test_bad_curves_are_scenario_errors(curve, path, message):
    data = single_queue()
    data["segments"][0]["patience"] = {"dist": "survival", **curve}
    with pytest.raises(ScenarioError) as caught:
        ccsim.load_scenario(data)
    assert any(p == path and message in m for p, m in caught.value.problems), caught.value.problems


def test_a_scenario_with_survival_patience_runs_like_its_exponential_twin():
    """A one-stretch curve is an exponential: same callers (same seed), same patience, so the
    same run to the last digit; a falling hazard then keeps more callers in the queue."""
    def run(patience):
        data = single_queue(rate=400, aht=180, agents=18, hours=2, warmup_minutes=0, interval_minutes=60)
        data["segments"][0]["patience"] = patience
        return ccsim.run(data, reps=2, keep_contacts=False).kpis

    twin = run({"dist": "exponential", "mean": 120 / math.log(2)})
    curve = run({"dist": "survival", "times": [0, 120], "survival": [1, 0.5]})
    pd.testing.assert_frame_equal(curve, twin, check_exact=False, rtol=1e-9)
    assert curve["abandoned"].sum() > 0
    patient = run({"dist": "survival", "times": [0, 120], "survival": [1, 0.5], "tail_mean": 2000})
    assert patient["abandon_rate"].mean() < curve["abandon_rate"].mean()


# ---------------------------------------------------------------------------------------------
# The bank's log (skipped without the data).

needs_bank = pytest.mark.skipif(not BANK_DATA.is_dir(),
                                reason=f"real call-log data not found at {BANK_DATA} (shared/ is not beside the repo)")
FIRST_HALF = ("1999-01-01", "1999-06-30")


@pytest.fixture(scope="module")
def bank():
    return read_cdr(BANK_DATA, "anonymous_bank")


@needs_bank
def test_bank_patience_hazard_falls(bank):
    """The issue's observation: PS callers' hazard falls from about 0.004/s to about 0.0006/s
    after 300 s, so the exponential fit is poor."""
    h = patience_hazard(bank, "PS", edges=(0, 30, 300, 600, np.inf), dates=FIRST_HALF).set_index("from")
    assert 0.003 < h.loc[0, "hazard_per_second"] < 0.004
    assert 0.0005 < h.loc[300, "hazard_per_second"] < 0.0008
    d = patience_distribution(bank, "PS", dates=FIRST_HALF)
    assert isinstance(d, Survival) and len(d.times) <= 60
    assert d.mean > 2 * exponential_patience(bank, "PS", dates=FIRST_HALF)  # 892 s against 424 s
    data = single_queue()
    data["segments"][0]["patience"] = d.model_dump(by_alias=True)
    assert ccsim.load_scenario(data).segments[0].patience == d


@needs_bank
def test_bank_priority_customers_wait_longer(bank):
    summary = patience_summary(bank[bank["call_type"] == "PS"], by=("priority",), dates=FIRST_HALF)
    means = summary["exponential_mean"]
    assert means[0] < means[1] < means[2]
    assert (summary["survival_mean"] > summary["exponential_mean"]).all()
