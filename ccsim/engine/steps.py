"""Timed steps: "in 180 seconds, call this with contact 42" on SimPy's event queue.

Every step of a contact's journey (its arrival, its hang-up timer, the end of its service) is
one callback at one time. SimPy's ``Timeout`` does that, and also keeps what the engine never
uses (the environment, the delay, processes waiting on it); a day of the bank's center
creates about three per contact, and their construction was a quarter of the engine's time.
A :class:`Step` is the smallest object SimPy's event loop accepts (``callbacks``, ``_value``,
``_ok``), pushed on the same queue with the same ordering key as a Timeout would be — the
time, the normal priority, SimPy's own event counter — so the order of simultaneous events,
and every result, is exactly what Timeouts give. The callbacks read ``event._value`` as before.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

from simpy.core import NORMAL


class Step:
    """A scheduled callback: what ``simpy.Environment.step`` needs of an event, nothing more."""

    __slots__ = ("callbacks", "_value")
    _ok = True  # never fails: SimPy checks it after the callbacks

    def __init__(self, callback: Callable[[Any], None], value: Any):
        self.callbacks = [callback]
        self._value = value


def later(env, delay: float, value: Any, callback: Callable[[Any], None]) -> None:
    """Call ``callback(step)`` after ``delay`` seconds, with ``step._value == value``."""
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), Step(callback, value)))
