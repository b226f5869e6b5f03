"""``ccsim erlang``: the analytic values a planner knows from their calculator."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer

from .common import JSON_HELP, fail, fmt, out


def register(app: typer.Typer) -> None:
    app.command()(erlang)


def erlang(
    rate_per_hour: Annotated[float, typer.Option(help="arrivals per hour (> 0)")],
    aht: Annotated[float, typer.Option(help="mean handle time, seconds (> 0)")],
    agents: Annotated[int, typer.Option(min=1, help="agents")],
    patience: Annotated[Optional[float], typer.Option(help="mean patience, seconds (> 0; Erlang A); omit for Erlang C")] = None,
    sl_seconds: Annotated[float, typer.Option(min=0, help="service-level threshold, seconds")] = 20.0,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Analytic Erlang C (no patience) or Erlang A values for one queue."""
    from rich.table import Table

    from ..analysis import erlang as erlang_mod

    bad = [f"--{name}: must be > 0, got {value:g}" for name, value in
           (("rate-per-hour", rate_per_hour), ("aht", aht), ("patience", patience))
           if value is not None and not value > 0]
    if bad:
        raise fail(bad)
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
    title = "Erlang C (M/M/n)" if patience is None else f"Erlang A (M/M/n+M, patience {patience:g} s)"
    table = Table(title=f"{title}: {rate_per_hour:g}/h, AHT {aht:g} s, {agents} agents")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for key, value in result.as_dict().items():
        if key != "model":
            table.add_row(key, f"{value:.2f} Erlangs" if key == "offered_load" else fmt(key, value))
    out.print(table)
