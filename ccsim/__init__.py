"""ccsim: a discrete-event contact-center simulator.

Describe a center in a scenario file, run it, and read its KPIs with confidence intervals::

    import ccsim
    scenario = ccsim.load_scenario("scenarios/retail_bank_day.yaml")
    result = ccsim.run(scenario, reps=10)
    result.summary()          # mean and 95% CI of every KPI
    result.intervals          # one row per replication x interval
    result.contacts           # one row per contact
    ccsim.sweep("scenarios/sweeps/staffing_vs_flexibility.yaml", reps=5).summary("service_level")
    ccsim.compare(scenario, overrides_b=["pools.generalists.agents=24"])   # paired B - A
    ccsim.erlang.erlang_a(600, 180, 32, patience_seconds=120)   # the analytic reference
"""

__version__ = "0.1.0"

from . import erlang
from .compare import Comparison, compare
from .errors import ScenarioError
from .records import Outcome
from .report import write_report
from .results import RunResult
from .runner import run, simulate
from .scenario import Scenario, load_scenario
from .sweeps import SweepResult, sweep
from .trace import trace


def load_results(folder):
    """The tables of a results folder written by ``ccsim run`` or ``ccsim sweep``.

    Returns a :class:`RunResult` for a run, a :class:`SweepResult` for a sweep and a
    :class:`Comparison` for a comparison.
    """
    from .store import read_manifest
    from .sweeps import load_sweep

    kind = read_manifest(folder).get("kind")
    if kind == "sweep":
        return load_sweep(folder)
    if kind == "compare":
        return Comparison.read(folder)
    return RunResult.read(folder)

__all__ = [
    "__version__",
    "Comparison",
    "compare",
    "erlang",
    "load_results",
    "load_scenario",
    "run",
    "simulate",
    "Outcome",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SweepResult",
    "sweep",
    "trace",
    "write_report",
]
