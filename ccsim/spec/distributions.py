"""Distributions of durations: handle times, patience, delays.

A planner knows that calls about a lost card are short and calls about a mortgage are long,
and that the long ones are not exponential: a few take half an hour. Each duration in a
scenario file is one of the forms below, always in seconds::

    {dist: exponential, mean: 180}
    {dist: lognormal, mean: 240, cv: 1.2}
    {dist: gamma, mean: 240, cv: 0.8}
    {dist: weibull, shape: 0.9, scale: 150}
    {dist: uniform, low: 30, high: 90}
    {dist: deterministic, value: 60}
    {dist: empirical, values: [34, 112, 95, 260]}

Every distribution is sampled by inverse transform of uniforms drawn from a named stream, so
the same caller gets the same quantile of patience or handle time in two scenarios that differ
only in the distribution's parameters: the common random numbers of a paired comparison.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special


class _Dist(BaseModel):
    """Each concrete distribution has ``ppf(u)`` (quantiles at uniforms) and ``mean``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Exponential(_Dist):
    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_ * np.log1p(-u)

    @property
    def mean(self) -> float:
        return self.mean_


class LogNormal(_Dist):
    """Parameterised by its mean and coefficient of variation, as handle times are reported."""

    dist: Literal["lognormal"]
    mean_: float = Field(alias="mean", gt=0)
    cv: float = Field(gt=0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean_) - sigma2 / 2
        return np.exp(mu + math.sqrt(sigma2) * special.ndtri(u))

    @property
    def mean(self) -> float:
        return self.mean_


class Gamma(_Dist):
    dist: Literal["gamma"]
    mean_: float = Field(alias="mean", gt=0)
    cv: float = Field(gt=0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return special.gammaincinv(shape, u) * self.mean_ / shape

    @property
    def mean(self) -> float:
        return self.mean_


class Weibull(_Dist):
    dist: Literal["weibull"]
    shape: float = Field(gt=0)
    scale: float = Field(gt=0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.scale * (-np.log1p(-u)) ** (1.0 / self.shape)

    @property
    def mean(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if self.high < self.low:
            raise ValueError(f"high ({self.high:g}) must be at least low ({self.low:g})")
        return self

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2


class Deterministic(_Dist):
    dist: Literal["deterministic"]
    value: float = Field(ge=0)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)

    @property
    def mean(self) -> float:
        return self.value


class Empirical(_Dist):
    """Resamples observed values, each equally likely (e.g. handle times from a call log)."""

    dist: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        # Sorted so that a larger uniform gives a larger value: monotone, hence good CRN.
        ordered = np.sort(np.asarray(self.values, dtype=float))
        index = np.minimum((np.asarray(u) * len(ordered)).astype(np.int64), len(ordered) - 1)
        return ordered[index]

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))


Distribution = Annotated[
    Union[Exponential, LogNormal, Gamma, Weibull, Uniform, Deterministic, Empirical],
    Field(discriminator="dist"),
]

DIST_KINDS = ("exponential", "lognormal", "gamma", "weibull", "uniform", "deterministic", "empirical")
