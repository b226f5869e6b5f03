"""The staffing requirement: the fewest agents meeting every target, by Erlang C or Erlang A.

The question a planner asks a calculator the other way round: "600 calls an hour, 3 minutes
each, callers hang up after 2 minutes on average: how many agents for 82% answered within
20 seconds?" — 32 (31 give 79.9%, 32 give 84.2%). Targets are written as planners say them:
``sl=0.8@20`` (service level at least 80% within 20 s), ``asa<=30`` (seconds), ``abandon<=0.05``,
``pwait<=0.5``, ``occ<=0.85`` (the most occupancy agents can sustain); shares as ``0.8`` or ``80%``.

The requirement is found by a galloping search from the square-root staffing guess (load +
sqrt(load)), then bisection: a dozen evaluations whatever the size. Every KPI improves with
each agent added, so the answer is the fewest; the search returns a number at which every
target holds and one fewer at which at least one fails. The fractional requirement is what
workforce-management tools show: the KPI of the binding target interpolated linearly between
one fewer and the required number. Scheduled agents allow for shrinkage (breaks, training,
absence): ``ceil(required / (1 - shrinkage))``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from numbers import Real
from typing import TYPE_CHECKING, Any

from .erlang import MAX_AGENTS, ErlangResult, check_inputs, erlang_a, erlang_c
from .erlang_targets import Target, parse_targets

if TYPE_CHECKING:
    import pandas as pd

Targets = str | Target | Iterable[str | Target] | None


@dataclass(frozen=True)
class Requirement:
    """The fewest agents meeting every target, and what the queue looks like there and with one fewer.

    Attributes:
        model: ``erlang_c`` (no patience) or ``erlang_a``.
        targets: the targets, each service level with its threshold filled in.
        required: the fewest whole agents meeting every target.
        fractional: where the binding target is met exactly, its KPI interpolated linearly between
            one fewer and ``required`` agents (with Erlang C, from the offered load when one fewer
            cannot carry it; an ASA target there binds at the whole number).
        binding: the target that sets the requirement; None when none fails with one fewer (Erlang C
            then needs more agents than the offered load, Erlang A at least one agent).
        shrinkage: share of paid time not available for calls.
        scheduled: ``ceil(required / (1 - shrinkage))``.
        scheduled_fractional: ``fractional / (1 - shrinkage)``.
        at_required: the KPIs at ``required`` agents, the service level at ``sl_seconds``.
        at_one_fewer: the same with one agent fewer; None when that queue has no steady state.
        sl_seconds: the threshold of ``service_level`` in the two results (the first service-level
            target's, else the one given).
        values: target text -> its KPI at ``required`` agents.
        values_one_fewer: target text -> its KPI with one fewer (None: no steady state).
    """

    model: str
    targets: tuple[Target, ...]
    required: int
    fractional: float
    binding: Target | None
    shrinkage: float
    scheduled: int
    scheduled_fractional: float
    at_required: ErlangResult
    at_one_fewer: ErlangResult | None
    sl_seconds: float
    values: dict[str, float] = field(default_factory=dict)
    values_one_fewer: dict[str, float | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "model": self.model, "targets": [t.text for t in self.targets], "required": self.required,
            "fractional": self.fractional, "binding": None if self.binding is None else self.binding.text,
            "shrinkage": self.shrinkage, "scheduled": self.scheduled,
            "scheduled_fractional": self.scheduled_fractional, "sl_seconds": self.sl_seconds,
            "at_required": self.at_required.as_dict(),
            "at_one_fewer": None if self.at_one_fewer is None else self.at_one_fewer.as_dict(),
            "values": self.values, "values_one_fewer": self.values_one_fewer,
        }


def _scheduled(agents: float, shrinkage: float) -> float:
    return agents / (1 - shrinkage)


def _check_shrinkage(shrinkage: float) -> None:
    if not (isinstance(shrinkage, Real) and 0 <= shrinkage < 1):
        raise ValueError(f"shrinkage must be a share from 0 up to (not including) 1, e.g. 0.3, got {shrinkage!r}")


def _resolve(targets: Targets, sl_seconds: float, max_occupancy: float | None
             ) -> tuple[tuple[Target, ...], list[float], float]:
    """The targets with every service-level threshold filled in, the distinct thresholds in the order
    given, and the one reported in ErlangResult.service_level (the first, else ``sl_seconds``)."""
    items = [targets] if isinstance(targets, (str, Target)) else list(targets or ())
    parsed = list(parse_targets(items)) if items or max_occupancy is None else []  # max_occupancy alone will do
    if max_occupancy is not None:
        if not (isinstance(max_occupancy, Real) and 0 < max_occupancy <= 1):
            raise ValueError(f"max_occupancy must be a share above 0 and at most 1, got {max_occupancy!r}")
        parsed.append(Target("occupancy", float(max_occupancy)))
    goals = tuple(replace(t, sl_seconds=sl_seconds) if t.kpi == "service_level" and t.sl_seconds is None else t
                  for t in parsed)
    thresholds = list(dict.fromkeys(t.sl_seconds for t in goals if t.kpi == "service_level"))
    return goals, thresholds, thresholds[0] if thresholds else sl_seconds


def evaluate_targets(
    rate_per_hour: float,
    aht_seconds: float,
    agents: int,
    targets: Targets,
    patience_seconds: float | None = None,
    sl_seconds: float = 20.0,
) -> tuple[ErlangResult | None, dict[str, float]]:
    """The KPIs at a given staffing and each target's value there ("do 30 agents make it?").

    Returns:
        The ErlangResult (service level at the first service-level target's threshold), None when the
        queue has no steady state (Erlang C with agents <= load); and target text -> value (a target's
        text has its threshold filled in, e.g. ``sl=0.8@20``; every target fails without steady state).
    """
    goals, thresholds, report_seconds = _resolve(targets, sl_seconds, None)
    check_inputs(rate_per_hour, aht_seconds, agents, report_seconds, patience_seconds)
    load = rate_per_hour * aht_seconds / 3600.0
    found = _evaluate(int(agents), rate_per_hour, aht_seconds, patience_seconds, report_seconds, thresholds, goals,
                      load)
    if found is None:
        return None, {t.text: math.nan for t in goals}
    return found


def required_agents(
    rate_per_hour: float,
    aht_seconds: float,
    targets: Targets,
    patience_seconds: float | None = None,
    sl_seconds: float = 20.0,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
) -> Requirement:
    """The fewest agents meeting every target: Erlang C without patience, Erlang A with it.

    Args:
        rate_per_hour: arrivals per hour.
        aht_seconds: mean handle time.
        targets: ``"sl=0.8@20,asa<=30"``, a list of such strings, or Target objects (None or empty
            when ``max_occupancy`` is the only target).
        patience_seconds: mean (exponential) patience; None for Erlang C (nobody abandons).
        sl_seconds: the threshold of service-level targets written without ``@seconds``.
        shrinkage: share of paid time off the phones, 0 <= shrinkage < 1.
        max_occupancy: the same as an ``occ<=`` target.

    Raises:
        ValueError: a bad input or target, or targets no number of agents can meet.
    """
    goals, thresholds, report_seconds = _resolve(targets, sl_seconds, max_occupancy)
    _check_shrinkage(shrinkage)
    if patience_seconds is not None:
        for t in goals:
            if t.kpi == "abandon_rate" and t.bound == 0:
                raise ValueError(f"target '{t.text}' cannot be met by any number of agents: with a patience some "
                                 "callers always hang up; use a value above 0")
    check_inputs(rate_per_hour, aht_seconds, 1, report_seconds, patience_seconds)  # once, before searching
    load = rate_per_hour * aht_seconds / 3600.0
    cache: dict[int, tuple[ErlangResult, dict[str, float]] | None] = {}

    def evaluate(n: int) -> tuple[ErlangResult, dict[str, float]] | None:
        if n not in cache:
            cache[n] = _evaluate(n, rate_per_hour, aht_seconds, patience_seconds, report_seconds, thresholds, goals,
                                 load)
        return cache[n]

    def meets(n: int) -> bool:
        found = evaluate(n)
        return found is not None and all(t.met(found[1][t.text]) for t in goals)

    required = _smallest(meets, guess=math.ceil(load + math.sqrt(load)), step=max(1, math.ceil(math.sqrt(load) / 4)),
                         what=", ".join(t.text for t in goals))
    found = evaluate(required)
    assert found is not None  # every target holds there, so the queue has a steady state
    at_required, values = found
    below = evaluate(required - 1) if required > 1 else None
    fractional, binding = _interpolate(required, values, below, goals, load, patience_seconds is None)
    return Requirement(
        model="erlang_c" if patience_seconds is None else "erlang_a",
        targets=goals,
        required=required,
        fractional=fractional,
        binding=binding,
        shrinkage=float(shrinkage),
        scheduled=math.ceil(round(_scheduled(required, shrinkage), 9)),  # 35 / 0.7 is 50.000000000000007
        scheduled_fractional=_scheduled(fractional, shrinkage),
        at_required=at_required,
        at_one_fewer=None if below is None else below[0],
        sl_seconds=report_seconds,
        values=values,
        values_one_fewer={t.text: None if below is None else below[1][t.text] for t in goals},
    )


def _model(rate: float, aht: float, n: int, patience: float | None, sl_seconds: float) -> ErlangResult:
    if patience is None:
        return erlang_c(rate, aht, n, sl_seconds)
    return erlang_a(rate, aht, n, patience, sl_seconds)


def _evaluate(n: int, rate: float, aht: float, patience: float | None, report_seconds: float,
              thresholds: Sequence[float], goals: Sequence[Target], load: float
              ) -> tuple[ErlangResult, dict[str, float]] | None:
    """The KPIs at ``n`` agents and each target's value; None when the queue has no steady state."""
    if n < 1 or (patience is None and n <= load):
        return None
    result = _model(rate, aht, n, patience, report_seconds)
    service = {report_seconds: result.service_level}
    for t in thresholds[1:]:
        service[t] = _model(rate, aht, n, patience, t).service_level
    return result, {g.text: service[g.sl_seconds] if g.kpi == "service_level" else getattr(result, g.kpi)
                    for g in goals}


def _smallest(meets: Callable[[int], bool], guess: int, step: int, what: str) -> int:
    """The smallest n >= 1 with meets(n), for a predicate false below some n and true from it on."""
    lo, hi = 0, None  # meets(lo) is false (0 agents), meets(hi) true
    n = min(max(1, guess), MAX_AGENTS)
    if meets(n):
        hi = n
        while hi - lo > 1:  # gallop down: the answer may lie well below the guess (short patience)
            m = max(hi - step, lo + 1)
            if not meets(m):
                lo = m
                break
            hi, step = m, step * 2
    else:
        lo = n
        while hi is None:  # gallop up
            if lo >= MAX_AGENTS:
                raise ValueError(f"no number of agents up to {MAX_AGENTS:,} meets {what}")
            m = min(lo + step, MAX_AGENTS)
            if meets(m):
                hi = m
            else:
                lo, step = m, step * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if meets(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _interpolate(required: int, values: dict[str, float], below: tuple[ErlangResult, dict[str, float]] | None,
                 goals: Sequence[Target], load: float, erlang_c_model: bool) -> tuple[float, Target | None]:
    """The fractional requirement and the binding target (linear interpolation of each KPI)."""
    if below is not None:
        start, before = float(required - 1), below[1]
    else:
        # One fewer carries nothing: Erlang C at or below the load, Erlang A at zero agents.
        # Start from the limiting values there: nobody answered in time, everybody waits.
        start = max(float(required - 1), load) if erlang_c_model else 0.0
        limits = {"service_level": 0.0, "p_wait": 1.0, "occupancy": 1.0, "asa_seconds": math.inf,
                  "abandon_rate": 0.0 if erlang_c_model else 1.0}
        before = {t.text: limits[t.kpi] for t in goals}
    fractional, binding = start, None
    for t in goals:
        k0, k1 = before[t.text], values[t.text]
        if t.met(k0):
            continue
        share = 1.0 if not math.isfinite(k0) or k1 == k0 else min(1.0, max(0.0, (t.bound - k0) / (k1 - k0)))
        point = start + share * (required - start)
        if binding is None or point > fractional:
            fractional, binding = point, t
    return fractional, binding


def requirement_table(
    rates_per_hour: Any,
    aht_seconds: Any,
    targets: Targets,
    patience_seconds: Any = None,
    sl_seconds: float = 20.0,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
) -> pd.DataFrame:
    """The requirement of every interval of a forecast, one row each.

    Args:
        rates_per_hour: arrivals per hour per interval (a list, array or Series; a Series keeps its
            index, e.g. interval start times). An interval without calls needs 0 agents.
        aht_seconds: mean handle time, one for all intervals or one per interval.
        targets, sl_seconds, shrinkage, max_occupancy: as for ``required_agents``.
        patience_seconds: None (Erlang C), one mean patience, or one per interval.

    Returns:
        Columns rate_per_hour, aht_seconds, patience_seconds, offered_load, required, fractional,
        scheduled, scheduled_fractional, binding, and the KPIs at the required number (p_wait,
        abandon_rate, mean_wait_seconds, asa_seconds, service_level, occupancy; NaN without calls).

    Raises:
        ValueError: a bad value, naming its interval.
    """
    import numpy as np
    import pandas as pd

    index = rates_per_hour.index if isinstance(rates_per_hour, pd.Series) else None
    rates = np.asarray(rates_per_hour, dtype=float).ravel()
    n = len(rates)
    ahts = np.broadcast_to(np.asarray(aht_seconds, dtype=float), (n,)) if np.ndim(aht_seconds) == 0 else \
        np.asarray(aht_seconds, dtype=float)
    patience = [None] * n if patience_seconds is None else (
        [float(patience_seconds)] * n if np.ndim(patience_seconds) == 0 else [float(p) for p in patience_seconds])
    if len(ahts) != n or len(patience) != n:
        raise ValueError(f"{n} rates need one handle time (and patience) or {n}; got {len(ahts)} and {len(patience)}")
    goals = _resolve(targets, sl_seconds, None)[0]  # bad targets fail here, even in a night without calls
    _check_shrinkage(shrinkage)
    kpis = ("p_wait", "abandon_rate", "mean_wait_seconds", "asa_seconds", "service_level", "occupancy")
    rows = []
    labels = list(index) if index is not None else list(range(n))
    for label, rate, aht, pat in zip(labels, rates, ahts, patience, strict=True):
        row: dict[str, Any] = {"rate_per_hour": rate, "aht_seconds": aht, "patience_seconds": pat}
        if rate == 0:
            row.update(offered_load=0.0, required=0, fractional=0.0, scheduled=0, scheduled_fractional=0.0,
                       binding=None, **dict.fromkeys(kpis, math.nan))
        else:
            try:
                req = required_agents(rate, aht, goals, pat, sl_seconds, shrinkage, max_occupancy)
            except ValueError as exc:
                raise ValueError(f"interval {label}: {exc}") from None
            row.update(offered_load=req.at_required.offered_load, required=req.required, fractional=req.fractional,
                       scheduled=req.scheduled, scheduled_fractional=req.scheduled_fractional,
                       binding=None if req.binding is None else req.binding.text,
                       **{k: getattr(req.at_required, k) for k in kpis})
        rows.append(row)
    columns = ["rate_per_hour", "aht_seconds", "patience_seconds", "offered_load", "required", "fractional",
               "scheduled", "scheduled_fractional", "binding", *kpis]
    if patience_seconds is None:
        columns.remove("patience_seconds")
    return pd.DataFrame(rows, index=index, columns=columns)
