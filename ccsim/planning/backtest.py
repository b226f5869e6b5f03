"""Does the model predict my center? ``ccsim backtest`` replays held-out days against the log.

A scenario calibrated on January-June (:mod:`ccsim.planning.calibrate`) is tested on July-
October: every test day is simulated 40 times with that day's own offered calls, service
times and agents present (:mod:`ccsim.planning.backtest_days`) and compared, interval by
interval, with what happened (:mod:`ccsim.planning.backtest_score`) — beside Erlang A given
the same inputs. ``backtest("bank_ps.yaml", "../shared/data/anonymous_bank_1999",
test="1999-07..1999-10")``.

The days × replications are one job, run like a sweep: one task per day, in worker
processes (or on Dask), each finished day written at once to ``tasks/`` in the results
folder, so an interrupted backtest (Ctrl-C, a crash) continues with ``resume=folder`` where it
stopped; the manifest records the settings it started with.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..experiments.executors import Interrupted, deferred_interrupts, interrupt_once, run_tasks
from ..experiments.store import (
    MANIFEST,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
    command_line,
    now_iso,
    prepare_folder,
    read_manifest,
    remove_stale_temporaries,
)
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from . import observed
from .backtest_days import ARRIVALS, COUNTS, SERVICE, DayInputs, day_inputs, day_key, day_scenario, simulate_day
from .backtest_score import (
    calibration,
    comparison_table,
    error_table,
    hour_bands,
    pit_histogram,
    point_predictions,
    pooled,
)
from .calibrate import GAP_MINUTES, IDLE_MINUTES, read_metadata
from .calibrate_inputs import skill_sets
from .calibrate_period import Period, parse_dates, test_period
from .cdr import read_cdr

TASKS_DIR = "tasks"
#: Replication r of a day draws from stream ``day * 1000 + r`` (:func:`~ccsim.planning.backtest_days.day_key`):
#: more would reuse the next day's callers.
MAX_REPS = 1000
MODELS = ["ccsim", "erlang_a"]


@dataclass
class Backtest:
    """A backtest's tables: the simulated counts, the comparison with the log, the scores."""

    name: str
    settings: dict[str, Any]
    sim: pd.DataFrame  # per day x interval x replication x queue: counts
    table: pd.DataFrame  # per (date, interval): observed beside each model's prediction
    errors: pd.DataFrame  # (level, model) -> MAE and bias per KPI
    coverage: pd.DataFrame  # per KPI: coverage of the 50 % and 90 % intervals
    ranks: pd.DataFrame  # per (date, interval) and KPI: the observed value's rank, inside the intervals
    bands: pd.DataFrame  # per KPI and interval of the day: the pooled prediction's quantiles
    by_hour: pd.DataFrame
    by_day: pd.DataFrame
    left_out: int  # intervals with calls but without a prediction of both models
    folder: Path | None = None

    def summary(self) -> dict[str, Any]:
        """Everything a script needs, as plain data (the ``--json`` output)."""
        errs = {level: {model: {k: _num(v) for k, v in self.errors.loc[(level, model)].items()}
                        for model in self.errors.loc[level].index}
                for level in self.errors.index.get_level_values("level").unique()}
        return {"backtest": self.name, **self.settings, "intervals": int(len(self.table)),
                "left_out": self.left_out, "errors": errs,
                "coverage": {k: {c: _num(v) for c, v in row.items()} for k, row in self.coverage.iterrows()},
                "rank_histogram": pit_histogram(self.ranks).round(4).to_dict(),
                "folder": str(self.folder) if self.folder else None}


def _num(x: Any) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else round(x, 4)


@dataclass
class PreparedBacktest:
    """A backtest ready to run: the day scenarios and the folder (checked, manifest written)."""

    scenario: Scenario
    settings: dict[str, Any]
    days: list[DayInputs]
    scenarios: list[Scenario]
    queues: list[str]
    folder: Path | None
    manifest: dict[str, Any]
    calls: pd.DataFrame

    @property
    def total(self) -> int:
        return len(self.days) * self.settings["reps"]


def backtest(
    scenario: str | Path | Scenario | None = None, log: str | Path | pd.DataFrame | None = None,
    test: str | tuple | None = None, *, days: str | Sequence[str] | None = None, reps: int = 40,
    format: str | Path | dict = "anonymous_bank", out: str | Path | None = None, resume: str | Path | None = None,
    workers: int | None = None, executor: str = "local", scheduler: str | None = None,
    erlang_patience: float | None = None, arrivals: str = "poisson", service: str = "day",
    types: Sequence[str] | None = None, skip_bad_rows: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Backtest:
    """Simulate every day of the test period and compare with the log (module docstring).

    Args:
        scenario: the calibrated scenario (a file made by ``calibrate``, or any scenario whose
            intents are named by the log's call types).
        log: the call log (read with ``format``), or calls already read.
        test: ``"FROM..TO"`` (dates or months, inclusive); must not overlap the training period.
        days: weekdays tested (default: the calibration's, else every day).
        reps: replications per day.
        out: a folder for the results (new or empty; default: none, nothing written).
        resume: the folder of an interrupted backtest: its finished days are read back, the rest
            simulated with the settings it started with (and the log it read, unless ``log`` is given).
        erlang_patience: Erlang A's exponential patience (default: the calibration's).
        arrivals: ``"poisson"`` (the default: each replication's count of calls varies around
            the day's, which also stands for the uncertainty of the inputs rebuilt from the log)
            or ``"exact"`` (each interval gets exactly the day's count).
        service: ``"day"`` (the default, as Erlang A: handle times scaled to each interval's
            mean service time that day) or ``"scenario"`` (the scenario's own handle times).
        types: the call types scored (default: every intent of the scenario); e.g. a scenario
            of the whole center scored on its PS calls, which compete with the others for agents.
        skip_bad_rows: skip unreadable rows of the log (listed in a warning) instead of stopping;
            kept in the manifest, so a resumed backtest reads the log the same way.

    Raises:
        ScenarioError: bad dates, an empty period, a test period overlapping the training one,
            a scenario that does not fit the log.
        Interrupted: on Ctrl-C; the finished days are kept in ``out`` (resume it).
    """
    prepared = prepare_backtest(scenario, log, test, days=days, reps=reps, format=format, out=out, resume=resume,
                                erlang_patience=erlang_patience, arrivals=arrivals, service=service, types=types,
                                skip_bad_rows=skip_bad_rows)
    return execute_backtest(prepared, workers=workers, executor=executor, scheduler=scheduler, progress=progress)


def prepare_backtest(scenario, log, test, *, days=None, reps=40, format="anonymous_bank", out=None, resume=None,
                     erlang_patience=None, arrivals: str = "poisson", service: str = "day",
                     types: Sequence[str] | None = None, log_name: str | None = None,
                     skip_bad_rows: bool = False) -> PreparedBacktest:
    """Everything before simulating: the settings checked, the log read, the days' scenarios
    built and validated, the folder prepared (or reopened with ``resume``)."""
    manifest: dict[str, Any] = {}
    if resume is not None:
        folder = Path(resume)
        manifest = read_manifest(folder)
        if manifest.get("kind") != "backtest":
            raise ScenarioError([("--resume", f"{folder} holds a {manifest.get('kind')}, not a backtest")])
        prepare_folder(folder, results=())
        remove_stale_temporaries(folder)
        settings = manifest["settings"]
        scenario = load_scenario(folder / "scenario.yaml")
        if log is None:  # the log it read (a log given now, e.g. calls already read, is used instead)
            log, format = settings["log"], settings["format"]
        test = settings["test"]
        days, reps, erlang_patience = settings["days"], settings["reps"], settings["erlang_patience"]
        arrivals, service = settings.get("arrivals", "poisson"), settings.get("service", "day")
        types = settings.get("scored")
        skip_bad_rows = settings.get("skip_bad_rows", False)
        meta = settings.get("calibration") or {}
    else:
        folder = Path(out) if out is not None else None
        meta = (read_metadata(scenario) if isinstance(scenario, (str, Path)) else None) or {}
        scenario = load_scenario(scenario)
    if not 1 <= reps <= MAX_REPS:
        raise ScenarioError([("--reps", f"must be from 1 to {MAX_REPS:,} replications per day, got {reps}")])
    if arrivals not in ARRIVALS:
        raise ScenarioError([("--arrivals", f"unknown '{arrivals}'; allowed: {', '.join(ARRIVALS)}")])
    if service not in SERVICE:
        raise ScenarioError([("--service", f"unknown '{service}'; allowed: {', '.join(SERVICE)}")])
    intents = [i.name for i in scenario.intents]
    if types is not None and [t for t in types if t not in intents]:
        raise ScenarioError([("--types", f"{', '.join(t for t in types if t not in intents)}: not an intent of the "
                              f"scenario (it has {', '.join(intents)})")])
    period = test_period(test, days, scenario, meta)
    scored = list(dict.fromkeys(types)) if types else intents
    types = intents
    calls = log if isinstance(log, pd.DataFrame) else read_cdr(log, format, skip_bad_rows=skip_bad_rows)
    in_log = set(observed.real_calls(calls, **period.select)["call_type"].dropna().unique())
    if not in_log:
        raise ScenarioError([("--test", f"no calls in {period.describe()}: an empty period")])
    unknown = [t for t in types if t not in in_log]
    if unknown and len(unknown) == len(types):
        raise ScenarioError([("SCENARIO", f"its intents ({', '.join(types)}) are not call types of the log in "
                              f"{period.describe()} (it has {', '.join(sorted(in_log))}); calibrate it from this log")])
    if erlang_patience is None:  # Erlang A's patience: the scored type's own, or all the types' together
        by_type = meta.get("erlang_patience_by_type") or {}
        own = by_type.get(scored[0]) if len(scored) == 1 else None
        erlang_patience = own if own is not None else meta.get("erlang_patience")
    if erlang_patience is None:
        raise ScenarioError([("--erlang-patience", "the scenario has no calibration beside it: give Erlang A's "
                              "exponential patience in seconds (the training period's seconds waited / hang-ups)")])
    gap, idle = meta.get("gap_minutes", GAP_MINUTES), meta.get("idle_minutes", IDLE_MINUTES)
    log_name = log_name or (str(log) if not isinstance(log, pd.DataFrame) else "(calls)")
    settings = {"scenario": scenario.name, "log": log_name,
                "format": format if isinstance(format, str) else str(format), "reps": int(reps),
                "erlang_patience": float(erlang_patience), "gap_minutes": gap, "idle_minutes": idle,
                "arrivals": arrivals, "service": service, "scored": scored,
                "skip_bad_rows": bool(skip_bad_rows),
                "calibration": meta}
    prepared = prepare_days(scenario, calls, period, settings)
    prepared.folder = folder
    if folder is not None and resume is None:
        prepare_folder(folder)
        atomic_write_text(folder / "scenario.yaml", scenario.to_yaml())
        manifest = {"kind": "backtest", "name": scenario.name, "settings": prepared.settings}
        atomic_write_json(folder / MANIFEST, manifest)
    elif resume is not None:
        manifest["resumed"] = [*manifest.get("resumed", []), now_iso()]
    prepared.manifest = manifest
    return prepared


def prepare_days(scenario: Scenario, calls: pd.DataFrame, period: Period, settings: dict[str, Any],
                 inputs: list[DayInputs] | None = None) -> PreparedBacktest:
    """The days of ``period`` ready to simulate: their inputs (rebuilt from the log unless given)
    and scenarios. ``settings``: reps, erlang_patience, gap_minutes, idle_minutes (and any more
    to keep); no folder."""
    types = [i.name for i in scenario.intents]
    if inputs is None:
        pools = skill_sets(calls, types, period)
        inputs = day_inputs(calls, types, period, pools, settings["gap_minutes"], settings["idle_minutes"])
    if not inputs:
        raise ScenarioError([("--test", f"no {', '.join(types)} calls in {period.describe()}: an empty period")])
    if not any(sum(agents) > 0 for d in inputs for agents in d.presence.values()):
        raise ScenarioError([("LOG", f"no answered {', '.join(types)} call in {period.describe()} names its agent: "
                              "the agents present, rebuilt from who answered when, are needed for every day")])
    settings = {"scored": types, **settings, "test": f"{period.first:%Y-%m-%d}..{period.last:%Y-%m-%d}",
                "days": list(period.weekdays), "hours": list(period.hours),
                "interval_minutes": period.interval_minutes, "types": types, "seed": scenario.seed,
                "test_days": len(inputs)}
    scenarios = [day_scenario(scenario, d, settings.get("service", "day")) for d in inputs]
    queues = list(dict.fromkeys(i.skill for i in scenario.intents))
    return PreparedBacktest(scenario, settings, inputs, scenarios, queues, None, {}, calls)


def _task(scenario: Scenario, seed: int, key: int, reps: int, queues: list[str], arrivals: str) -> dict[str, Any]:
    return simulate_day(scenario, seed, key, range(reps), queues, arrivals)


def execute_backtest(prepared: PreparedBacktest, workers: int | None = None, executor: str = "local",
                     scheduler: str | None = None, progress: Callable[[int, int], None] | None = None) -> Backtest:
    """Simulate the days not finished yet (one task per day), then score (see :func:`backtest`)."""
    from ..version import __version__

    p = prepared
    reps, seed = p.settings["reps"], p.settings["seed"]
    folder = p.folder
    parts: dict[int, dict[str, Any]] = {}
    if folder is not None:
        (folder / TASKS_DIR).mkdir(exist_ok=True)
        parts = _read_tasks(folder, len(p.queues))
        p.manifest.update({"ccsim_version": __version__, "command": command_line(), "status": "running",
                           "started": p.manifest.get("started", now_iso()), "finished": None})
        atomic_write_json(folder / MANIFEST, p.manifest)
    keys = [day_key(d.date) for d in p.days]
    todo = [k for k, key in enumerate(keys) if key not in parts]
    total = p.total
    done = (len(p.days) - len(todo)) * reps
    with interrupt_once():
        try:
            if progress:
                progress(done, total)
            arrivals = p.settings.get("arrivals", "poisson")
            tasks = [(p.scenarios[k], seed, keys[k], reps, p.queues, arrivals) for k in todo]
            with closing(run_tasks(_task, tasks, workers=workers, executor=executor, scheduler=scheduler)) as outs:
                for outcome in outs:
                    if outcome.error is not None:
                        day = p.days[todo[outcome.index]].date
                        raise RuntimeError(f"the simulation of {day:%Y-%m-%d} failed:\n{outcome.error}")
                    with deferred_interrupts():  # on disk and counted, or neither
                        result = outcome.result
                        if folder is not None:
                            atomic_write_parquet(folder / TASKS_DIR / f"d{result['key']:06d}.parquet",
                                                 _long(result, p.scenario.n_intervals))
                        parts[result["key"]] = result
                        done += reps
                    if progress:
                        progress(done, total)
        except KeyboardInterrupt:
            if folder is not None:
                p.manifest.update({"status": "interrupted", "interrupted": now_iso()})
                atomic_write_json(folder / MANIFEST, p.manifest)
            raise Interrupted(done, total, folder) from None
    result = score(p, parts)
    if folder is not None:
        write_tables(result, folder)
        p.manifest.update({"status": "complete", "finished": now_iso()})
        atomic_write_json(folder / MANIFEST, p.manifest)
        result.folder = folder
    return result


def _long(result: dict[str, Any], n: int) -> pd.DataFrame:
    """A day's counts as rows: replication, queue, interval, counts."""
    counts = np.asarray(result["counts"], dtype=float)
    r, q, k = np.meshgrid(result["replications"], np.arange(len(result["queues"])), np.arange(n), indexing="ij")
    frame = pd.DataFrame(counts.reshape(-1, len(COUNTS)), columns=list(COUNTS))
    frame.insert(0, "interval", k.ravel())
    frame.insert(0, "queue", np.asarray(result["queues"])[q.ravel()])
    frame.insert(0, "replication", r.ravel())
    frame.insert(0, "key", result["key"])
    return frame


def _read_tasks(folder: Path, n_queues: int) -> dict[int, dict[str, Any]]:
    """Finished days of an interrupted backtest, as :func:`simulate_day` returns them."""
    out = {}
    for path in sorted((folder / TASKS_DIR).glob("d*.parquet")):
        frame = pd.read_parquet(path)
        queues = list(dict.fromkeys(frame["queue"]))
        reps = sorted(frame["replication"].unique())
        n = int(frame["interval"].max()) + 1
        counts = frame[list(COUNTS)].to_numpy().reshape(len(reps), len(queues), n, len(COUNTS))
        out[int(frame["key"].iloc[0])] = {"key": int(frame["key"].iloc[0]), "replications": reps,
                                           "queues": queues, "counts": counts}
    return out


def score(p: PreparedBacktest, parts: dict[int, dict[str, Any]]) -> Backtest:
    """The comparison of the simulated days with the log and with Erlang A."""
    s = p.settings
    labels = p.scenario.interval_labels()
    period = Period(*parse_dates(s["test"]), tuple(s["days"]), tuple(s["hours"]), s["interval_minutes"])
    frames = []
    for d in p.days:
        frame = _long(parts[day_key(d.date)], len(labels))
        frame["date"] = d.date
        frames.append(frame)
    sim = pd.concat(frames, ignore_index=True)
    sim["interval"] = np.asarray(labels)[sim["interval"].to_numpy()]
    scored = s.get("scored") or s["types"]
    skills = {i.skill for i in p.scenario.intents if i.name in scored}
    sim = sim[sim["queue"].isin(skills).to_numpy()].drop(columns="key")
    kpis = observed.interval_kpis(p.calls, interval_minutes=period.interval_minutes, sl_seconds=p.scenario.
                                  service_level_seconds, call_types=scored, **period.select)
    erlang = observed.erlang_a_reference(p.calls, patience_seconds=s["erlang_patience"], call_types=scored,
                                         sl_seconds=p.scenario.service_level_seconds,
                                         interval_minutes=period.interval_minutes, gap_minutes=s["gap_minutes"],
                                         idle_minutes=s["idle_minutes"], **period.select)
    ea = erlang.intervals[[c for c in erlang.intervals.columns if c.endswith("_erlang_a")]]
    ea.columns = [c[: -len("_erlang_a")] for c in ea.columns]
    table = comparison_table(kpis, {"ccsim": point_predictions(sim), "erlang_a": ea})
    left_out = int((kpis["offered"] > 0).sum() - len(table))
    if table.empty:
        raise ScenarioError([("--test", f"none of the {left_out:,} intervals with calls has agents present and an "
                              "answered call: neither model can be scored")])
    ranks, coverage = calibration(sim, table)
    return Backtest(p.scenario.name, {k: v for k, v in s.items() if k != "calibration"}, sim, table,
                    error_table(table, MODELS), coverage, ranks, hour_bands(sim, table),
                    pooled(table, "interval", MODELS), pooled(table, "date", MODELS), left_out)


def write_tables(result: Backtest, folder: Path) -> None:
    """The backtest's tables (Parquet) and ``summary.json``."""
    atomic_write_parquet(folder / "simulated.parquet", result.sim)
    for name in ("table", "by_hour", "by_day", "bands", "ranks"):
        atomic_write_parquet(folder / f"{name}.parquet", getattr(result, name).reset_index())
    atomic_write_parquet(folder / "errors.parquet", result.errors.reset_index())
    atomic_write_parquet(folder / "coverage.parquet", result.coverage.reset_index())
    atomic_write_json(folder / "summary.json", json.loads(json.dumps(result.summary(), default=str)))

