"""Shift templates: the shifts a roster may be built from, as a planner writes them down.

"Full-time agents start on the half hour between 07:30 and 12:00, work 8.5 hours with a
15-minute break after 2 hours, a 30-minute unpaid lunch somewhere between 3.5 and 5.5 hours
in, and another 15 minutes after 6.5 hours; part-timers work 4 hours from 10:00, 11:00 or
16:00, at most 12 of them." A templates file::

    templates:
      - name: full_day
        pools: [generalists, cards]      # default: every pool being scheduled
        start: {from: "07:30", to: "12:00", every_minutes: 30}   # or "08:00", or a list
        hours: 8.5                        # breaks included
        breaks:
          - {after_hours: 2, minutes: 15}                       # paid unless paid: false
          - {window_after_hours: [3.5, 5.5], minutes: 30, paid: false}
          - {after_hours: 6.5, minutes: 15}
        cost_per_hour: 32                 # per paid hour; or cost_per_shift; default: the pool's
        min: 0                            # agents on this template (all its starts), per pool
        max: 60
      - name: part_time
        start: ["10:00", "11:00", "16:00"]
        hours: 4
        breaks: [{at: "12:00", minutes: 10}]
        cost_per_shift: 120
        max: 12

A break is placed by ``at`` (a clock time), ``after_hours`` (from the shift's start),
``window`` (clock times: the agents of the shift take it one after another, spread evenly
over the window) or ``window_after_hours`` (the same, relative to the shift's start). Each
template and start time becomes a :class:`ShiftOption` per pool: the engine's
:class:`~ccsim.spec.workforce.Shift` with its paid hours and cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, field_validator, model_validator

from ..errors import ScenarioError
from ..spec.base import Name, _Model, check_clock, clock_seconds
from ..spec.loading import pydantic_problems, read_yaml
from ..spec.scenario import Scenario
from ..spec.workforce import Break, Shift

DAY_MINUTES = 24 * 60


def _clock_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class StartRange(_Model):
    """Start times every ``every_minutes`` from ``from`` to ``to`` (both included)."""

    from_: str = Field(alias="from")
    to: str
    every_minutes: float = Field(gt=0, le=DAY_MINUTES)

    @field_validator("from_", "to")
    @classmethod
    def _clock(cls, value: str) -> str:
        return check_clock(value)


class TemplateBreak(Break):
    """A shift's break (:class:`~ccsim.spec.workforce.Break`, clock times checked alike) that
    may also sit in a window counted from the shift's start, placed in one of four ways."""

    minutes: float = Field(gt=0, le=8 * 60)
    window_after_hours: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _one_placement(self) -> TemplateBreak:
        given = [k for k in ("at", "after_hours", "window", "window_after_hours") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a break needs exactly one of 'at', 'after_hours', 'window' or 'window_after_hours'"
                             + (f"; got {' and '.join(given)}" if given else ""))
        w = self.window_after_hours
        if w is not None and not 0 <= w[0] < w[1]:
            raise ValueError(f"window_after_hours must be [earliest, latest] hours after the start with "
                             f"0 <= earliest < latest, got {list(w)}")
        return self


class Template(_Model):
    """A kind of shift: when it may start, how long it is, its breaks, its cost, how many."""

    name: Name
    pools: list[Name] | None = Field(default=None, description="the pools it staffs; default all")
    start: Annotated[list[str] | StartRange, BeforeValidator(_clock_list)]
    hours: float = Field(gt=0, le=24, description="length, breaks included")
    breaks: list[TemplateBreak] = Field(default_factory=list)
    cost_per_hour: float | None = Field(default=None, ge=0, description="per paid hour; default the pool's")
    cost_per_shift: float | None = Field(default=None, ge=0)
    min: int = Field(default=0, ge=0, description="agents on this template at least (per pool)")
    max: int | None = Field(default=None, ge=0, description="agents on this template at most (per pool)")

    @field_validator("start")
    @classmethod
    def _starts(cls, value: list[str] | StartRange) -> list[str] | StartRange:
        if isinstance(value, list):
            if not value:
                raise ValueError("give at least one start time, e.g. '08:00'")
            return [check_clock(v) for v in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        if self.cost_per_hour is not None and self.cost_per_shift is not None:
            raise ValueError("give cost_per_hour or cost_per_shift, not both")
        if self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        for i, b in enumerate(self.breaks):
            end = (b.after_hours if b.after_hours is not None else
                   b.window_after_hours[1] if b.window_after_hours is not None else None)
            if end is not None and end + (b.minutes / 60 if b.after_hours is not None else 0) > self.hours + 1e-9:
                raise ValueError(f"breaks[{i}] ends after the shift's {self.hours:g} hours")
        return self

    def start_times(self) -> list[str]:
        if isinstance(self.start, list):
            return list(dict.fromkeys(self.start))
        a = clock_seconds(self.start.from_) / 60
        b = clock_seconds(self.start.to) / 60
        if b < a:
            b += DAY_MINUTES  # overnight: 22:00 to 02:00
        times, t = [], a
        while t <= b + 1e-9:
            times.append(_clock(t))
            t += self.start.every_minutes
        return list(dict.fromkeys(times))


class TemplateFile(_Model):
    """A templates file: ``templates:`` and a list."""

    templates: list[Template] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> TemplateFile:
        names = [t.name for t in self.templates]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"template names must be unique; twice: {', '.join(twice)}")
        return self


@dataclass(frozen=True)
class ShiftOption:
    """One way to employ an agent: a template's shift starting at one time, for one pool."""

    template: str
    pool: int
    start: str
    shift: Shift  # count 1; the engine's shift with its breaks as clock times
    paid_hours: float
    cost: float  # of one agent on it
    min: int
    max: int | None


def _clock(minutes: float) -> str:
    m = int(round(minutes)) % DAY_MINUTES
    return f"{m // 60:02d}:{m % 60:02d}"


def read_templates(path: str | Path) -> TemplateFile:
    """Read and validate a templates file; every problem one line (ScenarioError)."""
    data = read_yaml(Path(path))
    if not isinstance(data, dict):
        raise ScenarioError([("(top level)", "a templates file is a mapping with 'templates:' and a list")], str(path))
    try:
        return TemplateFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc, TemplateFile, data), str(path)) from None


def shift_options(templates: TemplateFile, s: Scenario, pools: list[int], source: str = "templates"
                  ) -> list[ShiftOption]:
    """Every template x start time x pool it staffs, as engine shifts with paid hours and cost.

    Raises:
        ScenarioError: a template naming a pool that is not being scheduled, a break at a clock
            time outside a shift, a pool no template staffs.
    """
    names = {s.pools[p].name: p for p in pools}
    problems, options = [], []
    for i, t in enumerate(templates.templates):
        unknown = [n for n in t.pools or () if n not in names]
        if unknown:
            problems.append((f"templates[{i}].pools", f"{', '.join(unknown)}: not a pool being scheduled "
                                                      f"(pools: {', '.join(names)})"))
            continue
        unpaid = sum(b.minutes for b in t.breaks if not b.paid) / 60
        for start in t.start_times():
            breaks = []
            for j, b in enumerate(t.breaks):
                try:
                    breaks.append(_engine_break(b, start, t.hours))
                except ValueError as exc:
                    problems.append((f"templates[{i}].breaks[{j}]", f"{exc} (the shift starting {start})"))
            shift = Shift(start=start, hours=t.hours, count=1, breaks=breaks, name=f"{t.name}-{start}")
            paid = t.hours - unpaid
            for name in t.pools or names:
                p = names[name]
                rate = t.cost_per_hour if t.cost_per_hour is not None else s.pools[p].cost_per_hour
                cost = t.cost_per_shift if t.cost_per_shift is not None else rate * paid
                options.append(ShiftOption(t.name, p, start, shift, paid, cost, t.min, t.max))
    free = sorted({(o.template, s.pools[o.pool].name) for o in options if o.cost == 0})
    if free and any(o.cost > 0 for o in options):
        problems += [("templates", f"template {t} costs nothing for pool {p} (it gives no cost and the pool's "
                                   "cost_per_hour is 0) while other shifts cost something; give it cost_per_hour "
                                   "or cost_per_shift") for t, p in free]
    missing = [n for n, p in names.items() if not any(o.pool == p for o in options)]
    if missing and not problems:
        problems.append(("templates", f"no template staffs pool{'s' if len(missing) > 1 else ''} "
                                      f"{', '.join(missing)}; add one (or list it in a template's pools)"))
    if problems:
        raise ScenarioError(problems, source)
    return options


def _engine_break(b: TemplateBreak, start: str, hours: float) -> Break:
    """A template's break for a shift starting at ``start``, as the engine's Break."""
    begin = clock_seconds(start) / 60
    if b.at is not None:
        offset = (clock_seconds(b.at) / 60 - begin) % DAY_MINUTES
        if offset + b.minutes > hours * 60 + 1e-9:
            raise ValueError(f"at {b.at} is outside the shift ({start} for {hours:g} h)")
        return Break(minutes=b.minutes, at=b.at, paid=b.paid)
    if b.after_hours is not None:
        return Break(minutes=b.minutes, after_hours=b.after_hours, paid=b.paid)
    if b.window is not None:
        lo = (clock_seconds(b.window[0]) / 60 - begin) % DAY_MINUTES
        hi = (clock_seconds(b.window[1]) / 60 - begin) % DAY_MINUTES
        if lo > hours * 60 or hi > hours * 60 or hi < lo:
            raise ValueError(f"window {b.window[0]}-{b.window[1]} is not inside the shift ({start} for {hours:g} h)")
        return Break(minutes=b.minutes, window=b.window, paid=b.paid)
    lo, hi = b.window_after_hours
    return Break(minutes=b.minutes, window=(_clock(begin + lo * 60), _clock(begin + hi * 60)), paid=b.paid)
