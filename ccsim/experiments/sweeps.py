"""Sweeps: the same center under many staffing plans and policies, compared fairly.

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

Replication r of every point sees the same callers (the same seed, the same streams), so the
differences between points are the policy, not the noise. Each point × chunk of
replications is one task; tasks run in worker processes or on a Dask cluster and are written
to the results folder as they finish, so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, ValidationError, model_validator
from scipy.stats import qmc

from ..analysis.stats import mean_ci
from ..engine.plan import compile_plan
from ..engine.streams import stream_key
from ..errors import ScenarioError
from ..spec.loading import load_scenario, pydantic_problems, read_yaml, validate_scenario
from ..spec.overrides import apply_values
from ..spec.scenario import Name, Scenario, _Model
from .compare import DIRECTION
from .executors import run_tasks
from .results import RUN_KPIS
from .runner import simulate
from .store import (
    MANIFEST,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
    command_line,
    default_folder,
    now_iso,
    read_manifest,
    remove_stale_temporaries,
)

TASKS_DIR = "tasks"


class Range(_Model):
    """A range to sample: uniform between low and high (whole numbers if ``integer``)."""

    low: float
    high: float
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> "Range":
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
    def _one_design(self) -> "SweepSpec":
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
        return self


def load_spec(
    source: str | Path | Mapping[str, Any], overrides: Sequence[str] = ()
) -> tuple[SweepSpec, Scenario, list[dict[str, Any]], list[Scenario]]:
    """Read a sweep spec and everything it implies: the base scenario, the points, their scenarios.

    ``overrides`` (``PATH=VALUE``) change the base scenario before the points are applied.
    Every point is validated up front, so a bad value stops the sweep before anything runs.

    Raises:
        ScenarioError: naming the path in the spec (or in the scenario) of each problem.
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
    scenarios, problems = [], []
    prefix = "vary." if spec.vary is not None else "sample."
    for k, params in enumerate(points):
        try:
            scenarios.append(validate_scenario(apply_values(base_data, params, prefix)))
        except ScenarioError as exc:
            shown = ", ".join(f"{p}={v!r}" for p, v in params.items())
            problems += [(path, f"{message} (point {k}: {shown})") for path, message in exc.problems]
    if problems:
        raise ScenarioError(problems[:20], name)
    return spec, base, points, scenarios


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


# -------------------------------------------------------------------------------------------------
# One task: a point and a chunk of its replications.


def simulate_chunk(scenario: Scenario, seed: int, point: int, replications: tuple[int, ...]) -> pd.DataFrame:
    """KPI rows (one per replication) of one point; replication r uses stream r (CRN)."""
    rows = []
    plan = compile_plan(scenario)  # once for the chunk
    for r in replications:
        rep = simulate(plan, seed, r, keep_contacts=False)
        pools = rep.tables["pools"]
        occupancy = {f"occupancy:{scenario.pools[p].name}": float(x) for p, x in zip(pools["pool"], pools["occupancy"])}
        rows.append({"point": point, "replication": r, **rep.kpis, **occupancy})
    return pd.DataFrame(rows)


def _chunks(pending: Mapping[int, list[int]], workers: int) -> list[tuple[int, tuple[int, ...]]]:
    """Cut each point's pending replications into chunks: about four tasks per worker, so the
    scheduling cost stays small next to a task and the last tasks do not leave workers idle."""
    total = sum(len(reps) for reps in pending.values())
    size = max(1, math.ceil(total / (4 * workers)))
    return [(point, tuple(reps[i:i + size])) for point, reps in pending.items() for i in range(0, len(reps), size)]


# -------------------------------------------------------------------------------------------------
# The result.


@dataclass
class SweepResult:
    """A sweep's tables: ``runs`` (point × replication) and ``points`` (mean and CI per point)."""

    name: str
    runs: pd.DataFrame
    points: pd.DataFrame
    params: list[str]
    failed: dict[int, str] = field(default_factory=dict)
    folder: Path | None = None
    computed_replications: int = 0  # computed by this call (not read back from a resumed folder)

    def summary(self, sort: str | None = None) -> pd.DataFrame:
        """The points table sorted by a KPI, best first (the KPI's direction decides)."""
        if not sort:
            return self.points
        if sort not in self.points.columns:
            raise ValueError(f"unknown KPI to sort by: {sort!r}")
        descending = DIRECTION.get(sort, 0) > 0 or (sort.startswith("occupancy:"))
        return self.points.sort_values(sort, ascending=not descending, kind="stable")


def aggregate(runs: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """Mean and 95% CI of every KPI per point: columns ``KPI``, ``KPI_ci_low``, ``KPI_ci_high``."""
    kpis = [c for c in runs.columns if c not in ("point", "replication", *params)]
    rows = []
    for point, part in runs.groupby("point", sort=True):
        row: dict[str, Any] = {"point": point, **{p: part[p].iloc[0] for p in params},
                               "replications": len(part)}
        for kpi in kpis:
            mean, low, high = mean_ci(part[kpi].to_numpy(dtype=float))
            row[kpi], row[f"{kpi}_ci_low"], row[f"{kpi}_ci_high"] = mean, low, high
        rows.append(row)
    return pd.DataFrame(rows)


def _param_value(value: Any) -> Any:
    """A parameter as a table cell: scalars as they are, lists and mappings as JSON text."""
    return value if isinstance(value, (int, float, str, bool)) else json.dumps(value)


# -------------------------------------------------------------------------------------------------
# Running, storing, resuming.


def sweep(
    spec: str | Path | Mapping[str, Any] | None = None,
    reps: int | None = None,
    workers: int | None = None,
    out: str | Path | None = None,
    resume: str | Path | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    results_root: str | Path = "results",
    overrides: Sequence[str] = (),
) -> SweepResult:
    """Run a sweep, writing every finished task into its results folder.

    Args:
        spec: a sweep spec (file or dict); not needed with ``resume``.
        reps: replications per point (default: the spec's).
        workers: worker processes (None: every core; 1: in this process).
        out: the results folder (default ``results/<name>-<timestamp>``); must not hold results.
        resume: a folder of an interrupted sweep: finished replications are read back, the
            rest is computed.
        executor: ``"local"`` or ``"dask"``; ``scheduler``: a Dask scheduler address.
        progress: called as ``progress(done, total)`` in replications.
        overrides: ``PATH=VALUE`` changes to the base scenario (not with ``resume``: the folder
            keeps the scenario it started with).

    Returns:
        The tables; ``failed`` maps each point whose simulation raised to its error.
    """
    spec_obj, points, scenarios, reps, seed, folder, manifest = _open(spec, reps, out, resume, results_root, overrides)
    from ..version import __version__

    params = list(points[0])
    manifest.update({
        "ccsim_version": __version__, "command": command_line(), "executor": executor,
        "started": manifest.get("started", now_iso()), "finished": None, "status": "running",
    })
    (folder / TASKS_DIR).mkdir(exist_ok=True)
    done = _read_tasks(folder)
    finished = set(zip(done["point"], done["replication"])) if len(done) else set()
    pending = {k: [r for r in range(reps) if (k, r) not in finished] for k in range(len(points))}
    pending = {k: v for k, v in pending.items() if v}
    failed: dict[int, str] = {}

    def write_manifest() -> None:
        counts = Counter(point for point, _ in finished)
        manifest["points"] = [
            {"point": k, "params": points[k], "replications_done": counts.get(k, 0),
             "status": "failed" if k in failed else ("done" if counts.get(k, 0) == reps else "pending"),
             **({"error": failed[k]} if k in failed else {})}
            for k in range(len(points))
        ]
        atomic_write_json(folder / MANIFEST, manifest)

    write_manifest()
    total = len(points) * reps
    if progress and finished:
        progress(len(finished), total)
    workers = (os.cpu_count() or 1) if workers is None else workers
    tasks_spec = _chunks(pending, workers)
    tasks = [(scenarios[point], seed, point, chunk) for point, chunk in tasks_spec]
    computed = 0
    for outcome in run_tasks(simulate_chunk, tasks, workers=workers, executor=executor, scheduler=scheduler):
        point, chunk = tasks_spec[outcome.index]
        if outcome.error is not None:
            failed[point] = outcome.error.strip().splitlines()[-1]
            manifest.setdefault("errors", {})[str(point)] = outcome.error
        else:
            frame = outcome.result
            atomic_write_parquet(folder / TASKS_DIR / f"p{point:05d}-r{chunk[0]:05d}-{chunk[-1]:05d}.parquet", frame)
            computed += len(chunk)
            finished.update((point, r) for r in chunk)
        write_manifest()
        if progress:
            progress(len(finished), total)

    runs = _read_tasks(folder)
    for path in params:
        runs[path] = [_param_value(points[k][path]) for k in runs["point"]]
    ordered = ["point", *params, "replication"]
    runs = runs[ordered + [c for c in runs.columns if c not in ordered]]
    table = aggregate(runs, params) if len(runs) else pd.DataFrame()
    atomic_write_parquet(folder / "runs.parquet", runs)
    atomic_write_parquet(folder / "points.parquet", table)
    manifest["finished"] = now_iso()
    manifest["status"] = "failed" if failed else "complete"
    write_manifest()
    return SweepResult(spec_obj.name, runs, table, params, failed, folder, computed_replications=computed)


def _open(spec, reps, out, resume, results_root, overrides):
    """A new sweep's folder (spec, scenario and manifest written), or an interrupted one reopened.

    Returns ``(spec, points, scenarios, reps, seed, folder, manifest)``.
    """
    if resume is not None:
        folder = Path(resume)
        manifest = read_manifest(folder)
        if manifest.get("kind") != "sweep":
            raise ScenarioError([("--resume", f"{folder} holds a {manifest.get('kind')}, not a sweep")])
        stored = yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8"))
        stored["scenario"] = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
        spec_obj, _, points, scenarios = load_spec(stored)
        remove_stale_temporaries(folder)
        manifest["resumed"] = [*manifest.get("resumed", []), now_iso()]
        manifest.pop("errors", None)  # failed points are tried again
        return spec_obj, points, scenarios, manifest["replications"], manifest["seed"], folder, manifest
    if spec is None:
        raise ValueError("give a sweep spec, or a folder to resume")
    spec_obj, base, points, scenarios = load_spec(spec, overrides)
    reps = spec_obj.reps if reps is None else reps
    if reps < 1:
        raise ValueError("reps must be at least 1")
    seed = spec_obj.seed if spec_obj.seed is not None else base.seed
    folder = Path(out) if out is not None else default_folder(spec_obj.name, results_root)
    if folder.exists() and any(folder.iterdir()):
        raise FileExistsError(f"{folder} is not empty; choose another folder, or --resume it")
    folder.mkdir(parents=True, exist_ok=True)
    spec_data = spec_obj.model_dump(mode="json", exclude_none=True)
    spec_data["scenario"] = "scenario.yaml"  # the resolved base scenario beside it
    atomic_write_text(folder / "spec.yaml", yaml.safe_dump(spec_data, sort_keys=False))
    atomic_write_text(folder / "scenario.yaml", base.to_yaml())
    manifest = {"kind": "sweep", "name": spec_obj.name, "seed": seed, "replications": reps}
    return spec_obj, points, scenarios, reps, seed, folder, manifest


def _read_tasks(folder: Path) -> pd.DataFrame:
    files = sorted((folder / TASKS_DIR).glob("p*.parquet"))
    if not files:
        return pd.DataFrame({"point": pd.Series(dtype="int64"), "replication": pd.Series(dtype="int64")})
    frame = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return frame.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)


def load_sweep(folder: str | Path) -> SweepResult:
    """The tables of a sweep folder (finished or not: what is on disk)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    runs = pd.read_parquet(folder / "runs.parquet") if (folder / "runs.parquet").exists() else _read_tasks(folder)
    params = [p for p in (manifest.get("points") or [{}])[0].get("params", {})]
    points = pd.read_parquet(folder / "points.parquet") if (folder / "points.parquet").exists() else aggregate(runs, params)
    failed = {int(k): v.strip().splitlines()[-1] for k, v in manifest.get("errors", {}).items()}
    return SweepResult(manifest["name"], runs, points, params, failed, folder)
