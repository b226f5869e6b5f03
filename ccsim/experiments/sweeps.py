"""Sweeps: the same center under many staffing plans and policies, compared fairly.

A sweep runs a base scenario at every point of its spec (see :mod:`ccsim.experiments.sweep_spec`:
a grid of values or a Latin hypercube of ranges). Replication r of every point sees the same
callers (the same seed, the same streams), so the differences between points are the policy,
not the noise. Each point × chunk of replications is one task; tasks run in worker processes
or on a Dask cluster and are written to the results folder as they finish, so an interrupted
sweep (Ctrl-C, a crash, a flat battery) resumes where it stopped, with the spec it started with.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..analysis.stats import mean_ci
from ..engine.plan import compile_plan
from ..errors import ScenarioError
from ..spec.scenario import Scenario
from .compare import DIRECTION
from .executors import Interrupted, deferred_interrupts, interrupt_once, run_tasks
from .runner import simulate
from .store import (
    MANIFEST,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
    command_line,
    default_folder,
    now_iso,
    prepare_folder,
    read_manifest,
    remove_stale_temporaries,
)
from .sweep_spec import (  # noqa: F401  (re-exported: the spec half of a sweep)
    MAX_POINTS,
    MAX_PROBLEMS,
    Range,
    SweepSpec,
    count_points,
    expand,
    expand_grid,
    expand_lhs,
    load_spec,
)

TASKS_DIR = "tasks"
#: The manifest is rewritten at most this often while tasks finish (and always at the end).
MANIFEST_SECONDS = 2.0


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
    sort: str | None = None  # the spec's KPI to sort by, if it names one

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
            mean, low, high = mean_ci(part[kpi].to_numpy(dtype=float), kpi=kpi)
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
        out: the results folder (default ``results/<name>-<timestamp>``); must be empty or new.
        resume: a folder of an interrupted sweep: finished replications are read back, the
            rest is computed, with the spec stored in the folder (its name, sort, seed and
            replications).
        executor: ``"local"`` or ``"dask"``; ``scheduler``: a Dask scheduler address.
        progress: called as ``progress(done, total)`` in replications.
        overrides: ``PATH=VALUE`` changes to the base scenario (not with ``resume``: the folder
            keeps the scenario it started with).

    Returns:
        The tables; ``failed`` maps each point whose simulation raised to its error.

    Raises:
        ScenarioError: a bad spec (nothing is simulated, no folder is made).
        FolderError: the results folder cannot be used (nothing is simulated).
        Interrupted: on Ctrl-C (a ``KeyboardInterrupt``): the workers are stopped at once,
            the finished tasks are kept and the manifest says ``"status": "interrupted"``;
            ``sweep(resume=folder)`` finishes the sweep.
    """
    prepared = prepare_sweep(spec, reps, out, resume, results_root, overrides)
    return execute_sweep(prepared, workers=workers, executor=executor, scheduler=scheduler, progress=progress)


@dataclass
class PreparedSweep:
    """A sweep ready to run: the spec, its points and scenarios, and its (checked) folder."""

    spec: SweepSpec
    points: list[dict[str, Any]]
    scenarios: list[Scenario]
    reps: int
    seed: int
    folder: Path
    manifest: dict[str, Any]

    @property
    def total(self) -> int:
        """Replications in all: points × replications per point."""
        return len(self.points) * self.reps


def prepare_sweep(
    spec: str | Path | Mapping[str, Any] | None = None,
    reps: int | None = None,
    out: str | Path | None = None,
    resume: str | Path | None = None,
    results_root: str | Path = "results",
    overrides: Sequence[str] = (),
) -> PreparedSweep:
    """Everything :func:`sweep` does before simulating: the spec read, counted and validated at
    every point, the folder checked and created (spec, scenario and manifest written), or an
    interrupted sweep's folder reopened with the spec stored in it."""
    if resume is not None:
        return _reopen(Path(resume))
    if spec is None:
        raise ValueError("give a sweep spec, or a folder to resume")
    spec_obj, base, points, scenarios = load_spec(spec, overrides)
    reps = spec_obj.reps if reps is None else reps
    if reps < 1:
        raise ValueError("reps must be at least 1")
    seed = spec_obj.seed if spec_obj.seed is not None else base.seed
    folder = Path(out) if out is not None else default_folder(spec_obj.name, results_root)
    prepare_folder(folder)  # new or empty, writable: checked before any simulation
    spec_data = spec_obj.model_dump(mode="json", exclude_none=True)
    spec_data["scenario"] = "scenario.yaml"  # the resolved base scenario beside it
    spec_data["reps"] = reps  # what this sweep runs (--reps included), for a resume
    atomic_write_text(folder / "spec.yaml", yaml.safe_dump(spec_data, sort_keys=False))
    atomic_write_text(folder / "scenario.yaml", base.to_yaml())
    manifest = {"kind": "sweep", "name": spec_obj.name, "seed": seed, "replications": reps}
    return PreparedSweep(spec_obj, points, scenarios, reps, seed, folder, manifest)


def _reopen(folder: Path) -> PreparedSweep:
    """An interrupted sweep's folder, with the spec and scenario it started with."""
    manifest = read_manifest(folder)
    if manifest.get("kind") != "sweep":
        raise ScenarioError([("--resume", f"{folder} holds a {manifest.get('kind')}, not a sweep")])
    prepare_folder(folder, results=())  # still writable (its contents are this sweep's)
    stored = yaml.safe_load((folder / "spec.yaml").read_text(encoding="utf-8"))
    stored["scenario"] = yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8"))
    spec_obj, _, points, scenarios = load_spec(stored)
    recorded = [entry.get("params") for entry in manifest.get("points", [])]
    if recorded and json.loads(json.dumps(points, default=str)) != json.loads(json.dumps(recorded, default=str)):
        raise ScenarioError([("--resume", f"the points of {folder}/spec.yaml differ from those in its manifest "
                                          "(made by another ccsim version?); start the sweep again")])
    remove_stale_temporaries(folder)
    manifest["resumed"] = [*manifest.get("resumed", []), now_iso()]
    manifest.pop("errors", None)  # failed points are tried again
    manifest.pop("interrupted", None)
    return PreparedSweep(spec_obj, points, scenarios, manifest["replications"], manifest["seed"], folder, manifest)


def execute_sweep(
    prepared: PreparedSweep,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Simulate what a prepared sweep has not finished yet and write its tables (see :func:`sweep`)."""
    from ..version import __version__

    points, scenarios, reps, seed, folder = (prepared.points, prepared.scenarios, prepared.reps, prepared.seed,
                                             prepared.folder)
    manifest = prepared.manifest
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
    next_write = [0.0]  # monotonic time before which the manifest is not rewritten

    def write_manifest(force: bool = True) -> None:
        # Rewritten as tasks finish, but not more often than every MANIFEST_SECONDS (nor
        # taking more than a tenth of the time): tasks/ is what a resume reads, the manifest
        # is for people, and a sweep of many points has a large one.
        now = time.monotonic()
        if not force and now < next_write[0]:
            return
        counts = Counter(point for point, _ in finished)
        manifest["points"] = [
            {"point": k, "params": points[k], "replications_done": counts.get(k, 0),
             "status": "failed" if k in failed else ("done" if counts.get(k, 0) == reps else "pending"),
             **({"error": failed[k]} if k in failed else {})}
            for k in range(len(points))
        ]
        atomic_write_json(folder / MANIFEST, manifest)
        next_write[0] = time.monotonic() + max(MANIFEST_SECONDS, 10 * (time.monotonic() - now))

    total = prepared.total
    computed = 0
    with interrupt_once():
        try:
            write_manifest()
            if progress and finished:
                progress(len(finished), total)
            workers = (os.cpu_count() or 1) if workers is None else workers
            tasks_spec = _chunks(pending, workers)
            tasks = [(scenarios[point], seed, point, chunk) for point, chunk in tasks_spec]
            with closing(run_tasks(simulate_chunk, tasks, workers=workers, executor=executor,
                                   scheduler=scheduler)) as outcomes:
                for outcome in outcomes:
                    point, chunk = tasks_spec[outcome.index]
                    if outcome.error is not None:
                        failed[point] = outcome.error.strip().splitlines()[-1]
                        manifest.setdefault("errors", {})[str(point)] = outcome.error
                    else:
                        name = f"p{point:05d}-r{chunk[0]:05d}-{chunk[-1]:05d}.parquet"
                        with deferred_interrupts():  # on disk and counted, or neither
                            atomic_write_parquet(folder / TASKS_DIR / name, outcome.result)
                            computed += len(chunk)
                            finished.update((point, r) for r in chunk)
                    write_manifest(force=False)
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
        except KeyboardInterrupt:
            # What is in tasks/ is whole (atomic writes) and is what a resume reads back.
            manifest["status"] = "interrupted"
            manifest["interrupted"] = now_iso()
            write_manifest()
            raise Interrupted(len(finished), total, folder) from None
    return SweepResult(prepared.spec.name, runs, table, params, failed, folder, computed_replications=computed,
                       sort=prepared.spec.sort)


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
    points = (pd.read_parquet(folder / "points.parquet") if (folder / "points.parquet").exists()
              else aggregate(runs, params))
    failed = {int(k): v.strip().splitlines()[-1] for k, v in manifest.get("errors", {}).items()}
    spec = folder / "spec.yaml"
    sort = (yaml.safe_load(spec.read_text(encoding="utf-8")) or {}).get("sort") if spec.is_file() else None
    return SweepResult(manifest["name"], runs, points, params, failed, folder, sort=sort)
