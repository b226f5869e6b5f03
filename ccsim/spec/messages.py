"""Planner words: pydantic's validation errors as one line per problem, with the path in the file.

Pydantic says ``String should match pattern '^[A-Za-z0-9_][A-Za-z0-9_.\\-]*$'`` at
``('pools', 0, 'script', 'list[constrained-str]', 0)``. A planner should read
``pools[0].script[0]: names may use letters, digits, _ . - and must not start with . or -,
got 'cards team'``. This module walks each error's location along the schema (to tell keys
from the names pydantic gives the members of a union), keeps one message per problem (a value
that is a list is not also told it is not the word 'all') and words it for a planner, quoting
at most a short prefix of the value.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from pydantic import BaseModel, ValidationError

from ..errors import format_path, short
from .base import Name

#: Error kinds that say only "this is not of that shape" (a member of a union that did not fit).
SHAPE_KINDS = frozenset({
    "string_type", "int_type", "float_type", "bool_type", "list_type", "dict_type", "model_type",
    "model_attributes_type", "literal_error", "tuple_type", "set_type", "none_required", "is_instance_of",
    "int_parsing", "float_parsing", "bool_parsing", "string_sub_type", "enum",
})

#: What a kind of value is, in planner words.
_EXPECTED = {
    "string_type": "text", "string_sub_type": "text",
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number (an integer)",
    "float_type": "a number", "float_parsing": "a number",
    "bool_type": "true or false (a boolean)", "bool_parsing": "true or false (a boolean)",
    "list_type": "a list", "tuple_type": "a list", "set_type": "a list",
    "dict_type": "a mapping of keys (key: value)", "model_type": "a mapping of keys (key: value)",
    "model_attributes_type": "a mapping of keys (key: value)",
    "none_required": "empty (null)",
}

_NAME_RULE = "names may use letters, digits, _ . - and must not start with . or -"


def _name_pattern() -> str | None:
    for meta in typing.get_args(Name)[1:]:
        for item in getattr(meta, "metadata", ()):
            if getattr(item, "pattern", None):
                return item.pattern
    return None


NAME_PATTERN = _name_pattern()


@dataclass
class Located:
    """One validation error, located in the data: the path, what went wrong, the value there."""

    loc: tuple[Any, ...]
    kind: str
    ctx: dict[str, Any]
    value: Any
    message: str = ""
    site: tuple[tuple[Any, ...], Any] | None = None  # (path of the union, member) if inside a union
    model: Any = None  # the model and field the value is for, when known
    field_name: str | None = None
    allowed: list[str] = field(default_factory=list)
    expects: Any = None  # the type the schema expects at ``loc``, when known

    @property
    def path(self) -> str:
        return format_path(self.loc)


def pydantic_problems(exc: ValidationError, root: type[BaseModel], data: Any = None) -> list[tuple[str, str]]:
    """``(path, message)`` per problem of a pydantic error, in planner words.

    Args:
        exc: the validation error of ``root.model_validate(data)``.
        root: the model validated.
        data: the data validated, when at hand (helps locate keys of free-form parts).
    """
    return [(e.path, e.message) for e in locate(exc, root, data)]


def locate(exc: ValidationError, root: type[BaseModel], data: Any = None) -> list[Located]:
    """Each error of ``exc`` located in the data and worded; one per problem."""
    found = []
    for err in exc.errors(include_url=False):
        e = _walk(root, tuple(err["loc"]), err["type"], data)
        e.ctx = dict(err.get("ctx") or {})
        e.value = err.get("input")
        if e.kind.startswith("union_tag") and not e.ctx.get("expected_tags") and _is_union(e.expects):
            tags = [_literal_tag(_strip(m)) for m in typing.get_args(e.expects) if _is_model(_strip(m))]
            e.ctx["expected_tags"] = ", ".join(f"'{t}'" for t in tags if t is not None)
        e.message = err.get("msg", "")
        found.append(e)
    found = _one_per_union(found)
    for e in found:
        e.message = planner_message(e)
    return _unique(found)


def _unique(found: list[Located]) -> list[Located]:
    seen, out = set(), []
    for e in found:
        if (e.loc, e.message) not in seen:
            seen.add((e.loc, e.message))
            out.append(e)
    return out


# ---------------------------------------------------------------------------------------------
# Locating: keys and positions in the data, members of unions in between.


def _walk(root: type[BaseModel], raw: tuple[Any, ...], kind: str, data: Any) -> Located:
    tp: Any = root
    node = data
    loc: list[Any] = []
    site = None
    model, name = None, None
    for part in raw:
        tp = _strip(tp)
        if _is_model(tp):
            model, name = tp, _field_name(tp, part)
            loc.append(part if isinstance(part, str) else str(part))  # a key, even one YAML read as 1
            tp = tp.model_fields[name].annotation if name is not None else None
        elif _is_union(tp):
            site = site or (tuple(loc), part)
            tp = _member(tp, part)
            continue
        elif isinstance(part, int) and _origin(tp) in (list, tuple, set, frozenset, Sequence):
            loc.append(part)
            args = typing.get_args(tp)
            tp = args[0] if args else None
        elif _origin(tp) in (dict, Mapping):
            loc.append(part)
            args = typing.get_args(tp)
            tp = args[1] if len(args) == 2 else None
        elif tp is None and _looks_like_tag(part, node):  # beyond the schema: guess
            site = site or (tuple(loc), part)
            continue
        else:
            loc.append(part)
            tp = None
        node = _child(node, part)
    e = Located(tuple(loc), kind, {}, None, site=site, model=model, field_name=name if loc and loc[-1] == name
                else None, expects=_strip(tp) if tp is not None else None)
    if kind == "extra_forbidden" and model is not None and raw:
        e.allowed = [f.alias or n for n, f in model.model_fields.items()]
    return e


def _strip(tp: Any) -> Any:
    """``Annotated[X, ...]`` -> X; ``X | None`` -> X."""
    while True:
        if typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if _is_union(tp, strict=False):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp


def _origin(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is not None:
        return origin
    return tp if tp in (list, tuple, set, frozenset, dict) else None


def _is_union(tp: Any, strict: bool = True) -> bool:
    if typing.get_origin(tp) not in (Union, types.UnionType):
        return False
    return not strict or len([a for a in typing.get_args(tp) if a is not type(None)]) > 1


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field_name(model: type[BaseModel], key: Any) -> str | None:
    fields = model.model_fields
    if key in fields:
        return key
    return next((n for n, f in fields.items() if f.alias == key), None)


def _member(union: Any, tag: Any) -> Any:
    """The member of a union that pydantic's location part ``tag`` names (None if unclear)."""
    text = str(tag)
    for member in typing.get_args(union):
        m = _strip(member)
        if _is_model(m) and (m.__name__ == text or _literal_tag(m) == text):
            return m
        if text.startswith("list[") and _origin(m) is list:
            return m
        if text.startswith("literal[") and typing.get_origin(m) is Literal:
            return m
    return None


def _literal_tag(model: type[BaseModel]) -> Any:
    for f in model.model_fields.values():
        if typing.get_origin(f.annotation) is Literal and len(typing.get_args(f.annotation)) == 1:
            return typing.get_args(f.annotation)[0]
    return None


def _looks_like_tag(part: Any, node: Any) -> bool:
    if not isinstance(part, str) or (isinstance(node, Mapping) and part in node):
        return False
    return "[" in part or "'" in part or part.startswith("function-")


def _child(node: Any, part: Any) -> Any:
    try:
        if isinstance(node, Mapping):
            return node.get(part)
        if isinstance(node, list) and isinstance(part, int):
            return node[part]
    except (IndexError, TypeError):
        pass
    return None


def _one_per_union(found: list[Located]) -> list[Located]:
    """Of the errors of each union, keep those of the members the value has the shape of.

    ``script: [cards team]`` fails as a list (a bad name) and as the word 'all' (not a word):
    only the first is the problem. A value no member fits gets one message listing them all.
    """
    sites: dict[tuple[Any, ...], list[Located]] = {}
    for e in found:
        if e.site is not None:
            sites.setdefault(e.site[0], []).append(e)
    drop: set[int] = set()
    for site_path, errors in sites.items():
        members = {e.site[1] for e in errors if e.site}
        if len(members) < 2:
            continue
        shape = [e for e in errors if e.loc == site_path and e.kind in SHAPE_KINDS]
        fitting = {e.site[1] for e in errors if e.site and e not in shape}
        if fitting:
            drop.update(id(e) for e in errors if e.site and e.site[1] not in fitting)
        elif shape:
            first = shape[0]
            wanted = [_expected(e) for e in shape]
            first.ctx = {"expected": list(dict.fromkeys(w for w in wanted if w)), "kinds": [e.kind for e in shape],
                         "literals": [x for e in shape for x in literals(e.ctx.get("expected", ""))]}
            first.kind = "union"
            drop.update(id(e) for e in shape[1:])
    return [e for e in found if id(e) not in drop]


# ---------------------------------------------------------------------------------------------
# Wording.


def _expected(e: Located) -> str:
    if e.kind == "literal_error":
        return str(e.ctx.get("expected", ""))
    return _EXPECTED.get(e.kind, "")


def literals(expected: str) -> list[str]:
    """``"'cold' or 'warm'"`` -> ``['cold', 'warm']``."""
    return re.findall(r"'([^']*)'", str(expected))


def planner_message(e: Located) -> str:
    """The message of one located error, in planner words."""
    kind, ctx, value = e.kind, e.ctx, e.value
    got = f", got {short(value)}"
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return _unknown_key(e)
    if kind == "invalid_key":
        return f"is not a key: keys are names (YAML reads 1, yes, no, on, off as numbers or booleans){got}"
    if kind == "union":
        return f"must be {' or '.join(ctx['expected'])}{got}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_message(kind, ctx)
    if kind in ("value_error", "assertion_error"):
        return re.sub(r"^(Value|Assertion) error, ", "", e.message)
    if kind == "string_type" and isinstance(value, int) and not isinstance(value, bool):
        return "must be text" + got + _clock_hint(e)
    if kind == "string_type" and isinstance(value, bool):
        return (f"must be text{got}: YAML reads yes, no, on, off, true and false as true or false; "
                "write the text in quotes")
    if kind in ("float_type", "int_type") and isinstance(value, int) and not isinstance(value, bool) \
            and value.bit_length() > 1000:
        return f"is far too large{got}"
    if kind in _EXPECTED:
        return f"must be {_EXPECTED[kind]}{got}"
    if kind == "literal_error":
        return f"must be {ctx.get('expected', 'one of the allowed values')}{got}"
    if kind == "enum":
        return f"must be one of {ctx.get('expected', 'the allowed values')}{got}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == NAME_PATTERN:
            return _NAME_RULE + got
        return f"must match the pattern {ctx.get('pattern')}{got}"
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "must not be empty" if n == 1 else f"must have at least {n} characters{got}"
    if kind == "string_too_long":
        n = ctx.get("max_length")
        return f"must have at most {n} character{'s' if n != 1 else ''}{got}"
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"must have at least {n} item{'s' if n != 1 else ''}, got {ctx.get('actual_length', 0)}"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} items, got {ctx.get('actual_length', 'more')}"
    bounds = {"greater_than": ("gt", "greater than"), "greater_than_equal": ("ge", "greater than or equal to"),
              "less_than": ("lt", "less than"), "less_than_equal": ("le", "less than or equal to")}
    if kind in bounds:
        key, words = bounds[kind]
        return f"must be {words} {_bound(ctx.get(key))}{got}"
    if kind == "multiple_of":
        return f"must be a multiple of {ctx.get('multiple_of')}{got}"
    if kind == "finite_number":
        return f"must be a finite number (not .inf or .nan){got}"
    if kind == "int_parsing_size":
        return f"is far too large{got}"
    return _fallback(e.message, kind) + ("" if kind in _CUSTOM or "got" in e.message else got)


#: The schema's own error kinds, whose messages are written for planners already.
_CUSTOM = frozenset({"per_interval", "clock", "script"})


def _fallback(message: str, kind: str) -> str:
    if kind in _CUSTOM:
        return message
    message = re.sub(r"^(Input|Value|String|List|Dictionary|Tuple|Set) should (be|have) ", r"must \2 ", message)
    return message or "is not valid"


def _bound(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _unknown_key(e: Located) -> str:
    if not e.allowed:
        return "unknown key"
    key = str(e.loc[-1]) if e.loc else ""
    close = difflib.get_close_matches(key, e.allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown key; {hint}allowed keys: {', '.join(e.allowed)}"


def _tag_message(kind: str, ctx: dict[str, Any]) -> str:
    key = str(ctx.get("discriminator", "'dist'")).strip("'")
    allowed = str(ctx.get("expected_tags", "")).replace("'", "")
    what = "distribution" if key == "dist" else key
    if kind == "union_tag_not_found":
        return f"needs a '{key}' key, one of: {allowed}"
    return f"unknown {what} {short(str(ctx.get('tag')))}; allowed: {allowed}"


def clock_text(value: int) -> str | None:
    """The clock text YAML 1.1 read as a number: 570 was ``9:30``; None if it cannot have been."""
    text = getattr(value, "text", None)
    if text is not None:
        return str(text)
    if 0 <= value < 24 * 60:
        return f"{value // 60}:{value % 60:02d}"
    return None


def _clock_hint(e: Located) -> str:
    """For a number where text goes: was it a clock time YAML read as minutes?"""
    value = e.value
    clock = getattr(value, "text", None)
    if clock is None and _is_clock_field(e.model, e.field_name):
        clock = clock_text(value)
    if clock is None:
        return ""
    return f" (YAML reads {clock} as the number {int(value)}): write clock times in quotes: '{clock}'"


def _is_clock_field(model: Any, name: str | None) -> bool:
    """Whether a field is checked by :func:`ccsim.spec.base.check_clock` (a clock time HH:MM)."""
    if model is None or name is None:
        return False
    decorators = getattr(model, "__pydantic_decorators__", None)
    for dec in getattr(decorators, "field_validators", {}).values():
        if name in dec.info.fields or "*" in dec.info.fields:
            func = getattr(dec.func, "__func__", dec.func)
            if "check_clock" in getattr(getattr(func, "__code__", None), "co_names", ()):
                return True
    return False
