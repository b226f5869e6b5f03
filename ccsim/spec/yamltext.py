"""Reading YAML text safely: duplicate keys, alias bombs, deep nesting, unquoted clock times.

A scenario file is written by hand, copied from colleagues and sometimes sent by strangers.
YAML lets a file say things a planner never means:

* the same key twice in one mapping (``agents: 30`` and, ten lines below, ``agents: 12``):
  plain YAML keeps the last silently; here it is an error naming both lines;
* an alias bomb ("billion laughs"): nine anchors each used nine times in the next expand to
  a list of 387 million strings from a 1 kB file. The size of the document is measured with
  every alias counted as often as it is used, on the parsed node graph (nothing expanded),
  and refused beyond :data:`~ccsim.spec.limits.MAX_NODES` values;
* nesting thousands of levels deep, which would exhaust Python's stack: refused beyond
  :data:`~ccsim.spec.limits.MAX_DEPTH` levels (libyaml stops at 1,000 while parsing, the
  pure-Python parser at the limit);
* ``start: 9:30``, which YAML 1.1 reads as the sexagesimal number 570. The number keeps the
  text it was written as (:class:`SexagesimalInt`), so a message can say "write clock times
  in quotes: '9:30'".

Only plain data is ever built (``SafeLoader``): mappings, lists, text, numbers, booleans.
The text is parsed by libyaml when PyYAML has it (about ten times faster on a long list of
handle times), else by PyYAML's own parser.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..errors import ScenarioError, format_path
from .limits import MAX_DEPTH, MAX_NODES, count_text

_MERGE = "tag:yaml.org,2002:merge"


class SexagesimalInt(int):
    """An integer YAML read from ``h:mm`` text (``9:30`` is 570): it remembers the text."""

    text: str

    def __new__(cls, value: int, text: str) -> SexagesimalInt:
        obj = super().__new__(cls, value)
        obj.text = text
        return obj

    def __deepcopy__(self, memo: dict) -> SexagesimalInt:
        return self  # immutable, like an int

    def __reduce__(self):  # picklable like an int that keeps its text
        return (SexagesimalInt, (int(self), self.text))


class _TooDeep(yaml.YAMLError):
    def __init__(self, mark: Any):
        super().__init__()
        self.problem_mark = mark
        self.problem = _DEEP


_DEEP = f"nested more than {MAX_DEPTH} levels deep (a scenario needs fewer than 10)"


class _Constructor:
    """What both loaders construct differently from ``SafeLoader``: integers."""

    def construct_yaml_int(self, node: ScalarNode) -> int:
        try:
            value = super().construct_yaml_int(node)  # type: ignore[misc]
        except ValueError:  # Python reads at most 4300 digits
            raise yaml.constructor.ConstructorError(
                None, None, f"a number of {len(str(node.value)):,} digits is far too large", node.start_mark
            ) from None
        if ":" in str(node.value):
            return SexagesimalInt(value, str(node.value))
        return value


class StrictLoader(_Constructor, yaml.SafeLoader):
    """PyYAML's ``SafeLoader`` that refuses deep nesting while it parses."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


StrictLoader.add_constructor("tag:yaml.org,2002:int", StrictLoader.construct_yaml_int)

if getattr(yaml, "__with_libyaml__", False):

    class FastLoader(_Constructor, yaml.CSafeLoader):  # type: ignore[misc,name-defined]
        """libyaml's safe loader (it refuses nesting beyond 1,000 levels itself)."""

    FastLoader.add_constructor("tag:yaml.org,2002:int", FastLoader.construct_yaml_int)
    LOADERS: tuple[type, ...] = (FastLoader, StrictLoader)
else:  # pragma: no cover (PyYAML built without libyaml)
    LOADERS = (StrictLoader,)


def parse_yaml(text: str, label: str = "(file)", loader_class: type | None = None) -> Any:
    """Plain data from YAML text, or a ScenarioError naming the line of each problem.

    Args:
        text: the YAML document.
        label: where a problem without a line is reported (``"(file)"``, ``"--set x=1"``).
        loader_class: the loader (default: libyaml's when available).
    """
    loader = None
    try:
        loader = (loader_class or LOADERS[0])(text)  # the reader checks every character here
        node = loader.get_single_node()
        if node is None:
            return None
        problems = _node_problems(node, loader)
        if problems:
            raise ScenarioError(problems)
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ScenarioError([(_where(exc, label), f"not valid YAML: {_problem(exc)}")]) from None
    except RecursionError:  # a defence in depth: the composer limits nesting before this
        raise ScenarioError([(label, f"nested too deeply (more than {MAX_DEPTH} levels)")]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _where(exc: yaml.YAMLError, label: str) -> str:
    mark = getattr(exc, "problem_mark", None)
    if mark is None:
        return label
    if label == "(file)":
        return f"line {mark.line + 1}, column {mark.column + 1}"
    return f"{label} (column {mark.column + 1})"


def _problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    if problem and "maximum nesting depth" in str(problem):  # libyaml's limit
        return _DEEP
    if problem:
        context = getattr(exc, "context", None)
        return f"{problem} ({context})" if context else str(problem)
    if isinstance(exc, yaml.reader.ReaderError):
        return f"a character YAML does not allow (code {exc.character:#x}) at position {exc.position}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _node_problems(root: Node, loader: Any) -> list[tuple[str, str]]:
    """Duplicate keys, aliases that contain themselves, and the expanded size of the document."""
    problems: list[tuple[str, str]] = []
    seen: set[int] = set()
    stack: list[tuple[Node, list[Any]]] = [(root, [])]
    while stack:  # each node once, at the first path it is reached by (aliases share nodes)
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((item, [*path, i]) for i, item in enumerate(node.value))
        elif isinstance(node, MappingNode):
            first: dict[Any, int] = {}
            for key, value in node.value:
                name = _key(key, loader)
                if name is not None and key.tag != _MERGE:
                    line = key.start_mark.line + 1
                    if name in first:
                        problems.append((format_path([*path, str(name)]), f"is given twice in one mapping, on lines "
                                         f"{first[name]} and {line}; give each key once (YAML would silently "
                                         "keep the second)"))
                    first.setdefault(name, line)
                stack.append((value, [*path, str(name) if name is not None else "?"]))
    size, deepest = _measure(root)
    if size is None:
        problems.append(("(file)", "an alias (*name) is used inside its own anchor (&name): the data would be "
                         "infinite"))
    elif size > MAX_NODES:
        problems.append(("(file)", f"holds more than {count_text(MAX_NODES)} values once its aliases (*name) are "
                         f"expanded; a scenario needs far fewer (limit {count_text(MAX_NODES)})"))
    if deepest is not None:
        problems.append((f"line {deepest.start_mark.line + 1}, column {deepest.start_mark.column + 1}",
                         f"not valid YAML: {_DEEP}"))
    return problems


def _key(node: Node, loader: Any) -> Any:
    """The key a scalar key node stands for (as the loader reads it); None for other keys."""
    if not isinstance(node, ScalarNode):
        return None
    try:
        key = loader.construct_object(node)
        hash(key)
        return key
    except Exception:  # an odd key: the loader will report it when it constructs the document
        return None


def _measure(root: Node) -> tuple[int | None, Node | None]:
    """Values in the document with each alias counted as often as it is used (None: an alias
    inside its own anchor), and the first node nested deeper than the limit (None if none).

    Memoized per node, so a bomb is measured without being expanded; the counts stop growing
    once past the limit.
    """
    size: dict[int, int] = {}
    height: dict[int, int] = {}
    active: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            children = _children(node)
            size[key] = min(MAX_NODES + 1, 1 + sum(size[id(c)] for c in children))
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            continue
        if key in size:
            continue
        active.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in active:
                return None, None
            if id(child) not in size:
                stack.append((child, False))
    deepest = None
    if height[id(root)] > MAX_DEPTH:
        deepest = root
        for _ in range(MAX_DEPTH):  # down the deepest branch to the first level past the limit
            deepest = max(_children(deepest), key=lambda c: height[id(c)])
    return size[id(root)], deepest


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []
