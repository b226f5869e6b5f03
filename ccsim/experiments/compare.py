"""Paired comparison of two scenarios: is B really better than A, or is it noise?

"Does adding four generalists in the morning lower the abandon rate?" Both scenarios are run
with the same seed, so replication r of A and replication r of B see the same callers (common
random numbers); the difference B − A is computed replication by replication and its 95%
confidence interval says whether the change is real. Each KPI knows its direction (a lower
wait is better, a higher service level is better), so the verdict is in the planner's words.
The table also says how much the pairing narrowed the interval: the variance of B − A from
independent runs, Var(A) + Var(B), over the variance of the paired differences.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.stats import mean_ci
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from .results import RUN_KPIS
from .runner import run
from .store import (
    MANIFEST,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
    command_line,
    now_iso,
    read_manifest,
)

#: +1: higher is better; -1: lower is better; 0: neither (context, e.g. arrivals). Resolved and
#: contained contacts are counts that follow the volume (fewer redials, more self-service);
#: fcr, resolution_rate and containment_rate carry the verdict.
DIRECTION = {
    "arrivals": 0, "offered": 0, "answered": +1, "abandoned": -1, "short_abandons": 0, "in_system": -1,
    "abandon_rate": -1, "p_wait": -1, "asa_seconds": -1, "mean_wait_seconds": -1, "service_level": +1,
    "sl_offered": +1, "sl_answered": +1, "sl_abandons_excluded": +1, "sl_abandons_good": +1, "answered_within": +1,
    "abandoned_within": 0, "talk_seconds": 0, "wrapup_seconds": 0, "blocked": -1, "balked": -1, "cleared": -1,
    "messages": 0, "messages_handled": +1, "block_rate": -1, "balk_rate": -1,
    "aht_seconds": 0, "agent_cost": -1, "customers": 0, "repeat_contact_rate": -1, "fcr": +1,
    "resolution_rate": +1, "effort_steps": -1, "resolved": 0, "unresolved": -1, "contained": 0,
    "ivr_abandoned": -1, "hold_abandoned": -1, "dropped": -1, "redirected": -1, "ivr_abandon_rate": -1,
    "containment_rate": +1, "misroute_rate": -1, "transfers_per_contact": -1, "lost_intents_per_contact": -1,
    "hold_abandon_rate": -1, "callbacks": 0, "telephony_cost": -1, "cost": -1, "cost_per_resolved": -1,
}

SAME = "no significant difference"


def compare(*args: Any, **kwargs: Any) -> pd.DataFrame:
    """Paired differences B − A of every KPI with 95% CIs and a verdict.

    Takes the arguments of :func:`run_comparison` and returns its table: one row per KPI with
    ``a_mean, b_mean, diff, ci_low, ci_high, verdict, variance_reduction``.

    Example:
        >>> ccsim.compare("scenarios/retail_bank_day.yaml", overrides_b=["pools.generalists.agents=24"])
    """
    return run_comparison(*args, **kwargs).table


@dataclass
class Comparison:
    """Two scenarios run on the same callers: both runs' KPIs and the paired table."""

    a: Scenario
    b: Scenario
    seed: int
    replications: int
    table: pd.DataFrame
    kpis_a: pd.DataFrame
    kpis_b: pd.DataFrame

    def write(self, folder: str | Path) -> Path:
        """Save into an empty or new folder: manifest, both scenarios, the three tables.

        Raises:
            FileExistsError: the folder is not empty.
            OSError: the folder cannot be created or written (the reason in the message).
        """
        from ..version import __version__
        from .store import prepare_folder

        folder = Path(folder)
        prepare_folder(folder)  # new or empty, and writable (FileExistsError if it is not empty)
        atomic_write_text(folder / "a.yaml", self.a.to_yaml())
        atomic_write_text(folder / "b.yaml", self.b.to_yaml())
        for name in ("table", "kpis_a", "kpis_b"):
            atomic_write_parquet(folder / f"{'comparison' if name == 'table' else name}.parquet", getattr(self, name))
        atomic_write_json(folder / MANIFEST, {
            "kind": "compare", "name": f"{self.a.name}-vs-{self.b.name}", "a": self.a.name, "b": self.b.name,
            "seed": self.seed, "replications": self.replications, "ccsim_version": __version__,
            "command": command_line(), "finished": now_iso(), "status": "complete",
        })
        return folder

    @classmethod
    def read(cls, folder: str | Path) -> "Comparison":
        folder = Path(folder)
        manifest = read_manifest(folder)
        return cls(a=load_scenario(folder / "a.yaml"), b=load_scenario(folder / "b.yaml"), seed=manifest["seed"],
                   replications=manifest["replications"], table=pd.read_parquet(folder / "comparison.parquet"),
                   kpis_a=pd.read_parquet(folder / "kpis_a.parquet"), kpis_b=pd.read_parquet(folder / "kpis_b.parquet"))


def run_comparison(
    a: Scenario | str | Path | Mapping[str, Any],
    b: Scenario | str | Path | Mapping[str, Any] | None = None,
    reps: int = 10,
    seed: int | None = None,
    overrides_b: Sequence[str] = (),
    workers: int | None = 1,
    progress: Callable[[int, int], None] | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> Comparison:
    """Run A and B on the same callers, paired by replication; keep both runs and the table.

    Args:
        a: the baseline scenario.
        b: the alternative; ``None`` means A with ``overrides_b`` applied.
        reps: replications of each (paired by replication number).
        seed: the seed both use; default A's seed.
        overrides_b: ``PATH=VALUE`` changes applied to B.
        workers: worker processes for the replications (see :func:`ccsim.run`).
        progress: called as ``progress(done, total)`` over the 2 x ``reps`` replications.
        executor, scheduler: where to run (see :func:`ccsim.run`).
    """
    sa = load_scenario(a)
    sb = load_scenario(sa if b is None else b, overrides_b)
    if b is None and not overrides_b:
        raise ValueError("give scenario B, or overrides that turn A into B")
    seed = sa.seed if seed is None else seed

    def offset(first: int):  # B's replications count after A's
        return None if progress is None else lambda done, _: progress(first + done, 2 * reps)

    where = {"workers": workers, "executor": executor, "scheduler": scheduler, "keep_contacts": False}
    ra = run(sa, reps=reps, seed=seed, progress=offset(0), **where)
    rb = run(sb, reps=reps, seed=seed, progress=offset(reps), **where)
    return Comparison(sa, sb, seed, reps, paired_table(ra.kpis, rb.kpis), ra.kpis, rb.kpis)


def paired_table(kpis_a: pd.DataFrame, kpis_b: pd.DataFrame) -> pd.DataFrame:
    """Paired comparison of two per-replication KPI tables (rows matched by ``replication``)."""
    merged = kpis_a.merge(kpis_b, on="replication", suffixes=("_a", "_b"))
    rows = []
    for kpi in RUN_KPIS:
        xa, xb = merged[f"{kpi}_a"].to_numpy(float), merged[f"{kpi}_b"].to_numpy(float)
        diff = xb - xa
        mean, low, high = mean_ci(diff)
        var_paired = np.nanvar(diff, ddof=1) if np.sum(~np.isnan(diff)) > 1 else np.nan
        both = min(np.sum(~np.isnan(xa)), np.sum(~np.isnan(xb))) > 1
        var_independent = np.nanvar(xa, ddof=1) + np.nanvar(xb, ddof=1) if both else np.nan
        reduction = var_independent / var_paired if var_paired and var_paired > 0 else np.nan
        rows.append({
            "kpi": kpi,
            "a_mean": float(np.nanmean(xa)) if np.any(~np.isnan(xa)) else np.nan,
            "b_mean": float(np.nanmean(xb)) if np.any(~np.isnan(xb)) else np.nan,
            "diff": mean, "ci_low": low, "ci_high": high,
            "verdict": verdict(kpi, mean, low, high),
            "variance_reduction": reduction,
        })
    return pd.DataFrame(rows)


def verdict(kpi: str, mean: float, low: float, high: float) -> str:
    """B against A: 'better' / 'worse' when the CI excludes 0 ('higher' / 'lower' for KPIs with
    no good direction), 'no significant difference' when it contains 0 or cannot be computed."""
    if np.isnan(mean):
        return "undefined"
    if np.isnan(low) or low <= 0 <= high:
        return SAME
    direction = DIRECTION.get(kpi, 0)
    if direction == 0:
        return "higher" if mean > 0 else "lower"
    return "better" if (mean > 0) == (direction > 0) else "worse"
