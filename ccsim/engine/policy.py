"""What an agent does with a contact: resolve it, fail, or hand it on — and where to.

A pool's script covers some intents. An agent resolves an in-script intent with probability
``competence`` (otherwise gives an answer that does not solve it: the contact ends unresolved
and the customer may call again), and an off-script intent with probability ``flexibility``
(at ``off_script_time_factor`` times the handle time). An intent needing more authority than
the pool has is escalated. A contact the agent does not resolve is handed on:

- to the queue of the intent's own skill, when it reached a pool without that skill
  (a misroute in the IVR, a zero-out to an operator, a channel's own queue);
- else to the pool's ``escalate_to`` queue;
- else nowhere: the agent ends the contact unresolved.

An agent may also offload a difficult caller to ``escalate_to`` before trying (``offload``).
This module turns those rules into per-pool, per-intent tables the engine reads; the random
draws that apply them are the caller's own (:mod:`ccsim.center`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec.scenario import Scenario

#: What a pool does with an intent when nothing random intervenes.
CLOSE, FLEX, HAND_ON = 0, 1, 2


@dataclass(frozen=True)
class PoolPolicy:
    """One pool's rules, indexed by intent."""

    rule: tuple[int, ...]  # CLOSE: in script and authorised; FLEX: off script, authorised; HAND_ON
    target: tuple[int, ...]  # queue a contact it does not resolve goes to, or -1 (ends unresolved)
    may_close: tuple[bool, ...]  # authority suffices (for secondary intents)
    covers: tuple[bool, ...]
    competence: float
    flexibility: float
    off_script_factor: float
    offload: float
    offload_target: int


def pool_policies(s: Scenario, skill_index: dict[str, int]) -> list[PoolPolicy]:
    policies = []
    for pool in s.pools:
        own = {r.skill for r in pool.skills}
        escalate = skill_index[pool.escalate_to] if pool.escalate_to is not None else -1
        rule, target, may_close, covers = [], [], [], []
        for intent in s.intents:
            authorised = intent.authority <= pool.authority
            covered = pool.covers(intent)
            rule.append(CLOSE if covered and authorised else FLEX if authorised else HAND_ON)
            if intent.skill not in own:
                target.append(skill_index[intent.skill])
            else:
                target.append(escalate)
            may_close.append(authorised)
            covers.append(covered)
        policies.append(PoolPolicy(tuple(rule), tuple(target), tuple(may_close), tuple(covers), pool.competence,
                                   pool.flexibility, pool.off_script_time_factor, pool.offload, escalate))
    return policies
