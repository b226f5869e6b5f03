"""Analytic queueing formulas: Erlang B, Erlang C and Erlang A.

The calculators planners already use: "600 calls an hour, 3 minutes each, 32 agents: what
share waits, and how long?" Erlang C assumes callers never hang up (M/M/n); Erlang A lets them
hang up after an exponential patience (M/M/n+M, Garnett, Mandelbaum & Reiman, "Designing a
call center with impatient customers", MSOM 4(3), 2002). ccsim's simulation of a single queue
with exponential times must agree with these numbers; the tests check that it does. The
inverse — how many agents a target needs — is in :mod:`ccsim.analysis.erlang_staffing`
(``required_agents``, ``requirement_table``, ``evaluate_targets``) with the target syntax in
:mod:`ccsim.analysis.erlang_targets` (``parse_targets``); all reachable from here too.

Every value takes the same time whatever the size: 10^12 agents on 30 Erlangs answer at
once (nobody waits). Erlang B is the Poisson ratio P(X = n) / P(X <= n) with the regularized
incomplete gamma function; P(wait > 0) and P(abandon) in Erlang A are GMR's closed forms.
For the answer speed and the service level of Erlang A: a caller who finds all agents busy
waits V = S / theta, where S has density proportional to exp(-x·s + y·(1 - e^-s)),
x = n·mu/theta, y = lambda/theta (the queue-length distribution summed over positions), and is
answered when his patience outlasts V, with probability e^-S. Served callers' S then has the
same density with x + 1, whose mean and distribution function are integrals over one bump.
The birth-death chain (``queue_state_probabilities``) stays as the reference the tests use.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import special

# Beyond these the inputs are typing mistakes, and double precision would stop telling
# neighbouring values apart; no real center comes near them.
MAX_AGENTS = 10**12
MAX_RATE_PER_HOUR = 1e12
MAX_SECONDS = 1e9  # handle time, patience, service-level threshold: about 30 years

# The inverse lives in modules that import this one; ccsim.erlang.required_agents works too.
_STAFFING = {"Requirement": "erlang_staffing", "evaluate_targets": "erlang_staffing",
             "required_agents": "erlang_staffing", "requirement_table": "erlang_staffing",
             "Target": "erlang_targets", "parse_targets": "erlang_targets"}


def __getattr__(name: str) -> Any:
    if name in _STAFFING:
        import importlib

        return getattr(importlib.import_module(f"{__package__}.{_STAFFING[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class ErlangResult:
    """Steady-state values of a single queue, with the KPI names ccsim's simulation reports."""

    model: str
    offered_load: float  # Erlangs: arrival rate x mean handle time
    p_wait: float
    abandon_rate: float
    mean_wait_seconds: float  # over all offered callers
    asa_seconds: float  # over answered callers
    service_level: float  # answered within the threshold / offered
    occupancy: float

    def as_dict(self) -> dict[str, float | str]:
        return asdict(self)


def _log_factorial_rest(k: float) -> float:
    """log Γ(k+1) - (k·log k - k): the part of log k! that Stirling's first terms leave out."""
    if k == 0:
        return 0.0
    if k < 1000:
        return float(special.gammaln(k + 1)) - k * math.log(k) + k
    # Stirling's series; three terms are exact in double precision from k = 1000 on, and the
    # direct difference would lose ~k·1e-16 to cancellation.
    return 0.5 * math.log(2 * math.pi * k) + 1 / (12 * k) - 1 / (360 * k**3)


def _log_poisson_point(k: float, mean: float) -> float:
    """log(mean^k e^-mean / Γ(k+1)), accurate however large k and mean are (Loader's form)."""
    ratio = k / mean
    log_ratio = math.log1p((k - mean) / mean) if 0.5 < ratio < 2 else math.log(ratio)
    deviance = k * log_ratio - (k - mean)  # k·log(k/mean) + mean - k >= 0
    return -deviance - _log_factorial_rest(k)


def _product_series(log_ratio, limit: float = math.inf) -> float:
    """1 + Σ_{j>=1} Π_{k<=j} r_k for ratios r_k = exp(log_ratio(k)) that fall below 1 and stay there.

    Summed in vectorized chunks; stops at the first term below 1e-17 of the total.
    """
    total, log_term, start = 1.0, 0.0, 1
    while start <= limit:
        k = np.arange(start, min(start + 4096, limit + 1))
        logs = log_term + np.cumsum(log_ratio(k))
        terms = np.exp(logs)
        total += float(terms.sum())
        if terms[-1] < 1e-17 * total:
            break
        log_term, start = float(logs[-1]), int(k[-1]) + 1
    return total


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/n/n with offered load ``load`` Erlangs.

    The classic recursion up to 1,000 agents; above, the Poisson ratio P(X = n) / P(X <= n),
    X ~ Poisson(load), whose cost does not grow with the number of agents.
    """
    if agents < 0 or not load >= 0 or math.isinf(load):
        raise ValueError("agents and load must be >= 0 and finite")
    if agents == 0:
        return 1.0
    if load == 0:
        return 0.0
    if agents <= 1000:
        b = 1.0
        for k in range(1, int(agents) + 1):
            b = load * b / (k + load * b)
        return b
    n = float(agents)
    at_most_n = float(special.gammaincc(n + 1, load))  # P(X <= n)
    if at_most_n > 1e-280:
        return min(1.0, math.exp(_log_poisson_point(n, load)) / at_most_n)
    # The load is far above the agents: 1/B = Σ_j n(n-1)...(n-j+1) / load^j, ratios <= n/load.
    return 1.0 / _product_series(lambda k: np.log((n - k + 1) / load), limit=n)


def check_inputs(rate_per_hour: float, aht_seconds: float, agents: int, sl_seconds: float,
                 patience_seconds: float | None = None) -> None:
    """Raise one ValueError naming the first bad input and what is allowed (finite, in range)."""
    named = {"rate_per_hour": rate_per_hour, "aht": aht_seconds, "sl_seconds": sl_seconds}
    if patience_seconds is not None:
        named["patience"] = patience_seconds
    for name, value in named.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number, got {value}")
    if rate_per_hour <= 0 or rate_per_hour > MAX_RATE_PER_HOUR:
        raise ValueError(f"rate_per_hour must be > 0 and at most 10^12 calls an hour, "
                         f"got {rate_per_hour:g}")
    if aht_seconds <= 0 or aht_seconds > MAX_SECONDS:
        raise ValueError(f"aht must be > 0 and at most 10^9 seconds, got {aht_seconds:g}")
    if patience_seconds is not None and not 0 < patience_seconds <= MAX_SECONDS:
        raise ValueError(f"patience must be > 0 and at most 10^9 seconds, got {patience_seconds:g}")
    if not 0 <= sl_seconds <= MAX_SECONDS:
        raise ValueError(f"sl_seconds must be >= 0 and at most 10^9 seconds, got {sl_seconds:g}")
    if isinstance(agents, bool) or int(agents) != agents or agents < 1:
        raise ValueError(f"agents must be a whole number >= 1, got {agents}")
    if agents > MAX_AGENTS:
        raise ValueError(f"agents must be at most {MAX_AGENTS:,} (10^12), got {agents:,}")


def erlang_c(rate_per_hour: float, aht_seconds: float, agents: int, sl_seconds: float = 20.0) -> ErlangResult:
    """Erlang C (M/M/n, callers never abandon).

    Raises:
        ValueError: if an input is out of range, or the offered load is not below the number of
            agents (no steady state).
    """
    check_inputs(rate_per_hour, aht_seconds, agents, sl_seconds)
    agents = int(agents)
    lam, mu = rate_per_hour / 3600.0, 1.0 / aht_seconds
    load = rate_per_hour * aht_seconds / 3600.0
    if load >= agents:
        raise ValueError(
            f"offered load {load:.2f} Erlangs is not below {agents} agents: without abandonment "
            "the queue grows without bound (give a patience for Erlang A)"
        )
    b = erlang_b(agents, load)
    rho = load / agents
    c = b / (1 - rho * (1 - b))
    drain = agents * mu - lam
    mean_wait = c / drain
    return ErlangResult(
        model="erlang_c",
        offered_load=load,
        p_wait=c,
        abandon_rate=0.0,
        mean_wait_seconds=mean_wait,
        asa_seconds=mean_wait,
        service_level=1 - c * math.exp(-drain * sl_seconds),
        occupancy=rho,
    )


def gmr_a(x: float, y: float) -> float:
    """GMR's A(x, y) = x·e^y·y^(-x)·γ(x, y) = 1 + Σ_j y^j / Π_{k=1..j}(x + k)."""
    regularized = special.gammainc(x, y)
    if regularized > 1e-200:
        # log(x·e^y·y^-x·Γ(x)) = -log Poisson point(x; y): no cancellation however large x is.
        return math.exp(min(700.0, -_log_poisson_point(x, y) + math.log(regularized)))
    # y much smaller than x: the series converges fast.
    return _product_series(lambda k: np.log(y) - np.log(x + k))


def erlang_a(
    rate_per_hour: float, aht_seconds: float, agents: int, patience_seconds: float, sl_seconds: float = 20.0
) -> ErlangResult:
    """Erlang A (M/M/n+M): exponential patience with mean ``patience_seconds``.

    Raises:
        ValueError: if an input is out of range.
    """
    check_inputs(rate_per_hour, aht_seconds, agents, sl_seconds, patience_seconds)
    n = int(agents)
    lam, mu, theta = rate_per_hour / 3600.0, 1.0 / aht_seconds, 1.0 / patience_seconds
    load = rate_per_hour * aht_seconds / 3600.0
    b = erlang_b(n, load)
    if b == 0.0:  # agents far above the load: nobody waits, to machine precision
        return ErlangResult("erlang_a", load, 0.0, 0.0, 0.0, 0.0, 1.0, load / n)
    rho = lam / (n * mu)
    x, y = n * mu / theta, lam / theta
    a = gmr_a(x, y)
    p_wait = a * b / (1 + (a - 1) * b)
    no_wait = (1 - b) / (1 + (a - 1) * b)  # 1 - p_wait without the cancellation when p_wait ~ 1
    # GMR: P(abandon | wait) = 1/(rho·A) + 1 - 1/rho; written as its complement it stays exact
    # when almost everybody waits and abandons (rho large).
    served_given_wait = min(1.0, max(0.0, (1 - 1 / a) / rho))
    p_ab = p_wait * (1 - served_given_wait)
    mean_wait = p_ab / theta  # Little's law on the queue: λ·P(ab) = θ·E[queue]

    served_waited = p_wait * served_given_wait  # waited, then answered
    mean_s, within = _served_wait_shape(x, y, theta * sl_seconds)
    answered = no_wait + served_waited
    # served callers' mean wait; when (numerically) nobody is answered, the limit as answered -> 0
    asa = served_waited * mean_s / theta / answered if answered > 0 else mean_s / theta
    return ErlangResult(
        model="erlang_a",
        offered_load=load,
        p_wait=p_wait,
        abandon_rate=p_ab,
        mean_wait_seconds=mean_wait,
        asa_seconds=asa,
        service_level=no_wait + served_waited * within,
        occupancy=min(1.0, rho * answered),
    )


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(8)


def _served_wait_shape(x: float, y: float, c: float) -> tuple[float, float]:
    """Mean of S and P(S <= c) for served callers who waited, S = theta x wait.

    S has density proportional to exp(g(s)), g(s) = -(x+1)·s + y·(1 - e^-s) on s >= 0: concave,
    its peak at s0 = max(0, log(y / (x+1))) and its width w about 1 / max(x+1-y, sqrt(min(y, x+1))).
    In z = (s - s0) / w the bump has unit width; it is integrated on [-60, 60] (clipped at s = 0)
    by 8-point Gauss-Legendre on panels of width 1/2, which is exact to double precision there.
    """
    s0 = max(0.0, math.log(y / (x + 1)))
    r = min(y, x + 1)  # y·e^-s0
    w = 1.0 / max(x + 1 - y, math.sqrt(r), 1e-300)
    lo = max(-60.0, -s0 / w)

    def nodes(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
        edges = np.linspace(a, b, max(1, math.ceil((b - a) * 2)) + 1)
        half = np.diff(edges)[:, None] / 2
        z = (edges[:-1, None] + half + half * _NODES).ravel()
        return z, (half * _WEIGHTS).ravel()

    def density(z: np.ndarray) -> np.ndarray:
        return np.exp(-(x + 1) * w * z - r * np.expm1(-w * z))  # exp(g(s0 + w·z) - g(s0))

    z, weights = nodes(lo, 60.0)
    mass = density(z) * weights
    total = mass.sum()
    mean_s = s0 + w * float((z * mass).sum() / total)
    zc = (c - s0) / w
    if zc <= lo:
        return mean_s, 0.0
    if zc >= 60.0:
        return mean_s, 1.0
    z, weights = nodes(lo, zc)
    return mean_s, min(1.0, float((density(z) * weights).sum() / total))


def queue_state_probabilities(lam: float, mu: float, theta: float, n: int, p_wait: float) -> np.ndarray:
    """P(an arriving caller finds m callers waiting), m = 0, 1, ..., while all agents are busy.

    The birth-death chain, kept as the reference the closed forms are tested against. The chain
    is cut where the remaining probability is below 1e-15.

    Raises:
        ValueError: if the chain would need more than 2,000,000 states.
    """
    log_terms = [0.0]
    m = 0
    peak = 0.0
    while True:
        m += 1
        log_terms.append(log_terms[-1] + math.log(lam) - math.log(n * mu + m * theta))
        peak = max(peak, log_terms[-1])
        if log_terms[-1] < peak - 36 and n * mu + m * theta > lam:
            break
        if m > 2_000_000:
            raise ValueError("the queue is too long to evaluate (patience too long for this load)")
    weights = np.exp(np.array(log_terms) - peak)
    return p_wait * weights / weights.sum()
