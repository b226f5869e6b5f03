"""Distributions: sample moments agree with theory; inverse transform is monotone (good CRN)."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter
from scipy import stats

from ccsim.spec.distributions import Distribution

ADAPTER = TypeAdapter(Distribution)
N = 200_000


def make(form):
    return ADAPTER.validate_python(form)


@pytest.mark.parametrize(
    "form, cv",
    [
        ({"dist": "exponential", "mean": 180}, 1.0),
        ({"dist": "lognormal", "mean": 240, "cv": 1.2}, 1.2),
        ({"dist": "gamma", "mean": 240, "cv": 0.8}, 0.8),
        ({"dist": "weibull", "shape": 2.0, "scale": 150}, float(np.sqrt(4 / np.pi - 1))),
        ({"dist": "uniform", "low": 30, "high": 90}, float(30 / np.sqrt(3) / 60)),
    ],
)
def test_sample_mean_within_its_confidence_interval(form, cv):
    d = make(form)
    x = d.ppf(np.random.default_rng(7).random(N))
    half = stats.norm.ppf(0.9995) * x.std(ddof=1) / np.sqrt(N)  # 99.9% interval
    assert abs(x.mean() - d.mean) < half
    assert x.std() / x.mean() == pytest.approx(cv, rel=0.05)


def test_gamma_matches_scipy():
    d = make({"dist": "gamma", "mean": 240, "cv": 0.5})
    u = np.linspace(0.01, 0.99, 9)
    assert np.allclose(d.ppf(u), stats.gamma(a=4, scale=60).ppf(u))


def test_lognormal_matches_scipy():
    d = make({"dist": "lognormal", "mean": 100, "cv": 1.0})
    sigma = np.sqrt(np.log(2))
    u = np.linspace(0.01, 0.99, 9)
    assert np.allclose(d.ppf(u), stats.lognorm(s=sigma, scale=100 * np.exp(-sigma**2 / 2)).ppf(u))


def test_deterministic():
    assert make({"dist": "deterministic", "value": 60}).ppf(np.array([0.1, 0.9])).tolist() == [60, 60]


def test_empirical_resamples_observed_values_equally():
    d = make({"dist": "empirical", "values": [30, 10, 20]})
    x = d.ppf(np.random.default_rng(1).random(30_000))
    assert set(np.unique(x)) == {10, 20, 30}
    assert np.allclose(np.bincount((x // 10).astype(int))[1:] / len(x), 1 / 3, atol=0.01)
    assert d.mean == 20


@pytest.mark.parametrize("form", [
    {"dist": "exponential", "mean": 3}, {"dist": "lognormal", "mean": 3, "cv": 2},
    {"dist": "gamma", "mean": 3, "cv": 2}, {"dist": "weibull", "shape": 0.5, "scale": 2},
    {"dist": "empirical", "values": [5, 1, 3, 3]},
])
def test_quantiles_increase_with_the_uniform(form):
    x = make(form).ppf(np.linspace(0, 0.999, 500))
    assert np.all(np.diff(x) >= 0)
