"""The notebook walkthrough executes top to bottom, as a new analyst would run it, from the
repository's root and from docs/, and what it shows is right: sane numbers, a non-empty
answer to each question it asks, the analytic and simulated values agreeing."""

from __future__ import annotations

import json
import re

import pytest

from .helpers import ROOT

nbformat = pytest.importorskip("nbformat", reason="nbformat is part of the [test] extra")
nbclient = pytest.importorskip("nbclient", reason="nbclient is part of the [test] extra")

PATH = ROOT / "docs" / "walkthrough.ipynb"

#: Run after the walkthrough in its kernel: the state its cells left, as one JSON line.
CHECK = """
import json as _json
_summary = result.summary()
print("CHECK " + _json.dumps({
    "answered_waits": {str(k): float(v) for k, v in waits.items()},
    "outcomes": {str(k): int(v) for k, v in outcomes.items()},
    "contacts": len(contacts), "answered": len(answered),
    "arrivals": float(_summary.loc["arrivals", "mean"]), "service_level": float(_summary.loc["service_level", "mean"]),
    "sl_ci": [float(_summary.loc["service_level", "ci_low"]), float(_summary.loc["service_level", "ci_high"])],
    "sweep_points": len(sweep.points), "variants": sorted(set(plans_table["b"])), "flexible": sorted(set(table["b"])),
    "chain_fcr": float(chain.summary().loc["fcr", "mean"]),
    "proof": staffing.summary["proof"], "required": staffing.staffing["required"].tolist(),
    "roster_met": bool(roster.summary["met"]), "roster_agents": int(roster.roster["count"].sum()),
}))
"""


def execute(notebook, cwd) -> list[dict]:
    # The timeout guards against a hang (the walkthrough takes well under a minute).
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, "\n".join(e.get("evalue", "") for e in errors)
    return outputs


def text_of(output) -> str:
    return output.get("text", "") + output.get("data", {}).get("text/plain", "")


@pytest.mark.slow
def test_walkthrough_from_the_repository_root():
    notebook = nbformat.read(PATH, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(CHECK))
    outputs = execute(notebook, ROOT)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    plot_cells = [c for c in notebook.cells if c.cell_type == "code" and "plots." in c.source]
    assert len(images) == len(plot_cells) > 0  # every plot cell drew its figure, inline
    text = "\n".join(text_of(o) for o in outputs)
    assert "Series([]" not in text and "Empty DataFrame" not in text  # every question has an answer
    assert "DeprecationWarning" not in "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")

    check = json.loads(next(line for line in text.splitlines() if line.startswith("CHECK "))[6:])
    # The answered contacts' waits, by intent: every intent of the bank, sane seconds.
    assert set(check["answered_waits"]) == {"account_enquiry", "new_customer", "card_services", "mortgage"}
    assert all(0 <= w < 600 for w in check["answered_waits"].values())
    assert 0 < check["answered"] < check["contacts"]
    assert {"resolved", "abandoned"} <= set(check["outcomes"]) and "answered" not in check["outcomes"]
    assert sum(check["outcomes"].values()) == check["contacts"]
    # A bank's day: thousands of calls, a service level that is a share, its CI around it.
    assert 3_000 < check["arrivals"] < 20_000
    low, high = check["sl_ci"]
    assert 0 <= low <= check["service_level"] <= high <= 1
    assert check["sweep_points"] == 6
    assert check["variants"] == ["24 generalists", "26 generalists"]
    assert check["flexible"] == ["transfer-chain[pools.tier1.flexibility=0.7, pools.tier1.authority=1, "
                                 "pools.tier1.offload=0, pools.tier1.agents=18, pools.billing.agents=4, "
                                 "pools.specialists.agents=4]"]  # named by its overrides
    assert 0 < check["chain_fcr"] < 1

    # The textbook check: each analytic value inside the simulated 95% CI, as printed.
    rows = re.findall(r"^(\w+)\s+analytic ([\d.]+)\s+simulated ([\d.]+) \[([\d.]+), ([\d.]+)\]\s+(\w+)$", text, re.M)
    assert {r[0] for r in rows} == {"p_wait", "abandon_rate", "service_level"}
    for kpi, analytic, simulated, ci_low, ci_high, verdict in rows:
        assert float(ci_low) <= float(analytic) <= float(ci_high), kpi
        assert abs(float(simulated) - float(analytic)) < 0.05 and verdict == "agrees", kpi

    # The staffing section: a proven plan that follows the morning peak, and a roster that meets it.
    assert check["proof"]["verified"] and check["proof"]["checks_passed"] == check["proof"]["checks"] == 16
    required = check["required"]
    assert len(required) == 16 and max(required) == max(required[2:6]) and required[0] < max(required)
    assert check["roster_met"] and check["roster_agents"] >= max(required)

    # The export cell listed the CSV files it wrote.
    assert "'points.csv'" in text and "'runs.csv'" in text


def test_walkthrough_paths_work_from_docs():
    """The set-up cells (paths, loading a scenario) from docs/, where Jupyter starts the kernel."""
    notebook = nbformat.read(PATH, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    notebook.cells = code[:2]
    outputs = execute(notebook, ROOT / "docs")
    assert "retail-bank-day - 24 intervals from 08:00" in "".join(text_of(o) for o in outputs)
