"""Limits: the largest scenario ccsim agrees to simulate, and the checks that enforce them.

A real center has at most a few thousand agents in a pool and takes at most tens of thousands
of calls an hour. A file that asks for a trillion agents (``agents: 1000000000000``) or
``rate_per_hour: 1e12`` is a typo or a hostile file: simulating it would loop for days or try
to allocate terabytes. Such values are refused when the file is read, before anything is
allocated, with a message naming the limit. The limits are far beyond any real center.

The per-key limits are one table, :data:`LIMITS`, keyed by path patterns: ``pools[*].agents``
is the ``agents`` of any pool, ``**.mean`` a ``mean`` at any depth, ``**.*_seconds`` any key
ending in ``_seconds``. A limit on a per-interval key applies to each value of its list. To
limit a new key, add a row. :data:`LENGTHS` limits how many items a list may have.

Not-a-number is refused everywhere. Infinity too, except at the keys in
:data:`ALLOW_INFINITY` (none today): in a scenario "forever" is spelled by leaving a key out
(no ``patience``: callers never hang up), and :data:`INFINITY_HINTS` says so per key.

After validation, :mod:`ccsim.spec.size` estimates the contacts of one replication and the
memory they need, and refuses a day that would not fit.
"""

from __future__ import annotations

import fnmatch
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import short

if TYPE_CHECKING:
    pass

#: Largest scenario file read, in bytes.
MAX_FILE_BYTES = 20_000_000
#: Most values (numbers, texts, keys, lists) in a scenario, each alias counted as often as used.
MAX_NODES = 1_000_000
#: Deepest nesting of lists and mappings (a scenario needs fewer than 10 levels).
MAX_DEPTH = 50
#: Most planning intervals in a horizon (a year in hours is 8,784).
MAX_INTERVALS = 10_000
#: Most contacts expected in one replication (a very large center takes a million a day).
MAX_CONTACTS = 50_000_000
#: Longest duration given in seconds (about 115 days).
MAX_SECONDS = 10_000_000
#: The largest multiplier of a duration (``patience_factor``, ``time_factor``, ...).
MAX_FACTOR = 1_000


@dataclass(frozen=True)
class Limit:
    """Bounds on the number(s) at the paths matching ``pattern``."""

    pattern: str
    low: float | None = None
    high: float | None = None
    what: str = ""


LIMITS: tuple[Limit, ...] = (
    Limit("pools[*].agents", high=100_000, what="agents of a pool in one interval"),
    Limit("arrivals.rate_per_hour", high=1_000_000, what="contacts per hour"),
    Limit("intents[*].rate_per_hour", high=1_000_000, what="contacts per hour"),
    Limit("horizon.interval_minutes", low=1, what="the shortest planning interval: one minute"),
    Limit("segments[*].redial.max_contacts", high=100, what="contacts of one customer"),
    Limit("seed", high=2**63 - 1, what="the largest seed"),
    Limit("pools[*].skills[*].after", high=MAX_SECONDS, what="seconds, about 115 days"),
    Limit("**.*_seconds", high=MAX_SECONDS, what="seconds, about 115 days"),
    Limit("**.*_factor", high=MAX_FACTOR, what="the largest multiplier"),
    # distributions of durations, in seconds
    Limit("**.mean", high=MAX_SECONDS, what="seconds, about 115 days"),
    Limit("**.value", high=MAX_SECONDS, what="seconds, about 115 days"),
    Limit("**.scale", high=MAX_SECONDS, what="seconds, about 115 days"),
    Limit("**.low", high=MAX_SECONDS, what="seconds, about 115 days"),
    Limit("**.high", high=MAX_SECONDS, what="seconds, about 115 days"),
    Limit("**.values", high=MAX_SECONDS, what="seconds, about 115 days"),
    Limit("**.cv", high=100, what="the largest coefficient of variation"),
    Limit("**.shape", low=0.1, high=100, what="Weibull shapes beyond make durations overflow"),
    Limit("pools[*].shifts[*].count", high=100_000, what="agents on one shift"),
    Limit("lines", high=10_000_000, what="lines of a center"),
    Limit("queues[*].capacity", high=10_000_000, what="places in a queue"),
    Limit("queues[*].message.after", high=MAX_SECONDS, what="seconds, about 115 days"),
    Limit("pools[*].slowdown", high=MAX_FACTOR, what="the largest multiplier"),
    Limit("pools[*].proficiency.*", high=MAX_FACTOR, what="the largest multiplier"),
    Limit("pools[*].skill_weights.*", high=1_000_000, what="the largest weight"),
    Limit("segments[*].priority_weight", high=1_000_000, what="the largest weight"),
)

#: Most items of a list: the engine numbers segments, intents and pools in 16 bits and
#: channels in 8; every IVR menu adds random numbers drawn for every caller.
LENGTHS: tuple[tuple[str, int], ...] = (
    ("segments", 1_000),
    ("intents", 1_000),
    ("pools", 1_000),
    ("queues", 1_000),
    ("channels", 100),
    ("ivr.menus", 100),
    ("ivr.menus[*].options", 50),
    ("pools[*].shifts", 1_000),
    ("pools[*].shifts[*].breaks", 20),
)

#: Keys where ``.inf`` means something and is allowed (path patterns). None yet.
ALLOW_INFINITY: tuple[str, ...] = ()

#: What to write instead of ``.inf``, by path pattern (the first that matches).
INFINITY_HINTS: tuple[tuple[str, str], ...] = (
    ("**.ivr_patience.**", "for callers who never hang up in the IVR, leave out 'ivr_patience'"),
    ("**.patience.**", "for callers who never hang up, leave out 'patience'"),
    ("segments[*].redial.**", "for customers who never call again, leave out 'redial'"),
    ("callback.**", "to offer no callbacks, leave out the 'callback' section"),
    ("pools[*].skills[*].after", "for a pool that never takes this queue, leave the skill out of its list"),
    ("horizon.hours", f"at most {24 * 366} hours (a leap year)"),
    ("**.rate_per_hour", "give a number of contacts per hour"),
)

#: A problem found in the raw data: its location, the message, and the bounds a value there
#: must keep (``ge``/``le``), which let the loader put a valid value in its place.
Flag = tuple[tuple[Any, ...], str, dict[str, float]]


def count_text(n: float) -> str:
    """``1000000`` -> ``'1,000,000'``."""
    return f"{n:,.0f}"


# ---------------------------------------------------------------------------------------------
# The raw data: size, depth, non-finite numbers, limits.


def measure(data: Any) -> list[tuple[str, str]]:
    """Problems if plain data is too large (aliases counted as used) or nested too deep.

    Stops as soon as a limit is passed, so a shared-reference bomb costs at most the limit.
    """
    count = 0
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            return [("(top level)", f"nested more than {MAX_DEPTH} levels deep (a scenario needs fewer than 10)")]
        if isinstance(node, Mapping):
            count += len(node)
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, (list, tuple)):
            stack.extend((item, depth + 1) for item in node)
        if count > MAX_NODES:
            return [("(top level)", f"holds more than {count_text(MAX_NODES)} values (each alias counted as "
                     f"often as it is used); a scenario needs far fewer (limit {count_text(MAX_NODES)})")]
    return []


def scan(data: Any, numeric_text: bool = True) -> list[Flag]:
    """NaN, infinity, values beyond :data:`LIMITS` and lists beyond :data:`LENGTHS`.

    Args:
        data: plain data (a scenario as read from YAML, or dumped from a validated one);
            measured by :func:`measure` first.
        numeric_text: also read text at a limited key as a number (``rate_per_hour: 1e12``
            is text to YAML, a number to the schema).
    """
    flags: list[Flag] = []
    stack: list[tuple[Any, tuple[Any, ...], tuple[str, ...]]] = [(data, (), ())]
    while stack:
        node, loc, norm = stack.pop()
        if isinstance(node, Mapping):
            stack.extend((value, (*loc, key), (*norm, str(key))) for key, value in node.items())
        elif isinstance(node, (list, tuple)):
            most = _length_limit(norm)
            if most is not None and len(node) > most:
                flags.append((loc, f"has {len(node):,} items; at most {most:,}", {}))
            stack.extend((item, (*loc, i), (*norm, "[*]")) for i, item in enumerate(node))
        else:
            flag = _check_value(node, loc, norm, numeric_text)
            if flag is not None:
                flags.append(flag)
    flags.sort(key=lambda f: _order(f[0]))
    return flags


def _check_value(value: Any, loc: tuple, norm: tuple[str, ...], numeric_text: bool) -> Flag | None:
    limits = _limits_at(norm)
    if isinstance(value, str) and limits and numeric_text:
        try:
            number: Any = float(value)
        except ValueError:
            return None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value
    else:
        return None
    bounds = _bounds(limits)
    if isinstance(number, float) and math.isnan(number):
        return loc, "is .nan (not a number); give a number", bounds
    if isinstance(number, float) and math.isinf(number):
        if not _allows_infinity(norm):
            hint = _infinity_hint(norm)
            return loc, "is infinite (.inf); give a finite number" + (f": {hint}" if hint else ""), bounds
        return None
    for limit in limits:
        if limit.high is not None and number > limit.high:
            return loc, f"must be at most {_num(limit.high)} ({limit.what}), got {short(value)}", bounds
        if limit.low is not None and number < limit.low:
            return loc, f"must be at least {_num(limit.low)} ({limit.what}), got {short(value)}", bounds
    return None


def _num(x: float) -> str:
    return count_text(x) if x == int(x) and abs(x) >= 1000 else f"{x:g}"


def _bounds(limits: list[Limit]) -> dict[str, float]:
    out: dict[str, float] = {}
    for limit in limits:
        if limit.low is not None:
            out["ge"] = max(out.get("ge", limit.low), limit.low)
        if limit.high is not None:
            out["le"] = min(out.get("le", limit.high), limit.high)
    return out


def _order(loc: tuple) -> tuple:
    return tuple((0, x) if isinstance(x, int) else (1, str(x)) for x in loc)


@functools.lru_cache(maxsize=4096)
def _limits_at(norm: tuple[str, ...]) -> list[Limit]:
    """The limits on a value at a normalized path (list indices as ``[*]``)."""
    found = [limit for limit in LIMITS if matches(limit.pattern, norm)]
    if not found and norm and norm[-1] == "[*]":  # a value of a per-interval list
        found = [limit for limit in LIMITS if matches(limit.pattern, norm[:-1])]
    return found


@functools.lru_cache(maxsize=4096)
def _length_limit(norm: tuple[str, ...]) -> int | None:
    return next((most for pattern, most in LENGTHS if matches(pattern, norm)), None)


@functools.lru_cache(maxsize=4096)
def _allows_infinity(norm: tuple[str, ...]) -> bool:
    return any(matches(pattern, norm) or matches(pattern, norm[:-1]) for pattern in ALLOW_INFINITY)


@functools.lru_cache(maxsize=4096)
def _infinity_hint(norm: tuple[str, ...]) -> str | None:
    for pattern, hint in INFINITY_HINTS:
        if matches(pattern, norm) or (norm and norm[-1] == "[*]" and matches(pattern, norm[:-1])):
            return hint
    return None


def matches(pattern: str, norm: tuple[str, ...]) -> bool:
    """Whether a path pattern matches a normalized path.

    ``pools[*].agents`` matches ``("pools", "[*]", "agents")``; ``*`` in a key matches any
    text (``*_seconds``); ``**`` matches any number of keys and positions.
    """
    return _match(_tokens(pattern), norm)


@functools.lru_cache(maxsize=256)
def _tokens(pattern: str) -> tuple[str, ...]:
    return tuple(t for t in pattern.replace("[*]", ".[*]").split(".") if t)


def _match(tokens: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    if not tokens:
        return not parts
    head, rest = tokens[0], tokens[1:]
    if head == "**":
        return any(_match(rest, parts[i:]) for i in range(len(parts) + 1))
    if not parts:
        return False
    part = parts[0]
    ok = part == "[*]" if head == "[*]" else part != "[*]" and fnmatch.fnmatchcase(part, head)
    return ok and _match(rest, parts[1:])
