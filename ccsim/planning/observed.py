"""What happened in the center, interval by interval: observed KPIs and agents present.

Before a scenario can be trusted it must reproduce last year's Tuesdays: "between 10:00 and
11:00, 212 regular calls reached the queue, 31 hung up, the answered ones waited 74 s on
average, 48 % were answered within 20 s, and about 14 agents were at work". This module
reads those numbers off a call log in the canonical layout of :mod:`ccsim.planning.cdr`:

- :func:`interval_kpis`: per day x interval (and call type) the same KPIs the simulator
  reports, with the same definitions (DESIGN.md); each call counts in the interval it arrived in.
- :func:`agent_presence`: how many agents were at work, reconstructed from the services
  alone (the log has no shift records, see the function for the rule).
- :func:`agent_skills`: which call types each agent served, to form pools by skill set.
- :func:`erlang_a_reference`: Erlang A's prediction for every interval from the interval's
  own volume, handle time and agents present, with its errors against what was observed.

Filters shared by all: ``dates=(first, last)`` (inclusive), ``weekdays=("Sun", "Mon", ...)``
(names, or numbers with Monday = 0) and ``hours=(7, 24)`` (the intervals starting in
[7:00, 24:00)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis.erlang import erlang_a

DAY = 86_400
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KEYS = ["date", "interval"]


def weekday_numbers(weekdays: Iterable[int | str]) -> list[int]:
    """``("Sun", "Thu")`` or ``(6, 3)`` -> pandas day numbers (Monday = 0)."""
    out = []
    for day in weekdays:
        if isinstance(day, str):
            if day[:3].lower() not in _WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; allowed: {', '.join(d.title() for d in _WEEKDAYS)}")
            day = _WEEKDAYS.index(day[:3].lower())
        out.append(int(day))
    return out


def real_calls(calls: pd.DataFrame, call_types: Sequence[str] | str | None = None, *, dates=None,
               weekdays=None, hours=None) -> pd.DataFrame:
    """The calls that are real (not ``ignored``) and match the filters, by arrival."""
    keep = calls["outcome"] != "ignored"
    if call_types is not None:
        keep &= calls["call_type"].isin([call_types] if isinstance(call_types, str) else list(call_types))
    keep &= _day_filter(calls["date"], dates, weekdays)
    if hours is not None:
        keep &= calls["arrival"].between(hours[0] * 3600, hours[1] * 3600, inclusive="left")
    return calls[keep.to_numpy(dtype=bool)]


def _day_filter(date: pd.Series, dates, weekdays) -> pd.Series:
    keep = pd.Series(True, index=date.index)
    if dates is not None:
        keep &= date.between(pd.Timestamp(dates[0]), pd.Timestamp(dates[1]))
    if weekdays is not None:
        keep &= date.dt.day_of_week.isin(weekday_numbers(weekdays))
    return keep


def _label(seconds: np.ndarray) -> np.ndarray:
    """Interval starts as ``"HH:MM"``."""
    minutes = (np.asarray(seconds) // 60).astype(int)
    return np.char.add(np.char.add(np.char.zfill((minutes // 60).astype(str), 2), ":"),
                       np.char.zfill((minutes % 60).astype(str), 2))


def _check_width(interval_minutes: float) -> float:
    if interval_minutes <= 0 or 1440 % interval_minutes:
        raise ValueError(f"interval_minutes must divide a day (e.g. 15, 30, 60); got {interval_minutes:g}")
    return interval_minutes * 60.0


def interval_kpis(
    calls: pd.DataFrame, *, interval_minutes: float = 60, sl_seconds: float = 20,
    call_types: Sequence[str] | str | None = None, by_type: bool = False, pool_days: bool = False,
    dates=None, weekdays=None, hours=None,
) -> pd.DataFrame:
    """Observed KPIs per day x interval (x call type), or pooled over the days per interval.

    arrivals: real calls; offered: calls that reached the agent queue (queued, or answered at
    once); answered, abandoned: of those; answered_in_sl: answered within ``sl_seconds``;
    abandon_rate and service_level = abandoned and answered_in_sl / offered; p_wait: offered
    calls that waited at all / offered; asa_seconds: mean wait of answered calls;
    mean_wait_seconds: of offered calls; mean_service_seconds: mean service time of answered
    calls. With ``pool_days`` every row sums all selected days (``days`` says how many).
    """
    width = _check_width(interval_minutes)
    real = real_calls(calls, call_types, dates=dates, weekdays=weekdays, hours=hours)
    offered = real["wait"].notna()
    answered = offered & (real["outcome"] == "served")
    wait = real["wait"].where(offered)
    service = real["service_time"].where(answered)
    flags = pd.DataFrame({
        "date": real["date"], "interval": _label((real["arrival"] // width) * width),
        "call_type": real["call_type"], "arrivals": 1, "offered": offered, "answered": answered,
        "abandoned": offered & (real["outcome"] == "abandoned"),
        "answered_in_sl": answered & (wait <= sl_seconds + 1e-9), "waited": offered & (wait > 0),
        "wait_answered": wait.where(answered), "wait_offered": wait,
        "service": service, "timed": service.notna(),
    })
    keys = (["interval"] if pool_days else KEYS) + (["call_type"] if by_type else [])
    sums = flags.groupby(keys, sort=True).agg(
        days=("date", "nunique"), arrivals=("arrivals", "sum"), offered=("offered", "sum"),
        answered=("answered", "sum"), abandoned=("abandoned", "sum"), answered_in_sl=("answered_in_sl", "sum"),
        waited=("waited", "sum"), wait_answered=("wait_answered", "sum"), wait_offered=("wait_offered", "sum"),
        service=("service", "sum"), timed=("timed", "sum"),
    )
    n = sums["offered"].where(sums["offered"] > 0)
    out = sums[["days", "arrivals", "offered", "answered", "abandoned", "answered_in_sl"]].astype(
        {c: "int64" for c in ["days", "arrivals", "offered", "answered", "abandoned", "answered_in_sl"]})
    out["abandon_rate"] = sums["abandoned"] / n
    out["service_level"] = sums["answered_in_sl"] / n
    out["p_wait"] = sums["waited"] / n
    out["asa_seconds"] = sums["wait_answered"] / sums["answered"].where(sums["answered"] > 0)
    out["mean_wait_seconds"] = sums["wait_offered"] / n
    out["mean_service_seconds"] = sums["service"] / sums["timed"].where(sums["timed"] > 0)
    return out if pool_days else out.drop(columns="days")


def _services(calls: pd.DataFrame) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Each service by a named agent on an absolute clock (seconds since the first day)."""
    real = calls[(calls["outcome"] != "ignored") & calls["agent"].notna()
                 & calls["service_start"].notna() & (calls["service_end"] >= calls["service_start"])]
    day = (real["date"] - real["date"].min()).dt.days.to_numpy() * float(DAY) if len(real) else np.zeros(0)
    services = pd.DataFrame({
        "agent": real["agent"].to_numpy(), "call_type": real["call_type"].to_numpy(),
        "start": day + real["service_start"].to_numpy(), "end": day + real["service_end"].to_numpy(),
    }).sort_values(["agent", "start"], kind="stable", ignore_index=True)
    # An agent is busy once even when the log overlaps two of their services (a glitch of a
    # few seconds, or a consult): a service starts when the agent's previous one has ended.
    reach = services.groupby("agent")["end"].cummax().groupby(services["agent"]).shift()
    services["start"] = np.minimum(np.fmax(services["start"], reach), services["end"])
    return services, (real["date"].min() if len(real) else pd.Timestamp(0))


def _spread(start: np.ndarray, end: np.ndarray, width: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut stretches [start, end) at interval bounds: (stretch row, interval number, seconds inside)."""
    first = np.floor(start / width).astype(np.int64)
    last = np.maximum(np.ceil(end / width).astype(np.int64) - 1, first)
    count = last - first + 1
    rows = np.repeat(np.arange(len(start)), count)
    bins = first[rows] + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    inside = np.minimum(end[rows], (bins + 1) * width) - np.maximum(start[rows], bins * width)
    return rows, bins, np.maximum(inside, 0.0)


def presence_stretches(calls: pd.DataFrame, gap_minutes: float = 10, idle_minutes: float = 0) -> pd.DataFrame:
    """Each agent's stretches of presence: services chained across gaps under ``gap_minutes``.

    The log records services, not shifts. An agent is taken as present from the start of a
    service to its end, and through every gap between two consecutive services shorter than
    ``gap_minutes`` (an agent idle longer is taken as away: on a break, in a meeting, or gone).
    Time an agent spent waiting for a first call, or idle longer than the gap, is not seen:
    at quiet times presence is underestimated.

    With ``idle_minutes`` above ``gap_minutes``, a longer gap (up to ``idle_minutes``) is
    chained too when nobody the agent could have answered was waiting during it (on average
    fewer than :data:`IDLE_QUEUE` callers of the agent's call types, :func:`agent_skills`): an
    agent away would have left callers waiting, an agent idle for want of calls leaves none.
    """
    services, origin = _services(calls)  # sorted by agent and start, overlaps removed
    reach = services.groupby("agent")["end"].cummax()  # a service inside another ends nothing
    before = reach.groupby(services["agent"]).shift()
    new = before.isna() | (services["start"] > before + gap_minutes * 60)
    if idle_minutes > gap_minutes and len(services):
        new &= ~_idle_gaps(calls, services, before, origin, gap_minutes, idle_minutes)
    services["stretch"] = new.cumsum()
    stretches = services.groupby("stretch").agg(agent=("agent", "first"), start=("start", "min"),
                                                end=("end", "max"), services=("start", "size"))
    stretches.attrs["origin"] = origin
    return stretches.reset_index(drop=True)


#: A gap is idle (the agent present, waiting for calls) when fewer callers than this waited
#: on average during it: one caller waiting through a twentieth of the gap.
IDLE_QUEUE = 0.05


def _idle_gaps(calls: pd.DataFrame, services: pd.DataFrame, before: pd.Series, origin: pd.Timestamp,
               gap_minutes: float, idle_minutes: float) -> pd.Series:
    """Gaps between an agent's services, longer than the gap but within ``idle_minutes``,
    during which callers of the agent's types waited on average fewer than IDLE_QUEUE."""
    gap = (services["start"] - before).to_numpy()
    candidate = np.flatnonzero((gap > gap_minutes * 60) & (gap <= idle_minutes * 60))
    idle = np.zeros(len(services), dtype=bool)
    if not len(candidate):
        return pd.Series(idle, index=services.index)
    lo, hi = before.to_numpy()[candidate], services["start"].to_numpy()[candidate]
    agents = services["agent"].to_numpy()[candidate]
    skills = agent_skills(calls)["call_types"].str.split("+")
    waited = np.zeros(len(candidate))
    for call_type, area in _queue_areas(calls, origin).items():
        mine = np.array([call_type in skills.get(a, ()) for a in agents], dtype=bool)
        waited[mine] += area(hi[mine]) - area(lo[mine])
    idle[candidate] = waited / (hi - lo) < IDLE_QUEUE
    return pd.Series(idle, index=services.index)


def _queue_areas(calls: pd.DataFrame, origin: pd.Timestamp) -> dict:
    """Per call type, t -> seconds waited by its callers up to t (the area under the queue length)."""
    real = calls[(calls["outcome"] != "ignored") & (calls["wait"] > 0)]
    entry = real["queue_entry"] if "queue_entry" in real else real["arrival"]
    day = (real["date"] - origin).dt.days.to_numpy() * float(DAY)
    start = day + entry.fillna(real["arrival"]).to_numpy(dtype=float)
    areas = {}
    for call_type in real["call_type"].dropna().unique():
        mine = (real["call_type"] == call_type).to_numpy(dtype=bool)
        joins = np.sort(start[mine])
        leaves = np.sort(start[mine] + real["wait"].to_numpy(dtype=float)[mine])
        areas[call_type] = _area(joins, leaves)
    return areas


def _area(joins: np.ndarray, leaves: np.ndarray):
    summed_joins = np.concatenate([[0.0], np.cumsum(joins)])
    summed_leaves = np.concatenate([[0.0], np.cumsum(leaves)])

    def area(t: np.ndarray) -> np.ndarray:
        i, j = np.searchsorted(joins, t), np.searchsorted(leaves, t)
        return (t * i - summed_joins[i]) - (t * j - summed_leaves[j])
    return area


def agent_presence(
    calls: pd.DataFrame, *, interval_minutes: float = 60, gap_minutes: float = 10, idle_minutes: float = 0,
    call_types: Sequence[str] | str | None = None, attribution: str = "busy_share",
    groups: Mapping[str, str] | None = None, dates=None, weekdays=None, hours=None,
) -> pd.DataFrame:
    """Time-average agents present and busy per day x interval (fractional), from the services.

    Presence follows :func:`presence_stretches` (``gap_minutes``, ``idle_minutes``).
    ``agents_present`` and ``agents_busy`` count every agent; with ``groups`` (agent -> group,
    e.g. a pool by skill set) each group separately, in a third index level ``group`` (agents
    not in it: ``"other"``). With ``call_types``, ``agents_for_types`` is the presence attributed to those
    types: with ``attribution="busy_share"`` each agent's presence in the interval times the
    share of their busy time in it spent on those types (an agent with no service in the
    interval: the share over their whole day); with ``"any"`` every agent who served one of
    those types in the interval counts in full. ``busy_for_types`` is the time-average number
    of agents busy with those types.

    Only the days in ``dates`` are read (the agents' skills for the idle-gap rule included):
    presence in a training period never depends on what agents did after it.
    """
    width = _check_width(interval_minutes)
    if dates is not None:
        calls = calls[_day_filter(calls["date"], dates, None).to_numpy()]
    services, origin = _services(calls)
    stretches = presence_stretches(calls, gap_minutes, idle_minutes)
    rows, bins, inside = _spread(stretches["start"].to_numpy(), stretches["end"].to_numpy(), width)
    present = pd.DataFrame({"agent": stretches["agent"].to_numpy()[rows], "bin": bins, "present": inside})
    present = present.groupby(["bin", "agent"], as_index=False)["present"].sum()
    s_rows, s_bins, s_inside = _spread(services["start"].to_numpy(), services["end"].to_numpy(), width)
    busy = pd.DataFrame({"agent": services["agent"].to_numpy()[s_rows], "bin": s_bins, "busy": s_inside})
    if call_types is not None:
        types = [call_types] if isinstance(call_types, str) else list(call_types)
        mine = services["call_type"].isin(types).to_numpy()[s_rows]
        busy["typed"] = np.where(mine, s_inside, 0.0)
        busy["served_types"] = mine
    busy = busy.groupby(["bin", "agent"], as_index=False).sum()
    both = present.merge(busy, on=["bin", "agent"], how="outer").fillna(0.0)
    both["day"] = both["bin"] * width // DAY
    per_interval = {"agents_present": both["present"], "agents_busy": both["busy"]}
    if call_types is not None:
        if attribution == "busy_share":
            daily = both.groupby(["day", "agent"])[["typed", "busy"]].transform("sum")
            share = np.where(both["busy"] > 0, both["typed"] / both["busy"].where(both["busy"] > 0),
                             daily["typed"] / daily["busy"].where(daily["busy"] > 0))
            per_interval["agents_for_types"] = both["present"] * np.nan_to_num(share)
        elif attribution == "any":
            per_interval["agents_for_types"] = both["present"].where(both["served_types"] > 0, 0.0)
        else:
            raise ValueError(f"unknown attribution {attribution!r}; allowed: busy_share, any")
        per_interval["busy_for_types"] = both["typed"]
    keys = [both["bin"]] if groups is None else [both["bin"], both["agent"].map(groups).fillna("other")]
    table = pd.DataFrame(per_interval).groupby(keys).sum() / width
    start = table.index.get_level_values(0).to_numpy() * width
    levels = [origin + pd.to_timedelta(start // DAY, unit="D"), _label(start % DAY)]
    if groups is not None:
        levels.append(table.index.get_level_values(1).to_numpy())
    table.index = pd.MultiIndex.from_arrays(levels, names=KEYS + ([] if groups is None else ["group"]))
    keep = _day_filter(table.index.get_level_values("date").to_series(index=table.index), dates, weekdays)
    if hours is not None:
        keep &= (start % DAY >= hours[0] * 3600) & (start % DAY < hours[1] * 3600)
    return table[keep.to_numpy()]


def agent_skills(calls: pd.DataFrame, *, min_share: float = 0.05, dates=None, weekdays=None) -> pd.DataFrame:
    """Per agent: calls served, busy hours, the share of busy time on each call type, and
    ``call_types``, the types with at least ``min_share`` of it (``"NE+PS"``), to group agents
    into pools by skill set."""
    chosen = calls[_day_filter(calls["date"], dates, weekdays).to_numpy()]
    services, _ = _services(chosen)
    services["busy"] = services["end"] - services["start"]
    busy = services.pivot_table(index="agent", columns="call_type", values="busy", aggfunc="sum", fill_value=0.0)
    share = busy.div(busy.sum(axis=1), axis=0)
    out = pd.DataFrame({"calls": services.groupby("agent").size(), "busy_hours": busy.sum(axis=1) / 3600})
    out = out.join(share.add_prefix("share_"))
    out["call_types"] = ["+".join(sorted(share.columns[row >= min_share])) for row in share.to_numpy()]
    return out


@dataclass(frozen=True)
class ErlangReference:
    """Erlang A against what was observed: the intervals, pooled by time of day, and the errors.

    Errors are predicted - observed, weighted by offered calls; rates in percentage points.
    """

    intervals: pd.DataFrame
    by_hour: pd.DataFrame
    errors: pd.DataFrame
    left_out: int  # intervals without agents, answered calls or service times


_KPIS = (("abandon_rate", 100.0), ("asa_seconds", 1.0), ("service_level", 100.0))


def erlang_a_reference(
    calls: pd.DataFrame, *, patience_seconds: float, call_types: Sequence[str] | str, sl_seconds: float = 20,
    interval_minutes: float = 60, gap_minutes: float = 10, idle_minutes: float = 0, attribution: str = "busy_share",
    dates=None, weekdays=None, hours=None,
) -> ErlangReference:
    """Erlang A per interval from the interval's own offered calls, mean service time of the
    types and agents present for them (:func:`agent_presence`), with exponential patience of
    mean ``patience_seconds``; a fractional number of agents is interpolated linearly between
    the results for its floor and its ceiling."""
    select = {"dates": dates, "weekdays": weekdays, "hours": hours}
    kpis = interval_kpis(calls, interval_minutes=interval_minutes, sl_seconds=sl_seconds, call_types=call_types,
                         **select)
    agents = agent_presence(calls, interval_minutes=interval_minutes, gap_minutes=gap_minutes,
                            idle_minutes=idle_minutes, call_types=call_types, attribution=attribution,
                            **select)["agents_for_types"]
    table = kpis.join(agents.rename("agents"), how="left")
    table["rate_per_hour"] = table["offered"] * 60.0 / interval_minutes
    usable = (table["agents"] >= 1) & (table["offered"] > 0) & (table["mean_service_seconds"] > 0)
    left_out = int((~usable).sum())
    table = table[usable.to_numpy()].copy()
    predicted = np.array([
        _interpolated(rate, aht, n, patience_seconds, sl_seconds)
        for rate, aht, n in table[["rate_per_hour", "mean_service_seconds", "agents"]].itertuples(index=False)
    ]).reshape(-1, 3)
    for (name, _), column in zip(_KPIS, predicted.T, strict=True):
        table[f"{name}_erlang_a"] = column
    by_hour = _pooled(table)
    errors = pd.DataFrame([_errors(table, "per interval"), _errors(by_hour, "pooled by hour")]).set_index("level")
    return ErlangReference(table, by_hour, errors, left_out)


def _interpolated(rate: float, aht: float, agents: float, patience: float, sl: float) -> np.ndarray:
    low = int(np.floor(agents))
    frac = agents - low
    at = [erlang_a(rate, aht, n, patience, sl) for n in ((low, low + 1) if frac > 0 else (low,))]
    kpis = [np.array([r.abandon_rate, r.asa_seconds, r.service_level]) for r in at]
    return kpis[0] if frac == 0 else (1 - frac) * kpis[0] + frac * kpis[1]


def _pooled(table: pd.DataFrame) -> pd.DataFrame:
    """All days of each interval of the day together: observed from the counts, Erlang A
    weighted by offered calls (ASA by the calls it predicts answered)."""
    t = table.assign(
        wait_answered=table["asa_seconds"].fillna(0) * table["answered"],
        ab_w=table["abandon_rate_erlang_a"] * table["offered"],
        sl_w=table["service_level_erlang_a"] * table["offered"],
        ans_pred=(1 - table["abandon_rate_erlang_a"]) * table["offered"],
    )
    t["asa_w"] = t["asa_seconds_erlang_a"] * t["ans_pred"]
    g = t.groupby(level="interval").sum(numeric_only=True)
    return pd.DataFrame({
        "offered": g["offered"], "answered": g["answered"],
        "abandon_rate": g["abandoned"] / g["offered"], "asa_seconds": g["wait_answered"] / g["answered"],
        "service_level": g["answered_in_sl"] / g["offered"],
        "abandon_rate_erlang_a": g["ab_w"] / g["offered"], "asa_seconds_erlang_a": g["asa_w"] / g["ans_pred"],
        "service_level_erlang_a": g["sl_w"] / g["offered"],
    })


def _errors(table: pd.DataFrame, level: str) -> dict[str, float | str]:
    out: dict[str, float | str] = {"level": level}
    for name, scale in _KPIS:
        error = (table[f"{name}_erlang_a"] - table[name]) * scale
        ok = error.notna() & (table["offered"] > 0)
        w = table["offered"][ok]
        out[f"{name}_mae"] = float((error[ok].abs() * w).sum() / w.sum())
        out[f"{name}_bias"] = float((error[ok] * w).sum() / w.sum())
    return out
