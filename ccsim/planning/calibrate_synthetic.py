"""A call log written by the simulator: a center whose true parameters are known.

Before trusting a calibration on a real log, check it where the answer is known: simulate a
small center (60 to 120 calls an hour, handle times of mean 180 s, patience of mean 300 s,
4 to 7 agents) for 30 days, write what happened as a call log in the canonical layout of
:mod:`ccsim.planning.cdr`, calibrate on it, and compare the estimates with the scenario's
values. :func:`calls_from_contacts` does the writing: each replication becomes one day.

What the log shows is what a switch records: when the call arrived, joined the queue, was
answered and ended, by which agent, and how it ended — not the caller's patience, not the
agents' schedule, not the after-call work. An agent is ``<pool>-<number>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..spec.base import clock_seconds
from ..spec.scenario import Scenario

#: The mapping of a log written by :func:`write_log` (a ``read_cdr`` format).
LOG_FORMAT: dict[str, Any] = {
    "separator": ",",
    "files": "*.csv",
    "columns": {f: f for f in ("call", "date", "arrival", "queue_entry", "queue_exit", "wait", "service_start",
                                "service_end", "service_time", "outcome", "agent", "customer", "call_type",
                                "priority")},
    "time_format": "clock",
    "date_format": "%Y-%m-%d",
    "outcomes": {"served": ["served"], "abandoned": ["abandoned"]},
}


def calls_from_contacts(contacts: pd.DataFrame, scenario: Scenario, first_day: str = "2024-01-07") -> pd.DataFrame:
    """The contacts of a run (``RunResult.contacts``) as a call log in the canonical layout.

    Replication r is the day ``first_day + r``; times are seconds after that day's midnight
    (the horizon starts at ``scenario.horizon.start``); ``call_type`` is the intent, the
    priority the segment's. A call answered at once waited 0 s; a caller who balked or was
    blocked at the queue is abandoned after 0 s, as a switch logs it.
    """
    c = contacts
    start = clock_seconds(scenario.horizon.start)
    answered = c["answer"].notna().to_numpy()
    queued = c["queue_join"].notna().to_numpy() | c["outcome"].isin(["balked", "blocked"]).to_numpy()
    # Whole seconds, as a switch writes them.
    join = np.round((c["queue_join"].fillna(c["arrival"]) + start).to_numpy(dtype=float), 0)
    wait = np.where(answered, c["answer"].to_numpy(dtype=float) + start - join,
                    np.where(c["outcome"].eq("abandoned"), c["end"].to_numpy(dtype=float) + start - join, 0.0))
    wait = np.maximum(np.round(wait, 0), 0.0)
    outcome = np.where(answered, "served", np.where(queued, "abandoned", "other"))
    service_start = np.where(answered, join + wait, np.nan)
    service_time = np.where(answered, np.round(c["talk"].to_numpy(dtype=float), 0), np.nan)
    priority = {g.name: g.priority for g in scenario.segments}
    agent = np.where(answered, c["pool"].astype(str) + "-" + c["agent"].astype(str), None)
    days = pd.Timestamp(first_day) + pd.to_timedelta(c["replication"].to_numpy(), unit="D")
    frame = pd.DataFrame({
        "call": (c["replication"].astype(str) + "-" + c["contact"].astype(str)).to_numpy(),
        "date": days, "arrival": np.round(c["arrival"].to_numpy(dtype=float) + start, 0),
        "queue_entry": np.where(queued & (wait > 0), join, np.nan),
        "queue_exit": np.where(queued & (wait > 0), join + wait, np.nan),
        "wait": np.where(queued | answered, wait, np.nan),
        "service_start": service_start, "service_end": service_start + service_time, "service_time": service_time,
        "outcome": pd.Categorical(outcome, categories=["served", "abandoned", "ignored", "other"]),
        "outcome_raw": pd.array(outcome, dtype="string"),
        "agent": pd.array(agent, dtype="string"),
        "customer": pd.array((c["replication"].astype(str) + "-" + c["customer"].astype(str)).to_numpy(),
                             dtype="string"),
        "call_type": pd.array(c["intent"].astype(str).to_numpy(), dtype="string"),
        "priority": pd.array(c["segment"].astype(str).map(priority).to_numpy(), dtype="Int64"),
        "source": "simulated", "line": np.arange(len(c)) + 2,
    })
    return frame.sort_values(["date", "arrival"], kind="stable").reset_index(drop=True)


def write_log(calls: pd.DataFrame, path: str | Path) -> Path:
    """Write canonical calls as a CSV log that ``read_cdr(path, LOG_FORMAT)`` reads back."""
    path = Path(path)
    out = pd.DataFrame({"call": calls["call"], "date": calls["date"].dt.strftime("%Y-%m-%d")})
    for f in ("arrival", "queue_entry", "queue_exit", "service_start", "service_end"):
        out[f] = _clock(calls[f])
    for f in ("wait", "service_time"):
        out[f] = calls[f].map(lambda x: "" if pd.isna(x) else f"{x:.0f}")
    for f in ("outcome", "agent", "customer", "call_type", "priority"):
        out[f] = calls[f].astype("string").fillna("")
    out.to_csv(path, index=False)
    return path


def _clock(seconds: pd.Series) -> pd.Series:
    def text(x: float) -> str:
        if pd.isna(x):
            return ""
        s = int(round(x)) % 86_400
        return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return seconds.map(text)
