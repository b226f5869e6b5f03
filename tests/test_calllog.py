"""The call-log reader against the facts the data's README states, and the bank scenario
against the log it was shaped from. Skipped when the data folder is absent."""

from __future__ import annotations

import numpy as np
import pytest

from ccsim.planning.calllog import (
    hourly_arrivals,
    mean_patience,
    read_anonymous_bank,
    redial_behaviour,
    service_time_shape,
)
from ccsim.spec.loading import load_scenario

from .helpers import BANK_DATA, SCENARIOS

pytestmark = pytest.mark.skipif(
    not BANK_DATA.is_dir(), reason=f"real call-log data not found at {BANK_DATA} (shared/ is not beside the repo)"
)


@pytest.fixture(scope="module")
def calls():
    return read_anonymous_bank(BANK_DATA)


def test_facts_from_the_data_readme(calls):
    assert len(calls) == 360_364
    assert calls["date"].nunique() == 302
    outcome = calls["outcome"].value_counts(normalize=True)
    assert outcome["AGENT"] == pytest.approx(0.793, abs=0.001)
    assert outcome["HANG"] == pytest.approx(0.199, abs=0.001)
    assert outcome["PHANTOM"] == pytest.approx(0.008, abs=0.001)
    types = calls["type"].value_counts(normalize=True)
    for kind, share in {"PS": 0.68, "NW": 0.16, "NE": 0.09, "IN": 0.04, "TT": 0.03}.items():
        assert types[kind] == pytest.approx(share, abs=0.006)
    assert (calls["vru_time"] > 0).mean() == pytest.approx(0.98, abs=0.005)
    # the README rounds; all rows give 10.28 s, rows without PHANTOM 10.32 s
    assert calls["vru_time"].mean() == pytest.approx(10.4, abs=0.2)
    # The README's queue shares come from a slightly different count (58.8% / 24.4% here, by
    # q_time > 0 or by q_start alike); half a point still catches a misparsed column.
    queued = calls[calls["q_time"] > 0]
    assert len(queued) / len(calls) == pytest.approx(0.586, abs=0.005)
    assert (queued["outcome"] == "HANG").mean() == pytest.approx(0.248, abs=0.005)
    assert queued.loc[queued["outcome"] == "AGENT", "q_time"].mean() == pytest.approx(103, abs=1)
    served = calls[(calls["outcome"] == "AGENT") & (calls["ser_time"] > 0)]["ser_time"]
    assert served.mean() == pytest.approx(188, abs=1)
    assert served.median() == pytest.approx(113, abs=1)
    assert served.std() / served.mean() == pytest.approx(1.51, abs=0.01)


def test_bank_scenario_follows_the_log(calls):
    """retail_bank_day.yaml: the hourly shape 08-20 is the log's (x5), the peak hour the same,
    the handle times are as skewed, and the patience is the log's order of magnitude."""
    profile = hourly_arrivals(calls).reindex(range(8, 20)).to_numpy()
    s = load_scenario(SCENARIOS / "retail_bank_day.yaml")
    hourly = s.rates_per_hour()[::2]  # the first half-hour of each hour carries the log's rate
    assert np.allclose(hourly, 5 * profile, rtol=0.01)
    assert int(np.argmax(hourly)) == int(np.argmax(profile)) == 2  # 10:00
    shape = service_time_shape(calls)
    assert shape.loc["PS", "cv"] > 1  # far from exponential, as the scenario's lognormals
    main = next(i for i in s.intents if i.name == "account_enquiry")
    assert main.handle_time.mean == pytest.approx(shape.loc["PS", "mean"], rel=0.01)
    assert 300 <= mean_patience(calls) <= 500

    share, delays = redial_behaviour(calls)
    for segment in s.segments:
        assert segment.redial.after_abandon == pytest.approx(share, abs=0.01)
        assert segment.redial.delay.mean == pytest.approx(delays.mean(), rel=0.02)
        assert segment.redial.delay.cv == pytest.approx(delays.std() / delays.mean(), abs=0.05)
