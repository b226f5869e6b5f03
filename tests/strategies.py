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


@st.composite
def journey_scenarios(draw) -> dict:
    """A one-hour center with any of the journey mechanisms: IVR, scripts, transfers, holds,
    secondary intents, channels with redirects, callbacks, redials after unresolved ends."""
    data = draw(scenarios())
    skills = sorted({r if isinstance(r, str) else r["skill"] for pool in data["pools"] for r in pool["skills"]})
    intents = [i["name"] for i in data["intents"]]
    probability = st.floats(0, 1)
    for intent in data["intents"]:
        if draw(st.booleans()):
            intent["authority"] = draw(st.integers(0, 2))
        if draw(st.booleans()):
            intent["research"] = {"probability": draw(probability), "time": draw(dists)}
    for pool in data["pools"]:
        own = {r if isinstance(r, str) else r["skill"] for r in pool["skills"]}
        others = [k for k in skills if k not in own]
        if draw(st.booleans()):
            pool["script"] = draw(st.one_of(st.just("all"), st.lists(st.sampled_from(intents), unique=True)))
        pool.update(flexibility=draw(probability), competence=draw(st.floats(0.3, 1)),
                    authority=draw(st.integers(0, 2)))
        if others and draw(st.booleans()):
            pool["escalate_to"] = draw(st.sampled_from(others))
            pool["offload"] = draw(probability)
    for segment in data["segments"]:
        segment["difficult"] = draw(st.booleans())
        if draw(st.booleans()):
            segment["secondary_intents"] = {"probability": draw(probability), "max": draw(st.integers(1, 3))}
        if draw(st.booleans()):
            segment["ivr_patience"] = draw(dists)
            segment["ivr_skill"] = draw(probability)
        if "redial" in segment:
            segment["redial"]["after_unresolved"] = draw(probability)
    data["transfers"] = {"mode": draw(st.sampled_from(["cold", "warm"])), "max_chain": draw(st.integers(0, 4)),
                         "patience_factor": draw(st.floats(0.3, 1.5)), "priority": draw(st.booleans())}
    data["context"] = {"shared": draw(st.booleans()), "reexplain_time": draw(dists)}
    data["holds"] = {"style": draw(st.sampled_from(["music", "ads", "silence", "checkins"])),
                     "checkin_every_seconds": draw(st.floats(10, 120)), "drop_per_minute": draw(st.floats(0, 0.2))}
    if draw(st.booleans()):
        data["callback"] = {"threshold_seconds": draw(st.floats(0, 300)), "accept": draw(probability)}
    if draw(st.booleans()):
        options = [{"skill": k} for k in skills]
        if draw(st.booleans()):
            options.append({"intents": [draw(st.sampled_from(intents))], "containment": draw(probability),
                            "seconds": draw(st.floats(0, 120))})
        menus = [{"name": "main", "message_seconds": draw(st.floats(0, 30)), "clarity": draw(probability),
                  "options": options}]
        if draw(st.booleans()):  # a submenu under the main menu
            menus[0]["options"] = [{"menu": "sub"}] + options[1:]
            menus.append({"name": "sub", "clarity": draw(probability), "options": options[:1]})
        replay = draw(st.floats(0, 0.5))
        data["ivr"] = {"menus": menus, "replay": replay, "max_replays": draw(st.integers(0, 3))}
        if draw(st.booleans()):
            data["ivr"]["zero_out"] = {"skill": draw(st.sampled_from(skills)), "share": draw(st.floats(0, 0.5))}
    if draw(st.booleans()):
        data["channels"] = [
            {"name": "voice", "share": 0.6},
            {"name": "chat", "share": 0.4, "skill": draw(st.sampled_from(skills)),
             "redirect": {"intents": [draw(st.sampled_from(intents))], "to": "voice",
                          "probability": draw(probability), "delay": draw(dists)}},
        ]
    return data


@st.composite
def center_scenarios(draw) -> dict:
    """A journey scenario with any of the workforce and caller mechanisms of issues 12 and 16:
    after-call work, proficiency, shifts with breaks, shrinkage, absence, fractional agents,
    priorities, routing rules, lines, queue capacity, balking, messages, clearing at closing,
    busy days, chat concurrency, retrials and per-queue service levels."""
    data = draw(journey_scenarios() if draw(st.booleans()) else scenarios())
    skills = sorted({r if isinstance(r, str) else r["skill"] for pool in data["pools"] for r in pool["skills"]})
    probability = st.floats(0, 1)
    for intent in data["intents"]:
        if draw(st.booleans()):
            intent["wrapup"] = draw(dists)
        if draw(st.booleans()):
            intent["handle_time_factor"] = draw(st.lists(st.floats(0.2, 3), min_size=N_INTERVALS, max_size=N_INTERVALS))
    for pool in data["pools"]:
        own = [r if isinstance(r, str) else r["skill"] for r in pool["skills"]]
        if draw(st.booleans()):
            pool["proficiency"] = {own[0]: draw(st.floats(0.5, 2))}
        if draw(st.booleans()):
            pool["agents"] = draw(st.lists(st.floats(0, 6), min_size=N_INTERVALS, max_size=N_INTERVALS))
        if draw(st.booleans()):
            pool["shifts"] = [{"start": draw(st.sampled_from(["00:00", "00:15", "00:30"])),
                               "hours": draw(st.floats(0.25, 2)), "count": draw(st.integers(0, 4)),
                               "breaks": [{"after_hours": 0.1, "minutes": draw(st.floats(1, 5)),
                                           "paid": draw(st.booleans())}] if draw(st.booleans()) else []}]
            if draw(st.booleans()):
                pool.pop("agents")
        if draw(st.booleans()):
            pool["shrinkage"] = draw(st.floats(0, 0.5))
        if draw(st.booleans()):
            pool["absence"] = draw(st.floats(0, 0.5))
        if draw(st.booleans()):
            pool["takes"] = "longest_waiting"
        if draw(st.booleans()):
            k = draw(st.integers(2, 3))
            pool["concurrency"] = k
            pool["slowdown"] = draw(st.lists(st.floats(1, 2), min_size=k, max_size=k))
    for segment in data["segments"]:
        segment["priority"] = draw(st.integers(0, 2))
        if draw(st.booleans()):
            segment["balk"] = {"probability": draw(st.floats(0, 0.5)), "per_minute": draw(st.floats(0, 0.5))}
        if "redial" in segment and draw(st.booleans()):
            segment["redial"]["mode"] = "retry"
            segment["redial"]["after_blocked"] = draw(probability)
    data["routing"] = {"priorities": draw(st.sampled_from(["strict", "weighted"])),
                       "agent_selection": draw(st.sampled_from(["pool_order", "longest_idle", "random",
                                                                "least_occupied"]))}
    queues = []
    for skill in skills:
        q = {"skill": skill}
        if draw(st.booleans()):
            q["service_level"] = {"seconds": draw(st.floats(0, 60))}
        if draw(st.booleans()):
            q["capacity"] = draw(st.integers(0, 5))
        if draw(st.booleans()):
            q["message"] = {"after": draw(st.floats(0, 120)), "accept": draw(probability)}
        queues.append(q)
    data["queues"] = queues
    if draw(st.booleans()):
        data["lines"] = draw(st.integers(0, 20))
    data["horizon"]["drain"] = draw(st.sampled_from([True, False, "clear"]))
    if draw(st.booleans()):
        data["arrivals"]["busyness_cv"] = draw(st.floats(0, 0.5))
    return data
