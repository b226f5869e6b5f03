"""A scenario of your own center, estimated from its call log: ``ccsim calibrate``.

A planner has last half-year's log and wants a scenario that behaves like their center on an
ordinary Sunday-to-Thursday: ``calibrate("../shared/data/anonymous_bank_1999", train=
"1999-01-01..1999-06-30", types=["PS"])``. Everything comes from the training period only
(the days after it are for :func:`ccsim.planning.backtest.backtest`):

1. from the log directly (:mod:`~ccsim.planning.calibrate_inputs`): arrivals per interval
   and their day-to-day spread, handle times, patience by Kaplan-Meier, redials, agents
   present per interval and pools by skill set;
2. by simulation (:mod:`~ccsim.planning.calibrate_fit`): after-call work and a reserve of
   agents who join when callers have waited, fitted so that the training days, replayed
   with their own volume and agents, reproduce what happened.

The scenario describes the average day of the chosen day type: each call type an intent on
its own skill with its first calls per interval (redials come from ``redial``), handle-time
distribution and hourly factor, Kaplan-Meier patience and after-call work; each skill set a
pool with its average agents present per interval (fractional, time-shared); the reserve an
overflow pool. :class:`Calibration` holds it with every table behind it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ScenarioError
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from . import observed
from .backtest_days import DayInputs, day_inputs
from .calibrate_fit import DEFAULT_GRID, FitResult, fit, params_data
from .calibrate_inputs import (
    ArrivalFit,
    HandleTimeFit,
    PatienceFit,
    RedialFit,
    after_call_gaps,
    arrival_profile,
    handle_time_fit,
    patience_fit,
    pool_types,
    presence,
    redial_fit,
    skill_sets,
)
from .calibrate_period import Period, period_from
from .cdr import read_cdr
from .forecast_apply import scenario_yaml
from .survival import exponential_patience

#: Presence rule (see :func:`ccsim.planning.observed.presence_stretches`): gaps shorter than
#: GAP_MINUTES are presence; gaps up to IDLE_MINUTES are when nobody the agent serves waited.
GAP_MINUTES = 10.0
IDLE_MINUTES = 60.0


@dataclass
class Settings:
    """What a calibration was asked for (kept beside the scenario, read by the backtest)."""

    log: str
    format: str
    period: Period
    types: list[str]
    sl_seconds: float = 20.0
    gap_minutes: float = GAP_MINUTES
    idle_minutes: float = IDLE_MINUTES
    seed: int = 1

    def to_dict(self) -> dict[str, Any]:
        p = self.period
        return {"log": self.log, "format": self.format, "train": f"{p.first:%Y-%m-%d}..{p.last:%Y-%m-%d}",
                "days": list(p.weekdays), "hours": list(p.hours), "interval_minutes": p.interval_minutes,
                "types": self.types, "sl_seconds": self.sl_seconds, "gap_minutes": self.gap_minutes,
                "idle_minutes": self.idle_minutes, "seed": self.seed}


@dataclass
class Calibration:
    """A calibrated scenario and everything it was estimated from."""

    scenario: Scenario
    data: dict[str, Any]  # the scenario as written (what was estimated and fitted, no defaults)
    settings: Settings
    arrivals: ArrivalFit
    handle_times: dict[str, HandleTimeFit]
    patience: dict[str, PatienceFit]
    redials: RedialFit
    pools: dict[str, str]  # agent -> pool
    presence: pd.DataFrame  # (date, interval) x pool
    gaps: np.ndarray
    fit: FitResult | None
    train_days: list[DayInputs] = field(repr=False)
    observed: pd.DataFrame = field(repr=False)  # training interval KPIs of the modelled types
    erlang: observed.ErlangReference = field(repr=False)  # Erlang A on the training days
    erlang_patience: float = 0.0  # exponential patience of the modelled types together (Erlang A's)
    training: Any = field(default=None, repr=False)  # the training days replayed (a Backtest), or None
    calls: pd.DataFrame | None = field(default=None, repr=False)  # the log as read

    def metadata(self) -> dict[str, Any]:
        """The settings, the fitted values and Erlang A's patience (for the backtest)."""
        fitted = self.fit.best if self.fit is not None else {}
        return {**self.settings.to_dict(), "fitted": fitted, "erlang_patience": round(self.erlang_patience, 2),
                "erlang_patience_by_type": {t: round(p.exponential_mean, 2) for t, p in self.patience.items()},
                "handle_time": {t: h.reason for t, h in self.handle_times.items()},
                "train_days": len(self.train_days)}

    def yaml(self) -> str:
        """The scenario file: the scenario with a comment saying where it comes from."""
        s = self.settings
        fitted = self.fit.best if self.fit is not None else {}
        lines = [f"{self.scenario.name}: calibrated from {s.log} ({s.format})",
                 f"training period: {s.period.describe()}; call types: {', '.join(s.types)}",
                 f"arrivals: first calls per interval, mean of {self.arrivals.days} days; busyness_cv "
                 f"{self.arrivals.busyness_cv:.3f}; redials: {self.redials.probability:.1%} of identified callers "
                 "who hung up called again the same day",
                 *(f"handle time {t}: {h.reason}" for t, h in self.handle_times.items()),
                 "patience: Kaplan-Meier per call type (survival), exponential tail",
                 f"agents: presence from the services (gaps under {s.gap_minutes:g} min, idle gaps up to "
                 f"{s.idle_minutes:g} min), mean per interval, pools by skill set",
                 "fitted by simulation on the training days: " + (", ".join(
                     f"{k} {v:g}" for k, v in fitted.items()) or "nothing (--no-fit)")]
        return scenario_yaml(self.data, "\n".join(lines))


def calibrate(
    log: str | Path | pd.DataFrame, train: str | tuple, *, days: str | Sequence[str] = "Sun-Thu",
    hours: str | tuple[int, int] = (7, 24), interval: float = 60, types: Sequence[str] | None = None,
    format: str | Path | Mapping = "anonymous_bank", fit_grid: Mapping[str, Mapping] | None = DEFAULT_GRID,
    fit_reps: int = 4, sl_seconds: float = 20.0, gap_minutes: float = GAP_MINUTES,
    idle_minutes: float = IDLE_MINUTES, seed: int = 1, workers: int | None = None, name: str | None = None,
    training_reps: int = 10, out: str | Path | None = None, overwrite: bool = False, log_name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Calibration:
    """Estimate a scenario from a call log's training period (module docstring).

    Args:
        log: the log (a file or folder read with ``format``), or calls already read
            (:func:`~ccsim.planning.cdr.read_cdr`).
        train: ``"FROM..TO"`` (dates or months, inclusive) or a (first, last) pair.
        days, hours, interval: the day type (``"Sun-Thu"``), hours (``"7-24"``) and interval
            length in minutes modelled.
        types: call types modelled (default: every type with calls in the period); each is an
            intent; agents serving several form pools by skill set.
        fit_grid: the values tried for the fitted parameters, ``{"coarse": ..., "fine": ...}``
            (:data:`~ccsim.planning.calibrate_fit.DEFAULT_GRID`; None: no fit).
        fit_reps: replications per training day and grid point.
        training_reps: replications per training day of the calibrated scenario, replayed at
            the end to show the fit (0: not replayed).
        out: write the scenario file there (and ``<stem>-calibration/calibration.json`` beside
            it); refused when it exists unless ``overwrite``. The HTML report is written by the
            CLI, or by :func:`ccsim.presentation.calibration_plots.write_calibration_report`.
        workers: processes for the fit (None: every core).
        name: the scenario's name (default: from the log's name, the types and the days).
        log_name: where the calls came from, when ``log`` is calls already read (for the name
            and the metadata).
        progress: ``progress(done, total)`` during the fit and the replay, in simulated days.

    Raises:
        ScenarioError: a bad period, no calls in it, a type not in the log, an unreadable log.
    """
    period = period_from(train, days, hours, interval)
    if out is not None:
        check_out(out, overwrite)
    calls = log if isinstance(log, pd.DataFrame) else read_cdr(log, format)
    types = _types(calls, period, types)
    settings = Settings(log_name or (str(log) if not isinstance(log, pd.DataFrame) else "(calls)"),
                        "(calls)" if isinstance(log, pd.DataFrame) and not log_name else
                        format if isinstance(format, str) else str(format), period, list(types), sl_seconds,
                        gap_minutes, idle_minutes, seed)
    arrivals = arrival_profile(calls, types, period)
    _check_agents(calls, types, period)
    handle = {t: _handle_time(calls, t, period) for t in types}
    patience = {t: _patience(calls, t, period) for t in types}
    redials = redial_fit(calls, types, period)
    pools = skill_sets(calls, types, period)
    agents = presence(calls, types, period, pools, gap_minutes, idle_minutes)
    gaps = after_call_gaps(calls, types, period, gap_minutes)
    data = build_scenario(name or _name(settings), period, arrivals, handle, patience, redials, agents, sl_seconds,
                          seed)
    base = _validated(data)
    train_days = day_inputs(calls, types, period, pools, gap_minutes, idle_minutes)
    kpis = observed.interval_kpis(calls, interval_minutes=interval, sl_seconds=sl_seconds, call_types=list(types),
                                  **period.select)
    erlang_patience = exponential_patience(calls, list(types), **period.select)
    reference = observed.erlang_a_reference(
        calls, patience_seconds=erlang_patience, call_types=list(types), sl_seconds=sl_seconds,
        interval_minutes=interval, gap_minutes=gap_minutes, idle_minutes=idle_minutes, **period.select)
    fitted = None
    scenario = base
    if fit_grid:
        scales = {f"{'interval' if level == 'per interval' else 'hour'}_{k}": v
                  for level, row in reference.errors.iterrows() for k, v in row.items()}
        fitted = fit(base, train_days, kpis, scales, grid=fit_grid, reps=fit_reps, seed=seed, workers=workers,
                     progress=progress)
        data = params_data(data, fitted.best)
        scenario = _validated(data)
    result = Calibration(scenario, data, settings, arrivals, handle, patience, redials, pools, agents, gaps, fitted,
                         train_days, kpis, reference, erlang_patience, calls=calls)
    if training_reps > 0:
        result.training = replay(result, training_reps, workers, progress)
    if out is not None:
        write_calibration(result, out, overwrite)
    return result


def replay(result: Calibration, reps: int, workers: int | None = None,
           progress: Callable[[int, int], None] | None = None) -> Any:
    """The training days simulated with the calibrated scenario and scored like a backtest
    (in-sample: how well the fit reproduces the days it was fitted on)."""
    from .backtest import execute_backtest, prepare_days

    s = result.settings
    prepared = prepare_days(result.scenario, result.calls, s.period,
                            {"scenario": result.scenario.name, "log": s.log, "format": s.format, "reps": reps,
                             "erlang_patience": result.erlang_patience, "gap_minutes": s.gap_minutes,
                             "idle_minutes": s.idle_minutes, "calibration": {}},
                            inputs=result.train_days)
    return execute_backtest(prepared, workers=workers, progress=progress)


def check_out(out: str | Path, overwrite: bool) -> None:
    """The scenario file can be written: not a folder, its folder exists, not there unless ``overwrite``.

    Raises:
        ScenarioError: why not, on ``--out``.
    """
    path = Path(out)
    if path.is_dir():
        raise ScenarioError([("--out", f"{path} is a folder; give a file name, e.g. {path / 'scenario.yaml'}")])
    if not path.parent.is_dir():
        raise ScenarioError([("--out", f"the folder {path.parent} does not exist")])
    if path.exists() and not overwrite:
        raise ScenarioError([("--out", f"{path} exists; give another file, or --overwrite to replace it")])


def _types(calls: pd.DataFrame, period: Period, types: Sequence[str] | None) -> list[str]:
    real = observed.real_calls(calls, **period.select)
    offered = real[real["wait"].notna().to_numpy()]
    if offered.empty:
        raise ScenarioError([("--train", f"no calls reached the queue in {period.describe()}: an empty period")])
    counts = offered["call_type"].value_counts()
    if types is None:
        return sorted(str(t) for t, n in counts.items() if n > 0)
    missing = [t for t in types if t not in counts.index]
    if missing:
        have = ", ".join(f"{t} ({n:,})" for t, n in counts.items())
        raise ScenarioError([("--types", f"no {', '.join(missing)} calls in {period.describe()}; the log has: {have}")])
    return list(dict.fromkeys(types))


def _check_agents(calls: pd.DataFrame, types: Sequence[str], period: Period) -> None:
    """Presence is rebuilt from who answered: a log without agents cannot be calibrated."""
    real = observed.real_calls(calls, list(types), **period.select)
    served = real[(real["outcome"] == "served").to_numpy()]
    if "agent" not in served or served["agent"].isna().all():
        raise ScenarioError([("LOG", f"no answered {', '.join(types)} call in {period.describe()} names its agent; "
                              "the agents present are rebuilt from who answered when, so the log needs an agent "
                              "column (the mapping's columns.agent)")])


def _handle_time(calls: pd.DataFrame, call_type: str, period: Period) -> HandleTimeFit:
    try:
        return handle_time_fit(calls, call_type, period)
    except ValueError as exc:
        raise ScenarioError([("--types", f"{call_type}: {exc}; leave it out of --types")]) from None


def _patience(calls: pd.DataFrame, call_type: str, period: Period) -> PatienceFit:
    try:
        return patience_fit(calls, call_type, period)
    except ValueError as exc:
        raise ScenarioError([("--types", f"{call_type}: {exc}")]) from None


def _name(settings: Settings) -> str:
    stem = Path(settings.log).stem.lower().replace("_", "-") if settings.log != "(calls)" else "center"
    stem = "".join(ch for ch in stem if ch.isalnum() or ch in "-.") or "center"
    days = "-".join(d.lower() for d in (settings.period.weekdays[0], settings.period.weekdays[-1]))
    return f"{stem}-{'-'.join(t.lower() for t in settings.types) if len(settings.types) <= 3 else 'all'}-{days}"


def build_scenario(name: str, period: Period, arrivals: ArrivalFit, handle: dict[str, HandleTimeFit],
                   patience: dict[str, PatienceFit], redials: RedialFit, agents: pd.DataFrame, sl_seconds: float,
                   seed: int) -> dict[str, Any]:
    """The average day of the period as scenario data (module docstring), before the fit."""
    labels = period.labels()
    per_hour = 60.0 / period.interval_minutes
    intents = []
    for t, h in handle.items():
        mean = distribution_mean(h.chosen)
        factor = [round(float(x) / mean, 4) if np.isfinite(x) else 1.0 for x in h.by_interval.reindex(labels)]
        intents.append({
            "name": t, "skill": t, "rate_per_hour": [round(x * per_hour, 4) for x in arrivals.fresh[t].reindex(labels)],
            "handle_time": h.chosen, "handle_time_factor": factor, "patience": patience[t].distribution,
        })
    mean_agents = agents.groupby(level="interval").sum() / max(agents.index.get_level_values("date").nunique(), 1)
    mean_agents = mean_agents.reindex(labels).fillna(0.0)
    pools = [{"name": str(p), "agents": [round(float(x), 3) for x in mean_agents[p]],
              "skills": pool_types(str(p), list(handle)),
              "takes": "longest_waiting"} for p in mean_agents.columns]
    served = {s for p in pools for s in p["skills"]}
    pools += [{"name": f"{t}-none", "agents": 0, "skills": [t]} for t in handle if t not in served]
    segment = {"name": "callers", "share": 1.0}
    if redials.redial() is not None:
        segment["redial"] = redials.redial()
    data = {
        "name": name, "seed": seed,
        "horizon": {"hours": period.hours[1] - period.hours[0], "interval_minutes": period.interval_minutes,
                    "start": f"{period.hours[0]:02d}:00", "drain": True},
        "service_level_seconds": sl_seconds,
        "arrivals": {"busyness_cv": round(min(arrivals.busyness_cv, 2.0), 4)},
        "segments": [segment], "intents": intents, "pools": pools,
        "routing": {"agent_selection": "longest_idle"},
    }
    return data


def _validated(data: dict[str, Any]) -> Scenario:
    try:
        return load_scenario(data)
    except ScenarioError as exc:  # a bug here, not the user's: say what was built
        raise ScenarioError(exc.problems, source="the calibrated scenario") from None


def distribution_mean(dist: Mapping[str, Any]) -> float:
    """The mean of a scenario distribution given as plain data."""
    from pydantic import TypeAdapter

    from ..spec.distributions import Distribution

    return float(TypeAdapter(Distribution).validate_python(dict(dist)).mean)


def write_calibration(result: Calibration, out: str | Path, overwrite: bool = False) -> tuple[Path, Path]:
    """Write the scenario file and, beside it, ``<name>-calibration/calibration.json`` (the
    settings, fitted values and tables the backtest and the report read)."""
    out = Path(out)
    folder = calibration_folder(out)
    check_out(out, overwrite)
    from ..experiments.store import atomic_write_json, atomic_write_text, json_ready

    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, result.yaml())
    atomic_write_json(folder / "calibration.json", json_ready(result.metadata()))
    return out, folder


def calibration_folder(scenario_path: str | Path) -> Path:
    """Where the calibration of ``scenario.yaml`` keeps its report and metadata: ``scenario-calibration/``."""
    path = Path(scenario_path)
    return path.with_name(f"{path.stem}-calibration")


def read_metadata(scenario_path: str | Path) -> dict[str, Any] | None:
    """The calibration metadata beside a scenario file, if it was made by :func:`calibrate`."""
    path = calibration_folder(scenario_path) / "calibration.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
