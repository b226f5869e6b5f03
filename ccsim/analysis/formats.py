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


def format_kpi(kpi: str, value: Any, signed: bool = False) -> str:
    """A KPI value as a planner reads it: shares in %, times in s, counts with separators.

    With ``signed`` (a difference), shares are in percentage points.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if signed else ""
    if kpi in RATES or kpi.startswith("occupancy"):
        return f"{100 * value:{sign}.2f} pts" if signed else f"{100 * value:.1f}%"
    if kpi.endswith("_seconds"):
        return f"{value:{sign}.1f} s"
    return f"{value:{sign},.1f}"


def json_float(x: Any) -> float | None:
    """A float for JSON: NaN (a KPI or bound that cannot be computed) becomes null."""
    x = float(x)
    return None if math.isnan(x) else x
