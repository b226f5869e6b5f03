"""Staffing speed: ``ccsim staff`` on a single-skill day and on the retail bank, timed from outside.

Run:  python bench/staffing.py                 (3 runs of each; about 10 minutes on 2 cores)
      python bench/staffing.py --runs 1 --no-bank

The single-skill day: 48 half-hour intervals (00:00-24:00), 6,480 calls, a peak of 600 calls
an hour at 10:00-11:00, lognormal handle times (mean 180 s, cv 1), exponential patience
(mean 120 s); target SL >= 80% @ 20 s in every interval. The bank: scenarios/retail_bank_day.yaml
(24 intervals, three pools with overflow), the same target. Each run is the command a planner
types, timed by ``/usr/bin/time`` (wall, user and system seconds of the command and its worker
processes); the medians are printed, with what the search did (rounds, replications simulated,
the naive search's replications: every interval and pool, every count from 0 up to the one
found, on the same replications) and its proof.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent


def single_skill_day() -> dict:
    hours = np.arange(48) / 2
    shape = np.interp(hours, [0, 6, 8, 10, 11, 13, 14, 17, 20, 22, 24],
                      [0.05, 0.05, 0.4, 1.0, 1.0, 0.8, 0.85, 0.8, 0.4, 0.15, 0.05])
    return {"name": "single-skill-day", "seed": 1, "horizon": {"hours": 24, "interval_minutes": 30},
            "arrivals": {"rate_per_hour": [round(600 * x) for x in shape]},
            "segments": [{"name": "all", "share": 1.0, "patience": {"dist": "exponential", "mean": 120}}],
            "intents": [{"name": "general", "share": 1.0, "skill": "general",
                         "handle_time": {"dist": "lognormal", "mean": 180, "cv": 1.0}}],
            "pools": [{"name": "agents", "agents": 35, "skills": ["general"], "cost_per_hour": 30}]}


def timed(scenario: Path, extra: list[str]) -> tuple[float, float, dict]:
    """One ``ccsim staff`` run: wall seconds, CPU seconds (user + system, workers included), its JSON."""
    exe = shutil.which("ccsim", path=os.path.dirname(sys.executable)) or "ccsim"
    with tempfile.NamedTemporaryFile(suffix=".time") as timing:
        proc = subprocess.run(["/usr/bin/time", "-f", "%e %U %S", "-o", timing.name, exe, "staff", str(scenario),
                               "--target", "sl=0.8@20", "--json", "--no-save", *extra],
                              capture_output=True, text=True, check=True)
        wall, user, system = (float(x) for x in Path(timing.name).read_text().split()[-3:])
    return wall, user + system, json.loads(proc.stdout)


def bench(label: str, scenario: Path, runs: int, extra: list[str]) -> None:
    walls, cpus, found = [], [], None
    for _ in range(runs):
        wall, cpu, found = timed(scenario, extra)
        walls.append(wall)
        cpus.append(cpu)
        print(f"  {label}: {wall:6.1f} s wall, {cpu:6.1f} s CPU", flush=True)
    s, p = found["search"], found["proof"]
    load = os.getloadavg()[0]
    print(f"{label}: median {statistics.median(walls):.1f} s wall ({min(walls):.1f}-{max(walls):.1f}), "
          f"{statistics.median(cpus):.1f} s CPU over {runs} run(s); load average now {load:.1f}")
    print(f"  search: {s['rounds']} rounds, {s['replications']:,} replications simulated "
          f"(sample of {s['sample']}); a naive search: {s['naive_replications']:,} "
          f"({s['naive_replications'] / s['replications']:.1f}x)")
    print(f"  proof: verified {p['verified']} in {p['verification_rounds']} round(s); {p['checks_passed']} of "
          f"{p['checks']} single removals make an interval miss; {p['proofs']} proof(s)")
    hours, cost, day = found["agent_hours"], found["cost"], found["day"]
    print(f"  agent-hours {hours['current']['all']:,.1f} -> {hours['required']['all']:,.1f}; cost "
          f"{cost['current']:,.0f} -> {cost['required']:,.0f}; day SL {day['current']['service_level']['mean']:.1%}"
          f" -> {day['required']['service_level']['mean']:.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-bank", action="store_true", help="only the single-skill day")
    parser.add_argument("--workers", default="2")
    args = parser.parse_args()
    extra = ["--workers", args.workers]
    print(f"{os.cpu_count()} cores; ccsim staff --target sl=0.8@20 (20 replications, mean, with the proof)")
    with tempfile.TemporaryDirectory() as folder:
        day = Path(folder) / "single_skill_day.yaml"
        day.write_text(yaml.safe_dump(single_skill_day(), sort_keys=False))
        bench("single-skill day (48 intervals)", day, args.runs, extra)
    if not args.no_bank:
        bench("retail_bank_day.yaml (24 intervals x 3 pools)", ROOT / "scenarios" / "retail_bank_day.yaml",
              args.runs, extra)


if __name__ == "__main__":
    main()
