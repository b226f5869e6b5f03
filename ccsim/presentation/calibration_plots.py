"""Pictures of a calibration and a backtest: fitted against observed, predicted against real.

A planner who calibrated a scenario on January-June wants to see, before trusting it, that
each input looks like the log (arrivals per hour, the spread of handle times, how long callers
wait before hanging up, agents per hour), what was fitted and how well; and after the
backtest, observed against predicted by hour of day with the simulation's bands, the error of
each day, and how often the observed values fell inside the predictive intervals.

The plot functions take plain DataFrames and arrays and return matplotlib Figures; the two
report writers take the result objects of :func:`ccsim.planning.calibrate.calibrate` and
:func:`ccsim.planning.backtest.backtest` (read by attribute) and write ``report.html`` with
every plot embedded, each also saved beside it as a PNG.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..experiments.store import atomic_write, atomic_write_text
from .plot_style import NEUTRAL, OUTCOME_COLORS, WIDTH, pool_colors
from .report import CSS, DPI, _table_html

CCSIM = "#1565c0"
ERLANG = "#ef6c00"
OBSERVED = "#212121"
KPI_LABELS = {"abandon_rate": ("abandonment", 100.0, "%"), "asa_seconds": ("ASA", 1.0, "s"),
              "service_level": ("service level", 100.0, "%")}


def _axes(n: int, height: float = 3.2) -> tuple[Figure, Any]:
    fig, axes = plt.subplots(1, n, figsize=(WIDTH, height), squeeze=False, layout="constrained")
    return fig, axes[0]


def _ticks(ax, labels: Sequence[str], most: int = 9) -> None:
    """At most ``most`` clock labels (a third of the page width holds about six)."""
    step = max(1, -(-len(labels) // most))
    ax.set_xticks(range(0, len(labels), step), [labels[i] for i in range(0, len(labels), step)], rotation=45)


# -------------------------------------------------------------------------------------------------
# Calibration: the inputs


def arrival_profile(per_day: pd.DataFrame, scenario_rates: pd.DataFrame, title: str = "") -> Figure:
    """Offered calls per interval: each training day (grey), their mean, and the scenario's first
    calls (its redials come on top). ``per_day``: (date, interval) x type; ``scenario_rates``:
    interval x type, calls per interval."""
    fig, (ax,) = _axes(1)
    total = per_day.sum(axis=1).unstack("interval")
    labels = list(total.columns)
    x = np.arange(len(labels))
    for row in total.to_numpy():
        ax.plot(x, row, color=NEUTRAL, alpha=0.08, lw=0.8)
    ax.plot(x, total.mean().to_numpy(), color=OBSERVED, lw=2, label="observed, mean of the days")
    ax.plot(x, scenario_rates.sum(axis=1).reindex(labels).to_numpy(), color=CCSIM, lw=2, ls="--",
            label="scenario: first calls (redials on top)")
    _ticks(ax, labels)
    ax.set_ylabel("calls offered per interval")
    ax.set_title(title or "Arrivals: every training day (grey) and the scenario")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def handle_time_fit(values: np.ndarray, fits: pd.DataFrame, chosen: str, call_type: str) -> Figure:
    """Empirical CDF of the service times against each fitted family (KS distance in the legend)."""
    from scipy import stats

    fig, (ax,) = _axes(1)
    x = np.sort(values)
    ax.plot(x, np.arange(1, len(x) + 1) / len(x), color=OBSERVED, lw=2, label=f"observed ({len(x):,} calls)")
    grid = np.linspace(0, np.quantile(x, 0.99), 300)
    families = {"lognormal": stats.lognorm, "gamma": stats.gamma, "weibull": stats.weibull_min,
                "exponential": stats.expon}
    for row in fits.itertuples(index=False):
        cdf = families[row.family](*row.params).cdf(grid)
        ax.plot(grid, cdf, lw=1.2, label=f"{row.family} (KS {row.ks:.3f})")
    ax.set_xlim(0, grid[-1])
    ax.set_xlabel("service time (s)")
    ax.set_ylabel("share of calls at most")
    ax.set_title(f"Handle time {call_type}: the scenario uses {chosen}")
    ax.legend(fontsize=8)
    return fig


def patience_curve(curve: pd.DataFrame, distribution: dict, exponential_mean: float, call_type: str) -> Figure:
    """Kaplan-Meier survival of patience with its 95 % band, the scenario's survival curve and the
    exponential patience Erlang A assumes."""
    from pydantic import TypeAdapter

    from ..spec.distributions import Distribution

    fig, (ax,) = _axes(1)
    ax.fill_between(curve["time"], curve["low"], curve["high"], step="post", color=OBSERVED, alpha=0.15)
    ax.step(curve["time"], curve["survival"], where="post", color=OBSERVED, lw=2, label="Kaplan-Meier (95 % band)")
    dist = TypeAdapter(Distribution).validate_python(distribution)
    top = float(np.quantile(curve["time"], 0.995)) if len(curve) else 600.0
    t = np.linspace(0, top, 400)
    u = np.linspace(0, 0.999, 2000)
    draws = np.sort(dist.ppf(u))
    ax.plot(t, 1 - np.searchsorted(draws, t, side="right") / len(u), color=CCSIM, lw=1.5, ls="--",
            label=f"scenario (survival, mean {dist.mean:,.0f} s)")
    ax.plot(t, np.exp(-t / exponential_mean), color=ERLANG, lw=1.5,
            label=f"exponential, mean {exponential_mean:,.0f} s (Erlang A)")
    ax.set_xlim(0, top)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("wait (s)")
    ax.set_ylabel("share still willing to wait")
    ax.set_title(f"Patience {call_type}")
    ax.legend(fontsize=8)
    return fig


def presence_profile(presence: pd.DataFrame, title: str = "") -> Figure:
    """Agents present per interval and pool: the mean of the training days and their 10-90 % range."""
    fig, (ax,) = _axes(1)
    labels = sorted(presence.index.get_level_values("interval").unique())
    x = np.arange(len(labels))
    colors = pool_colors(list(presence.columns))
    for pool in presence.columns:
        per = presence[pool].unstack("interval").reindex(columns=labels)
        ax.fill_between(x, per.quantile(0.1).to_numpy(), per.quantile(0.9).to_numpy(), color=colors[pool], alpha=0.15)
        ax.plot(x, per.mean().to_numpy(), color=colors[pool], lw=2, label=f"{pool} (mean, 10-90 % of days)")
    _ticks(ax, labels)
    ax.set_ylabel("agents present (time average)")
    ax.set_title(title or "Agents present for the modelled call types, per pool")
    ax.legend(fontsize=8)
    return fig


def after_call_gaps(gaps: np.ndarray, wrapup_mean: float | None) -> Figure:
    """Gaps between an agent's services while callers waited, against the fitted after-call work."""
    fig, (ax,) = _axes(1)
    if len(gaps):
        top = float(np.quantile(gaps, 0.98))
        ax.hist(np.clip(gaps, 0, top), bins=60, density=True, color=NEUTRAL, alpha=0.6,
                label=f"log: {len(gaps):,} gaps, mean {gaps.mean():.0f} s, median {np.median(gaps):.0f} s")
        if wrapup_mean:
            t = np.linspace(0, top, 200)
            ax.plot(t, np.exp(-t / wrapup_mean) / wrapup_mean, color=CCSIM, lw=2,
                    label=f"fitted after-call work: exponential, mean {wrapup_mean:g} s")
    ax.set_xlabel("seconds from the end of a service to the agent's next, callers waiting")
    ax.set_ylabel("density")
    ax.set_title("After-call work and other short unavailability")
    ax.legend(fontsize=8)
    return fig


def fit_path(grid: pd.DataFrame, params: Sequence[str]) -> Figure:
    """The objective at every point the search tried, against each fitted parameter (best marked)."""
    fig, axes = _axes(len(params))
    best = grid.loc[grid["objective"].idxmin()]
    for ax, p in zip(axes, params, strict=True):
        ax.scatter(grid[p], grid["objective"], color=NEUTRAL, s=16)
        ax.scatter([best[p]], [best["objective"]], color=CCSIM, s=40, label="chosen")
        ax.axhline(1.0, color=ERLANG, lw=1, ls=":", label="Erlang A")
        ax.set_xlabel(p)
    axes[0].set_ylabel("objective (error / Erlang A's)")
    axes[0].legend(fontsize=8)
    fig.suptitle("The fit: every point tried")
    return fig


# -------------------------------------------------------------------------------------------------
# Backtest (and the fit on the training days)


def observed_vs_predicted(by_hour: pd.DataFrame, bands: pd.DataFrame | None = None, title: str = "") -> Figure:
    """Per KPI, pooled by hour of day: observed, ccsim with its 50 % and 90 % bands, Erlang A."""
    fig, axes = _axes(3, 3.4)
    labels = list(by_hour.index)
    x = np.arange(len(labels))
    for ax, (kpi, (name, scale, unit)) in zip(axes, KPI_LABELS.items(), strict=True):
        if bands is not None and kpi in bands.index.get_level_values("kpi"):
            b = bands.xs(kpi, level="kpi").reindex(labels)
            ax.fill_between(x, b["q05"] * scale, b["q95"] * scale, color=CCSIM, alpha=0.12, label="ccsim 90 %")
            ax.fill_between(x, b["q25"] * scale, b["q75"] * scale, color=CCSIM, alpha=0.25, label="ccsim 50 %")
        ax.plot(x, by_hour[kpi] * scale, color=OBSERVED, lw=2, marker="o", ms=3, label="observed")
        if f"{kpi}_ccsim" in by_hour:
            ax.plot(x, by_hour[f"{kpi}_ccsim"] * scale, color=CCSIM, lw=1.5, label="ccsim")
        if f"{kpi}_erlang_a" in by_hour:
            ax.plot(x, by_hour[f"{kpi}_erlang_a"] * scale, color=ERLANG, lw=1.5, ls="--", label="Erlang A")
        _ticks(ax, labels, most=6)
        ax.set_title(f"{name} ({unit})")
    axes[0].legend(fontsize=7)
    fig.suptitle(title or "Observed against predicted, pooled by hour of day")
    return fig


def error_by_day(by_day: pd.DataFrame, models: Sequence[str] = ("ccsim", "erlang_a")) -> Figure:
    """Per KPI, each day's error (prediction - observation, the day's intervals pooled)."""
    fig, axes = _axes(3, 3.4)
    dates = pd.to_datetime(by_day.index)
    colors = {"ccsim": CCSIM, "erlang_a": ERLANG}
    for ax, (kpi, (name, scale, unit)) in zip(axes, KPI_LABELS.items(), strict=True):
        for m in models:
            if f"{kpi}_{m}" in by_day:
                error = (by_day[f"{kpi}_{m}"] - by_day[kpi]) * scale
                ax.plot(dates, error, marker="o", ms=2.5, lw=0.8, color=colors.get(m, NEUTRAL),
                        label=f"{m} (MAE {np.average(error.abs().fillna(0), weights=by_day['offered']):.1f})")
        ax.axhline(0, color=NEUTRAL, lw=0.8)
        ax.set_title(f"{name} error ({'pp' if unit == '%' else unit})")
        locator = mdates.AutoDateLocator(maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.legend(fontsize=7)
    fig.suptitle("Error by day (prediction - observation)")
    return fig


def rank_histogram(histogram: pd.DataFrame) -> Figure:
    """Where the observed value fell among the replications, per KPI (flat = calibrated)."""
    fig, axes = _axes(3, 3.0)
    for ax, (kpi, (name, _, _)) in zip(axes, KPI_LABELS.items(), strict=True):
        if kpi in histogram:
            ax.bar(range(len(histogram)), histogram[kpi], color=CCSIM, alpha=0.7)
            ax.axhline(1 / len(histogram), color=OUTCOME_COLORS["answered"], lw=1, ls="--", label="calibrated")
            ax.set_xticks(range(len(histogram)), histogram.index, rotation=60, fontsize=7)
        ax.set_title(name)
    axes[0].set_ylabel("share of intervals")
    axes[0].legend(fontsize=7)
    fig.suptitle("Rank of the observed value among the replications")
    return fig


# -------------------------------------------------------------------------------------------------
# Reports


def _page(title: str, meta: list[tuple[str, Any]], tables: list[tuple[str, pd.DataFrame]], sections: list[str],
          notes: Sequence[str]) -> str:
    meta_html = " · ".join(f"{k}: <code>{html.escape(str(v))}</code>" for k, v in meta if v is not None)
    table_html = "".join(f"<h2>{html.escape(caption)}</h2><div class=\"wide\">{_table_html(frame)}</div>"
                         for caption, frame in tables)
    notes_html = "".join(f'<p class="note">{html.escape(note)}</p>' for note in notes)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class=\"meta\">{meta_html}</p>{notes_html}"
            f"{table_html}<h2>Plots</h2>{''.join(sections)}"
            "<p class=\"meta\">Made by ccsim. Every plot is also saved beside this page as a PNG.</p></body></html>\n")


def _embed(folder: Path, plots: list[tuple[str, str, str, Figure]]) -> list[str]:
    sections = []
    for slug, title, caption, figure in plots:
        atomic_write(folder / f"{slug}.png", lambda tmp, f=figure: f.savefig(tmp, format="png", dpi=DPI))
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI)
        plt.close(figure)
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        sections.append(f'<figure id="{slug}"><h3>{html.escape(title)}</h3>'
                        f'<img alt="{html.escape(title)}" src="data:image/png;base64,{data}">'
                        f"<figcaption>{html.escape(caption)}</figcaption></figure>")
    return sections


def error_frame(errors: pd.DataFrame) -> pd.DataFrame:
    """The error table as a page shows it: one row per level and model, MAE and bias rounded."""
    frame = errors.reset_index().copy()
    for column in frame.columns[2:]:
        form = "{:+.2f}" if "bias" in column else "{:.2f}"
        frame[column] = frame[column].map(form.format)
    frame.columns = [c.replace("_rate", "").replace("_seconds", " (s)").replace("_", " ") for c in frame.columns]
    return frame


def write_calibration_report(result: Any, folder: str | Path) -> Path:
    """``report.html`` of a :class:`~ccsim.planning.calibrate.Calibration`, with its PNGs, in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    s = result.settings
    plots = [("arrivals", "Arrivals", "Calls that reached the queue per interval, modelled types together.",
              arrival_profile(result.arrivals.per_day, result.arrivals.fresh))]
    for t, h in result.handle_times.items():
        plots.append((f"handle_time_{t}", f"Handle time {t}", h.reason,
                      handle_time_fit(h.values, h.fits, h.chosen["dist"], t)))
    for t, p in result.patience.items():
        plots.append((f"patience_{t}", f"Patience {t}", "Kaplan-Meier on the waits: a hang-up is the event, an "
                      "answer censors. The scenario's curve keeps the reliable part and adds an exponential tail.",
                      patience_curve(p.curve, p.distribution, p.exponential_mean, t)))
    plots.append(("presence", "Agents present", "Rebuilt from the services (see the rule in the README).",
                  presence_profile(result.presence)))
    fitted = result.fit.best if result.fit is not None else {}
    plots.append(("after_call_gaps", "After-call gaps", "The log's gaps show the after-call work only where a "
                  "caller was waiting; the fitted mean reproduces the training days' waits.",
                  after_call_gaps(result.gaps, fitted.get("wrapup"))))
    tables = []
    notes = []
    if result.fit is not None:
        grid = result.fit.grid
        params = [p for p in fitted if grid[p].nunique() > 1] or list(fitted)
        plots.append(("fit", "The fit", "Objective: MAE per interval and by hour of day of abandonment, ASA and "
                      "service level, each over Erlang A's on the same days, averaged (1 = as good as Erlang A).",
                      fit_path(grid, params)))
        errors = [c for c in grid.columns if c.startswith(("hour_", "interval_")) and c.endswith("_mae")]
        shown = grid[[*fitted, "objective", *errors]].round(3).head(15)
        shown.columns = [c.replace("_seconds", "").replace("_rate", "").replace("_mae", " MAE").replace("_", " ")
                         for c in shown.columns]
        tables.append(("Points tried by the fit, best first (MAE per interval and by hour)", shown))
        notes.append("Fitted on the training days: " + ", ".join(f"{k} = {v:g}" for k, v in fitted.items()))
    if getattr(result, "training", None) is not None:
        tables.insert(0, ("Training days: the calibrated scenario against Erlang A (same inputs)",
                          error_frame(result.training.errors)))
        plots.append(("training_by_hour", "Training days: observed against predicted", "The training days "
                      "replayed with the fitted values, pooled by hour of day.",
                      observed_vs_predicted(result.training.by_hour, result.training.bands)))
    rows = [{"call type": t, "calls": h.calls, "mean (s)": round(h.mean, 1), "cv": round(h.cv, 3),
             "handle time used": h.chosen["dist"], "patience mean (s)": round(_mean(result.patience[t].distribution)),
             "exponential patience (s)": round(result.patience[t].exponential_mean)}
            for t, h in result.handle_times.items()]
    tables.insert(0, ("Per call type", pd.DataFrame(rows)))
    by_priority = [p.by_priority.assign(**{"call type": t}) for t, p in result.patience.items()
                   if not p.by_priority.empty]
    if by_priority:
        table = pd.concat(by_priority).reset_index().round(1)
        tables.append(("Patience by call type and priority (Kaplan-Meier). The scenario uses each type's curve, "
                       "the mixture of these in their proportions: the same callers when priority is tied to "
                       "nothing else (hour, handle time, queue order)",
                       table[["call type", *[c for c in table.columns if c != "call type"]]]))
    meta = [("training", s.period.describe()), ("types", ", ".join(s.types)), ("log", s.log),
            ("redials", f"{result.redials.probability:.1%} of {result.redials.abandoned:,} hang-ups called again"),
            ("busyness cv", f"{result.arrivals.busyness_cv:.3f}")]
    page = _page(f"Calibration: {result.scenario.name}", meta, tables, _embed(folder, plots), notes)
    atomic_write_text(folder / "report.html", page)
    return folder / "report.html"


def _mean(distribution: dict) -> float:
    from pydantic import TypeAdapter

    from ..spec.distributions import Distribution

    return float(TypeAdapter(Distribution).validate_python(distribution).mean)


def write_backtest_report(result: Any, folder: str | Path) -> Path:
    """``report.html`` of a :class:`~ccsim.planning.backtest.Backtest`, with its PNGs, in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    summary = result.summary()
    s = result.settings
    histogram = pd.DataFrame(summary["rank_histogram"])
    plots = [
        ("by_hour", "Observed against predicted, by hour of day",
         f"All {s['test_days']} test days of each interval pooled; the bands are the spread of the pooled "
         "prediction over the replications.", observed_vs_predicted(result.by_hour, result.bands)),
        ("by_day", "Error by day", "Each test day's intervals pooled; weighted by offered calls.",
         error_by_day(result.by_day)),
        ("ranks", "Calibration", "The observed value's rank among the replications, per interval: flat when the "
         "simulated distribution is right, U-shaped when it is too narrow, humped when too wide.",
         rank_histogram(histogram)),
    ]
    coverage = result.coverage.reset_index()
    coverage = coverage.assign(**{c: coverage[c].map(lambda v: f"{100 * v:.1f}%") for c in coverage.columns
                                  if c.startswith("coverage")})
    tables = [("Errors against the log (offered-weighted; pp for rates, s for ASA)", error_frame(result.errors)),
              ("Predictive intervals: share of intervals whose observed value fell inside (nominal 50 % and 90 %)",
               coverage)]
    meta = [("test", s["test"]), ("days", ",".join(s["days"])), ("types", ", ".join(s["types"])),
            ("replications", s["reps"]), ("test days", s["test_days"]), ("intervals", len(result.table)),
            ("Erlang A patience", f"{s['erlang_patience']:.0f} s")]
    notes = [f"{result.left_out} intervals with calls have no Erlang A prediction (no agents present or no "
             "answered call) and are left out of both models' errors."] if result.left_out else []
    page = _page(f"Backtest: {result.name}", meta, tables, _embed(folder, plots), notes)
    atomic_write_text(folder / "report.html", page)
    return folder / "report.html"
