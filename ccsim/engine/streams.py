"""Named random streams: one generator per purpose, derived from the scenario seed.

Two scenarios that differ only in staffing must see the same callers: the same arrival
times, the same patience, the same questions. Each purpose therefore draws from its own
``numpy.random.Generator``, derived from ``SeedSequence(seed)`` by the replication number and
the purpose's name, never from the order in which the model happens to ask for numbers.
Adding a staffing level, or a new purpose in a later version, leaves every other stream as it
was (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

#: The purposes the model draws for; the name (not the position) fixes the stream.
STREAMS = (
    "arrivals",
    "segments",
    "intents",
    "patience",
    "handle_times",
    "redials",
    "channels",
    "ivr",
    "resolution",
    "holds",
    "secondary",
    "callbacks",
    "wrapup",  # after-call work, one uniform per agent visit
    "absence",  # which scheduled agents are absent for the day
    "busyness",  # how much busier than the forecast each simulated day is
    "balking",  # whether a caller told to wait leaves at once
    "routing",  # which free agent a random routing rule picks
    "messages",  # whether a caller leaves a message after a long wait
)


def stream_key(name: str) -> int:
    """A stable integer for a stream name (the same in every process and version)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """The random generators of one replication.

    Example:
        >>> streams = Streams(seed=1, replication=0)
        >>> arrivals = streams["arrivals"]   # numpy Generator, the same for every staffing
    """

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        rng = self._cache.get(name)  # first: a journey asks for its redials' streams at every redial
        if rng is None:
            if name not in STREAMS:
                raise KeyError(f"unknown random stream {name!r}; known: {', '.join(STREAMS)}")
            sequence = np.random.SeedSequence(self.seed, spawn_key=(self.replication, stream_key(name)))
            rng = self._cache[name] = np.random.Generator(np.random.PCG64(sequence))
        return rng
