"""Putting a forecast into a scenario: each queue's calls, handle time and patience by interval.

The scenario says how the center works — who answers which queue, how long each kind of
call takes and how patient callers are; the forecast says how many calls each queue gets in
each interval and how long they take then. :func:`merge_forecast` writes the second into the
first: the forecast queue ``PS`` (mapped onto the intent of that name, or onto the one intent
whose skill is ``PS``, or as told: ``{"PS": "regular_service"}``) gives that intent its own
``rate_per_hour`` per interval (calls x 60 / interval minutes), a ``handle_time_factor`` per
interval (forecast AHT / the intent's handle-time mean: an AHT of 200 s where the intent's
lognormal has mean 180 s stretches that interval's calls by 200/180, the shape kept), its own
``patience`` (the scenario's shape, scaled to the forecast's volume-weighted mean) with a
``patience_factor`` per interval, and a ``wrapup`` at the volume-weighted mean after-call work
(a day average: the scenario has no after-call work per interval).

The forecast's intervals must have the horizon's length and fall on its grid (the first at
``horizon.start``; with date-times the first date is the horizon's first day). Intervals of the
horizon a queue has no row for (before its first row, after its last) get no calls, with a
warning listing them; rows outside the horizon are an error. Intents no forecast queue maps
onto get no calls, with a warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pydantic import TypeAdapter

from ..errors import ScenarioError
from ..spec.base import clock_seconds
from ..spec.distributions import Distribution
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from .forecast_read import read_forecast

_SHOWN = 6  # intervals or lines listed in one message


class ForecastWarning(UserWarning):
    """Something a planner should know about a forecast put into a scenario (intents left without calls, ...)."""


@dataclass(frozen=True)
class ForecastMerge:
    """A scenario with a forecast in it.

    Attributes:
        scenario: the validated scenario.
        data: the scenario as plain data (what ``ccsim forecast`` writes as YAML).
        summary: one row per forecast queue: intent, volume (calls in the horizon), peak_interval,
            peak_volume, aht_seconds (volume-weighted), and acw_seconds, patience_seconds when given.
        mapping: forecast queue -> intent.
        warnings: what the planner should know, one sentence each.
    """

    scenario: Scenario
    data: dict[str, Any]
    summary: pd.DataFrame
    mapping: dict[str, str]
    warnings: tuple[str, ...]


def apply_forecast(scenario: Scenario | str | Path | Mapping[str, Any], forecast: str | Path | pd.DataFrame,
                   mapping: Mapping[str, str] | None = None) -> Scenario:
    """The scenario with the forecast's volumes, handle times (and patience, after-call work) in it.

    Each warning of :func:`merge_forecast` is issued as a :class:`ForecastWarning`.

    Raises:
        ScenarioError: a forecast that cannot be read, does not fit the horizon, or whose queues
            do not map one to one onto intents.
    """
    merged = merge_forecast(scenario, forecast, mapping)
    for text in merged.warnings:
        warnings.warn(text, ForecastWarning, stacklevel=2)
    return merged.scenario


def merge_forecast(scenario: Scenario | str | Path | Mapping[str, Any], forecast: str | Path | pd.DataFrame,
                   mapping: Mapping[str, str] | None = None) -> ForecastMerge:
    """Write a forecast into a scenario (see the module's description).

    Args:
        scenario: a Scenario, a scenario file or a dict.
        forecast: a forecast file, or a table as :func:`read_forecast` returns it (or with its columns).
        mapping: forecast queue -> intent, for queues whose name is neither an intent's nor the
            skill of exactly one intent.
    """
    s = load_scenario(scenario)
    f = forecast if isinstance(forecast, pd.DataFrame) and "interval_minutes" in forecast.attrs \
        else read_forecast(forecast)
    source = f.attrs["source"]
    queues = list(dict.fromkeys(f["queue"]))
    chosen = map_queues(queues, s, dict(mapping or {}), source, named="queue" in f.attrs["columns"])
    index, notes = _intervals(f, s, source)
    n, minutes = s.n_intervals, s.horizon.interval_minutes
    data = s.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    arrivals = data.get("arrivals") or {}
    arrivals.pop("rate_per_hour", None)  # the intents get their own rates; other arrival settings stay
    if not arrivals:
        data.pop("arrivals", None)
    spec = {x.name: x for x in s.intents}
    entries = {x["name"]: x for x in data["intents"]}
    for entry in data["intents"]:
        entry.pop("share", None)
        entry["rate_per_hour"] = 0.0
    rows, labels, patience = [], s.interval_labels(), []
    for queue, name in chosen.items():
        mine = f["queue"].to_numpy() == queue
        k = index[mine]
        volume = np.zeros(n)
        volume[k] = f.loc[mine, "volume"].to_numpy()
        entry, intent = entries[name], spec[name]
        entry["rate_per_hour"] = [_r(v * 60 / minutes) for v in volume]
        calls = volume > 0
        row: dict[str, Any] = {"queue": queue, "intent": name, "volume": float(volume.sum()),
                               "peak_interval": labels[int(np.argmax(volume))], "peak_volume": float(volume.max())}
        for column in ("aht_seconds", "acw_seconds", "patience_seconds"):
            if column not in f:
                continue
            per = np.full(n, np.nan)
            per[k] = f.loc[mine, column].to_numpy()
            row[column] = mean = float(np.sum(volume[calls] * per[calls]) / volume.sum()) if calls.any() else math.nan
            if column == "aht_seconds":
                base = intent.handle_time.mean
                if not base > 0:
                    raise ScenarioError([(f"intents.{name}.handle_time", "has a mean of 0; a forecast's AHT can only "
                                          "scale a handle time with a mean above 0")], source)
                entry["handle_time_factor"] = [_r(a / base) if c else 1.0 for a, c in zip(per, calls, strict=True)]
            elif column == "patience_seconds" and calls.any():
                shape, origin = _patience_shape(s, intent)
                entry["patience"] = _scaled(shape, mean)
                entry["patience_factor"] = [_r(p / mean) if c else 1.0 for p, c in zip(per, calls, strict=True)]
                patience.append(f"{name} {mean:.0f} s ({entry['patience']['dist']} {origin})")
            elif column == "acw_seconds" and calls.any():
                if mean > 0:
                    entry["wrapup"] = _scaled(_dump(intent.wrapup), mean)
                else:
                    entry.pop("wrapup", None)
        rows.append(row)
    if patience:
        notes.append("patience from the forecast, the volume-weighted mean of each queue's, as each intent's own "
                     f"(in place of its segments') with a patience_factor per interval: {'; '.join(patience)}")
    if "acw_seconds" in f:
        notes.append("after-call work is applied as a day average per intent (the volume-weighted mean of each "
                     "queue's ACW; a scenario has no after-call work per interval)")
    notes += _context_notes(s, set(chosen.values()))
    try:
        merged = load_scenario(data)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, source=f"{s.name} with the forecast {source}") from None
    return ForecastMerge(merged, data, pd.DataFrame(rows), chosen, tuple(notes))


def map_queues(queues: list[str], s: Scenario, mapping: dict[str, str], source: str,
               named: bool = True) -> dict[str, str]:
    """Forecast queue -> intent: as mapped, else by intent name, else by skill (exactly one intent
    with it), else a forecast of one unnamed queue to a scenario's only intent."""
    names = [x.name for x in s.intents]
    by_skill: dict[str, list[str]] = {}
    for x in s.intents:
        by_skill.setdefault(x.skill, []).append(x.name)
    problems = []
    for queue, intent in mapping.items():
        if queue not in queues:
            problems.append((f"--map {queue}={intent}", f"'{queue}' is not a queue of the forecast (its queues: "
                             f"{', '.join(queues)})"))
        if intent not in names:
            problems.append((f"--map {queue}={intent}", f"no intent named '{intent}' (intents: {', '.join(names)})"))
    chosen: dict[str, str] = {}
    for queue in queues:
        if queue in mapping:
            chosen[queue] = mapping[queue]
        elif queue in names:
            chosen[queue] = queue
        elif len(by_skill.get(queue, ())) == 1:
            chosen[queue] = by_skill[queue][0]
        elif not named and len(queues) == 1 and len(names) == 1:
            chosen[queue] = names[0]
        else:
            several = by_skill.get(queue, ())
            why = (f"skill '{queue}' has several intents ({', '.join(several)}): name one" if several else
                   f"it is neither an intent's name nor an intent's skill (intents: {', '.join(names)}; skills: "
                   f"{', '.join(by_skill)}): map it")
            problems.append((f"queue '{queue}'", f"matches no single intent; {why} with --map {queue}=INTENT "
                                                 f"(mapping={{'{queue}': INTENT}} in Python)"))
    if not problems:
        taken: dict[str, list[str]] = {}
        for queue, intent in chosen.items():
            taken.setdefault(intent, []).append(queue)
        for intent, from_queues in taken.items():
            if len(from_queues) > 1:
                problems.append((f"intent '{intent}'", f"would get the forecasts of queues "
                                 f"{' and '.join(repr(q) for q in from_queues)}; map each queue to its own intent"))
    if problems:
        raise ScenarioError(problems, source=source)
    return chosen


def _intervals(f: pd.DataFrame, s: Scenario, source: str) -> tuple[np.ndarray, list[str]]:
    """The horizon interval of each forecast row, and a warning per set of intervals left without rows."""
    length, step = f.attrs["interval_minutes"], s.horizon.interval_minutes
    if abs(length - step) > 1e-6:
        raise ScenarioError([("intervals", f"the forecast's intervals are {length:g} min; the scenario's are "
                              f"{step:g} min (horizon.interval_minutes): give the forecast in {step:g}-min intervals "
                              f"or set the horizon's interval_minutes to {length:g}")], source)
    n, start = s.n_intervals, clock_seconds(s.horizon.start) / 60
    offset = f["minute"].to_numpy() - start
    if not f.attrs["dated"]:
        offset = np.where(offset < 0, offset + 1440, offset)
    k = np.round(offset / step)
    off_grid = np.abs(offset / step - k) > 1e-6
    outside = ~off_grid & ((k < 0) | (k >= n))
    problems = []
    span = f"{_clock(start, 0)}-{_clock(start, n * step, end=True)}"
    word = "row" if source == "forecast table" else "line"
    for queue, rows in f[off_grid | outside].groupby("queue", sort=False):
        lines = ", ".join(str(x) for x in rows["line"].head(_SHOWN)) + (" ..." if len(rows) > _SHOWN else "")
        labels = ", ".join(rows["start"].head(_SHOWN)) + (" ..." if len(rows) > _SHOWN else "")
        problems.append((f"{word} {rows['line'].iloc[0]}", f"queue '{queue}': {len(rows)} interval(s) ({labels}; "
                         f"{word}s {lines}) are not intervals of the scenario's horizon {span} "
                         f"({step:g} min from horizon.start {s.horizon.start}, horizon.hours {s.horizon.hours:g})"))
    if problems:
        raise ScenarioError(problems, source)
    index = k.astype(np.int64)
    missing: dict[str, list[str]] = {}
    for queue, rows in pd.Series(index).groupby(f["queue"].to_numpy(), sort=False):
        runs = _runs(sorted(set(range(n)) - set(rows)))
        if runs:
            text = ", ".join(f"{_clock(start, a * step)}-{_clock(start, (b + 1) * step, end=True)}" for a, b in runs)
            missing.setdefault(text, []).append(queue)
    notes = [f"queue{'s' if len(qs) > 1 else ''} {', '.join(qs)}: no rows for {text} of the horizon; taken as no calls"
             for text, qs in missing.items()]
    return index, notes


def _runs(ks: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for k in ks:
        if runs and runs[-1][1] == k - 1:
            runs[-1] = (runs[-1][0], k)
        else:
            runs.append((k, k))
    return runs


def _clock(start: float, minutes: float, end: bool = False) -> str:
    """Clock time ``minutes`` after the horizon's start: ``08:30``, ``d2 08:30``, ``24:00`` at an end."""
    total = int(round(start + minutes))
    day, rest = divmod(total, 1440)
    if end and rest == 0 and day > 0:
        day, rest = day - 1, 1440
    label = f"{rest // 60:02d}:{rest % 60:02d}"
    return label if day == 0 else f"d{day + 1} {label}"


def _patience_shape(s: Scenario, intent: Any) -> tuple[dict[str, Any] | None, str]:
    """The distribution whose shape the forecast's patience takes, and where it comes from."""
    if intent.patience is not None:
        return _dump(intent.patience), "as the intent's"
    patient = [g for g in s.segments if g.patience is not None]
    if not patient:
        return None, "(the scenario's callers never hang up)"
    segment = max(patient, key=lambda g: g.share)
    return _dump(segment.patience), f"as segment {segment.name}"


def _dump(dist: Any) -> dict[str, Any] | None:
    return None if dist is None else dist.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def _scaled(shape: dict[str, Any] | None, mean: float) -> dict[str, Any]:
    """The distribution ``shape`` stretched to the given mean (exponential without a shape with a mean > 0)."""
    old = TypeAdapter(Distribution).validate_python(shape).mean if shape is not None else 0.0
    if shape is None or not (old > 0 and math.isfinite(old)):
        return {"dist": "exponential", "mean": _r(mean)}
    k = mean / old
    out = dict(shape)
    for key in ("mean", "scale", "low", "high", "value", "tail_mean"):
        if out.get(key) is not None:
            out[key] = _r(out[key] * k)
    for key in ("values", "times"):
        if key in out:
            out[key] = [_r(v * k) for v in out[key]]
    return out


def _context_notes(s: Scenario, mapped: set[str]) -> list[str]:
    """What in the scenario changes what the forecast's volume means."""
    notes = []
    idle = [x.name for x in s.intents if x.name not in mapped]
    if idle:
        notes.append(f"intents not in the forecast get no calls (rate_per_hour 0): {', '.join(idle)}")
    redial = [g.name for g in s.segments if g.redial is not None]
    if redial:
        notes.append(f"segments {', '.join(redial)} redial: callers who hang up call again on top of the forecast's "
                     "volume; if the forecast counts every call (redials included), remove the redials or lower it")
    if s.ivr is not None:
        notes.append("the forecast's calls arrive before the IVR (self-service and IVR hang-ups come off them); if it "
                     "counts calls offered to agents, the agents see fewer")
    if s.channels is not None and len(s.channels) > 1:
        notes.append(f"the calls are split among the channels {', '.join(c.name for c in s.channels)} by their shares")
    return notes


def _r(x: float) -> float:
    """Six significant digits: 95.0234, not 95.02338582677165."""
    return float(f"{x:.6g}")


class _FlowLists(yaml.SafeDumper):
    """Lists of numbers on one line: ``rate_per_hour: [35.2, 56.6, ...]``."""


def _represent_list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    flat = bool(value) and not any(isinstance(v, (dict, list)) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat or None)


_FlowLists.add_representer(list, _represent_list)


def scenario_yaml(data: Mapping[str, Any], comment: str = "") -> str:
    """The scenario as YAML, per-interval lists on one line each, with a comment on top."""
    head = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    return head + yaml.dump(dict(data), Dumper=_FlowLists, sort_keys=False, width=120, allow_unicode=True)
