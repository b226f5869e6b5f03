"""The callers of one replication, drawn before the day starts.

Everyone who will call the bank today is known before the first call: when they ring, who
they are (segment), what they want (intent, and maybe further questions), how long they will
wait before hanging up, how long their call will take, and the uniforms that will decide
their IVR choices, whether the agent resolves their question, whether they are put on hold.
Each quantity comes from its own named stream (:mod:`ccsim.engine.streams`), so two
scenarios that differ only in staffing or routing see exactly the same callers (common
random numbers). Streams a scenario does not use are not drawn from, so adding a mechanism
to a scenario leaves the callers' other quantities as they were.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

import numpy as np

from ..spec.scenario import MAX_SECONDARY
from .arrivals import poisson_arrival_times
from .plan import Plan
from .streams import Streams


@dataclass(frozen=True)
class Callers:
    """Everyone who will call in a replication, one entry per contact, in arrival order.

    Drawn from the named streams by :func:`draw_callers`; a test or a replay of a recorded
    day may give them explicitly (the optional columns then take their plain values).
    """

    arrival: np.ndarray
    segment: np.ndarray
    intent: np.ndarray
    patience: np.ndarray  # inf: never hangs up
    handle_time: np.ndarray
    channel: np.ndarray | None = None
    # further intents per caller with their handle times (callers with none are absent)
    secondary: dict[int, tuple[tuple[int, float], ...]] = field(default_factory=dict)
    # per caller, the uniforms of one purpose (rows), when the scenario uses it
    uniforms: dict[str, np.ndarray] = field(default_factory=dict)


def draw_callers(plan: Plan, streams: Streams) -> Callers:
    """Draw every caller of a replication up front, each quantity from its own stream."""
    rates = plan.rates
    if plan.busyness_cv > 1e-6:  # each simulated day busier or quieter than the forecast (below: none)
        shape = 1.0 / plan.busyness_cv**2
        days = int(math.ceil(plan.n_intervals * plan.interval / 86400.0))
        factor = streams["busyness"].gamma(shape, 1.0 / shape, size=days)
        rates = rates * factor[(np.arange(plan.n_intervals) * plan.interval // 86400.0).astype(np.int64)]
    times = poisson_arrival_times(rates, plan.interval, streams["arrivals"])
    n = len(times)
    interval = np.minimum((times // plan.interval).astype(np.int64), plan.n_intervals - 1)
    segment = pick(plan.segment_shares, streams["segments"].random(n))
    u = streams["intents"].random(n)
    if plan.intent_shares_by_interval is None:
        intent = pick(plan.intent_shares, u)
    else:  # shares by interval: each caller picks with the shares of the interval they call in
        cumulative = np.cumsum(plan.intent_shares_by_interval, axis=0).T  # intervals x intents
        cumulative[:, -1] = 1.0
        intent = (cumulative[interval] <= u[:, None]).sum(axis=1).astype(np.int16)
    patience = draw_patience(plan, segment, intent, interval, streams["patience"].random(n))
    handle = draw_handle_time(plan, intent, interval, streams["handle_times"].random(n))
    channel = None
    uniforms: dict[str, np.ndarray] = {}
    if plan.channel_shares is not None:
        u = streams["channels"].random((n, 2))  # which channel; whether a redirect applies
        channel = pick(plan.channel_shares, u[:, 0]).astype(np.int8)
        uniforms["channels"] = u[:, 1]
    for name, width in plan.uniform_widths.items():
        uniforms[name] = streams[name].random((n, width))
    secondary = _draw_secondary(plan, segment, intent, streams) if any(plan.secondary) else {}
    return Callers(times, segment, intent, patience, handle, channel, secondary, uniforms)


def draw_patience(plan: Plan, segment: np.ndarray, intent: np.ndarray, interval: np.ndarray,
                  u: np.ndarray) -> np.ndarray:
    """Patience in queue (inf: never hangs up): the intent's own, else the segment's, times its
    factor in the interval of arrival."""
    patience = np.full(len(u), np.inf)
    for g, spec in enumerate(plan.patience):
        if spec is not None:
            mask = segment == g
            patience[mask] = spec.ppf(u[mask])
            if plan.patience_factor is not None:
                patience[mask] *= plan.patience_factor[g, interval[mask]]
    for x, spec in enumerate(plan.intent_patience):
        if spec is not None:
            mask = intent == x
            patience[mask] = spec.ppf(u[mask])
            if plan.intent_patience_factor is not None:
                patience[mask] *= plan.intent_patience_factor[x, interval[mask]]
    return patience


def draw_handle_time(plan: Plan, intent: np.ndarray, interval: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Handle time by intent, times its factor in the interval of arrival."""
    handle = np.empty(len(u))
    for k, spec in enumerate(plan.handle_time):
        mask = intent == k
        handle[mask] = spec.ppf(u[mask])
    if plan.handle_factor is not None:
        handle *= plan.handle_factor[intent, interval]
    return handle


def patience_of(plan: Plan, segment: int, intent: int, interval: int, u: float) -> float:
    """:func:`draw_patience` for one contact (a redial): the same rules, scalar arithmetic."""
    spec = plan.intent_patience[intent]
    if spec is not None:
        factor = plan.intent_patience_factor[intent, interval] if plan.intent_patience_factor is not None else 1.0
    else:
        spec = plan.patience[segment]
        if spec is None:
            return math.inf
        factor = plan.patience_factor[segment, interval] if plan.patience_factor is not None else 1.0
    value = float(spec.ppf(u))
    return value * factor if factor != 1.0 else value


def handle_time_of(plan: Plan, intent: int, interval: int, u: float) -> float:
    """:func:`draw_handle_time` for one contact (a redial)."""
    value = float(plan.handle_time[intent].ppf(u))
    return value * plan.handle_factor[intent, interval] if plan.handle_factor is not None else value


def _draw_secondary(plan: Plan, segment: np.ndarray, intent: np.ndarray, streams: Streams):
    """Further intents per caller: each of up to ``max`` present with ``probability``.

    The intents are picked by their shares among those other than the caller's primary one,
    with their handle times; done per (segment, primary intent) group for the whole day at
    once, as doing it caller by caller cost a fifth of a multi-intent replication.
    """
    n = len(segment)
    rng = streams["secondary"]
    present, which, handle = (rng.random((n, MAX_SECONDARY)) for _ in range(3))
    out: dict[int, tuple[tuple[int, float], ...]] = {}
    for g, spec in enumerate(plan.secondary):
        if spec is None:
            continue
        counts = (present[:, : spec.max] < spec.probability).sum(axis=1)
        callers = np.flatnonzero((segment == g) & (counts > 0))
        for primary in np.unique(intent[callers]):
            group = callers[intent[callers] == primary]
            picked = pick(_other_shares(plan, int(primary)), which[group, : spec.max])
            times = np.empty(picked.shape)
            for y in np.unique(picked):
                at = picked == y
                times[at] = spec.time_factor * plan.handle_time[y].ppf(handle[group, : spec.max][at])
            picked_rows, time_rows = picked.tolist(), times.tolist()
            for k, (i, c) in enumerate(zip(group.tolist(), counts[group].tolist())):
                out[i] = tuple(zip(picked_rows[k][:c], time_rows[k][:c]))
    return out


def _other_shares(plan: Plan, primary: int) -> np.ndarray:
    """The intents' shares without the primary one, normalised (a scenario with one intent:
    the further questions are of the same kind)."""
    others = np.array(plan.intent_shares, dtype=float)
    others[primary] = 0.0
    if others.sum() == 0:
        others[primary] = 1.0
    return others / others.sum()


class Rows:
    """Per contact, a row of uniforms, read as ``rows[i][j]``.

    The day's rows are kept as one flat ``array('d')`` (a copy of the matrix's bytes, which
    costs next to nothing), and a row is a slice of it: a slice is about three times cheaper
    than converting a numpy row with ``tolist`` on first reading, which had cost a journey
    replication a twentieth of its time, and indexing it gives Python floats as before.
    Contacts made during the run (redials) append their rows.
    """

    __slots__ = ("flat", "width")

    def __init__(self, matrix: np.ndarray):
        #: uniforms per row; uniform j of row i is ``flat[i * width + j]`` (the hottest readers
        #: index it so, without a slice)
        self.width = matrix.shape[1]
        self.flat = array("d", np.ascontiguousarray(matrix, dtype=float).tobytes())

    def __getitem__(self, i: int) -> array:
        w = self.width
        return self.flat[i * w:(i + 1) * w]

    def __len__(self) -> int:
        return len(self.flat) // self.width

    def append(self, row: np.ndarray) -> None:
        """Append the row of a contact made during the run: its ``width`` uniforms, as a float64
        array (what ``Generator.random(width)`` gives)."""
        self.flat.frombytes(row.tobytes())


def pick(shares: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the category each uniform falls in, by cumulative shares."""
    cumulative = np.cumsum(shares)
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, u, side="right").astype(np.int16)
