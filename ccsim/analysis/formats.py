"""KPI values as a planner reads them: shares in %, times in seconds, counts with separators.

The same value reads the same in the terminal table, the JSON, the HTML report and the
plots. Nothing here imports pandas or numpy, so the lightest commands can use it.
"""

from __future__ import annotations

import math
from typing import Any

RATES = {"abandon_rate", "p_wait", "service_level", "occupancy", "repeat_contact_rate", "fcr", "resolution_rate",
         "ivr_abandon_rate", "containment_rate", "misroute_rate", "hold_abandon_rate", "share", "block_rate",
         "balk_rate", "sl_offered", "sl_answered", "sl_abandons_excluded", "sl_abandons_good"}


#: Shares besides ``RATES`` and ``occupancy*``: the spread of agents' occupancy.
MORE_RATES = frozenset({"agent_occupancy_min", "agent_occupancy_max"})
#: KPIs in money (the scenario's ``currency``).
COST_KPIS = frozenset({"agent_cost", "telephony_cost", "cost", "cost_per_resolved"})


def is_rate(kpi: str) -> bool:
    """Whether a KPI is a share between 0 and 1 (shown in %; its differences in points)."""
    name = kpi.split(":", 1)[0]  # sweeps: occupancy:<pool>
    return name in RATES or name.startswith("occupancy") or name in MORE_RATES


def format_kpi(kpi: str, value: Any, signed: bool = False) -> str:
    """A KPI value as a planner reads it: shares in %, times in s, counts with separators.

    With ``signed`` (a difference), shares are in percentage points.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if signed else ""
    if is_rate(kpi):
        return f"{100 * value:{sign}.2f} pts" if signed else f"{100 * value:.1f}%"
    if kpi.endswith("_seconds"):
        return f"{value:{sign}.1f} s"
    return f"{value:{sign},.1f}"


def json_float(x: Any) -> float | None:
    """A float for JSON: NaN (a KPI or bound that cannot be computed) becomes null."""
    x = float(x)
    return None if math.isnan(x) else x


def format_value(kpi: str, value: Any, signed: bool = False, currency: str | None = None) -> str:
    """A KPI value as a planner reads it (``format_kpi``), costs with the scenario's currency:
    ``4.37 EUR``, ``$4.37``, ``+0.42 EUR``; a difference of shares in points (``+1.50 pts``)."""
    if kpi in COST_KPIS and currency and not _missing(value):
        number = f"{value:{'+' if signed else ''},.2f}"
        if currency.isalpha():  # a code: EUR, USD, CHF
            return f"{number} {currency}"
        sign = number[0] if number[0] in "+-" else ""
        return f"{sign}{currency}{number.lstrip('+-')}"  # a symbol: $4.37, -€0.42
    return format_kpi(kpi, value, signed=signed)


def format_half_width(kpi: str, low: Any, high: Any, currency: str | None = None) -> str:
    """``± 1.50 pts`` (shares: a half-width is a difference, in percentage points), ``± 2.1 s``;
    ``''`` when the interval is undefined or has width 0."""
    if _missing(low) or _missing(high) or high == low:
        return ""
    return "± " + format_value(kpi, (high - low) / 2, signed=True, currency=currency).lstrip("+")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
