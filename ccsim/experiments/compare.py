"""Paired comparison of two scenarios: is B really better than A, or is it noise?

"Does adding four generalists in the morning lower the abandon rate?" Both scenarios are run
with the same seed, so replication r of A and replication r of B see the same callers (common
random numbers); the difference B − A is computed replication by replication and its 95%
confidence interval says whether the change is real. Each KPI knows its direction (a lower
wait is better, a higher service level is better), so the verdict is in the planner's words.
The table also says how much the pairing narrowed the interval: the variance of B − A from
independent runs, Var(A) + Var(B), over the variance of the paired differences.

Several alternatives are compared with one baseline the same way ("the flat menu, and the deep
menu with zero-out"): each B against A, all on the same callers, in one table. A B made from A
with ``--set`` changes is named by them, ``transfer-chain[pools.tier1.flexibility=0.6]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.stats import is_rate, mean_ci
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

    Takes the arguments of :func:`run_comparison` and returns its table: one row per KPI (and
    per scenario B, when several are compared with A) with ``b, kpi, a_mean, b_mean, diff,
    ci_low, ci_high, verdict, variance_reduction``; ``b`` names the scenario B.

    Example:
        >>> ccsim.compare("scenarios/retail_bank_day.yaml", overrides_b=["pools.generalists.agents=24"])
        >>> ccsim.compare("scenarios/ivr_menu.yaml", ["scenarios/ivr_menu_flat.yaml", "scenarios/ivr_menu.yaml"],
        ...               overrides_b=["ivr.zero_out.share=0.8"])   # each against the first
    """
    return run_comparison(*args, **kwargs).table


def variant_label(name: str, overrides: Sequence[str] = ()) -> str:
    """How a scenario B is named in titles, tables, JSON and folders: its name, and the
    ``--set`` changes that made it, e.g. ``transfer-chain[pools.tier1.flexibility=0.6]``."""
    return f"{name}[{', '.join(overrides)}]" if overrides else name


def comparison_name(a: str, labels: Sequence[str]) -> str:
    """The name of a comparison's results folder (before its time stamp): ``<a>-vs-<b>``,
    ``<a>-vs-<b>-and-<c>``, with characters a shell or a file system trips on replaced."""
    safe = [re.sub(r"[^A-Za-z0-9_.=,+-]+", "_", label.replace(", ", ",")).strip("_") for label in labels]
    return f"{a}-vs-{'-and-'.join(safe)}"


@dataclass
class Comparison:
    """Scenario A and one or more scenarios B run on the same callers: every run's KPIs and the
    paired table (each B against A)."""

    a: Scenario
    variants: list[Scenario]
    seed: int
    replications: int
    table: pd.DataFrame
    kpis_a: pd.DataFrame
    kpis_variants: list[pd.DataFrame]
    labels: list[str] = field(default_factory=list)  # one per variant; default: their names

    def __post_init__(self) -> None:
        if not self.labels:
            self.labels = [v.name for v in self.variants]

    @property
    def b(self) -> Scenario:
        """The (first) scenario B."""
        return self.variants[0]

    @property
    def kpis_b(self) -> pd.DataFrame:
        return self.kpis_variants[0]

    @property
    def b_label(self) -> str:
        return self.labels[0]

    @property
    def name(self) -> str:
        return comparison_name(self.a.name, self.labels)

    def write(self, folder: str | Path) -> Path:
        """Save into an empty or new folder: manifest, the scenarios, the tables (``b.yaml`` and
        ``kpis_b.parquet`` for the first B, ``b2.yaml``, ``kpis_b2.parquet``, ... for more).

        Raises:
            FileExistsError: the folder is not empty.
            OSError: the folder cannot be created or written (the reason in the message).
        """
        from ..version import __version__
        from .store import prepare_folder

        folder = Path(folder)
        prepare_folder(folder)  # new or empty, and writable (FileExistsError if it is not empty)
        atomic_write_text(folder / "a.yaml", self.a.to_yaml())
        atomic_write_parquet(folder / "comparison.parquet", self.table)
        atomic_write_parquet(folder / "kpis_a.parquet", self.kpis_a)
        for k, (scenario, kpis) in enumerate(zip(self.variants, self.kpis_variants, strict=True)):
            atomic_write_text(folder / f"{_stem(k)}.yaml", scenario.to_yaml())
            atomic_write_parquet(folder / f"kpis_{_stem(k)}.parquet", kpis)
        atomic_write_json(folder / MANIFEST, {
            "kind": "compare", "name": self.name, "a": self.a.name, "b": self.b_label, "variants": self.labels,
            "seed": self.seed, "replications": self.replications, "ccsim_version": __version__,
            "command": command_line(), "finished": now_iso(), "status": "complete",
        })
        return folder

    def files(self) -> list[str]:
        """The tables :meth:`write` writes."""
        return ["comparison.parquet", "kpis_a.parquet",
                *(f"kpis_{_stem(k)}.parquet" for k in range(len(self.variants)))]

    @classmethod
    def read(cls, folder: str | Path) -> Comparison:
        folder = Path(folder)
        manifest = read_manifest(folder)
        labels = manifest.get("variants") or [manifest.get("b")]
        table = pd.read_parquet(folder / "comparison.parquet")
        if "b" not in table.columns:  # written before several Bs: one B, named in the manifest
            table.insert(0, "b", labels[0])
        variants = [load_scenario(folder / f"{_stem(k)}.yaml") for k in range(len(labels))]
        return cls(a=load_scenario(folder / "a.yaml"), variants=variants, seed=manifest["seed"],
                   replications=manifest["replications"], table=table,
                   kpis_a=pd.read_parquet(folder / "kpis_a.parquet"),
                   kpis_variants=[pd.read_parquet(folder / f"kpis_{_stem(k)}.parquet") for k in range(len(labels))],
                   labels=[label or v.name for label, v in zip(labels, variants, strict=True)])


def _stem(k: int) -> str:
    return "b" if k == 0 else f"b{k + 1}"


def run_comparison(
    a: Scenario | str | Path | Mapping[str, Any],
    b: Scenario | str | Path | Mapping[str, Any] | Sequence[Scenario | str | Path | Mapping[str, Any]] | None = None,
    reps: int = 10,
    seed: int | None = None,
    overrides_b: Sequence[str] = (),
    workers: int | None = 1,
    progress: Callable[[int, int], None] | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    labels: Sequence[str] | None = None,
) -> Comparison:
    """Run A and each B on the same callers, paired by replication; keep every run and the table.

    Args:
        a: the baseline scenario.
        b: the alternative, or a list of alternatives (each compared with A); ``None`` means A
            with ``overrides_b`` applied.
        reps: replications of each (paired by replication number).
        seed: the seed all use; default A's seed.
        overrides_b: ``PATH=VALUE`` changes applied to every B; they name it in the table
            (``transfer-chain[pools.tier1.flexibility=0.6]``).
        workers: worker processes for the replications (see :func:`ccsim.run`).
        progress: called as ``progress(done, total)`` over all (1 + number of Bs) x ``reps``
            replications.
        executor, scheduler: where to run (see :func:`ccsim.run`).
        labels: a name for each B in the table (default: its name and ``overrides_b``).
    """
    if b is None and not overrides_b:
        raise ValueError("give scenario B, or overrides that turn A into B")
    sa = load_scenario(a)
    given = [sa] if b is None else list(b) if _several(b) else [b]
    if not given:
        raise ValueError("give at least one scenario B")
    variants = [load_scenario(v, overrides_b) for v in given]
    if labels is not None and len(labels) != len(variants):
        raise ValueError(f"give one label per scenario B ({len(variants)}), got {len(labels)}")
    named = list(labels) if labels is not None else [variant_label(v.name, overrides_b) for v in variants]
    labels = unique_labels(named)
    seed = sa.seed if seed is None else seed
    total = (1 + len(variants)) * reps

    def offset(first: int):  # each B's replications count after A's and the Bs' before it
        return None if progress is None else lambda done, _: progress(first + done, total)

    where = {"workers": workers, "executor": executor, "scheduler": scheduler, "keep_contacts": False}
    ra = run(sa, reps=reps, seed=seed, progress=offset(0), **where)
    runs = [run(v, reps=reps, seed=seed, progress=offset((k + 1) * reps), **where) for k, v in enumerate(variants)]
    tables = []
    for label, rb in zip(labels, runs, strict=True):
        part = paired_table(ra.kpis, rb.kpis)
        part.insert(0, "b", label)
        tables.append(part)
    return Comparison(sa, variants, seed, reps, pd.concat(tables, ignore_index=True), ra.kpis,
                      [r.kpis for r in runs], labels)


def _several(b: Any) -> bool:
    return isinstance(b, Sequence) and not isinstance(b, (str, bytes))


def unique_labels(labels: list[str]) -> list[str]:
    """Labels told apart: the second ``ivr-menu`` becomes ``ivr-menu#2``."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out


def paired_table(kpis_a: pd.DataFrame, kpis_b: pd.DataFrame) -> pd.DataFrame:
    """Paired comparison of two per-replication KPI tables (rows matched by ``replication``).

    The difference of two shares is in [-1, 1] (its interval is clipped there); other
    differences keep their Student-t interval, which may well be negative.
    """
    merged = kpis_a.merge(kpis_b, on="replication", suffixes=("_a", "_b"))
    rows = []
    for kpi in RUN_KPIS:
        xa, xb = merged[f"{kpi}_a"].to_numpy(float), merged[f"{kpi}_b"].to_numpy(float)
        diff = xb - xa
        mean, low, high = mean_ci(diff)
        if is_rate(kpi) and not np.isnan(low):  # two shares differ by at most 100 points
            low, high = max(low, -1.0), min(high, 1.0)
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
