"""Plots for planners: pictures to paste into a staffing meeting.

"Where in the day do we lose callers, and is it the staffing?" Each function takes the
DataFrames of a run, a sweep or a comparison and returns a matplotlib Figure, so the same
picture appears in a notebook, in ``report.html`` and as a PNG. Colours mean the same thing
everywhere: one colour per pool (in the order the scenario lists them) and one per outcome
(answered green, abandoned red, ...). Interval axes show clock times; every axis says its
unit.

The keywords are the same in every function: ``scenario_name`` (the name in the title),
``target`` (the target line or outline), ``kpi`` (the KPI plotted), ``replications`` (to show
counts per simulated day), ``warmup_seconds`` (contacts arriving earlier, and intervals that
end by then, are left out, as in the KPI tables: pass ``scenario.warmup_seconds``; by default
the warm-up the table carries in ``frame.attrs["warmup_seconds"]``, else none) and
``currency`` (for cost KPIs). ``name=`` of the sweep plots still works, with a deprecation
warning.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from .plot_style import (  # noqa: F401  (re-exported: ccsim.plots is the public face of every plot)
    NEUTRAL,
    OUTCOME_COLORS,
    TARGET,
    VERDICT_COLORS,
    WIDTH,
    _band,
    _clock_axis,
    _figure,
    _per_interval,
    _percent,
    _renamed,
    _target_text,
    _warmup_note,
    after_warmup,
    pool_colors,
    warmup_of,
)

# -------------------------------------------------------------------------------------------------
# A run: by interval


def arrivals_vs_staffing(intervals: pd.DataFrame, scenario_name: str = "", *,
                         warmup_seconds: float | None = None) -> Figure:
    """Contacts arriving per interval (bars, mean over replications) and agents staffed (line)."""
    warmup_seconds = warmup_of(intervals, warmup_seconds)
    frame = _per_interval(after_warmup(intervals, warmup_seconds), ["arrivals", "staffed"])
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
    ax.set_title(f"{scenario_name}: arrivals and staffing by interval{_warmup_note(warmup_seconds)}".strip(": "))
    return fig


def service_by_interval(intervals: pd.DataFrame, sl_seconds: float = 20, target: float | None = 0.8,
                        scenario_name: str = "", *, warmup_seconds: float | None = None) -> Figure:
    """ASA (seconds) and service level by interval, each with its 95% CI band."""
    warmup_seconds = warmup_of(intervals, warmup_seconds)
    frame = _per_interval(after_warmup(intervals, warmup_seconds), ["asa_seconds", "service_level"])
    fig, (top, bottom) = _figure(rows=2, height=3.0, sharex=True)
    _band(top, frame["interval"], frame["asa_seconds"], frame["asa_seconds_low"], frame["asa_seconds_high"],
          "#1565c0", "ASA")
    top.set_ylabel("average speed of answer (s)")
    top.set_ylim(bottom=0)
    top.legend(loc="upper right", fontsize=9, frameon=False)
    _band(bottom, frame["interval"], frame["service_level"], frame["service_level_low"],
          frame["service_level_high"], "#2e7d32", f"answered within {sl_seconds:g} s", bounds=(0, 1))
    if target is not None:
        bottom.axhline(target, color=TARGET, lw=1.8, ls="--", label=f"target {_target_text('service_level', target)}")
    bottom.set_ylabel("service level")
    bottom.set_ylim(0, 1.02)
    _percent(bottom)
    bottom.legend(loc="lower right", fontsize=9, frameon=False)
    _clock_axis(bottom, frame)
    top.set_title(f"{scenario_name}: speed of answer and service level by interval{_warmup_note(warmup_seconds)}"
                  .strip(": "))
    return fig


def abandonment_by_interval(intervals: pd.DataFrame, scenario_name: str = "", *,
                            warmup_seconds: float | None = None) -> Figure:
    """Abandon rate (abandoned / offered) by interval with its 95% CI band."""
    warmup_seconds = warmup_of(intervals, warmup_seconds)
    frame = _per_interval(after_warmup(intervals, warmup_seconds), ["abandon_rate"])
    fig, (ax,) = _figure(height=3.2)
    _band(ax, frame["interval"], frame["abandon_rate"], frame["abandon_rate_low"], frame["abandon_rate_high"],
          OUTCOME_COLORS["abandoned"], "abandon rate", bounds=(0, 1))
    ax.set_ylabel("abandoned / offered")
    ax.set_ylim(bottom=0)
    _percent(ax)
    _clock_axis(ax, frame)
    ax.legend(loc="upper right", fontsize=9, frameon=False)
    ax.set_title(f"{scenario_name}: abandonment by interval{_warmup_note(warmup_seconds)}".strip(": "))
    return fig


def occupancy_by_pool(pool_intervals: pd.DataFrame, pools: Sequence[str] | None = None,
                      scenario_name: str = "", *, warmup_seconds: float | None = None) -> Figure:
    """Occupancy (busy / present agent time) of each pool by interval, with 95% CI bands."""
    warmup_seconds = warmup_of(pool_intervals, warmup_seconds)
    pool_intervals = after_warmup(pool_intervals, warmup_seconds)
    if pools is None:
        column = pool_intervals["pool"]
        pools = list(column.cat.categories) if isinstance(column.dtype, pd.CategoricalDtype) else \
            list(dict.fromkeys(column))
    pools = [p for p in pools if (pool_intervals["pool"] == p).any()]
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
    keep = [(h, lab) for h, lab in zip(handles, labels, strict=True) if lab != "95% CI"]
    ax.legend(*zip(*keep, strict=True), loc="lower right", fontsize=9, frameon=False, ncols=min(3, len(keep)))
    ax.set_title(f"{scenario_name}: occupancy by pool and interval{_warmup_note(warmup_seconds)}".strip(": "))
    return fig


# -------------------------------------------------------------------------------------------------
# A run: contacts


def wait_distribution(contacts: pd.DataFrame, scenario_name: str = "", *,
                      warmup_seconds: float | None = None) -> Figure:
    """How long answered and abandoned callers waited, against how long callers would wait."""
    warmup_seconds = warmup_of(contacts, warmup_seconds)
    contacts = after_warmup(contacts, warmup_seconds)
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
    ax.set_title(f"{scenario_name}: waiting time and patience{_warmup_note(warmup_seconds)}".strip(": "))
    return fig


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds < 3600:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


def journey_counts(contacts: pd.DataFrame, replications: int = 1, *,
                   warmup_seconds: float | None = None) -> dict[str, Any]:
    """The numbers of :func:`journey_flow`, per simulated day (mean over replications):
    ``arrived``, ``queued`` (offered), ``not_queued``, and the outcomes of each (Series)."""
    warmup_seconds = warmup_of(contacts, warmup_seconds)
    contacts = after_warmup(contacts, warmup_seconds)
    per = max(1, replications)
    offered = contacts["queue_join"].notna()
    outcome = contacts["outcome"].astype(str)
    via_queue = outcome[offered].value_counts() / per
    elsewhere = outcome[~offered].value_counts() / per  # the IVR, a redirect, a busy signal: never queued
    arrived, queued = len(contacts) / per, offered.sum() / per
    return {"arrived": arrived, "queued": queued, "not_queued": arrived - queued,
            "via_queue": via_queue[via_queue > 0], "elsewhere": elsewhere[elsewhere > 0]}


def journey_flow(contacts: pd.DataFrame, replications: int = 1, scenario_name: str = "", *,
                 warmup_seconds: float | None = None) -> Figure:
    """The journey as a flow: arrivals -> queues -> outcomes, band widths proportional to counts.

    Counts are per simulated day (the mean over replications), of the contacts that arrived
    after ``warmup_seconds`` (pass the scenario's: the KPI table's arrivals, offered and
    outcome counts are then the flow's).
    """
    warmup_seconds = warmup_of(contacts, warmup_seconds)
    counts = journey_counts(contacts, replications, warmup_seconds=warmup_seconds)
    arrived, queued, not_queued = counts["arrived"], counts["queued"], counts["not_queued"]
    via_queue, elsewhere = counts["via_queue"], counts["elsewhere"]
    totals = via_queue.add(elsewhere, fill_value=0).sort_values(ascending=False)
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
    per = max(1, replications)
    ax.set_title(f"{scenario_name}: the journey of a day's contacts (mean of {_plural(per, 'replication')})"
                 f"{_warmup_note(warmup_seconds)}".strip(": "))
    return fig


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


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
        verts = [(x0, y0), (xm, y0), (xm, y1), (x1, y1), (x1, y1 + h), (xm, y1 + h), (xm, y0 + h), (x0, y0 + h),
                 (x0, y0)]
        codes = [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.LINETO,
                 MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MplPath(verts, codes), color=colors[dst], alpha=0.35, lw=0))
    ax.set_xlim(-0.1, len(stages) - 1 + 0.6)
    ax.set_ylim(-0.04, top_label + 0.1)
    ax.set_xticks([k + width / 2 for k in range(len(stages))], stage_names)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


def transfer_chain_lengths(contacts: pd.DataFrame, replications: int = 1, scenario_name: str = "", *,
                           warmup_seconds: float | None = None) -> Figure:
    """How many answered contacts were transferred 0, 1, 2, ... times (per simulated day).

    Takes the contacts, or a run's ``chains`` table (answered contacts after the warm-up by
    chain length, per replication: what the KPI tables count, and kept even when the contacts
    are not).
    """
    warmup_seconds = warmup_of(contacts, warmup_seconds)
    per = max(1, replications)
    if "contacts" in contacts.columns and "answer" not in contacts.columns:  # the chains table
        counts = contacts.groupby("transfers")["contacts"].sum().sort_index().to_numpy(dtype=float) / per
        counts = np.trim_zeros(counts, "b") if counts[1:].any() else counts[:1]
    else:
        answered = after_warmup(contacts, warmup_seconds)
        answered = answered[answered["answer"].notna()]
        counts = np.bincount(answered["transfers"].to_numpy(dtype=int), minlength=1) / per
    note = "" if counts[1:].any() else " (no contact was transferred)"
    fig, (ax,) = _figure(height=3.0)
    bars = ax.bar(np.arange(len(counts)), counts, color="#6a1b9a", alpha=0.75)
    ax.bar_label(bars, labels=[f"{c:,.0f}" for c in counts], fontsize=9, padding=2)
    ax.set_xticks(np.arange(len(counts)))
    ax.set_xlabel("transfers in the contact's chain")
    ax.set_ylabel("answered contacts per day")
    ax.set_ylim(0, max(1.0, counts.max()) * 1.15)
    ax.set_title(f"{scenario_name}: transfer-chain lengths{note}{_warmup_note(warmup_seconds)}".strip(": "))
    return fig



# The plots of many runs live in experiment_plots.py; ccsim.plots offers them too.
from .experiment_plots import FOREST_SKIP, comparison_forest, diff_unit, sweep_heatmap, sweep_line  # noqa: E402, F401
