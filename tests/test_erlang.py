"""The analytic formulas against textbook values and against each other."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

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
