"""Forecasts: from the WFM tool's calls and handle times per queue and interval to a scenario.

A planner starts the week with a forecast — for each queue (PS regular service, NE stock
exchange, ...) and each half-hour, the calls expected and their average handle time, maybe the
after-call work and the callers' patience — and two questions: how many agents does each
interval need (Erlang, at once), and does the center as it really works (overflow, IVR,
transfers, redials) meet the target with that staffing (the simulation)? This module answers
the first and prepares the second::

    from ccsim.planning.forecast import read_forecast, apply_forecast, erlang_requirement

    forecast = read_forecast("scenarios/forecasts/bank_weekday.csv")      # queue x interval rows
    table = erlang_requirement(forecast, "sl=0.8@20")                     # agents per queue, interval
    day = apply_forecast("scenarios/forecasts/bank_weekday.yaml", forecast)   # a Scenario to simulate
    ccsim.run(day, reps=10)

The pieces: :mod:`.forecast_read` (the file layout and its checks), :mod:`.forecast_apply`
(writing the forecast into a scenario's intents), :mod:`.forecast_erlang` (the analytic
requirement per interval, from a forecast or a scenario), :mod:`.forecast_bank` (the shipped
example forecast, computed from the real bank log).
"""

from __future__ import annotations

from .forecast_apply import ForecastMerge, ForecastWarning, apply_forecast, map_queues, merge_forecast, scenario_yaml
from .forecast_bank import bank_weekday_forecast
from .forecast_erlang import agent_hours, erlang_requirement, scenario_queues, single_skill_queues
from .forecast_read import FIELDS, MAX_ROWS, read_forecast

__all__ = [
    "FIELDS", "MAX_ROWS", "ForecastMerge", "ForecastWarning", "agent_hours", "apply_forecast", "bank_weekday_forecast",
    "erlang_requirement", "map_queues", "merge_forecast", "read_forecast", "scenario_queues", "scenario_yaml",
    "single_skill_queues",
]
