"""Errors a planner can act on.

A scenario file written by hand has typos: ``pools[1].agnets``, a share of 0.6 where the
shares must sum to 1, 30 staffing values for a day of 48 half-hours. Each problem becomes one
line naming where it is in the file, what is wrong and what is allowed; the CLI prints the
lines and exits with code 2.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def format_path(loc: Sequence[str | int]) -> str:
    """``("pools", 1, "agents")`` -> ``"pools[1].agents"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


class ScenarioError(ValueError):
    """A scenario (or sweep spec, or override) that cannot be used, with every problem found.

    Attributes:
        problems: ``(path, message)`` pairs, e.g. ``("pools[1].agents", "must be ...")``.
        source: the file the problems are in, when there is one.
    """

    def __init__(self, problems: Iterable[tuple[str, str]], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return "\n".join(f"{where}{path}: {message}" for path, message in self.problems)
