"""The notebook walkthrough executes top to bottom, as a new analyst would run it."""

from __future__ import annotations

import pytest

from .helpers import ROOT

nbformat = pytest.importorskip("nbformat", reason="nbformat is part of the [test] extra")
nbclient = pytest.importorskip("nbclient", reason="nbclient is part of the [test] extra")


@pytest.mark.slow
def test_walkthrough_executes():
    path = ROOT / "docs" / "walkthrough.ipynb"
    notebook = nbformat.read(path, as_version=4)
    # The timeout guards against a hang (the walkthrough takes well under two minutes).
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    plot_cells = [c for c in notebook.cells if c.cell_type == "code" and "plots." in c.source]
    assert len(images) == len(plot_cells) > 0  # every plot cell drew its figure, inline
    text = "".join(o.get("text", "") for o in outputs)
    assert "analytic" in text and "simulated" in text
