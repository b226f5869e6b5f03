"""The engine of two or more versions of ccsim, timed one after the other in fresh processes.

Run:  git worktree add /tmp/before <commit>
      python bench/versions.py /tmp/before . [--repeats 5] [--rounds 2]

For each version (a checkout's root folder), CPU time of the best of ``repeats`` runs of the
engine alone (``Model(plan, Streams(1, r)).run()``) and of a whole replication (records →
KPIs), GC off: the plain Erlang-A center for 24 h and the journey scenarios for 48 h. The
versions take turns ``rounds`` times, so a drift of the machine's speed hits each alike; a
version is imported in its own process (``python -c`` with its root first on ``sys.path``).
Versions before the subpackages (d959897 and older) are timed through their ``Center``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

CHILD = r'''
import gc, pathlib, sys, time
root, repeats = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, root)
import ccsim
if hasattr(ccsim, "_EXPORTS"):
    from ccsim.engine.model import Model as Engine
    from ccsim.engine.plan import compile_plan
    from ccsim.engine.streams import Streams
    from ccsim.experiments.runner import simulate
else:  # the flat package of d959897 and before
    from ccsim.center import Center as Engine
    from ccsim.runner import simulate
    from ccsim.streams import Streams
    compile_plan = lambda s: s
plain = ccsim.load_scenario({"name": "b", "seed": 1, "horizon": {"hours": 24, "interval_minutes": 30},
    "arrivals": {"rate_per_hour": 560},
    "segments": [{"name": "all", "share": 1.0, "patience": {"dist": "exponential", "mean": 120}}],
    "intents": [{"name": "general", "share": 1.0, "skill": "general",
                 "handle_time": {"dist": "exponential", "mean": 180}}],
    "pools": [{"name": "agents", "agents": 30, "skills": ["general"]}]})
cases = [("small (plain)", plain)] + [
    (name, ccsim.load_scenario(pathlib.Path(root) / "scenarios" / f"{name}.yaml", ["horizon.hours=48"]))
    for name in ("transfer_chain", "multi_intent", "ivr_menu")]
gc.disable()
for name, s in cases:
    plan = compile_plan(s)
    engine, whole = [], []
    for r in range(repeats):
        t = time.process_time(); Engine(plan, Streams(1, r)).run(); engine.append(time.process_time() - t)
        t = time.process_time(); simulate(plan, 1, r, keep_contacts=False); whole.append(time.process_time() - t)
        gc.collect()
    print(f"{name}\t{1000 * min(engine):.1f}\t{1000 * min(whole):.1f}")
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs="+", type=Path, help="checkouts of the versions to time")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    best: dict[tuple[str, str], tuple[float, float]] = {}
    order: list[str] = []
    for _ in range(args.rounds):
        for root in args.roots:
            out = subprocess.run([sys.executable, "-c", CHILD, str(root.resolve()), str(args.repeats)],
                                 capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                name, engine, whole = line.split("\t")
                if name not in order:
                    order.append(name)
                old = best.get((str(root), name), (float("inf"), float("inf")))
                best[str(root), name] = (min(old[0], float(engine)), min(old[1], float(whole)))
    print(f"{'scenario':<16}" + "".join(f"{str(r)[-22:]:>24}" for r in args.roots))
    for name in order:
        cells = "".join(f"{best[str(r), name][0]:>10.1f} /{best[str(r), name][1]:>7.1f} ms  " for r in args.roots)
        print(f"{name:<16}{cells}")
    print("(engine alone / whole replication, CPU ms, best of all runs)")


if __name__ == "__main__":
    main()
