"""Every shipped scenario, run as a golden test: the same seed must give the stored KPIs.

A change in the engine that changes results shows up here. When the change is intended,
regenerate with ``CCSIM_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and say why in the commit.

Two files per scenario: ``golden/<name>.json`` (the run's summary: every mean bit for bit; the
confidence bounds only have to hold the mean, since the interval method is a reporting choice
that changed once: Wilson intervals for shares, clipping to each KPI's range) and
``golden/replications/<name>.json`` (every KPI of every replication, bit for bit).
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
    run = ccsim.run(path, reps=REPS, keep_contacts=False)
    result = run.to_json_dict()
    per_replication = json.loads(json.dumps([{k: v.item() if hasattr(v, "item") else v for k, v in row.items()}
                                             for row in run.kpis.to_dict(orient="records")]))
    golden = GOLDEN / f"{path.stem}.json"
    replications = GOLDEN / "replications" / f"{path.stem}.json"
    if os.environ.get("CCSIM_UPDATE_GOLDEN") == "1":
        golden.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
        replications.parent.mkdir(exist_ok=True)
        replications.write_text(json.dumps(per_replication, indent=1, sort_keys=True) + "\n")
    assert golden.exists(), f"no golden file for {path.name}: run with CCSIM_UPDATE_GOLDEN=1"
    _assert_close(result, json.loads(golden.read_text()), where=path.name)
    if replications.exists():
        _assert_close(per_replication, json.loads(replications.read_text()), where=f"{path.name} replications")


def _assert_close(got, want, where):
    """Every value in the golden file, bit for bit; a KPI added later may be in ``got`` only."""
    if isinstance(want, dict):
        assert set(want) <= set(got), f"{where}: missing {sorted(set(want) - set(got))}"
        if {"mean", "ci_low", "ci_high"} <= set(want):  # a summary triple: the mean pins the results
            _assert_close(got["mean"], want["mean"], f"{where}.mean")
            if got["mean"] is not None and got["ci_low"] is not None:
                assert got["ci_low"] - 1e-12 <= got["mean"] <= got["ci_high"] + 1e-12, where
            return
        for key in want:
            _assert_close(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert len(got) == len(want), where
        for k, (g, w) in enumerate(zip(got, want, strict=True)):
            _assert_close(g, w, f"{where}[{k}]")
    elif isinstance(want, float) and math.isnan(want):
        assert isinstance(got, float) and math.isnan(got), where
    elif isinstance(want, float) and isinstance(got, (float, int)):
        # bitwise equality is expected; the tolerance only absorbs libm differences across machines
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {got} != {want}"
    else:
        assert got == want, where
