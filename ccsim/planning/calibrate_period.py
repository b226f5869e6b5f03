"""Which days and hours a calibration or a backtest looks at, as a planner writes them.

"January to June, Sunday to Thursday, 07:00 to midnight, hourly": ``--train
1999-01-01..1999-06-30 --days Sun-Thu --hours 7-24 --interval 60``. A :class:`Period` holds
the parsed values and gives the filters every function of :mod:`ccsim.planning.observed`
takes (``dates``, ``weekdays``, ``hours``). Dates are inclusive; a month (``1999-07``) means
the whole month, so ``--test 1999-07..1999-10`` is July to October.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import ScenarioError

if TYPE_CHECKING:
    from ..spec.scenario import Scenario

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Period:
    """Days (first to last, inclusive, on the given weekdays) and the hours of each day modelled."""

    first: pd.Timestamp
    last: pd.Timestamp
    weekdays: tuple[str, ...] = WEEKDAYS
    hours: tuple[int, int] = (0, 24)
    interval_minutes: float = 60

    @property
    def select(self) -> dict:
        """The filters of :mod:`ccsim.planning.observed`: ``dates``, ``weekdays``, ``hours``."""
        return {"dates": (self.first, self.last), "weekdays": self.weekdays, "hours": self.hours}

    @property
    def n_intervals(self) -> int:
        return int(round((self.hours[1] - self.hours[0]) * 60 / self.interval_minutes))

    def labels(self) -> list[str]:
        """The intervals' clock labels, ``'07:00'``, ``'08:00'``, ..."""
        start = self.hours[0] * 60
        return [f"{int(m) // 60:02d}:{int(m) % 60:02d}"
                for m in (start + k * self.interval_minutes for k in range(self.n_intervals))]

    def days(self) -> pd.DatetimeIndex:
        """Every calendar day of the period on its weekdays."""
        days = pd.date_range(self.first, self.last, freq="D")
        return days[days.day_name().str[:3].isin(self.weekdays)]

    def overlaps(self, other: Period) -> bool:
        return self.first <= other.last and other.first <= self.last

    def describe(self) -> str:
        days = _describe_days(self.weekdays)
        return (f"{self.first:%Y-%m-%d}..{self.last:%Y-%m-%d}, {days}, {self.hours[0]:02d}:00-{self.hours[1]:02d}:00, "
                f"{self.interval_minutes:g}-min intervals")


def parse_dates(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``'1999-01-01..1999-06-30'`` (inclusive), months ``'1999-07..1999-10'``, or one day or month.

    Raises:
        ValueError: not two dates, a date that is not one, or the last before the first.
    """
    parts = [p.strip() for p in str(text).split("..")]
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"'{text}' is not FROM..TO, e.g. 1999-01-01..1999-06-30 (or months: 1999-01..1999-06)")
    first, last = _date(parts[0], end=False), _date(parts[1], end=True)
    if last < first:
        raise ValueError(f"'{text}': the last day ({last:%Y-%m-%d}) is before the first ({first:%Y-%m-%d})")
    return first, last


def _date(text: str, end: bool) -> pd.Timestamp:
    month = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
    if month:
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            raise ValueError(f"'{text}' is not a month (YYYY-MM)")
        day = calendar.monthrange(year, number)[1] if end else 1
        return pd.Timestamp(year, number, day)
    if not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
        raise ValueError(f"'{text}' is not a date (YYYY-MM-DD) or a month (YYYY-MM)")
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise ValueError(f"'{text}' is not a date of the calendar") from None


def parse_days(text: str) -> tuple[str, ...]:
    """``'Sun-Thu'`` (a range, wrapping past Sunday), ``'Sun,Mon,Tue'``, ``'all'`` -> weekday names.

    Raises:
        ValueError: a name that is not a weekday.
    """
    text = str(text).strip()
    if text.lower() in ("all", "*", ""):
        return WEEKDAYS
    names: list[str] = []
    for part in (p.strip() for p in text.split(",")):
        ends = [_weekday(x) for x in part.split("-")]
        if len(ends) == 1:
            names.append(WEEKDAYS[ends[0]])
        elif len(ends) == 2:
            k = ends[0]
            while True:
                names.append(WEEKDAYS[k])
                if k == ends[1]:
                    break
                k = (k + 1) % 7
        else:
            raise ValueError(f"'{part}' is not a day or a range of days (e.g. Sun-Thu)")
    return tuple(dict.fromkeys(names))


def _weekday(text: str) -> int:
    key = text.strip()[:3].title()
    if key not in WEEKDAYS or len(text.strip()) < 3:
        raise ValueError(f"'{text.strip()}' is not a day of the week; allowed: {', '.join(WEEKDAYS)}")
    return WEEKDAYS.index(key)


def parse_hours(text: str) -> tuple[int, int]:
    """``'7-24'`` -> (7, 24): the intervals starting from 07:00 to before 24:00.

    Raises:
        ValueError: not two whole hours from 0 to 24 with the first before the second.
    """
    match = re.fullmatch(r"\s*(\d{1,2})\s*-\s*(\d{1,2})\s*", str(text))
    if not match or not 0 <= int(match[1]) < int(match[2]) <= 24:
        raise ValueError(f"'{text}' is not FROM-TO in whole hours, 0 <= FROM < TO <= 24 (e.g. 7-24)")
    return int(match[1]), int(match[2])


def check_interval(minutes: float, hours: tuple[int, int]) -> float:
    """An interval length that divides the day and the hours modelled, with an interval
    starting at the first hour (the log's intervals count from midnight).

    Raises:
        ValueError: otherwise.
    """
    span = (hours[1] - hours[0]) * 60
    if minutes <= 0 or 1440 % minutes or span % minutes or (hours[0] * 60) % minutes:
        raise ValueError(f"{minutes:g} min must divide the day and the {span // 60} hours modelled from "
                         f"{hours[0]:02d}:00, with an interval starting at {hours[0]:02d}:00 (e.g. 15, 30, 60)")
    return float(minutes)


def period_from(train, days, hours, interval) -> Period:
    """The training period from ``--train``, ``--days``, ``--hours`` and ``--interval``.

    Raises:
        ScenarioError: naming each bad option.
    """
    problems: list[tuple[str, str]] = []
    first, last, weekdays = _dates_and_days("--train", train, days, problems)
    hours_ = None
    try:
        hours_ = parse_hours(hours) if isinstance(hours, str) else parse_hours(f"{hours[0]}-{hours[1]}")
    except ValueError as exc:
        problems.append(("--hours", str(exc)))
    if hours_ is not None:
        try:
            check_interval(interval, hours_)
        except ValueError as exc:
            problems.append(("--interval", str(exc)))
    if problems:
        raise ScenarioError(problems)
    return Period(first, last, weekdays, hours_, float(interval))


def test_period(test, days, scenario: Scenario, meta: dict) -> Period:
    """The test period of a backtest: ``--test`` and ``--days`` (default: the calibration's, in
    ``meta``), the hours and intervals of the scenario's horizon; never overlapping ``meta``'s
    training period.

    Raises:
        ScenarioError: naming each bad option, a horizon that is not whole hours of one day, an overlap.
    """
    problems: list[tuple[str, str]] = []
    first, last, weekdays = _dates_and_days("--test", test, days if days is not None else meta.get("days", "all"),
                                            problems)
    if problems:
        raise ScenarioError(problems)
    start = int(scenario.horizon.start.split(":")[0])
    hours = (start, start + int(round(scenario.horizon.hours)))
    if hours[1] > 24 or scenario.horizon.start[-2:] != "00":
        raise ScenarioError([("SCENARIO", "a backtest needs a horizon of whole hours within one day "
                              f"(this one starts at {scenario.horizon.start} and lasts {scenario.horizon.hours:g} h)")])
    period = Period(first, last, weekdays, hours, scenario.horizon.interval_minutes)
    if meta.get("train"):
        t0, t1 = parse_dates(meta["train"])
        if period.overlaps(Period(t0, t1)):
            raise ScenarioError([("--test", f"{first:%Y-%m-%d}..{last:%Y-%m-%d} overlaps the training period "
                                  f"{meta['train']}: test on days the calibration has not seen")])
    return period


def _dates_and_days(option: str, dates, days, problems: list) -> tuple:
    """First and last day (``"FROM..TO"`` or a pair) and weekdays (``"Sun-Thu"`` or names);
    what cannot be read is added to ``problems`` (and comes back as None)."""
    first = last = weekdays = None
    try:
        if dates is None:
            what = "test" if option == "--test" else "training"
            raise ValueError(f"give the {what} period, FROM..TO (e.g. 1999-07-01..1999-10-31)")
        first, last = dates if isinstance(dates, tuple) else parse_dates(dates)
        first, last = pd.Timestamp(first), pd.Timestamp(last)
    except (ValueError, TypeError) as exc:
        problems.append((option, str(exc)))
    try:
        weekdays = parse_days(days if isinstance(days, str) else ",".join(days))
    except ValueError as exc:
        problems.append(("--days", str(exc)))
    return first, last, weekdays


def _describe_days(weekdays: tuple[str, ...]) -> str:
    if set(weekdays) == set(WEEKDAYS):
        return "every day"
    return ",".join(weekdays)
