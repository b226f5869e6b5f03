"""Engine speed: ccsim against a minimal idiomatic SimPy model of the same Erlang-A queue.

Run:  python bench/engine.py            (about a minute on 2 cores)
      python bench/engine.py --quick    (smaller horizons, for a smoke check)

Prints contacts per second for a small center (30 agents) and a large one (600 agents), for
ccsim (a whole replication: drawing callers, simulating, computing KPIs from the records) and
for the minimal SimPy model (one process per caller, simpy.Resource, req | timeout(patience)),
their ratio, and the memory per kept contact record. Then the shipped customer-journey
scenarios (transfer chains, IVR menus, research holds, multi-intent contacts with redirects)
over 48 hours: contacts per second and events per contact. Then each mechanism of issues 12
and 16 (after-call work, shifts, shrinkage, absence, priorities, routing rules, capacity,
lines, balking, messages, chat concurrency, busy days, per-intent rates) added alone to the
plain center: its cost per contact. Best of several runs, to keep noise from other processes
out of the figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ccsim  # noqa: E402
from ccsim.engine.model import Model  # noqa: E402
from ccsim.engine.plan import compile_plan  # noqa: E402
from ccsim.engine.streams import Streams  # noqa: E402
from ccsim.experiments.runner import simulate  # noqa: E402


def scenario(rate: float, agents: int, hours: float) -> ccsim.Scenario:
    return ccsim.load_scenario({
        "name": f"bench-{agents}",
        "seed": 1,
        "horizon": {"hours": hours, "interval_minutes": 30, "warmup_minutes": 0},
        "arrivals": {"rate_per_hour": rate},
        "segments": [{"name": "all", "share": 1.0, "patience": {"dist": "exponential", "mean": 120}}],
        "intents": [{"name": "general", "share": 1.0, "skill": "general",
                     "handle_time": {"dist": "exponential", "mean": 180}}],
        "pools": [{"name": "agents", "agents": agents, "skills": ["general"]}],
    })


def simpy_minimal(rate: float, agents: int, hours: float, seed: int) -> int:
    """The textbook SimPy model: a process per caller, a Resource, and req | timeout(patience)."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=agents)
    horizon = hours * 3600
    contacts = 0

    def caller(env):
        with desk.request() as req:
            result = yield req | env.timeout(rng.exponential(120))
            if req in result:
                yield env.timeout(rng.exponential(180))

    def source(env):
        nonlocal contacts
        while True:
            yield env.timeout(rng.exponential(3600 / rate))
            if env.now >= horizon:
                return
            contacts += 1
            env.process(caller(env))

    env.process(source(env))
    env.run()
    return contacts


def best_rate(fn, repeats: int) -> tuple[float, int]:
    best = 0.0
    for r in range(repeats):
        started = time.perf_counter()
        n = fn(r)
        best = max(best, n / (time.perf_counter() - started))
    return best, n


def events_per_contact(s: ccsim.Scenario) -> float:
    center = Model(compile_plan(s), Streams(1, 0)).run()
    return next(center.env._eid) / len(center.records)  # events scheduled, over contacts made


def journeys(repeats: int, hours: float) -> None:
    """The shipped journey scenarios (IVR, transfers, holds, ...), run for ``hours``."""
    root = Path(__file__).resolve().parent.parent / "scenarios"
    print(f"\n{'scenario':<17}{'contacts':>10}{'ccsim/s':>11}{'engine/s':>11}{'events/contact':>16}")
    plain = scenario(560.0, 30, hours)
    cases = [("erlang_a (plain)", plain)] + [
        (name, ccsim.load_scenario(root / f"{name}.yaml", [f"horizon.hours={hours:g}"]))
        for name in ("transfer_chain", "ivr_menu", "hold_styles", "multi_intent")
    ]
    for name, s in cases:
        plan = compile_plan(s)  # once per run, as ccsim.run does
        ccsim_rate, n = best_rate(lambda r, plan=plan: simulate(plan, 1, r, keep_contacts=False).n_contacts, repeats)
        engine_rate, _ = best_rate(lambda r, plan=plan: len(Model(plan, Streams(1, r)).run().records), repeats)
        print(f"{name:<17}{n:>10,}{ccsim_rate:>11,.0f}{engine_rate:>11,.0f}{events_per_contact(s):>16.2f}")


#: Each mechanism of issues 12 and 16 added alone to the plain Erlang-A center (24 h, 30
#: agents, 560 calls/h): what it costs per contact.
MECHANISMS = {
    "after-call work": {"intents.general.wrapup": {"dist": "exponential", "mean": 20}},
    "proficiency": {"pools.agents.proficiency": {"general": 0.9}},
    "shifts + breaks": {"pools.agents.agents": None, "pools.agents.shifts": [
        {"start": "00:00", "hours": 12, "count": 34, "breaks": [{"window": ["03:00", "06:00"], "minutes": 30}]},
        {"start": "12:00", "hours": 12, "count": 34, "breaks": [{"window": ["15:00", "18:00"], "minutes": 30}]}]},
    "shrinkage (fractions)": {"pools.agents.agents": 34, "pools.agents.shrinkage": 0.12},
    "absence": {"pools.agents.agents": 32, "pools.agents.absence": 0.05},
    "priorities (strict)": {"segments": [{"name": "a", "share": 0.8, "patience": {"dist": "exponential", "mean": 120}},
                                         {"name": "b", "share": 0.2, "priority": 1,
                                          "patience": {"dist": "exponential", "mean": 120}}]},
    "longest idle routing": {"routing": {"agent_selection": "longest_idle"}},
    "random routing": {"routing": {"agent_selection": "random"}},
    "least occupied routing": {"routing": {"agent_selection": "least_occupied"}},
    "queue capacity": {"queues": [{"skill": "general", "capacity": 20}]},
    "lines": {"lines": 60},
    "balking": {"segments.all.balk": {"probability": 0.05, "per_minute": 0.05}},
    "messages": {"queues": [{"skill": "general", "message": {"after": 60, "accept": 0.5}}]},
    "chat concurrency 3": {"pools.agents.agents": 10, "pools.agents.concurrency": 3,
                           "pools.agents.slowdown": [1.0, 1.0, 1.0]},
    "busy days": {"arrivals.busyness_cv": 0.1},
    "per-intent rates": {"arrivals": {}, "intents.general.share": None, "intents.general.rate_per_hour": 560},
}


def mechanisms(repeats: int, hours: float) -> None:
    """The cost per contact of each mechanism alone, against the plain center."""
    base = scenario(560.0, 30, hours).to_dict()
    print(f"\n{'mechanism':<24}{'contacts':>10}{'ccsim/s':>11}{'per contact':>13}{'vs plain':>10}")
    plain_rate = None
    for name, changes in [("plain (Erlang A)", {}), *MECHANISMS.items()]:
        data = _with(base, changes)
        plan = compile_plan(ccsim.load_scenario(data))
        rate, n = best_rate(lambda r, plan=plan: simulate(plan, 1, r, keep_contacts=False).n_contacts, repeats)
        plain_rate = plain_rate or rate
        print(f"{name:<24}{n:>10,}{rate:>11,.0f}{1e6 / rate:>11.2f} µs{plain_rate / rate:>9.2f}x")


def _with(data: dict, changes: dict) -> dict:
    """``data`` with dotted-path changes (list items by name); a value None removes the key."""
    import copy

    out = copy.deepcopy(data)
    for path, value in changes.items():
        node, keys = out, path.split(".")
        for key in keys[:-1]:
            node = next(x for x in node if x.get("name") == key) if isinstance(node, list) else node[key]
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short horizons (a smoke check)")
    args = parser.parse_args()
    sizes = [("small", 560.0, 30, 24.0), ("large", 11_400.0, 600, 6.0)]
    repeats = 3
    if args.quick:
        sizes = [(n, r, a, h / 6) for n, r, a, h in sizes]
        repeats = 1
    print(f"{'center':<8}{'agents':>7}{'contacts':>10}{'ccsim/s':>11}{'engine/s':>11}{'simpy/s':>10}{'ratio':>7}")
    for name, rate, agents, hours in sizes:
        plan = compile_plan(scenario(rate, agents, hours))
        ccsim_rate, n = best_rate(lambda r, plan=plan: simulate(plan, 1, r, keep_contacts=False).n_contacts, repeats)
        engine_rate, _ = best_rate(lambda r, plan=plan: len(Model(plan, Streams(1, r)).run().records), repeats)
        simpy_rate, _ = best_rate(lambda r, a=(rate, agents, hours): simpy_minimal(*a, r), repeats)
        print(f"{name:<8}{agents:>7}{n:>10,}{ccsim_rate:>11,.0f}{engine_rate:>11,.0f}{simpy_rate:>10,.0f}"
              f"{ccsim_rate / simpy_rate:>6.1f}x")
    journeys(repeats, hours=8.0 if args.quick else 48.0)
    mechanisms(repeats, hours=4.0 if args.quick else 24.0)
    s = scenario(560.0, 30, 24.0)
    center = Model(compile_plan(s), Streams(1, 0)).run()
    frame = simulate(s, 1, 0).contacts
    print(f"memory per kept contact record: {center.records.nbytes() / len(center.records):.0f} bytes in the "
          f"columnar buffers, {frame.memory_usage(deep=True).sum() / len(frame):.0f} bytes as a DataFrame row")


if __name__ == "__main__":
    main()
