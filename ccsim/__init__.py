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

The names below are imported when first used, not with the package: ``ccsim --help`` and
``ccsim erlang`` then start without loading pandas, scipy or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__

# public name -> (module, attribute in it; None: the module itself)
_EXPORTS: dict[str, tuple[str, str | None]] = {
    "Comparison": ("ccsim.experiments.compare", "Comparison"),
    "backtest": ("ccsim.planning.backtest", "backtest"),
    "calibrate": ("ccsim.planning.calibrate", "calibrate"),
    "compare": ("ccsim.experiments.compare", "compare"),
    "erlang": ("ccsim.analysis.erlang", None),
    "plots": ("ccsim.presentation.plots", None),
    "load_results": ("ccsim.experiments.folders", "load_results"),
    "load_scenario": ("ccsim.spec.loading", "load_scenario"),
    "run": ("ccsim.experiments.runner", "run"),
    "schedule": ("ccsim.planning.shifts", "schedule"),
    "simulate": ("ccsim.experiments.runner", "simulate"),
    "Outcome": ("ccsim.engine.records", "Outcome"),
    "RunResult": ("ccsim.experiments.results", "RunResult"),
    "Scenario": ("ccsim.spec.scenario", "Scenario"),
    "ScenarioError": ("ccsim.errors", "ScenarioError"),
    "SweepResult": ("ccsim.experiments.sweeps", "SweepResult"),
    "staff": ("ccsim.planning.staffing", "staff"),
    "sweep": ("ccsim.experiments.sweeps", "sweep"),
    "trace": ("ccsim.presentation.trace", "trace"),
    "write_report": ("ccsim.presentation.report", "write_report"),
}

__all__ = [
    "Comparison", "Outcome", "RunResult", "Scenario", "ScenarioError", "SweepResult", "__version__", "backtest",
    "calibrate", "compare", "erlang", "load_results", "load_scenario", "plots", "run", "schedule", "simulate",
    "staff", "sweep", "trace", "write_report",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'ccsim' has no attribute {name!r}") from None
    value = importlib.import_module(module)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from .analysis import erlang
    from .engine.records import Outcome
    from .errors import ScenarioError
    from .experiments.compare import Comparison, compare
    from .experiments.folders import load_results
    from .experiments.results import RunResult
    from .experiments.runner import run, simulate
    from .experiments.sweeps import SweepResult, sweep
    from .planning.backtest import backtest
    from .planning.calibrate import calibrate
    from .planning.shifts import schedule
    from .planning.staffing import staff
    from .presentation import plots
    from .presentation.report import write_report
    from .presentation.trace import trace
    from .spec.loading import load_scenario
    from .spec.scenario import Scenario
