"""Service: what an agent does with a contact once they answer it.

A tier-1 agent answers a caller about a refund. The script does not cover refunds and the
agent has no authority to grant one: after a short triage the caller is handed on to the
billing queue. A billing agent answers, resolves it (or, with competence below 1, gives an
answer that does not solve it), handles the caller's further question if the script allows,
and may put the caller on hold to look something up — during which the caller may hang up.

All of it is decided at the moment of answer, from the caller's own pre-drawn uniforms (three
per agent visit, one per further question, four for a hold), so the same caller meets the
same fate in two scenarios that differ only in staffing. The result is a duration and how the
service ends: an outcome, or a hand-on to another queue.
"""

from __future__ import annotations

import math

from .plan import Plan
from .policy import CLOSE, FLEX
from .records import ContactRecords, Outcome

#: A service that ends in a handoff to another queue, not an outcome.
HAND_ON = -1

_RESOLVED = int(Outcome.RESOLVED)
_UNRESOLVED = int(Outcome.UNRESOLVED)


class Service:
    """The resolution model of one replication (see :mod:`ccsim.engine.policy` for the rules)."""

    def __init__(self, plan: Plan, records: ContactRecords, uniforms: dict[str, list], secondary: dict,
                 explain: set[int]):
        self.plan = plan
        self.records = records
        self._uniforms = uniforms
        self._secondary = secondary
        self._explain = explain
        self._policies = plan.policies
        self._difficult = plan.difficult
        self._research = plan.research
        self._reexplain = plan.reexplain
        self._triage_fraction = plan.triage_fraction
        self._checkins = plan.checkins
        self._hangup_rate = plan.hold_hangup_rate
        self._drop_rate = plan.hold_drop_rate
        self._speed = plan.speed
        self._secondary_offset = 3 * (plan.max_chain + 1)  # where further questions' uniforms start
        # Every service reads its visit's uniforms straight from the flat rows (no row slice).
        rows = uniforms.get("resolution")
        self._u, self._width = (rows.flat, rows.width) if rows is not None else (None, 0)

    def decide(self, pool: int, i: int, slowdown: float = 1.0) -> tuple[float, int, int]:
        """``(duration, outcome or HAND_ON, target queue or -1)`` of pool ``pool`` serving ``i``.

        Three uniforms per agent visit: offloading a difficult caller, resolving (competence
        in script, flexibility off it), and re-explanation time; one per secondary intent.
        """
        rec = self.records
        policy = self._policies[pool]
        u = self._u
        v = i * self._width + 3 * rec.transfers[i]  # this visit's three uniforms in the flat rows
        x = rec.intent[i]
        base = rec.handle_time[i] if self._speed is None else rec.handle_time[i] * self._speed[pool][x]
        if slowdown != 1.0:
            base *= slowdown
        extra = 0.0
        if i in self._explain:
            self._explain.discard(i)
            extra = float(self._reexplain.ppf(u[v + 2]))
        triage = base * self._triage_fraction + extra
        if policy.offload and self._difficult[rec.segment[i]] and u[v] < policy.offload:
            return triage, HAND_ON, policy.offload_target
        rule = policy.rule[x]
        if rule == CLOSE:
            resolved = u[v + 1] < policy.competence
            talk = base + extra
        elif rule == FLEX and u[v + 1] < policy.flexibility:
            resolved = True
            talk = base * policy.off_script_factor + extra
        else:
            return triage, HAND_ON, policy.target[x]
        if rec.secondary[i]:
            talk += self.secondary_intents(i, policy, self._uniforms["resolution"][i], resolved, pool)
        outcome = _RESOLVED if resolved else _UNRESOLVED
        research = self._research[x]
        if research is not None:
            row = self._uniforms["holds"][i]
            if row[0] < research.probability:
                talk, outcome = self.research_hold(i, research, row, talk, outcome)
        return talk, outcome, -1

    def secondary_intents(self, i: int, policy, u: list[float], resolved: bool, pool: int = 0) -> float:
        """Extra time for the further intents the agent handles; the others are lost."""
        width = self._secondary_offset
        extra, handled = 0.0, 0
        if resolved:
            for s, (y, handle) in enumerate(self._secondary[i]):
                if self._speed is not None:
                    handle *= self._speed[pool][y]
                if policy.covers[y] and policy.may_close[y]:
                    extra += handle
                    handled += 1
                elif policy.may_close[y] and u[width + s] < policy.flexibility:
                    extra += handle * policy.off_script_factor
                    handled += 1
        self.records.lost_intents[i] = self.records.secondary[i] - handled
        return extra

    def research_hold(self, i: int, research, row: list[float], talk: float, outcome: int) -> tuple[float, int]:
        """Half-way through the call the caller waits on hold while the agent looks it up.

        Check-ins add agent time; the caller may hang up on hold (a rate set by the hold style)
        or the line may drop. Returns the time until the service ends, and how it ends.
        """
        self.records.holds[i] += 1
        hold = float(research.time.ppf(row[1]))
        if self._checkins is not None:
            every, seconds = self._checkins
            hold += math.floor(hold / every) * seconds
        hang_up = -math.log1p(-row[2]) / self._hangup_rate if self._hangup_rate else math.inf
        drop = -math.log1p(-row[3]) / self._drop_rate if self._drop_rate else math.inf
        if min(hang_up, drop) < hold:
            self.records.lost_intents[i] = self.records.secondary[i]
            if hang_up <= drop:
                return talk / 2 + hang_up, int(Outcome.HOLD_ABANDONED)
            return talk / 2 + drop, int(Outcome.DROPPED)
        return talk + hold, outcome
