"""Arrivals: when contacts come in.

Calls to a bank come in faster at 10:00 than at 19:00. A scenario gives a rate per planning
interval (or one rate for all), and arrivals form a Poisson process whose rate is constant
within each interval and jumps at the boundaries. The process is sampled exactly: the number
of arrivals in an interval is Poisson with mean rate x length, and given that number the
arrival times are independent and uniform within the interval.
"""

from __future__ import annotations

import numpy as np


def poisson_arrival_times(
    rates_per_hour: np.ndarray, interval_seconds: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times (seconds from the start) of a piecewise-constant Poisson process.

    Args:
        rates_per_hour: the rate in each interval.
        interval_seconds: length of one interval.
        rng: the ``arrivals`` stream.
    """
    rates = np.asarray(rates_per_hour, dtype=float)
    counts = rng.poisson(rates * interval_seconds / 3600.0)
    starts = np.repeat(np.arange(len(rates)) * interval_seconds, counts)
    offsets = rng.random(int(counts.sum())) * interval_seconds
    times = starts + offsets
    # Sorting within each interval suffices, and one global sort does exactly that because
    # the intervals do not overlap.
    times.sort(kind="stable")
    return times
