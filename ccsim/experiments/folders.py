"""Reading a results folder back: whatever ``ccsim run``, ``sweep`` or ``compare`` wrote.

A planner opens last week's results in a notebook without remembering which command made
them: the manifest says what the folder holds, and the matching reader returns its tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .store import read_manifest


def load_results(folder: str | Path) -> Any:
    """The tables of a results folder written by ``ccsim run``, ``ccsim sweep`` or ``ccsim compare``.

    Returns a :class:`~ccsim.experiments.results.RunResult` for a run, a
    :class:`~ccsim.experiments.sweeps.SweepResult` for a sweep and a
    :class:`~ccsim.experiments.compare.Comparison` for a comparison.
    """
    kind = read_manifest(Path(folder)).get("kind")
    if kind == "sweep":
        from .sweeps import load_sweep

        return load_sweep(folder)
    if kind == "compare":
        from .compare import Comparison

        return Comparison.read(folder)
    from .results import RunResult

    return RunResult.read(folder)
