"""What ``ccsim staff`` answers: the staffing, its KPIs, its cost, and the proof, as tables and files.

A planner takes away: per interval and pool the agents required against those planned
(``staffing``); per interval and target the KPI at that staffing on fresh seeds, with its 95%
confidence interval and the margin to the target (``kpis``); the agent-hours and cost before
and after; the proof (a verification run, the single-removal checks); and a scenario with the
staffing in it, whose ``ccsim run`` reproduces the verified figures. ``write(folder)`` saves it
all, each file atomically, with a ``manifest.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..experiments.store import (
    MANIFEST,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
    command_line,
    json_ready,
    now_iso,
)
from ..spec.scenario import Scenario

#: Files a staffing search writes into its folder.
STAFF_FILES = (MANIFEST, "scenario.yaml", "staffing.parquet", "kpis.parquet", "intervals.parquet",
               "checks.parquet", "rounds.parquet", "staffing.png")


@dataclass
class StaffingResult:
    """The staffing found, its KPIs and the proof.

    Attributes:
        scenario: the scenario as given.
        staffed: the scenario with the staffing found (and the verification seed): ``ccsim run``
            of it with ``replications`` replications reproduces the verified figures.
        staffing: per interval x pool: ``current`` and ``required`` agents, ``change``, ``warmup``.
        kpis: per interval x target (per target with ``per="day"``): the KPI at the staffing found
            on the verification seeds (``mean``, ``ci_low``, ``ci_high``), on the search sample
            (``search_mean``), at the current staffing on the verification seeds (``current_mean``),
            the ``target``, the ``margin`` (positive: on the good side) and ``met`` (the claim stands).
        intervals: per interval: arrivals, offered, service level, ASA, abandon rate, before and after
            (verification seeds; means).
        checks: one row per single-agent removal checked: interval, pool, ``passed`` (it made some
            interval, or the day, miss), where it missed.
        rounds: the search's history: per batch, its phase, plans, replications, intervals moving.
        summary: agent-hours, cost, day KPIs before and after, the proof, the search's figures.
    """

    scenario: Scenario
    staffed: Scenario
    staffing: pd.DataFrame
    kpis: pd.DataFrame
    intervals: pd.DataFrame
    checks: pd.DataFrame
    rounds: pd.DataFrame
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def required(self) -> pd.DataFrame:
        """Required agents, intervals x pools (clock times as the index)."""
        return self.staffing.pivot(index="clock", columns="pool", values="required").loc[
            list(dict.fromkeys(self.staffing["clock"]))]

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: settings, staffing per interval, KPIs, hours, cost, proof, search."""
        rows = []
        for (k, clock), part in self.staffing.groupby(["interval", "clock"], sort=True):
            row: dict[str, Any] = {"interval": int(k), "clock": clock, "warmup": bool(part["warmup"].iloc[0]),
                                   "pools": {p: {"current": _num(c), "required": _num(r)}
                                             for p, c, r in zip(part["pool"], part["current"], part["required"],
                                                                strict=True)}}
            if "interval" in self.kpis:
                mine = self.kpis[self.kpis["interval"] == k]
                row["kpis"] = {g: _kpi(r) for g, r in zip(mine["goal"], mine.to_dict("records"), strict=True)}
            rows.append(row)
        data = {**json_ready(self.summary), "intervals": rows}
        if "interval" not in self.kpis:
            data["day_kpis"] = {g: _kpi(r) for g, r in zip(self.kpis["goal"], self.kpis.to_dict("records"),
                                                              strict=True)}
        data["notes"] = list(self.notes)
        return data

    def scenario_yaml(self, command: str | None = None) -> str:
        """The staffed scenario as YAML, with a comment saying where it came from."""
        from .forecast_apply import scenario_yaml

        s = self.summary
        comment = (f"{self.scenario.name} staffed by ccsim staff: {', '.join(s['targets'])} per {s['per']} "
                   f"({s['confidence']}; {s['replications']} replications)\n"
                   + (f"written by: {command}\n" if command else "")
                   + f"pools staffed: {', '.join(s['pools'])}; seed = the verification seed, so\n"
                   f"  ccsim run FILE --reps {s['replications']}\nreproduces the verified figures.")
        return scenario_yaml(self.staffed.to_dict(), comment)

    def write(self, folder: str | Path, overwrite: bool = False, command: str | None = None) -> Path:
        """Save into ``folder`` (made if missing): manifest, staffed scenario, the tables as Parquet."""
        return write_results(folder, "staff", STAFF_FILES, self, ("staffing", "kpis", "intervals", "checks", "rounds"),
                             overwrite, command)


def write_results(folder: str | Path, kind: str, files: tuple[str, ...], result: Any, tables: tuple[str, ...],
                  overwrite: bool = False, command: str | None = None) -> Path:
    """A staff or schedule result into ``folder``: the manifest (its summary and notes; "writing"
    until the last table is written), ``result.scenario_yaml`` and the tables as Parquet (lists
    in a table as JSON text). A folder holding any of ``files`` is refused unless ``overwrite``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    present = [n for n in files if (folder / n).exists()]
    if present and not overwrite:
        raise FileExistsError(f"{folder} already holds results ({', '.join(present)}); pass overwrite=True")
    manifest = {"kind": kind, "status": "writing", "command": command or command_line(),
                "written": now_iso(), **json_ready(result.summary), "notes": list(result.notes)}
    atomic_write_json(folder / MANIFEST, manifest)
    atomic_write_text(folder / "scenario.yaml", result.scenario_yaml(command))
    for name in tables:
        frame = getattr(result, name).copy()
        for column in frame.columns:
            if frame[column].dtype == object:
                frame[column] = frame[column].map(lambda v: json.dumps(v) if isinstance(v, list) else v)
        atomic_write_parquet(folder / f"{name}.parquet", frame)
    manifest["status"] = "done"
    atomic_write_json(folder / MANIFEST, manifest)
    return folder


def _num(v: Any) -> Any:
    v = float(v)
    return int(v) if v.is_integer() else v


def _kpi(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("mean", "ci_low", "ci_high", "search_mean", "current_mean", "target", "margin", "met")
    return {k: json_ready(row[k]) for k in keys if k in row}


def tables(prob: Any, run: Any, x: np.ndarray, search: Any, verified: Any, ok: np.ndarray, before: Any,
           labels: list[str], pools: list[str], warm: np.ndarray) -> tuple[pd.DataFrame, ...]:
    """The staffing, kpis, intervals, checks and rounds tables of a finished search."""
    n = len(labels)
    staffing = pd.DataFrame({
        "interval": np.tile(np.arange(n), len(pools)), "clock": np.tile(labels, len(pools)),
        "warmup": np.tile(warm, len(pools)), "pool": np.repeat(pools, n),
        "current": prob.current.ravel(), "required": x.ravel(), "change": (x - prob.current).ravel(),
        "cost_per_hour": np.repeat([prob.scenario.pools[p].cost_per_hour for p in prob.free], n)})
    key = "values" if prob.per == "interval" else "day"
    mean, low, high, _ = verified.ci(key)
    s_mean = search.ci(key)[0]
    b_mean = before.ci(key)[0]
    rows = []
    for g, goal in enumerate(prob.goals):
        base = {"goal": goal.label, "kpi": goal.target.kpi, "scope": goal.scope, "target": goal.target.bound}
        if key == "values":
            for k in range(n):
                rows.append({"interval": k, "clock": labels[k], "warmup": bool(warm[k]), **base,
                             "current_mean": b_mean[g, k], "search_mean": s_mean[g, k], "mean": mean[g, k],
                             "ci_low": low[g, k], "ci_high": high[g, k], "margin": goal.margin(mean[g, k]),
                             "met": bool(ok[g, k])})
        else:
            rows.append({**base, "current_mean": b_mean[g], "search_mean": s_mean[g], "mean": mean[g],
                         "ci_low": low[g], "ci_high": high[g], "margin": goal.margin(mean[g]), "met": bool(ok[g])})
    kpis = pd.DataFrame(rows)
    per_interval = {"interval": np.arange(n), "clock": labels, "warmup": warm}
    for name, e in (("current", before), ("required", verified)):
        for k in ("arrivals", "offered", "service_level", "asa_seconds", "abandon_rate"):
            per_interval[f"{k}_{name}"] = _interval_mean(e, k)
    intervals = pd.DataFrame(per_interval)
    checks = pd.DataFrame([{"interval": c["interval"], "clock": labels[c["interval"]], "pool": pools[c["row"]],
                            "agents": x[c["row"], c["interval"]], "passed": c["passed"], "same_interval": c["same"],
                            "missed": [labels[m] for m in c["missed"]]
                            or [prob.goals[g].label for g in c.get("goals", [])]}
                           for c in run.checks],
                          columns=["interval", "clock", "pool", "agents", "passed", "same_interval", "missed"])
    rounds = pd.DataFrame(run.history, columns=["round", "phase", "plans", "moving", "replications", "missing"])
    return staffing, kpis, intervals, checks, rounds


def _interval_mean(e: Any, key: str) -> np.ndarray:
    stacked = np.stack([r["interval_kpis"][key] for r in e.reps])
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(stacked, axis=0)
