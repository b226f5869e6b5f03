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
    {dist: survival, times: [0, 60, 300], survival: [1, 0.8, 0.6], tail_mean: 1500}

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
    def _ordered(self) -> Uniform:
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


class Survival(_Dist):
    """A survival curve S(t) = P(duration > t) given at points, e.g. callers' patience from a log.

    Kaplan-Meier on a call log gives "80 % of callers are still waiting after 60 s, 60 % after
    300 s", with a hazard that falls the longer they wait, which no exponential has. Between
    two points the hazard is constant (S falls geometrically; a stretch that ends at S = 0
    falls linearly). Beyond the last point the tail is exponential with mean ``tail_mean``;
    without it, with the hazard of the last stretch, so a duration is never cut off at the
    last observed time. The curve must start at (0, 1); only its last point may be 0, and
    then there is no tail.
    """

    dist: Literal["survival"]
    times: list[Annotated[float, Field(ge=0)]] = Field(min_length=2)
    survival: list[Annotated[float, Field(ge=0, le=1)]] = Field(min_length=2)
    tail_mean: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _a_survival_curve(self) -> Survival:
        t, s = np.asarray(self.times), np.asarray(self.survival)
        if len(t) != len(s):
            raise ValueError(f"times ({len(t)} values) and survival ({len(s)} values) must have the same length")
        if t[0] != 0 or s[0] != 1:
            raise ValueError(f"the curve must start at times[0] = 0 with survival[0] = 1 (got {t[0]:g}, {s[0]:g})")
        if np.any(np.diff(t) <= 0):
            i = int(np.argmax(np.diff(t) <= 0)) + 1
            raise ValueError(f"times must increase (times[{i}] = {t[i]:g} follows {t[i - 1]:g})")
        if np.any(np.diff(s) > 0):
            i = int(np.argmax(np.diff(s) > 0)) + 1
            raise ValueError(f"survival must not increase (survival[{i}] = {s[i]:g} follows {s[i - 1]:g})")
        if np.any(s[:-1] == 0):
            raise ValueError("only the last survival value may be 0 (the curve stops falling at 0)")
        if s[-1] == 0 and self.tail_mean is not None:
            raise ValueError("tail_mean needs a last survival value above 0 (at 0 there is no tail)")
        if s[-1] > 0 and self.tail_mean is None and s[-1] == s[-2]:
            raise ValueError("the last stretch of the curve is flat, so it gives no tail hazard: give tail_mean")
        return self

    def _stretches(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Knot times, knot survivals, hazard of each stretch, and the tail's mean (0: no tail)."""
        t = np.asarray(self.times, dtype=float)
        s = np.asarray(self.survival, dtype=float)
        with np.errstate(divide="ignore"):
            hazard = np.log(s[:-1] / s[1:]) / np.diff(t)  # inf on a last stretch ending at 0
        if s[-1] == 0:
            tail = 0.0
        else:
            tail = self.tail_mean if self.tail_mean is not None else 1.0 / hazard[-1]
        return t, s, hazard, tail

    def ppf(self, u: np.ndarray) -> np.ndarray:
        t, s, hazard, tail = self._stretches()
        level = 1.0 - np.asarray(u, dtype=float)  # the survival level the duration falls to
        # The stretch where S falls to each level: it starts at the last knot still above it
        # (the first time S reaches the level, so a flat stretch is never sampled inside).
        i = np.searchsorted(-s, -level, side="left") - 1
        k = np.clip(i, 0, len(hazard) - 1)
        start, top, h = t[k], s[k], hazard[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            inside = np.where(
                np.isinf(h),
                start + (t[k + 1] - start) * (1.0 - level / top),  # linear fall to 0
                start + np.log(top / level) / h,
            )
            beyond = t[-1] + tail * np.log(s[-1] / level) if tail > 0 else np.full(np.shape(level), t[-1])
        out = np.where(i < 0, 0.0, np.where(i >= len(hazard), beyond, inside))
        return out if np.ndim(u) else out[()]

    @property
    def mean(self) -> float:
        t, s, hazard, tail = self._stretches()
        width = np.diff(t)
        with np.errstate(divide="ignore", invalid="ignore"):
            falling = np.where(np.isinf(hazard), s[:-1] * width / 2, (s[:-1] - s[1:]) / hazard)
        area = np.where(hazard > 0, falling, s[:-1] * width)  # a flat stretch is a rectangle
        return float(area.sum() + s[-1] * tail)


Distribution = Annotated[
    Union[Exponential, LogNormal, Gamma, Weibull, Uniform, Deterministic, Empirical, Survival],
    Field(discriminator="dist"),
]

DIST_KINDS = (
    "exponential", "lognormal", "gamma", "weibull", "uniform", "deterministic", "empirical", "survival",
)
