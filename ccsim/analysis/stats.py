"""Confidence intervals over replications, kept inside what each KPI can be.

One simulated day says little: the next day's callers are different. A run simulates several
independent days (replications) and reports each KPI as the mean over them with a 95%
confidence interval from Student's t distribution, so a planner can see whether 78% service
level is really below the 80% target or just one unlucky day.

With few replications a t interval can leave the KPI's range: three days at 81%, 93% and 99%
give a service level of 91% with a t interval of 69%–113%, and two short days can give an ASA
of -3.5 s. Two rules keep every interval possible:

- a share (service level, abandon rate, occupancy, FCR, ...) gets the Wilson score interval
  with the replications' effective sample size: the Wilson interval a binomial proportion
  would have, with the number of trials chosen so that its variance is the one the
  replications show (Korn & Graubard 1998; Dean & Pagano 2015 compare it with the
  alternatives for clustered proportions, which a day of callers is). It lies inside 0–100%
  by construction, leans away from the bound the mean is near (81%, 93% and 99% give
  51%–99%: with three days a lower mean is as plausible as the t interval's 68%–114% makes a
  higher one look) and with many replications it is the t interval;
- times, counts and costs are clipped at 0 (rates also at 100%, for safety).

Clipping never drops the true mean (it is inside the range too), so the interval covers it as
often as before; the Wilson interval covers a share near 0% or 100% more often than the t
interval when days differ more than coin flips would (tests/test_stats.py measures both).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .formats import is_rate  # noqa: F401  (re-exported)
from .kpis import CONTACT_KPIS, CUSTOMER_KPIS, POOL_KPIS

#: KPIs that are never negative (counts, times, costs, hours), besides every ``*_seconds``,
#: ``*_hours`` and ``*_cost`` column.
NON_NEGATIVE = frozenset({*CONTACT_KPIS, *CUSTOMER_KPIS, *POOL_KPIS, "agent_cost", "cost", "cost_per_resolved",
                          "paid_hours", "staffed", "contacts", "agent_occupancy_sd", "sl_seconds"})


def kpi_range(kpi: str | None) -> tuple[float, float] | None:
    """The values a KPI can take: ``(0, 1)`` for a share, ``(0, inf)`` for a time, count or
    cost, ``None`` for a column ccsim does not know (nothing is clipped)."""
    if kpi is None:
        return None
    if is_rate(kpi):
        return (0.0, 1.0)
    if kpi in NON_NEGATIVE or kpi.endswith(("_seconds", "_hours", "_cost")):
        return (0.0, math.inf)
    return None


def mean_ci(values: np.ndarray, confidence: float = 0.95, kpi: str | None = None) -> tuple[float, float, float]:
    """Mean and confidence interval of independent replications.

    NaN values (a KPI undefined in a replication, e.g. ASA with no answered call) are left out.
    With one value the interval is undefined (NaN); with identical values it has width 0.

    Args:
        values: one value per replication.
        confidence: the interval's confidence level.
        kpi: the KPI's name: a share gets :func:`proportion_ci`, and the interval is clipped
            to :func:`kpi_range`; without it, the plain Student-t interval (e.g. of a
            difference, which may be negative).
    """
    x = _finite(values)
    bounds = kpi_range(kpi)
    if bounds == (0.0, 1.0) and len(x) and x.min() >= 0 and x.max() <= 1:
        return proportion_ci(x, confidence)
    mean, low, high = _t_interval(x, confidence)
    if bounds is not None and not math.isnan(low):
        low, high = min(max(low, bounds[0]), mean), max(min(high, bounds[1]), mean)
    return mean, low, high


def proportion_ci(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Wilson score interval of per-replication shares, with their effective sample size.

    The replications' mean p and the variance of that mean v give an effective number of
    trials n* = p(1-p)/v: as many coin flips as would make a binomial proportion as uncertain
    as the replications are. The Wilson score interval for p with n* trials, using the t
    quantile with n-1 degrees of freedom, lies in [0, 1] and always contains p.
    """
    x = _finite(values)
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    p = float(x.mean())
    if n == 1:
        return (p, math.nan, math.nan)
    v = float(x.var(ddof=1)) / n
    if v == 0:
        return (p, p, p)
    q = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1))
    n_eff = p * (1 - p) / v  # >= n - 1 for values in [0, 1]
    if n_eff <= 0:  # values outside [0, 1]: not shares after all
        return _t_interval(x, confidence)
    z2 = q * q
    denominator = 1 + z2 / n_eff
    centre = (p + z2 / (2 * n_eff)) / denominator
    half = q * math.sqrt(v + z2 / (4 * n_eff * n_eff)) / denominator
    return (p, max(0.0, min(centre - half, p)), min(1.0, max(centre + half, p)))


def mean_ci_array(values: np.ndarray, shares: bool | np.ndarray = False
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`mean_ci` of many KPIs at once, for searches that judge every interval of many
    plans: mean, 95% bounds and count over axis 0 (NaN left out; bounds NaN below 2 values). A
    share gets the Wilson score interval with the replications' effective sample size, any
    other KPI the Student-t interval with its lower bound kept at or above 0.

    Args:
        shares: per entry of the remaining axes (broadcast), whether the KPI is a share.
    """
    v = np.asarray(values, dtype=float)
    n = (~np.isnan(v)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an interval without contacts in any replication
        mean = np.nanmean(v, axis=0)
        var = np.nanvar(v, axis=0, ddof=1) / n
        q = stats.t.ppf(0.975, np.maximum(n - 1, 1))
        half_t = q * np.sqrt(var)
        n_eff = mean * (1 - mean) / var
        z2 = q * q
        den = 1 + z2 / n_eff
        centre = (mean + z2 / (2 * n_eff)) / den
        half_w = q * np.sqrt(var + z2 / (4 * n_eff * n_eff)) / den
    wilson = np.broadcast_to(np.asarray(shares, bool), mean.shape) & (n_eff > 0) & np.isfinite(n_eff)
    low = np.where(wilson, np.clip(np.minimum(centre - half_w, mean), 0, None), np.maximum(mean - half_t, 0.0))
    high = np.where(wilson, np.minimum(np.maximum(centre + half_w, mean), 1.0), mean + half_t)
    low = np.where(var == 0, mean, np.minimum(low, mean))
    high = np.where(var == 0, mean, high)
    low = np.where(n >= 2, low, np.nan)
    high = np.where(n >= 2, high, np.nan)
    return mean, low, high, n


def _finite(values: np.ndarray) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    return x[~np.isnan(x)]


def _t_interval(x: np.ndarray, confidence: float) -> tuple[float, float, float]:
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return (mean, math.nan, math.nan)
    sem = float(x.std(ddof=1)) / math.sqrt(n)
    if sem == 0:
        return (mean, mean, mean)
    half = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * sem
    return (mean, mean - half, mean + half)


def summarize(frame: pd.DataFrame, columns: list[str], by: list[str] | None = None,
              confidence: float = 0.95, sort: bool = True) -> pd.DataFrame:
    """Mean and CI of ``columns`` over replications (rows), optionally per group of ``by``.

    Each column's interval is :func:`mean_ci` with the column's name as the KPI (shares get
    the Wilson interval; every interval stays in the KPI's range). Returns a long table:
    (by..., kpi, mean, ci_low, ci_high, n); groups sorted, or in the order they first appear
    (``sort=False``: e.g. queues in the scenario's order).
    """
    rows = []
    groups = frame.groupby(by, observed=True, sort=sort) if by else [((), frame)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        for column in columns:
            values = part[column].to_numpy(dtype=float)
            mean, low, high = mean_ci(values, confidence, kpi=column)
            rows.append((*key, column, mean, low, high, int((~np.isnan(values)).sum())))
    return pd.DataFrame(rows, columns=[*(by or []), "kpi", "mean", "ci_low", "ci_high", "n"])
