"""Sweep speed: workers=1 against workers=2, and the overhead of the Dask executor.

Run:  python bench/sweep.py            (a few minutes on 2 cores)
      python bench/sweep.py --quick

A 28-point x 10-replication sweep (the shipped tier-1 staffing x script flexibility grid on
the transfer-chain center) with workers=1 and workers=2 in the same run, and the speed-up. Then the Dask
executor on a local cluster of 2 workers: its time on the same sweep, and its overhead per
task measured with tasks that do nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ccsim  # noqa: E402
from ccsim.experiments.executors import run_tasks  # noqa: E402
from ccsim.experiments.sweeps import _chunks  # noqa: E402

SPEC = ROOT / "scenarios" / "sweeps" / "staffing_vs_flexibility.yaml"


def timed_sweep(reps: int, repeats: int = 1, **where) -> tuple[float, ccsim.SweepResult]:
    """Best time of ``repeats`` runs (timings on a shared machine are noisy; the best is the
    least disturbed), and the result."""
    best = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            result = ccsim.sweep(SPEC, reps=reps, out=Path(folder) / "s", **where)
            best = min(best, time.perf_counter() - started)
    return best, result


def nothing(i: int) -> int:
    return i


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 replications instead of 10")
    args = parser.parse_args()
    reps, repeats = (3, 1) if args.quick else (10, 2)
    t1, r1 = timed_sweep(reps, repeats, workers=1)
    t2, r2 = timed_sweep(reps, repeats, workers=2)
    assert r1.runs.equals(r2.runs), "workers=1 and workers=2 must give identical results"
    n = len(r1.runs)
    print(f"sweep: {len(r1.points)} points x {reps} replications = {n} replications")
    print(f"  best of {repeats} runs each")
    print(f"  workers=1: {t1:6.1f} s  ({n / t1:5.1f} replications/s)")
    print(f"  workers=2: {t2:6.1f} s  ({n / t2:5.1f} replications/s)   speed-up {t1 / t2:.2f}x")
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("dask: not installed (pip install -e '.[dask]')")
        return
    td, rd = timed_sweep(reps, workers=2, executor="dask")
    assert r1.runs.equals(rd.runs), "the Dask executor must give identical results"
    print(f"  dask (local cluster, 2 workers, startup included): {td:6.1f} s   speed-up {t1 / td:.2f}x")
    from distributed import LocalCluster

    pending = {k: list(range(reps)) for k in range(len(r1.points))}
    per_task = n / len(_chunks(pending, 2))
    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        tasks = [(i,) for i in range(2000)]
        started = time.perf_counter()
        count = sum(1 for _ in run_tasks(nothing, tasks, executor="dask", scheduler=cluster.scheduler_address))
        elapsed = time.perf_counter() - started
    print(f"  dask overhead per task (running cluster, empty tasks): {1000 * elapsed / count:.2f} ms; "
          f"a sweep task here is {per_task:.0f} replications, about {1000 * per_task * t1 / n:.0f} ms of work")


if __name__ == "__main__":
    main()
