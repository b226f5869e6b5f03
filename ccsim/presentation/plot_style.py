"""The look every ccsim plot shares: colours, figure size, clock-time axes, CI bands, units.

One colour per pool (in the order the scenario lists them), one per outcome (answered green,
abandoned red, ...), the target line in amber; interval axes in clock time, at most twelve
labels; shares in percent. Run, sweep, comparison and staffing plots all draw with these.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..analysis.formats import COST_KPIS, format_value, is_rate
from ..analysis.stats import summarize

#: Outcome colours, the same in every plot.
OUTCOME_COLORS = {
    "answered": "#2e7d32",
    "resolved": "#2e7d32",
    "contained": "#66bb6a",
    "abandoned": "#c62828",
    "ivr_abandoned": "#e57373",
    "hold_abandoned": "#ad1457",
    "unresolved": "#ef6c00",
    "dropped": "#6d4c41",
    "redirected": "#8e24aa",
    "blocked": "#37474f",
    "balked": "#b71c1c",
    "cleared": "#5d4037",
    "message": "#00838f",
    "in_system": "#9e9e9e",
    "queued": "#1565c0",
    "arrived": "#455a64",
}
VERDICT_COLORS = {"better": "#2e7d32", "worse": "#c62828", "higher": "#1565c0", "lower": "#1565c0"}
NEUTRAL = "#757575"
TARGET = "#f9a825"
_POOL_PALETTE = plt.get_cmap("tab10").colors

WIDTH = 9.0  # inches: legible when embedded at page width


def _renamed(**old_to_new: str) -> Callable:
    """Keep an old keyword working, with a DeprecationWarning naming the new one."""
    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old in kwargs:
                    warnings.warn(f"{function.__name__}(): the keyword {old}= is deprecated; use {new}=",
                                  DeprecationWarning, stacklevel=2)
                    if new in kwargs:
                        raise TypeError(f"{function.__name__}(): give {new}= only (not also {old}=)")
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)
        return wrapper
    return decorate


def warmup_of(frame: pd.DataFrame, warmup_seconds: float | None = None) -> float:
    """The warm-up to leave out: the one given, else the one the table carries
    (``frame.attrs["warmup_seconds"]``, set by a run's tables), else none."""
    if warmup_seconds is not None:
        return float(warmup_seconds)
    return float(getattr(frame, "attrs", {}).get("warmup_seconds", 0.0) or 0.0)


def after_warmup(frame: pd.DataFrame, warmup_seconds: float | None = None) -> pd.DataFrame:
    """The rows the KPI tables count: contacts that arrived after the warm-up, or intervals
    that end after it (an interval table's ``warmup`` flag, else its ``start`` column)."""
    warmup_seconds = warmup_of(frame, warmup_seconds) if frame is not None else 0.0
    if not warmup_seconds or frame is None or not len(frame):
        return frame
    if "arrival" in frame.columns:
        return frame[frame["arrival"] >= warmup_seconds]
    if "warmup" in frame.columns:
        return frame[~frame["warmup"].astype(bool)]
    if "start" in frame.columns and "interval" in frame.columns:
        first = frame.drop_duplicates("interval").sort_values("interval")
        if len(first) > 1:
            span = (first["start"].iloc[-1] - first["start"].iloc[0]) / pd.Timedelta(seconds=1)
            length = span / (first["interval"].iloc[-1] - first["interval"].iloc[0])
            return frame[(frame["interval"] + 1) * length > warmup_seconds + 1e-6]
    return frame


def _target_text(kpi: str, target: float, currency: str | None = None) -> str:
    """A target as planners write it: ``80%``, ``82.5%``, ``20 s``, ``4.50 EUR``."""
    return f"{100 * target:.4g}%" if is_rate(kpi) else format_value(kpi, target, currency=currency)


def _warmup_note(warmup_seconds: float) -> str:
    return f" (after the {warmup_seconds / 60:g}-min warm-up)" if warmup_seconds else ""


def pool_colors(pools: Sequence[str]) -> dict[str, tuple]:
    """One colour per pool, by the pool's position in the scenario."""
    return {pool: _POOL_PALETTE[k % len(_POOL_PALETTE)] for k, pool in enumerate(pools)}


def _figure(rows: int = 1, height: float = 3.6, **kw) -> tuple[Figure, np.ndarray]:
    fig, axes = plt.subplots(rows, 1, figsize=(WIDTH, height * rows), squeeze=False, layout="constrained", **kw)
    return fig, axes[:, 0]


def _per_interval(intervals: pd.DataFrame, kpis: Sequence[str]) -> pd.DataFrame:
    """Mean and CI of ``kpis`` per interval over replications, wide: ``kpi``, ``kpi_low``, ``kpi_high``."""
    long = summarize(intervals, list(kpis), by=["interval", "clock"])
    wide = long.pivot(index=["interval", "clock"], columns="kpi", values=["mean", "ci_low", "ci_high"])
    out = pd.DataFrame(index=wide.index)
    for kpi in kpis:
        out[kpi] = wide[("mean", kpi)]
        out[f"{kpi}_low"] = wide[("ci_low", kpi)]
        out[f"{kpi}_high"] = wide[("ci_high", kpi)]
    return out.reset_index().sort_values("interval")


def _clock_axis(ax, frame: pd.DataFrame) -> None:
    """Clock-time labels on the interval axis, at most 12 so they never overlap."""
    n = len(frame)
    step = max(1, int(np.ceil(n / 12)))
    ticks = frame["interval"].to_numpy()[::step]
    ax.set_xticks(ticks, frame["clock"].to_numpy()[::step])
    ax.set_xlim(frame["interval"].min() - 0.5, frame["interval"].max() + 0.5)
    ax.set_xlabel("interval start (clock time)")


def _band(ax, x, mean, low, high, color, label, bounds=(0.0, None)) -> None:
    """A mean line and its CI band, the band clipped to the KPI's possible range (a t interval
    of a share can reach past 100% with few replications; the share cannot)."""
    ax.plot(x, mean, color=color, lw=2, label=label)
    if np.any(np.isfinite(low)):
        ax.fill_between(x, np.clip(low, *bounds), np.clip(high, *bounds), color=color, alpha=0.2, lw=0,
                        label="95% CI")


def _percent(ax) -> None:
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))



def _label(kpi: str) -> str:
    return {"service_level": "service level", "abandon_rate": "abandon rate", "asa_seconds": "ASA (s)",
            "mean_wait_seconds": "mean wait (s)", "p_wait": "P(wait)", "agent_cost": "agent cost"}.get(kpi, kpi)


def _with_unit(kpi: str, currency: str | None) -> str:
    return f"{_label(kpi)} ({currency})" if kpi in COST_KPIS and currency else _label(kpi)


def _shown(kpi: str, value: float, currency: str | None) -> tuple[str, float]:
    """A cell's label and the value it shows (what "meets the target" is judged on, so that a
    cell labelled 80.0% meets an 80% target)."""
    text = format_value(kpi, value, currency=currency)
    if is_rate(kpi):
        return text, round(value, 3)  # 81.2%
    return text, round(value, 2 if kpi in COST_KPIS and currency else 1)


def _higher_is_better(kpi: str) -> bool:
    from ..experiments.compare import DIRECTION

    return DIRECTION.get(kpi.split(":", 1)[0], +1) >= 0
