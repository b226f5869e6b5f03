"""``--set PATH=VALUE``: list items by name or position, YAML values, clear errors."""

from __future__ import annotations

import pytest

from ccsim.errors import ScenarioError
from ccsim.spec.loading import load_scenario
from ccsim.spec.overrides import apply_overrides, parse_override

from .helpers import SCENARIOS, single_queue

BANK = SCENARIOS / "retail_bank_day.yaml"


def test_values_by_name_position_and_yaml():
    s = load_scenario(BANK, ["pools.generalists.agents=30", "arrivals.rate_per_hour=700",
                             "segments.0.patience={dist: exponential, mean: 90}", "horizon.warmup_minutes=30"])
    assert s.pools[0].agents == 30 and s.arrivals.rate_per_hour == 700
    assert s.segments[0].patience.dist == "exponential" and s.segments[0].patience.mean == 90
    assert s.horizon.warmup_minutes == 30


def test_later_overrides_win_and_the_input_is_not_changed():
    data = single_queue()
    changed = apply_overrides(data, ["pools.agents.agents=3", "pools.agents.agents=[4]"])
    assert changed["pools"][0]["agents"] == [4] and data["pools"][0]["agents"] == 32


def test_a_list_value():
    s = load_scenario(single_queue(hours=1, interval_minutes=30, warmup_minutes=0), ["pools.agents.agents=[3, 5]"])
    assert s.staffing(s.pools[0]).tolist() == [3, 5]


def test_overrides_apply_to_a_loaded_scenario():
    base = load_scenario(BANK)
    assert load_scenario(base, ["seed=7"]).seed == 7 and base.seed != 7


@pytest.mark.parametrize("text, fragment", [
    ("pools.tier9.agents=3", "no item named 'tier9' in pools (names: generalists, cards, mortgage_specialists"),
    ("nothing", "must be PATH=VALUE"),
    ("pools.generalists.agents=", "has no value"),
    ("=3", "must be PATH=VALUE"),
    ("horizon.hours.x=3", "'horizon.hours' is a value, not a section"),
    ("foo.bar=1", "'foo' is not in the scenario"),
    ("seed=[1", "not valid YAML"),
])
def test_bad_paths(text, fragment):
    with pytest.raises(ScenarioError) as info:
        load_scenario(BANK, [text])
    (where, message), = info.value.problems
    assert where == f"--set {text}" and fragment in message


def test_bad_values_are_validated_like_the_file():
    with pytest.raises(ScenarioError) as info:
        load_scenario(BANK, ["pools.cards.agents=-2"])
    assert info.value.problems[0][0] == "pools[1].agents"
    with pytest.raises(ScenarioError) as info:
        load_scenario(BANK, ["pools.cards.agnets=2"])
    assert info.value.problems[0][0] == "pools[1].agnets"


def test_parse_override():
    assert parse_override("pools.a.skills=[x, {skill: y, after: 5}]") == (
        ["pools", "a", "skills"], ["x", {"skill": "y", "after": 5}])
