"""The bank backtest as one job: 87 test days x 40 replications, timed.

Run:  /usr/bin/time -v python bench/backtest.py SCENARIO [--workers 2] [--reps 40] [--types PS]
      python bench/backtest.py --calibrate OUT.yaml      (first: calibrate on January-June)

With ``--calibrate`` it runs the protocol's calibration (PS, Sunday-Thursday, 07:00-24:00,
hourly, January-June) into OUT.yaml and stops. Otherwise it backtests SCENARIO on July-October
(the test period), prints the wall time of each phase (reading the log, building the day
scenarios, simulating, scoring) and the replications per second, and leaves the results in a
temporary folder (``--out`` to keep them). The figure in bench/README.md comes from this script
under ``/usr/bin/time`` on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ccsim.planning.backtest import execute_backtest, prepare_backtest  # noqa: E402
from ccsim.planning.calibrate import calibrate, write_calibration  # noqa: E402
from ccsim.planning.cdr import read_cdr  # noqa: E402

BANK = ROOT.parent / "shared" / "data" / "anonymous_bank_1999"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path)
    parser.add_argument("--calibrate", type=Path, metavar="OUT.yaml", help="calibrate on January-June and stop")
    parser.add_argument("--types", default="PS", help="call types, comma-separated, or all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reps", type=int, default=40)
    parser.add_argument("--test", default="1999-07..1999-10")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if not BANK.is_dir():
        sys.exit(f"the bank's log is not at {BANK}")
    started = time.perf_counter()
    calls = read_cdr(BANK, "anonymous_bank")
    read = time.perf_counter()
    print(f"read the log: {read - started:.1f} s ({len(calls):,} calls)")
    if args.calibrate:
        types = None if args.types == "all" else args.types.split(",")
        result = calibrate(calls, "1999-01..1999-06", types=types, workers=args.workers)
        result.settings.log = str(BANK)
        write_calibration(result, args.calibrate, overwrite=True)
        print(f"calibrated: {time.perf_counter() - read:.1f} s; fitted {result.fit.best}; written to {args.calibrate}")
        return
    if args.scenario is None:
        parser.error("give SCENARIO (or --calibrate OUT.yaml)")
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch) / "bt"
        prepared = prepare_backtest(str(args.scenario), calls, args.test, reps=args.reps, out=out,
                                    log_name=str(BANK))
        built = time.perf_counter()
        print(f"built {len(prepared.scenarios)} day scenarios: {built - read:.1f} s")
        timing = {}

        def progress(done: int, total: int) -> None:
            timing.setdefault("first", time.perf_counter())
            if done == total:
                timing["simulated"] = time.perf_counter()
        result = execute_backtest(prepared, workers=args.workers, progress=progress)
        scored = time.perf_counter()
        simulated = timing.get("simulated", scored) - built
        total = len(prepared.scenarios) * args.reps
        print(f"simulated {len(prepared.scenarios)} days x {args.reps} replications = {total:,}: {simulated:.1f} s "
              f"({total / simulated:.1f} replications/s, {args.workers} workers)")
        print(f"scored: {scored - timing.get('simulated', scored):.1f} s")
        print(f"whole backtest (read, build, simulate, score): {scored - started:.1f} s")
        print(result.errors.round(2).to_string())
        print(result.coverage.round(3).to_string())


if __name__ == "__main__":
    main()
