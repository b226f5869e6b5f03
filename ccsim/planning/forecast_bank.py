"""A real multi-queue forecast from the Anonymous Bank's call log (``scenarios/forecasts/bank_weekday.csv``).

What a forecaster does first with last half-year's log: the average weekday, queue by queue
and hour by hour. From the bank's January-June 1999 Sunday-Thursday calls (its working week)
this gives, for regular service (PS), stock-exchange calls (NE), prospective customers (NW)
and callback requests (TT) from 07:00 to 24:00: the mean number of real calls per day arriving
in each hour, the mean service time of the served ones, and the callers' mean patience (queue
wait over hang-ups: the exponential estimate, censored by service). Prospective customers
peak at 16:00, stock-exchange calls at 10:00 and 15:00, regular service stays high all day::

    python -m ccsim.planning.forecast_bank ../shared/data/anonymous_bank_1999 scenarios/forecasts/bank_weekday.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from .calllog import read_anonymous_bank

QUEUES = ("PS", "NE", "NW", "TT")


def bank_weekday_forecast(calls: pd.DataFrame | str | Path, months: tuple[int, ...] = (1, 2, 3, 4, 5, 6),
                          weekdays: tuple[int, ...] = (6, 0, 1, 2, 3), queues: tuple[str, ...] = QUEUES,
                          hours: tuple[int, int] = (7, 24), min_abandons: int = 30) -> pd.DataFrame:
    """The average day of the bank's log as a forecast: one row per queue and hour.

    Args:
        calls: the log (:func:`ccsim.planning.calllog.read_anonymous_bank`) or its folder.
        months, weekdays: which days to average (Monday = 0; default January-June, Sunday-Thursday).
        queues: service types, each a queue.
        hours: first hour and the hour after the last (default 07:00 to 24:00).
        min_abandons: an hour with fewer hang-ups of a queue takes that queue's patience over the
            whole day (a mean patience from a handful of hang-ups is noise).

    Returns:
        Columns queue, interval (``07:00``), volume (mean real calls per day), aht (mean service
        time of served calls, s; the queue's day mean where an hour has none), patience (s).
    """
    if not isinstance(calls, pd.DataFrame):
        calls = read_anonymous_bank(calls)
    days = calls[calls["date"].dt.month.isin(months) & calls["date"].dt.day_of_week.isin(weekdays)]
    n_days = days["date"].nunique()
    real = days[(days["outcome"] != "PHANTOM") & days["type"].isin(queues)]
    real = real.assign(hour=(real["vru_entry_s"] // 3600).astype(int))
    grid = pd.MultiIndex.from_product([list(queues), range(*hours)], names=["type", "hour"])
    volume = real.groupby(["type", "hour"]).size().reindex(grid, fill_value=0) / n_days
    served = real[(real["outcome"] == "AGENT") & (real["ser_time"] > 0)]
    aht = served.groupby(["type", "hour"])["ser_time"].mean().reindex(grid)
    aht = aht.fillna(served.groupby("type")["ser_time"].mean().reindex(grid.get_level_values("type")).set_axis(grid))
    queued = real[real["q_time"] > 0].assign(hung=lambda d: d["outcome"] == "HANG")
    by_hour = queued.groupby(["type", "hour"]).agg(wait=("q_time", "sum"), hung=("hung", "sum")).reindex(grid)
    by_day = queued.groupby("type").agg(wait=("q_time", "sum"), hung=("hung", "sum"))
    day_patience = (by_day["wait"] / by_day["hung"]).reindex(grid.get_level_values("type")).set_axis(grid)
    patience = (by_hour["wait"] / by_hour["hung"]).where(by_hour["hung"] >= min_abandons, day_patience)
    frame = pd.DataFrame({"volume": volume.round(1), "aht": aht.round(0), "patience": patience.round(0)})
    frame = frame.reset_index()
    frame.insert(1, "interval", [f"{h:02d}:00" for h in frame.pop("hour")])
    frame = frame.rename(columns={"type": "queue"})
    frame.loc[frame["volume"] == 0, ["aht", "patience"]] = np.nan
    return frame


def main(argv: list[str] | None = None) -> None:
    """``python -m ccsim.planning.forecast_bank LOG_FOLDER OUT.csv``: write the forecast."""
    folder, out = (argv if argv is not None else sys.argv[1:])[:2]
    frame = bank_weekday_forecast(folder)
    frame.to_csv(out, index=False, float_format="%g")
    print(f"{out}: {len(frame)} rows, {frame['volume'].sum():,.0f} calls a day")


if __name__ == "__main__":  # pragma: no cover
    main()
