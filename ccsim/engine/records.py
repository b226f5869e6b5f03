"""Records: what happened to each contact, kept in flat columns.

The engine writes one row per contact (when it arrived, which queue it joined, when an agent
answered, how it ended) into typed columnar buffers, and one row per stretch of agent work.
Nothing is computed while the simulation runs: the KPIs are computed from these records
afterwards (:mod:`ccsim.kpis`), and a notebook gets them as a pandas DataFrame.

Buffers are ``array.array`` columns: appending and assigning by index cost about as much as a
Python list, but each value takes 1-8 bytes instead of a pointer to a boxed float.
"""

from __future__ import annotations

from array import array
from enum import IntEnum

import numpy as np

NAN = float("nan")


class Outcome(IntEnum):
    """How a contact ended; every contact ends in exactly one (or is still in the center)."""

    IN_SYSTEM = 0
    RESOLVED = 1  # an agent resolved the question
    ABANDONED = 2  # hung up waiting in a queue
    UNRESOLVED = 3  # an agent ended it without resolving (wrong answer, nowhere to hand on, chain too long)
    CONTAINED = 4  # resolved in IVR self-service
    IVR_ABANDONED = 5  # hung up in the IVR
    HOLD_ABANDONED = 6  # hung up on a research hold
    DROPPED = 7  # the line dropped on hold
    REDIRECTED = 8  # told to use another channel (a new contact follows)
    BLOCKED = 9  # found every line busy, or the queue full (busy signal): not offered
    BALKED = 10  # hung up at once when told to wait (or told the wait): not offered
    CLEARED = 11  # still waiting when the center closed and was disconnected (drain: clear)
    MESSAGE = 12  # left a message after waiting; an agent handles it later (``message`` column)


#: Outcomes after which the customer's question is answered.
RESOLVING = (Outcome.RESOLVED, Outcome.CONTAINED)

# column name -> array typecode
CONTACT_COLUMNS = {
    "customer": "i",
    "attempt": "h",  # 0: the customer's first contact; 1: the first redial; ...
    "channel": "b",
    "arrival": "d",
    "segment": "h",
    "intent": "h",
    "secondary": "b",  # further intents the caller brings
    "patience": "d",
    "handle_time": "d",
    "ivr_levels": "b",  # menus heard, replays included
    "misrouted": "b",  # the IVR sent it to a queue not meant for its intent
    "queue": "h",  # the first queue joined (-1: none)
    "queue_join": "d",  # first queue
    "answer": "d",  # first answer
    "queues": "b",  # queues joined
    "transfers": "b",  # the transfer-chain length
    "callback": "b",  # 1: accepted a callback offer
    "holds": "b",  # research holds
    "talk": "d",  # agent time spent on it with the caller, over every agent (talk, hold, check-ins)
    "wrap": "d",  # after-call work it caused, over every agent
    "lost_intents": "b",  # secondary intents the last agent left unhandled
    "message": "b",  # 1: left a message; 2: an agent handled it
    "end": "d",
    "pool": "h",  # the last agent's
    "agent": "i",
    "outcome": "b",
}

# The value of a column for a contact whose journey has not started.
_START = {"channel": 0, "secondary": 0, "ivr_levels": 0, "misrouted": 0, "queue": -1, "queue_join": NAN, "answer": NAN,
          "queues": 0, "transfers": 0, "callback": 0, "holds": 0, "talk": 0.0, "wrap": 0.0, "lost_intents": 0,
          "message": 0, "end": NAN,
          "pool": -1, "agent": -1, "outcome": int(Outcome.IN_SYSTEM)}


class ContactRecords:
    """Columnar per-contact records; attribute ``x`` is the column ``x`` (an ``array.array``)."""

    def __init__(self) -> None:
        for name, code in CONTACT_COLUMNS.items():
            setattr(self, name, array(code))
        # (name, the column's bound append, its starting value): add_contact runs once per
        # redial, and looking up 26 columns by name there made it a third slower (about 4% of
        # a transfer-chain run went to add_contact).
        self._appends = tuple((name, getattr(self, name).append, _START.get(name)) for name in CONTACT_COLUMNS)

    def __len__(self) -> int:
        return len(self.arrival)  # type: ignore[attr-defined]

    def add_batch(self, arrival: np.ndarray, segment: np.ndarray, intent: np.ndarray,
                  patience: np.ndarray, handle_time: np.ndarray, **given: np.ndarray) -> None:
        """Append contacts whose journey has not started yet (outcome IN_SYSTEM).

        ``given`` may set other starting columns per contact (``channel``, ``secondary``).
        """
        n = len(arrival)
        first = len(self)
        given.update({"customer": np.arange(first, first + n), "attempt": np.zeros(n), "arrival": arrival,
                      "segment": segment, "intent": intent, "patience": patience, "handle_time": handle_time})
        for name, code in CONTACT_COLUMNS.items():
            column = given[name] if name in given else np.full(n, _START[name])
            getattr(self, name).frombytes(np.ascontiguousarray(column, dtype=code).tobytes())

    def add_contact(self, **given: float | int) -> int:
        """Append one contact made during the run (a redial, a redirect); return its index.

        Give ``customer, attempt, arrival, segment, intent, patience, handle_time`` and any
        other starting column.
        """
        for name, append, start in self._appends:
            append(given[name] if name in given else start)
        return len(self.arrival) - 1  # type: ignore[attr-defined]

    def columns(self) -> dict[str, np.ndarray]:
        """Zero-copy numpy views of every column."""
        return {name: np.frombuffer(getattr(self, name), dtype=code)
                for name, code in CONTACT_COLUMNS.items()}

    def nbytes(self) -> int:
        return sum(getattr(self, name).itemsize * len(self) for name in CONTACT_COLUMNS)


class WorkRecords:
    """One row per stretch of agent work (an agent busy with a contact from start to end).

    A transferred contact has one row per agent who served it.
    """

    def __init__(self) -> None:
        self.pool = array("h")
        self.contact = array("i")
        self.agent = array("i")
        self.start = array("d")
        self.end = array("d")

    def add(self, pool: int, contact: int, agent: int, start: float, end: float) -> None:
        self.pool.append(pool)
        self.contact.append(contact)
        self.agent.append(agent)
        self.start.append(start)
        self.end.append(end)

    def add_batch(self, pool: np.ndarray, contact: np.ndarray, agent: np.ndarray, start: np.ndarray,
                  end: np.ndarray) -> None:
        for name, column in (("pool", pool), ("contact", contact), ("agent", agent), ("start", start), ("end", end)):
            mine = getattr(self, name)
            mine.frombytes(np.ascontiguousarray(column, dtype=mine.typecode).tobytes())


class PresenceRecords:
    """Changes in the number of agents present in each pool (staffing plus overtime).

    An agent scheduled off at 12:00 who is on a call stays present until the call ends.
    """

    def __init__(self) -> None:
        self.time = array("d")
        self.pool = array("h")
        self.agent = array("i")
        self.delta = array("i")

    def add(self, time: float, pool: int, agent: int, delta: int) -> None:
        self.time.append(time)
        self.pool.append(pool)
        self.agent.append(agent)
        self.delta.append(delta)
