"""Errors a planner can act on.

A scenario file written by hand has typos: ``pools[1].agnets``, a share of 0.6 where the
shares must sum to 1, 30 staffing values for a day of 48 half-hours. Each problem becomes one
line naming where it is in the file, what is wrong and what is allowed; the CLI prints the
lines and exits with code 2.

A line quotes at most a short prefix of what the file says (:func:`short`): a file may hold a
list of a million values, or a YAML alias bomb, and the message must still be one line.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Iterable, Sequence
from typing import Any

#: Longest path and message of one problem, in characters; longer ones are cut with "...".
MAX_PATH = 200
MAX_MESSAGE = 600


class _Short(reprlib.Repr):
    """``repr`` with small limits, spelling values the way YAML does (true, null, .inf)."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel, self.maxlist, self.maxtuple, self.maxdict, self.maxset = 2, 4, 4, 3, 4
        self.maxstring, self.maxlong, self.maxother = 40, 40, 40

    def repr_bool(self, x: bool, level: int) -> str:
        return "true" if x else "false"

    def repr_NoneType(self, x: None, level: int) -> str:  # noqa: N802 (reprlib's naming)
        return "null"

    def repr_float(self, x: float, level: int) -> str:
        if math.isnan(x):
            return ".nan"
        if math.isinf(x):
            return ".inf" if x > 0 else "-.inf"
        return self.repr_instance(x, level)

    def repr_instance(self, x: Any, level: int) -> str:
        try:
            text = repr(x)
        except Exception:  # a value that cannot even say what it is
            text = f"<{type(x).__name__}>"
        return clip(text, self.maxother)

    def repr_int(self, x: int, level: int) -> str:
        # Python refuses to print an int of more than 4300 digits: say how long it is instead.
        if x.bit_length() > 130:
            return f"a number of about {int(x.bit_length() * 0.30103) + 1} digits"
        return repr(int(x))


_short = _Short()


def short(value: Any) -> str:
    """A value as quoted in a message: ``'fast'``, ``[1, 2, 3, 4, ...]``, ``.inf``; never long."""
    try:
        return _short.repr(value)
    except Exception:  # reprlib on an odd object (a recursive structure, a broken __repr__)
        return f"<{type(value).__name__}>"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_path(loc: Sequence[str | int]) -> str:
    """``("pools", 1, "agents")`` -> ``"pools[1].agents"``."""
    out = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        else:
            key = clip(str(part), 60)
            out += f".{key}" if out else key
    return clip(out, MAX_PATH) or "(top level)"


class ScenarioError(ValueError):
    """A scenario (or sweep spec, or override) that cannot be used, with every problem found.

    Attributes:
        problems: ``(path, message)`` pairs, e.g. ``("pools[1].agents", "must be ...")``; each
            path and message is one line of bounded length.
        source: the file the problems are in, when there is one.
    """

    def __init__(self, problems: Iterable[tuple[str, str]], source: str | None = None):
        self.problems = [(_line(path, MAX_PATH), _line(message, MAX_MESSAGE)) for path, message in problems]
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return "\n".join(f"{where}{path}: {message}" for path, message in self.problems)


def _line(text: Any, limit: int) -> str:
    return clip(" ".join(str(text).split()) or "?", limit)
