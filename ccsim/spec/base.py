"""The building blocks of a scenario file: names, per-interval values, clock times.

Every section of a scenario is a frozen pydantic model that forbids unknown keys (a typo like
``agnets`` is an error, not a silently ignored key). A value given "per interval" is one
number for the whole day or a list with one number per planning interval: 600 calls an hour
all day, or ``[300, 450, 600, ...]`` from 08:00 on.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from ..errors import short

#: Bounds that keep each contact's pre-drawn random numbers a fixed, small number.
MAX_CHAIN = 20
MAX_SECONDARY = 5
MAX_REPLAYS = 5

Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]


def _per_interval(integer: bool) -> BeforeValidator:
    """A value that is either one number for the whole horizon or a list with one per interval."""
    kind = "a whole number" if integer else "a number"

    def check_one(value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PydanticCustomError(
                "per_interval", f"must be {kind} >= 0, or a list of them (one per interval), got {short(value)}"
            )
        if isinstance(value, float) and math.isnan(value):
            raise PydanticCustomError("per_interval", f"must be {kind} >= 0, got .nan (not a number)")
        if value < 0 or (isinstance(value, float) and math.isinf(value)):
            raise PydanticCustomError("per_interval", f"must be {kind} >= 0, got {short(value)}")
        if integer and value != int(value):
            raise PydanticCustomError("per_interval", f"must be {kind} >= 0, got {short(value)}")
        try:
            return int(value) if integer else float(value)
        except OverflowError:  # an integer of hundreds of digits
            raise PydanticCustomError("per_interval", f"is far too large, got {short(value)}") from None

    def validate(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if not value:
                raise PydanticCustomError("per_interval", "an empty list; give one value per interval")
            return [check_one(v) for v in value]
        return check_one(value)

    return BeforeValidator(validate)


PerIntervalRate = Annotated[float | list[float], _per_interval(integer=False)]
PerIntervalCount = Annotated[int | list[int], _per_interval(integer=True)]
#: Agents per interval: whole numbers, or fractions (7.4 agents: time-shared, see engine/staffing.py).
PerIntervalAgents = Annotated[float | list[float], _per_interval(integer=False)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def clock_seconds(value: str) -> float:
    """``'08:30'`` -> seconds after midnight."""
    hh, mm = (int(x) for x in value.split(":"))
    return hh * 3600.0 + mm * 60.0


def check_clock(value: str) -> str:
    """A clock time ``'HH:MM'`` (``'9:30'`` too). Use it in a field validator of every clock field:
    the loader then recognizes the field and hints that ``start: 9:30`` needs quotes."""
    if not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", value):
        raise PydanticCustomError("clock", f"must be a clock time HH:MM from 00:00 to 23:59, in quotes, e.g. '08:00'; "
                                  f"got {short(value)}")
    return value
