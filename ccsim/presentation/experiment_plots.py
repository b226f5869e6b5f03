"""Plots of many runs: a sweep's KPI against its parameters, a comparison's paired differences.

"How does service level move with tier-1 staffing, at each level of script flexibility?" and
"Which KPIs did the new IVR menu change, and by how much?" — the pictures of
:mod:`ccsim.experiments.sweeps` and :mod:`ccsim.experiments.compare`, in the style of
:mod:`ccsim.presentation.plot_style`.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..analysis.formats import COST_KPIS, is_rate
from .plot_style import (
    NEUTRAL,
    TARGET,
    VERDICT_COLORS,
    WIDTH,
    _figure,
    _higher_is_better,
    _label,
    _percent,
    _renamed,
    _shown,
    _target_text,
    _with_unit,
)


@_renamed(name="scenario_name")
def sweep_line(points: pd.DataFrame, x: str, kpi: str = "service_level", group: str | None = None,
               target: float | None = None, scenario_name: str = "", *, currency: str | None = None) -> Figure:
    """A KPI against one varied parameter: mean with its 95% CI band (one line per ``group`` value)."""
    fig, (ax,) = _figure(height=3.8)
    groups = [(None, points)] if group is None else list(points.groupby(group, sort=True))
    palette = plt.get_cmap("viridis")
    for k, (value, part) in enumerate(groups):
        part = part.sort_values(x)
        color = "#1565c0" if group is None else palette(0.85 * k / max(1, len(groups) - 1))  # no pale yellow
        label = _label(kpi) if group is None else f"{group} = {value}"
        if part[x].duplicated().any():  # not a grid along x (e.g. a Latin hypercube): points
            yerr = [part[kpi] - part[f"{kpi}_ci_low"], part[f"{kpi}_ci_high"] - part[kpi]]
            ax.errorbar(part[x], part[kpi], yerr=yerr, fmt="o", color=color, ms=4, capsize=2, label=label)
        else:
            ax.plot(part[x], part[kpi], marker="o", ms=4, color=color, lw=2, label=label)
            ax.fill_between(part[x], part[f"{kpi}_ci_low"], part[f"{kpi}_ci_high"], color=color, alpha=0.18, lw=0)
    if target is not None:
        ax.axhline(target, color=TARGET, lw=1.8, ls="--", label=f"target {_target_text(kpi, target, currency)}")
    ax.set_xlabel(x)
    ax.set_ylabel(_with_unit(kpi, currency) + " (mean, 95% CI band)")
    if is_rate(kpi):
        _percent(ax)
    ax.legend(fontsize=9, frameon=False, loc="best")
    ax.set_title(f"{scenario_name}: {_label(kpi)} against {x}".strip(": "))
    return fig


@_renamed(name="scenario_name")
def sweep_heatmap(points: pd.DataFrame, x: str, y: str, kpi: str = "service_level", target: float | None = None,
                  scenario_name: str = "", *, currency: str | None = None) -> Figure:
    """A KPI over two varied parameters; cells meeting the target are outlined.

    Cells are labelled as the tables show the KPI (81.2%, 23.4 s); a cell meets the target when
    its label does (80.0% meets an 80% target even if the mean is 79.96%).
    """
    grid = points.pivot_table(index=y, columns=x, values=kpi, aggfunc="mean").sort_index(ascending=False)
    fig, (ax,) = _figure(height=max(3.2, 0.55 * len(grid) + 1.6))
    higher_better = _higher_is_better(kpi)
    image = ax.imshow(grid.to_numpy(dtype=float), cmap="RdYlGn" if higher_better else "RdYlGn_r", aspect="auto")
    cbar = fig.colorbar(image, ax=ax, label=_with_unit(kpi, currency) + " (mean)")
    if is_rate(kpi):
        cbar.formatter = matplotlib.ticker.PercentFormatter(1.0)
        cbar.update_ticks()
    ax.set_xticks(range(grid.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.index])
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        if np.isnan(value):
            continue
        text, shown = _shown(kpi, value, currency)
        ax.text(j, i, text, ha="center", va="center", fontsize=8)
        meets = target is not None and ((shown >= target - 1e-9) if higher_better else (shown <= target + 1e-9))
        if meets:
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="black", lw=2))
    goal = "" if target is None else f"; outlined: meets the target {_target_text(kpi, target, currency)}"
    ax.set_title(f"{scenario_name}: {_label(kpi)}{goal}".strip(": "))
    return fig


# -------------------------------------------------------------------------------------------------
# A comparison

#: KPIs a forest plot leaves out: the same in A and B by design (the callers), or another
#: reading of a KPI it shows (the service-level definitions, the counts behind it).
FOREST_SKIP = frozenset({"arrivals", "offered", "customers", "sl_offered", "sl_answered", "sl_abandons_excluded",
                         "sl_abandons_good", "answered_within", "abandoned_within"})


def diff_unit(kpi: str, currency: str | None = None) -> tuple[str, float]:
    """The unit a difference B − A of a KPI is drawn in, and the factor to it: shares in
    percentage points (x100), times in seconds, counts, costs in the currency, ..."""
    if is_rate(kpi):
        return "percentage points", 100.0
    if kpi.endswith("_seconds"):
        return "seconds", 1.0
    if kpi == "cost_per_resolved":
        return f"{currency or 'cost'} per resolved customer", 1.0
    if kpi in COST_KPIS:
        return currency or "cost", 1.0
    if kpi.endswith("_per_contact"):
        return "per contact", 1.0
    if kpi == "effort_steps":
        return "steps per customer", 1.0
    return "contacts", 1.0


def comparison_forest(table: pd.DataFrame, a: str = "A", b: str = "B", *, currency: str | None = None) -> Figure:
    """Paired differences B − A per KPI with 95% CIs, in each KPI's own unit (one panel per
    unit: percentage points for shares, seconds, contacts, ...), coloured by verdict.

    With several scenarios B (a ``b`` column with more than one name) each KPI has a marker
    per B; ``b`` names the single B otherwise.
    """
    rows = table[~table["kpi"].isin(FOREST_SKIP)].copy()
    rows = rows[(rows["a_mean"].fillna(0) != 0) | (rows["b_mean"].fillna(0) != 0)]
    rows = rows[rows["diff"].notna()]
    variants = list(dict.fromkeys(rows["b"])) if "b" in rows.columns else [b]
    if "b" not in rows.columns:
        rows["b"] = b
    units_factors = [diff_unit(k, currency) for k in rows["kpi"]]
    rows["unit"] = [u for u, _ in units_factors]
    rows["factor"] = [f for _, f in units_factors]
    order = ["percentage points", "seconds", "contacts", "per contact", "steps per customer"]
    units = sorted(dict.fromkeys(rows["unit"]), key=lambda u: order.index(u) if u in order else len(order))
    kpis_of = {u: list(dict.fromkeys(rows.loc[rows["unit"] == u, "kpi"]))[::-1] for u in units}
    heights = [max(1, len(kpis_of[u])) for u in units] or [1]
    fig, axes = plt.subplots(len(heights), 1, figsize=(WIDTH, 0.4 * sum(heights) + 0.9 * len(heights) + 1.2),
                             squeeze=False, layout="constrained", height_ratios=[h + 1.2 for h in heights])
    markers = "osD^v<>"
    offsets = np.linspace(0.2, -0.2, len(variants)) if len(variants) > 1 else [0.0]  # the first B on top
    for ax, unit in zip(axes[:, 0], units, strict=True):
        part = rows[rows["unit"] == unit]
        kpis = kpis_of[unit]
        for k, variant in enumerate(variants):
            mine = part[part["b"] == variant].set_index("kpi")
            for i, kpi in enumerate(kpis):
                if kpi not in mine.index:
                    continue
                r = mine.loc[kpi]
                f = r["factor"]
                lo = 0 if pd.isna(r["ci_low"]) else (r["diff"] - r["ci_low"]) * f
                hi = 0 if pd.isna(r["ci_high"]) else (r["ci_high"] - r["diff"]) * f
                ax.errorbar(r["diff"] * f, i + offsets[k], xerr=[[lo], [hi]], fmt=markers[k % len(markers)],
                            color=VERDICT_COLORS.get(r["verdict"], NEUTRAL), capsize=3, ms=6)
        ax.axvline(0, color="black", lw=1)
        verdicts = part.groupby("kpi", sort=False)["verdict"].agg(lambda v: "/".join(dict.fromkeys(v)))
        ax.set_yticks(range(len(kpis)), [f"{k}  ({verdicts[k]})" for k in kpis])
        ax.set_ylim(-0.7, len(kpis) - 0.3)
        ax.set_xlabel(f"B − A in {unit} (95% CI, paired)")
    key = [matplotlib.lines.Line2D([], [], marker="o", ls="", color=c, label=lab) for lab, c in
           (("better", VERDICT_COLORS["better"]), ("worse", VERDICT_COLORS["worse"]),
            ("no significant difference", NEUTRAL), ("higher / lower (no good direction)", VERDICT_COLORS["higher"]))]
    if len(variants) > 1:
        key += [matplotlib.lines.Line2D([], [], marker=markers[k % len(markers)], ls="", color="black",
                                        label=f"B = {v}") for k, v in enumerate(variants)]
    fig.legend(handles=key, fontsize=8, frameon=False, loc="outside lower center", ncols=3 if len(key) > 4 else 4)
    against = variants[0] if len(variants) == 1 else ", ".join(variants)
    fig.suptitle(f"B = {against}  against  A = {a}", fontsize=11)
    return fig
