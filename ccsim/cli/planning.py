"""``ccsim forecast``: a forecast into a scenario; and ``ccsim erlang --forecast/--scenario``, the
requirement per queue and interval.

``ccsim forecast bank_weekday.csv --into bank_weekday.yaml --out bank_day.yaml`` writes a new
scenario whose intents carry the forecast's calls and handle times hour by hour, and prints
what each queue got. ``ccsim erlang --target sl=0.8@20 --forecast bank_weekday.csv`` prints the
agents each queue needs in each interval, and the day's agent-hours.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

from .common import JSON_HELP, err, fail, fmt, out, plural


def register(app: typer.Typer) -> None:
    app.command()(forecast)


def forecast(
    file: Annotated[Path, typer.Argument(
        metavar="FILE", help="the forecast: CSV with a row per queue and interval (queue, interval, volume, aht; "
                             "optional acw, patience, end)")],
    into: Annotated[Path, typer.Option("--into", metavar="SCENARIO", help="the scenario the forecast goes into")],
    out_path: Annotated[Path, typer.Option("--out", metavar="NEW.yaml", help="the new scenario file to write")],
    mapping: Annotated[list[str] | None, typer.Option(
        "--map", metavar="QUEUE=INTENT", help="the intent a forecast queue goes to, when its name is neither an "
                                              "intent's nor the skill of exactly one intent (repeatable)")] = None,
    overwrite: Annotated[bool, typer.Option(help="replace --out if it exists (also the --into scenario itself)")
                         ] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Put a forecast (calls and AHT per queue and interval) into a scenario, written as a new file."""
    pairs = _mapping(mapping or [])
    _check_out(out_path, file, overwrite)
    from ..errors import ScenarioError
    from ..planning.forecast import merge_forecast, read_forecast, scenario_yaml
    from .common import load

    scenario = load(into)
    try:
        table = read_forecast(file)
        merged = merge_forecast(scenario, table, pairs)
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None
    words = " ".join(["ccsim forecast", str(file), "--into", str(into), *(f"--map {m}" for m in mapping or ()),
                      "--out", str(out_path)])
    queues = ", ".join(f"{r.queue} -> {r.intent}" for r in merged.summary.itertuples())
    comment = (f"{scenario.name}: {into} with the forecast {file}\nwritten by: {words}\n"
               f"Each intent's rate_per_hour and handle_time_factor per interval (and its patience and after-call "
               f"work, when the forecast gives them) come from the forecast.\nqueues: {queues}")
    _write(out_path, scenario_yaml(merged.data, comment))
    summary = merged.summary
    if as_json:
        typer.echo(json.dumps({
            "forecast": str(file), "scenario": str(into), "out": str(out_path),
            "interval_minutes": table.attrs["interval_minutes"], "intervals": scenario.n_intervals,
            "queues": [{k: _plain(v) for k, v in row.items()} for row in summary.to_dict("records")],
            "warnings": list(merged.warnings)}))
        return
    _print_summary(summary, table.attrs["interval_minutes"])
    for text in merged.warnings:
        err.print(f"[yellow]warning:[/] {text}", highlight=False, soft_wrap=True)
    out.print(f"scenario written to {out_path} ({scenario.n_intervals} intervals of "
              f"{scenario.horizon.interval_minutes:g} min from {scenario.horizon.start}; validated)", highlight=False)


def _mapping(items: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    problems = []
    for item in items:
        queue, sep, intent = item.partition("=")
        queue, intent = queue.strip(), intent.strip()
        if not sep or not queue or not intent:
            problems.append(f"--map: '{item}' is not QUEUE=INTENT (e.g. --map PS=regular_service)")
        elif queue in pairs:
            problems.append(f"--map: queue '{queue}' is mapped twice ({queue}={pairs[queue]} and {item})")
        else:
            pairs[queue] = intent
    if problems:
        raise fail(problems)
    return pairs


def _check_out(path: Path, forecast_file: Path, overwrite: bool) -> None:
    """Never replace a file unless told to; never the forecast itself."""
    if path.exists() and forecast_file.exists() and path.resolve() == forecast_file.resolve():
        raise fail([f"--out: {path} is the forecast file; write the scenario to another file"])
    if path.is_dir():
        raise fail([f"--out: {path} is a folder; give a file name, e.g. {path / 'scenario.yaml'}"])
    if path.exists() and not overwrite:
        raise fail([f"--out: {path} exists; give another file, or --overwrite to replace it"])
    if not path.parent.is_dir():
        raise fail([f"--out: the folder {path.parent} does not exist"])


def _write(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it: never a half-written scenario."""
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _plain(value: Any) -> Any:
    """A JSON value: NaN becomes null, numpy numbers plain numbers."""
    if isinstance(value, str) or value is None:
        return value
    value = float(value)
    return None if math.isnan(value) else value


def _print_summary(summary: Any, minutes: float) -> None:
    from rich.table import Table

    table = Table(title=f"forecast per queue ({minutes:g}-min intervals)")
    columns = [("queue", "queue"), ("intent", "intent"), ("volume", "calls"), ("peak_interval", "peak"),
               ("peak_volume", "peak calls"), ("aht_seconds", "AHT"), ("acw_seconds", "ACW"),
               ("patience_seconds", "patience")]
    columns = [(k, h) for k, h in columns if k in summary]
    for key, header in columns:
        table.add_column(header, justify="left" if key in ("queue", "intent", "peak_interval") else "right")
    for row in summary.to_dict("records"):
        table.add_row(*(_cell(key, row[key]) for key, _ in columns))
    out.print(table)


def _cell(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None or math.isnan(value):
        return "–"
    return f"{value:,.0f} s" if key.endswith("_seconds") else f"{value:,.1f}"


def erlang_intervals(forecast_file: Path | None, scenario_file: Path | None, queues: list[str] | None,
                     targets: list[str] | None, patience: float | None, sl_seconds: float | None,
                     shrinkage: float | None, max_occupancy: float | None, as_json: bool) -> None:
    """``ccsim erlang --target ... --forecast FILE`` or ``--scenario FILE``: the requirement per interval."""
    from ..analysis.erlang_targets import parse_targets
    from ..errors import ScenarioError
    from ..planning.forecast import agent_hours, erlang_requirement
    from .common import load

    if targets:
        try:
            parse_targets(targets)
        except ValueError as exc:
            raise fail([f"--target: {line}" if line.startswith(("target ", "allowed", "no target")) else line
                        for line in str(exc).splitlines()]) from None
    source: Any = load(scenario_file) if scenario_file is not None else forecast_file
    try:
        table = erlang_requirement(source, targets or None, queues=queues or None, patience_seconds=patience,
                                   sl_seconds=sl_seconds, shrinkage=shrinkage, max_occupancy=max_occupancy)
    except ScenarioError as exc:
        raise fail(str(exc).splitlines()) from None
    except ValueError as exc:
        raise fail(str(exc).splitlines()) from None
    skipped = table.attrs["skipped"]
    if table.empty:
        raise fail([f"queue {q}: {reason}" for q, reason in skipped.items()]
                   + ["no queue here can be worked out with Erlang (see the reasons above)"])
    hours = agent_hours(table)
    if as_json:
        typer.echo(json.dumps(_json(table, hours)))
        return
    for queue, info in table.attrs["queues"].items():
        _print_queue(table[table["queue"] == queue], queue, info, hours.loc[queue], table.attrs["interval_minutes"])
    if len(table.attrs["queues"]) > 1:
        total = hours.loc["all"]
        out.print(f"[bold]all queues[/]: {total['required_hours']:,.1f} agent-hours required, "
                  f"{total['scheduled_hours']:,.1f} scheduled", highlight=False)
    for queue, reason in skipped.items():
        out.print(f"skipped {queue}: {reason}", highlight=False)


def _json(table: Any, hours: Any) -> dict[str, Any]:
    rows = table.drop(columns=["queue"]).to_dict("records")
    by_queue: dict[str, Any] = {}
    for queue, info in table.attrs["queues"].items():
        mine = [{k: _plain(v) if k not in ("required", "scheduled") else int(v) for k, v in row.items()}
                for row, q in zip(rows, table["queue"], strict=True) if q == queue]
        by_queue[queue] = {**info, "agent_hours": {k: float(v) for k, v in hours.loc[queue].items()},
                           "intervals": mine}
    return {"source": table.attrs["source"], "interval_minutes": table.attrs["interval_minutes"],
            "queues": by_queue, "skipped": table.attrs["skipped"],
            "agent_hours": {k: float(v) for k, v in hours.loc["all"].items()}}


def _print_queue(rows: Any, queue: str, info: dict[str, Any], hours: Any, minutes: float) -> None:
    from rich.table import Table

    model = {"erlang_c": "Erlang C (no abandonment)", "erlang_a": "Erlang A",
             "erlang_a/c": "Erlang A (Erlang C where nobody hangs up)"}[info["model"]]
    pool = f", pool {info['pool']}" if info["pool"] else ""
    table = Table(title=f"queue {queue}{pool} — {model}; targets {', '.join(info['targets'])}",
                  title_justify="left")
    sl_key = f"SL@{info['sl_seconds']:g}"
    columns = [("interval", "interval"), ("volume", "calls"), ("aht_seconds", "AHT"),
               ("patience_seconds", "patience"), ("offered_load", "load"), ("required", "required"),
               ("fractional", "fract."), ("scheduled", "scheduled"), ("staffed", "staffed"),
               ("service_level", sl_key), ("asa_seconds", "ASA"), ("abandon_rate", "abandon"),
               ("occupancy", "occupancy")]
    shrink = rows["shrinkage"].to_numpy()
    drop = {"patience_seconds"} if rows["patience_seconds"].isna().all() else set()
    drop |= {"staffed"} if rows["staffed"].isna().all() else set()
    drop |= {"abandon_rate"} if info["model"] == "erlang_c" else set()
    drop |= {"scheduled"} if not shrink.any() else set()
    columns = [(k, h) for k, h in columns if k not in drop]
    for key, header in columns:
        table.add_column(header, justify="left" if key == "interval" else "right")
    for row in rows.to_dict("records"):
        table.add_row(*(_interval_cell(key, row[key]) for key, _ in columns))
    out.print(table)
    words = f"{hours['required_hours']:,.1f} agent-hours required (fractional {hours['fractional_hours']:,.1f})"
    if shrink.any():
        share = f"{100 * shrink[0]:g}% shrinkage" if (shrink == shrink[0]).all() else "the pool's shrinkage"
        words += f", {hours['scheduled_hours']:,.1f} scheduled with {share}"
    if "staffed" not in drop:
        words += f"; the scenario staffs {rows['staffed'].sum() * minutes / 60:,.1f}"
    out.print(f"{queue}: {plural(int(round(rows['volume'].sum())), 'call')}, {words}", highlight=False)


def _interval_cell(key: str, value: Any) -> str:
    if key == "interval":
        return str(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if key in ("required", "scheduled"):
        return f"{int(value)}"
    if key in ("aht_seconds", "patience_seconds"):
        return f"{value:,.0f} s"
    if key in ("volume", "offered_load", "fractional", "staffed"):
        return f"{value:,.1f}" if key != "fractional" else f"{value:,.2f}"
    return fmt(key, value)
