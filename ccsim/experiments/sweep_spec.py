"""Sweep specs: which staffing plans and policies a sweep tries, read, counted and checked.

"How many generalists do we need, and does it matter how soon they help with card calls?"
A sweep spec names a base scenario and the values to try, either as a grid::

    name: staffing-vs-flexibility
    scenario: ../retail_bank_day.yaml          # relative to this file
    reps: 10
    vary:
      pools.generalists.agents: [18, 21, 24]
      pools.generalists.skills.1.after: [0, 60, 180]

(every combination: 9 points), or as a Latin hypercube sample of ranges::

    sample:
      pools.generalists.agents: {low: 16, high: 28, integer: true}
      arrivals.rate_per_hour: {low: 450, high: 700}
    points: 20

A sweep has at most :data:`MAX_POINTS` points (100,000), counted from the spec before any
point is made: a grid of nine paths with ten values each is a billion points, refused at once
instead of filling the memory. Every point is then applied to the base scenario and
validated, so a bad value stops the sweep before anything runs; a problem found at many
points is reported once, with the points that have it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import Field, ValidationError, model_validator
from scipy.stats import qmc

from ..engine.streams import stream_key
from ..errors import ScenarioError
from ..spec.loading import load_scenario, pydantic_problems, read_yaml, validate_scenario
from ..spec.overrides import apply_values
from ..spec.scenario import Name, Scenario, _Model
from .results import RUN_KPIS

#: The most points a sweep may have (grid combinations, or Latin hypercube ``points``).
MAX_POINTS = 100_000
#: At most this many different problems are reported for the points of a bad sweep.
MAX_PROBLEMS = 20


class Range(_Model):
    """A range to sample: uniform between low and high (whole numbers if ``integer``)."""

    low: float
    high: float
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.high < self.low:
            raise ValueError(f"high ({self.high:g}) must be at least low ({self.low:g})")
        return self


class SweepSpec(_Model):
    """A validated sweep spec. Build it with :func:`load_spec`."""

    name: Name
    scenario: str | dict[str, Any] = Field(description="path (relative to the spec) or an inline scenario")
    reps: int = Field(default=10, ge=1)
    seed: int | None = Field(default=None, ge=0)
    vary: dict[str, list[Any]] | None = None
    sample: dict[str, Range] | None = None
    points: int | None = Field(default=None, ge=1)
    sort: str | None = None

    @model_validator(mode="after")
    def _one_design(self) -> SweepSpec:
        if (self.vary is None) == (self.sample is None):
            raise ValueError("give either 'vary' (a grid) or 'sample' with 'points' (a Latin hypercube)")
        if self.vary is not None:
            if not self.vary:
                raise ValueError("'vary' names no path")
            empty = [path for path, values in self.vary.items() if not values]
            if empty:
                raise ValueError(f"vary.{empty[0]}: give at least one value")
            if self.points is not None:
                raise ValueError("'points' goes with 'sample', not with 'vary'")
        if self.sample is not None and self.points is None:
            raise ValueError("'sample' needs 'points': how many points to draw")
        if self.sample is not None and not self.sample:
            raise ValueError("'sample' names no path")
        if self.sort is not None and self.sort not in RUN_KPIS and not self.sort.startswith("occupancy:"):
            raise ValueError(f"sort: unknown KPI '{self.sort}'; allowed: {', '.join(RUN_KPIS)}")
        n = count_points(self)
        if n > MAX_POINTS:
            if self.vary is not None:
                sizes = " × ".join(str(len(values)) for values in self.vary.values())
                raise ValueError(f"vary: the grid has {n:,} points ({sizes} values); a sweep has at most "
                                 f"{MAX_POINTS:,} points: vary fewer paths or fewer values")
            raise ValueError(f"points: {n:,} points asked for; a sweep has at most {MAX_POINTS:,} points")
        return self


def count_points(spec: SweepSpec) -> int:
    """How many points the spec makes, counted without making them (a grid: the product of the
    numbers of values; a Latin hypercube: ``points``)."""
    if spec.vary is not None:
        return math.prod(len(values) for values in spec.vary.values())
    return spec.points or 0


def load_spec(
    source: str | Path | Mapping[str, Any], overrides: Sequence[str] = ()
) -> tuple[SweepSpec, Scenario, list[dict[str, Any]], list[Scenario]]:
    """Read a sweep spec and everything it implies: the base scenario, the points, their scenarios.

    ``overrides`` (``PATH=VALUE``) change the base scenario before the points are applied.
    Every point is validated up front, so a bad value stops the sweep before anything runs;
    the points are counted first and a spec of more than :data:`MAX_POINTS` is refused.

    Raises:
        ScenarioError: naming the path in the spec (or in the scenario) of each problem; a
            problem found at many points is one line listing them, and at most
            :data:`MAX_PROBLEMS` different problems are listed.
    """
    name = None if isinstance(source, Mapping) else str(source)
    data = source if isinstance(source, Mapping) else read_yaml(Path(source))
    if not isinstance(data, Mapping):
        raise ScenarioError([("(top level)", "a sweep spec must be a mapping of keys")], name)
    try:
        spec = SweepSpec.model_validate(dict(data))
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc, SweepSpec), name) from None
    if isinstance(spec.scenario, str):
        where = Path(spec.scenario)
        if name is not None and not where.is_absolute():
            where = Path(name).parent / where
        base = load_scenario(where, overrides)
    else:
        base = load_scenario(spec.scenario, overrides)
    base_data = base.to_dict()
    points = expand(spec)
    scenarios = []
    found: dict[tuple[str, str], list[int]] = {}  # each different problem -> the points that have it
    others: set[tuple[str, str]] = set()  # different problems beyond the first MAX_PROBLEMS
    prefix = "vary." if spec.vary is not None else "sample."
    for k, params in enumerate(points):
        try:
            scenarios.append(validate_scenario(apply_values(base_data, params, prefix)))
        except ScenarioError as exc:
            for problem in exc.problems:
                if problem in found or len(found) < MAX_PROBLEMS:
                    found.setdefault(problem, []).append(k)
                else:
                    others.add(problem)
    if found:
        problems = [(path, f"{message} ({_at_points(ks, points)})") for (path, message), ks in found.items()]
        if others:
            problems.append((prefix.rstrip("."), f"and {len(others):,} more different problems (fix these first)"))
        raise ScenarioError(problems, name)
    return spec, base, points, scenarios


def _at_points(ks: list[int], points: list[dict[str, Any]]) -> str:
    """Where a problem is: ``point 3: a=1, b=2``, or the points (a few listed) and the first's values."""
    first = f"point {ks[0]}: " + ", ".join(f"{p}={v!r}" for p, v in points[ks[0]].items())
    if len(ks) == 1:
        return first
    if len(ks) == len(points):
        return f"at all {len(ks):,} points, e.g. {first}"
    listed = ", ".join(map(str, ks[:10])) + (f" and {len(ks) - 10:,} more" if len(ks) > 10 else "")
    return f"at {len(ks):,} points: {listed}; e.g. {first}"


def expand(spec: SweepSpec) -> list[dict[str, Any]]:
    """The points of a sweep, each a mapping path -> value, in a fixed order."""
    if spec.vary is not None:
        return expand_grid(spec.vary)
    assert spec.sample is not None and spec.points is not None
    return expand_lhs(spec.sample, spec.points, seed=spec.seed or 0)


def expand_grid(vary: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the values, the last path varying fastest."""
    paths = list(vary)
    return [dict(zip(paths, combo)) for combo in itertools.product(*(vary[p] for p in paths))]


def expand_lhs(sample: Mapping[str, Range], points: int, seed: int) -> list[dict[str, Any]]:
    """A Latin hypercube of ``points`` over the ranges (scipy.stats.qmc), reproducible by seed."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream_key("lhs"),)))
    unit = qmc.LatinHypercube(d=len(sample), rng=rng).random(points)
    result = []
    for row in unit:
        point: dict[str, Any] = {}
        for u, (path, r) in zip(row, sample.items()):
            if r.integer:
                point[path] = int(min(math.floor(r.low + u * (r.high - r.low + 1)), r.high))
            else:
                point[path] = float(r.low + u * (r.high - r.low))
        result.append(point)
    return result
