"""What a call log shows directly: arrivals, handle times, patience, redials, agents.

A bank's log of half a year says how many regular-service calls reached the queue between
10:00 and 11:00 on an average Sunday-to-Thursday (and how much that varied from day to day),
how long their service took, how long callers waited before hanging up (Kaplan-Meier), who
called again after hanging up and how soon, which agents were at work and which call types
each served. Each function here estimates one of those from the training period only
(a :class:`~ccsim.planning.calibrate_period.Period`); :mod:`ccsim.planning.calibrate` puts
them into a scenario and fits by simulation what the log cannot show.

The rules, one per quantity:

- Arrivals: the calls that reached the agent queue (``offered``: the scenario has no IVR),
  per call type and interval, averaged over the days; a repeat call of an identified customer
  the same day after hanging up is a redial (the scenario makes those itself) and is left
  out. The spread between days beyond Poisson noise is ``busyness_cv``:
  cv² = var(day total) / mean² − 1 / mean (0 when negative).
- Handle time: the service times of answered calls. Lognormal, gamma, Weibull and
  exponential are fitted by maximum likelihood; one is used when its Kolmogorov-Smirnov
  distance to the data is below :data:`KS_GOOD` (its CDF never more than one point off),
  otherwise the empirical distribution (:data:`QUANTILES` quantiles, resampled).
- Patience: Kaplan-Meier on the waits of queued callers (hanging up is the event, an answer
  censors), :func:`ccsim.planning.survival.patience_distribution`.
- Redials: identified customers who hung up in the queue and called again the same day; the
  share who did and their delays (empirical).
- Agents: presence rebuilt from the services (:func:`ccsim.planning.observed.presence_stretches`
  with idle gaps), each agent's time attributed to the modelled call types by their share
  of busy time on them, and agents grouped into pools by skill set: the modelled types on
  which they spent at least :data:`SKILL_SHARE` of their busy time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ScenarioError
from . import observed
from .calibrate_period import Period
from .survival import exponential_patience, patience_curve, patience_distribution, patience_summary

#: Quantiles kept of an empirical distribution (handle times, redial delays).
QUANTILES = 200
#: A fitted distribution replaces the empirical one when its KS distance is below this.
KS_GOOD = 0.01
#: An agent has a skill when this share of their busy time (in the period) went to it.
SKILL_SHARE = 0.05


def offered_calls(calls: pd.DataFrame, types: Sequence[str], period: Period) -> pd.DataFrame:
    """The calls of the period that reached the queue, with ``redial``: a same-day repeat of an
    identified customer after hanging up in the queue."""
    real = observed.real_calls(calls, list(types), **period.select)
    real = real[real["wait"].notna().to_numpy()]
    return real.assign(redial=_redials_of(calls, period).reindex(real.index, fill_value=False))


def _redials_of(calls: pd.DataFrame, period: Period) -> pd.Series:
    """Per call of an identified customer: it follows a call of theirs that day which hung up waiting."""
    known = calls[(calls["outcome"] != "ignored").to_numpy() & calls["customer"].notna().to_numpy()]
    known = known[known["date"].between(period.first, period.last).to_numpy()]
    known = known.sort_values(["customer", "date", "arrival"], kind="stable")
    hung_up = (known["outcome"] == "abandoned") & known["wait"].notna()
    previous = hung_up.groupby([known["customer"], known["date"]]).shift(fill_value=False)
    return previous.astype(bool)


@dataclass
class ArrivalFit:
    """Offered calls per type and interval (mean over days), their spread, and the busyness."""

    per_day: pd.DataFrame  # (date, interval) x type: offered calls, redials included
    fresh: pd.DataFrame  # interval x type: mean first calls per day (redials left out)
    offered: pd.DataFrame  # interval x type: mean offered calls per day
    busyness_cv: float
    days: int


def arrival_profile(calls: pd.DataFrame, types: Sequence[str], period: Period) -> ArrivalFit:
    """Per type and interval: mean offered and first calls per day; the busyness between days."""
    offered = offered_calls(calls, types, period)
    width = period.interval_minutes * 60
    labels = np.asarray(period.labels())
    first = period.hours[0] * 3600
    slot = ((offered["arrival"].to_numpy() - first) // width).astype(int)
    frame = pd.DataFrame({"date": offered["date"].to_numpy(), "interval": labels[slot],
                          "type": offered["call_type"].to_numpy(), "redial": offered["redial"].to_numpy()})
    days = period.days()
    days = days[days.isin(frame["date"].unique())]
    index = pd.MultiIndex.from_product([days, labels], names=["date", "interval"])
    per_day = frame.groupby(["date", "interval", "type"]).size().unstack("type").reindex(index).fillna(0.0)
    per_day = per_day.reindex(columns=list(types), fill_value=0.0)
    fresh_day = frame[~frame["redial"]].groupby(["date", "interval", "type"]).size().unstack("type")
    fresh_day = fresh_day.reindex(index).fillna(0.0).reindex(columns=list(types), fill_value=0.0)
    totals = per_day.sum(axis=1).groupby(level="date").sum()
    mean = float(totals.mean()) if len(totals) else 0.0
    spread = float(totals.var(ddof=1)) / mean**2 - 1.0 / mean if len(totals) > 1 and mean > 0 else 0.0
    return ArrivalFit(per_day, fresh_day.groupby(level="interval").mean().reindex(labels),
                      per_day.groupby(level="interval").mean().reindex(labels),
                      float(np.sqrt(max(spread, 0.0))), len(days))


@dataclass
class HandleTimeFit:
    """Service times of one call type: the data's summary, the fits and the distribution chosen."""

    call_type: str
    calls: int
    mean: float
    cv: float
    fits: pd.DataFrame  # one row per family: parameters (mean, cv) and KS distance
    chosen: dict  # the scenario distribution
    reason: str
    by_interval: pd.Series  # mean service time of the calls arriving in each interval
    values: np.ndarray = field(repr=False)


_FAMILIES = {
    "lognormal": stats.lognorm, "gamma": stats.gamma, "weibull": stats.weibull_min, "exponential": stats.expon,
}


def handle_time_fit(calls: pd.DataFrame, call_type: str, period: Period) -> HandleTimeFit:
    """Fit the service times of answered calls of one type (the rule in the module docstring).

    Raises:
        ValueError: no answered call with a service time in the period.
    """
    real = observed.real_calls(calls, call_type, **period.select)
    served = real[(real["outcome"] == "served").to_numpy() & (real["service_time"] > 0).to_numpy()]
    values = served["service_time"].to_numpy(dtype=float)
    slot = ((served["arrival"].to_numpy() - period.hours[0] * 3600) // (period.interval_minutes * 60)).astype(int)
    by_interval = pd.Series(values).groupby(np.asarray(period.labels())[slot]).mean() if len(values) else pd.Series()
    if len(values) == 0:
        raise ValueError(f"no answered {call_type} call with a service time in {period.describe()}")
    rows = []
    sample = values if len(values) <= 20_000 else np.random.default_rng(0).choice(values, 20_000, replace=False)
    for name, family in _FAMILIES.items():
        params = family.fit(sample, floc=0)
        frozen = family(*params)
        ks = stats.kstest(values, frozen.cdf).statistic
        rows.append({"family": name, "mean": float(frozen.mean()), "cv": float(frozen.std() / frozen.mean()),
                     "ks": float(ks), "params": params})
    fits = pd.DataFrame(rows).sort_values("ks", kind="stable").reset_index(drop=True)
    best = fits.iloc[0]
    if best["ks"] < KS_GOOD:
        chosen = _scenario_dist(best)
        reason = (f"{best['family']} (KS distance {best['ks']:.3f} < {KS_GOOD}: within a point of the data "
                  "everywhere)")
    else:
        chosen = {"dist": "empirical", "values": quantiles(values)}
        reason = (f"empirical, {QUANTILES} quantiles (the best fit, {best['family']}, is {best['ks']:.3f} off in "
                  f"KS distance; {KS_GOOD} or less would be needed)")
    return HandleTimeFit(call_type, len(values), float(values.mean()), float(values.std() / values.mean()),
                         fits, chosen, reason, by_interval, values)


def _scenario_dist(row: pd.Series) -> dict:
    if row["family"] == "exponential":
        return {"dist": "exponential", "mean": round(float(row["mean"]), 2)}
    if row["family"] == "weibull":
        shape, _, scale = row["params"]
        return {"dist": "weibull", "shape": round(float(shape), 4), "scale": round(float(scale), 2)}
    return {"dist": row["family"], "mean": round(float(row["mean"]), 2), "cv": round(float(row["cv"]), 4)}


def quantiles(values: np.ndarray, n: int = QUANTILES) -> list[float]:
    """``n`` quantiles at the middles of equal slices: resampled, they reproduce the data's
    distribution (its mean within a fraction of a percent)."""
    return np.round(np.quantile(np.asarray(values, dtype=float), (np.arange(n) + 0.5) / n), 1).tolist()


@dataclass
class PatienceFit:
    """Patience of one call type: the survival distribution, the curve behind it, the summary."""

    call_type: str
    distribution: dict
    curve: pd.DataFrame
    by_priority: pd.DataFrame
    exponential_mean: float  # seconds waited / hang-ups: Erlang A's patience


def patience_fit(calls: pd.DataFrame, call_type: str, period: Period) -> PatienceFit:
    """Kaplan-Meier patience of one type (:func:`~ccsim.planning.survival.patience_distribution`)."""
    chosen = observed.real_calls(calls, call_type, **period.select)
    dist = patience_distribution(chosen)
    summary = patience_summary(chosen, by=("priority",)) if chosen["priority"].notna().any() else pd.DataFrame()
    return PatienceFit(call_type, dist.model_dump(by_alias=True), patience_curve(chosen), summary,
                       exponential_patience(chosen))


@dataclass
class RedialFit:
    """Identified customers who hung up in the queue: the share who called again that day, and when."""

    abandoned: int
    again: int
    delays: np.ndarray = field(repr=False)

    @property
    def probability(self) -> float:
        return self.again / self.abandoned if self.abandoned else 0.0

    def redial(self) -> dict | None:
        """The scenario's ``redial`` block, or None when nobody called again."""
        if not self.again or len(self.delays) == 0:
            return None
        return {"after_abandon": round(self.probability, 4),
                "delay": {"dist": "empirical", "values": quantiles(self.delays, min(QUANTILES, len(self.delays)))}}


def redial_fit(calls: pd.DataFrame, types: Sequence[str], period: Period) -> RedialFit:
    """Same-day calls again of identified customers who hung up waiting (any of ``types``)."""
    chosen = observed.real_calls(calls, list(types), dates=(period.first, period.last), weekdays=period.weekdays)
    known = chosen[chosen["customer"].notna().to_numpy()].sort_values(["customer", "date", "arrival"], kind="stable")
    hung_up = ((known["outcome"] == "abandoned") & known["wait"].notna()).to_numpy()
    entry = known["queue_entry"].fillna(known["arrival"]).to_numpy(dtype=float)
    left = entry + known["wait"].fillna(0).to_numpy(dtype=float)
    same = (known["customer"].to_numpy() == np.roll(known["customer"].to_numpy(), -1)) & \
           (known["date"].to_numpy() == np.roll(known["date"].to_numpy(), -1))
    same[-1:] = False
    in_hours = (known["arrival"] >= period.hours[0] * 3600).to_numpy() & \
               (known["arrival"] < period.hours[1] * 3600).to_numpy()
    counted = hung_up & in_hours
    again = counted & same
    delays = np.roll(known["arrival"].to_numpy(dtype=float), -1)[again] - left[again]
    return RedialFit(int(counted.sum()), int(again.sum()), delays[delays > 0])


def pool_types(pool: str, types: Sequence[str]) -> list[str]:
    """The call types of a pool named by :func:`skill_sets` (``"NE-PS"`` -> ``["NE", "PS"]``),
    read against the types themselves, so a type whose name has a dash (``"PS-EN"``) stays whole.

    Raises:
        ValueError: the name is not types joined by dashes.
    """
    if pool in types:
        return [pool]
    for t in sorted(types, key=len, reverse=True):
        if pool.startswith(f"{t}-"):
            try:
                return [t, *pool_types(pool[len(t) + 1:], types)]
            except ValueError:
                continue
    raise ValueError(f"pool '{pool}' is not made of the call types {', '.join(types)}")


def skill_sets(calls: pd.DataFrame, types: Sequence[str], period: Period) -> dict[str, str]:
    """Agent -> pool name: the modelled types with at least SKILL_SHARE of the agent's busy time
    joined by dashes (``"NE-PS"``, read back by :func:`pool_types`); agents who served none of
    them are left out."""
    skills = observed.agent_skills(calls, min_share=SKILL_SHARE, dates=(period.first, period.last),
                                   weekdays=period.weekdays)
    out = {}
    for agent, row in skills.iterrows():
        mine = [t for t in sorted(types) if row.get(f"share_{t}", 0.0) >= SKILL_SHARE]
        if len(mine) > 1 and "-".join(mine) in types:
            raise ScenarioError([("--types", f"agent {agent} serves {' and '.join(mine)}, and '{'-'.join(mine)}' is "
                                  "a call type of its own: pools are named by their types joined with '-'; model "
                                  "these types in separate calibrations")])
        if mine:
            out[str(agent)] = "-".join(mine)
    return out


def presence(calls: pd.DataFrame, types: Sequence[str], period: Period, pools: dict[str, str],
             gap_minutes: float, idle_minutes: float) -> pd.DataFrame:
    """Agents present for the modelled types per day x interval x pool (fractional), from the services."""
    table = observed.agent_presence(
        calls[calls["date"].between(period.first, period.last).to_numpy()],
        interval_minutes=period.interval_minutes, gap_minutes=gap_minutes, idle_minutes=idle_minutes,
        call_types=list(types), groups=pools, **period.select)
    table = table[table.index.get_level_values("group") != "other"]
    return table["agents_for_types"].unstack("group", fill_value=0.0)


def after_call_gaps(calls: pd.DataFrame, types: Sequence[str], period: Period, gap_minutes: float) -> np.ndarray:
    """Seconds from the end of an agent's service to their next, when a caller of the modelled
    types was waiting as the service ended (so the agent would have taken one at once), up
    to ``gap_minutes``: the after-call work and other short unavailable time the log hides."""
    chosen = observed.real_calls(calls, list(types), **period.select)
    services = chosen[chosen["agent"].notna().to_numpy() & chosen["service_start"].notna().to_numpy()]
    services = services.sort_values(["agent", "date", "service_start"], kind="stable")
    nxt = services.groupby(["agent", "date"])["service_start"].shift(-1).to_numpy(dtype=float)
    end = services["service_end"].to_numpy(dtype=float)
    gaps = nxt - end
    waiting = np.zeros(len(services), dtype=bool)
    queued = chosen[(chosen["wait"] > 0).to_numpy()]
    join = queued["queue_entry"].fillna(queued["arrival"]).to_numpy(dtype=float)
    for day, rows in services.groupby("date").indices.items():
        mine = (queued["date"] == day).to_numpy()
        joins, leaves = np.sort(join[mine]), np.sort(join[mine] + queued["wait"].to_numpy(dtype=float)[mine])
        t = end[rows]
        waiting[rows] = np.searchsorted(joins, t, side="right") - np.searchsorted(leaves, t, side="right") > 0
    keep = waiting & np.isfinite(gaps) & (gaps >= 0) & (gaps <= gap_minutes * 60)
    return gaps[keep]
