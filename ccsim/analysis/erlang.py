"""Analytic queueing formulas: Erlang B, Erlang C and Erlang A.

The calculators planners already use: "600 calls an hour, 3 minutes each, 32 agents: what
share waits, and how long?" Erlang C assumes callers never hang up (M/M/n); Erlang A lets them
hang up after an exponential patience (M/M/n+M, Garnett, Mandelbaum & Reiman, "Designing a
call center with impatient customers", MSOM 4(3), 2002). ccsim's simulation of a single queue
with exponential times must agree with these numbers; the tests check that it does.

For Erlang A, P(wait > 0) and P(abandon) are GMR's closed forms. The answer speed and the
service level need the waiting-time distribution of served callers, computed from the
birth-death chain: a caller who finds m others waiting moves up the queue through stages
with rates n·mu + i·theta (i = m+1, ..., 1) and is served with probability
n·mu / (n·mu + (m+1)·theta).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import sparse, special
from scipy.sparse.linalg import expm_multiply


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


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of M/M/n/n with offered load ``load`` Erlangs (stable recursion)."""
    if agents < 0 or load < 0:
        raise ValueError("agents and load must be >= 0")
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return b


def _check(rate_per_hour: float, aht_seconds: float, agents: int) -> None:
    if rate_per_hour <= 0:
        raise ValueError("rate_per_hour must be > 0")
    if aht_seconds <= 0:
        raise ValueError("aht must be > 0 seconds")
    if agents < 1 or int(agents) != agents:
        raise ValueError("agents must be a whole number >= 1")


def erlang_c(rate_per_hour: float, aht_seconds: float, agents: int, sl_seconds: float = 20.0) -> ErlangResult:
    """Erlang C (M/M/n, callers never abandon).

    Raises:
        ValueError: if the offered load is not below the number of agents (no steady state).
    """
    _check(rate_per_hour, aht_seconds, agents)
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
        log_a = math.log(x) + y - x * math.log(y) + special.gammaln(x) + math.log(regularized)
        return math.exp(log_a)
    # y much smaller than x: the series converges at once.
    total, term, j = 1.0, 1.0, 0
    while term > 1e-17 * total:
        j += 1
        term *= y / (x + j)
        total += term
    return total


def erlang_a(
    rate_per_hour: float, aht_seconds: float, agents: int, patience_seconds: float, sl_seconds: float = 20.0
) -> ErlangResult:
    """Erlang A (M/M/n+M): exponential patience with mean ``patience_seconds``."""
    _check(rate_per_hour, aht_seconds, agents)
    if not patience_seconds > 0:
        raise ValueError("patience must be > 0 seconds")
    lam, mu, theta = rate_per_hour / 3600.0, 1.0 / aht_seconds, 1.0 / patience_seconds
    n = agents
    load = rate_per_hour * aht_seconds / 3600.0
    rho = lam / (n * mu)
    b = erlang_b(n, load)
    a = gmr_a(n * mu / theta, lam / theta)
    p_wait = a * b / (1 + (a - 1) * b)
    p_ab_given_wait = 1 / (rho * a) + 1 - 1 / rho
    p_ab = p_ab_given_wait * p_wait
    mean_wait = p_ab / theta  # Little's law on the queue: λ·P(ab) = θ·E[queue]

    asa, service_level = _served_waits(lam, mu, theta, n, p_wait, sl_seconds)
    return ErlangResult(
        model="erlang_a",
        offered_load=load,
        p_wait=p_wait,
        abandon_rate=p_ab,
        mean_wait_seconds=mean_wait,
        asa_seconds=asa,
        service_level=service_level,
        occupancy=lam * (1 - p_ab) / (n * mu),
    )


def queue_state_probabilities(lam: float, mu: float, theta: float, n: int, p_wait: float) -> np.ndarray:
    """P(an arriving caller finds m callers waiting), m = 0, 1, ..., while all agents are busy.

    The chain is cut where the remaining probability is below 1e-15.
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


def _served_waits(lam: float, mu: float, theta: float, n: int, p_wait: float, sl_seconds: float) -> tuple[float, float]:
    """ASA and service level (answered within the threshold / offered) of M/M/n+M."""
    pi = queue_state_probabilities(lam, mu, theta, n, p_wait)
    positions = np.arange(1, len(pi) + 1)  # a caller finding m waiting is at position m+1
    rates = n * mu + positions * theta  # stage k is left at rate n·mu + k·theta
    p_served = n * mu / rates
    # Expected wait of a served caller from position k: Σ_{i<=k} 1/(n·mu + i·theta).
    served_wait = np.cumsum(1.0 / rates)
    answered = (1 - p_wait) + float(np.sum(pi * p_served))
    asa = float(np.sum(pi * p_served * served_wait)) / answered
    # P(Σ_{i<=k} Exp(rate_i) <= T) for every k at once: absorption by T of the chain k -> k-1 -> ... -> 0.
    size = len(pi) + 1
    generator = sparse.diags(
        [np.concatenate([[0.0], -rates]), rates], offsets=[0, -1], shape=(size, size), format="csr"
    )
    absorbed = np.zeros(size)
    absorbed[0] = 1.0
    within = expm_multiply(generator * sl_seconds, absorbed)[1:] if sl_seconds > 0 else np.zeros(len(pi))
    service_level = (1 - p_wait) + float(np.sum(pi * p_served * np.clip(within, 0, 1)))
    return asa, service_level
