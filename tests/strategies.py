"""Hypothesis strategies: small random but valid scenarios."""

from __future__ import annotations

from hypothesis import strategies as st

N_INTERVALS = 4  # 4 intervals of 15 minutes: one simulated hour

dists = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(5, 400)),
    st.builds(lambda m, cv: {"dist": "lognormal", "mean": m, "cv": cv}, st.floats(5, 400), st.floats(0.1, 2)),
    st.builds(lambda m, cv: {"dist": "gamma", "mean": m, "cv": cv}, st.floats(5, 400), st.floats(0.2, 2)),
    st.builds(lambda v: {"dist": "deterministic", "value": v}, st.floats(0, 300)),
    st.builds(lambda vs: {"dist": "empirical", "values": vs}, st.lists(st.floats(0, 500), min_size=1, max_size=5)),
)
staffing = st.one_of(st.integers(0, 6), st.lists(st.integers(0, 6), min_size=N_INTERVALS, max_size=N_INTERVALS))
rates = st.one_of(st.floats(0, 400), st.lists(st.floats(0, 400), min_size=N_INTERVALS, max_size=N_INTERVALS))


@st.composite
def scenarios(draw) -> dict:
    """A one-hour center with 1-3 skills, 1-3 pools, overflow routes and finite or infinite patience."""
    n_skills = draw(st.integers(1, 3))
    skills = [f"s{k}" for k in range(n_skills)]
    n_intents = draw(st.integers(1, 3))
    intent_skills = [skills[draw(st.integers(0, n_skills - 1))] for _ in range(n_intents)]
    intents = [
        {"name": f"i{k}", "share": 1 / n_intents, "skill": intent_skills[k], "handle_time": draw(dists)}
        for k in range(n_intents)
    ]
    pools = []
    for p in range(draw(st.integers(1, 3))):
        chosen = draw(st.lists(st.sampled_from(skills), min_size=1, max_size=n_skills, unique=True))
        routes = [s if draw(st.booleans()) else {"skill": s, "after": draw(st.floats(1, 120))} for s in chosen]
        pools.append({"name": f"p{p}", "agents": draw(staffing), "skills": routes})
    served = {r if isinstance(r, str) else r["skill"] for pool in pools for r in pool["skills"]}
    for missing in sorted(set(intent_skills) - served):
        pools.append({"name": f"cover-{missing}", "agents": draw(staffing), "skills": [missing]})
    segments = [
        {"name": "patient", "share": 0.5},
        {"name": "impatient", "share": 0.5, "patience": draw(dists)},
    ] if draw(st.booleans()) else [{"name": "all", "share": 1.0, "patience": draw(dists)}]
    if draw(st.booleans()):  # impatient callers who may call again
        segments[-1]["redial"] = {"after_abandon": draw(st.floats(0, 1)), "delay": draw(dists),
                                  "max_contacts": draw(st.integers(1, 4))}
    return {
        "name": "prop",
        "seed": draw(st.integers(0, 2**32)),
        "horizon": {"hours": 1, "interval_minutes": 60 / N_INTERVALS,
                    "warmup_minutes": draw(st.sampled_from([0, 10])), "drain": draw(st.booleans())},
        "arrivals": {"rate_per_hour": draw(rates)},
        "segments": segments,
        "intents": intents,
        "pools": pools,
    }
