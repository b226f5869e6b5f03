"""Overrides: change one value of a scenario from the command line.

"Same day, but with 28 agents in tier 1": ``--set pools.tier1.agents=28``. A path is a
dotted list of keys; list items (segments, intents, pools) are addressed by their ``name`` or
by their position (``pools.0.agents``). The value is read as YAML, so numbers, lists
(``--set arrivals.rate_per_hour=[400,500,600]``) and mappings
(``--set 'segments.all.patience={dist: exponential, mean: 90}'``) all work. The result is
validated like a file: a bad path or value is one clear message and exit code 2. The value
is read as safely as a file (:mod:`ccsim.spec.yamltext`), and a scenario grown past the limits
by an override (``--set 'pools.a.agents=[1, 1, ...]'`` with a million values) is refused
before it is copied again.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import ScenarioError
from .limits import measure
from .yamltext import parse_yaml


def parse_override(text: str) -> tuple[list[str], Any]:
    """``"pools.tier1.agents=28"`` -> ``(["pools", "tier1", "agents"], 28)``."""
    path, sep, raw = text.partition("=")
    keys = path.strip().split(".")
    if not sep or not path.strip() or any(not k for k in keys):
        raise ScenarioError([(f"--set {text}", "must be PATH=VALUE, e.g. pools.tier1.agents=28")])
    label = f"--set {text}"
    try:
        value = parse_yaml(raw, label) if raw.strip() else None
    except ScenarioError as exc:
        raise ScenarioError([(label, f"the value is {message}" if message.startswith("not valid YAML") else message)
                             for _, message in exc.problems]) from None
    if value is None:
        raise ScenarioError([(f"--set {text}", "has no value")])
    return keys, value


def apply_overrides(data: Mapping[str, Any], overrides: Iterable[str]) -> dict[str, Any]:
    """A copy of the scenario data with each ``PATH=VALUE`` applied in order (input unchanged)."""
    result = copy.deepcopy(dict(data))
    problems = []
    for text in overrides:
        try:
            keys, value = parse_override(text)
            _set(result, keys, value, f"--set {text}")
        except ScenarioError as exc:
            problems += exc.problems
        else:
            too_big = measure(result)
            if too_big:  # stop before anything copies or validates the grown scenario
                raise ScenarioError(problems + [(f"--set {text}", message) for _, message in too_big])
    if problems:
        raise ScenarioError(problems)
    return result


def apply_values(data: Mapping[str, Any], values: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    """A copy of the scenario data with ``{"pools.tier1.agents": 28, ...}`` applied (a sweep point).

    ``where`` prefixes the path in error messages (e.g. ``"vary."``).
    """
    result = copy.deepcopy(dict(data))
    problems = []
    for path, value in values.items():
        try:
            _set(result, path.split("."), copy.deepcopy(value), f"{where}{path}")
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        raise ScenarioError(problems)
    return result


def _set(node: Any, keys: list[str], value: Any, label: str) -> None:
    """Set ``value`` at ``keys``; errors are reported under ``label`` (what the user wrote)."""
    where: list[str] = []
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, list):
            index = _find_item(node, key, ".".join(where), label)
            if last:
                node[index] = value
                return
            node = node[index]
        elif isinstance(node, dict):
            if last:
                node[key] = value  # a new key is checked by validation like any other
                return
            if key not in node:
                known = ", ".join(map(str, node)) or "none"
                raise ScenarioError([(label, f"'{'.'.join(where + [key])}' is not in the scenario "
                                             f"(keys here: {known})")])
            node = node[key]
        else:
            raise ScenarioError([(label, f"'{'.'.join(where)}' is a value, not a section")])
        where.append(key)


def _find_item(items: list, key: str, where: str, label: str) -> int:
    names = [item.get("name") for item in items if isinstance(item, dict)]
    if key in names:
        return names.index(key)
    if key.isdigit() and int(key) < len(items):
        return int(key)
    listed = ", ".join(str(n) for n in names) or "none"
    raise ScenarioError([(label, f"no item named '{key}' in {where} (names: {listed}; "
                                 f"or a position 0-{len(items) - 1})")])
