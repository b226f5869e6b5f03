"""The analytic formulas against textbook values and against each other."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccsim.analysis import erlang


def test_erlang_b_textbook():
    assert erlang.erlang_b(3, 2.0) == pytest.approx((8 / 6) / (1 + 2 + 2 + 8 / 6))
    assert erlang.erlang_b(0, 5.0) == 1.0


def test_erlang_c_textbook():
    # 2 Erlangs on 3 agents: C = 4/9.
    r = erlang.erlang_c(rate_per_hour=7200, aht_seconds=1, agents=3)
    assert r.p_wait == pytest.approx(4 / 9)
    assert r.mean_wait_seconds == pytest.approx((4 / 9) / (3 - 2))
    assert r.service_level == pytest.approx(1 - 4 / 9 * math.exp(-20))


@pytest.mark.parametrize("load, agents", [(30, 33), (5, 6), (570, 590)])
def test_erlang_c_against_the_direct_formula_in_exact_arithmetic(load, agents):
    a = Fraction(load)
    top = a**agents / math.factorial(agents) * Fraction(agents, agents - load)
    direct = top / (sum(a**k / math.factorial(k) for k in range(agents)) + top)
    r = erlang.erlang_c(rate_per_hour=load * 20, aht_seconds=180, agents=agents)
    assert r.p_wait == pytest.approx(float(direct), rel=1e-10)
    assert r.occupancy == pytest.approx(load / agents)


def test_erlang_c_rejects_overload():
    with pytest.raises(ValueError, match="grows without bound"):
        erlang.erlang_c(600, 180, 30)


def test_erlang_a_tends_to_erlang_c_with_infinite_patience():
    c = erlang.erlang_c(600, 180, 32)
    a = erlang.erlang_a(600, 180, 32, patience_seconds=1e8)
    for key in ("p_wait", "mean_wait_seconds", "asa_seconds", "service_level"):
        assert getattr(a, key) == pytest.approx(getattr(c, key), rel=1e-4)
    assert a.abandon_rate < 1e-6


@pytest.mark.parametrize("args", [(600, 180, 32, 120), (900, 180, 40, 60), (11400, 180, 600, 120), (60, 300, 4, 600)])
def test_gmr_closed_form_agrees_with_the_birth_death_chain(args):
    rate, aht, n, patience = args
    r = erlang.erlang_a(rate, aht, n, patience)
    lam, mu, theta = rate / 3600, 1 / aht, 1 / patience
    pi = erlang.queue_state_probabilities(lam, mu, theta, n, r.p_wait)
    k = np.arange(1, len(pi) + 1)
    assert pi.sum() == pytest.approx(r.p_wait, rel=1e-12)
    assert np.sum(pi * k * theta / (n * mu + k * theta)) == pytest.approx(r.abandon_rate, rel=1e-9)
    assert np.sum(pi * k / (n * mu + k * theta)) == pytest.approx(r.mean_wait_seconds, rel=1e-9)
    # flow balance: served work equals busy agents
    assert r.occupancy == pytest.approx(lam * (1 - r.abandon_rate) / (n * mu))


def test_erlang_a_service_level_is_monotone_in_threshold_and_agents():
    sls = [erlang.erlang_a(600, 180, 32, 120, sl_seconds=t).service_level for t in (0, 10, 20, 60, 600)]
    assert sls == sorted(sls) and sls[0] == pytest.approx(1 - erlang.erlang_a(600, 180, 32, 120).p_wait)
    by_agents = [erlang.erlang_a(600, 180, n, 120).service_level for n in (28, 30, 32, 34)]
    assert by_agents == sorted(by_agents)


@pytest.mark.parametrize("bad", [dict(rate_per_hour=0), dict(aht_seconds=-1), dict(agents=0), dict(patience_seconds=0)])
def test_bad_arguments(bad):
    args = dict(rate_per_hour=600, aht_seconds=180, agents=32, patience_seconds=120) | bad
    with pytest.raises(ValueError):
        erlang.erlang_a(**args)


# --- the closed forms against the birth-death chain, and sizes no center reaches (issue 11) ---


def chain_asa_and_service_level(rate, aht, n, patience, sl_seconds):
    """ASA and service level of M/M/n+M from the queue-state chain: the reference the closed forms replace."""
    from scipy import sparse
    from scipy.sparse.linalg import expm_multiply

    lam, mu, theta = rate / 3600, 1 / aht, 1 / patience
    p_wait = erlang.erlang_a(rate, aht, n, patience).p_wait
    pi = erlang.queue_state_probabilities(lam, mu, theta, n, p_wait)
    rates = n * mu + np.arange(1, len(pi) + 1) * theta  # stage k left at rate n·mu + k·theta
    p_served = n * mu / rates
    answered = (1 - p_wait) + float(np.sum(pi * p_served))
    asa = float(np.sum(pi * p_served * np.cumsum(1.0 / rates))) / answered
    size = len(pi) + 1
    generator = sparse.diags([np.concatenate([[0.0], -rates]), rates], offsets=[0, -1], shape=(size, size),
                             format="csr")
    start = np.zeros(size)
    start[0] = 1.0
    within = expm_multiply(generator * sl_seconds, start)[1:] if sl_seconds > 0 else np.zeros(len(pi))
    return asa, (1 - p_wait) + float(np.sum(pi * p_served * np.clip(within, 0, 1)))


@pytest.mark.parametrize("args", [
    (600, 180, 31, 120, 20), (600, 180, 32, 120, 20), (900, 180, 40, 60, 20), (11400, 180, 600, 120, 20),
    (60, 300, 4, 600, 20), (600, 180, 20, 30, 60), (600, 180, 1, 5, 10), (100, 3000, 1, 1, 5),
    (600, 180, 32, 1e8, 20), (600, 180, 40, 120, 0), (600, 180, 60, 120, 20), (36000, 180, 1000, 120, 20),
    (20000, 300, 1600, 120, 20), (40000, 180, 2010, 90, 15),  # above 1,000 agents: Erlang B by the gamma form
])
def test_erlang_a_closed_forms_agree_with_the_chain(args):
    rate, aht, n, patience, t = args
    r = erlang.erlang_a(rate, aht, n, patience, sl_seconds=t)
    asa, service_level = chain_asa_and_service_level(rate, aht, n, patience, t)
    assert r.asa_seconds == pytest.approx(asa, rel=1e-9)
    assert r.service_level == pytest.approx(service_level, rel=1e-9, abs=1e-15)


def erlang_b_recursion(n, load):
    b = 1.0
    for k in range(1, n + 1):
        b = load * b / (k + load * b)
    return b


@pytest.mark.parametrize("n", [1001, 1500, 20_000, 200_000])
@pytest.mark.parametrize("load_of", [lambda n: n / 2, lambda n: n - 3 * n**0.5, lambda n: n - 0.5, lambda n: n,
                                     lambda n: n + 5 * n**0.5, lambda n: 1.2 * n, lambda n: n + 40 * n**0.5,
                                     lambda n: 3 * n])
def test_erlang_b_gamma_form_equals_the_recursion(n, load_of):
    load = load_of(n)
    assert erlang.erlang_b(n, load) == pytest.approx(erlang_b_recursion(n, load), rel=1e-10, abs=1e-300)


def test_erlang_b_gamma_form_in_exact_arithmetic():
    n, load = 1200, Fraction(1150)
    direct = load**n / math.factorial(n) / sum(load**k / math.factorial(k) for k in range(n + 1))
    assert erlang.erlang_b(n, 1150.0) == pytest.approx(float(direct), rel=1e-11)


@pytest.mark.parametrize("n, load", [(10**12, 10**12 - 10**5), (10**12, 10**12 + 10**7), (10**9, 10**9),
                                     (10**12, 1e13), (5 * 10**6, 5 * 10**6 - 2000)])
def test_erlang_b_keeps_its_recursion_at_any_size(n, load):
    # B(n) = load·B(n-1) / (n + load·B(n-1)) must hold for the size-independent form too.
    before = erlang.erlang_b(n - 1, load)
    b = erlang.erlang_b(n, load)
    assert 0 < b < 1
    assert b == pytest.approx(load * before / (n + load * before), rel=1e-8)


def test_far_more_agents_than_load_nobody_waits_at_once():
    import tracemalloc

    tracemalloc.start()
    c = erlang.erlang_c(600, 180, 10**12)
    a = erlang.erlang_a(600, 180, 10**12, 120)
    big = erlang.erlang_a(1e12, 180, 5 * 10**10, 120)  # 50 billion Erlangs on as many agents: heavy traffic
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 20_000_000  # no chain of a billion states
    for r in (c, a):
        assert (r.p_wait, r.service_level, r.asa_seconds, r.abandon_rate) == (0.0, 1.0, 0.0, 0.0)
        assert r.occupancy == pytest.approx(3e-11)
    assert 0 < big.p_wait < 1 and 0 < big.abandon_rate < 1e-4 and big.service_level > 0.99


positive = st.floats(1e-6, 1e9)


@settings(max_examples=300, deadline=None)
@given(rate=st.floats(1e-6, 1e12), aht=positive, patience=positive, t=st.floats(0, 1e9),
       agents=st.integers(1, 10**12) | st.integers(1, 2000))
def test_erlang_a_is_a_distribution_at_every_size(rate, aht, patience, t, agents):
    r = erlang.erlang_a(rate, aht, agents, patience, sl_seconds=t)
    values = [v for k, v in r.as_dict().items() if k != "model"]
    assert all(math.isfinite(v) and v >= 0 for v in values)
    assert r.p_wait <= 1 and r.abandon_rate <= r.p_wait * (1 + 1e-12) and r.occupancy <= 1
    # those who never wait are answered at once; nobody who hung up was answered
    assert 1 - r.p_wait - 1e-12 <= r.service_level <= 1 - r.abandon_rate + 1e-12


@pytest.mark.parametrize("bad, message", [
    (dict(rate_per_hour=math.inf), "rate_per_hour must be a finite number"),
    (dict(rate_per_hour=math.nan), "rate_per_hour must be a finite number"),
    (dict(aht_seconds=math.inf), "aht must be a finite number"),
    (dict(patience_seconds=math.nan), "patience must be a finite number"),
    (dict(sl_seconds=math.inf), "sl_seconds must be a finite number"),
    (dict(agents=10**12 + 1), "at most 1,000,000,000,000"),
    (dict(rate_per_hour=2e12), "at most 10\\^12 calls an hour"),
    (dict(agents=2.5), "whole number"),
])
def test_infinite_missing_and_absurd_inputs_are_refused(bad, message):
    args = dict(rate_per_hour=600, aht_seconds=180, agents=32, patience_seconds=120, sl_seconds=20) | bad
    with pytest.raises(ValueError, match=message):
        erlang.erlang_a(**args)
    if "patience_seconds" not in bad:
        args.pop("patience_seconds")
        with pytest.raises(ValueError, match=message):
            erlang.erlang_c(**args)
