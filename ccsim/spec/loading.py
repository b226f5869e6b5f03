"""Loading a scenario: from a file (or a dict, or ``--set`` overrides) to a validated Scenario.

The planner's file is read safely (:mod:`ccsim.spec.yamltext`: no duplicate keys, no alias
bombs, no deep nesting), the overrides applied, the raw values checked against the limits
(:mod:`ccsim.spec.limits`: no NaN, no ``.inf``, no trillion agents), the schema
(:mod:`ccsim.spec.scenario`) and the cross-checks (:mod:`ccsim.spec.checks`) run, and every
problem turned into one line in planner words (:mod:`ccsim.spec.messages`): where it is in the
file, what is wrong, what is allowed. A file is reported in one pass: when some values do not
validate, the cross-checks still run on what can be known (:mod:`ccsim.spec.partial`).
Finally the size of a replication is estimated, and a day that would not fit in memory is
refused before it runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ScenarioError, format_path
from .checks import cross_checks
from .limits import MAX_FILE_BYTES, measure, scan
from .messages import Located, locate, pydantic_problems  # noqa: F401  (pydantic_problems: used by sweeps)
from .overrides import apply_overrides
from .partial import checks_despite
from .scenario import Scenario
from .size import interval_problems, size_problems
from .yamltext import parse_yaml

#: Problems listed for one file at most (the rest are counted).
MAX_PROBLEMS = 50


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario, overrides: Sequence[str] = ()) -> Scenario:
    """Read and validate a scenario from a YAML file or a dict (e.g. built in a notebook).

    Args:
        source: a path, a dict, or a Scenario.
        overrides: ``"PATH=VALUE"`` changes applied before validation (see :mod:`ccsim.overrides`),
            e.g. ``["pools.tier1.agents=28"]``.

    Raises:
        ScenarioError: with one ``(path, message)`` per problem found.
    """
    if isinstance(source, Scenario):
        if not overrides:
            return source
        source = source.to_dict()
    if isinstance(source, Mapping):
        data, name = source, None
        too_big = measure(data)
        if too_big:
            raise ScenarioError(too_big)
    else:
        data, name = read_yaml(Path(source)), str(source)
        if not isinstance(data, Mapping):
            return validate_scenario(data, source=name)
    if overrides:
        try:
            data = apply_overrides(data, overrides)
        except ScenarioError as exc:
            raise ScenarioError(exc.problems, source=name) from None
        name = f"{name} with --set" if name else "--set"
    return validate_scenario(data, source=name)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file safely (see :mod:`ccsim.spec.yamltext`), every failure a ScenarioError."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError([("(file)", "no such file")], source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([("(file)", f"cannot be read: {exc}")], source=str(path)) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([("(file)", f"is larger than {MAX_FILE_BYTES // 1_000_000} MB; a scenario file may be "
                              f"at most {MAX_FILE_BYTES // 1_000_000} MB")], source=str(path))
    try:
        return parse_yaml(text)
    except ScenarioError as exc:
        raise ScenarioError(exc.problems, source=str(path)) from None


def validate_scenario(data: Any, source: str | None = None) -> Scenario:
    """Validate plain data (as read from YAML) into a Scenario, reporting every problem at once."""
    if not isinstance(data, Mapping):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError([("(top level)", f"a scenario must be a mapping of keys, got {got}")], source)
    too_big = measure(data)
    if too_big:
        raise ScenarioError(too_big, source)
    flags = [Located(loc, "limit", bounds, _at(data, loc), message) for loc, message, bounds in scan(data)]
    scenario, errors = None, []
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        errors = [e for e in locate(exc, Scenario, data) if not _follows(e, flags)]
    if scenario is not None:
        flagged = {e.loc for e in flags}
        dumped = scan(scenario.model_dump(by_alias=True), numeric_text=False)
        flags += [Located(loc, "limit", bounds, _at(data, loc), message)
                  for loc, message, bounds in dumped if loc not in flagged]
        if not any(e.loc[:1] == ("horizon",) for e in flags):  # else a consequence of the flagged value
            flags += [Located(_loc(path), "limit", {}, None, message)
                      for path, message in interval_problems(scenario)]
    bad = flags + errors
    if bad:
        problems = [(e.path, e.message) for e in bad]
        raise ScenarioError(_capped(problems + _new(checks_despite(data, bad), problems)), source)
    assert scenario is not None
    problems = cross_checks(scenario)
    if problems:
        raise ScenarioError(_capped(problems), source)
    problems = size_problems(scenario)
    if problems:
        raise ScenarioError(problems, source)
    return scenario


#: Errors about a mapping or list as such, never a consequence of one value inside it.
_STRUCTURAL = frozenset({"missing", "extra_forbidden", "union_tag_not_found", "union_tag_invalid"})


def _follows(e: Located, flags: list[Located]) -> bool:
    """Whether a schema error is only a consequence of a value a limit flagged (``.nan`` is not
    greater than 0 either): at or below the flagged value, or a rule of a list or mapping
    holding it (a per-interval list with an ``.inf`` in it)."""
    for flag in flags:
        if e.loc[: len(flag.loc)] == flag.loc:
            return True
        if e.kind not in _STRUCTURAL and flag.loc[: len(e.loc)] == e.loc:
            return True
    return False


def _at(data: Any, loc: tuple[Any, ...]) -> Any:
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _loc(path: str) -> tuple[Any, ...]:
    return tuple(int(p) if p.isdigit() else p for p in path.replace("[", ".").replace("]", "").split("."))


def _new(extra: list[tuple[str, str]], known: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen = set(known)
    return [p for p in extra if p not in seen]


def _capped(problems: list[tuple[str, str]]) -> list[tuple[str, str]]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    more = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [("(more)", f"{more:,} more problem{'s' if more > 1 else ''} not shown")]


__all__ = ["format_path", "load_scenario", "pydantic_problems", "read_yaml", "validate_scenario"]
