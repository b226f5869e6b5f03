"""The report of a staffing search (``ccsim staff``) or a roster (``ccsim schedule``) folder.

Read from the folder's own files (manifest and Parquet tables), as the rest of
:mod:`ccsim.presentation.report` does, so a report can be written long after the search, on
another machine: before and after (agent-hours, cost, the day's KPIs), the agents per interval
and pool with each target's KPI on the verification seeds, the proof, and the plots of
:mod:`ccsim.presentation.staffing_plots`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.formats import format_value
from .staffing_plots import coverage_figure, staffing_figure


def staffing_sections(folder: Path, manifest: dict[str, Any], plot: type) -> tuple[str, list, list, list[str]]:
    """Title, tables, plots and notes of a ``ccsim staff`` folder (``plot``: the report's Plot)."""
    staffing = pd.read_parquet(folder / "staffing.parquet")
    kpis = pd.read_parquet(folder / "kpis.parquet")
    name = manifest.get("scenario", folder.name)
    currency = manifest.get("currency")
    targets = ", ".join(manifest.get("targets") or [])
    title = f"Staffing: {name} — {targets} per {manifest.get('per', 'interval')}"
    tables = [("Before and after (the day; required: on the verification seeds)", _before_after(manifest, currency)),
              ("Agents per interval, current → required, and each target's KPI at the required staffing "
               "(verification seeds, 95% CI)", _per_interval(staffing, kpis))]
    figures = [plot("staffing", "Required against current staffing",
                    "Top: agents required (solid) and current (dashed) per pool. Below: each target's KPI by "
                    "interval at the required staffing on the verification seeds (band: 95% CI), at the current "
                    "staffing (dotted) and the target (dashed).",
                    staffing_figure(staffing, kpis, name))]
    return title, tables, figures, _proof(manifest) + list(manifest.get("notes") or [])


def schedule_sections(folder: Path, manifest: dict[str, Any], plot: type) -> tuple[str, list, list, list[str]]:
    """Title, tables, plots and notes of a ``ccsim schedule`` folder."""
    roster = pd.read_parquet(folder / "roster.parquet")
    coverage = pd.read_parquet(folder / "coverage.parquet")
    kpis = pd.read_parquet(folder / "kpis.parquet")
    name = manifest.get("scenario", folder.name)
    title = f"Roster: {name} — {manifest.get('agents', int(roster['count'].sum()))} agents on " \
            f"{manifest.get('shifts', len(roster))} shifts"
    shown = roster.rename(columns={"count": "agents", "paid_hours": "paid hours", "cost_per_agent": "cost per agent"})
    per_interval = coverage.rename(columns={"coverage": "on duty"})
    if "interval" in kpis.columns and len(kpis):
        wide = kpis.assign(value=[_with_ci(r.kpi, r.mean, r.ci_low, r.ci_high) + ("" if r.met else " (missed)")
                                  for r in kpis.itertuples()]).pivot(index="interval", columns="goal", values="value")
        per_interval = per_interval.merge(wide, left_on="interval", right_index=True, how="left")
    tables = [("The roster", shown), ("Coverage per interval: agents on duty (breaks out) against the requirement "
                                      "(raised where the simulation missed a target)",
                                      per_interval.drop(columns=["interval"]))]
    figures = [plot("schedule", "Roster coverage", "Bars: agents on duty from the roster, breaks taken out; "
                    "line: the requirement; red: intervals short of it.", coverage_figure(coverage, name))]
    met = "the roster meets the targets" if manifest.get("met") else "the roster still misses a target"
    paid, required = manifest.get("paid_hours", math.nan), manifest.get("required_hours", math.nan)
    notes = [f"Paid hours {paid:,.1f} for {required:,.1f} agent-hours required; "
             f"{manifest.get('rounds', '?')} round(s) of simulate-and-repair: {met}."]
    return title, tables, figures, notes + list(manifest.get("notes") or [])


def _before_after(manifest: dict[str, Any], currency: str | None) -> pd.DataFrame:
    hours, cost, day = manifest.get("agent_hours", {}), manifest.get("cost", {}), manifest.get("day", {})
    rows = [{"": "agent-hours", "current": f"{hours.get('current', {}).get('all', math.nan):,.1f}",
             "required": f"{hours.get('required', {}).get('all', math.nan):,.1f}"},
            {"": "agent cost", "current": format_value("agent_cost", cost.get("current", math.nan), currency=currency),
             "required": format_value("agent_cost", cost.get("required", math.nan), currency=currency)}]
    for kpi in ("service_level", "asa_seconds", "abandon_rate"):
        before, after = day.get("current", {}).get(kpi), day.get("required", {}).get(kpi)
        if before is None or after is None:
            continue
        rows.append({"": kpi, "current": format_value(kpi, _num(before["mean"])),
                     "required": _with_ci(kpi, after["mean"], after["ci_low"], after["ci_high"])})
    return pd.DataFrame(rows)


def _per_interval(staffing: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    cells = staffing.assign(cell=[f"{c:g} → {r:g}" for c, r in zip(staffing["current"], staffing["required"],
                                                                      strict=True)])
    table = cells.pivot(index=["interval", "clock"], columns="pool", values="cell")
    table = table[list(dict.fromkeys(staffing["pool"]))]
    if "interval" in kpis.columns and len(kpis):
        values = kpis.assign(value=[_with_ci(r.kpi, r.mean, r.ci_low, r.ci_high) for r in kpis.itertuples()])
        table = table.join(values.pivot(index=["interval", "clock"], columns="goal", values="value"))
    return table.reset_index().drop(columns=["interval"])


def _proof(manifest: dict[str, Any]) -> list[str]:
    proof, search = manifest.get("proof") or {}, manifest.get("search") or {}
    notes = []
    if proof:
        notes.append(f"Proof: the verification on fresh seeds ({manifest.get('replications', '?')} replications, seed "
                     f"{manifest.get('verify_seed', '?')}) confirms {proof.get('verified_intervals', '?')} of "
                     f"{proof.get('judged_intervals', '?')} intervals; {proof.get('checks_passed', 0)} of "
                     f"{proof.get('checks', 0)} single-agent removals make an interval miss the target.")
    if search:
        notes.append(f"Search: {search.get('rounds', '?')} rounds, {search.get('replications', 0):,} replications "
                     f"simulated (a naive search: {search.get('naive_replications', 0):,}).")
    return notes


def _with_ci(kpi: str, mean: Any, low: Any, high: Any) -> str:
    text = format_value(kpi, _num(mean))
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return text
    return f"{text} ({format_value(kpi, _num(low))} … {format_value(kpi, _num(high))})"


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)
