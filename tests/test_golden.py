"""Every shipped scenario, run as a golden test: the same seed must give the stored KPIs.

A change in the engine that changes results shows up here. When the change is intended,
regenerate with ``CCSIM_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and say why in the commit.
"""

from __future__ import annotations

import json
import math
import os

import pytest

import ccsim

from .helpers import ROOT, SCENARIOS

GOLDEN = ROOT / "tests" / "golden"
REPS = 2


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenario_matches_golden(path):
    result = ccsim.run(path, reps=REPS, keep_contacts=False).to_json_dict()
    golden = GOLDEN / f"{path.stem}.json"
    if os.environ.get("CCSIM_UPDATE_GOLDEN") == "1":
        golden.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    assert golden.exists(), f"no golden file for {path.name}: run with CCSIM_UPDATE_GOLDEN=1"
    expected = json.loads(golden.read_text())
    _assert_close(result, expected, where=path.name)


def _assert_close(got, want, where):
    """Every value in the golden file, bit for bit; a KPI added later may be in ``got`` only."""
    if isinstance(want, dict):
        assert set(want) <= set(got), f"{where}: missing {sorted(set(want) - set(got))}"
        for key in want:
            _assert_close(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, float) and isinstance(got, float):
        # bitwise equality is expected; the tolerance only absorbs libm differences across machines
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {got} != {want}"
    else:
        assert got == want, where
