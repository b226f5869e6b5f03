"""The result of a run: tables for a notebook, a summary with confidence intervals, files.

What a planner takes away from "run the bank's Monday ten times": one row of KPIs per
simulated day (``kpis``), the same per half hour (``intervals``), agent time per pool
(``pools``, ``pool_intervals``), every contact (``contacts``), and ``summary()`` — the mean of
each KPI with its 95% confidence interval. ``write(folder)`` saves it all as Parquet beside
the resolved scenario, each file written atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..analysis.formats import RATES, format_kpi, json_float  # noqa: F401  (re-exported)
from ..analysis.kpis import CONTACT_KPIS, CUSTOMER_KPIS
from ..analysis.stats import summarize
from ..analysis.tables import COUNT_COLUMNS, GROUP_KPIS, TABLES, frames
from ..spec.loading import load_scenario
from ..spec.scenario import Scenario
from .store import (
    MANIFEST,
    _json_default,
    atomic_write_json,
    atomic_write_parquet,
    atomic_write_text,
    command_line,
    read_manifest,
)

if TYPE_CHECKING:
    from ..analysis.tables import Replication

#: The KPIs of a run summary, in the order they are shown.
RUN_KPIS = (*CONTACT_KPIS, *CUSTOMER_KPIS, "agent_cost", "cost", "cost_per_resolved")
#: KPIs of mechanisms a scenario may not have (IVR, transfers, holds, ...): the run table
#: leaves them out when they are 0 or undefined, so a plain queue's table stays short.
JOURNEY_KPIS = ("unresolved", "contained", "ivr_abandoned", "hold_abandoned", "dropped", "redirected",
                "ivr_abandon_rate", "containment_rate", "misroute_rate", "transfers_per_contact",
                "lost_intents_per_contact", "hold_abandon_rate", "callbacks", "in_system", "short_abandons",
                "telephony_cost", "agent_cost", "cost", "cost_per_resolved", "wrapup_seconds", "blocked", "balked",
                "cleared", "messages", "messages_handled", "block_rate", "balk_rate")
POOL_SUMMARY_KPIS = ("occupancy", "staffed_hours", "paid_hours", "busy_hours", "handled", "agent_occupancy_sd",
                     "agent_occupancy_min", "agent_occupancy_max")
INTERVAL_SUMMARY_KPIS = ("arrivals", "offered", "abandon_rate", "asa_seconds", "service_level", "staffed")

#: Files a run writes into its output folder (``write`` refuses to overwrite them unasked).
RUN_FILES = ("manifest.json", "scenario.yaml", "summary.json", "kpis.parquet",
             *(f"{name}.parquet" for name in TABLES), "contacts.parquet")


@dataclass
class RunResult:
    """Replications of one scenario: per-replication tables and their summaries."""

    scenario: Scenario
    seed: int
    replications: int
    kpis: pd.DataFrame
    intervals: pd.DataFrame
    pools: pd.DataFrame
    pool_intervals: pd.DataFrame
    chains: pd.DataFrame
    contacts: pd.DataFrame | None
    queues: pd.DataFrame | None = None  # per replication x queue (the first queue joined)
    queue_intervals: pd.DataFrame | None = None  # per replication x queue x interval
    segments: pd.DataFrame | None = None  # per replication x segment
    simulated_contacts: int = 0
    simulation_seconds: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_replications(cls, scenario: Scenario, seed: int, reps: list[Replication],
                          started: float, finished: float) -> RunResult:
        reps = sorted(reps, key=lambda r: r.replication)
        kpis = pd.DataFrame([{"replication": r.replication, **r.kpis} for r in reps])
        for column in COUNT_COLUMNS & set(kpis.columns):
            kpis[column] = kpis[column].astype("int64")
        tables = frames(scenario, reps)
        contacts = [r.contacts for r in reps if r.contacts is not None]
        from ..version import __version__

        return cls(
            scenario=scenario,
            seed=seed,
            replications=len(reps),
            kpis=kpis,
            **tables,
            contacts=pd.concat(contacts, ignore_index=True) if contacts else None,
            simulated_contacts=sum(r.n_contacts for r in reps),
            simulation_seconds=sum(r.seconds for r in reps),
            meta={
                "ccsim_version": __version__,
                "scenario": scenario.name,
                "seed": seed,
                "replications": len(reps),
                "started": _iso(started),
                "finished": _iso(finished),
            },
        )

    # -- summaries ------------------------------------------------------------------------------

    def summary(self) -> pd.DataFrame:
        """Mean and 95% CI of every KPI over replications; one row per KPI."""
        return summarize(self.kpis, list(RUN_KPIS)).set_index("kpi")

    def pool_summary(self) -> pd.DataFrame:
        """Mean and 95% CI of each pool's occupancy, hours and contacts handled."""
        return summarize(self.pools, list(POOL_SUMMARY_KPIS), by=["pool"])

    def interval_summary(self) -> pd.DataFrame:
        """Mean and 95% CI of the main KPIs per interval (rows: interval × KPI)."""
        return summarize(self.intervals, list(INTERVAL_SUMMARY_KPIS), by=["interval", "clock"])

    def queue_summary(self) -> pd.DataFrame:
        """Mean and 95% CI of each queue's KPIs (service level at the queue's own threshold)."""
        if self.queues is None:
            return pd.DataFrame(columns=["queue", "kpi", "mean", "ci_low", "ci_high", "n"])
        return summarize(self.queues, list(GROUP_KPIS), by=["queue"], sort=False)

    def segment_summary(self) -> pd.DataFrame:
        """Mean and 95% CI of each caller segment's KPIs."""
        if self.segments is None:
            return pd.DataFrame(columns=["segment", "kpi", "mean", "ci_low", "ci_high", "n"])
        return summarize(self.segments, list(GROUP_KPIS), by=["segment"], sort=False)

    def chain_summary(self) -> pd.DataFrame:
        """Answered contacts by transfer-chain length: share (mean and 95% CI) per length."""
        return summarize(self.chains, ["share", "contacts"], by=["transfers"])

    def to_json_dict(self) -> dict[str, Any]:
        """The summary as plain data: ``{"scenario", "replications", "kpis", "pools", ...}``."""
        summary = self.summary()
        kpis = {k: _triple(summary.loc[k]) for k in summary.index}
        pools: dict[str, dict[str, Any]] = {}
        for row in self.pool_summary().itertuples(index=False):
            pools.setdefault(row.pool, {})[row.kpi] = _triple(row)
        chains: dict[str, dict[str, Any]] = {}
        for row in self.chain_summary().itertuples(index=False):
            chains.setdefault(str(row.transfers), {})[row.kpi] = _triple(row)
        queues: dict[str, dict[str, Any]] = {}
        for row in self.queue_summary().itertuples(index=False):
            queues.setdefault(row.queue, {})[row.kpi] = _triple(row)
        for name, settings in queues.items():
            settings["sl_seconds"] = self.scenario.service_level_seconds_of(name)
        segments: dict[str, dict[str, Any]] = {}
        for row in self.segment_summary().itertuples(index=False):
            segments.setdefault(row.segment, {})[row.kpi] = _triple(row)
        return {
            "scenario": self.scenario.name,
            "replications": self.replications,
            "seed": self.seed,
            "service_level_definition": self.scenario.service_level_definition,
            "kpis": kpis,
            "pools": pools,
            "queues": queues,
            "segments": segments,
            "transfer_chains": chains,
        }

    # -- files ----------------------------------------------------------------------------------

    def write(self, folder: str | Path, overwrite: bool = False) -> Path:
        """Write the resolved scenario, the summary and every table into ``folder``.

        Each file is written to a temporary name and renamed, so an interrupted write leaves
        either the old file or the new one, never half of one; the manifest says
        ``"status": "writing"`` until the last table is in place. Files get the permissions
        the user's umask gives any new file.

        Raises:
            FileExistsError: if the folder already holds run files and ``overwrite`` is False.
            OSError: if the folder cannot be created or written (the reason in the message).
        """
        from .store import prepare_folder

        folder = Path(folder)
        prepare_folder(folder, RUN_FILES, overwrite)
        existing = [name for name in RUN_FILES if (folder / name).exists()]
        manifest = {"kind": "run", "name": self.scenario.name, **self.meta, "command": command_line()}
        atomic_write_json(folder / MANIFEST, {**manifest, "status": "writing"})
        atomic_write_text(folder / "scenario.yaml", self.scenario.to_yaml())
        atomic_write_text(folder / "summary.json",
                          json.dumps({**self.meta, **self.to_json_dict()}, indent=2, default=_json_default))
        tables = {"kpis": self.kpis, **{name: getattr(self, name, None) for name in TABLES},
                  "contacts": self.contacts}
        tables = {name: frame for name, frame in tables.items() if frame is not None}
        for name, frame in tables.items():
            atomic_write_parquet(folder / f"{name}.parquet", frame)
        # An older run's file that this run does not write (contacts not kept) would be
        # mistaken for this run's: the user asked to replace the results, so it goes.
        for name in set(existing) - {MANIFEST, "scenario.yaml", "summary.json"} - {f"{t}.parquet" for t in tables}:
            (folder / name).unlink()
        atomic_write_json(folder / MANIFEST, {**manifest, "status": "complete"})
        return folder

    @classmethod
    def read(cls, folder: str | Path) -> RunResult:
        """A run written by :meth:`write`, read back (e.g. ``ccsim.load_results`` in a notebook)."""
        folder = Path(folder)
        manifest = read_manifest(folder)
        scenario = load_scenario(folder / "scenario.yaml")
        tables = {name: pd.read_parquet(folder / f"{name}.parquet")
                  for name in ("kpis", *TABLES) if (folder / f"{name}.parquet").exists()}
        contacts = pd.read_parquet(folder / "contacts.parquet") if (folder / "contacts.parquet").exists() else None
        meta = {k: manifest[k] for k in ("ccsim_version", "scenario", "seed", "replications", "started", "finished")
                if k in manifest}
        return cls(scenario=scenario, seed=manifest["seed"], replications=manifest["replications"],
                   contacts=contacts, simulated_contacts=0, simulation_seconds=0.0, meta=meta, **tables)


def _triple(row: Any) -> dict[str, float | None]:
    get = row.get if isinstance(row, pd.Series) else lambda k: getattr(row, k)
    return {k: json_float(get(k)) for k in ("mean", "ci_low", "ci_high")}


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat(timespec="seconds")
