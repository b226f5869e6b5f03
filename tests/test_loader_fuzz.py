"""Property: whatever is done to a shipped scenario, loading it gives a Scenario or a clean ScenarioError.

The shipped scenarios are mutated at random (a key deleted, a value replaced by another type,
a huge, negative, NaN or infinite number, an empty list or a long text, a list item
duplicated, two names swapped, an unknown key inserted, the text cut short or YAML syntax
inserted) and loaded. The only allowed outcomes are a valid Scenario (whose warnings can be
computed) or a ScenarioError whose every problem has a path and a message of bounded length:
no other exception, no hang. Derandomized, so the same examples run every time.
"""

from __future__ import annotations

import copy
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccsim.errors import MAX_MESSAGE, MAX_PATH, ScenarioError
from ccsim.spec.advice import scenario_warnings
from ccsim.spec.loading import MAX_PROBLEMS, load_scenario
from ccsim.spec.scenario import Scenario

from .helpers import SCENARIOS

TEXTS = {path.name: path.read_text(encoding="utf-8") for path in sorted(SCENARIOS.glob("*.yaml"))}
DATA = {name: yaml.safe_load(text) for name, text in TEXTS.items()}
_SCRATCH = tempfile.TemporaryDirectory(prefix="ccsim-fuzz-")  # removed when the session ends
WORK = Path(_SCRATCH.name)

odd_values = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.just("x" * 5000), st.builds(list), st.builds(dict),
    st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=4),
    st.sampled_from([10**12, -3, 0, 1e-9, float("inf"), float("-inf"), float("nan"), 2**70]),
    st.sampled_from(["9:30", ".inf", "nan", "-1", "1e12", "all", "general", "", "a b"]),
)

SNIPPETS = ["&a ", "*a", "*nowhere", "{", "}", "[", "]", ": ", "- ", "\t", "? ", "<<: *a\n", "%YAML 1.1\n",
            "---\n", "...\n", "'", '"', "#", "|\n", ">\n", ".inf", ".nan", "9:30", "!!python/object:os.system\n",
            "!!binary x\n", "\x00", "\ufeff", "&a [*a]", "x: &b [1, *b]\n", "\n  deep: " + "[" * 80]


def locations(node: Any, loc: tuple = ()) -> list[tuple]:
    """Every location inside plain data (keys and positions)."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*loc, key))
            found += locations(value, (*loc, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found.append((*loc, i))
            found += locations(value, (*loc, i))
    return found


def at(data: Any, loc: tuple) -> tuple[Any, Any]:
    """The container holding ``loc`` and the key or position in it."""
    node = data
    for part in loc[:-1]:
        node = node[part]
    return node, loc[-1]


@st.composite
def mutate_data(draw, data: dict) -> dict:
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        spots = locations(data)
        if not spots:
            break
        container, key = at(data, draw(st.sampled_from(spots)))
        action = draw(st.sampled_from(["delete", "replace", "duplicate", "swap", "unknown"]))
        if action == "delete":
            del container[key]
        elif action == "replace":
            container[key] = draw(odd_values)
        elif action == "duplicate" and isinstance(container, list):
            container.insert(key, copy.deepcopy(container[key]))
        elif action == "swap":
            named = [x for x in locations(data) if x[-1] == "name"]
            if len(named) >= 2:
                (a, ka), (b, kb) = (at(data, x) for x in draw(st.permutations(named))[:2])
                a[ka], b[kb] = b[kb], a[ka]
        elif action == "unknown" and isinstance(container[key], dict):
            container[key][draw(st.sampled_from(["agnets", "extra", "dist", "name", "x" * 300]))] = draw(odd_values)
    return data


@st.composite
def mutated(draw) -> tuple[str, Any]:
    """A mutated shipped scenario: ("text", YAML text) or ("data", a dict)."""
    name = draw(st.sampled_from(sorted(TEXTS)))
    text = TEXTS[name]
    kind = draw(st.sampled_from(["data", "data as text", "cut", "insert"]))
    if kind == "cut":
        return "text", text[: draw(st.integers(0, len(text)))]
    if kind == "insert":
        at_ = draw(st.integers(0, len(text)))
        return "text", text[:at_] + draw(st.sampled_from(SNIPPETS)) + text[at_:]
    data = draw(mutate_data(DATA[name]))
    return ("data", data) if kind == "data" else ("text", yaml.safe_dump(data, sort_keys=False))


@settings(max_examples=150, deadline=timedelta(seconds=20), derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_a_mutated_scenario_loads_or_fails_cleanly(case):
    kind, payload = case
    if kind == "text":
        path = WORK / "mutated.yaml"
        path.write_text(payload, encoding="utf-8", errors="surrogatepass")
        source: Any = path
    else:
        source = payload
    try:
        scenario = load_scenario(source)
    except ScenarioError as exc:
        assert 1 <= len(exc.problems) <= MAX_PROBLEMS + 1
        for path_, message in exc.problems:
            assert path_ and message and len(path_) <= MAX_PATH and len(message) <= MAX_MESSAGE
            assert "\n" not in path_ + message
    else:
        assert isinstance(scenario, Scenario)
        assert all(isinstance(w, str) and w for w in scenario_warnings(scenario))
