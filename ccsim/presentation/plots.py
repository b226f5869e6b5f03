"""Plots for planners: pictures to paste into a staffing meeting.

"Where in the day do we lose callers, and is it the staffing?" Each function takes the
DataFrames of a run, a sweep or a comparison and returns a matplotlib Figure, so the same
picture appears in a notebook, in ``report.html`` and as a PNG. Colours mean the same thing
everywhere: one colour per pool (in the order the scenario lists them) and one per outcome
(answered green, abandoned red, ...). Interval axes show clock times; every axis says its
unit.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

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
    "in_system": "#9e9e9e",
    "queued": "#1565c0",
    "arrived": "#455a64",
}
VERDICT_COLORS = {"better": "#2e7d32", "worse": "#c62828", "higher": "#1565c0", "lower": "#1565c0"}
NEUTRAL = "#757575"
TARGET = "#f9a825"
_POOL_PALETTE = plt.get_cmap("tab10").colors

WIDTH = 9.0  # inches: legible when embedded at page width


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


# -------------------------------------------------------------------------------------------------
# A run: by interval


def arrivals_vs_staffing(intervals: pd.DataFrame, scenario_name: str = "") -> Figure:
    """Contacts arriving per interval (bars, mean over replications) and agents staffed (line)."""
    frame = _per_interval(intervals, ["arrivals", "staffed"])
    fig, (ax,) = _figure()
    ax.bar(frame["interval"], frame["arrivals"], color=OUTCOME_COLORS["arrived"], alpha=0.55, label="arrivals")
    ax.errorbar(frame["interval"], frame["arrivals"],
                yerr=[frame["arrivals"] - frame["arrivals_low"], frame["arrivals_high"] - frame["arrivals"]],
                fmt="none", ecolor="black", elinewidth=0.8, capsize=2, label="95% CI")
    ax.set_ylabel("contacts arriving per interval")
    right = ax.twinx()
    right.step(frame["interval"], frame["staffed"], where="mid", color="#ef6c00", lw=2.2, label="agents staffed")
    right.set_ylabel("agents staffed (all pools)")
    right.set_ylim(0, max(1, frame["staffed"].max()) * 1.15)
    ax.set_ylim(0, max(1, frame["arrivals_high"].max()) * 1.15)
    _clock_axis(ax, frame)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper right", fontsize=9, frameon=False)
    ax.set_title(f"{scenario_name}: arrivals and staffing by interval".strip(": "))
    return fig


def service_by_interval(intervals: pd.DataFrame, sl_seconds: float = 20, target: float | None = 0.8,
                        scenario_name: str = "") -> Figure:
    """ASA (seconds) and service level by interval, each with its 95% CI band."""
    frame = _per_interval(intervals, ["asa_seconds", "service_level"])
    fig, (top, bottom) = _figure(rows=2, height=3.0, sharex=True)
    _band(top, frame["interval"], frame["asa_seconds"], frame["asa_seconds_low"], frame["asa_seconds_high"],
          "#1565c0", "ASA")
    top.set_ylabel("average speed of answer (s)")
    top.set_ylim(bottom=0)
    top.legend(loc="upper right", fontsize=9, frameon=False)
    _band(bottom, frame["interval"], frame["service_level"], frame["service_level_low"],
          frame["service_level_high"], "#2e7d32", f"answered within {sl_seconds:g} s", bounds=(0, 1))
    if target is not None:
        bottom.axhline(target, color=TARGET, lw=1.8, ls="--", label=f"target {target:.0%}")
    bottom.set_ylabel("service level")
    bottom.set_ylim(0, 1.02)
    _percent(bottom)
    bottom.legend(loc="lower right", fontsize=9, frameon=False)
    _clock_axis(bottom, frame)
    top.set_title(f"{scenario_name}: speed of answer and service level by interval".strip(": "))
    return fig


def abandonment_by_interval(intervals: pd.DataFrame, scenario_name: str = "") -> Figure:
    """Abandon rate (abandoned / offered) by interval with its 95% CI band."""
    frame = _per_interval(intervals, ["abandon_rate"])
    fig, (ax,) = _figure(height=3.2)
    _band(ax, frame["interval"], frame["abandon_rate"], frame["abandon_rate_low"], frame["abandon_rate_high"],
          OUTCOME_COLORS["abandoned"], "abandon rate", bounds=(0, 1))
    ax.set_ylabel("abandoned / offered")
    ax.set_ylim(bottom=0)
    _percent(ax)
    _clock_axis(ax, frame)
    ax.legend(loc="upper right", fontsize=9, frameon=False)
    ax.set_title(f"{scenario_name}: abandonment by interval".strip(": "))
    return fig


def occupancy_by_pool(pool_intervals: pd.DataFrame, pools: Sequence[str] | None = None,
                      scenario_name: str = "") -> Figure:
    """Occupancy (busy / present agent time) of each pool by interval, with 95% CI bands."""
    pools = list(pools) if pools is not None else list(dict.fromkeys(pool_intervals["pool"]))
    colors = pool_colors(pools)
    fig, (ax,) = _figure(height=3.4)
    for pool in pools:
        part = pool_intervals[pool_intervals["pool"] == pool]
        frame = _per_interval(part, ["occupancy"])
        _band(ax, frame["interval"], frame["occupancy"], frame["occupancy_low"], frame["occupancy_high"],
              colors[pool], pool, bounds=(0, 1))
    ax.set_ylabel("occupancy (busy / present)")
    ax.set_ylim(0, 1.02)
    _percent(ax)
    _clock_axis(ax, frame)
    handles, labels = ax.get_legend_handles_labels()
    keep = [(h, lab) for h, lab in zip(handles, labels) if lab != "95% CI"]
    ax.legend(*zip(*keep), loc="lower right", fontsize=9, frameon=False, ncols=min(3, len(keep)))
    ax.set_title(f"{scenario_name}: occupancy by pool and interval (bands: 95% CI)".strip(": "))
    return fig


# -------------------------------------------------------------------------------------------------
# A run: contacts


def wait_distribution(contacts: pd.DataFrame, scenario_name: str = "") -> Figure:
    """How long answered and abandoned callers waited, against how long callers would wait."""
    offered = contacts[contacts["queue_join"].notna()]
    answered = offered.loc[offered["answer"].notna(), "wait"].to_numpy()
    abandoned = offered.loc[offered["answer"].isna() & (offered["outcome"] == "abandoned"), "wait"].to_numpy()
    patience = offered["patience"].to_numpy()
    patience = patience[np.isfinite(patience)]
    waited = np.concatenate([answered[answered > 0], abandoned])
    everything = np.concatenate([waited, patience])
    everything = everything[everything > 0]
    # A log time axis: waits of seconds and patience of many minutes fit one picture.
    low = max(0.5, np.nanpercentile(everything, 0.5)) if len(everything) else 0.5
    high = max(low * 10, np.nanmax(everything)) if len(everything) else 10.0
    bins = np.geomspace(low, high, 41)
    fig, (ax,) = _figure(height=3.6)
    no_wait = (answered == 0).sum()
    ax.hist(answered[answered > 0], bins=bins, color=OUTCOME_COLORS["answered"], alpha=0.6,
            label=f"answered after waiting ({len(answered) - no_wait:,}; {no_wait:,} more without waiting)")
    ax.hist(abandoned, bins=bins, color=OUTCOME_COLORS["abandoned"], alpha=0.6,
            label=f"abandoned ({len(abandoned):,})")
    if len(patience):
        ax.hist(patience, bins=bins, histtype="step", color="black", lw=1.5,
                label="patience of all offered callers (how long they would wait)")
    ax.set_xscale("log")
    ticks = [t for t in (1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200) if bins[0] <= t <= bins[-1]]
    ax.set_xticks(ticks, [_duration(t) for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("time (log scale)")
    ax.set_ylabel("contacts (all replications)")
    ax.set_xlim(bins[0], bins[-1])
    ax.legend(loc="upper left", fontsize=9, frameon=False)
    ax.set_ylim(0, ax.get_ylim()[1] * 1.3)  # room for the legend
    ax.set_title(f"{scenario_name}: waiting time and patience".strip(": "))
    return fig


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


def journey_flow(contacts: pd.DataFrame, replications: int = 1, scenario_name: str = "") -> Figure:
    """The journey as a flow: arrivals -> queues -> outcomes, band widths proportional to counts.

    Counts are per simulated day (the mean over replications).
    """
    per = max(1, replications)
    arrived = len(contacts) / per
    offered = contacts["queue_join"].notna()
    queued = offered.sum() / per
    outcome = contacts["outcome"].astype(str)
    via_queue = outcome[offered].value_counts() / per
    elsewhere = outcome[~offered].value_counts() / per  # the IVR, a redirect: never queued
    via_queue, elsewhere = via_queue[via_queue > 0], elsewhere[elsewhere > 0]
    totals = via_queue.add(elsewhere, fill_value=0).sort_values(ascending=False)
    not_queued = arrived - queued
    stages = [
        [("arrived", arrived, OUTCOME_COLORS["arrived"])],
        [("queued", queued, OUTCOME_COLORS["queued"])]
        + ([("not queued", not_queued, NEUTRAL)] if not_queued > 0.5 else []),
        [(name, count, OUTCOME_COLORS.get(name, NEUTRAL)) for name, count in totals.items()],
    ]
    flows = [("arrived", "queued", queued)]
    if not_queued > 0.5:
        flows.append(("arrived", "not queued", not_queued))
        flows += [("not queued", name, count) for name, count in elsewhere.items()]
    flows += [("queued", name, count) for name, count in via_queue.items()]
    fig, (ax,) = _figure(height=4.2)
    _sankey(ax, stages, flows, ["arrival", "queue", "outcome"])
    ax.set_title(f"{scenario_name}: the journey of a day's contacts (mean of {per} replications)".strip(": "))
    return fig


def _sankey(ax, stages, flows, stage_names) -> None:
    """Columns of stacked nodes joined by bands whose widths are the flows."""
    total = max(sum(count for _, count, _ in stage) for stage in stages) or 1.0
    arrived = sum(count for _, count, _ in stages[0]) or 1.0  # shares are of all arrivals
    gap = 0.04
    width = 0.12
    boxes: dict[str, list[float]] = {}  # label -> [x, y0, height, next free y out, next free y in]
    top_label = 1.0
    for k, stage in enumerate(stages):
        height_used = sum(c for _, c, _ in stage) / total + gap * (len(stage) - 1)
        y = (1 - height_used) / 2
        label_y = -1.0
        for label, count, color in stage:
            h = count / total
            ax.add_patch(Rectangle((k, y), width, h, color=color, lw=0))
            label_y = max(y + h / 2, label_y + 0.09)  # two-line labels of thin nodes must not overlap
            ax.text(k + width + 0.02, label_y, f"{label}\n{count:,.0f} ({count / arrived:.0%})", va="center",
                    fontsize=9)
            top_label = max(top_label, label_y)
            boxes[label] = [k, y, h, y, y]
            y += h + gap
    colors = {label: color for stage in stages for label, _, color in stage}
    for src, dst, count in flows:
        s, d = boxes[src], boxes[dst]
        h = count / total
        x0, x1 = s[0] + width, d[0]
        y0, y1 = s[3], d[4]
        s[3] += h
        d[4] += h
        xm = (x0 + x1) / 2
        verts = [(x0, y0), (xm, y0), (xm, y1), (x1, y1), (x1, y1 + h), (xm, y1 + h), (xm, y0 + h), (x0, y0 + h), (x0, y0)]
        codes = [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.LINETO,
                 MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MplPath(verts, codes), color=colors[dst], alpha=0.35, lw=0))
    ax.set_xlim(-0.1, len(stages) - 1 + 0.6)
    ax.set_ylim(-0.04, top_label + 0.1)
    ax.set_xticks([k + width / 2 for k in range(len(stages))], stage_names)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


def transfer_chain_lengths(contacts: pd.DataFrame, replications: int = 1, scenario_name: str = "") -> Figure:
    """How many contacts were transferred 0, 1, 2, ... times (per simulated day)."""
    answered = contacts[contacts["answer"].notna()]
    chains = answered["transfers"].to_numpy(dtype=int)
    note = "" if chains.any() else " (no contact was transferred)"
    counts = np.bincount(chains, minlength=1) / max(1, replications)
    fig, (ax,) = _figure(height=3.0)
    bars = ax.bar(np.arange(len(counts)), counts, color="#6a1b9a", alpha=0.75)
    ax.bar_label(bars, labels=[f"{c:,.0f}" for c in counts], fontsize=9, padding=2)
    ax.set_xticks(np.arange(len(counts)))
    ax.set_xlabel("transfers in the contact's chain")
    ax.set_ylabel("answered contacts per day")
    ax.set_ylim(0, max(1.0, counts.max()) * 1.15)
    ax.set_title(f"{scenario_name}: transfer-chain lengths{note}".strip(": "))
    return fig


# -------------------------------------------------------------------------------------------------
# A sweep


def _label(kpi: str) -> str:
    return {"service_level": "service level", "abandon_rate": "abandon rate", "asa_seconds": "ASA (s)",
            "mean_wait_seconds": "mean wait (s)", "p_wait": "P(wait)", "agent_cost": "agent cost"}.get(kpi, kpi)


def _is_rate(kpi: str) -> bool:
    return kpi in ("service_level", "abandon_rate", "p_wait") or kpi.startswith("occupancy")


def sweep_line(points: pd.DataFrame, x: str, kpi: str = "service_level", group: str | None = None,
               target: float | None = None, name: str = "") -> Figure:
    """A KPI against one varied parameter: mean with its 95% CI band (one line per ``group`` value)."""
    fig, (ax,) = _figure(height=3.8)
    groups = [(None, points)] if group is None else list(points.groupby(group, sort=True))
    palette = plt.get_cmap("viridis")
    for k, (value, part) in enumerate(groups):
        part = part.sort_values(x)
        color = "#1565c0" if group is None else palette(0.85 * k / max(1, len(groups) - 1))  # no pale yellow
        label = _label(kpi) if group is None else f"{group} = {value}"
        if part[x].duplicated().any():  # not a grid along x (e.g. a Latin hypercube): points
            ax.errorbar(part[x], part[kpi], yerr=[part[kpi] - part[f"{kpi}_ci_low"], part[f"{kpi}_ci_high"] - part[kpi]],
                        fmt="o", color=color, ms=4, capsize=2, label=label)
        else:
            ax.plot(part[x], part[kpi], marker="o", ms=4, color=color, lw=2, label=label)
            ax.fill_between(part[x], part[f"{kpi}_ci_low"], part[f"{kpi}_ci_high"], color=color, alpha=0.18, lw=0)
    if target is not None:
        ax.axhline(target, color=TARGET, lw=1.8, ls="--", label=f"target {target:.0%}" if _is_rate(kpi) else f"target {target:g}")
    ax.set_xlabel(x)
    ax.set_ylabel(_label(kpi) + " (mean, 95% CI band)")
    if _is_rate(kpi):
        _percent(ax)
    ax.legend(fontsize=9, frameon=False, loc="best")
    ax.set_title(f"{name}: {_label(kpi)} against {x}".strip(": "))
    return fig


def sweep_heatmap(points: pd.DataFrame, x: str, y: str, kpi: str = "service_level", target: float | None = None,
                  name: str = "") -> Figure:
    """A KPI over two varied parameters; cells meeting the target are outlined."""
    grid = points.pivot_table(index=y, columns=x, values=kpi, aggfunc="mean").sort_index(ascending=False)
    fig, (ax,) = _figure(height=max(3.2, 0.55 * len(grid) + 1.6))
    higher_better = kpi not in ("abandon_rate", "p_wait", "asa_seconds", "mean_wait_seconds", "agent_cost")
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="RdYlGn" if higher_better else "RdYlGn_r", aspect="auto")
    cbar = fig.colorbar(image, ax=ax, label=_label(kpi) + " (mean)")
    if _is_rate(kpi):
        cbar.formatter = matplotlib.ticker.PercentFormatter(1.0)
        cbar.update_ticks()
    ax.set_xticks(range(grid.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        if np.isnan(value):
            continue
        text = f"{value:.0%}" if _is_rate(kpi) else f"{value:,.3g}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8)
        meets = target is not None and ((value >= target) if higher_better else (value <= target))
        if meets:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=2))
    goal = "" if target is None else (f"; outlined: meets the target {target:.0%}" if _is_rate(kpi) else f"; outlined: meets {target:g}")
    ax.set_title(f"{name}: {_label(kpi)}{goal}".strip(": "))
    return fig


# -------------------------------------------------------------------------------------------------
# A comparison


def comparison_forest(table: pd.DataFrame, a: str = "A", b: str = "B") -> Figure:
    """Paired differences B − A per KPI with 95% CIs, relative to A's mean, coloured by verdict."""
    rows = table[table["a_mean"].abs() > 0].copy()
    rows = rows[~rows["kpi"].isin(["arrivals", "offered"])]
    scale = rows["a_mean"].abs()
    rows["rel"], rows["lo"], rows["hi"] = rows["diff"] / scale, rows["ci_low"] / scale, rows["ci_high"] / scale
    rows = rows.iloc[::-1]
    fig, (ax,) = _figure(height=max(2.5, 0.42 * len(rows) + 1.3))
    y = np.arange(len(rows))
    colors = [VERDICT_COLORS.get(v, NEUTRAL) for v in rows["verdict"]]
    lo = np.where(rows["lo"].notna(), rows["rel"] - rows["lo"], 0)
    hi = np.where(rows["hi"].notna(), rows["hi"] - rows["rel"], 0)
    for k in range(len(rows)):
        ax.errorbar(rows["rel"].iloc[k], y[k], xerr=[[lo[k]], [hi[k]]], fmt="o", color=colors[k], capsize=3, ms=6)
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(y, [f"{k}  ({v})" for k, v in zip(rows["kpi"], rows["verdict"])])
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("change from A to B, relative to A's mean (95% CI, paired)")
    key = [matplotlib.lines.Line2D([], [], marker="o", ls="", color=c, label=lab) for lab, c in
           (("better", VERDICT_COLORS["better"]), ("worse", VERDICT_COLORS["worse"]),
            ("no significant difference", NEUTRAL), ("higher / lower (no good direction)", VERDICT_COLORS["higher"]))]
    ax.legend(handles=key, fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title(f"B = {b}  against  A = {a}")
    return fig
