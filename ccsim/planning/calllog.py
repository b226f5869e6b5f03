"""Call logs: reading a real center's call-by-call records to shape a scenario.

A planner who has last year's ACD log wants the scenario to look like their center: how
many calls arrive in each hour, how long they take, how long callers wait before hanging up.
This module reads the public "Anonymous Bank" log (an Israeli bank's call center, 1999; Brown
et al., JASA 2005) — one tab-separated file per month — into one DataFrame, and computes the
shapes a scenario needs from it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_TIMES = ("vru_entry", "vru_exit", "q_start", "q_exit", "ser_start", "ser_exit")


def read_anonymous_bank(folder: str | Path) -> pd.DataFrame:
    """All calls of the Anonymous Bank log in ``folder`` (the ``*.txt`` month files).

    Clock columns become seconds after midnight of the call's date (``*_s``); ``date`` becomes
    a datetime; PHANTOM rows are kept (``outcome == "PHANTOM"``) for the caller to drop.

    Raises:
        FileNotFoundError: if the folder holds no month files.
    """
    files = sorted(Path(folder).glob("*.txt"))
    if not files:
        raise FileNotFoundError(f"no call-log files (*.txt) in {folder}")
    frame = pd.concat([pd.read_csv(f, sep="\t", dtype=str) for f in files], ignore_index=True)
    frame.columns = [c.strip() for c in frame.columns]
    for column in ("customer_id", "priority", "vru_time", "q_time", "ser_time"):
        frame[column] = pd.to_numeric(frame[column].str.strip(), errors="coerce")
    for column in ("type", "outcome", "server", "vru+line"):
        frame[column] = frame[column].str.strip()
    frame["date"] = pd.to_datetime("19" + frame["date"].str.strip(), format="%Y%m%d")
    for column in _TIMES:
        frame[f"{column}_s"] = _clock_seconds(frame[column])
    return frame


def _clock_seconds(column: pd.Series) -> np.ndarray:
    """Clock strings (H:MM:SS) as seconds after midnight, parsed by pyarrow (a split per row is slow)."""
    text = pc.utf8_trim_whitespace(pa.array(column, type=pa.string()))
    stamps = pc.strptime(text, format="%H:%M:%S", unit="s")
    return pc.cast(stamps, pa.int64()).to_numpy(zero_copy_only=False).astype(float) % 86_400


def hourly_arrivals(calls: pd.DataFrame, weekdays: tuple[int, ...] = (6, 0, 1, 2, 3)) -> pd.Series:
    """Mean real calls per hour of day over the given weekdays (Monday = 0; default Sun-Thu)."""
    real = calls[(calls["outcome"] != "PHANTOM") & calls["date"].dt.day_of_week.isin(weekdays)]
    hours = (real["vru_entry_s"] // 3600).astype(int)
    return hours.value_counts().sort_index() / real["date"].nunique()


def service_time_shape(calls: pd.DataFrame) -> pd.DataFrame:
    """Mean, median and coefficient of variation of service time per service type."""
    served = calls[(calls["outcome"] == "AGENT") & (calls["ser_time"] > 0)]
    grouped = served.groupby("type")["ser_time"]
    return pd.DataFrame({"calls": grouped.size(), "mean": grouped.mean(), "median": grouped.median(),
                         "cv": grouped.std() / grouped.mean()})


def mean_patience(calls: pd.DataFrame) -> float:
    """Mean patience of queued callers under exponential patience: total wait / abandonments.

    Every second waited is a second at risk of hanging up, so the hazard is abandonments per
    second of waiting (the maximum-likelihood estimate with censoring by service).
    """
    queued = calls[calls["q_time"] > 0]
    abandoned = (queued["outcome"] == "HANG").sum()
    return float(queued["q_time"].sum() / abandoned) if abandoned else np.inf


def redial_behaviour(calls: pd.DataFrame) -> tuple[float, pd.Series]:
    """How identified customers who hung up in the queue call again the same day.

    Returns the share who called again that day and their delays in seconds (from hanging up to
    the next call). Unidentified callers (customer id 0) cannot be followed and are left out.
    """
    known = calls[(calls["outcome"] != "PHANTOM") & (calls["customer_id"] > 0)]
    known = known.sort_values(["customer_id", "date", "vru_entry_s"], kind="stable")
    next_call = known.groupby(["customer_id", "date"])["vru_entry_s"].shift(-1)
    hung_up = (known["outcome"] == "HANG") & (known["q_time"] > 0)
    again = next_call[hung_up].notna()
    delays = (next_call - (known["q_start_s"] + known["q_time"]))[hung_up][again]
    return float(again.mean()), delays[delays > 0]
