"""Queues: the contacts waiting for each skill, in the order they will be answered.

Callers for the cards queue wait in line; the first in line is answered first. A caller who
was transferred and has priority (``transfers.priority``) waits in a second line of the same
queue that is served before the first. A caller who hangs up is not searched for and removed:
the line skips them when they reach its head (lazy deletion), which keeps joining and leaving
a line constant-time however long it is.

A contact's state (waiting, being served, done) lives in one shared array that every part of
the model reads; a line holds contact numbers.
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
        waiting: per queue, first-time contacts (and transferred ones without priority), FCFS.
        priority: per queue, transferred contacts with priority, FCFS, answered first.
        live: per queue, contacts waiting now (kept only when a callback offer needs it).
    """

    def __init__(self, n_queues: int, state, joined):
        self.waiting = [deque() for _ in range(n_queues)]
        self.priority = [deque() for _ in range(n_queues)]
        self.live = [0] * n_queues
        self._state = state
        self._joined = joined

    def add(self, i: int, k: int, priority: bool) -> None:
        """Contact ``i`` joins the end of queue ``k``'s line (the priority line if ``priority``)."""
        (self.priority if priority else self.waiting)[k].append(i)

    def skip_gone(self, line: deque) -> None:
        """Drop contacts at the head of a line who are no longer waiting (they hung up)."""
        state = self._state
        while line and state[line[0]] != WAITING:
            line.popleft()

    def next_for(self, routes, now: float) -> int:
        """The contact a free agent with these routes takes, removed from its line; -1: none.

        ``routes`` are ``(priority line, line, after)`` per skill of the agent's pool, in the
        order listed: the first skill with an eligible contact wins (a contact is eligible for
        an overflow route once it has waited ``after`` seconds).
        """
        state = self._state
        joined = self._joined
        for priority, line, after in routes:
            if priority:
                self.skip_gone(priority)
                if priority and (after == 0 or joined[priority[0]] + after <= now + EPS):
                    return priority.popleft()
            while line and state[line[0]] != WAITING:
                line.popleft()  # callers who hung up while waiting
            if line and (after == 0 or joined[line[0]] + after <= now + EPS):
                return line.popleft()
        return -1
