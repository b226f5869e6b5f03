"""Staffing targets as planners write them: ``sl=0.8@20``, ``asa<=30``, ``abandon<=5%``.

A service-level agreement reads "80% of calls answered within 20 seconds", a contract adds
"no more than 5% abandoned" and the team lead "nobody above 85% occupancy". Each becomes a
Target: a floor on the service level at a threshold, or a ceiling on the average speed of
answer (seconds), the abandon rate, the share who wait, or the occupancy. Shares are written
``0.8`` or ``80%``. Targets no number of agents can meet (``sl=1.0@0``, ``pwait<=0``) are
refused here, with the reason; ``required_agents`` in :mod:`ccsim.analysis.erlang_staffing`
finds the staffing that meets them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .erlang import MAX_SECONDS

# name in a target string -> the ErlangResult field it bounds
_NAMES = {"sl": "service_level", "service_level": "service_level", "asa": "asa_seconds",
          "asa_seconds": "asa_seconds", "abandon": "abandon_rate", "abandon_rate": "abandon_rate",
          "pwait": "p_wait", "p_wait": "p_wait", "occ": "occupancy", "occupancy": "occupancy"}
_SHORT = {"service_level": "sl", "asa_seconds": "asa", "abandon_rate": "abandon", "p_wait": "pwait",
          "occupancy": "occ"}
ALLOWED = ("allowed targets: sl=0.8@20 (service level: at least 80% answered within 20 s), asa<=30 (average "
           "speed of answer, seconds), abandon<=0.05, pwait<=0.5 (share who wait), occ<=0.85 (occupancy); "
           "shares as 0.8 or 80%")
_PATTERN = re.compile(r"^(?P<name>[a-z_]+)\s*(?P<op><=|>=|=|<|>)\s*(?P<value>[^@]+?)\s*(?:@\s*(?P<at>.+))?$")
_TOLERANCE = 1e-12  # relative: a KPI equal to its bound up to rounding meets it


@dataclass(frozen=True)
class Target:
    """One bound on one KPI: the service level at least ``bound``, any other KPI at most ``bound``.

    Attributes:
        kpi: the ErlangResult field: service_level, asa_seconds, abandon_rate, p_wait, occupancy.
        bound: a share (0.8), or seconds for asa_seconds.
        sl_seconds: the service-level threshold T; None takes the one given to ``required_agents``.
    """

    kpi: str
    bound: float
    sl_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.kpi not in _SHORT:
            raise ValueError(f"unknown KPI '{self.kpi}' for a target; allowed: {', '.join(_SHORT)}")

    @property
    def text(self) -> str:
        """The target as written on the command line, e.g. ``sl=0.8@20`` (it names the target's values)."""
        if self.kpi == "service_level":
            return f"sl={self.bound:.12g}" + ("" if self.sl_seconds is None else f"@{self.sl_seconds:.12g}")
        return f"{_SHORT[self.kpi]}<={self.bound:.12g}"

    def met(self, value: float) -> bool:
        slack = _TOLERANCE * abs(self.bound)
        return value >= self.bound - slack if self.kpi == "service_level" else value <= self.bound + slack


def _number(text: str, share: bool) -> float:
    """``0.8``, ``80%`` (shares), ``30`` or ``30s`` (seconds); ValueError otherwise."""
    text = text.strip()
    if share and text.endswith("%"):
        return float(text[:-1]) / 100
    if not share and text.endswith("s"):
        text = text[:-1]
    return float(text)


def _parse_one(text: str) -> Target:
    match = _PATTERN.match(text.strip().lower())
    if not match:
        raise ValueError("not a target (KPI, comparison, value)")
    name, op, value, at = match["name"], match["op"], match["value"], match["at"]
    if name not in _NAMES:
        raise ValueError(f"unknown KPI '{name}'")
    kpi = _NAMES[name]
    lower = kpi == "service_level"
    short = _SHORT[kpi]
    if op in ("<=", "<") and lower:
        raise ValueError("the service level is a floor: write sl=0.8@20 (or sl>=0.8@20)")
    if op in (">=", ">") and not lower:
        raise ValueError(f"{short} is a ceiling: write {short}<={value}")
    if at is not None and not lower:
        raise ValueError("only the service level takes @seconds")
    share = kpi != "asa_seconds"
    try:
        bound = _number(value, share)
    except ValueError:
        raise ValueError(f"'{value}' is not a number" + (" (a share: 0.8 or 80%)" if share else " (seconds)")) from None
    if not math.isfinite(bound) or bound < 0:
        raise ValueError(f"the value must be a finite number >= 0, got '{value}'")
    if share and bound > 1:
        raise ValueError(f"'{value}' is not a share: write 0.8 or 80%")
    if lower and bound >= 1:
        raise ValueError("a service level of 100% cannot be reached by any number of agents (with random "
                         "arrivals someone always waits); use a share below 1, e.g. sl=0.95@20")
    if bound == 0 and kpi in ("asa_seconds", "p_wait", "occupancy"):
        raise ValueError(f"{short}<=0 cannot be met by any number of agents; use a value above 0")
    sl_seconds = None
    if at is not None:
        try:
            sl_seconds = _number(at, share=False)
        except ValueError:
            raise ValueError(f"'@{at}' is not a number of seconds") from None
        if not 0 <= sl_seconds <= MAX_SECONDS:
            raise ValueError(f"the threshold must be between 0 and 10^9 seconds, got '@{at}'")
    return Target(kpi, bound, sl_seconds)


def parse_targets(spec: str | Target | Iterable[str | Target]) -> tuple[Target, ...]:
    """Targets from ``"sl=0.8@20,asa<=30"``, a list of such strings, or Target objects.

    Raises:
        ValueError: one line per bad target, naming its text, then a line listing what is allowed.
    """
    items = [spec] if isinstance(spec, (str, Target)) else list(spec)
    targets, problems = [], []
    for item in items:
        if isinstance(item, Target):
            targets.append(item)
            continue
        if not isinstance(item, str):
            problems.append(f"target {item!r}: not a string such as 'sl=0.8@20'")
            continue
        for piece in (p.strip() for p in item.split(",")):
            if piece:
                try:
                    targets.append(_parse_one(piece))
                except ValueError as exc:
                    problems.append(f"target '{piece}': {exc}")
    if not targets and not problems:
        problems.append("no target given")
    if problems:
        raise ValueError("\n".join([*problems, ALLOWED]))
    return tuple(targets)
