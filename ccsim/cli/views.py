"""What the terminal shows: a run's KPI tables and a scenario's description.

``ccsim run`` ends with the center's KPIs (mean and 95% CI), then one row per queue when
there are several (each at its own service-level threshold), one per caller segment when
there are several, the transfer chains when contacts were transferred, and one row per pool.
``ccsim check`` says what a scenario contains: horizon, volumes per queue and interval,
segments, intents, pools, and where the offered load reaches the staffing.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from .common import fmt, half_width, out

if TYPE_CHECKING:
    import pandas as pd

    from ..experiments.results import RunResult
    from ..spec.scenario import Scenario

#: Shown in --json and the saved tables, not in the terminal table: the other service-level
#: definitions (service_level is the scenario's) and the counts behind them.
DETAIL_KPIS = ("sl_offered", "sl_answered", "sl_abandons_excluded", "sl_abandons_good", "answered_within",
               "abandoned_within")


def _ci(kpi: str, row, currency: str | None = None) -> str:
    if math.isnan(row.ci_low):
        return "–"
    return f"{fmt(kpi, row.ci_low, currency=currency)} … {fmt(kpi, row.ci_high, currency=currency)}"


def print_run(result: RunResult) -> None:
    from rich.table import Table

    from ..experiments.results import JOURNEY_KPIS

    s = result.scenario
    n = result.replications
    table = Table(title=f"{s.name} — {n} replication{'s' if n != 1 else ''}, seed {result.seed}"
                  f" (KPIs after {s.horizon.warmup_minutes:g} min warm-up)")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% CI", justify="right")
    summary = result.summary()
    hidden = [kpi for kpi in JOURNEY_KPIS if not summary.loc[kpi, "mean"] > 0]  # 0, or NaN: undefined
    if "wrapup_seconds" in hidden:
        hidden.append("talk_seconds")  # the same as aht_seconds without after-call work
    for kpi, row in summary.drop(index=[*hidden, *DETAIL_KPIS]).iterrows():
        table.add_row(kpi, fmt(kpi, row["mean"], currency=s.currency), _ci(kpi, row, s.currency))
    notes = [f"service_level: {_sl_words(s)}"]
    if hidden:
        notes.append(f"{len(hidden)} more KPIs are 0 or undefined in this scenario")
    table.caption = "; ".join(notes) + " (--json lists every KPI and service-level definition)"
    out.print(table)
    if len(s.queue_names()) > 1:
        _print_groups(result.queue_summary(), "queue", "queues (by the first queue a contact joined; service level "
                      "at each queue's own threshold)", {q: s.service_level_seconds_of(q) for q in s.queue_names()})
    if len(s.segments) > 1:
        _print_groups(result.segment_summary(), "segment", "caller segments")
    if (result.chains["transfers"] > 0).any() and result.chains.loc[result.chains["transfers"] > 0, "contacts"].sum():
        _print_chains(result)
    pools = Table(title="pools", caption="agents' occupancy: lowest and highest of its agents present half an hour "
                  "or more (means over replications)")
    for column in ("pool", "occupancy", "95% CI", "agents' occupancy", "staffed hours", "handled"):
        pools.add_column(column, justify="left" if column == "pool" else "right")
    summary = result.pool_summary().set_index(["pool", "kpi"])
    for pool in s.pools:
        occ = summary.loc[(pool.name, "occupancy")]
        low, high = (summary.loc[(pool.name, f"agent_occupancy_{x}")]["mean"] for x in ("min", "max"))
        spread = "–" if math.isnan(low) else f"{fmt('occupancy', low)} … {fmt('occupancy', high)}"
        pools.add_row(pool.name, fmt("occupancy", occ["mean"]), _ci("occupancy", occ), spread,
                      f"{summary.loc[(pool.name, 'staffed_hours')]['mean']:,.1f}",
                      f"{summary.loc[(pool.name, 'handled')]['mean']:,.1f}")
    out.print(pools)
    rate = result.simulated_contacts / result.simulation_seconds if result.simulation_seconds else float("nan")
    out.print(f"simulated {result.simulated_contacts:,} contacts in {result.simulation_seconds:.2f} s "
              f"({rate:,.0f} contacts/s)", style="dim")


def _sl_words(s: Scenario) -> str:
    within = "answered within T"
    words = {"offered": f"{within} / offered", "answered": f"{within} / answered",
             "abandons_excluded": f"{within} / (offered - abandoned within T)",
             "abandons_good": f"({within} + abandoned within T) / offered"}[s.service_level_definition]
    own = [q.skill for q in s.queues or () if q.service_level is not None]
    threshold = f"T = {s.service_level_seconds:g} s" + (" (queues with their own T: see below)" if own else "")
    return f"{words}, {threshold}"


def _print_groups(summary: pd.DataFrame, key: str, title: str, thresholds: dict[str, float] | None = None) -> None:
    """One row per queue or segment: volumes and the service KPIs with CIs."""
    from rich.table import Table

    table = Table(title=title, caption="± : half-width of the 95% confidence interval")
    columns = [key, *(["T"] if thresholds else []), "offered", "answered", "abandon_rate", "service_level",
               "asa_seconds"]
    for column in columns:
        table.add_column(column, justify="left" if column == key else "right")
    wide = summary.set_index([key, "kpi"])
    for name in dict.fromkeys(summary[key]):
        cells = [str(name)] + ([f"{thresholds[name]:g} s"] if thresholds else [])
        for kpi in columns[len(cells):]:
            row = wide.loc[(name, kpi)]
            value = fmt(kpi, row["mean"])
            if kpi not in ("offered", "answered") and not math.isnan(row.ci_low):
                value += f" ± {half_width(kpi, row.ci_low, row.ci_high)}"
            cells.append(value)
        table.add_row(*cells)
    out.print(table)


def _print_chains(result: RunResult) -> None:
    """Answered contacts by how often they were transferred: the transfer-chain distribution."""
    from rich.table import Table

    chains = Table(title="transfer chains (answered contacts)")
    for column in ("transfers", "contacts", "share", "95% CI"):
        chains.add_column(column, justify="right")
    summary = result.chain_summary().set_index(["transfers", "kpi"])
    lengths = sorted({t for t, _ in summary.index})
    last = max((t for t in lengths if summary.loc[(t, "contacts")]["mean"] > 0), default=0)
    for t in lengths[: last + 1]:
        share = summary.loc[(t, "share")]
        chains.add_row(str(t), f"{summary.loc[(t, 'contacts')]['mean']:,.1f}", fmt("share", share["mean"]),
                       _ci("share", share))
    out.print(chains)


#: ``ccsim check`` prints per-interval tables by default up to this many intervals (a day in half hours).
TABLE_INTERVALS = 48


def describe(s: Scenario, file: Path, intervals: bool | None = None) -> None:
    """``ccsim check``: what the scenario contains, in planner words."""
    import numpy as np

    rates = s.rates_per_hour()
    hours = s.interval_seconds / 3600
    labels = s.interval_labels()
    out.print(f"[bold]{s.name}[/]: valid scenario ({file})")
    end = {True: "callers still in the center at the end are served", False: "hard stop at the end"}
    out.print(f"  horizon: {s.horizon.hours:g} h from {s.horizon.start} in {s.n_intervals} intervals of "
              f"{s.horizon.interval_minutes:g} min; warm-up {s.horizon.warmup_minutes:g} min; seed {s.seed}; "
              f"{end[s.horizon.drain]}")
    peak = int(np.argmax(rates))
    out.print(f"  arrivals: {rates.sum() * hours:,.0f} expected contacts; peak {rates[peak]:,.0f}/h at {labels[peak]}")
    for g in s.segments:
        patience = f"patience mean {g.patience.mean:.0f} s ({g.patience.dist})" if g.patience else "never abandons"
        out.print(f"  segment {g.name}: {100 * g.share:.0f}%, {patience}")
    intent_rates = s.intent_rates()
    day = intent_rates.sum(axis=1) * hours
    for k, i in enumerate(s.intents):
        out.print(f"  intent {i.name}: {day[k]:,.0f} expected contacts ({100 * day[k] / max(day.sum(), 1e-12):.0f}%), "
                  f"skill {i.skill}, handle time mean {i.handle_time.mean:.0f} s ({i.handle_time.dist})")
    for p in s.pools:
        staff = s.staffing(p)
        skills = ", ".join(r.skill if not r.after else f"{r.skill} (overflow after {r.after:g} s)" for r in p.skills)
        how = []
        if p.shifts:
            how.append(f"{sum(x.count for x in p.shifts)} agents on {len(p.shifts)} shift(s)")
        if p.shrinkage is not None:
            how.append("shrinkage " + (f"{p.shrinkage:.0%}" if not isinstance(p.shrinkage, list)
                                       else f"{min(p.shrinkage):.0%}–{max(p.shrinkage):.0%}"))
        if p.absence:
            how.append(f"absence {p.absence:.0%} a day")
        out.print(f"  pool {p.name}: {staff.min():.4g}–{staff.max():.4g} agents scheduled, "
                  f"{staff.sum() * hours:,.0f} agent-hours{'; ' + ', '.join(how) if how else ''}; skills: {skills}")
    queues = s.queue_names()
    for q in queues:
        settings = s.queue_settings(q)
        goal = settings.service_level if settings is not None else None
        target = f", goal {goal.target:.0%}" if goal is not None and goal.target is not None else ""
        out.print(f"  queue {q}: service level at {s.service_level_seconds_of(q):g} s{target}")
    tables = s.n_intervals <= TABLE_INTERVALS if intervals is None else intervals
    wanted = len(queues) > 1 or any(isinstance(x.share, list) or x.rate_per_hour is not None for x in s.intents)
    if wanted and tables:
        _print_volumes(s, intent_rates, queues)
    if any(p.shifts or p.shrinkage is not None or p.absence for p in s.pools) and tables:
        _print_presence(s)
    if not tables and (wanted or any(p.shifts for p in s.pools)):
        out.print(f"  ({s.n_intervals} intervals: ccsim check --intervals prints the per-interval tables)")
    from ..engine.plan import compile_plan

    load = _offered_load(s, intent_rates)
    agents = compile_plan(s).available.sum(axis=0)
    short = [labels[k] for k in range(s.n_intervals) if load[k] >= agents[k] and load[k] > 0]
    out.print(f"  offered load at the peak: {load[peak]:.1f} Erlangs for {agents[peak]:.4g} agents available")
    print_warnings(s)
    if short:
        out.print(f"  [yellow]note:[/] offered load reaches the staffing in {len(short)} interval(s) "
                  f"(first {short[0]}): callers will queue until they abandon")


def _offered_load(s: Scenario, intent_rates) -> object:
    """Erlangs per interval: each intent's rate times its mean handle time (and factor)."""
    import numpy as np

    load = np.zeros(s.n_intervals)
    for k, x in enumerate(s.intents):
        factor = np.broadcast_to(np.asarray(x.handle_time_factor if x.handle_time_factor is not None else 1.0, float),
                                 (s.n_intervals,))
        load += intent_rates[k] * x.handle_time.mean * factor / 3600
    return load


def _queue_rates(s: Scenario, intent_rates, queues: list[str]) -> dict:
    """Contacts per hour arriving at each queue: a channel with its own queue sends its share
    there, the others to each intent's queue (before the IVR's misroutes)."""
    import numpy as np

    rates = {q: np.zeros(s.n_intervals) for q in queues}
    channels = s.channel_list()
    for c in channels:
        for k, x in enumerate(s.intents):
            rates[c.skill or x.skill] += c.share * intent_rates[k]
    return rates


def _print_volumes(s: Scenario, intent_rates, queues: list[str]) -> None:
    """Expected contacts per interval and queue (each channel's contacts at its queue, else at
    their intent's)."""
    from rich.table import Table

    hours = s.interval_seconds / 3600
    out.print("  expected contacts per interval and queue:")
    table = Table()
    table.add_column("interval")
    for q in queues:
        table.add_column(q, justify="right")
    table.add_column("total", justify="right")
    per_queue = _queue_rates(s, intent_rates, queues)
    for k, label in enumerate(s.interval_labels()):
        values = [float(per_queue[q][k]) * hours for q in queues]
        table.add_row(label, *(f"{v:,.1f}" for v in values), f"{sum(values):,.1f}")
    out.print(table)


def print_warnings(s: Scenario) -> None:
    """What is valid but odd (a queue nobody staffs, a pool nobody needs): warnings, on stderr."""
    from ..spec.advice import scenario_warnings
    from .common import err

    for warning in scenario_warnings(s):
        err.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)


def _print_presence(s: Scenario) -> None:
    """Agents per interval and pool as the schedule has them: scheduled (shifts without their
    breaks, time-averaged) and expected available (after shrinkage and absence)."""
    from rich.table import Table

    from ..engine.plan import compile_plan

    plan = compile_plan(s)
    out.print("  agents per interval and pool: scheduled (shifts less breaks, time-averaged) / expected available "
              "(after shrinkage and absence)")
    table = Table()
    table.add_column("interval")
    for p in s.pools:
        table.add_column(p.name, justify="right")
    for k, label in enumerate(s.interval_labels()):
        table.add_row(label, *(f"{plan.scheduled[p, k]:.1f} / {plan.available[p, k]:.1f}" for p in range(len(s.pools))))
    out.print(table)
