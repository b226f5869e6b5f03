"""``ccsim erlang``: the analytic values a planner knows from their calculator, and the inverse.

``ccsim erlang --rate-per-hour 600 --aht 180 --agents 32 --patience 120`` prints what 32
agents give; ``--target sl=0.8@20`` instead of ``--agents`` prints how many agents the target
needs (with one fewer for comparison), and ``--shrinkage 0.3`` how many to schedule. Both
``--agents`` and ``--target``: the requirement, plus whether the given staffing meets it.
``--forecast FILE`` or ``--scenario FILE`` instead of the rate and AHT: the requirement of every
queue in every interval (see :mod:`ccsim.planning.forecast_erlang`), and the day's agent-hours.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import JSON_HELP, fail, fmt, out

TARGET_HELP = ("a target the staffing must meet (repeatable, or comma-separated): sl=0.8@20 (80% answered within "
               "20 s), asa<=30 (seconds), abandon<=0.05, pwait<=0.5, occ<=0.85; shares as 0.8 or 80%")


def register(app: typer.Typer) -> None:
    app.command()(erlang)


def erlang(
    rate_per_hour: Annotated[float | None, typer.Option(help="arrivals per hour (> 0); one queue")] = None,
    aht: Annotated[float | None, typer.Option(help="mean handle time, seconds (> 0); one queue")] = None,
    agents: Annotated[int | None, typer.Option(help="agents to evaluate; omit with --target for the requirement")
                      ] = None,
    patience: Annotated[float | None, typer.Option(
        help="mean patience, seconds (> 0; Erlang A); omit for Erlang C (with --forecast/--scenario: instead of "
             "theirs)")] = None,
    sl_seconds: Annotated[float | None, typer.Option(
        help="service-level threshold, seconds, for sl targets without @ (default 20; with --scenario each "
             "queue's own)")] = None,
    target: Annotated[list[str] | None, typer.Option(metavar="TARGET", help=TARGET_HELP)] = None,
    shrinkage: Annotated[float | None, typer.Option(help="share of paid time off the phones (0 to < 1), "
                                                            "e.g. 0.3: agents to schedule (with --scenario default: "
                                                            "each pool's)")] = None,
    max_occupancy: Annotated[float | None, typer.Option(help="highest occupancy agents can sustain, "
                                                                "e.g. 0.85 (a target)")] = None,
    forecast: Annotated[Path | None, typer.Option(
        metavar="FILE", help="a forecast file (queue, interval, volume, aht, ...): the requirement per queue and "
                             "interval")] = None,
    scenario: Annotated[Path | None, typer.Option(
        metavar="FILE", help="a scenario: the requirement per interval of each single-skill queue")] = None,
    queue: Annotated[list[str] | None, typer.Option(
        metavar="QUEUE", help="only this queue of --forecast/--scenario (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Analytic Erlang C (no patience) or Erlang A values for one queue, or the agents a target needs
    (for one queue, or per queue and interval of a forecast or scenario)."""
    from ..analysis import erlang as erlang_mod

    problems = _option_problems(erlang_mod, rate_per_hour, aht, agents, patience, sl_seconds, shrinkage,
                                max_occupancy)
    wants_requirement = bool(target) or max_occupancy is not None
    if forecast is not None or scenario is not None:
        problems += _interval_problems(rate_per_hour, aht, agents, forecast, scenario, wants_requirement)
        if problems:
            raise fail(problems)
        from .planning import erlang_intervals

        erlang_intervals(forecast, scenario, queue, target, patience, sl_seconds, shrinkage, max_occupancy, as_json)
        return
    if queue:
        problems.append("--queue: goes with --forecast or --scenario")
    for name, value in (("rate-per-hour", rate_per_hour), ("aht", aht)):
        if value is None:
            problems.append(f"--{name}: required for one queue (or give --forecast FILE or --scenario FILE with "
                            "--target for the requirement per interval)")
    sl_seconds = 20.0 if sl_seconds is None else sl_seconds
    if not problems and not wants_requirement:
        if agents is None:
            problems.append("give --agents C to evaluate a staffing, or --target (e.g. --target sl=0.8@20) for "
                            "the agents it needs")
        elif shrinkage is not None:
            problems.append("--shrinkage: goes with --target (the agents to schedule for a requirement)")
    if problems:
        raise fail(problems)
    if not wants_requirement:
        _evaluate(erlang_mod, rate_per_hour, aht, agents, patience, sl_seconds, as_json)
        return
    from ..analysis import erlang_staffing

    try:
        req = erlang_staffing.required_agents(rate_per_hour, aht, target or [], patience, sl_seconds,
                                              shrinkage or 0.0, max_occupancy)
        given = None if agents is None else erlang_staffing.evaluate_targets(
            rate_per_hour, aht, agents, list(req.targets), patience, sl_seconds)
    except ValueError as exc:
        lines = str(exc).splitlines()
        raise fail([f"--target: {line}" if line.startswith(("target ", "allowed", "no target")) else line
                    for line in lines]) from None
    if as_json:
        data: dict[str, Any] = {"rate_per_hour": rate_per_hour, "aht_seconds": aht, "patience_seconds": patience,
                                **req.as_dict()}
        if given is not None:
            data.update(agents=agents, at_agents=None if given[0] is None else given[0].as_dict(),
                        values_at_agents={k: None if math.isnan(v) else v for k, v in given[1].items()},
                        agents_meet_targets=_meets(req, given[1]))
        typer.echo(json.dumps(data))
        return
    _print_requirement(req, rate_per_hour, aht, patience, agents, given)


def _interval_problems(rate_per_hour: float | None, aht: float | None, agents: int | None, forecast: Path | None,
                       scenario: Path | None, wants_requirement: bool) -> list[str]:
    """What does not go with --forecast/--scenario."""
    problems = []
    if forecast is not None and scenario is not None:
        problems.append("--forecast and --scenario: give one of them")
    given = [name for name, value in (("--rate-per-hour", rate_per_hour), ("--aht", aht), ("--agents", agents))
             if value is not None]
    if given:
        problems.append(f"{', '.join(given)}: for one queue; with --forecast/--scenario the rates and handle times "
                        "come from the file")
    if not wants_requirement and scenario is None:
        problems.append("--target: required with --forecast (e.g. --target sl=0.8@20)")
    return problems


def _option_problems(erlang_mod: Any, rate: float, aht: float, agents: int | None, patience: float | None,
                     sl_seconds: float, shrinkage: float | None, max_occupancy: float | None) -> list[str]:
    """One line per option out of range, naming the option and what is allowed."""
    most = erlang_mod.MAX_SECONDS
    checks = [("rate-per-hour", rate, 0, erlang_mod.MAX_RATE_PER_HOUR, "> 0 and at most 10^12 calls an hour"),
              ("aht", aht, 0, most, "> 0 and at most 10^9 seconds"),
              ("patience", patience, 0, most, "> 0 and at most 10^9 seconds"),
              ("sl-seconds", sl_seconds, None, most, ">= 0 and at most 10^9 seconds"),
              ("shrinkage", shrinkage, None, 1, "a share from 0 up to (not including) 1, e.g. 0.3"),
              ("max-occupancy", max_occupancy, 0, 1, "a share above 0 and at most 1, e.g. 0.85")]
    problems = []
    for name, value, above, top, allowed in checks:
        if value is None:
            continue
        low_ok = value > above if above is not None else value >= 0
        high_ok = value < top if name == "shrinkage" else value <= top
        if not math.isfinite(value):
            problems.append(f"--{name}: must be a finite number ({allowed}), got {value}")
        elif not (low_ok and high_ok):
            problems.append(f"--{name}: must be {allowed}, got {value:g}")
    if agents is not None and not 1 <= agents <= erlang_mod.MAX_AGENTS:
        problems.append(f"--agents: must be from 1 to 1,000,000,000,000 (10^12), got {agents}")
    return problems


def _evaluate(erlang_mod: Any, rate_per_hour: float, aht: float, agents: int, patience: float | None,
              sl_seconds: float, as_json: bool) -> None:
    from rich.table import Table

    try:
        if patience is None:
            result = erlang_mod.erlang_c(rate_per_hour, aht, agents, sl_seconds)
        else:
            result = erlang_mod.erlang_a(rate_per_hour, aht, agents, patience, sl_seconds)
    except ValueError as exc:
        raise fail([str(exc)]) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    table = Table(title=f"{_title(patience)}: {rate_per_hour:g}/h, AHT {aht:g} s, {agents} agents")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, value in result.as_dict().items():
        if key != "model":
            table.add_row(key, f"{value:.2f} Erlangs" if key == "offered_load" else fmt(key, value))
    out.print(table)


def _title(patience: float | None) -> str:
    return "Erlang C (M/M/n)" if patience is None else f"Erlang A (M/M/n+M, patience {patience:g} s)"


def _meets(req: Any, values: dict[str, float]) -> bool:
    return all(t.met(values[t.text]) for t in req.targets)


def _print_requirement(req: Any, rate_per_hour: float, aht: float, patience: float | None,
                       agents: int | None, given: tuple | None) -> None:
    from rich.table import Table

    n = req.required
    binding = req.binding.text if req.binding is not None else (
        "none: Erlang C needs more agents than the offered load" if req.model == "erlang_c" else "none: one agent")
    out.print(f"[bold]{_title(patience)}[/]: {rate_per_hour:g}/h, AHT {aht:g} s, offered load "
              f"{req.at_required.offered_load:.2f} Erlangs; targets {', '.join(t.text for t in req.targets)}")
    out.print(f"required agents: [bold]{n}[/] (fractional {req.fractional:.2f}; binding target {binding})")
    if req.shrinkage:
        out.print(f"scheduled with {100 * req.shrinkage:g}% shrinkage: [bold]{req.scheduled}[/] "
                  f"(fractional {req.scheduled_fractional:.2f})")
    if given is not None:
        verdict = "meet every target" if _meets(req, given[1]) else "miss " + ", ".join(
            t.text for t in req.targets if not t.met(given[1][t.text]))
        note = "" if given[0] is not None else " (no steady state: the queue grows without bound)"
        out.print(f"{agents} agents (given): {verdict}{note}")
    columns = [(f"{n - 1} agents", req.at_one_fewer)] if req.at_one_fewer is not None else []
    columns.append((f"{n} agents", req.at_required))
    if given is not None and agents not in (n, n - 1):
        columns.append((f"{agents} agents (given)", given[0]))
    table = Table()
    table.add_column("KPI")
    table.add_column("target")
    for header, _ in columns:
        table.add_column(header, justify="right")
    report_key = f"service_level@{req.sl_seconds:g}"
    for key in ("p_wait", "abandon_rate", "mean_wait_seconds", "asa_seconds", "service_level", "occupancy"):
        label = report_key if key == "service_level" else key
        bound = ", ".join(t.text for t in req.targets if t.kpi == key and (
            key != "service_level" or t.sl_seconds == req.sl_seconds))
        table.add_row(label, bound, *(fmt(key, getattr(r, key)) if r is not None else "–" for _, r in columns))
    for t in req.targets:  # service levels at other thresholds
        if t.kpi == "service_level" and t.sl_seconds != req.sl_seconds:
            cells = [req.values_one_fewer[t.text]] if req.at_one_fewer is not None else []
            cells.append(req.values[t.text])
            if len(columns) > len(cells):
                cells.append(None if given[0] is None else given[1][t.text])
            table.add_row(f"service_level@{t.sl_seconds:g}", t.text,
                          *(fmt("service_level", v) if v is not None else "–" for v in cells))
    out.print(table)
    if req.at_one_fewer is None and n > 1:
        out.print(f"with {n - 1} agents the queue has no steady state (offered load "
                  f"{req.at_required.offered_load:.2f} Erlangs, nobody abandons)")
