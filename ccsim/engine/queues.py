"""Queues: the contacts waiting for each skill, in the order they will be answered.

Callers for the cards queue wait in line; the first in line is answered first. A queue may
have several lines: premium customers (a higher segment ``priority``) wait in a line that is
always served before the regular one, and a transferred caller with priority
(``transfers.priority``) waits in a line served before both. With weighted priorities
(``routing.priorities: weighted``) the head of each line competes by its wait times its
segment's weight, so a regular caller who has waited long enough goes before a premium one
who just arrived. Within a line it is first come, first served.

A free agent looks at its skills' queues in the order its pool lists them and takes the first
eligible contact (``takes: skill_order``), or the one that has waited longest across them,
each wait weighted by the skill's weight (``takes: longest_waiting``). A contact is eligible
for an overflow route once it has waited the route's ``after`` seconds.

A caller who hangs up is not searched for and removed: the line skips them when they reach
its head (lazy deletion), which keeps joining and leaving a line constant-time however long
it is. A contact's state (waiting, being served, done) lives in one shared array that every
part of the model reads; a line holds contact numbers.
"""

from __future__ import annotations

from collections import deque

# A contact's state while the simulation runs (kept by the model, not in the records).
ARRIVING, WAITING, SERVING, DONE = 0, 1, 2, 3

# Times compare with a tolerance: ``join + after`` computed on the event heap may differ from
# ``now`` in the last bit.
EPS = 1e-9


class Queues:
    """The waiting lines of every queue (skill) of one replication.

    Attributes:
        lines: per queue, its lines in the order they are served (strict priorities).
        live: per queue, contacts waiting now (kept only where announced waits need it).
    """

    def __init__(self, n_queues: int, n_classes: int, class_weight: tuple[float, ...], state, joined):
        self.lines = [[deque() for _ in range(n_classes)] for _ in range(n_queues)]
        self.live = [0] * n_queues
        self._weight = class_weight
        self.state = state
        self.joined = joined

    def skip_gone(self, line: deque) -> None:
        """Drop contacts at the head of a line who are no longer waiting (they hung up)."""
        state = self.state
        while line and state[line[0]] != WAITING:
            line.popleft()

    def first_eligible(self, routes, now: float) -> int:
        """Skill order, strict priorities: the first eligible head, taken from its line; -1: none.

        ``routes`` are ``(lines, after, weight)`` per skill of the agent's pool, in the order
        listed.
        """
        state = self.state
        joined = self.joined
        for lines, after, _ in routes:
            for line in lines:
                while line and state[line[0]] != WAITING:
                    line.popleft()  # callers who hung up while waiting
                if line and (after == 0 or joined[line[0]] + after <= now + EPS):
                    return line.popleft()
        return -1

    def longest_weighted(self, routes, now: float, across_skills: bool) -> int:
        """The eligible head with the longest wait x class weight x skill weight, taken from its
        line; within one skill at a time (in the pool's order) unless ``across_skills``."""
        joined = self.joined
        weights = self._weight
        best, best_line = -1.0, None
        for lines, after, skill_weight in routes:
            for c, line in enumerate(lines):
                self.skip_gone(line)
                if line and (after == 0 or joined[line[0]] + after <= now + EPS):
                    score = (now - joined[line[0]]) * weights[c] * skill_weight
                    if score > best:
                        best, best_line = score, line
            if best_line is not None and not across_skills:
                break
        return best_line.popleft() if best_line is not None else -1

    def eligible_in(self, k: int, after: float, now: float, weighted: bool) -> int:
        """For an overflow pool: the contact of queue ``k`` it may take now (waited ``after``)."""
        lines = self.lines[k]
        if weighted:
            return self.longest_weighted(((lines, after, 1.0),), now, across_skills=False)
        return self.first_eligible(((lines, after, 1.0),), now)
