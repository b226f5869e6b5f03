"""Confidence intervals over replications.

One simulated day says little: the next day's callers are different. A run simulates several
independent days (replications) and reports each KPI as the mean over them with a 95%
confidence interval from Student's t distribution, so a planner can see whether 78% service
level is really below the 80% target or just one unlucky day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def mean_ci(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent replications.

    NaN values (a KPI undefined in a replication, e.g. ASA with no answered call) are left out.
    With one value the interval is undefined (NaN); with identical values it has width 0.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (np.nan, np.nan, np.nan)
    mean = float(x.mean())
    if n == 1:
        return (mean, np.nan, np.nan)
    sem = float(x.std(ddof=1)) / np.sqrt(n)
    if sem == 0:
        return (mean, mean, mean)
    half = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * sem
    return (mean, mean - half, mean + half)


def summarize(frame: pd.DataFrame, columns: list[str], by: list[str] | None = None,
              confidence: float = 0.95, sort: bool = True) -> pd.DataFrame:
    """Mean and CI of ``columns`` over replications (rows), optionally per group of ``by``.

    Returns a long table: (by..., kpi, mean, ci_low, ci_high, n); groups sorted, or in the
    order they first appear (``sort=False``: e.g. queues in the scenario's order).
    """
    rows = []
    groups = frame.groupby(by, observed=True, sort=sort) if by else [((), frame)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        for column in columns:
            values = part[column].to_numpy(dtype=float)
            mean, low, high = mean_ci(values, confidence)
            rows.append((*key, column, mean, low, high, int((~np.isnan(values)).sum())))
    return pd.DataFrame(rows, columns=[*(by or []), "kpi", "mean", "ci_low", "ci_high", "n"])
