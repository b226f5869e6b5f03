"""Loading a scenario: from a file (or a dict, or ``--set`` overrides) to a validated Scenario.

The planner's file is read with ``yaml.safe_load``, the overrides applied, the schema
(:mod:`ccsim.spec.scenario`) and the cross-checks (:mod:`ccsim.spec.checks`) run, and every
problem turned into one line in planner words: where it is in the file, what is wrong, what
is allowed.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import ScenarioError, format_path
from .checks import cross_checks
from .distributions import DIST_KINDS
from .overrides import apply_overrides
from .scenario import Scenario


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
    """Parse a YAML file (safe_load only), turning every failure into a ScenarioError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([("(file)", "no such file")], source=str(path)) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ScenarioError([("(file)", f"cannot be read: {exc}")], source=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([(where, f"not valid YAML: {problem}")], source=str(path)) from None


def validate_scenario(data: Any, source: str | None = None) -> Scenario:
    """Validate plain data (as read from YAML) into a Scenario."""
    if not isinstance(data, Mapping):
        got = "an empty file" if data is None else f"a {type(data).__name__}"
        raise ScenarioError([("(top level)", f"a scenario must be a mapping of keys, got {got}")], source)
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as exc:
        raise ScenarioError(pydantic_problems(exc, Scenario), source) from None
    problems = cross_checks(scenario)
    if problems:
        raise ScenarioError(problems, source)
    return scenario


# ---------------------------------------------------------------------------------------------
# Turning pydantic's errors into one line per problem with the path in the file.


def pydantic_problems(exc: ValidationError, root: type[BaseModel]) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors(include_url=False):
        raw = list(err["loc"])
        loc = [p for p in raw if not _is_union_tag(p)]
        path = format_path(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            allowed = _allowed_keys(root, raw[:-1])
            hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
            message = f"unknown key{hint}"
        elif kind == "missing":
            message = "is required"
        elif kind == "union_tag_invalid":
            message = f"unknown distribution '{err['ctx']['tag']}'; allowed: {', '.join(DIST_KINDS)}"
        elif kind == "union_tag_not_found":
            message = f"needs a 'dist' key, one of: {', '.join(DIST_KINDS)}"
        else:
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            if kind not in ("per_interval", "value_error", "clock", "script") and "input" in err:
                message += f" (got {err['input']!r})"
        problems.append((path, message))
    return problems


def _is_union_tag(part: str | int) -> bool:
    return isinstance(part, str) and (part in DIST_KINDS or part.startswith("function-"))


def _allowed_keys(root: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Keys (as written in the file) of the model at ``loc`` below ``root``; [] if unknown.

    ``loc`` is pydantic's raw location, where a distribution's tag names which model it is.
    """
    candidates: list[Any] = [root]
    for part in loc:
        if isinstance(part, int):
            continue
        if _is_union_tag(part):
            candidates = [m for m in candidates if _literal_tag(m) == part]
            continue
        if len(candidates) != 1:
            return []
        fields = candidates[0].model_fields
        field = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if field is None:
            return []
        candidates = _models_in(field.annotation)
    if len(candidates) != 1:
        return []
    return [f.alias or name for name, f in candidates[0].model_fields.items()]


def _literal_tag(model: Any) -> Any:
    field = model.model_fields.get("dist")
    args = typing.get_args(field.annotation) if field else ()
    return args[0] if args else None


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _models_in(annotation: Any) -> list[Any]:
    """The pydantic models inside ``list[X]``, ``X | None``, ``Annotated[Union[...], ...]``."""
    if _is_model(annotation):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
