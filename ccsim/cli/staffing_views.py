"""What ``ccsim staff`` and ``ccsim schedule`` print: the staffing per interval and pool with
the verified KPIs and the proof; the roster, its coverage and the targets at it."""

from __future__ import annotations

import math
from typing import Any

from .common import err, fmt, out, plural


def print_staffing(result: Any) -> None:
    from rich.table import Table

    s = result.summary
    staffing, kpis = result.staffing, result.kpis
    pools = s["pools"]
    by_interval = "interval" in kpis.columns
    goals = list(dict.fromkeys(kpis["goal"]))
    table = Table(title=f"{s['scenario']} — {', '.join(s['targets'])} per {s['per']} ({s['confidence']} of "
                  f"{s['replications']} replications); agents: current → required", title_justify="left")
    table.add_column("interval")
    for p in pools:
        table.add_column(p, justify="right")
    for g in goals if by_interval else ():
        table.add_column(f"{g} (verified)", justify="right")
    intervals = result.intervals.set_index("interval")
    table.add_column("offered", justify="right")
    for k, part in staffing.groupby("interval", sort=True):
        cells = [part["clock"].iloc[0] + (" (warm-up)" if part["warmup"].iloc[0] else "")]
        cells += [f"{_n(c)} → {_n(r)}" for c, r in zip(part["current"], part["required"], strict=True)]
        for g in goals if by_interval else ():
            row = kpis[(kpis["interval"] == k) & (kpis["goal"] == g)].iloc[0]
            mark = "" if row["met"] else " [red]✗[/]"
            cells.append(f"{fmt(row['kpi'], row['mean'])} ({fmt(row['kpi'], row['ci_low'])} … "
                         f"{fmt(row['kpi'], row['ci_high'])}){mark}" if not math.isnan(row["mean"]) else "–")
        cells.append(f"{intervals.loc[k, 'offered_required']:,.1f}")
        table.add_row(*cells)
    out.print(table)
    hours, cost = s["agent_hours"], s["cost"]
    out.print(f"agent-hours: {hours['current']['all']:,.1f} → {hours['required']['all']:,.1f} "
              f"({hours['required']['all'] - hours['current']['all']:+,.1f}); agent cost: {cost['current']:,.0f} → "
              f"{cost['required']:,.0f} ({cost['required'] - cost['current']:+,.0f})", highlight=False)
    day = s["day"]
    for kpi in ("service_level", "asa_seconds", "abandon_rate"):
        a, b = day["current"][kpi], day["required"][kpi]
        out.print(f"day {kpi}: {fmt(kpi, a['mean'])} → {fmt(kpi, b['mean'])} "
                  f"(95% CI {_ci(kpi, b)}; verification seeds)", highlight=False)
    if not by_interval:
        for row in kpis.to_dict("records"):
            out.print(f"day {row['goal']}: {fmt(row['kpi'], row['mean'])} (95% CI {fmt(row['kpi'], row['ci_low'])} … "
                      f"{fmt(row['kpi'], row['ci_high'])}) {'met' if row['met'] else 'NOT met'}", highlight=False)
    p, search = s["proof"], s["search"]
    scope = (f"{p['verified_intervals']} of {p['judged_intervals']} intervals" if s["per"] == "interval"
             else "the day's targets" + (" met" if p["verified"] else " NOT met"))
    below = p["fresh_mean_below_target"]
    out.print(f"proof: verification with seed {s['verify_seed']} ({s['replications']} replications) confirms "
              f"{scope}" + (f" (the fresh mean is below the target in {below}, within the noise of "
                            f"{s['replications']} days)" if below and s["per"] == "interval" else "")
              + f"; {p['checks_passed']} of {plural(p['checks'], 'single-agent removal')} make "
              f"{'an interval' if s['per'] == 'interval' else 'the day'} miss"
              + (f" ({p['checks_same_interval']} the interval itself)" if s["per"] == "interval" else ""),
              highlight=False, soft_wrap=True)
    spare = result.checks[~result.checks["passed"]]
    if len(spare):
        out.print("not minimal: one agent fewer still meets the targets on the search sample at "
                  + ", ".join(f"{r.pool} {r.clock}" for r in spare.itertuples()) + " (the search stopped after "
                  f"{plural(p['proofs'], 'proof')})", highlight=False, soft_wrap=True)
    out.print(f"search: {search['rounds']} rounds, {search['replications']:,} replications simulated "
              f"(a naive search: {search['naive_replications']:,}), {search['seconds']:.1f} s", highlight=False)
    for note in result.notes:
        out.print(f"note: {note}", highlight=False, style="dim", soft_wrap=True)
    if p["unreachable"]:
        err.print(f"[yellow]warning:[/] no staffing of the pools searched meets the targets at "
                  f"{', '.join(p['unreachable'])}", highlight=False)
    if s["status"] != "done":
        err.print("[yellow]warning:[/] the result is not fully proven (see proof above)", highlight=False)


def _n(v: float) -> str:
    return f"{v:g}"


def _ci(kpi: str, triple: dict) -> str:
    if triple["ci_low"] is None or math.isnan(triple["ci_low"]):
        return "–"
    return f"{fmt(kpi, triple['ci_low'])} … {fmt(kpi, triple['ci_high'])}"


def print_schedule(result: Any) -> None:
    from rich.table import Table

    s = result.summary
    table = Table(title=f"{s['scenario']} — roster: {s['agents']} agents on {s['shifts']} shifts, cost "
                  f"{s['cost']:,.2f}", title_justify="left")
    for column in ("template", "pool", "start", "hours", "paid hours", "breaks", "agents", "cost"):
        table.add_column(column, justify="left" if column in ("template", "pool", "breaks") else "right")
    for r in result.roster.to_dict("records"):
        table.add_row(r["template"], r["pool"], r["start"], f"{r['hours']:g}", f"{r['paid_hours']:g}", r["breaks"],
                      str(r["count"]), f"{r['cost']:,.2f}")
    out.print(table)
    cov = Table(title="coverage: agents on duty (breaks out) / required; the targets at the roster",
                title_justify="left")
    cov.add_column("interval")
    pools = list(dict.fromkeys(result.coverage["pool"]))
    for p in pools:
        cov.add_column(p, justify="right")
    goals = list(dict.fromkeys(result.kpis["goal"])) if "interval" in result.kpis else []
    for g in goals:
        cov.add_column(g, justify="right")
    for k, part in result.coverage.groupby("interval", sort=True):
        cells = [part["clock"].iloc[0]]
        cells += [f"{c:.1f} / {r:g}" + (" [red]short[/]" if c < r - 1e-9 else "")
                  for c, r in zip(part["coverage"], part["required"], strict=True)]
        for g in goals:
            row = result.kpis[(result.kpis["interval"] == k) & (result.kpis["goal"] == g)].iloc[0]
            cells.append(("–" if math.isnan(row["mean"]) else fmt(row["kpi"], row["mean"]))
                         + ("" if row["met"] else " [red]✗[/]"))
        cov.add_row(*cells)
    out.print(cov)
    if "interval" not in result.kpis:
        for row in result.kpis.to_dict("records"):
            out.print(f"day {row['goal']}: {fmt(row['kpi'], row['mean'])} {'met' if row['met'] else 'NOT met'}",
                      highlight=False)
    out.print(f"paid hours {s['paid_hours']:,.1f} for {s['required_hours']:,.1f} agent-hours required; "
              f"{plural(s['rounds'], 'round')} of simulate-and-repair ({s['replications']} replications each, seed "
              f"{s['seed']}): the roster {'meets' if s['met'] else 'does NOT meet'} the targets", highlight=False)
    for note in result.notes:
        out.print(f"note: {note}", highlight=False, style="dim", soft_wrap=True)
