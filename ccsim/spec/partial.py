"""Checking what can be checked in a scenario that does not validate.

A file with a bad scenario name (``name: my center``) and segments whose shares sum to 1.2
has two problems; a planner should hear of both at once, not fix the name and only then
learn about the shares. The cross-checks (:mod:`ccsim.spec.checks`) need a validated
Scenario, so this module builds one from a *repaired copy* of the data: each value that
failed is replaced by a valid stand-in, and the cross-checks run on it.

A stand-in must not create problems of its own ("no pool named 'x'" because the stand-in
name is 'x'). So:

* a problem at or under a repaired value, or whose message quotes a stand-in, is dropped;
* two repairs are made with different stand-ins (names ``ccsimA0x`` and ``ccsimB0x``,
  numbers 1 and 0, false and true, the first and the last allowed word, a mapping with only
  the required keys and one with every key), and only the problems both repairs report,
  word for word, are kept: a problem that depends on a stand-in differs between them, or is
  absent from one.

The stand-ins are found by pydantic itself: a first guess, then whatever the next round of
errors asks for (a mapping, a list, a number below 1), for a few rounds. When a value cannot
be repaired, no cross-check is reported: a missing message is better than a wrong one.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections import Counter
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import format_path
from .checks import cross_checks
from .limits import scan
from .messages import Located, literals, locate
from .scenario import Scenario
from .size import interval_problems

MAX_ROUNDS = 8
MAX_TRIES = 5  # repairs of one location

_NUMBERS = ((1, 2, 3, 0.5, 10, 0.25, 100, 1000), (0, 2, 0.5, 3, 5, 0.75, 60, 1000))
_CLOCKS = ("08:00", "12:00")
_TOKEN = re.compile(r"ccsim[AB]f?\d+x")

Problem = tuple[str, str]


class _GiveUp(Exception):
    """A value that cannot be repaired (or a repair that does not validate)."""


def checks_despite(data: Any, bad: list[Located]) -> list[Problem]:
    """The cross-check problems of ``data`` that do not depend on the values in ``bad``.

    Returns ``[]`` when the values cannot be repaired.

    Args:
        data: the scenario data (a mapping), unchanged.
        bad: the values that failed validation or a limit, located in ``data``.
    """
    found: list[list[Problem]] = []
    for variant in (0, 1):
        try:
            found.append(_repaired_problems(data, bad, variant))
        except Exception:  # _GiveUp, or a stand-in upset a check as no real file would: say nothing
            return []
    other = set(found[1])
    return [p for p in dict.fromkeys(found[0]) if p in other]


def _repaired_problems(data: Any, bad: list[Located], variant: int) -> list[Problem]:
    fixer = _Fixer(variant)
    work = copy.deepcopy(dict(data))
    pending = bad
    for _ in range(MAX_ROUNDS):
        for e in pending:
            fixer.fix(work, e)
        try:
            scenario = Scenario.model_validate(work)
            break
        except ValidationError as exc:
            pending = locate(exc, Scenario, work)
    else:
        raise _GiveUp
    if interval_problems(scenario):
        raise _GiveUp
    problems = cross_checks(scenario) + _post_scan(scenario)
    return [(path, msg) for path, msg in problems if not fixer.involved(path, msg)]


def _post_scan(scenario: Scenario) -> list[Problem]:
    return [(format_path(loc), msg) for loc, msg, _ in scan(scenario.model_dump(by_alias=True), numeric_text=False)]


class _Fixer:
    """Puts a valid stand-in where a value failed; ``variant`` 0 and 1 choose different ones."""

    def __init__(self, variant: int):
        self.variant = variant
        self.names: dict[str, str] = {}
        self.fresh = 0
        self.bounds: dict[tuple, dict[str, float]] = {}
        self.tries: Counter = Counter()
        self.touched: set[str] = set()  # paths repaired, as written in messages
        self.written: set[tuple] = set()  # locations holding a stand-in (not the planner's value)

    def involved(self, path: str, message: str) -> bool:
        """Whether a problem is at or under a repaired value, or quotes a stand-in."""
        return bool(_TOKEN.search(message)) or any(
            path == t or path.startswith((f"{t}.", f"{t}[")) for t in self.touched)

    def name_for(self, text: str) -> str:
        if text not in self.names:
            self.names[text] = f"ccsim{'AB'[self.variant]}{len(self.names)}x"
        return self.names[text]

    def fresh_name(self) -> str:
        self.fresh += 1
        return f"ccsim{'AB'[self.variant]}f{self.fresh}x"  # equal to nothing else

    def fix(self, work: dict, e: Located) -> None:
        loc = e.loc
        if not loc:
            raise _GiveUp  # the scenario as a whole (a rule across sections)
        self.tries[loc] += 1
        if self.tries[loc] > MAX_TRIES:
            raise _GiveUp
        self.touched.add(format_path(loc))
        if e.kind == "extra_forbidden":
            self._unknown_key(work, e)
            return
        original = not any(loc[: len(w)] == w for w in self.written)
        _put(work, loc, self.stand_in(e, original))
        self.written.add(loc)

    def _unknown_key(self, work: dict, e: Located) -> None:
        """Drop an unknown key; if it looks like a typo of an absent key, vary that key."""
        parent = _get(work, e.loc[:-1])
        if not isinstance(parent, dict) or e.loc[-1] not in parent:
            raise _GiveUp
        value = parent.pop(e.loc[-1])
        close = difflib.get_close_matches(str(e.loc[-1]), e.allowed, n=1)
        if close and close[0] not in parent and self.variant == 0:
            parent[close[0]] = value  # as if spelled right (variant 1: as if left out)

    def stand_in(self, e: Located, original: bool = True) -> Any:
        """A valid value for ``e.loc``; ``original``: the value there is the planner's, not a stand-in."""
        kind, value, v = e.kind, e.value, self.variant
        if kind in ("string_type", "string_pattern_mismatch", "string_too_short", "string_too_long",
                    "string_sub_type"):
            if original and isinstance(value, (str, int, float, bool)) and len(str(value)) < 200:
                return self.name_for(str(value))
            return self.fresh_name()
        if kind == "clock":
            return _CLOCKS[v]
        if kind in ("bool_type", "bool_parsing"):
            return bool(v)
        if kind == "literal_error":
            words = literals(e.ctx.get("expected", ""))
            if not words:
                raise _GiveUp
            return words[-1] if v else words[0]
        if kind == "union":
            return self._union(e)
        if kind in ("dict_type", "model_type", "model_attributes_type"):
            return self.mapping(e)
        if kind in ("list_type", "tuple_type", "set_type"):
            return []
        if kind == "too_short":
            return (list(value) if isinstance(value, (list, tuple)) else []) + [1]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            key = str(e.ctx.get("discriminator", "'dist'")).strip("'")
            tags = literals(e.ctx.get("expected_tags", ""))
            if not tags:
                raise _GiveUp
            return {key: tags[-1] if v else tags[0]}
        if kind == "value_error" and isinstance(value, dict):
            return self.mapping(e)
        if kind == "script":
            return "all" if v else None
        if kind in _NUMBER_KINDS:
            return self.number(e)
        raise _GiveUp

    def mapping(self, e: Located) -> dict:
        """Variant 0: an empty mapping (defaults, required keys to come); variant 1: every key."""
        model = e.expects
        if self.variant == 0 or not (isinstance(model, type) and issubclass(model, BaseModel)):
            return {}
        return {f.alias or name: 1 for name, f in model.model_fields.items()}

    def _union(self, e: Located) -> Any:
        kinds = e.ctx.get("kinds") or []
        words = e.ctx.get("literals") or []
        if words:
            return words[-1] if self.variant else words[0]
        kind = kinds[-1] if self.variant and kinds else kinds[0] if kinds else ""
        return self.stand_in(Located(e.loc, kind, {}, e.value), original=False)

    def number(self, e: Located) -> float | int:
        bounds = self.bounds.setdefault(e.loc, {})
        for key in ("gt", "ge", "lt", "le"):
            if key in e.ctx and isinstance(e.ctx[key], (int, float)):
                bounds[key] = e.ctx[key]
        if e.kind.startswith("int") or "whole number" in e.message or isinstance(e.value, int):
            bounds["integer"] = 1
        for x in _NUMBERS[self.variant]:
            if _within(x, bounds):
                return x
        raise _GiveUp


_NUMBER_KINDS = frozenset({
    "missing", "int_type", "int_parsing", "int_from_float", "float_type", "float_parsing", "greater_than",
    "greater_than_equal", "less_than", "less_than_equal", "finite_number", "multiple_of", "per_interval", "limit",
    "int_parsing_size",
})


def _within(x: float, b: dict[str, float]) -> bool:
    return not (("integer" in b and x != int(x)) or ("gt" in b and not x > b["gt"])
                or ("ge" in b and not x >= b["ge"]) or ("lt" in b and not x < b["lt"])
                or ("le" in b and not x <= b["le"]))


def _get(work: Any, loc: tuple) -> Any:
    node = work
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def _put(work: dict, loc: tuple, value: Any) -> None:
    """Set ``value`` at ``loc``; where the data stops short (a name where a mapping goes, as in
    ``skills: [cards]``), replace what is there."""
    node: Any = work
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(node, dict) and (part in node or last):
            if last:
                node[part] = value
                return
            child = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if last:
                node[part] = value
                return
            child = node[part]
        else:
            break
        if not isinstance(child, (dict, list)):
            node[part] = value  # the value stops here: replace it
            return
        node = child
    else:
        return
    raise _GiveUp
