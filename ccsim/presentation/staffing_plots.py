"""Plots of a staffing search and a roster: the requirement against the plan, the KPI against the target.

"Where do we need more people than we planned, and does the new plan make 80% everywhere?"
:func:`staffing_figure` draws, per pool, the agents required (solid) against those planned
(dashed) by interval, and under it each target's KPI by interval at the new staffing (on the
verification seeds, with its 95% CI band), at the current staffing (grey) and the target
line. :func:`coverage_figure` draws a roster's agents on duty (bars, breaks taken out) against
the requirement (line), one panel per pool. Colours and axes as in :mod:`ccsim.presentation.plots`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plots import NEUTRAL, TARGET, _band, _clock_axis, _figure, _percent, pool_colors

_SHARES = ("service_level", "abandon_rate", "p_wait", "occupancy")
_UNITS = {"service_level": "service level", "asa_seconds": "average speed of answer (s)",
          "abandon_rate": "abandoned / offered", "p_wait": "share who wait", "occupancy": "occupancy"}


def staffing_figure(staffing: pd.DataFrame, kpis: pd.DataFrame, scenario_name: str = "", max_goals: int = 4) -> Figure:
    """Required against current agents per pool, and each target's KPI by interval.

    Args:
        staffing: ``StaffingResult.staffing`` (interval, clock, pool, current, required).
        kpis: ``StaffingResult.kpis``; per interval (with ``per="day"`` only the staffing is drawn).
    """
    by_interval = "interval" in kpis.columns
    goals = list(dict.fromkeys(kpis["goal"]))[:max_goals] if by_interval else []
    fig, axes = _figure(rows=1 + len(goals), height=3.0)
    ax = axes[0]
    pools = list(dict.fromkeys(staffing["pool"]))
    colors = pool_colors(pools)
    frame = None
    for pool in pools:
        frame = staffing[staffing["pool"] == pool].sort_values("interval")
        edges = np.append(frame["interval"].to_numpy(), frame["interval"].max() + 1) - 0.5
        ax.stairs(frame["required"].to_numpy(), edges, color=colors[pool], lw=2.2, label=f"{pool}: required")
        ax.stairs(frame["current"].to_numpy(), edges, color=colors[pool], lw=1.3, ls="--", alpha=0.8,
                  label=f"{pool}: current")
    ax.set_ylabel("agents scheduled")
    ax.set_ylim(0, max(1.0, float(staffing[["current", "required"]].to_numpy().max())) * 1.3)
    ax.legend(loc="upper right", fontsize=8, frameon=False, ncols=min(3, len(pools)))
    ax.set_title(f"{scenario_name}: agents required against the current staffing".strip(": "))
    _clock_axis(ax, frame)
    for ax, goal in zip(axes[1:], goals, strict=True):
        part = kpis[kpis["goal"] == goal].sort_values("interval")
        kpi = part["kpi"].iloc[0]
        bounds = (0.0, 1.0) if kpi in _SHARES else (0.0, None)
        x = part["interval"].to_numpy()
        _band(ax, x, part["mean"], part["ci_low"], part["ci_high"], "#2e7d32", "required staffing", bounds=bounds)
        ax.plot(x, part["current_mean"], color=NEUTRAL, lw=1.3, ls=":", label="current staffing")
        ax.axhline(part["target"].iloc[0], color=TARGET, lw=1.8, ls="--", label=f"target ({goal})")
        missed = part[~part["met"].astype(bool)]
        if len(missed):
            ax.scatter(missed["interval"], missed["mean"], color="#c62828", zorder=5, s=18, label="not met")
        ax.set_ylabel(_UNITS.get(kpi, kpi))
        if kpi in _SHARES:
            ax.set_ylim(0, 1.02)
            _percent(ax)
        else:
            ax.set_ylim(bottom=0)
        ax.legend(loc="lower right" if kpi == "service_level" else "upper right", fontsize=8, frameon=False)
        ax.set_title(f"{goal} by interval (verification seeds; band: 95% CI)")
        _clock_axis(ax, part)
    return fig


def coverage_figure(coverage: pd.DataFrame, scenario_name: str = "") -> Figure:
    """Agents on duty from the roster (bars) against the requirement (line), per pool.

    Args:
        coverage: ``ScheduleResult.coverage`` (interval, clock, pool, required, coverage).
    """
    pools = list(dict.fromkeys(coverage["pool"]))
    colors = pool_colors(pools)
    fig, axes = _figure(rows=len(pools), height=2.8)
    for ax, pool in zip(axes, pools, strict=True):
        part = coverage[coverage["pool"] == pool].sort_values("interval")
        x = part["interval"].to_numpy()
        ax.bar(x, part["coverage"], color=colors[pool], alpha=0.45, width=0.9, label="on duty (roster, breaks out)")
        ax.stairs(part["required"].to_numpy(), np.append(x, x.max() + 1) - 0.5, color="black", lw=1.8,
                  label="required")
        short = part["coverage"].to_numpy() < part["required"].to_numpy() - 1e-9
        if short.any():
            ax.scatter(x[short], part["coverage"].to_numpy()[short], color="#c62828", s=16, zorder=5, label="short")
        ax.set_ylabel(f"agents on duty: {pool}")
        ax.set_ylim(0, max(1.0, float(np.nanmax(part[["coverage", "required"]].to_numpy()))) * 1.3)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        _clock_axis(ax, part)
    axes[0].set_title(f"{scenario_name}: roster coverage against the requirement".strip(": "))
    return fig
