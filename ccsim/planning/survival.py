"""Callers' patience from a call log: Kaplan-Meier on censored waits.

A caller who hung up after 95 s of waiting shows a patience of 95 s. A caller answered after
95 s shows only that their patience was longer: the answer cut the observation short (the
wait is censored). Averaging the hang-up times alone would call impatient callers typical;
Kaplan-Meier uses both kinds of wait and gives S(t), the share of callers still willing to
wait after t seconds. In the bank's log the hazard of hanging up falls the longer callers
wait (0.0034/s in the first 30 s, 0.0007/s after 300 s), which no exponential patience has.

:func:`patience_distribution` turns the curve into a scenario distribution
``{dist: survival, times: [...], survival: [...], tail_mean: ...}``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..spec.distributions import Survival
from .observed import real_calls

#: Hang-ups needed beyond the start of the tail for its hazard (else it starts a knot earlier):
#: with 50 the hazard's standard error is about 14 %.
MIN_TAIL_EVENTS = 50


def queue_waits(calls: pd.DataFrame, call_types: Sequence[str] | str | None = None,
                priorities: Sequence[int] | None = None, **select) -> tuple[np.ndarray, np.ndarray]:
    """Waits of the calls that waited in the queue, and whether each ended by hanging up.

    A wait that ended with an answer (or any other way than hanging up) is censored. Waits of
    0 s are left out: they say nothing about patience (a hang-up at 0 s, rare, is a caller
    who did not mean to wait at all). ``select``: ``dates``, ``weekdays``, ``hours``.
    """
    chosen = real_calls(calls, call_types, **select)
    if priorities is not None:
        chosen = chosen[chosen["priority"].isin(list(priorities)).to_numpy(dtype=bool)]
    waited = chosen[(chosen["wait"] > 0).to_numpy(dtype=bool)]
    return waited["wait"].to_numpy(dtype=float), (waited["outcome"] == "abandoned").to_numpy()


def _km(wait: np.ndarray, hung_up: np.ndarray):
    if not hung_up.any():
        raise ValueError("no caller hung up while waiting: patience cannot be estimated")
    return stats.ecdf(stats.CensoredData(uncensored=wait[hung_up], right=wait[~hung_up])).sf


def patience_curve(calls: pd.DataFrame, call_types=None, priorities=None, **select) -> pd.DataFrame:
    """Kaplan-Meier survival of patience at every observed wait (``scipy.stats.ecdf``).

    Columns: time (s), survival, at_risk (callers still waiting just before), hung_up (at that
    time), and the 95 % confidence band (low, high).
    """
    wait, hung_up = queue_waits(calls, call_types, priorities, **select)
    sf = _km(wait, hung_up)
    with warnings.catch_warnings():  # undefined at the last points, where survival is 0
        warnings.simplefilter("ignore", RuntimeWarning)
        band = sf.confidence_interval(0.95)
    ordered = np.sort(wait)
    events = np.sort(wait[hung_up])
    times = sf.quantiles
    return pd.DataFrame({
        "time": times, "survival": sf.probabilities,
        "at_risk": len(wait) - np.searchsorted(ordered, times, side="left"),
        "hung_up": np.searchsorted(events, times, side="right") - np.searchsorted(events, times, side="left"),
        "low": band.low.probabilities, "high": band.high.probabilities,
    })


def patience_hazard(calls: pd.DataFrame, call_types=None, priorities=None, *,
                    edges: Sequence[float] = (0, 30, 60, 120, 180, 300, 600, np.inf), **select) -> pd.DataFrame:
    """Hang-ups per second of waiting in each stretch of wait (the piecewise-exponential MLE).

    Every caller adds the seconds they waited inside a stretch to its exposure; the hazard is
    the stretch's hang-ups / its exposure, a constant hazard being an exponential patience.
    """
    wait, hung_up = queue_waits(calls, call_types, priorities, **select)
    rows = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        exposure = float(np.clip(wait - low, 0, high - low).sum())
        events = int(((wait > low) & (wait <= high) & hung_up).sum())
        rows.append({"from": low, "to": high, "at_risk": int((wait > low).sum()), "hung_up": events,
                     "exposure_seconds": exposure, "hazard_per_second": events / exposure if exposure else np.nan})
    return pd.DataFrame(rows)


def exponential_patience(calls: pd.DataFrame, call_types=None, priorities=None, **select) -> float:
    """Mean patience if it were exponential: seconds waited / hang-ups (its MLE with censoring).

    This is the patience Erlang A needs to reproduce the observed abandonment for the observed
    waits; where the hazard falls with the wait it is far below the Kaplan-Meier mean.
    """
    wait, hung_up = queue_waits(calls, call_types, priorities, **select)
    return float(wait.sum() / hung_up.sum()) if hung_up.any() else np.inf


def patience_distribution(
    calls: pd.DataFrame, call_types: Sequence[str] | str | None = None, priorities: Sequence[int] | None = None,
    *, max_points: int = 60, min_at_risk: int = 100, tail_mean: float | None = None, **select,
) -> Survival:
    """Patience as a ``survival`` distribution fitted by Kaplan-Meier.

    The curve is kept where at least ``min_at_risk`` callers were still waiting (the last
    reliable point); its points are thinned to at most ``max_points``: half of them hold about
    as many hang-ups between them, half are evenly spaced in time. Beyond the last point the
    tail is exponential with mean ``tail_mean``; when not given, with the hazard observed from
    the last point but one on, over every longer wait (hang-ups / seconds waited there; from
    a point earlier while fewer than 50 hang-ups are there), so that patience is never cut at
    the longest wait seen.

    Raises:
        ValueError: fewer than ``min_at_risk`` waits, or no hang-up in the reliable range.
    """
    if max_points < 3:
        raise ValueError("max_points must be at least 3")
    wait, hung_up = queue_waits(calls, call_types, priorities, **select)
    if len(wait) < min_at_risk:
        raise ValueError(f"only {len(wait)} callers waited; at least min_at_risk = {min_at_risk} are needed")
    sf = _km(wait, hung_up)
    ordered = np.sort(wait)
    at_risk = len(wait) - np.searchsorted(ordered, sf.quantiles, side="left")
    last = float(sf.quantiles[at_risk >= min_at_risk].max())
    events = np.sort(wait[hung_up & (wait <= last)])
    if len(events) == 0:
        raise ValueError(f"no caller hung up within the first {last:g} s: patience cannot be estimated")
    # Half the points hold equal numbers of hang-ups (dense where callers hang up most), half
    # are evenly spaced in time (so the long waits are not one stretch).
    ranks = np.linspace(0, len(events), (max_points + 1) // 2)[1:-1].astype(int)
    even = np.linspace(0, last, max_points // 2)[1:-1]
    inner = np.round(np.concatenate([events[ranks], even]), 1)  # tenths of a second suffice
    knots = np.unique(np.concatenate([[0.0], inner[inner < last], [last]]))
    survival = np.round(sf.evaluate(knots), 6)
    survival[0] = 1.0
    if tail_mean is None and survival[-1] > 0:
        tail_mean = round(_tail_mean(wait, hung_up, knots), 1)
    return Survival(dist="survival", times=knots.tolist(), survival=survival.tolist(),
                    tail_mean=tail_mean if survival[-1] > 0 else None)


def _tail_mean(wait: np.ndarray, hung_up: np.ndarray, knots: np.ndarray) -> float:
    """1 / (hang-ups per second waited beyond a knot), from the last knot but one backwards."""
    for start in knots[-2::-1]:
        events = int((hung_up & (wait > start)).sum())
        if events >= MIN_TAIL_EVENTS or start == 0:
            return float(np.clip(wait - start, 0, None).sum() / max(events, 1))
    raise AssertionError("unreachable: the first knot is 0")


def patience_summary(calls: pd.DataFrame, by: Sequence[str] = ("call_type",), *, min_at_risk: int = 100,
                     **select) -> pd.DataFrame:
    """Per group (e.g. call type and priority): callers who waited, hung up, the exponential
    patience (:func:`exponential_patience`), the Kaplan-Meier median and the mean of the
    fitted survival distribution (NaN for groups with fewer than ``min_at_risk`` waits)."""
    chosen = real_calls(calls, **select)
    rows = []
    for key, group in chosen.groupby(list(by), dropna=True):
        wait, hung_up = queue_waits(group)
        row = dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True))
        row.update(waited=len(wait), hung_up=int(hung_up.sum()),
                   exponential_mean=float(wait.sum() / hung_up.sum()) if hung_up.any() else np.inf,
                   km_median=np.nan, survival_mean=np.nan)
        if len(wait) >= min_at_risk and hung_up.any():
            sf = _km(wait, hung_up)
            below = sf.quantiles[sf.probabilities <= 0.5]
            row["km_median"] = float(below[0]) if len(below) else np.nan
            try:
                row["survival_mean"] = patience_distribution(group, min_at_risk=min_at_risk).mean
            except ValueError:  # no hang-up while enough callers were still waiting
                pass
        rows.append(row)
    return pd.DataFrame(rows).set_index(list(by))
