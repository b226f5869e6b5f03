"""Worker processes: the same results, to the last digit, whatever the number of workers."""

from __future__ import annotations

import pandas as pd
import pytest

import ccsim

from .helpers import SCENARIOS
from .test_cli import assert_clean_error, small_file
from .test_cli import ccsim as ccsim_cli


def test_workers_give_identical_tables():
    one = ccsim.run(SCENARIOS / "retail_bank_day.yaml", reps=4, workers=1)
    two = ccsim.run(SCENARIOS / "retail_bank_day.yaml", reps=4, workers=2)
    for name in ("kpis", "intervals", "pools", "pool_intervals", "contacts"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name), check_exact=True)


def test_progress_is_reported_for_every_replication():
    seen = []
    ccsim.run(SCENARIOS / "erlang_a.yaml", reps=3, workers=2, keep_contacts=False,
              progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_bad_worker_count(tmp_path):
    with pytest.raises(ValueError):
        ccsim.run(SCENARIOS / "erlang_a.yaml", reps=2, workers=0)
    assert_clean_error(ccsim_cli("run", small_file(tmp_path), "--workers", "0"), "--workers")
